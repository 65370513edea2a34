"""Vectorised beat assignment for tables of points."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo_heart.errors import CRSError
from geo_heart.geo.beats import projected_like
from geo_heart.geo.coords import lonlat_from_columns
from geo_heart.geo.names import (  # noqa: F401  (re-exported: where every command gets them)
    DBF_NAME_CHARS,
    RESULT_PREFIX,
    name_keys,
    result_column_names,
)
from geo_heart.geo.workspace import Workspace
from geo_heart.io.tables import require_columns

#: Columns :func:`assign_table` adds (``gh_``-prefixed where the input has the name).
RESULT_COLUMNS = ("beat", "district", "in_service_area", "status", "reason")
#: Added too when the input's coordinates are x/y in another CRS: the WGS84 point
XY_COLUMNS = ("lon", "lat")


def is_wgs84(crs: object) -> bool:
    """True for ``None`` and the CRSs that are WGS84 longitude/latitude (EPSG:4326, OGC:CRS84)."""
    if crs is None:
        return True
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    return c.is_geographic and c.equals(CRS.from_epsg(4326), ignore_axis_order=True)


def input_crs_of(crs: object) -> str | None:
    """Check ``--input-crs`` (CRSError naming it); ``None`` for WGS84 longitude/latitude."""
    if crs is None:
        return None
    from pyproj import CRS

    try:
        c = CRS.from_user_input(crs)
    except Exception:  # pyproj raises its own CRSError
        raise CRSError(
            f"--input-crs {crs!r} is not a CRS pyproj understands (e.g. EPSG:2264)"
        ) from None
    return None if is_wgs84(c) else c.to_string()


def coordinates_from_table(
    df: pd.DataFrame,
    *,
    lon_column: str,
    lat_column: str,
    source: str = "input",
    input_crs: object = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 lon/lat arrays from a table, plus a per-row problem text ('' when fine).

    A GeoDataFrame's point geometries are used (transformed to WGS84 with ``always_xy``; a layer
    without a CRS is an error); otherwise the two columns are parsed as numbers: WGS84 longitude
    and latitude, or x and y in ``input_crs`` (e.g. State Plane feet, ``EPSG:2264``), transformed
    to WGS84 with ``always_xy``.
    """
    lon, lat, problem, _bad, _xy = _coordinates(df, lon_column, lat_column, source, input_crs)
    return lon, lat, np.full(len(df), "", dtype=object) if problem is None else problem


