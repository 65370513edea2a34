"""Computed crossing records kept on disk beside the cached index.

A crossing record (where two streets meet, its uncertainty and the beats within reach: see
:meth:`geo_heart.geocode.intersect.IntersectionMatcher._crossing_place`) is a pure function of
the index and the area's beats, both named by the index key. Computing one takes about a
millisecond, so the first pass over a city's texts spent much of its time on them; the records
computed by a batch are written to ``geocode-crossrecords-<key>.pkl`` (beside
``geocode-crossings-<key>.pkl``) at its end, and the next process reads them instead.

The file is replaced atomically (temp file + ``os.replace``), merged with what is on disk when
written, and a damaged file is ignored with a warning (its records are computed again). Two
processes writing at once cannot corrupt it: the last writer wins, and both wrote records of
the same index.
"""

from __future__ import annotations

import logging
import pickle
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Bump when a record's layout or the way it is computed changes (older files are ignored).
RECORDS_VERSION = 1
#: one lock for reading, merging and writing records files (the service answers from threads)
_RECORDS_LOCK = threading.Lock()


def records_path(index: Any) -> Path | None:
    """The records file of ``index`` (beside its crossing table), or None for an index that was
    not loaded from the cache folder (made by hand or in a test)."""
    table = getattr(index, "crossings_file", None)
    if table is None:
        return None
    table = Path(table)
    return table.with_name(table.name.replace("geocode-crossings-", "geocode-crossrecords-"))


def load_records(path: Path | None) -> dict[tuple[str, str], Any]:
    """Records stored in ``path`` (street pair → record or None), empty when there is no file or
    it cannot be read (a warning is logged; it is rewritten by the next batch)."""
    if path is None or not path.exists():
        return {}
    try:
        with open(path, "rb") as f:
            got = pickle.load(f)
        if not isinstance(got, dict) or got.get("version") != RECORDS_VERSION:
            raise ValueError("not a crossing records file of this version")
        records = got["records"]
        if not isinstance(records, dict):
            raise ValueError("no records table")
        return records
    except Exception as exc:  # a damaged cache is rebuilt, never fatal
        log.warning("crossing records cache %s unreadable (%s); computing them again", path, exc)
        return {}


def save_records(path: Path | None, new: dict[tuple[str, str], Any]) -> int:
    """Merge ``new`` records into the file at ``path`` (written atomically); never raises.

    Returns the number of records in the file written (0 when nothing was written).
    """
    from geo_heart.io.files import atomic_write

    if path is None or not new:
        return 0
    try:
        with _RECORDS_LOCK:
            merged = load_records(path) if path.exists() else {}
            merged.update(new)
            with atomic_write(path) as tmp, open(tmp, "wb") as f:
                pickle.dump(
                    {"version": RECORDS_VERSION, "records": merged},
                    f,
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
        log.debug("crossing records: %d written to %s", len(merged), path)
        return len(merged)
    except Exception as exc:  # a cache write never fails the user's call
        log.warning("cannot cache crossing records in %s: %s", path, exc)
        return 0
