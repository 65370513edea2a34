"""Which streets meet: every pair of streets within reach of each other, found in bulk.

The reference index lists these pairs when it is built (one bulk STRtree query and one vectorised
distance test); each pair's crossing record is computed the first time a lookup asks for it
(:mod:`geo_heart.geocode.intersect`, in bulk for a batch by :mod:`geo_heart.geocode.crossbatch`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

from geo_heart.geocode.lines import ROAD_SIGMA_M, StreetShape, shape_of

#: a crossing record not computed yet (:func:`precompute_crossings`): computed on first use
PENDING: tuple = ()


def precompute_crossings(g) -> dict[tuple[str, str], tuple]:
    """Every pair of streets whose geometries come within reach → :data:`PENDING`.

    ``g`` is a :class:`~geo_heart.geocode.match.Geocoder` on an index without crossings yet.
    Which streets meet is found for all pairs at once (one bulk STRtree query over every street
    part's reach, then one vectorised ``dwithin``); each pair's crossing record (its point, uncertainty and nearby beats)
    is computed the first time a lookup asks for it and memoised on the geocoder
    (:meth:`Geocoder._crossing_place`), so building the index costs one query instead of tens
    of thousands of per-pair geometry operations.
    """
    return crossing_pairs(g.index.streets, g._projection()[2], shapes=g._shapes)


def crossing_pairs(streets: dict, unit_m: float, *, shapes=None) -> dict[tuple[str, str], tuple]:
    """:func:`precompute_crossings` from the index's streets (``{key: StreetData}``) and the
    metres per unit of its projected CRS; ``shapes`` (a geocoder's ``_shapes``) gives each
    street's shapes, made here when not given (an index build needs no geocoder for this)."""
    from geo_heart.geocode.lines import NEAR_M

    if shapes is None:
        shapes = street_shapes(streets, unit_m)
    keys, geoms = [], []
    for k in sorted(streets):
        for sh in shapes(k):
            for part in shapely.get_parts(sh.extended):
                keys.append(k)
                geoms.append(part)
    pairs = sorted(_meeting(keys, geoms, NEAR_M / unit_m))
    return dict.fromkeys(pairs, PENDING)


def no_table(index) -> bool:
    """True when ``index``'s crossing table is neither in memory nor in its cache file (another
    thread may be making it, and may finish mid-batch: the answers are the same). A batch then
    tests its own street pairs (:func:`pairs_meeting`) instead of making the table for every
    street; single lookups, the service's background thread and ``index build`` still make it.
    False for an index without the metres per unit (made by hand: no table at all)."""
    from pathlib import Path

    if getattr(index, "unit_m", None) is None:
        return False
    if index.crossings is not None and index.paths_ready:
        return False
    path = getattr(index, "crossings_file", None)
    return path is None or not Path(path).exists()


def street_shapes(streets: dict, unit_m: float) -> Callable[[str], list[StreetShape]]:
    """Each street's shapes (road line, then the path through its address points) made from the
    index's streets, as a geocoder makes them (``_shapes``), without memoising them."""

    def shapes(k: str) -> list[StreetShape]:
        sd = streets[k]
        return [
            s
            for s in (
                shape_of("road line", sd.road_parts, ROAD_SIGMA_M / unit_m, unit_m),
                shape_of("address points", sd.path_parts, sd.path_sigma, unit_m),
            )
            if s is not None
        ]

    return shapes


def pairs_meeting(
    pairs, shapes: Callable[[str], list[StreetShape]], unit_m: float
) -> set[tuple[str, str]]:
    """Which of the street pairs ``pairs`` (``(a, b)``, ``a < b``) meet: the pairs of
    :func:`crossing_pairs` among them, found from those streets' parts alone.

    The same bulk test as the whole table (one STRtree query of the parts' reach boxes, then the
    prepared ``dwithin`` both ways), restricted to the parts of the streets named and to the
    part pairs of the pairs asked for: each part pair is tested on its own, so the answer for a
    pair does not depend on the other streets (a batch of texts needs no table of the whole
    area). ``shapes``: each street's shapes (a geocoder's ``_shapes``).
    """
    from geo_heart.geocode.lines import NEAR_M

    wanted = {(a, b) if a <= b else (b, a) for a, b in pairs}
    keys, geoms = [], []
    for k in sorted({s for pair in wanted for s in pair}):
        for sh in shapes(k):
            for part in shapely.get_parts(sh.extended):
                keys.append(k)
                geoms.append(part)
    return _meeting(keys, geoms, NEAR_M / unit_m, wanted) & wanted


def _meeting(keys: list[str], geoms: list, reach: float, wanted: set | None = None) -> set:
    """The street pairs ``(lo, hi)`` with parts within ``reach`` (projected units) of each
    other; ``keys[i]`` is the street of part ``geoms[i]`` (``wanted``: test only those pairs)."""
    if not geoms:
        return set()
    arr = np.array(geoms, dtype=object)
    # candidates: parts whose boxes, grown by the reach, overlap (each pair once, two streets);
    # then one vectorised distance test over the candidates (the same pairs as a ``dwithin``
    # tree query, at about half the cost: no pair is tested twice)
    b = shapely.bounds(arr)
    boxes = shapely.box(b[:, 0] - reach, b[:, 1] - reach, b[:, 2] + reach, b[:, 3] + reach)
    left, right = shapely.STRtree(arr).query(boxes)
    key_arr = np.array(keys, dtype=object)
    a, c = key_arr[left], key_arr[right]
    cand = (left < right) & (a != c)
    if wanted is not None:
        # only the part pairs of the street pairs asked for (streets numbered in sorted order)
        names, code = np.unique(key_arr, return_inverse=True)
        at = {k: i for i, k in enumerate(names.tolist())}
        n = len(names)
        ask = np.array(
            [at[x] * n + at[y] for x, y in wanted if x in at and y in at], dtype=np.int64
        )
        ca, cc = code[left], code[right]
        cand &= np.isin(np.minimum(ca, cc) * n + np.maximum(ca, cc), ask)
    left, right, a, c = left[cand], right[cand], a[cand], c[cand]
    # GEOS's prepared test, as the tree query applies it (the query part prepared, either way
    # round): it finds no reach from a zero-length part, and the pairs stay exactly those
    shapely.prepare(arr)
    near = shapely.dwithin(arr[left], arr[right], reach)
    back = np.flatnonzero(~near)
    near[back] = shapely.dwithin(arr[right[back]], arr[left[back]], reach)
    lo = np.where(a < c, a, c)[near].tolist()
    hi = np.where(a < c, c, a)[near].tolist()
    return set(zip(lo, hi, strict=True))
