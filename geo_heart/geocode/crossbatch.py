"""Where many pairs of streets cross, at once: :func:`geo_heart.geocode.lines.crossing` and the
geocoder's choice among a pair's shapes, vectorised over every pair of a batch.

:func:`crossings_many` gives, for each street pair, the same :class:`~geo_heart.geocode.lines.Crossing`
(or None) as :meth:`geo_heart.geocode.intersect.IntersectionMatcher._crossing` on that pair
alone, bit for bit: every GEOS operation of the one-pair code (part-by-part intersections and
distances, the shortest line between the nearest parts, the distances to the known geometry, the
points along each line for the crossing angle) is made for every pair in one shapely array call,
and the few floating-point steps after them are the same Python expressions on the same numbers.
The geocoder uses it for the crossings a batch of texts needs that are not known yet (computing
them one by one took most of a first pass over a city's texts).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import shapely

from geo_heart.geocode.lines import EXTRAP_SHARE, NEAR_M, Crossing, StreetShape

_LINE = 1  # shapely type id of a LineString


def _first_min(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Index (into ``values``) of the first smallest value of each group; ``groups`` sorted
    ascending, every group in ``range(n_groups)`` present (``np.argmin`` of each group)."""
    order = np.lexsort((np.arange(len(values)), values, groups))
    starts = np.searchsorted(groups[order], np.arange(n_groups), side="left")
    return order[starts]


