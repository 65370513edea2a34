"""Caller-location shapes (a point, an uncertainty circle or ellipse, a polygon) and the share of
each beat in them.

A wireless 911 caller's location comes as a shape: a point with an uncertainty circle or ellipse,
or a polygon (RFC 5491; :mod:`geo_heart.dispatch.pidf` reads them from a PIDF-LO document). This
module is pure geometry:

* :class:`Shape` describes one in WGS84 lon/lat and metres on the ground;
* :func:`shape_wgs84` draws it: a circle's or ellipse's outline is the points at its distance
  from the centre along 128 bearings, on the WGS84 ellipsoid (``pyproj.Geod``): a 250 m radius is
  250 m on the ground whatever the area's projected CRS or its units (US feet for Durham's
  EPSG:2264), and an ellipse's orientation is measured from true north, clockwise, as RFC 5491
  defines it;
* :func:`beat_shares` carries the outline into the area's projected CRS (edges densified) and
  intersects it with the beat polygons (vectorised shapely 2): each beat's share of the shape's
  area, and the share outside every beat.

Shares are ratios of areas in one CRS, so its units cancel; ``area_m2`` is the geodesic area on
the ellipsoid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import shapely

from geo_heart.errors import InputError
from geo_heart.geo.beats import BeatIndex

__all__ = [
    "SHAPE_KINDS",
    "BeatShares",
    "Shape",
    "beat_shares",
    "shape_area_m2",
    "shape_projected",
    "shape_wgs84",
]

#: Every :attr:`Shape.kind`.
SHAPE_KINDS = ("point", "circle", "ellipse", "polygon")
#: Segments per quarter circle when a circle or ellipse is drawn as a polygon.
QUAD_SEGS = 32
#: Largest accepted radius or semi-axis, metres (a location that vague locates nothing).
MAX_RADIUS_M = 100_000.0
#: Polygon edges longer than this (degrees) get intermediate vertices before being projected.
SEGMENT_DEG = 0.0005


@dataclass(frozen=True)
class Shape:
    """A caller-location shape in WGS84 lon/lat, lengths in metres.

    Attributes
    ----------
    kind
        ``point``, ``circle``, ``ellipse`` or ``polygon``.
    lon, lat
        The centre (point, circle, ellipse) or the polygon's centroid.
    radius_m
        A circle's radius.
    semi_major_m, semi_minor_m, orientation_deg
        An ellipse: its semi-axes and the semi-major axis's bearing, degrees clockwise from north.
    ring
        A polygon's exterior ring as ``(lon, lat)`` pairs.
    """

    kind: str
    lon: float
    lat: float
    radius_m: float | None = None
    semi_major_m: float | None = None
    semi_minor_m: float | None = None
    orientation_deg: float | None = None
    ring: tuple[tuple[float, float], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in SHAPE_KINDS:
            raise InputError(f"shape kind {self.kind!r} is not one of {', '.join(SHAPE_KINDS)}")
        _check_lon_lat(self.lon, self.lat, self.kind)
        if self.kind == "circle":
            _check_length(self.radius_m, "circle radius")
        if self.kind == "ellipse":
            _check_length(self.semi_major_m, "ellipse semi-major axis")
            _check_length(self.semi_minor_m, "ellipse semi-minor axis")
            if self.semi_minor_m > self.semi_major_m:  # type: ignore[operator]
                raise InputError(
                    f"ellipse semi-minor axis {self.semi_minor_m:g} m is longer than its "
                    f"semi-major axis {self.semi_major_m:g} m"
                )
            if self.orientation_deg is None or not math.isfinite(self.orientation_deg):
                raise InputError(f"ellipse orientation {self.orientation_deg!r} is not a number")
        if self.kind == "polygon":
            for x, y in self.ring:
                _check_lon_lat(x, y, "polygon vertex")
            if len(set(self.ring)) < 3:
                raise InputError(f"a polygon needs 3 distinct vertices (got {len(set(self.ring))})")

    @classmethod
    def circle(cls, lon: float, lat: float, radius_m: float) -> Shape:
        """A point with an uncertainty circle (``radius_m`` 0 or ``None``: a plain point)."""
        if radius_m is None or radius_m == 0:
            return cls("point", lon, lat)
        return cls("circle", lon, lat, radius_m=radius_m)

    @classmethod
    def polygon(cls, ring: list[tuple[float, float]]) -> Shape:
        """A polygon from its exterior ring of ``(lon, lat)`` pairs (closed or not)."""
        pts = [(float(x), float(y)) for x, y in ring]
        if len(pts) > 1 and pts[0] == pts[-1]:
            pts = pts[:-1]
        if len(pts) < 3:
            raise InputError(f"a polygon needs at least 3 vertices (got {len(pts)})")
        for x, y in pts:
            _check_lon_lat(x, y, "polygon vertex")
        c = shapely.Polygon(pts).centroid
        return cls("polygon", float(c.x), float(c.y), ring=tuple(pts))

    @property
    def uncertainty_m(self) -> float | None:
        """The largest distance from the centre to the shape's edge (metres; ``None``: point)."""
        if self.kind == "circle":
            return self.radius_m
        if self.kind == "ellipse":
            return self.semi_major_m
        if self.kind == "polygon":
            xy = np.asarray(self.ring)
            n = len(xy)
            _, _, dist = _geod().inv(np.full(n, self.lon), np.full(n, self.lat), xy[:, 0], xy[:, 1])
            return float(np.max(dist))
        return None

    def describe(self) -> str:
        """Plain words: "circle of 250 m", "ellipse 400 m x 150 m, bearing 45°"."""
        if self.kind == "circle":
            return f"circle of {self.radius_m:,.0f} m"
        if self.kind == "ellipse":
            return (
                f"ellipse {self.semi_major_m:,.0f} m x {self.semi_minor_m:,.0f} m "
                f"(semi-axes), bearing {self.orientation_deg:g}°"
            )
        if self.kind == "polygon":
            return f"polygon of {len(self.ring)} vertices"
        return "point"


