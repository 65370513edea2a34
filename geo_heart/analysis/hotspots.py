"""Hot spots of eligible demand: Getis-Ord Gi* (esda) by beat and by H3 hexagon.

The variable is the number of calls eligible by call type for any program (``eligible_any``), or
for one program. Gi* compares each unit's neighbourhood sum (the unit included) with the city-wide
mean; a large positive z is a hot spot, a large negative z a cold spot. Significance is the
permutation pseudo p-value (``p_sim``, conditional randomisation, 999 permutations, fixed seed),
corrected for testing every unit at once with the Benjamini–Hochberg false-discovery rate
(``p_fdr``, the BH-adjusted p-value within one analysis: all beats, or all hexagons). Classes use
``p_fdr``: ``hot 99%`` (≤ 0.01), ``hot 95%`` (≤ 0.05), ``hot 90%`` (≤ 0.10), the same for
``cold``, else ``not significant``.

* **Beats** — Queen contiguity of the beat polygons (libpysal). The special codes of the area
  file (``[beats.special.*]``: Sheriff territory 999, special service area 299) are left out: they
  are not ordinary police beats and would show as artificial cold spots.
* **Hexagons** — H3 cells (resolution 8, about 0.74 km² each) covering the city beats; neighbours
  are the six adjacent cells. Counts come only from call points (calls with coordinates). When
  the calls carry only a beat there is no hexagon layer and no hexagon test: spreading beat
  counts over cells by area would be a modelled surface, and testing it finds "significant"
  patterns that are artefacts of the spreading (``HotSpots.hex_note`` says why).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_heart.analysis.calls import CallData
from geo_heart.errors import InputError
from geo_heart.geo.workspace import Workspace

log = logging.getLogger(__name__)

H3_RESOLUTION = 8
PERMUTATIONS = 999
SEED = 12345


@dataclass
class HotSpots:
    """Gi* results.

    Attributes
    ----------
    beats
        GeoDataFrame (EPSG:4326): beat, district, value, gi_z, p_sim, p_norm, hotspot.
    hexagons
        GeoDataFrame (EPSG:4326): h3, value, gi_z, p_sim, p_norm, hotspot; ``None`` if not computed.
    hex_source
        ``"points"``, or ``""`` when no hexagons were computed.
    variable
        What was counted (e.g. ``eligible_any``).
    hex_note
        Why there are no hexagons (e.g. the calls carry only a beat), else ``""``.
    """

    beats: object
    hexagons: object | None
    hex_source: str
    variable: str
    hex_note: str = ""


NO_POINTS_NOTE = (
    "no hexagon map or hexagon hot spots: the calls carry only a beat, not a location, and "
    "testing counts spread over hexagons by area would find artefacts of the spreading"
)


def fdr_bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), same order as ``p``.

    ``q_(i) = min_{j >= i} (n / j) p_(j)`` over the sorted p-values, capped at 1.
    """
    p = np.asarray(p, dtype=float)
    n = len(p)
    if n == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def classify_gi(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Hot/cold class from Gi* z-scores and pseudo p-values."""
    out = np.full(len(z), "not significant", dtype=object)
    for level, name in ((0.10, "90%"), (0.05, "95%"), (0.01, "99%")):
        sig = p <= level
        out[sig & (z > 0)] = f"hot {name}"
        out[sig & (z < 0)] = f"cold {name}"
    return out


def _gi_star(values: np.ndarray, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from esda.getisord import G_Local

    y = np.asarray(values, dtype=float)
    if len(y) < 3 or np.allclose(y, y[0]):
        n = len(y)
        return np.zeros(n), np.ones(n), np.ones(n)
    with warnings.catch_warnings():
        # esda warns about islands/zero variance neighbourhoods; the results for those units are
        # reported as not significant. The permutations are drawn below (_p_sim), not by esda.
        warnings.simplefilter("ignore")
        g = G_Local(y, w, transform="B", permutations=0, star=True)
    zs = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    return (
        zs,
        _p_sim(y, g.w, np.asarray(g.Gs, dtype=float), PERMUTATIONS, SEED),
        np.nan_to_num(np.asarray(g.p_norm, dtype=float), nan=1.0),
    )


def _p_sim(y: np.ndarray, w, observed: np.ndarray, permutations: int, seed: int) -> np.ndarray:
    """Gi* pseudo p-values by conditional randomisation, vectorised in NumPy.

    The same test as esda's ``crand`` (``G_Local(..., permutations=999, seed=...)``): each unit
    keeps its own value and self-weight, its neighbours' values are drawn without replacement from
    the other units (one draw of ``max cardinality`` ids per permutation from the legacy NumPy
    generator seeded with ``seed``, as esda draws them), and the directed (folded one-sided)
    pseudo p-value is ``(min(larger, permutations - larger) + 1) / (permutations + 1)``, rounded to
    float32 as esda stores it. Identical p-values to esda's; done here because esda's numba kernels
    are not cached on disk, so with numba installed (it comes with ``wildboottest``) every process
    spent ~35 s compiling them.
    """
    adj = w.sparse.tocsr(copy=True)
    self_w = adj.diagonal().astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adj.setdiag(0)
    adj.eliminate_zeros()
    n = len(y)
    card = np.diff(adj.indptr)
    max_card = int(card.max()) if n else 0
    rng = np.random.RandomState(seed)
    ids = np.empty((permutations, max_card), dtype=np.int64)
    for k in range(permutations):
        ids[k] = rng.choice(n - 1, size=max_card, replace=False)
    scaling = y.sum()
    p = np.empty(n, dtype=np.float32)
    for i in range(n):
        weights = adj.data[adj.indptr[i] : adj.indptr[i + 1]].astype(float)
        others = np.delete(y, i)
        stats = (others[ids[:, : card[i]]] @ weights + self_w[i] * y[i]) / scaling
        larger = int((stats >= observed[i]).sum())
        larger = min(larger, permutations - larger)
        p[i] = (larger + 1.0) / (permutations + 1.0)
    return p.astype(float)


def city_beats(ws: Workspace):
    """The ordinary beats (EPSG:4326): the layer without the area file's special codes."""
    gdf = ws.beat_index.to_geodataframe()
    special = set(ws.config.beats.special)
    return gdf[~gdf["beat"].isin(special)].reset_index(drop=True)


def beat_values(data: CallData, *, program: str | None = None) -> pd.Series:
    """Eligible-by-type calls per beat (any program, or one program)."""
    f = data.frame
    if program is None:
        col = f[[f"{p}_type" for p in data.programs]].any(axis=1)
    else:
        if program not in data.programs:
            raise InputError(f"unknown program {program!r}; programs: {data.programs}")
        col = f[f"{program}_type"]
    return col[f["beat"].notna()].groupby(f.loc[f["beat"].notna(), "beat"]).sum()


def beat_hotspots(
    ws: Workspace, data: CallData, *, program: str | None = None, metric: str = "count"
):
    """Gi* by beat (Queen contiguity) on eligible calls (``metric="count"``) or on eligible calls
    per square mile (``metric="per_sq_mi"``, fairer when beats differ much in size)."""
    from libpysal.weights import Queen

    if metric not in ("count", "per_sq_mi"):
        raise InputError(f"hot-spot metric {metric!r}: use 'count' or 'per_sq_mi'")
    gdf = city_beats(ws)
    vals = beat_values(data, program=program).reindex(gdf["beat"]).fillna(0).to_numpy()
    if metric == "per_sq_mi":
        areas = ws.beat_index.area_sq_mi()
        vals = vals / np.array([areas[b] for b in gdf["beat"]])
    proj = gdf.to_crs(ws.config.projected_crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(proj, use_index=False, silence_warnings=True)
    z, p, pn = _gi_star(vals, w)
    return _with_gi(gdf, vals, z, p, pn, value_decimals=3)


def hex_cells_for(ws: Workspace, *, resolution: int = H3_RESOLUTION):
    """H3 cells covering the city beats, as a GeoDataFrame (h3, geometry; EPSG:4326)."""
    import geopandas as gpd
    import h3
    import shapely

    beats = city_beats(ws)
    union = shapely.union_all(beats.geometry.values)
    # every cell that overlaps a beat, however small the overlap (beats have small enclaves)
    shape = h3.geo_to_h3shape(union.__geo_interface__)
    cells = set(h3.h3shape_to_cells_experimental(shape, resolution, contain="overlap"))
    polys = {c: _cell_polygon(c) for c in cells}
    keep = sorted(c for c in cells if shapely.intersects(polys[c], union))
    return gpd.GeoDataFrame({"h3": keep}, geometry=[polys[c] for c in keep], crs="EPSG:4326")


def _cell_polygon(cell: str):
    import h3
    import shapely

    return shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])