class _Problems:
    """Per-row problem texts ('' where fine), allocated at the first problem: a million rows
    without one never build a million-row object array."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.values: np.ndarray | None = None

    def array(self) -> np.ndarray:
        if self.values is None:
            self.values = np.full(self.n, "", dtype=object)
        return self.values


def _coordinates(
    df: pd.DataFrame, lon_column: str, lat_column: str, source: str, input_crs: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """:func:`coordinates_from_table` (its problem texts ``None`` when no row has one) plus the
    mask of rows with a problem and, for a table,
    its coordinate columns as floats (x, y in ``input_crs``; lon, lat without one)."""
    crs = input_crs_of(input_crs)
    problem = _Problems(len(df))
    geom_col = getattr(df, "_geometry_column_name", None)
    if geom_col is not None and geom_col in df.columns:
        lon, lat, has_problem = _layer_coordinates(df, problem, source)
        return lon, lat, problem.values, has_problem, None
    if crs is not None:
        require_columns(df, {"--x-column": lon_column, "--y-column": lat_column}, source)
        return _projected_coordinates(df, lon_column, lat_column, crs, problem)
    require_columns(df, {"--lon-column": lon_column, "--lat-column": lat_column}, source)
    lon, lat, _valid = lonlat_from_columns(df, lon_column, lat_column)
    bad_lon = ~np.isfinite(lon) | (np.abs(lon) > 180)
    bad_lat = ~np.isfinite(lat) | (np.abs(lat) > 90)
    _note_bad_values(problem, df, bad_lon, lon_column, " in -180..180")
    _note_bad_values(problem, df, bad_lat, lat_column, " in -90..90")
    return lon, lat, problem.values, bad_lon | bad_lat, (lon, lat)


def _layer_coordinates(df, problem: _Problems, source: str):
    """WGS84 lon/lat of a GeoDataFrame's point geometries (NaN elsewhere), noting in ``problem``
    rows without a geometry or whose geometry is not a point; returns lon, lat and their mask.

    The geometry array is read in place (no points are built or copied): one pass each for x
    and y when every row is a point (``get_x`` gives NaN for anything else, so only then are
    the geometry types read).
    """
    import shapely

    gs = df.geometry
    if gs.crs is None:
        raise CRSError(f"{source!r} has geometries but no CRS; assign one and retry")
    gs = gs.to_crs(4326)  # no work for a layer already in EPSG:4326
    arr = gs.values._data if hasattr(gs.values, "_data") else np.asarray(gs.values)
    arr = np.asarray(arr, dtype=object)
    try:  # the usual layer of points: x and y read in place, no type pass, no selection copy
        lon, lat = shapely.get_x(arr), shapely.get_y(arr)  # NaN for a non-point or missing row
        if not (np.isnan(lon).any() or np.isnan(lat).any()):
            return lon, lat, np.zeros(len(arr), dtype=bool)
    except shapely.errors.GEOSException:  # an empty point: sorted out below
        pass
    n = len(arr)
    type_id = shapely.get_type_id(arr)  # -1 for a missing geometry
    missing = (type_id == -1) | shapely.is_empty(arr)
    is_point = type_id == 0
    ok = is_point & ~missing
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    lon[ok] = shapely.get_x(arr[ok])
    lat[ok] = shapely.get_y(arr[ok])
    if (~ok).any():
        text = problem.array()
        text[missing] = "no geometry"
        text[~missing & ~is_point] = "geometry is not a point"
    return lon, lat, ~ok


def _note_bad_values(problem: _Problems, df: pd.DataFrame, mask, col: str, rng: str) -> None:
    """Add ``col='v' is not a number{rng}`` (or ``col is empty``) to ``problem`` where ``mask``."""
    if not mask.any():
        return
    vals = df[col].to_numpy(dtype=object)[mask]
    text = np.array(
        [
            f"{col}={v!r} is not a number{rng}" if str(v).strip() else f"{col} is empty"
            for v in vals
        ],
        dtype=object,
    )
    values = problem.array()
    cur = values[mask]
    values[mask] = np.where(cur == "", text, cur + "; " + text)


def _projected_coordinates(
    df: pd.DataFrame, x_column: str, y_column: str, crs: str, problem: _Problems
):
    """x/y columns in ``crs`` → WGS84 lon/lat, a per-row problem text, its mask and (x, y)."""
    from pyproj import Transformer

    from geo_heart.geo.coords import numbers

    x, y = numbers(df[x_column]), numbers(df[y_column])
    n = len(df)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any():
        tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        lon[ok], lat[ok] = tr.transform(x[ok], y[ok], errcheck=False)
    with np.errstate(invalid="ignore"):
        bad_point = ok & ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90))
    _note_bad_values(problem, df, ~np.isfinite(x), x_column, "")
    _note_bad_values(problem, df, ~np.isfinite(y), y_column, "")
    if bad_point.any():
        problem.array()[bad_point] = f"x, y is not a point of {crs}"
    lon[bad_point] = lat[bad_point] = np.nan
    return lon, lat, problem.values, ~ok | bad_point, (x, y)


def assign_table(
    ws: Workspace,
    df: pd.DataFrame,
    *,
    lon_column: str = "lon",
    lat_column: str = "lat",
    source: str = "input",
    input_crs: object = None,
    at_column: str | None = None,
    at_time_zone: str | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Return ``df`` with ``beat``, ``district``, ``in_service_area``, ``status``, ``reason`` added.

    One output row per input row, same order, the input's columns unchanged: where the input
    already has a column of a result's name, the result is written as ``gh_<name>``
    (:func:`result_column_names`). The
    summary counts ok/outside/invalid rows.

    With ``input_crs`` (e.g. ``"EPSG:2264"``), ``lon_column``/``lat_column`` name the x and y
    columns in that CRS, and the WGS84 ``lon`` and ``lat`` are added too (:data:`XY_COLUMNS`).
    """
    out, summary, _points = _assign_table(
        ws, df, lon_column=lon_column, lat_column=lat_column, source=source,
        input_crs=input_crs, at_column=at_column, at_time_zone=at_time_zone,
    )  # fmt: skip
    return out, summary


