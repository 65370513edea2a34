"""Census tract and block-group GEOIDs for points (vectorised point-in-polygon).

The layers come from the area file: ``[layers.tracts]`` and ``[layers.blockgroups]``, each with
``file`` and ``geoid_field``. A point on no polygon (outside the county) gets ``None``. Layers
that are not configured are skipped (their column is not added).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geo_heart.errors import ConfigError, DataSourceError
from geo_heart.geo.beats import BeatIndex
from geo_heart.geo.coords import lonlat_from_columns

log = logging.getLogger(__name__)

#: layer role → output column
CENSUS_LAYERS = {"tracts": "tract_geoid", "blockgroups": "blockgroup_geoid"}


def _polygons(ws, role: str) -> BeatIndex:
    """A grid index (:class:`~geo_heart.geo.beats.BeatIndex`) of a configured census layer,
    GEOIDs as its ids, cached on the area.

    The same grid that locates beats answers most points with one array look-up; only points
    in cells that a polygon edge crosses are tested against the (prepared) polygons. That is
    several times faster than querying an STRtree with each point.
    """

    def build():
        import geopandas as gpd

        path = ws.layer_path(role)
        field = ws.config.layer_value(role, "geoid_field", "GEOID")
        if not path.exists():
            raise DataSourceError(f"census layer {str(path)!r} ([layers.{role}]) does not exist")
        gdf = gpd.read_file(path, columns=[field])
        if field not in gdf.columns:
            raise ConfigError(
                f"[layers.{role}] geoid_field {field!r} is not a column of {str(path)!r}"
            )
        if gdf.crs is None:
            raise DataSourceError(f"census layer {str(path)!r} has no CRS")
        ids = [None if v is None or v != v else str(v) for v in gdf[field].tolist()]
        return BeatIndex.from_geometries(
            ids, gdf.geometry.to_numpy(), crs=gdf.crs, source=str(path)
        )

    return ws.cached(("census_layer", role), build)


def geoids_for_points(ws, role: str, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """GEOID of the ``role`` polygon holding each WGS84 point (``None`` where none / no point).

    A point on the shared edge of two polygons gets the lower GEOID (the index's first-hit rule).
    """
    index = _polygons(ws, role)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    pos = index.locate_many(lon, lat)
    ids = np.append(index.ids.astype(object), [None, None])  # -2 and -1 index the Nones
    return ids[pos]


def census_columns(config) -> tuple[str, ...]:
    """The GEOID columns a run adds for this area file (those of its configured layers)."""
    out = []
    for role, col in CENSUS_LAYERS.items():
        try:
            config.layer_value(role, "file")
        except ConfigError:
            continue
        out.append(col)
    return tuple(out)


def census_column_names(config, columns, *, source: str = "input") -> dict[str, str]:
    """GEOID column → its output name for an input with ``columns``: the batch rule of every
    result (:func:`geo_heart.geo.assign.result_column_names`), so an input's own
    ``tract_geoid`` is kept as it was and the GEOIDs go to ``gh_tract_geoid``.

    Raises
    ------
    InputError
        The input has the ``gh_`` name too (one line naming both columns).
    """
    from geo_heart.geo.assign import result_column_names

    return result_column_names(columns, census_columns(config), source=source)


def census_geoid_columns(ws, lon: np.ndarray, lat: np.ndarray) -> dict[str, np.ndarray]:
    """``tract_geoid`` and ``blockgroup_geoid`` arrays for WGS84 points (those configured).

    Layers missing from the area file are skipped with an info log; a configured layer whose file
    is missing raises :class:`~geo_heart.errors.DataSourceError`.
    """
    columns = {}
    for role, col in CENSUS_LAYERS.items():
        try:
            ws.config.layer_value(role, "file")
        except ConfigError:
            log.info("no [layers.%s] in the area file: no %s column", role, col)
            continue
        columns[col] = geoids_for_points(ws, role, lon, lat)
    return columns


def add_census_geoids(
    ws,
    df: pd.DataFrame,
    *,
    lon_column: str = "lon",
    lat_column: str = "lat",
    input_columns=None,
    source: str = "input",
) -> pd.DataFrame:
    """``df`` with ``tract_geoid`` and ``blockgroup_geoid`` for every located row
    (:func:`census_geoid_columns` of its ``lon_column``/``lat_column``), named by
    :func:`census_column_names` against ``input_columns`` (default ``df``'s columns): an input
    column of either name is never overwritten."""
    names = census_column_names(
        ws.config, df.columns if input_columns is None else input_columns, source=source
    )
    lon, lat, _valid = lonlat_from_columns(df, lon_column, lat_column)
    out = df.copy()
    for col, values in census_geoid_columns(ws, lon, lat).items():
        out[names[col]] = values
    return out