def crossings_many(
    shapes: Sequence[tuple[Sequence[StreetShape], Sequence[StreetShape]]],
    inside: Callable[[np.ndarray], np.ndarray],
) -> list[Crossing | None]:
    """The surest crossing of each pair of streets, given as the two streets' shapes.

    Parameters
    ----------
    shapes
        One ``(shapes of a, shapes of b)`` per pair (a geocoder's ``_shapes`` of each street).
    inside
        Maps an ``(n, 2)`` array of projected points to a mask "inside the area".

    Returns
    -------
    list of Crossing or None
        Per pair, what :meth:`~geo_heart.geocode.intersect.IntersectionMatcher._crossing` gives:
        over every (shape of a, shape of b), :func:`~geo_heart.geocode.lines.crossing`; a
        meeting inside the area before one outside it, then the smaller uncertainty (ties: the
        first in shape order).
    """
    n_pairs = len(shapes)
    out: list[Crossing | None] = [None] * n_pairs
    # every (pair, shape of a, shape of b), in the one-pair loop's order
    combos: list[tuple[int, StreetShape, StreetShape]] = [
        (k, sa, sb) for k, (sha, shb) in enumerate(shapes) for sa in sha for sb in shb
    ]
    if not combos:
        return out
    # the parts of every shape, found in one call (as ``get_parts`` of each shape)
    slot: dict[int, int] = {}
    shape_list: list[StreetShape] = []
    for _, sa, sb in combos:
        for sh in (sa, sb):
            if id(sh) not in slot:
                slot[id(sh)] = len(shape_list)
                shape_list.append(sh)
    parts, owner = shapely.get_parts(
        np.array([sh.extended for sh in shape_list], dtype=object), return_index=True
    )
    count = np.bincount(owner, minlength=len(shape_list))
    first_part = np.cumsum(count) - count
    # every pair of parts of every combo (part of a major, as ``ga[:, None], gb[None, :]``)
    ia = np.array([slot[id(sa)] for _, sa, _ in combos], dtype=np.int64)
    ib = np.array([slot[id(sb)] for _, _, sb in combos], dtype=np.int64)
    na, nb = count[ia], count[ib]
    per = na * nb
    pc = np.repeat(np.arange(len(combos)), per)
    local = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    GA = parts[first_part[ia][pc] + local // nb[pc]]
    GB = parts[first_part[ib][pc] + local % nb[pc]]
    n_c = len(combos)
    inter = shapely.intersection(GA, GB)
    coords, at = shapely.get_coordinates(inter, return_index=True)
    pt_combo = pc[at]
    has = np.bincount(pt_combo, minlength=n_c) > 0
    # combos whose lines never meet: the nearest parts, if they pass within NEAR_M
    gaps = np.zeros(n_c)
    extra_pts: dict[int, np.ndarray] = {}
    apart = np.flatnonzero(~has)
    if len(apart):
        sel = np.flatnonzero(~has[pc])
        dm = shapely.distance(GA[sel], GB[sel])
        grp = pc[sel]
        # groups renumbered 0..len(apart)-1 (sel is sorted by combo already)
        gi = np.searchsorted(apart, grp)
        pos = _first_min(dm, gi, len(apart))
        first, d_first = sel[pos], dm[pos]
        # ``np.argmin`` stops at a NaN distance (an empty part): that pair never meets
        nan_grp = np.unique(gi[np.isnan(dm)])
        d_first[nan_grp] = np.nan
        near: list[int] = []
        for c, j, d in zip(apart.tolist(), first.tolist(), d_first.tolist(), strict=True):
            if d * combos[c][1].unit_m <= NEAR_M:
                near.append(j)
                gaps[c] = d
        if near:
            ends = shapely.get_coordinates(shapely.shortest_line(GA[near], GB[near]))
            ends = ends.reshape(-1, 2, 2)
            for j, (pa, pb) in zip(near, ends, strict=True):
                c = int(pc[j])
                sa, sb = combos[c][1], combos[c][2]
                # the point on the better-drawn geometry, else halfway
                if sa.sigma < sb.sigma:
                    extra_pts[c] = np.array([pa])
                elif sb.sigma < sa.sigma:
                    extra_pts[c] = np.array([pb])
                else:
                    extra_pts[c] = np.array([(pa + pb) / 2])
    # the candidate points of every combo that has one, grouped by combo in order
    if extra_pts:
        ec = np.array(sorted(extra_pts), dtype=np.int64)
        ep = np.vstack([extra_pts[c] for c in ec.tolist()])
        all_c = np.concatenate([pt_combo, ec])
        all_p = np.vstack([coords, ep]) if len(coords) else ep
        order = np.argsort(all_c, kind="stable")
        all_c, all_p = all_c[order], all_p[order]
    else:
        all_c, all_p = pt_combo, coords
    if not len(all_c):
        return out
    known_a = np.array([combos[c][1].known for c in all_c.tolist()], dtype=object)
    known_b = np.array([combos[c][2].known for c in all_c.tolist()], dtype=object)
    P = shapely.points(all_p)
    ext = shapely.distance(known_a, P) + shapely.distance(known_b, P)
    outside = ~np.asarray(inside(all_p), bool)
    # several crossings: inside the area first, then the least extrapolated, then the lowest
    # x, y (deterministic); the first in that order per combo
    order = np.lexsort((all_p[:, 1], all_p[:, 0], np.round(ext, 3), outside, all_c))
    found = np.unique(all_c)
    pick = order[np.searchsorted(all_c[order], found, side="left")]
    px, py, pe = all_p[pick, 0], all_p[pick, 1], ext[pick]
    # the crossing angle: the direction of each shape's line near the point
    fl = found.tolist()
    side_shape = np.column_stack([ia[found], ib[found]]).ravel()  # a, b of each found combo
    dirs = _directions(
        shape_list, side_shape, (parts, first_part, count), px, py,
        [combos[c][1].unit_m for c in fl],
    )  # fmt: skip
    got: list[tuple[int, Crossing]] = []
    for slot, c in enumerate(fl):
        k, sa, sb = combos[c]
        how = sa.source if sa.source == sb.source else f"{sa.source} and {sb.source}"
        x, y, e = float(px[slot]), float(py[slot]), float(pe[slot])
        sin = 1.0
        ua, ub = dirs[2 * slot], dirs[2 * slot + 1]
        if ua is not None and ub is not None:
            sin = max(abs(ua[0] * ub[1] - ua[1] * ub[0]), 0.35)
        gap = float(gaps[c])
        unc = math.hypot(sa.sigma, sb.sigma) / sin + EXTRAP_SHARE * e + gap
        got.append((k, Crossing(x, y, unc, how, e, gap)))
    # per pair: a meeting inside the area first, then the smaller uncertainty (first wins ties)
    ins = np.asarray(inside(np.column_stack([px, py])), bool).tolist()
    best_key: list[tuple | None] = [None] * n_pairs
    for (k, cr), is_in in zip(got, ins, strict=True):
        key = (not is_in, cr.uncertainty)
        if best_key[k] is None or key < best_key[k]:
            best_key[k] = key
            out[k] = cr
    return out


def _directions(
    shape_list: list[StreetShape],
    side_shape: np.ndarray,
    parts_of: tuple[np.ndarray, np.ndarray, np.ndarray],
    px: np.ndarray,
    py: np.ndarray,
    units: list[float],
) -> list[tuple[float, float] | None]:
    """:func:`geo_heart.geocode.lines._angle_sin` of each side (``side_shape``: the shape of side
    ``i``, at the point of slot ``i // 2``) with the step of the slot's unit, all at once.
    ``parts_of``: the shapes' parts, each shape's first part and count of parts."""
    parts, first_part, count = parts_of
    n = len(side_shape)
    res: list[tuple[float, float] | None] = [None] * n
    geoms = np.array([shape_list[s].extended for s in side_shape.tolist()], dtype=object)
    tids = shapely.get_type_id(geoms).tolist()
    slot = np.arange(n) // 2
    P = shapely.points(px[slot], py[slot])
    line_of: dict[int, shapely.Geometry] = {}
    multi = [i for i, t in enumerate(tids) if t in (5, 7)]  # MultiLineString, collection
    for i, t in enumerate(tids):
        if t == _LINE:
            line_of[i] = geoms[i]
    if multi:
        # the nearest of each one's lines (the first on a tie)
        mi = np.array(multi, dtype=np.int64)
        ms = side_shape[mi]
        k = np.repeat(np.arange(len(mi)), count[ms])
        idx = np.repeat(first_part[ms] - (np.cumsum(count[ms]) - count[ms]), count[ms])
        idx = idx + np.arange(len(k))
        is_line = shapely.get_type_id(parts[idx]) == _LINE
        k, idx = k[is_line], idx[is_line]
        if len(k):
            d = shapely.distance(parts[idx], P[mi[k]])
            owners = np.unique(k)
            best = _first_min(d, np.searchsorted(owners, k), len(owners))
            for j in best.tolist():
                line_of[int(mi[k[j]])] = parts[idx[j]]
    if not line_of:
        return res
    at = sorted(line_of)
    lines = np.array([line_of[i] for i in at], dtype=object)
    pts = P[at]
    step = np.array([15.0 / units[i // 2] for i in at])
    d = shapely.line_locate_point(lines, pts)
    a = shapely.get_coordinates(shapely.line_interpolate_point(lines, np.maximum(d - step, 0.0)))
    b = shapely.get_coordinates(shapely.line_interpolate_point(lines, d + step))
    for i, (ax, ay), (bx, by) in zip(at, a.tolist(), b.tolist(), strict=True):
        dx, dy = bx - ax, by - ay
        h = math.hypot(dx, dy)
        res[i] = (dx / h, dy / h) if h > 0 else None
    return res


def crossing_records(g: Any, keys: list[tuple[str, str]], *, reach_m: float) -> dict[tuple, Any]:
    """The crossing records of street pairs ``keys`` (``a <= b``), as a geocoder ``g`` computes
    them one pair at a time (:meth:`~geo_heart.geocode.intersect.IntersectionMatcher._crossing_place`):
    ``(crossing, lon, lat, uncertainty m, beats within max(uncertainty, reach_m) as (beat, lon,
    lat, distance m))``, or None where the streets do not meet. The crossings by
    :func:`crossings_many`, the beats near all of them in one query, the points back to lon/lat
    in one transform each."""
    crs = crossings_many([(g._shapes(a), g._shapes(b)) for a, b in keys], g._inside_area)
    out: dict[tuple, Any] = {k: None for k, cr in zip(keys, crs, strict=True) if cr is None}
    found = [(k, cr) for k, cr in zip(keys, crs, strict=True) if cr is not None]
    if not found:
        return out
    _, to_lonlat, to_m = g._projection()
    xs = np.array([cr.x for _, cr in found], dtype=float)
    ys = np.array([cr.y for _, cr in found], dtype=float)
    uncs = [round(cr.uncertainty * to_m + 5.0, 1) for _, cr in found]
    lons, lats = to_lonlat.transform(xs, ys)
    near_all = g._beats_within_many(xs, ys, [max(u, reach_m) / to_m for u in uncs])
    flat = [t for near in near_all for t in near]
    qlon, qlat = to_lonlat.transform(
        np.array([t[2] for t in flat], dtype=float), np.array([t[3] for t in flat], dtype=float)
    )
    qlon, qlat = qlon.tolist(), qlat.tolist()
    at = 0
    for (k, cr), unc, lon, lat, near in zip(
        found, uncs, lons.tolist(), lats.tolist(), near_all, strict=True
    ):
        beats = tuple(
            (beat, qlon[at + j], qlat[at + j], round(d * to_m, 1))
            for j, (d, beat, _, _) in enumerate(near)
        )
        at += len(near)
        out[k] = (cr, lon, lat, unc, beats)
    return out
