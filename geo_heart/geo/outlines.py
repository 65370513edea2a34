"""Geometry a map run derives from the beats alone, kept in the cache folder.

Maps, the report's equity map and the QGIS project draw each service area as the union of its
beats, and the interactive map draws the beats simplified for display. Dissolving the 35 Durham
beats took ~0.25 s and simplifying them ~0.15 s, in every ``map`` run and more than once per run;
both depend only on the beat polygons (and the beats named, the tolerance, the CRS), so they are
per-area constants: they are kept in memory on the area and on disk as ``outline-<key>.npz`` and
``display-<key>.npz``, keyed by the SHA-1 of their inputs (geometries as WKB), the GEOS and PROJ
versions and the cache format. A stale entry can never be used; a damaged or unwritable one is
rebuilt or skipped. What is read back is the WKB of exactly what was computed, so a cached run
draws the same coordinates as an uncached one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

GEOMETRY_CACHE_FORMAT = 1


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
        key = ["outline", beats_digest(ws), list(ids)]
        return geometries_on_disk(
            ws,
            "outline",
            key,
            lambda: [shapely.union_all([index.geometry_of(b) for b in ids])],
        )[0]

    return ws.cached(("beats_outline", ids), build)


def display_geometries(ws, geoms: Sequence, *, tolerance: float, crs: str) -> list:
    """``geoms`` (EPSG:4326) simplified in ``crs`` by ``tolerance`` (its units; topology kept),
    back in EPSG:4326 on a 1e-5 degree grid: what the interactive map draws.

    Each geometry is simplified on its own, so the result depends only on ``geoms``; it is cached
    on the area and in the cache folder, keyed by their WKB, the tolerance and the CRS.
    """
    import shapely

    arr = np.asarray(geoms, dtype=object)
    h = hashlib.sha1()
    for wkb in shapely.to_wkb(arr):
        h.update(wkb)
    key = ["display", h.hexdigest(), float(tolerance), str(crs)]

    def build() -> list:
        def simplify() -> list:
            import geopandas as gpd

            proj = gpd.GeoSeries(arr, crs="EPSG:4326").to_crs(crs)
            simple = shapely.simplify(proj.values, tolerance, preserve_topology=True)
            back = gpd.GeoSeries(list(simple), crs=crs).to_crs("EPSG:4326")
            return list(shapely.set_precision(back.values, 1e-5))

        return geometries_on_disk(ws, "display", key, simplify)

    return ws.cached(("display_geometries", *key), build)


def geometries_on_disk(ws, prefix: str, key: list, build: Callable[[], list]) -> list:
    """``build()`` (a list of shapely geometries), kept as ``<prefix>-<sha1>.npz`` in the cache
    folder; the SHA-1 covers ``key``, the GEOS and PROJ versions and the cache format."""
    import pyproj
    import shapely

    from geo_heart.io.files import atomic_write

    h = hashlib.sha1(
        json.dumps(
            [GEOMETRY_CACHE_FORMAT, shapely.geos_version_string, pyproj.proj_version_str, key]
        ).encode()
    )
    cache = Path(ws.settings.cache_dir) / f"{prefix}-{h.hexdigest()[:24]}.npz"
    if cache.exists():
        try:
            with np.load(cache, allow_pickle=False) as z:
                blob, lengths = z["wkb"].tobytes(), z["lengths"]
            ends = np.cumsum(lengths)
            wkbs = [blob[e - n : e] for e, n in zip(ends.tolist(), lengths.tolist(), strict=True)]
            return list(shapely.from_wkb(np.array(wkbs, dtype=object)))
        except Exception as exc:  # a damaged entry is rebuilt
            log.warning("ignoring unreadable geometry cache %s: %s", cache, exc)
    geoms = build()
    try:
        wkbs = shapely.to_wkb(np.asarray(geoms, dtype=object))
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(cache) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(
                    fh,
                    wkb=np.frombuffer(b"".join(wkbs), dtype=np.uint8),
                    lengths=np.array([len(w) for w in wkbs], dtype=np.int64),
                )
    except Exception as exc:  # e.g. a read-only cache folder: the geometries are still returned
        log.warning("could not cache geometries in %s: %s", cache, exc)
    return geoms
