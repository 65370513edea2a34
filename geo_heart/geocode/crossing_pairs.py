"""Which streets meet: every pair of streets within reach of each other, found in bulk.

The reference index lists these pairs when it is built (one bulk STRtree query and one vectorised
distance test); each pair's crossing record is computed the first time a lookup asks for it
(:mod:`geo_heart.geocode.intersect`, in bulk for a batch by :mod:`geo_heart.geocode.crossbatch`).
"""

from __future__ import annotations

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

    keys, geoms = [], []
    for k in sorted(streets):
        for sh in shapes(k):
            for part in shapely.get_parts(sh.extended):
                keys.append(k)
                geoms.append(part)
    if not geoms:
        return {}
    arr = np.array(geoms, dtype=object)
    reach = NEAR_M / unit_m
    # candidates: parts whose boxes, grown by the reach, overlap (each pair once, two streets);
    # then one vectorised distance test over the candidates (the same pairs as a ``dwithin``
    # tree query, at about half the cost: no pair is tested twice)
    b = shapely.bounds(arr)
    boxes = shapely.box(b[:, 0] - reach, b[:, 1] - reach, b[:, 2] + reach, b[:, 3] + reach)
    left, right = shapely.STRtree(arr).query(boxes)
    key_arr = np.array(keys, dtype=object)
    a, c = key_arr[left], key_arr[right]
    cand = (left < right) & (a != c)
    left, right, a, c = left[cand], right[cand], a[cand], c[cand]
    # GEOS's prepared test, as the tree query applies it (the query part prepared, either way
    # round): it finds no reach from a zero-length part, and the pairs stay exactly those
    shapely.prepare(arr)
    near = shapely.dwithin(arr[left], arr[right], reach)
    back = np.flatnonzero(~near)
    near[back] = shapely.dwithin(arr[right[back]], arr[left[back]], reach)
    lo = np.where(a < c, a, c)[near].tolist()
    hi = np.where(a < c, c, a)[near].tolist()
    pairs = sorted(set(zip(lo, hi, strict=True)))
    return dict.fromkeys(pairs, PENDING)
