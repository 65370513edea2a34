"""The :class:`Area`: one city's configuration, data folder and every index and cache built from them.

``Area`` is the library's entry point; the CLI and the HTTP service hold one each::

    >>> import geo_heart as gh
    >>> area = gh.Area.load("durham")                                  # doctest: +SKIP
    >>> area.lookup(lon=-78.89055, lat=36.00169, call_type="trespass",
    ...             at="2023-03-14T11:00").beat                        # doctest: +SKIP
    '111'

The surface is geopandas-shaped: ``area.beats`` is a GeoDataFrame; ``area.geocode(df,
address=...)`` returns a GeoDataFrame and ``area.assign(df_or_gdf)`` the input's kind of frame
(a GeoDataFrame for a GeoDataFrame; ``geometry=True`` builds points for a DataFrame), both with
the input's columns (and index) intact; per-beat tables (``area.demand``, ``area.coverage(by="beat")``) carry a ``beat``
key that :meth:`Area.with_geometry` joins to the beat polygons; ``lookup``, ``expand``,
``staffing``, ``forecast`` and ``map`` return typed results (a pydantic model or dataclasses).

Indexes (beats, geocoder reference, call-type table, adjacency, road network, population by beat)
are built on first use and kept on the ``Area`` that built them, never in module globals, so two
areas in one process never share or confuse caches.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo_heart.config.settings import Settings
from geo_heart.geo.workspace import Workspace

if TYPE_CHECKING:  # pragma: no cover
    from datetime import datetime

    import geopandas as gpd
    import pandas as pd

    from geo_heart.analysis.calls import CallData
    from geo_heart.analysis.evaluate import EvaluationResult
    from geo_heart.analysis.forecast import ForecastResult
    from geo_heart.dispatch.result import LookupResult
    from geo_heart.expansion.plan import BeatPlan
    from geo_heart.expansion.today import TodayPlan
    from geo_heart.geocode.match import Geocoder
    from geo_heart.render.map_result import DemandMap
    from geo_heart.staffing.analysis import StaffingResult


class Area(Workspace):
    """An area (a city): the library's face.

    A :class:`~geo_heart.geo.workspace.Workspace` (validated configuration + settings + lazily
    built indexes) with the verbs a user calls. The face calls down into the geocode, dispatch
    and analysis modules; nothing below imports it (an ``import-linter`` contract checks this).

    Parameters
    ----------
    settings
        Data folder, cache folder, area name.
    config
        The validated area file (:class:`~geo_heart.config.areafile.AreaConfig`).
    """

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(
        cls,
        area: str | Path | None = None,
        *,
        data_dir: str | Path | None = None,
        cache_dir: str | Path | None = None,
    ) -> Area:
        """Load an area by name (``"durham"`` → ``boundaries/durham.toml``) or TOML path.

        Parameters
        ----------
        area
            Name or path; default ``GEO_HEART_AREA`` or ``durham``.
        data_dir, cache_dir
            Override the data and cache folders (default: settings / environment).
        """
        settings = Settings().with_overrides(
            area=None if area is None else str(area), data_dir=data_dir, cache_dir=cache_dir
        )
        return cls.from_settings(settings)

    def geocoder(self, *, rebuild: bool = False) -> Geocoder:
        """The offline geocoder (reference index built once, cached on disk and here)."""
        from geo_heart.geocode.match import geocoder_for

        return geocoder_for(self, rebuild=rebuild)

    # ------------------------------------------------------------------ geometry
    @property
    def beats(self) -> gpd.GeoDataFrame:
        """The beats as a GeoDataFrame (EPSG:4326), one row per beat: ``beat``, ``district``,
        ``area_sq_mi``, ``in_<service area>`` for each service area of the area file, ``note``
        (label of special codes) and the polygon. A fresh copy each call."""
        import geopandas as gpd

        from geo_heart.analysis.beat_table import beats_table

        table = beats_table(self.beat_index, self.config)
        geoms = dict(zip(self.beat_index.beats, self.beat_index.geoms, strict=True))
        return gpd.GeoDataFrame(table, geometry=[geoms[b] for b in table["beat"]], crs="EPSG:4326")

    def with_geometry(self, table: pd.DataFrame, *, on: str = "beat") -> gpd.GeoDataFrame:
        """Join a per-beat table (``demand``, ``coverage(by="beat")``, ``expand`` candidates …)
        to the beat polygons: a GeoDataFrame (EPSG:4326) with ``table``'s rows, order and columns.

        Rows whose ``on`` value is not a beat of the layer get an empty geometry.
        """
        import geopandas as gpd

        from geo_heart.errors import InputError

        if on not in table.columns:
            raise InputError(f"the table has no {on!r} column to join beats on")
        geoms = dict(zip(self.beat_index.beats, self.beat_index.geoms, strict=True))
        keys = table[on].astype("string")
        geometry = [geoms.get(k) if isinstance(k, str) else None for k in keys.tolist()]
        return gpd.GeoDataFrame(table.copy(), geometry=geometry, crs="EPSG:4326")

    # ------------------------------------------------------------------ the verbs
    def lookup(
        self,
        address: str | None = None,
        *,
        lon: float | None = None,
        lat: float | None = None,
        call_type: str | None = None,
        at: datetime | str | None = None,
        weapon: bool = False,
        scenario: str | None = None,
        radius_m: float | None = None,
        pidf: str | bytes | os.PathLike | None = None,
    ) -> LookupResult:
        """Dispatch lookup by address text, by WGS84 point (with an optional uncertainty circle)
        or by an NG9-1-1 PIDF-LO caller location.

        Returns the typed dispatch answer, a :class:`~geo_heart.dispatch.result.LookupResult`
        (``.beat``, ``.status``, ``.programs``, ``.decisions`` …; ``.model_dump()`` for a dict,
        the same object ``lookup --json`` prints): beat, location status and confidence, and which
        program may take ``call_type`` at ``at`` (default: now, in the area's time zone).

        ``radius_m`` (with ``lon``/``lat``) makes the point a circle of that radius; ``pidf`` is a
        PIDF-LO document (its text or bytes, or a path to the file). Both are answered with every
        beat the shape covers and each one's share of it (``.shape``): ``ok`` only when one beat
        holds at least 95% (:mod:`geo_heart.dispatch.shape_lookup`).
        """
        from geo_heart.dispatch.lookup import lookup_address, lookup_point
        from geo_heart.dispatch.result import LookupResult
        from geo_heart.errors import InputError

        if address is not None and (lon is not None or lat is not None):
            raise InputError("give an address or lon/lat, not both")
        kw = {"call_type": call_type, "at": at, "risk": weapon, "scenario": scenario}
        if pidf is not None:
            from geo_heart.dispatch.pidf import read_pidf
            from geo_heart.dispatch.shape_lookup import lookup_pidf

            if address is not None or lon is not None or lat is not None or radius_m is not None:
                raise InputError("give a PIDF-LO document alone (no address, lon/lat or radius)")
            doc = read_pidf(pidf) if isinstance(pidf, os.PathLike) else pidf
            return LookupResult.model_validate(lookup_pidf(self, doc, **kw))
        if radius_m is not None:
            from geo_heart.dispatch.shape_lookup import lookup_shape
            from geo_heart.geo.shapes import Shape

            if lon is None or lat is None:
                raise InputError("radius_m needs lon and lat (a circle around the point)")
            if radius_m < 0:
                raise InputError(f"radius_m {radius_m!r} is negative")
            shape = Shape.circle(lon, lat, radius_m)
            return LookupResult.model_validate(lookup_shape(self, shape, **kw))
        if address is not None:
            return LookupResult.model_validate(lookup_address(self, address, **kw))
        if lon is None or lat is None:
            raise InputError("give an address, or both lon and lat")
        return LookupResult.model_validate(lookup_point(self, lon, lat, **kw))

    def geocode(
        self,
        data: Any,
        address: str | None = None,
        *,
        min_score: float = 0.0,
        at_column: str | None = None,
        at_time_zone: str | None = None,
    ) -> gpd.GeoDataFrame:
        """Geocode address texts; one row per input row, in order.

        Parameters
        ----------
        data
            A DataFrame (or GeoDataFrame) with an ``address`` column of text, or the texts
            themselves (a string, a list or a Series; their column is then ``address``).
        address
            The address column of ``data`` (required for a table).
        min_score
            Matches scoring below this lose their point and beat (``status="low_score"``).
        at_column, at_time_zone
            A column of ``data`` holding each row's time: ``in_service_area`` is then judged
            under the rules in force at that time, and ``rules``, ``service_area`` and
            ``programs`` are added (:mod:`geo_heart.geo.rules_at`; naive times are in
            ``at_time_zone``, default ``[layers.calls] time_zone`` else the area's zone).
            Without it, ``in_service_area`` follows the rules in force today.

        Returns
        -------
        geopandas.GeoDataFrame
            ``data``'s columns and index unchanged, plus the result columns (``lon``, ``lat``,
            ``beat``, ``district``, ``in_service_area``, ``status``, ``reason``, ``match_type``,
            ``score`` …; ``gh_<name>`` where ``data`` already has the name, compared ignoring case) and the matched
            points as the geometry (EPSG:4326; empty where nothing matched). The geometry column
            is ``geometry`` (``gh_geometry`` when ``data`` has one; it stays as it was).
        """
        import pandas as pd

        from geo_heart.errors import InputError
        from geo_heart.geo.names import RESULT_PREFIX
        from geo_heart.geocode.batch import geocode_frame, result_column_names

        if isinstance(data, pd.DataFrame):
            if address is None:
                raise InputError(
                    f"give address=<column> to geocode a table; columns: {list(map(str, data.columns))}"
                )
            frame = data
        else:
            if address is not None:
                raise InputError("address= names a column of a table; pass texts without it")
            texts = [data] if isinstance(data, str) else list(data)
            frame = pd.DataFrame({"address": pd.Series(texts, dtype=object)})
            address = "address"
        out = geocode_frame(self, frame, address_column=address, min_score=min_score)
        names = result_column_names(frame.columns)
        if at_column:
            from geo_heart.geo.rules_at import apply_rules_at

            out, _counts = apply_rules_at(
                self.config, out, input_columns=frame.columns, beat_column=names["beat"],
                in_service_column=names["in_service_area"], at_column=at_column,
                time_zone=at_time_zone, source="data",
            )  # fmt: skip
        out = _with_points(out, frame, names["lon"], names["lat"], prefix=RESULT_PREFIX)
        return _mark_input_columns(out, frame)

    def assign(
        self,
        data: pd.DataFrame,
        *,
        lon: str = "lon",
        lat: str = "lat",
        crs: str | None = None,
        census: bool = True,
        at_column: str | None = None,
        at_time_zone: str | None = None,
        geometry: bool = False,
    ) -> pd.DataFrame:
        """Add beat, district, service-area and (where configured) census columns to points.

        Parameters
        ----------
        data
            A GeoDataFrame of points (any CRS; one is required) or a DataFrame with WGS84
            ``lon``/``lat`` columns.
        lon, lat
            The coordinate columns of a DataFrame: WGS84 longitude and latitude, or with ``crs``
            the x and y columns in that CRS (e.g. ``crs="EPSG:2264"`` for State Plane feet).
        crs
            The CRS of a DataFrame's coordinate columns (default WGS84 lon/lat).
        census
            Add census tract and block-group GEOIDs when the area file names the layers.
        at_column, at_time_zone
            A column holding each row's time: judge ``in_service_area`` under the rules in
            force then and add ``rules``, ``service_area``, ``programs`` (as in :meth:`geocode`).
        geometry
            For a DataFrame: return a GeoDataFrame of its points (in ``crs``, default
            EPSG:4326; empty for invalid coordinates). Off by default: building a million
            shapely points costs several times the assignment itself. A GeoDataFrame always
            comes back as one, its geometry reused as it is.

        Returns
        -------
        pandas.DataFrame or geopandas.GeoDataFrame
            ``data``'s columns and index unchanged plus ``beat``, ``district``,
            ``in_service_area``, ``status``, ``reason`` (``gh_<name>`` where ``data`` has
            the name) and GEOIDs, in a copy of ``data``: a GeoDataFrame keeps its geometry
            and CRS; a DataFrame stays a DataFrame unless ``geometry=True``.
        """
        from geo_heart.geo.assign import RESULT_PREFIX, assign_chunk_points

        out, _summary, points = assign_chunk_points(
            self,
            data,
            lon_column=lon,
            lat_column=lat,
            source="data",
            census=census,
            input_crs=crs,
            at_column=at_column,
            at_time_zone=at_time_zone,
        )
        if points is None or not geometry:  # a layer, or a table whose caller wants no points
            return _mark_input_columns(out, data)
        x, y, valid = points  # the coordinate columns as parsed, and the rows not invalid
        out = _with_points(
            out, data, lon, lat, prefix=RESULT_PREFIX, crs=crs or "EPSG:4326", valid=valid,
            xy=(x, y),
        )  # fmt: skip
        return _mark_input_columns(out, data)

    def load_calls(self, path: str | Path | None = None, **options: Any) -> CallData:
        """Read, classify, place and time a call table (default ``[layers.calls]``)."""
        from geo_heart.analysis.calls import load_calls

        return load_calls(self, path, **options)

    def demand(self, data: CallData | None = None) -> pd.DataFrame:
        """Eligible demand by beat (calls per program, per resident, per sq mi).

        One row per beat with a ``beat`` key: ``area.with_geometry(area.demand(calls))`` is the
        choropleth layer. Population columns are empty when the area file has no
        ``[layers.population]``.
        """
        from geo_heart.analysis.demand import beat_demand

        data = data if data is not None else self.load_calls()
        return beat_demand(self, data, population="population" in self.config.layers)

    def coverage(
        self,
        data: CallData | None = None,
        *,
        scenarios: list[str] | None = None,
        by: str = "program",
    ) -> pd.DataFrame:
        """Share of eligible calls the service area and hours cover.

        ``by="program"``: one row per scenario (the rules in force, then each of ``scenarios``)
        and program (``eligible``, ``in_area``, ``in_hours``, ``covered`` and their shares).
        ``by="beat"``: one row per beat (``beat`` key; ``eligible_P``, ``covered_P``,
        ``share_covered_P`` per program), for :meth:`with_geometry`.
        """
        from geo_heart.errors import InputError

        data = data if data is not None else self.load_calls()
        if by == "beat":
            from geo_heart.render.tables import coverage_by_beat

            if scenarios:
                raise InputError("coverage by beat is under each call's own rules; no scenarios")
            return coverage_by_beat(self.demand(data), data.programs)
        if by != "program":
            raise InputError(f"by={by!r}: 'program' or 'beat'")
        from geo_heart.analysis.coverage import coverage_table, resolve_what_ifs

        return coverage_table(data, resolve_what_ifs(self, scenarios=scenarios or []))

    def expand(
        self, data: CallData | None = None, *, rules: str | None = None, **options: Any
    ) -> BeatPlan | TodayPlan:
        """What to add next, as ``geo-heart expand`` decides.

        Under rules where every program already serves every beat (and without
        ``service_area=``/``programs=``), a :class:`~geo_heart.expansion.today.TodayPlan`: the
        hours, county areas and call types to add, each with the eligible calls it adds.
        Otherwise the beat model, a :class:`~geo_heart.expansion.plan.BeatPlan` (``.result.added``
        beats, ``.curve``, ``.candidates`` with a ``beat`` key); ``options`` are those of
        :func:`~geo_heart.expansion.plan.plan_beats` (``k``, ``target``, ``contiguous`` …).
        ``data`` is loaded under ``rules`` when not given.
        """
        from geo_heart.expansion.plan import plan_beats
        from geo_heart.expansion.today import TodayPlan, partial_coverage, today_candidates

        rule_set = self.config.rule_set(rules)
        beat_model = options.get("service_area") or options.get("programs")
        if not beat_model and not partial_coverage(self.config, rule_set):
            data = data if data is not None else self.load_calls()
            table = today_candidates(self, data, rules=rule_set.name)
            return TodayPlan(rule_set=rule_set, candidates=table)
        from geo_heart.errors import require_extra

        require_extra("planning")  # the beat model: PuLP, PySAL
        if data is None:
            data = self.load_calls(scenario=options.get("scenario"), rules=rule_set.name)
        return plan_beats(self, data, rules=rules, **options)

    def staffing(
        self, program: str, data: CallData | None = None, **options: Any
    ) -> StaffingResult:
        """Teams and answered share for an in-person ``program`` (``geo-heart staffing``).

        ``options`` are the fields of :class:`~geo_heart.staffing.workflow.StaffingOptions`
        (``teams``, ``target``, ``year`` …). Returns a
        :class:`~geo_heart.staffing.analysis.StaffingResult` (``.main`` evaluation, ``.plan``,
        ``.hour_table()``).
        """
        from geo_heart.errors import require_extra
        from geo_heart.staffing.workflow import StaffingOptions, staffing_for_calls

        require_extra("planning")
        opts = StaffingOptions(**options)
        data = data if data is not None else self.load_calls()
        return staffing_for_calls(self, data, program, opts)

    def forecast(self, data: CallData | None = None, **options: Any) -> ForecastResult:
        """Each program's eligible calls for the next months, citywide or by beat, with 80% and
        95% intervals (``geo-heart forecast``).

        ``options`` are those of :func:`~geo_heart.analysis.forecast.forecast_calls`
        (``horizon=12``, ``by="city"``/``"beat"``, ``backtest="2024-01-01"``, ``programs`` …).
        Returns a :class:`~geo_heart.analysis.forecast.ForecastResult` (``.table``, ``.city``,
        ``.basis``, ``.summary()``, ``.total(program, quantile)``, ``.to_dict()``).
        """
        from geo_heart.analysis.forecast import forecast_calls
        from geo_heart.errors import require_extra

        require_extra("planning")  # statsforecast
        data = data if data is not None else self.load_calls()
        return forecast_calls(self, data, **options)

    def map(
        self, data: CallData | None = None, *, metric: str = "rate", **options: Any
    ) -> DemandMap:
        """Interactive map of eligible demand by beat (aggregated; small counts suppressed).

        ``metric`` is ``rate`` (per 1,000 residents), ``count`` or ``density``; ``options`` go to
        :func:`~geo_heart.render.maps.demand_map` (``basemap="roads"``, ``min_count`` …).
        Returns a :class:`~geo_heart.render.map_result.DemandMap`: ``.map`` (a ``folium.Map``),
        ``.layer`` (the GeoDataFrame drawn), ``.save(path)`` (self-contained HTML, no network).
        """
        from geo_heart.errors import require_extra

        require_extra("maps")
        from geo_heart.render.map_result import DemandMap
        from geo_heart.render.maps import demand_map, metric_column

        table = self.demand(data)
        m = demand_map(self, table, metric=metric, **options)
        return DemandMap(
            map=m, layer=self.with_geometry(table), metric=metric, column=metric_column(metric)[0]
        )

    def evaluate(self, data: CallData | None = None, **options: Any) -> EvaluationResult:
        """Did the pilot change what happened where it ran? The program's effect on the incident
        reports it should replace (difference-in-differences, beat × month; docs/evaluation.md).

        ``options``: ``program``, ``treated``, ``start``, ``end``, ``method`` (``"ppml"`` or
        ``"staggered"``), ``ri_draws``, ``boot_reps``, ``seed``
        (:func:`geo_heart.analysis.evaluate.evaluate_calls`). Default design: the area file's
        rule timeline. Returns an :class:`~geo_heart.analysis.evaluate.EvaluationResult`
        (``.to_dict()``: ``effect``, ``ci95``, ``p_value``, ``method``, ``mde``, ``event_study``,
        ``pre_trend_p``, ``placebo``, ``dose`` …; ``.summary()``: one sentence).
        """
        from geo_heart.analysis.evaluate import evaluate_calls

        data = data if data is not None else self.load_calls()
        return evaluate_calls(self, data, **options)

    def equity(self, data: CallData | None = None, **options: Any):
        """Who the service area reaches under a rule set (``rules=``/``as_of=``), by census tract
        and resident group (:func:`geo_heart.analysis.equity.equity_analysis`)."""
        from geo_heart.analysis.equity import equity_analysis

        data = data if data is not None else self.load_calls()
        return equity_analysis(self, data, **options)


def _with_points(
    out: pd.DataFrame,
    data: pd.DataFrame,
    lon: str,
    lat: str,
    *,
    prefix: str,
    crs: str = "EPSG:4326",
    valid=None,
    xy=None,
):
    """``out`` (``data``'s columns + results) as a GeoDataFrame of its ``lon``/``lat`` (x/y)
    points in ``crs`` (missing where either is not a number or ``valid`` is False), with
    ``data``'s index; the geometry column is ``geometry`` unless ``data`` has that name, then
    ``<prefix>geometry``. ``xy``: those two columns already as float arrays (not parsed
    again)."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    out.index = data.index
    if xy is not None:
        x, y = xy
    else:
        x = pd.to_numeric(out[lon], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(out[lat], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if valid is not None:  # e.g. coordinates out of range: no point
        ok &= valid
    points = np.full(len(out), None, dtype=object)
    points[ok] = shapely.points(x[ok], y[ok])
    from geo_heart.geo.names import result_column_names

    # the rule of every result column: gh_geometry where data has the name (ignoring case)
    name = result_column_names(data.columns, ("geometry",), prefix=prefix, source="data")[
        "geometry"
    ]
    frame = pd.DataFrame(out, copy=False)  # a GeoDataFrame input keeps its geometry as a column
    frame[name] = gpd.GeoSeries(points, index=out.index, crs=crs)
    return gpd.GeoDataFrame(frame, geometry=name, crs=crs, copy=False)


def _mark_input_columns(out, data):
    """Record ``data``'s columns in ``out.attrs`` (:data:`geo_heart.geo.names.INPUT_COLUMNS_ATTR`),
    so a later :func:`~geo_heart.io.vector.write_vector` knows which columns are the user's
    without being told (a Shapefile then writes the results under their fixed fields)."""
    from geo_heart.geo.names import INPUT_COLUMNS_ATTR

    out.attrs[INPUT_COLUMNS_ATTR] = [str(c) for c in data.columns]
    return out
