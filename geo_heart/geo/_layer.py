"""Reading and preparing a beats layer: WGS84 transform, repair, the lookup grid, the cache key.

Private helpers of :mod:`geo_heart.geo.beats`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from pathlib import Path

import numpy as np
import shapely

from geo_heart.errors import CRSError, DataSourceError

log = logging.getLogger(__name__)

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8


def great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in metres on a sphere of the Earth's mean radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _to_wgs84(geoms: np.ndarray, crs: object) -> np.ndarray:
    from pyproj import CRS, Transformer

    try:
        src = CRS.from_user_input(crs)
    except Exception:
        raise CRSError(f"the beats layer's CRS {crs!r} is not understood by pyproj") from None
    dst = CRS.from_epsg(4326)
    if src.equals(dst, ignore_axis_order=True):
        return geoms
    t = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _repair(geoms: np.ndarray) -> np.ndarray:
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        log.info("repairing %d invalid beat geometries", int(bad.sum()))
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return np.array([_polygonal(g) for g in geoms], dtype=object)


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts of a geometry (make_valid may return collections)."""
    if g is None:
        return shapely.Polygon()
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _build_grid(geoms, x0, y0, dx, dy, nx, ny) -> tuple[np.ndarray, np.ndarray]:
    n = len(geoms)
    xs = x0 + dx * np.arange(nx)
    ys = y0 + dy * np.arange(ny)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + dx, gy.ravel() + dy)
    tree = shapely.STRtree(boxes)
    shapely.prepare(geoms)
    touch_count = np.zeros(len(boxes), dtype=np.int32)
    inner = np.full(len(boxes), -1, dtype=np.int32)
    touching: list[np.ndarray] = []
    for i, g in enumerate(geoms):
        if g.is_empty:
            touching.append(np.empty(0, dtype=np.int64))
            continue
        hit = tree.query(g, predicate="intersects")
        touching.append(hit)
        touch_count[hit] += 1
        contained = hit[shapely.contains_properly(g, boxes[hit])]
        inner[contained] = i
    grid = np.full(len(boxes), -1, dtype=np.int32)
    single = (touch_count == 1) & (inner >= 0)
    grid[single] = inner[single]
    edge_cells = np.flatnonzero((touch_count > 0) & ~single)
    row_of = np.full(len(boxes), -1, dtype=np.int64)
    row_of[edge_cells] = np.arange(len(edge_cells))
    cand = np.zeros((len(edge_cells), n), dtype=bool)
    for i, hit in enumerate(touching):
        rows = row_of[hit]
        cand[rows[rows >= 0], i] = True
    grid[edge_cells] = -(np.arange(len(edge_cells), dtype=np.int32) + 2)
    return grid.reshape(ny, nx), cand


def _read_layer(path: Path, id_field: str, district_field: str | None):
    import pyogrio.raw
    from pyogrio.errors import DataSourceError as _PyogrioError

    try:
        info = pyogrio.read_info(path)
    except _PyogrioError as exc:
        raise DataSourceError(f"cannot read beats layer {str(path)!r}: {exc}") from None
    fields = [str(f) for f in info["fields"]]
    for needed in [id_field] + ([district_field] if district_field else []):
        if needed not in fields:
            raise DataSourceError(
                f"beats layer {str(path)!r} has no field {needed!r}; fields: {fields} "
                "(set beats.id_field / beats.district_field in the area file)"
            )
    cols = [id_field] + ([district_field] if district_field else [])
    meta, _fids, wkb, values = pyogrio.raw.read(path, columns=cols)
    order = [str(f) for f in meta["fields"]]
    ids = values[order.index(id_field)]
    districts = values[order.index(district_field)] if district_field else None
    crs = meta.get("crs")
    if not crs:
        raise CRSError(
            f"beats layer {str(path)!r} has no CRS; assign one (e.g. with ogr2ogr -a_srs) and retry"
        )
    if wkb is None:
        raise DataSourceError(f"beats layer {str(path)!r} has no geometry column")
    geoms = shapely.from_wkb(wkb)
    kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
    if kinds - {3, 6}:
        raise DataSourceError(
            f"beats layer {str(path)!r} holds non-polygon geometries; beats must be polygons"
        )
    return list(ids), geoms, None if districts is None else list(districts), crs


def _cache_key(path: Path, index_format: int, *parts: object) -> str:
    from geo_heart.io.files import file_sha1

    h = hashlib.sha1(file_sha1(path).encode())
    h.update(json.dumps([index_format, *[str(p) for p in parts]]).encode())
    return h.hexdigest()[:20]
