"""Vectorised beat assignment for tables of points."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo_heart.errors import CRSError, InputError
from geo_heart.geo.coords import lonlat_from_columns
from geo_heart.geo.workspace import Workspace
from geo_heart.io.tables import require_columns

#: Columns :func:`assign_table` adds (``gh_``-prefixed where the input has the name).
RESULT_COLUMNS = ("beat", "district", "in_service_area", "status", "reason")
#: Added too when the input's coordinates are x/y in another CRS: the WGS84 point
XY_COLUMNS = ("lon", "lat")
#: Prefix of a result column whose name the input already uses (``gh_beat``), for every command.
RESULT_PREFIX = "gh_"
#: dBASE (Shapefile) field names keep this many characters
DBF_NAME_CHARS = 10


def name_keys(name: str) -> tuple[str, str]:
    """How output formats compare a column name: ignoring case (GeoPackage, SQLite, OGR) and on
    its first 10 characters ignoring case (Shapefile's dBASE)."""
    low = str(name).lower()
    return low, low[:DBF_NAME_CHARS]


def result_column_names(
    columns, results, *, prefix: str = RESULT_PREFIX, source: str = "input"
) -> dict[str, str]:
    """Result column → output name: ``prefix + name`` where the input already has ``name``.

    Names are compared the way the strictest output format compares them (:func:`name_keys`):
    an input ``BEAT`` clashes with the result ``beat`` (GeoPackage and Shapefile ignore case)
    and an input ``IN_SERVICE`` with ``in_service_area`` (a Shapefile keeps 10 characters). So
    the names are the same whatever the output format, and decided from the header alone,
    before any work.

    Raises
    ------
    InputError
        If the prefixed name is taken as well (e.g. both ``lon`` and ``gh_lon``).
    """
    cols = list(map(str, columns))
    full = {k[0]: c for c in cols for k in [name_keys(c)]}
    short = {k[1]: c for c in cols for k in [name_keys(c)]}

    def clash(name: str) -> str | None:
        low, cut = name_keys(name)
        return full.get(low) or short.get(cut)

    names = {}
    for c in results:
        name = f"{prefix}{c}" if clash(c) else c
        other = clash(name)
        if other:
            raise InputError(
                f"{source!r} has both {clash(c)!r} and {other!r} columns, so the result column "
                f"{c!r} has no free name (names are compared ignoring case and, for Shapefile "
                f"output, on their first {DBF_NAME_CHARS} characters); rename one of them"
            )
        names[c] = name
    return names


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
    return lon, lat, problem


def _coordinates(
    df: pd.DataFrame, lon_column: str, lat_column: str, source: str, input_crs: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """:func:`coordinates_from_table` plus the mask of rows with a problem and, for a table,
    its coordinate columns as floats (x, y in ``input_crs``; lon, lat without one)."""
    crs = input_crs_of(input_crs)
    n = len(df)
    problem = np.full(n, "", dtype=object)
    geom_col = getattr(df, "_geometry_column_name", None)
    if geom_col is not None and geom_col in df.columns:
        import shapely

        gs = df.geometry
        if gs.crs is None:
            raise CRSError(f"{source!r} has geometries but no CRS; assign one and retry")
        gs = gs.to_crs(4326)
        arr = gs.values._data if hasattr(gs.values, "_data") else np.asarray(gs.values)
        arr = np.asarray(arr, dtype=object)
        type_id = shapely.get_type_id(arr)  # -1 for a missing geometry
        missing = (type_id == -1) | shapely.is_empty(arr)
        is_point = type_id == 0
        ok = is_point & ~missing
        if ok.all():  # the usual layer of points: no selection copies
            lon, lat = shapely.get_x(arr), shapely.get_y(arr)
        else:
            lon = np.full(n, np.nan)
            lat = np.full(n, np.nan)
            lon[ok] = shapely.get_x(arr[ok])
            lat[ok] = shapely.get_y(arr[ok])
        problem[missing] = "no geometry"
        problem[~missing & ~is_point] = "geometry is not a point"
        return lon, lat, problem, ~ok, None
    if crs is not None:
        require_columns(df, {"--x-column": lon_column, "--y-column": lat_column}, source)
        return _projected_coordinates(df, lon_column, lat_column, crs)
    require_columns(df, {"--lon-column": lon_column, "--lat-column": lat_column}, source)
    lon, lat, _valid = lonlat_from_columns(df, lon_column, lat_column)
    bad_lon = ~np.isfinite(lon) | (np.abs(lon) > 180)
    bad_lat = ~np.isfinite(lat) | (np.abs(lat) > 90)
    _note_bad_values(problem, df, bad_lon, lon_column, " in -180..180")
    _note_bad_values(problem, df, bad_lat, lat_column, " in -90..90")
    return lon, lat, problem, bad_lon | bad_lat, (lon, lat)


def _note_bad_values(problem: np.ndarray, df: pd.DataFrame, mask, col: str, rng: str) -> None:
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
    cur = problem[mask]
    problem[mask] = np.where(cur == "", text, cur + "; " + text)


def _projected_coordinates(df: pd.DataFrame, x_column: str, y_column: str, crs: str):
    """x/y columns in ``crs`` → WGS84 lon/lat, a per-row problem text, its mask and (x, y)."""
    from pyproj import Transformer

    from geo_heart.geo.coords import numbers

    x, y = numbers(df[x_column]), numbers(df[y_column])
    n = len(df)
    problem = np.full(n, "", dtype=object)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any():
        tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        lon[ok], lat[ok] = tr.transform(x[ok], y[ok], errcheck=False)
    with np.errstate(invalid="ignore"):
        bad_point = ok & ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90))
    _note_bad_values(problem, df, ~np.isfinite(x), x_column, "")
    _note_bad_values(problem, df, ~np.isfinite(y), y_column, "")
    problem[bad_point] = f"x, y is not a point of {crs}"
    lon[bad_point] = lat[bad_point] = np.nan
    return lon, lat, problem, ~ok | bad_point, (x, y)


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
) -> tuple[pd.DataFrame, dict[str, int], tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """:func:`assign_table`, plus (for a table, not a layer) the rows' x, y in the input's CRS
    and the mask of rows that are not invalid, from which a caller builds point geometries
    without parsing the columns again."""
    crs = input_crs_of(input_crs)
    layer = getattr(df, "_geometry_column_name", None) is not None
    projected = crs is not None and not layer
    lon, lat, problem, has_problem, xy = _coordinates(df, lon_column, lat_column, source, input_crs)
    # positions from locate_many with problem rows set to -2: beat/district None, status invalid
    res = ws.beat_index.assign(lon, lat, invalid=has_problem)
    pos = res["pos"]
    status = res["status"]
    reason = res["reason"]
    reason[has_problem] = problem[has_problem]
    beat = res["beat"]
    district = res["district"]
    from geo_heart.geo.workspace import service_area_today

    judged = None
    if at_column:
        from geo_heart.geo.rules_at import AT_COLUMNS, judge_column

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
    results = RESULT_COLUMNS + (XY_COLUMNS if projected else ())
    if judged is not None:
        results = results + AT_COLUMNS
    names = result_column_names(df.columns, results, source=source)
    out = df.copy()
    if projected:
        lon_out, lat_out = lon.copy(), lat.copy()
        lon_out[has_problem] = lat_out[has_problem] = np.nan
        out[names["lon"]] = lon_out
        out[names["lat"]] = lat_out
    out[names["beat"]] = beat
    out[names["district"]] = district
    out[names["in_service_area"]] = in_sa
    out[names["status"]] = status
    out[names["reason"]] = reason
    if judged is not None:
        out[names["rules"]] = judged.rules
        out[names["service_area"]] = judged.service_area
        out[names["programs"]] = judged.programs
    n_invalid = int((pos == -2).sum())
    n_ok = int((pos >= 0).sum())
    summary = {
        "rows": len(out),
        "ok": n_ok,
        "outside": len(out) - n_ok - n_invalid,
        "invalid": n_invalid,
        "in_service_area": int(in_sa.sum()),
    }
    if judged is not None:
        summary["rules_at"] = judged.counts
    points = None
    if xy is not None:
        points = (xy[0], xy[1], pos != -2)
    return out, summary, points


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
    if census:  # a GEOID column without a free name is refused before any work
        from geo_heart.geo.census import census_column_names

        census_column_names(ws.config, df.columns, source=source)
    out, summary, points = _assign_table(
        ws, df, lon_column=lon_column, lat_column=lat_column, source=source, input_crs=input_crs,
        at_column=at_column, at_time_zone=at_time_zone,
    )  # fmt: skip
    if not census:
        return out, summary, points
    from geo_heart.geo.census import add_census_geoids, census_column_names, census_geoid_columns

    if getattr(out, "_geometry_column_name", None) is not None:  # a layer: GEOIDs from its points
        import shapely

        names = census_column_names(ws.config, df.columns, source=source)
        arr = np.asarray(out.geometry.to_crs(4326).array, dtype=object)
        # only points carry GEOIDs (a line or polygon row is invalid above, never an error here)
        is_pt = (shapely.get_type_id(arr) == 0) & ~shapely.is_empty(arr)
        lon_pt, lat_pt = np.full(len(arr), np.nan), np.full(len(arr), np.nan)
        lon_pt[is_pt], lat_pt[is_pt] = shapely.get_x(arr[is_pt]), shapely.get_y(arr[is_pt])
        for col, values in census_geoid_columns(ws, lon_pt, lat_pt).items():
            out[names[col]] = values
        return out, summary, points
    lon_out, lat_out = output_point_columns(
        df.columns, lon_column=lon_column, lat_column=lat_column, input_crs=input_crs
    )
    out = add_census_geoids(
        ws, out, lon_column=lon_out, lat_column=lat_out, input_columns=df.columns, source=source
    )
    return out, summary, points


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