def _check_lon_lat(lon: Any, lat: Any, what: str) -> None:
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InputError(f"{what}: lon {lon!r}, lat {lat!r} are not numbers") from None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise InputError(
            f"{what}: lon {lon!r}, lat {lat!r} is not a WGS84 coordinate "
            "(lon -180..180, lat -90..90)"
        )


def _check_length(value: Any, what: str) -> None:
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{what} {value!r} is not a number of metres")
    if not 0 < value <= MAX_RADIUS_M:
        raise InputError(f"{what} {value:g} m is not in 0..{MAX_RADIUS_M:,.0f} m (exclusive of 0)")


#: Vertices of a circle or ellipse outline (area error under 0.05%).
OUTLINE_VERTICES = 4 * QUAD_SEGS


@lru_cache(maxsize=1)
def _geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


@lru_cache(maxsize=8)
def _from_wgs84(crs: str):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _outline_lon_lat(shape: Shape) -> np.ndarray:
    """A circle's or ellipse's outline as ``(lon, lat)`` rows: the points at the shape's distance
    from the centre along :data:`OUTLINE_VERTICES` azimuths, on the WGS84 ellipsoid (so 250 m is
    250 m on the ground, and bearings are from true north)."""
    n = OUTLINE_VERTICES
    phi = np.linspace(0.0, 360.0, n, endpoint=False)  # from the semi-major axis, clockwise
    if shape.kind == "circle":
        dist = np.full(n, float(shape.radius_m))
        az = phi
    else:
        a, b = float(shape.semi_major_m), float(shape.semi_minor_m)
        t = np.radians(phi)
        dist = a * b / np.sqrt((b * np.cos(t)) ** 2 + (a * np.sin(t)) ** 2)
        az = (phi + float(shape.orientation_deg)) % 360.0
    lon, lat, _ = _geod().fwd(np.full(n, shape.lon), np.full(n, shape.lat), az, dist)
    return np.column_stack([lon, lat])


def shape_wgs84(shape: Shape) -> shapely.Geometry:
    """The shape in WGS84 lon/lat (a point for ``point``)."""
    if shape.kind == "point":
        return shapely.Point(shape.lon, shape.lat)
    if shape.kind == "polygon":
        poly = shapely.Polygon(shape.ring)
        if not poly.is_valid:
            raise InputError(
                f"the polygon's edges cross each other ({shapely.is_valid_reason(poly)}); "
                "give its vertices in order around it"
            )
        return poly
    return shapely.Polygon(_outline_lon_lat(shape))


