"""Computed crossing records kept on disk beside the cached index.

A crossing record (where two streets meet, its uncertainty and the beats within reach: see
:meth:`geo_heart.geocode.intersect.IntersectionMatcher._crossing_place`) is a pure function of
the index and the area's beats, both named by the index key. Computing one takes about a
millisecond, so the first pass over a city's texts spent much of its time on them; the records
computed by a batch are written to ``geocode-crossrecords-<key>.pkl`` (beside
``geocode-crossings-<key>.pkl``) at its end, and the next process reads them instead. The beats
within a crossing's calibrated radius, when it is wider than the record's reach, are kept in the
same file (``near``, keyed by the crossing's projected point and the radius: a pure function of
the index and the beats too; another calibration gives other radii, hence other keys).

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


def load_tables(path: Path | None) -> tuple[dict[tuple[str, str], Any], dict[tuple, Any]]:
    """The records stored in ``path`` (street pair → record or None) and the beats near its
    crossings (``(x, y, radius m)`` → ``((beat, lon, lat), ...)``: see
    :meth:`~geo_heart.geocode.intersect.IntersectionMatcher._near_beats`); both empty when
    there is no file or it cannot be read (a warning is logged; it is rewritten by the next
    batch). A file written before the near beats were kept has none."""
    if path is None or not path.exists():
        return {}, {}
    try:
        with open(path, "rb") as f:
            got = pickle.load(f)
        if not isinstance(got, dict) or got.get("version") != RECORDS_VERSION:
            raise ValueError("not a crossing records file of this version")
        records = got["records"]
        near = got.get("near", {})
        if not isinstance(records, dict) or not isinstance(near, dict):
            raise ValueError("no records table")
        return records, near
    except Exception as exc:  # a damaged cache is rebuilt, never fatal
        log.warning("crossing records cache %s unreadable (%s); computing them again", path, exc)
        return {}, {}


def load_records(path: Path | None) -> dict[tuple[str, str], Any]:
    """The records stored in ``path`` (:func:`load_tables` without the near beats)."""
    return load_tables(path)[0]


def read_into(path: Path | None, records: dict, near: dict) -> None:
    """Add the records and near beats stored in ``path`` to a geocoder's memos (what the memos
    hold already stays)."""
    got_records, got_near = load_tables(path)
    for key, got in got_records.items():
        records.setdefault(key, got)
    for key, got in got_near.items():
        near.setdefault(key, got)


def save_records(
    path: Path | None, new: dict[tuple[str, str], Any], near: dict[tuple, Any] | None = None
) -> int:
    """Merge ``new`` records (and ``near`` beats) into the file at ``path`` (written
    atomically); never raises.

    Returns the number of records in the file written (0 when nothing was written).
    """
    from geo_heart.io.files import atomic_write

    if path is None or not (new or near):
        return 0
    try:
        with _RECORDS_LOCK:
            merged, merged_near = load_tables(path) if path.exists() else ({}, {})
            merged.update(new)
            merged_near.update(near or {})
            with atomic_write(path) as tmp, open(tmp, "wb") as f:
                pickle.dump(
                    {"version": RECORDS_VERSION, "records": merged, "near": merged_near},
                    f,
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
        log.debug("crossing records: %d written to %s", len(merged), path)
        return len(merged)
    except Exception as exc:  # a cache write never fails the user's call
        log.warning("cannot cache crossing records in %s: %s", path, exc)
        return 0