def hex_values(
    ws: Workspace, data: CallData, cells, *, program: str | None = None
) -> tuple[np.ndarray, str]:
    """Eligible calls per H3 cell from call points.

    Raises
    ------
    InputError
        When the calls carry no coordinates (see :data:`NO_POINTS_NOTE`).
    """
    import h3

    f = data.frame
    if program is None:
        elig = f[[f"{p}_type" for p in data.programs]].any(axis=1).to_numpy()
    else:
        elig = f[f"{program}_type"].to_numpy()
    index = {c: i for i, c in enumerate(cells["h3"])}
    out = np.zeros(len(cells), dtype=float)
    if data.has_points:
        lon = f["lon"].to_numpy(dtype=float)
        lat = f["lat"].to_numpy(dtype=float)
        ok = elig & np.isfinite(lon) & np.isfinite(lat)
        res = h3.get_resolution(cells["h3"].iloc[0]) if len(cells) else H3_RESOLUTION
        ids = [h3.latlng_to_cell(y, x, res) for x, y in zip(lon[ok], lat[ok], strict=True)]
        for c, n in pd.Series(ids).value_counts().items():
            i = index.get(c)
            if i is not None:
                out[i] += n
        return out, "points"
    raise InputError(NO_POINTS_NOTE)


def hex_hotspots(
    ws: Workspace, data: CallData, *, program: str | None = None, resolution: int = H3_RESOLUTION
):
    """Gi* by H3 hexagon (rook-like adjacency: the six neighbouring cells)."""
    import h3
    from libpysal.weights import W

    cells = hex_cells_for(ws, resolution=resolution)
    vals, source = hex_values(ws, data, cells, program=program)
    ids = cells["h3"].tolist()
    present = set(ids)
    neighbors = {c: [n for n in h3.grid_disk(c, 1) if n != c and n in present] for c in ids}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = W(neighbors, silence_warnings=True)
    pos = {c: i for i, c in enumerate(ids)}
    take = np.array([pos[c] for c in w.id_order])  # W order -> row of ``cells``
    z_w, p_w, pn_w = _gi_star(vals[take], w)
    z, p, pn = np.zeros(len(ids)), np.ones(len(ids)), np.ones(len(ids))
    z[take], p[take], pn[take] = z_w, p_w, pn_w
    return _with_gi(cells, vals, z, p, pn, value_decimals=2), source


def hotspots(
    ws: Workspace,
    data: CallData,
    *,
    program: str | None = None,
    hexagons: bool = True,
    beat_metric: str = "count",
) -> HotSpots:
    """Gi* by beat and (optionally, only from call points) by H3 hexagon."""
    b = beat_hotspots(ws, data, program=program, metric=beat_metric)
    h, source, note = None, "", ""
    if hexagons and data.has_points:
        h, source = hex_hotspots(ws, data, program=program)
    elif hexagons:
        note = NO_POINTS_NOTE
        log.info(note)
    return HotSpots(
        beats=b,
        hexagons=h,
        hex_source=source,
        variable=f"eligible_{program or 'any'}",
        hex_note=note,
    )


def _with_gi(frame, vals, z, p, pn, *, value_decimals: int):
    """``frame`` plus the Gi* columns: value, z, permutation and normal p, FDR-adjusted p, class."""
    out = frame.copy()
    out["value"] = np.round(vals, value_decimals)
    out["gi_z"] = np.round(z, 4)
    out["p_sim"] = np.round(p, 4)
    out["p_norm"] = np.round(pn, 5)
    q = fdr_bh(p)
    out["p_fdr"] = np.round(q, 4)
    out["hotspot"] = classify_gi(z, q)
    return out
