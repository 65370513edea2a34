"""Caller-location shapes (a point, an uncertainty circle or ellipse, a polygon) and the share of
each beat in them.

A wireless 911 caller's location comes as a shape: a point with an uncertainty circle or ellipse,
or a polygon (RFC 5491; :mod:`geo_heart.dispatch.pidf` reads them from a PIDF-LO document). This
module is pure geometry:

* :class:`Shape` describes one in WGS84 lon/lat and metres on the ground;
* :func:`shape_polygon_m` builds it in a local azimuthal equidistant projection centred on it
  (``+proj=aeqd``, metres): a 250 m radius is 250 m on the ground whatever the area's projected
  CRS or its units (US feet for Durham's EPSG:2264), and an ellipse's orientation is measured from
  true north, clockwise, as RFC 5491 defines it;
* :func:`beat_shares` carries the polygon into the area's projected CRS and intersects it with the
  beat polygons (vectorised shapely 2): each beat's share of the shape's area, and the share
  outside every beat.

Shares are ratios of areas in one CRS, so its units cancel; ``area_m2`` is measured in the local
projection, where areas within a few kilometres of its centre are true to a few parts per million.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from geo_heart.errors import InputError
from geo_heart.geo.beats import BeatIndex

__all__ = ["SHAPE_KINDS", "BeatShares", "Shape", "beat_shares", "shape_polygon_m"]

#: Every :attr:`Shape.kind`.
SHAPE_KINDS = ("point", "circle", "ellipse", "polygon")
#: Segments per quarter circle when a circle or ellipse is drawn as a polygon (area error < 0.1%).
QUAD_SEGS = 32
#: Largest accepted radius or semi-axis, metres (a location that vague locates nothing).
MAX_RADIUS_M = 1_000_000.0
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
            poly = shape_polygon_m(self)
            return float(shapely.hausdorff_distance(shapely.Point(0, 0), poly.exterior))
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


def _local_crs(shape: Shape) -> str:
    return (
        f"+proj=aeqd +lat_0={shape.lat:.10f} +lon_0={shape.lon:.10f} +x_0=0 +y_0=0 "
        "+ellps=WGS84 +units=m +no_defs"
    )


def _transform(geom: shapely.Geometry, src: str, dst: str) -> shapely.Geometry:
    from pyproj import Transformer

    t = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def shape_polygon_m(shape: Shape) -> shapely.Polygon:
    """The shape as a polygon in metres, in a local azimuthal equidistant projection centred on
    ``(shape.lon, shape.lat)`` (x east, y north). A point is an empty polygon."""
    if shape.kind == "point":
        return shapely.Polygon()
    if shape.kind == "circle":
        return shapely.Point(0.0, 0.0).buffer(shape.radius_m, quad_segs=QUAD_SEGS)
    if shape.kind == "ellipse":
        from shapely import affinity

        unit = shapely.Point(0.0, 0.0).buffer(1.0, quad_segs=QUAD_SEGS)
        # semi-major axis along north (y), then turned clockwise by the bearing (shapely turns
        # counter-clockwise for a positive angle)
        ell = affinity.scale(unit, xfact=shape.semi_minor_m, yfact=shape.semi_major_m, origin=(0, 0))
        return affinity.rotate(ell, -float(shape.orientation_deg), origin=(0, 0))
    ring = shapely.segmentize(shapely.Polygon(shape.ring), SEGMENT_DEG)
    poly = _transform(ring, "EPSG:4326", _local_crs(shape))
    if not poly.is_valid:
        raise InputError(
            f"the polygon's edges cross each other ({shapely.is_valid_reason(poly)}); "
            "give its vertices in order around it"
        )
    return poly


def shape_wgs84(shape: Shape) -> shapely.Geometry:
    """The shape in WGS84 lon/lat (a point for ``point``), for maps."""
    if shape.kind == "point":
        return shapely.Point(shape.lon, shape.lat)
    if shape.kind == "polygon":
        return shapely.Polygon(shape.ring)
    return _transform(shape_polygon_m(shape), _local_crs(shape), "EPSG:4326")


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
    local = shape_polygon_m(shape)
    area_m2 = float(local.area)
    proj = _transform(local, _local_crs(shape), index.projected_crs)
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
