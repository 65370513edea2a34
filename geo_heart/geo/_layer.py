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


def _outline_cells(g, x0, y0, dx, dy, nx, ny) -> np.ndarray:
    """Flat indices of every grid cell that the outline of polygon ``g`` touches.

    The outline is cut into segments shorter than a cell, so a segment touches only the cells of
    its two ends and, when it crosses a corner diagonally, the two cells beside that corner. A
    vertex on a cell line counts for the cells on both sides.
    """
    step = min(dx, dy) / 4
    cells = []
    for part in shapely.get_parts(shapely.boundary(g)):
        xy = shapely.get_coordinates(shapely.segmentize(part, step))
        fx, fy = (xy[:, 0] - x0) / dx, (xy[:, 1] - y0) / dy
        ix, iy = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
        on_x, on_y = fx == ix, fy == iy  # on a cell line: the cell before it too
        cols = [(ix, iy), (ix - on_x, iy), (ix, iy - on_y), (ix - on_x, iy - on_y)]
        diag = (np.abs(np.diff(ix)) == 1) & (np.abs(np.diff(iy)) == 1)
        if diag.any():
            k = np.flatnonzero(diag)
            cols += [(ix[k + 1], iy[k]), (ix[k], iy[k + 1])]
        for cx, cy in cols:
            ok = (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
            cells.append(cy[ok] * nx + cx[ok])
    if not cells:
        return np.empty(0, dtype=np.int64)
    return np.unique(np.concatenate(cells))


def _build_grid(geoms, x0, y0, dx, dy, nx, ny) -> tuple[np.ndarray, np.ndarray]:
    """The lookup grid: each cell's beat, ``-1`` (outside every beat) or an edge row.

    Rasterised from the outlines, never by testing one box per cell: every cell an outline
    touches is an *edge* cell (:func:`_outline_cells`). An edge cell's candidates are the beats
    whose outlines touch it plus the beat holding its centre; any other cell lies wholly inside
    or wholly outside each beat, so its centre decides it.
    """
    n = len(geoms)
    shapely.prepare(geoms)
    cells = nx * ny
    near: list[np.ndarray] = []  # per beat: the flat cells its outline may touch
    touch_count = np.zeros(cells, dtype=np.int32)
    for g in geoms:
        if g is None or g.is_empty:
            near.append(np.empty(0, dtype=np.int64))
            continue
        hit = _outline_cells(g, x0, y0, dx, dy, nx, ny)
        near.append(hit)
        touch_count[hit] += 1
    # the beats holding each cell's centre. An untouched cell lies wholly inside or outside
    # each beat, and so does a run of untouched cells along a row (no outline crosses between
    # them), so a centre is tested for every touched cell and for the first cell of each run
    # only, and the run takes its first cell's answer (tested only inside each beat's box)
    touched = (touch_count > 0).reshape(ny, nx)
    start = ~touched
    start[:, 1:] &= touched[:, :-1]
    tested = np.flatnonzero((touched | start).ravel())
    tx, ty = tested % nx, tested // nx
    t_beat = np.full(len(tested), -1, dtype=np.int32)
    t_count = np.zeros(len(tested), dtype=np.int32)
    t_extra: list[tuple[int, int]] = []  # (tested position, beat) for centres in a second beat
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        gx0, gy0, gx1, gy1 = shapely.bounds(g)
        ix0 = max(0, int(math.floor((gx0 - x0) / dx)))
        ix1 = min(nx - 1, int(math.floor((gx1 - x0) / dx)))
        iy0 = max(0, int(math.floor((gy0 - y0) / dy)))
        iy1 = min(ny - 1, int(math.floor((gy1 - y0) / dy)))
        if ix1 < ix0 or iy1 < iy0:
            continue
        k = np.flatnonzero((tx >= ix0) & (tx <= ix1) & (ty >= iy0) & (ty <= iy1))
        inside = shapely.contains_xy(g, x0 + (tx[k] + 0.5) * dx, y0 + (ty[k] + 0.5) * dy)
        k = k[inside]
        t_extra.extend((int(j), i) for j in k[t_count[k] > 0].tolist())
        t_count[k] += 1
        first = k[t_beat[k] < 0]
        t_beat[first] = i
    # every cell's tested cell: itself when touched or tested, else its run's first cell
    col = np.where(touched | start, np.arange(nx)[None, :], 0)
    src = (np.arange(ny)[:, None] * nx + np.maximum.accumulate(col, axis=1)).ravel()
    pos = np.full(cells, -1, dtype=np.int64)
    pos[tested] = np.arange(len(tested))
    of = pos[src]
    centre_beat = t_beat[of]
    centre_count = t_count[of]
    extra: list[tuple[int, int]] = []
    if t_extra:
        beats_at: dict[int, list[int]] = {}
        for j, i in t_extra:
            beats_at.setdefault(j, []).append(i)
        for c in np.flatnonzero(np.isin(of, list(beats_at))).tolist():
            extra.extend((c, i) for i in beats_at[int(of[c])])
    edge = (touch_count > 0) | (centre_count > 1)
    grid = np.where(edge, -1, centre_beat).astype(np.int32)
    edge_cells = np.flatnonzero(edge)
    row_of = np.full(cells, -1, dtype=np.int64)
    row_of[edge_cells] = np.arange(len(edge_cells))
    cand = np.zeros((len(edge_cells), n), dtype=bool)
    for i, hit in enumerate(near):
        cand[row_of[hit], i] = True
    has_centre = edge_cells[centre_beat[edge_cells] >= 0]
    cand[row_of[has_centre], centre_beat[has_centre]] = True
    for c, i in extra:
        if row_of[c] >= 0:
            cand[row_of[c], i] = True
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
