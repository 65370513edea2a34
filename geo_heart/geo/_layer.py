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


def _outline_pairs(geoms, x0, y0, dx, dy, nx, ny) -> tuple[np.ndarray, np.ndarray]:
    """``(beat, flat cell)`` of every grid cell each polygon's outline touches, unique, sorted
    by beat then cell: all outlines at once.

    Each outline is cut into segments shorter than a cell, so a segment touches only the cells
    of its two ends and, when it crosses a corner diagonally, the two cells beside that corner.
    A vertex on a cell line counts for the cells on both sides.
    """
    step = min(dx, dy) / 4
    use = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    parts, of_geom = shapely.get_parts(shapely.boundary(geoms[use]), return_index=True)
    xy, of_part = shapely.get_coordinates(shapely.segmentize(parts, step), return_index=True)
    if not len(xy):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    beat = use[of_geom][of_part]
    fx, fy = (xy[:, 0] - x0) / dx, (xy[:, 1] - y0) / dy
    ix, iy = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    on_x, on_y = fx == ix, fy == iy  # on a cell line: the cell before it too
    # a diagonal step between two points of one part: the two cells beside the corner
    step_x, step_y = np.diff(ix), np.diff(iy)
    diag = (np.abs(step_x) == 1) & (np.abs(step_y) == 1) & (np.diff(of_part) == 0)
    k = np.flatnonzero(diag)
    cols = [(ix[k + 1], iy[k], beat[k]), (ix[k], iy[k + 1], beat[k])]
    # a point in the cell of the point before it (of the same beat) adds no cell: left out
    new = np.r_[True, (step_x != 0) | (step_y != 0) | (beat[1:] != beat[:-1])]
    line = np.flatnonzero(new | on_x | on_y)
    new = np.flatnonzero(new)
    cols.append((ix[new], iy[new], beat[new]))
    ix, iy, beat, on_x, on_y = ix[line], iy[line], beat[line], on_x[line], on_y[line]
    cols += [(ix - on_x, iy, beat), (ix, iy - on_y, beat), (ix - on_x, iy - on_y, beat)]
    cx, cy, cb = (np.concatenate(v) for v in zip(*cols, strict=True))
    ok = (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
    key = np.unique(cb[ok] * (nx * ny) + cy[ok] * nx + cx[ok])
    return key // (nx * ny), key % (nx * ny)


def _build_grid(geoms, x0, y0, dx, dy, nx, ny) -> tuple[np.ndarray, np.ndarray]:
    """The lookup grid: each cell's beat, ``-1`` (outside every beat) or an edge row.

    Rasterised from the outlines, never by testing one box per cell: every cell an outline
    touches is an *edge* cell (:func:`_outline_pairs`). An edge cell's candidates are the beats
    whose outlines touch it plus the beats holding its centre; any other cell lies wholly inside
    or wholly outside each beat, so its centre decides it. Every step is an array operation
    over all beats at once (one ``contains_xy`` call for every centre and beat whose box holds
    it, the pairs found by an STRtree).
    """
    n = len(geoms)
    shapely.prepare(geoms)
    cells = nx * ny
    o_beat, o_cell = _outline_pairs(geoms, x0, y0, dx, dy, nx, ny)
    touch_count = np.bincount(o_cell, minlength=cells)
    # the beats holding each cell's centre. An untouched cell lies wholly inside or outside
    # each beat, and so does a run of untouched cells along a row (no outline crosses between
    # them), so a centre is tested for every touched cell and for the first cell of each run
    # only, and the run takes its first cell's answer
    touched = (touch_count > 0).reshape(ny, nx)
    start = ~touched
    start[:, 1:] &= touched[:, :-1]
    tested = np.flatnonzero((touched | start).ravel())
    tx, ty = tested % nx, tested // nx
    cx, cy = x0 + (tx + 0.5) * dx, y0 + (ty + 0.5) * dy
    # (tested centre, beat) pairs whose beat's box holds the centre, then the centres inside
    tree = shapely.STRtree(geoms)
    pj, pi = tree.query(shapely.points(cx, cy))
    inside = shapely.contains_xy(geoms[pi], cx[pj], cy[pj]) if len(pj) else pj.astype(bool)
    pj, pi = pj[inside], pi[inside]
    order = np.lexsort((pi, pj))  # by centre, then beat
    pj, pi = pj[order], pi[order]
    t_count = np.bincount(pj, minlength=len(tested)).astype(np.int32)
    t_beat = np.full(len(tested), -1, dtype=np.int32)
    first = np.r_[True, pj[1:] != pj[:-1]] if len(pj) else np.zeros(0, dtype=bool)
    t_beat[pj[first]] = pi[first]  # the lowest beat holding the centre
    # every cell's tested cell: itself when touched or tested, else its run's first cell
    col = np.where(touched | start, np.arange(nx)[None, :], 0)
    src = (np.arange(ny)[:, None] * nx + np.maximum.accumulate(col, axis=1)).ravel()
    pos = np.full(cells, -1, dtype=np.int64)
    pos[tested] = np.arange(len(tested))
    of = pos[src]
    centre_beat = t_beat[of]
    centre_count = t_count[of]
    edge = (touch_count > 0) | (centre_count > 1)
    grid = np.where(edge, -1, centre_beat).astype(np.int32)
    edge_cells = np.flatnonzero(edge)
    row_of = np.full(cells, -1, dtype=np.int64)
    row_of[edge_cells] = np.arange(len(edge_cells))
    cand = np.zeros((len(edge_cells), n), dtype=bool)
    cand[row_of[o_cell], o_beat] = True
    has_centre = edge_cells[centre_beat[edge_cells] >= 0]
    cand[row_of[has_centre], centre_beat[has_centre]] = True
    # a cell whose centre lies in several beats (overlapping beats): all of them
    multi = np.flatnonzero(centre_count > 1)
    if len(multi):
        lo = np.searchsorted(pj, of[multi], side="left")
        cnt = np.searchsorted(pj, of[multi], side="right") - lo
        at = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
        cand[row_of[np.repeat(multi, cnt)], pi[at]] = True
    grid[edge_cells] = -(np.arange(len(edge_cells), dtype=np.int32) + 2)
    return grid.reshape(ny, nx), cand


def _read_layer(path: Path, id_field: str, district_field: str | None):
    import pyogrio.raw
    from pyogrio.errors import DataSourceError as _PyogrioError

    cols = [id_field] + ([district_field] if district_field else [])
    # one read (a GeoJSON file is parsed whole on every open): pyogrio leaves out a column the
    # layer has not got, and only then is the layer's field list read, for the message
    try:
        meta, _fids, wkb, values = pyogrio.raw.read(path, columns=cols)
    except _PyogrioError as exc:
        raise DataSourceError(f"cannot read beats layer {str(path)!r}: {exc}") from None
    order = [str(f) for f in meta["fields"]]
    for needed in cols:
        if needed not in order:
            fields = [str(f) for f in pyogrio.read_info(path)["fields"]]
            raise DataSourceError(
                f"beats layer {str(path)!r} has no field {needed!r}; fields: {fields} "
                "(set beats.id_field / beats.district_field in the area file)"
            )
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
