"""A parsed, classified call table kept between commands (Parquet in the cache folder).

``demand``, ``coverage``, ``map``, ``staffing``, ``expand`` … each start by reading, classifying,
placing and timing the same call table (:func:`geo_heart.analysis.calls.load_calls`). The result
is stored once as ``calls-<key>.parquet`` in the cache folder and read back by the next command.

The key is the SHA-1 of everything the result depends on: the calls file's content, the area
file's content, the beats layer's content (the geocoder's reference index key when addresses are
geocoded), the column options, the scenario and geo-heart's version. A changed byte anywhere gives
a new key, so a stale table is never used; old entries are simply left behind (delete the folder
to reclaim the space). Calls judged under one fixed rule set (``--rules``/``--as-of``) are not
cached. An unreadable or unwritable cache is logged and ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: bump when the cached frame's layout changes
CACHE_FORMAT = 2
_META_KEY = b"geo_heart_calls"
#: CallData fields stored beside the frame (all JSON-ready)
_FIELDS = (
    "source",
    "programs",
    "unknown_codes",
    "unplaced",
    "unplaced_reasons",
    "bad_times",
    "time_counts",
    "location_mode",
    "date_only",
    "time_notes",
    "time_basis",
)


def cache_key(ws, path: Path, options: dict[str, Any]) -> str:
    """The content key of a call table loaded with ``options`` (see the module doc)."""
    from geo_heart import __version__
    from geo_heart.io.files import file_sha1

    h = hashlib.sha1(f"calls v{CACHE_FORMAT} geo-heart {__version__}".encode())
    h.update(b"calls")
    h.update(file_sha1(path).encode())
    h.update(b"area")
    h.update(file_sha1(ws.config.path).encode())
    beats = ws.data_path(ws.config.beats.file)
    if beats.exists():
        h.update(b"beats")
        h.update(file_sha1(beats).encode())
    if options.get("geocode") or options.get("address_column"):
        from geo_heart.geocode.reference import index_key

        try:
            h.update(b"reference")
            h.update(index_key(ws).encode())
        except Exception as exc:  # no reference data: the load itself will say so
            h.update(type(exc).__name__.encode())
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    return h.hexdigest()[:24]


def cache_file(ws, key: str) -> Path:
    """Where the table for ``key`` is kept."""
    return Path(ws.settings.cache_dir) / f"calls-{key}.parquet"


def read_cached(ws, key: str):
    """The cached :class:`~geo_heart.analysis.calls.CallData` for ``key``, or ``None``."""
    from geo_heart.analysis.calls import CallData

    p = cache_file(ws, key)
    if not p.exists():
        return None
    try:
        import pyarrow.parquet as pq

        table = pq.read_table(p)
        meta = json.loads(table.schema.metadata[_META_KEY])
        frame = table.to_pandas()
    except Exception as exc:  # a damaged entry is rebuilt
        log.warning("ignoring unreadable call cache %s: %s", p, exc)
        return None
    log.info("calls from the cache (%s)", p.name)
    return CallData(frame=frame, **{k: meta[k] for k in _FIELDS if k in meta})


def write_cached(ws, key: str, data) -> None:
    """Store ``data`` under ``key`` (errors are logged, never raised)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from geo_heart.io.files import atomic_write

    p = cache_file(ws, key)
    try:
        table = pa.Table.from_pandas(data.frame, preserve_index=True)
        meta = {k: getattr(data, k) for k in _FIELDS}
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()}
        )
        with atomic_write(p) as tmp:
            pq.write_table(table, tmp)
    except Exception as exc:  # e.g. a column pyarrow cannot store, a read-only folder
        log.warning("could not cache the call table in %s: %s", p.parent, exc)
