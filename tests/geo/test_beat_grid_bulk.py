"""The beat grid built in bulk (issue 31, item 1: the cold build's own work as array
operations) is the grid the per-beat loops built, cell for cell and candidate for candidate: on
random layouts (overlapping beats, holes, multipolygons, vertices on cell lines) and on Durham's
and Portland's beat layers. The reference below is the per-beat code as it was before."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely

from geo_heart.geo import beats as beats_mod
from geo_heart.geo._layer import _build_grid, _outline_pairs

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def _outline_cells_one(g, x0, y0, dx, dy, nx, ny) -> np.ndarray:
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


def _grid_per_beat(geoms, x0, y0, dx, dy, nx, ny) -> tuple[np.ndarray, np.ndarray]:
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
        hit = _outline_cells_one(g, x0, y0, dx, dy, nx, ny)
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


def _layout(seed: int) -> np.ndarray:
    """Polygons that overlap, have holes, come in several parts, sit on cell lines, or are
    missing / empty."""
    rng = np.random.default_rng(1000 + seed)
    out = []
    for _ in range(int(rng.integers(1, 9))):
        c, r = rng.uniform(0, 10, 2), rng.uniform(0.3, 4)
        kind = int(rng.integers(0, 5))
        if kind == 0:
            g = shapely.buffer(shapely.points(*c), r, quad_segs=int(rng.integers(1, 8)))
        elif kind == 1:  # corners on whole numbers: on cell lines for most cell sizes
            x, y = np.floor(c)
            g = shapely.box(x, y, x + np.ceil(r), y + np.ceil(r))
        elif kind == 2:
            g = shapely.multipolygons(
                [shapely.box(*c, *(c + r / 3)), shapely.box(*(c + r / 2), *(c + r))]
            )
        elif kind == 3:
            ring = shapely.make_valid(shapely.polygons(rng.uniform(0, 10, (7, 2))))
            parts = [p for p in shapely.get_parts(ring) if p.geom_type == "Polygon"]
            g = shapely.union_all(parts) if parts else shapely.box(0, 0, 1, 1)
        else:
            g = [None, shapely.Polygon()][int(rng.integers(0, 2))]
        if g is not None and not g.is_empty and rng.random() < 0.3:
            g = shapely.difference(g, shapely.buffer(shapely.points(*c), r / 3))
        out.append(g)
    return np.array(out, dtype=object)


@pytest.mark.parametrize("seed", range(80))
def test_grid_in_bulk_is_the_per_beat_grid(seed):
    geoms = _layout(seed)
    if all(g is None or g.is_empty for g in geoms):
        geoms = np.array([shapely.box(1, 1, 3, 3), *geoms], dtype=object)
    d = [0.1, 0.25, 0.5, 1 / 3, 1.0][seed % 5]
    x0 = [-1.0, -0.5, 0.0, -0.3, 0.0][seed % 5]
    n = int(12 / d)
    got_grid, got_cand = _build_grid(geoms, x0, x0, d, d, n, n - 3)
    want_grid, want_cand = _grid_per_beat(geoms, x0, x0, d, d, n, n - 3)
    np.testing.assert_array_equal(got_grid, want_grid)
    np.testing.assert_array_equal(got_cand, want_cand)
    assert got_grid.dtype == want_grid.dtype and got_cand.dtype == want_cand.dtype
    assert (got_grid <= -2).any()  # edge cells were made


def test_outline_pairs_are_each_beats_outline_cells():
    geoms = np.array(
        [shapely.box(0, 0, 2, 2), None, shapely.Polygon(), shapely.box(1.5, 0.5, 4, 4)],
        dtype=object,
    )
    beat, cell = _outline_pairs(geoms, -0.5, -0.5, 0.5, 0.5, 10, 10)
    assert set(np.unique(beat).tolist()) == {0, 3}
    for i in (0, 3):
        want = _outline_cells_one(geoms[i], -0.5, -0.5, 0.5, 0.5, 10, 10)
        np.testing.assert_array_equal(cell[beat == i], want)
    # the square 0..2, cells of 0.5 from -0.5: its sides lie on cell lines (x, y = 0 and 2), so
    # each side takes the cells on both of its sides: columns and rows 0, 1, 4, 5 of 0..5
    assert len(cell[beat == 0]) == 6 * 6 - 2 * 2


@pytest.mark.parametrize(
    "area, file, id_field",
    [("durham", "police_beats.geojson", "LAWBEAT"),
     ("portland", "police_districts_2016.geojson", "DISTRICT")],
)  # fmt: skip
@pytest.mark.slow
def test_real_beat_layers_grid_is_the_per_beat_grid(area, file, id_field, monkeypatch):
    path = DATA / area / file
    if not path.exists():
        pytest.skip(f"{path} not present")
    got = beats_mod.BeatIndex.from_file(path, id_field=id_field)
    monkeypatch.setattr(beats_mod, "_build_grid", _grid_per_beat)
    want = beats_mod.BeatIndex.from_file(path, id_field=id_field)
    assert (got.nx, got.ny, got.x0, got.y0, got.dx) == (want.nx, want.ny, want.x0, want.y0, want.dx)
    np.testing.assert_array_equal(got.grid, want.grid)
    np.testing.assert_array_equal(got.cand, want.cand)
    assert got.cand.shape[0] > 1000 and got.cand.shape[1] == len(got.ids) > 20
