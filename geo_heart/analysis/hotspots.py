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
    """Gi* of ``values`` on a libpysal ``W`` (binary: each unit's neighbours, itself included)."""
    return _gi_star_lists(values, [list(w.neighbors[i]) for i in w.id_order], w.id_order)


def _gi_star_lists(
    values: np.ndarray, neighbors: list[list], ids: list | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gi* z-scores, permutation and normal p-values with binary weights and the unit itself.

    ``neighbors[i]`` names unit ``i``'s neighbours (ids in ``ids``, default positions). The same
    figures as esda's ``G_Local(values, w, transform="B", star=True, permutations=999,
    seed=SEED)``: ``G*_i = (sum of y over i and its neighbours) / sum(y)``, its expectation
    ``c_i / n`` and variance ``c_i (n - c_i) / (n - 1) / n^2 * s^2 / ybar^2`` (``c_i`` neighbours
    plus itself; ``s^2`` the population variance), ``z = (G* - E) / sqrt(V)``, ``p_norm`` the
    one-sided normal tail of ``|z|`` and ``p_sim`` from :func:`_p_sim`. Computed here so a map
    run needs neither libpysal nor esda (their imports took ~1.2 s).
    """
    from scipy.special import ndtr

    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < 3 or np.allclose(y, y[0]):
        return np.zeros(n), np.ones(n), np.ones(n)
    pos = {u: k for k, u in enumerate(ids)} if ids is not None else None
    others = [
        np.array(
            sorted(
                pos[j] if pos is not None else int(j)
                for j in nb
                if (pos[j] if pos is not None else int(j)) != i
            ),
            dtype=np.int64,
        )
        for i, nb in enumerate(neighbors)
    ]
    card = np.array([len(o) + 1 for o in others], dtype=float)  # the unit itself too
    total = y.sum()
    stat = np.empty(n)
    for i, o in enumerate(others):  # summed in index order, as a sparse row product sums
        acc = 0.0
        for j in sorted([i, *o.tolist()]):
            acc += y[j]
        stat[i] = acc
    stat /= total
    mean = total / n
    variance = (y**2).sum() / n - mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_var = card * (n - card)
        expected_var /= n - 1
        expected_var *= 1 / n**2
        expected_var *= variance / (mean**2)
        z = (stat - card / n) / np.sqrt(expected_var)
    p_norm = ndtr(-np.abs(z))
    return (
        np.nan_to_num(z),
        _p_sim(y, others, stat, PERMUTATIONS, SEED),
        np.nan_to_num(p_norm, nan=1.0),
    )


def _p_sim(
    y: np.ndarray, others: list[np.ndarray], observed: np.ndarray, permutations: int, seed: int
) -> np.ndarray:
    """Gi* pseudo p-values by conditional randomisation, vectorised in NumPy.

    The same test as esda's ``crand`` with binary weights: each unit keeps its own value, its
    ``len(others[i])`` neighbours' values are drawn without replacement from the other units (one
    draw of ``max cardinality`` ids per permutation from the legacy NumPy generator seeded with
    ``seed``, as esda draws them), and the directed (folded one-sided) pseudo p-value is
    ``(min(larger, permutations - larger) + 1) / (permutations + 1)``, rounded to float32 as esda
    stores it. Identical p-values to esda's; done here because esda's numba kernels are not cached
    on disk, so with numba installed (it comes with ``wildboottest``) every process spent ~35 s
    compiling them.
    """
    n = len(y)
    card = np.array([len(o) for o in others], dtype=np.int64)
    max_card = int(card.max()) if n else 0
    rng = np.random.RandomState(seed)
    ids = np.empty((permutations, max_card), dtype=np.int64)
    for k in range(permutations):
        ids[k] = rng.choice(n - 1, size=max_card, replace=False)
    scaling = y.sum()
    p = np.empty(n, dtype=np.float32)
    ones = np.ones(max_card)
    for i in range(n):
        rest = np.delete(y, i)
        stats = (rest[ids[:, : card[i]]] @ ones[: card[i]] + y[i]) / scaling
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
    if metric not in ("count", "per_sq_mi"):
        raise InputError(f"hot-spot metric {metric!r}: use 'count' or 'per_sq_mi'")
    gdf = city_beats(ws)
    vals = beat_values(data, program=program).reindex(gdf["beat"]).fillna(0).to_numpy()
    if metric == "per_sq_mi":
        areas = ws.beat_index.area_sq_mi()
        vals = vals / np.array([areas[b] for b in gdf["beat"]])
    z, p, pn = _gi_star_lists(vals, queen_neighbors(ws, gdf))
    return _with_gi(gdf, vals, z, p, pn, value_decimals=3)


QUEEN_CACHE_FORMAT = 1


def queen_neighbors(ws: Workspace, gdf) -> list[list[int]]:
    """Queen contiguity of ``gdf``'s polygons (libpysal, in the area's projected CRS): for each
    row, the positions of the rows sharing a boundary point with it.

    Kept in the cache folder as ``queen-<key>.json``, keyed by the SHA-1 of the geometries (WKB),
    the projected CRS and the cache format, so a warm run neither imports libpysal nor rebuilds
    the contiguity (together ~2 s of every ``map`` run).
    """
    import hashlib
    import json
    from pathlib import Path

    import shapely

    from geo_heart.io.files import atomic_write

    crs = ws.config.projected_crs
    h = hashlib.sha1(f"queen v{QUEEN_CACHE_FORMAT} {crs}".encode())
    for wkb in shapely.to_wkb(np.asarray(gdf.geometry.values, dtype=object)):
        h.update(wkb)
    cache = Path(ws.settings.cache_dir) / f"queen-{h.hexdigest()[:24]}.json"
    if cache.exists():
        try:
            lists = json.loads(cache.read_text(encoding="utf-8"))
            if len(lists) == len(gdf):
                return [[int(j) for j in nb] for nb in lists]
        except Exception as exc:  # a damaged entry is rebuilt
            log.warning("ignoring unreadable contiguity cache %s: %s", cache, exc)
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(gdf.to_crs(crs), use_index=False, silence_warnings=True)
    lists = [sorted(int(j) for j in w.neighbors[i]) for i in range(len(gdf))]
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(cache) as tmp:
            Path(tmp).write_text(json.dumps(lists), encoding="utf-8")
    except Exception as exc:  # e.g. a read-only cache folder: the answer is still returned
        log.warning("could not cache contiguity in %s: %s", cache, exc)
    return lists


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
