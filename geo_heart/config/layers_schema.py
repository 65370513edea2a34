"""The area file's ``[layers]`` tables: one typed model per data role (calls, address points,
road lines, TIGER/Line, OpenAddresses, OSM, census …), part of :mod:`geo_heart.config.schema`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from geo_heart.config.schema_base import FileName, Text, _Model


class LayerModel(_Model):
    """Keys every ``[layers.<role>]`` table has."""

    file: FileName
    source_url: str | None = None
    download_url: str | None = None
    #: the file may be absent (left out of the index; ``data check`` does not fail)
    optional: bool = False


class CallsLayer(LayerModel):
    """``[layers.calls]``: the default call table for demand and coverage."""

    call_type_column: Text
    time_column: Text
    time_zone: str | None = None
    #: how a stated UTC offset is read: "honour" (converted) or "local" (dropped: the clock is a
    #: wall time of the area's zone, for exports that stamp local times with a wrong "+00")
    offsets: Literal["honour", "local"] = "honour"
    #: the source's own hour-of-day column (HHMM, H or HH:MM): checked against the time column
    #: (the load notes say how often the clock agrees) and used for date-only 00:00:00 stamps
    hour_column: str | None = None
    beat_column: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None
    address_column: str | None = None
    id_column: str | None = None

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        from geo_heart.config.times import region_zone_problem

        problem = region_zone_problem(v, allow_utc=True) if v is not None else None
        if problem:
            raise ValueError(problem)
        return v


class HistoryLayer(LayerModel):
    """``[layers.history]``: records with an address and a beat (hundred-block → beat guide)."""

    address_column: Text
    beat_column: Text
    time_column: str | None = None
    half_life_years: float = Field(1.0, gt=0)
    use_for_geocoding: bool = True

    @field_validator("file")
    @classmethod
    def _not_eval(cls, v: str) -> str:
        if "_eval" in Path(v).name:
            raise ValueError(
                "an evaluation file; a reference must never be learned from *_eval files"
            )
        return v


class AddressPointsLayer(LayerModel):
    """``[layers.address_points]``: site addresses with coordinates (one ``address_column``, or
    ``number_column`` + ``street_column``)."""

    address_column: str | None = None
    number_column: str | None = None
    street_column: str | None = None
    unit_column: str | None = None
    lon_column: Text = "lon"
    lat_column: Text = "lat"

    @model_validator(mode="after")
    def _address(self) -> AddressPointsLayer:
        if self.address_column is None and (
            self.number_column is None or self.street_column is None
        ):
            raise ValueError("give address_column, or number_column and street_column")
        return self


class LandmarksLayer(LayerModel):
    """``[layers.landmarks]``: named places with coordinates."""

    name_column: Text = "name"
    address_column: str | None = None
    category_column: str | None = None
    lon_column: Text = "lon"
    lat_column: Text = "lat"


class RoadsLayer(LayerModel):
    """``[layers.roads]``: road lines (names and route numbers) for intersections and networks."""

    name_field: Text = "name"
    ref_field: Text = "ref"
    type_field: Text = "type"


class CenterlinesLayer(LayerModel):
    """``[layers.centerlines]``: street centerlines with address ranges (all fields required)."""

    name_field: Text
    from_left: Text
    to_left: Text
    from_right: Text
    to_right: Text
    side_offset_m: float = Field(0.0, ge=0)


class TigerAddrfeatLayer(LayerModel):
    """``[layers.tiger_addrfeat]``: Census TIGER/Line ADDRFEAT (published field names)."""

    side_offset_m: float = Field(10.0, ge=0)
    street_lines: bool = True


class TigerEdgesLayer(LayerModel):
    """``[layers.tiger_edges]``: Census TIGER/Line EDGES (road edges: lines and ranges)."""

    side_offset_m: float = Field(10.0, ge=0)


class OpenAddressesLayer(LayerModel):
    """``[layers.openaddresses]``: an OpenAddresses CSV (``LON, LAT, NUMBER, STREET`` …)."""

    lon_column: str | None = None
    lat_column: str | None = None
    number_column: str | None = None
    street_column: str | None = None


class OsmLayer(LayerModel):
    """``[layers.osm]``: an OpenStreetMap extract (``.osm`` or ``.osm.pbf``)."""

    streets: bool = True
    addresses: bool = True
    places: bool = True
    clip_to_beats: bool = True
    clip_margin_deg: float = Field(0.05, ge=0)


class PopulationLayer(LayerModel):
    """``[layers.population]``: polygons with a population count (apportioned to beats by area)."""

    population_field: Text


class CensusLayer(LayerModel):
    """``[layers.tracts]`` / ``[layers.blockgroups]``: census polygons whose id is added to rows."""

    geoid_field: Text = "GEOID"


class BoundaryLayer(LayerModel):
    """``[layers.county]`` (or another outline): one polygon, e.g. the county around the city."""

    label: str | None = None


#: role → its model; a role not listed here is an error naming the known roles
LAYER_MODELS: dict[str, type[LayerModel]] = {
    "calls": CallsLayer,
    "history": HistoryLayer,
    "address_points": AddressPointsLayer,
    "landmarks": LandmarksLayer,
    "roads": RoadsLayer,
    "centerlines": CenterlinesLayer,
    "tiger_addrfeat": TigerAddrfeatLayer,
    "tiger_edges": TigerEdgesLayer,
    "openaddresses": OpenAddressesLayer,
    "osm": OsmLayer,
    "population": PopulationLayer,
    "tracts": CensusLayer,
    "blockgroups": CensusLayer,
    "county": BoundaryLayer,
}


class LayersSection(_Model):
    """``[layers]``: a typed table per role."""

    calls: CallsLayer | None = None
    history: HistoryLayer | None = None
    address_points: AddressPointsLayer | None = None
    landmarks: LandmarksLayer | None = None
    roads: RoadsLayer | None = None
    centerlines: CenterlinesLayer | None = None
    tiger_addrfeat: TigerAddrfeatLayer | None = None
    tiger_edges: TigerEdgesLayer | None = None
    openaddresses: OpenAddressesLayer | None = None
    osm: OsmLayer | None = None
    population: PopulationLayer | None = None
    tracts: CensusLayer | None = None
    blockgroups: CensusLayer | None = None
    county: BoundaryLayer | None = None
