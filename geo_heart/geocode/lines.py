"""Street geometry for intersections: lines through a street's known points, and where two cross.

A street's geometry comes from whatever the reference holds for it:

- **road lines** (``[layers.roads]``, centerlines): drawn lines, projected to the area's CRS;
- **address points**: the known points ordered by house number, averaged per hundred-block (the
  two sides of the street average out to its middle), joined into a polyline and broken where two
  consecutive blocks are implausibly far apart (two separate streets of one name). One block alone
  gives a segment along the points' principal axis when they spread along the street.

Each path carries ``sigma`` (feet): the mean distance of the street's points from it (parcels sit
back from the centreline), used for the crossing's uncertainty. Paths are stored as plain numpy
arrays in the reference index (built once); the shapely objects are made on demand per street.

:func:`crossing` intersects two streets' geometries, each path extended at its ends toward the
other street, and returns the point, how far it lies beyond the known geometry (extrapolation) and
an uncertainty radius from the sources' sigmas, the crossing angle and the extrapolation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

# Distances below are in metres; the functions take ``unit_m`` (metres per unit of the projected
# CRS: 0.3048006 for NC State Plane US feet, 1 for UTM) and work in the CRS's units.
#: Standard deviation (m) of a road line from the true centreline (OSM / TIGER lines).
ROAD_SIGMA_M = 9.0
#: A block's centroid further than this per hundred numbers from the previous one starts a new part.
MAX_M_PER_BLOCK = 450.0
#: How far (m) a points path is extended beyond its ends, at least and at most.
EXTEND_MIN_M, EXTEND_MAX_M = 150.0, 600.0
#: Two streets whose geometries pass within this (m) without crossing meet "near" each other.
NEAR_M = 150.0
#: The least sigma (m) of a path through address points (parcels sit back from the street).
POINTS_SIGMA_MIN_M = 45.0
#: Uncertainty grows by this share of the distance extrapolated beyond the known geometry.
EXTRAP_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Crossing:
    """Where two streets meet, in projected coordinates (the area's CRS units)."""

    x: float
    y: float
    uncertainty: float
    how: str  # "road lines", "road line and address points", ...
    extrapolated: float
    gap: float  # 0 when the lines cross; else how far apart they pass


def street_paths(
    numbers: np.ndarray, x: np.ndarray, y: np.ndarray, unit_m: float = 0.3048006
) -> tuple[list[np.ndarray], float]:
    """Polyline parts (each an ``(n, 2)`` array, feet) through a street's points, and their sigma.

    Points are averaged per hundred-block and joined in block order; a part ends where the next
    block's centroid is more than :data:`MAX_M_PER_BLOCK` per hundred numbers away. The sigma is
    twice the points' mean distance from the path, at least :data:`POINTS_SIGMA_MIN_M`.
    """
    if numbers is None or len(numbers) == 0:
        return [], 0.0
    blocks = numbers // 100
    ub, inv = np.unique(blocks, return_inverse=True)
    cx = np.bincount(inv, weights=x) / np.bincount(inv)
    cy = np.bincount(inv, weights=y) / np.bincount(inv)
    parts: list[list[int]] = [[0]]
    for i in range(1, len(ub)):
        d = math.hypot(cx[i] - cx[i - 1], cy[i] - cy[i - 1])
        if d * unit_m > MAX_M_PER_BLOCK * max(1, int(ub[i] - ub[i - 1])):
            parts.append([i])
        else:
            parts[-1].append(i)
    out: list[np.ndarray] = []
    for part in parts:
        if len(part) >= 2:
            out.append(np.column_stack([cx[part], cy[part]]))
            continue
        # one block: a segment along the points' principal axis when they spread along it
        sel = inv == part[0]
        px, py = x[sel], y[sel]
        if len(px) >= 2:
            xy = np.column_stack([px, py])
            c = xy.mean(axis=0)
            u, s, vt = np.linalg.svd(xy - c, full_matrices=False)
            along = (xy - c) @ vt[0]
            if len(s) > 1 and s[0] > 2 * s[1] and np.ptp(along) * unit_m > 15:
                out.append(np.vstack([c + along.min() * vt[0], c + along.max() * vt[0]]))
                continue
        out.append(np.array([[cx[part[0]], cy[part[0]]]]))
    # sigma: mean distance of the points from the path (a single point: the block's spread)
    geom = _multi(out, extend=False, unit_m=unit_m)
    d = shapely.distance(geom, shapely.points(x, y))
    sigma = float(np.mean(d)) if len(d) else 0.0
    return out, max(2.0 * sigma, POINTS_SIGMA_MIN_M / unit_m)


def _extend(xy: np.ndarray, unit_m: float) -> np.ndarray:
    """The polyline with each end pushed out along its last segment."""
    if len(xy) < 2:
        return xy
    length = float(np.hypot(*np.diff(xy, axis=0).T).sum())
    e = min(max(0.5 * length, EXTEND_MIN_M / unit_m), EXTEND_MAX_M / unit_m)
    d0 = xy[0] - xy[1]
    d1 = xy[-1] - xy[-2]
    n0, n1 = math.hypot(*d0), math.hypot(*d1)
    head = xy[0] + d0 / n0 * e if n0 > 0 else xy[0]
    tail = xy[-1] + d1 / n1 * e if n1 > 0 else xy[-1]
    return np.vstack([head, xy, tail])


def _multi(parts: list[np.ndarray], *, extend: bool, unit_m: float) -> shapely.Geometry:
    geoms = []
    for xy in parts:
        xy = _extend(xy, unit_m) if extend else xy
        geoms.append(shapely.points(xy[0]) if len(xy) == 1 else shapely.linestrings(xy))
    if len(geoms) == 1:
        return geoms[0]
    return shapely.geometrycollections(geoms)


@dataclass(slots=True)
class StreetShape:
    """One source's geometry of a street: the known part and its extension."""

    source: str  # "road line" | "address points"
    known: shapely.Geometry
    extended: shapely.Geometry
    sigma: float  # projected units
    unit_m: float


def shape_of(
    source: str, parts: list[np.ndarray], sigma: float, unit_m: float = 0.3048006
) -> StreetShape | None:
    """A :class:`StreetShape` from stored parts (``sigma`` in projected units)."""
    if not parts:
        return None
    known = _multi(parts, extend=False, unit_m=unit_m)
    extended = _multi(parts, extend=True, unit_m=unit_m)
    return StreetShape(source, known, extended, sigma, unit_m)


def _angle_sin(g: shapely.Geometry, p: shapely.Geometry, step: float) -> tuple[float, float] | None:
    """Unit direction of ``g`` near point ``p`` (from two points along it), or None."""
    if shapely.get_type_id(g) not in (1, 5, 7):  # LineString, MultiLineString, collection
        return None
    d = shapely.line_locate_point(g, p) if shapely.get_type_id(g) == 1 else None
    if d is None:
        lines = [ln for ln in shapely.get_parts(g) if shapely.get_type_id(ln) == 1]
        if not lines:
            return None
        ln = min(lines, key=lambda s: shapely.distance(s, p))
        d = shapely.line_locate_point(ln, p)
        g = ln
    a = shapely.line_interpolate_point(g, max(d - step, 0.0))
    b = shapely.line_interpolate_point(g, d + step)
    dx, dy = b.x - a.x, b.y - a.y
    n = math.hypot(dx, dy)
    return (dx / n, dy / n) if n > 0 else None


def crossing(a: StreetShape, b: StreetShape, inside=None) -> Crossing | None:
    """Where two street shapes cross (or pass within :data:`NEAR_M`), with an uncertainty.

    Distances in the result are in projected units. ``inside`` (optional) maps an ``(n, 2)``
    array of projected points to a boolean mask "inside the area": where two names meet at
    several places (``W MAIN ST`` and ``E MAIN ST`` in two towns), a meeting inside the area wins.
    """
    how = a.source if a.source == b.source else f"{a.source} and {b.source}"
    # part by part (GEOS's nearest-point code is not safe on geometry collections)
    ga, gb = shapely.get_parts(a.extended), shapely.get_parts(b.extended)
    inter = shapely.intersection(ga[:, None], gb[None, :])
    pts = shapely.get_coordinates(inter.ravel())
    gap = 0.0
    if len(pts) == 0:
        dm = shapely.distance(ga[:, None], gb[None, :])
        i, j = divmod(int(np.argmin(dm)), dm.shape[1])
        d = float(dm[i, j])
        if not d * a.unit_m <= NEAR_M:
            return None
        pa, pb = shapely.get_coordinates(shapely.shortest_line(ga[i], gb[j]))
        # the point on the better-drawn geometry, else halfway
        if a.sigma < b.sigma:
            pts = np.array([pa])
        elif b.sigma < a.sigma:
            pts = np.array([pb])
        else:
            pts = np.array([(pa + pb) / 2])
        gap = d
    # several crossings: inside the area first, then the least extrapolated, then the lowest
    # x, y (deterministic)
    P = shapely.points(pts)
    ext = shapely.distance(a.known, P) + shapely.distance(b.known, P)
    out = np.zeros(len(pts), dtype=bool) if inside is None else ~np.asarray(inside(pts), bool)
    order = np.lexsort((pts[:, 1], pts[:, 0], np.round(ext, 3), out))
    k = int(order[0])
    x, y, e = float(pts[k, 0]), float(pts[k, 1]), float(ext[k])
    p = shapely.points(x, y)
    # a lateral error sigma on one line moves the crossing by sigma / sin(angle) along the other
    sin = 1.0
    step = 15.0 / a.unit_m
    ua, ub = _angle_sin(a.extended, p, step), _angle_sin(b.extended, p, step)
    if ua is not None and ub is not None:
        sin = max(abs(ua[0] * ub[1] - ua[1] * ub[0]), 0.35)
    unc = math.hypot(a.sigma, b.sigma) / sin + EXTRAP_SHARE * e + gap
    return Crossing(x, y, unc, how, e, gap)