def _assign_table(
    ws: Workspace,
    df: pd.DataFrame,
    *,
    lon_column: str,
    lat_column: str,
    source: str,
    input_crs: object,
    at_column: str | None,
    at_time_zone: str | None,
    census: bool = False,
) -> tuple[pd.DataFrame, dict[str, int], tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """:func:`assign_table` (with ``census``, :func:`assign_chunk`), plus (for a table, not a
    layer) the rows' x, y in the input's CRS and the mask of rows that are not invalid, from
    which a caller builds point geometries without parsing the columns again.

    Every result column is computed as an array first and joined to one copy of ``df`` at the end
    (no column is copied twice, no point is built).
    """
    crs = input_crs_of(input_crs)
    layer = getattr(df, "_geometry_column_name", None) is not None
    projected = crs is not None and not layer
    # every result's name before any work (gh_<name> where df has the name; refused if taken)
    from geo_heart.geo.census import census_columns
    from geo_heart.geo.rules_at import AT_COLUMNS

    results = RESULT_COLUMNS + (XY_COLUMNS if projected else ()) + (AT_COLUMNS if at_column else ())
    geoids = census_columns(ws.config) if census else ()
    names = result_column_names(df.columns, results + geoids, source=source)
    lon, lat, problem, has_problem, xy = _coordinates(df, lon_column, lat_column, source, input_crs)
    # positions from locate_many with problem rows set to -2: beat/district None, status invalid
    res = ws.beat_index.assign(lon, lat, invalid=has_problem)
    # problem rows holding finite numbers out of WGS84's range (projected x/y as lon/lat?)
    n_projected = int(projected_like(lon, lat, has_problem).sum()) if has_problem.any() else 0
    pos = res["pos"]
    reason = res["reason"]
    if has_problem.any():
        reason[has_problem] = problem[has_problem]
    beat = res["beat"]
    from geo_heart.geo.workspace import service_area_today

    judged = None
    if at_column:
        from geo_heart.geo.rules_at import judge_column

        judged = judge_column(
            ws.config, df, beat.tolist(), at_column=at_column, time_zone=at_time_zone,
            source=source,
        )  # fmt: skip
        in_sa = judged.in_service_area
    else:
        sa = service_area_today(ws.config)
        # one flag per beat position, then -1 (outside) and -2 (invalid): never in the area
        member = np.array([sa.contains(b) for b in ws.beat_index.beats] + [False, False])
        in_sa = member[pos]
    if has_problem.any():  # the points located: problem rows have none (NaN, never a GEOID)
        lon, lat = lon.copy(), lat.copy()
        lon[has_problem] = lat[has_problem] = np.nan
    columns: dict[Any, np.ndarray] = {}
    if projected:
        columns[names["lon"]] = lon
        columns[names["lat"]] = lat
    columns[names["beat"]] = beat
    columns[names["district"]] = res["district"]
    columns[names["in_service_area"]] = in_sa
    columns[names["status"]] = res["status"]
    columns[names["reason"]] = reason
    if judged is not None:
        columns[names["rules"]] = judged.rules
        columns[names["service_area"]] = judged.service_area
        columns[names["programs"]] = judged.programs
    if census:
        from geo_heart.geo.census import census_geoid_columns

        for col, values in census_geoid_columns(ws, lon, lat).items():
            columns[names[col]] = values  # gh_tract_geoid where df has tract_geoid
    out = with_columns(df, columns)
    n_invalid = int((pos == -2).sum())
    n_ok = int((pos >= 0).sum())
    summary = {
        "rows": len(out),
        "ok": n_ok,
        "outside": len(out) - n_ok - n_invalid,
        "invalid": n_invalid,
        "invalid_projected": n_projected,
        "in_service_area": int(in_sa.sum()),
    }
    if judged is not None:
        summary["rules_at"] = judged.counts
    points = None
    if xy is not None:
        points = (xy[0], xy[1], pos != -2)
    return out, summary, points


def with_columns(df: pd.DataFrame, columns: dict[Any, np.ndarray]) -> pd.DataFrame:
    """One copy of ``df`` (as :meth:`pandas.DataFrame.assign` makes) with ``columns`` added
    (replacing any of the same name in place), the arrays taken as they are, not copied again.

    A GeoDataFrame stays one, with its geometry column and CRS.
    """
    if not df.columns.is_unique:  # a dict of columns cannot hold repeated names
        base = df.copy()
        for name, values in columns.items():
            base[name] = values
        return base
    geom = getattr(df, "_geometry_column_name", None)
    if geom not in df.columns:
        geom = None
    # each input column copied once (the geometry by GeoDataFrame below, which copies it)
    data: dict[Any, Any] = {c: df[c].array if c == geom else df[c].array.copy() for c in df.columns}
    data.update(columns)
    out = pd.DataFrame(data, index=df.index.copy(), copy=False)
    out.columns.name = df.columns.name
    out.attrs = dict(df.attrs)
    if geom is not None:
        import geopandas as gpd

        out = gpd.GeoDataFrame(out, geometry=geom, copy=False)
        # copy-on-write pandas (3.x) keeps the input's geometry, untracked: a write to the
        # result would reach df. Copied then (pandas 2 has already copied it above).
        if np.shares_memory(np.asarray(out[geom].array), np.asarray(data[geom])):
            out[geom] = data[geom].copy()
    return out


def assign_chunk(ws: Workspace, df: pd.DataFrame, **options: Any) -> tuple[pd.DataFrame, dict]:
    """:func:`assign_table` plus census tract and block-group GEOIDs (where configured).

    The unit of work of ``geo-heart assign``: one chunk of rows with the local engine (the table
    is streamed), one partition per task with ``--engine dask``. A layer's point geometries are
    used (the geometry is kept). ``options`` are the keywords of :func:`assign_chunk_points`
    (``lon_column``, ``lat_column``, ``source``, ``census``, ``input_crs``, ``at_column``,
    ``at_time_zone``).
    """
    out, summary, _points = assign_chunk_points(ws, df, **options)
    return out, summary


def assign_chunk_points(
    ws: Workspace,
    df: pd.DataFrame,
    *,
    lon_column: str = "lon",
    lat_column: str = "lat",
    source: str = "input",
    census: bool = True,
    input_crs: object = None,
    at_column: str | None = None,
    at_time_zone: str | None = None,
) -> tuple[pd.DataFrame, dict[str, int], tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """:func:`assign_chunk`, plus for a table (``None`` for a layer) the float arrays ``x``, ``y``
    of its coordinate columns (in ``input_crs``) and the mask of rows whose status is not
    ``invalid``: where those rows' points are (``Area.assign`` builds its geometry from them)."""
    return _assign_table(
        ws, df, lon_column=lon_column, lat_column=lat_column, source=source, input_crs=input_crs,
        at_column=at_column, at_time_zone=at_time_zone, census=census,
    )  # fmt: skip


def output_point_columns(
    columns, *, lon_column: str, lat_column: str, input_crs: object = None
) -> tuple[str, str]:
    """The WGS84 lon/lat columns of :func:`assign_table`'s result for a table with ``columns``.

    The input's own columns, or (with a projected ``input_crs``) the added ``lon``/``lat``
    (``gh_lon``/``gh_lat`` where the input has those names).
    """
    if input_crs_of(input_crs) is None:
        return lon_column, lat_column
    names = result_column_names(columns, RESULT_COLUMNS + XY_COLUMNS)
    return names["lon"], names["lat"]
