"""The reference index's streets written to its cache file with their point arrays packed.

Private to :mod:`geo_heart.geocode.reference` (``ReferenceIndex.__getstate__`` /
``__setstate__``). A built index holds some 2,300 (Durham) to 2,500 (Portland) streets with
points, each with five small arrays (house numbers, lon, lat, projected x and y); pickled one by
one they took half of the index write on a first run. Packed, each of the five is one array of
all streets' values (in street order) with each street's length, and loading gives each street
its own slice of it: the same numbers, dtypes and lengths as before (tested), written in a
third to a half of the time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: the per-street point arrays that are packed (every other field is pickled as it is)
PACKED_FIELDS = ("numbers", "lon", "lat", "x_ft", "y_ft")


def pack_streets(streets: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple]] | None:
    """``(streets with the packed fields set to None, {field: (owners, lengths, values)})``.

    ``owners`` are the positions (in ``streets``' order) of the streets that have the field,
    ``lengths`` their arrays' lengths, ``values`` the arrays one after the other. The streets
    given are not changed (the returned ones are shallow copies). None when a field is not
    packable as the same array again (not a 1-D array, or dtypes that differ between streets):
    the streets are then pickled as they are.
    """
    sds = list(streets.values())
    packed: dict[str, tuple] = {}
    for f in PACKED_FIELDS:
        owners = [i for i, sd in enumerate(sds) if getattr(sd, f) is not None]
        arrays = [getattr(sds[i], f) for i in owners]
        if not arrays:
            continue
        if not all(type(a) is np.ndarray and a.ndim == 1 for a in arrays):
            return None
        dtype = arrays[0].dtype
        if dtype.hasobject or any(a.dtype != dtype for a in arrays):
            return None
        lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        packed[f] = (np.asarray(owners, dtype=np.int64), lengths, np.concatenate(arrays))
    if not packed:
        return None
    light: dict[str, Any] = {}
    for key, sd in zip(streets, sds, strict=True):
        copy = object.__new__(type(sd))
        copy.__dict__.update(sd.__dict__)
        for f in packed:
            copy.__dict__[f] = None
        light[key] = copy
    return light, packed


def unpack_streets(streets: dict[str, Any], packed: dict[str, tuple]) -> None:
    """Give each street of ``streets`` (as loaded) its slice of the packed arrays, in place."""
    sds = list(streets.values())
    for f, (owners, lengths, values) in packed.items():
        parts = np.split(values, np.cumsum(lengths)[:-1]) if len(lengths) else []
        for i, part in zip(owners.tolist(), parts, strict=True):
            sds[i].__dict__[f] = part