def shape_area_m2(shape: Shape) -> float:
    """The shape's area on the WGS84 ellipsoid, square metres (0 for a point)."""
    if shape.kind == "point":
        return 0.0
    area, _ = _geod().geometry_area_perimeter(shapely.segmentize(shape_wgs84(shape), SEGMENT_DEG))
    return abs(float(area))


def shape_projected(shape: Shape, crs: str) -> shapely.Geometry:
    """The shape in a projected CRS (its edges densified first, so they bend as they should)."""
    t = _from_wgs84(crs)
    geom = shapely.segmentize(shape_wgs84(shape), SEGMENT_DEG)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


@dataclass(frozen=True)
class BeatShares:
    """How a shape falls on the beats.

    Attributes
    ----------
    beats
        ``(beat, share)`` pairs, largest share first (beats the shape touches only along an edge
        are left out); shares are fractions of the shape's area.
    outside
        The share of the shape in no beat.
    area_m2
        The shape's area in square metres.
    nearest_beat, distance_m
        When the shape lies wholly outside every beat: the closest beat and the distance from the
        shape's edge to it, metres.
    """

    beats: tuple[tuple[str, float], ...]
    outside: float
    area_m2: float
    nearest_beat: str | None = None
    distance_m: float | None = None


def beat_shares(index: BeatIndex, shape: Shape) -> BeatShares:
    """Each beat's share of ``shape``'s area, measured in the area's projected CRS.

    A ``point`` has no area: the beat covering it gets share 1 (the first by id on a shared edge),
    or the point is wholly outside.
    """
    geoms, tree, unit_to_m = index.projected()
    if shape.kind == "point":
        hit = index.locate(shape.lon, shape.lat, nearest=True)
        if hit.beat is not None:
            return BeatShares(((hit.beat, 1.0),), 0.0, 0.0)
        return BeatShares((), 1.0, 0.0, hit.nearest_beat, hit.distance_m)
    area_m2 = shape_area_m2(shape)
    reach_m = shape.uncertainty_m or 0.0
    if not _may_reach(index, shape, reach_m):
        # far from every beat (where the area's projection may not even hold): the centre's
        # distance to the nearest beat, less the shape's reach
        near, d = index.nearest(shape.lon, shape.lat)
        return BeatShares((), 1.0, area_m2, near, max(0.0, d - reach_m))
    proj = shape_projected(shape, index.projected_crs)
    if not np.isfinite(shapely.get_coordinates(proj)).all():
        near, d = index.nearest(shape.lon, shape.lat)
        return BeatShares((), 1.0, area_m2, near, max(0.0, d - reach_m))
    if not proj.is_valid:
        proj = shapely.make_valid(proj)
    total = float(proj.area)
    if not total > 0:
        raise InputError(f"the {shape.describe()} has no area")
    idx = tree.query(proj, predicate="intersects")
    idx = np.sort(idx)
    parts = shapely.area(shapely.intersection(geoms[idx], proj)) / total if len(idx) else []
    pairs = [
        (index.ids[i], round(float(s), 6)) for i, s in zip(idx.tolist(), parts, strict=True) if s > 0
    ]
    pairs.sort(key=lambda p: -p[1])
    inside = min(1.0, sum(s for _, s in pairs))
    if pairs:
        return BeatShares(tuple(pairs), round(max(0.0, 1.0 - inside), 6), area_m2)
    found, dist = tree.query_nearest(proj, return_distance=True, all_matches=True)
    i = int(np.min(found))
    return BeatShares((), 1.0, area_m2, str(index.ids[i]), float(dist.min()) * unit_to_m)


def _may_reach(index: BeatIndex, shape: Shape, reach_m: float) -> bool:
    """Whether the shape may touch the beats' extent (a generous test in degrees)."""
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(index.geoms))
    pad_lat = reach_m / 110_000.0 + 0.1
    pad_lon = pad_lat / max(math.cos(math.radians(min(abs(shape.lat), 89.0))), 0.01)
    return (x0 - pad_lon <= shape.lon <= x1 + pad_lon) and (y0 - pad_lat <= shape.lat <= y1 + pad_lat)
