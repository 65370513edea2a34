"""The beat grid answers every cell as testing each cell's centre would (issue 31: a centre is
tested once per run of cells no outline touches)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo_heart.geo._layer import _build_grid


def _layout(seed: int) -> np.ndarray:
    """A few polygons: circles, boxes, random (repaired) rings, some with holes; may overlap."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(int(rng.integers(1, 6))):
        c, r = rng.uniform(0, 10, 2), rng.uniform(0.5, 4)
        kind = int(rng.integers(0, 3))
        if kind == 0:
            g = shapely.buffer(shapely.points(*c), r, quad_segs=int(rng.integers(1, 8)))
        elif kind == 1:
            g = shapely.box(c[0], c[1], c[0] + r, c[1] + r * rng.uniform(0.2, 2))
        else:
            ring = shapely.make_valid(shapely.polygons(rng.uniform(0, 10, (6, 2))))
            parts = [p for p in shapely.get_parts(ring) if p.geom_type == "Polygon"]
            g = shapely.union_all(parts) if parts else shapely.box(0, 0, 1, 1)
        if rng.random() < 0.3:
            g = shapely.difference(g, shapely.buffer(shapely.points(*c), r / 3))
        out.append(g)
    return np.array(out, dtype=object)


@pytest.mark.parametrize("seed", range(60))
def test_each_cell_is_answered_as_its_centre_is(seed):
    geoms = _layout(seed)
    d = [0.1, 0.25, 0.5, 0.3333][seed % 4]
    x0 = [-1.0, -0.5, 0.0, -0.3][seed % 4]
    n = int(12 / d)
    grid, cand = _build_grid(geoms, x0, x0, d, d, n, n)
    iy, ix = np.divmod(np.arange(n * n), n)
    x, y = x0 + (ix + 0.5) * d, x0 + (iy + 0.5) * d
    inside = np.column_stack([shapely.contains_xy(g, x, y) for g in geoms])  # cells x beats
    flat = grid.ravel()
    plain = flat >= -1
    # a cell with one answer: its centre lies in that beat only (or in none for -1)
    want = np.where(inside.any(axis=1), inside.argmax(axis=1), -1)
    assert (inside[plain].sum(axis=1) <= 1).all()
    np.testing.assert_array_equal(flat[plain], want[plain])
    # an edge cell: its candidates hold every beat its centre lies in
    rows = -flat[~plain] - 2
    assert (cand[rows] | ~inside[~plain]).all()
    assert plain.sum() > 0 and (~plain).sum() > 0
