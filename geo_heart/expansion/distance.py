"""Expansion geography: beat adjacency, demand points, team bases and distances from them."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo_heart.errors import InputError
from geo_heart.geo.coords import lonlat_from_columns

if TYPE_CHECKING:  # pragma: no cover
    from geo_heart.expansion.problem import ExpansionProblem

log = logging.getLogger(__name__)

METRES_PER_US_FOOT = 1200.0 / 3937.0


def beat_neighbors(
    ws, *, contiguity: str = "rook", tolerance_m: float = 1.0
) -> dict[str, set[str]]:
    """Beat adjacency from the beat polygons with libpysal.

    Parameters
    ----------
    contiguity
        ``"rook"`` (a shared edge) or ``"queen"`` (a shared edge or corner).
    tolerance_m
        Also join beats whose boundaries come within this distance (dissolved multi-part beats may
        leave slivers between neighbours); ``0`` turns it off.
    """
    import libpysal

    key = ("neighbors", contiguity, float(tolerance_m))
    if key in ws._cache:
        return {b: set(v) for b, v in ws._cache[key].items()}
    if contiguity not in ("rook", "queen"):
        raise InputError(f"contiguity must be 'rook' or 'queen', got {contiguity!r}")
    gdf = ws.beat_index.to_geodataframe().to_crs(ws.config.projected_crs).reset_index(drop=True)
    ids = gdf["beat"].tolist()
    cls = libpysal.weights.Rook if contiguity == "rook" else libpysal.weights.Queen
    w = cls.from_dataframe(gdf, use_index=False, ids=ids, silence_warnings=True)
    nb = {b: set(w.neighbors[b]) for b in ids}
    if tolerance_m > 0:
        import shapely

        unit = _crs_unit_m(ws.config.projected_crs)
        geoms = gdf.geometry.values
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_m / unit)
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i != j:
                nb[ids[i]].add(ids[j])
                nb[ids[j]].add(ids[i])
    ws._cache[key] = nb
    return {b: set(v) for b, v in nb.items()}


def _crs_unit_m(crs: str) -> float:
    from geo_heart.io.files import crs_unit_to_m

    return crs_unit_to_m(crs) or 1.0


def demand_points(ws, data, beats: Sequence[str], *, mask: np.ndarray | None = None) -> np.ndarray:
    """A demand point per beat in the projected CRS (``n × 2``).

    With call coordinates, the mean of the (eligible, ``mask``) calls' projected positions;
    otherwise (or for beats without such calls) the beat polygon's representative point.
    """
    from pyproj import Transformer

    crs = ws.config.projected_crs
    idx = ws.beat_index
    gdf = idx.to_geodataframe().set_index("beat").to_crs(crs)
    rep = gdf.geometry.representative_point()
    out = np.column_stack([rep.x.reindex(beats).to_numpy(), rep.y.reindex(beats).to_numpy()])
    f = data.frame
    if "lon" in f.columns and f["lon"].notna().any():
        m = f["lon"].notna().to_numpy() & f["lat"].notna().to_numpy()
        if mask is not None:
            m &= mask
        if m.any():
            tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
            x, y = tr.transform(f["lon"].to_numpy()[m], f["lat"].to_numpy()[m])
            pts = pd.DataFrame({"beat": f["beat"].to_numpy(dtype=object)[m], "x": x, "y": y})
            mean = pts.groupby("beat")[["x", "y"]].mean()
            for i, b in enumerate(beats):
                if b in mean.index:
                    out[i] = mean.loc[b].to_numpy()
    return out


def bases_from_table(
    ws,
    table: pd.DataFrame,
    *,
    source: str = "bases",
    name_column: str = "name",
    lon_column: str = "lon",
    lat_column: str = "lat",
    address_column: str = "address",
) -> pd.DataFrame:
    """Team bases as ``name, lon, lat`` from a table with lon/lat or (with the geocoder) addresses.

    Raises
    ------
    InputError
        No usable location columns, or a base that cannot be placed (row and value named).
    """
    df = table.reset_index(drop=True)
    names = (
        df[name_column].astype(str).tolist()
        if name_column in df.columns
        else [f"base {i + 1}" for i in range(len(df))]
    )
    if df.empty:
        raise InputError(f"{source}: no team bases in the file")
    if lon_column in df.columns and lat_column in df.columns:
        lon, lat, valid = lonlat_from_columns(df, lon_column, lat_column)
        for i in range(len(df)):
            if not valid[i]:
                raise InputError(
                    f"{source}: row {i + 2}: invalid {lon_column}/{lat_column} "
                    f"{df[lon_column].iloc[i]!r}, {df[lat_column].iloc[i]!r}"
                )
    elif address_column in df.columns:
        from geo_heart.geocode.match import geocoder_for

        res = geocoder_for(ws).geocode_many(df[address_column].astype(str).tolist())
        lon = pd.to_numeric(res["lon"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(res["lat"], errors="coerce").to_numpy(dtype=float)
        for i in range(len(df)):
            if not (np.isfinite(lon[i]) and np.isfinite(lat[i])):
                raise InputError(
                    f"{source}: row {i + 2}: could not geocode {address_column} "
                    f"{df[address_column].iloc[i]!r}"
                )
    else:
        raise InputError(
            f"{source}: needs {lon_column!r} and {lat_column!r} columns (or {address_column!r}); "
            f"has {list(df.columns)}"
        )
    return pd.DataFrame({"name": names, "lon": lon, "lat": lat})


def distances_from_bases(
    ws,
    problem: ExpansionProblem,
    bases: pd.DataFrame,
    *,
    method: str = "straight",
    roads_path=None,
) -> pd.DataFrame:
    """Distance in metres from each base to each beat's demand point.

    Parameters
    ----------
    bases
        ``name, lon, lat`` (:func:`bases_from_table`).
    method
        ``"straight"`` (straight line in the projected CRS) or ``"network"`` (shortest path over
        the road layer, snap distances included; see :mod:`geo_heart.geo.network`).
    roads_path
        Road line file (default: ``[layers.roads].file``).

    Returns
    -------
    pandas.DataFrame
        Index beats, one column per base, plus ``nearest_base`` and ``distance_m`` (to the nearest).
    """
    from pyproj import Transformer

    if problem.demand_xy is None:
        raise InputError("distances need demand points per beat (build the problem from calls)")
    if method not in ("straight", "network"):
        raise InputError(f"distance method must be 'straight' or 'network', got {method!r}")
    crs = ws.config.projected_crs
    unit = _crs_unit_m(crs)
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    bx, by = tr.transform(bases["lon"].to_numpy(dtype=float), bases["lat"].to_numpy(dtype=float))
    base_xy = np.column_stack([bx, by])
    pts = problem.demand_xy.loc[problem.beats, ["x", "y"]].to_numpy()
    if method == "straight":
        d = np.hypot(base_xy[:, None, 0] - pts[None, :, 0], base_xy[:, None, 1] - pts[None, :, 1])
    else:
        if roads_path is None:
            roads_path = ws.layer_path("roads")
        type_field = (
            ws.config.layer_value("roads", "type_field", "type")
            if "roads" in ws.config.layers
            else "type"
        )
        net = _network_cached(ws, str(roads_path), crs, type_field)
        d = net.distances(base_xy, pts)
    d = d * unit
    out = pd.DataFrame(d.T, index=pd.Index(problem.beats, name="beat"), columns=list(bases["name"]))
    out["nearest_base"] = out[list(bases["name"])].idxmin(axis=1)
    out["distance_m"] = out[list(bases["name"])].min(axis=1)
    return out


def _network_cached(ws, path: str, crs: str, type_field: str):
    from pathlib import Path

    from geo_heart.geo.network import RoadNetwork

    p = Path(path)
    if not p.exists():
        raise InputError(f"road file {path!r} does not exist")
    key = ("road_network", path, p.stat().st_mtime, crs, type_field)
    return ws.cached(key, lambda: RoadNetwork.from_file(p, crs, type_field=type_field))


def calls_within_distance(
    problem: ExpansionProblem, threshold_m: float, *, beats: Iterable[str] = ()
) -> dict[str, float]:
    """Eligible calls (``eligible_any`` and per program) in the current area plus ``beats`` whose
    beat demand point lies within ``threshold_m`` of the nearest base, and their share of the
    calls those beats cover."""
    if problem.distance_m is None:
        raise InputError("no distances: add team bases first (ExpansionProblem.with_distance)")
    sel = [b for b in problem.beats if b in set(problem.base) | set(beats)]
    near = [b for b in sel if problem.distance_m[b] <= threshold_m]
    out = {}
    for col in ["eligible_any"] + [f"eligible_{p}" for p in problem.programs]:
        tot = float(problem.demand.loc[sel, col].sum())
        hit = float(problem.demand.loc[near, col].sum())
        name = col[len("eligible_") :]
        out[f"within_{name}"] = hit
        out[f"share_within_{name}"] = round(hit / tot, 5) if tot else float("nan")
    return out
