"""Beats dissolved to one outline (a service area), kept in the cache folder.

Maps, the report's equity map and the QGIS project draw each service area as the union of its
beats. Dissolving the 35 Durham beats took ~0.25 s, in every ``map`` run and more than once per
run; the outline depends only on the beat polygons and the beats named, so it is a per-area
constant: :func:`beats_outline` keeps it in memory on the area and on disk as
``outline-<key>.wkb``, keyed by the SHA-1 of the beats' ids and geometries (WKB, as the beat
index holds them), the beats named (in order) and the cache format. A stale entry can never be
used; a damaged or unwritable one is rebuilt or skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

OUTLINE_CACHE_FORMAT = 1


def beats_digest(ws) -> str:
    """SHA-1 (hex) of the beat index's ids and geometries (WKB), computed once per area."""

    def build() -> str:
        import shapely

        index = ws.beat_index
        h = hashlib.sha1(json.dumps([str(b) for b in index.beats]).encode())
        for wkb in shapely.to_wkb(np.asarray(index.geoms, dtype=object)):
            h.update(wkb)
        return h.hexdigest()

    return ws.cached(("beats_digest",), build)


def beats_outline(ws, beats: Iterable[str]):
    """The union of the named beats' polygons (EPSG:4326; an empty GeometryCollection when none
    of them is in the beat index).

    Beats are dissolved in the order given (ids not in the index are skipped), so the result is
    exactly ``shapely.union_all([index.geometry_of(b) for b in beats])``, read back from the cache
    folder when it holds it.
    """
    import shapely

    index = ws.beat_index
    known = set(index.beats)
    ids = tuple(str(b) for b in beats if b in known)
    if not ids:
        return shapely.GeometryCollection()

    def build():
        return _outline_on_disk(
            ws, ids, lambda: shapely.union_all([index.geometry_of(b) for b in ids])
        )

    return ws.cached(("beats_outline", ids), build)


def _outline_on_disk(ws, ids: tuple[str, ...], build):
    import shapely

    from geo_heart.io.files import atomic_write

    h = hashlib.sha1(f"outline v{OUTLINE_CACHE_FORMAT}".encode())
    h.update(beats_digest(ws).encode())
    h.update(json.dumps(list(ids)).encode())
    cache = Path(ws.settings.cache_dir) / f"outline-{h.hexdigest()[:24]}.wkb"
    if cache.exists():
        try:
            return shapely.from_wkb(cache.read_bytes())
        except Exception as exc:  # a damaged entry is rebuilt
            log.warning("ignoring unreadable outline cache %s: %s", cache, exc)
    geom = build()
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(cache) as tmp:
            tmp.write_bytes(shapely.to_wkb(geom))
    except Exception as exc:  # e.g. a read-only cache folder: the outline is still returned
        log.warning("could not cache the outline in %s: %s", cache, exc)
    return geom
