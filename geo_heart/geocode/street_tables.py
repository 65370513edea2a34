"""A geocoder's read-only per-street tables (private to :mod:`geo_heart.geocode.match`).

They are a pure function of the reference index and the beat index, so they are made once per
pair and kept on the index object in memory (never in its cache file): every geocoder of the
index shares them (a first run makes one geocoder to place the ``[places]`` addresses while the
index is built, and the area's own after it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from geo_heart.geocode.address import SPELLED_ORDINALS
from geo_heart.geocode.exact import ExactAddresses

if TYPE_CHECKING:  # pragma: no cover
    from geo_heart.geocode.reference import ReferenceIndex


class StreetTables:
    """A geocoder's read-only per-street tables, a pure function of its reference index and beat
    index (:func:`street_tables`).

    Attributes
    ----------
    names_by_len
        Every known street name (and spelled-ordinal alias) by its length: the fuzzy search pools.
    name_alias
        Spelled-ordinal alias (``FIRST ST``) → street name (``1ST ST``).
    pts
        Street key → plain lists for fast scalar work: numbers, lon, lat, beat of each point,
        and (numbers, positions) of the even and of the odd numbers.
    xy
        Street key → projected x and y of each point (lists).
    exact
        Every address point as one sorted ``(street, number)`` array
        (:class:`~geo_heart.geocode.exact.ExactAddresses`): a batch's exact hits in one join.
    pair_history_adj
        The index's past records of crossings by street, both ways (``{a: {b: records}}``,
        :func:`adjacency` of ``index.pair_history``).
    """

    __slots__ = (
        "beat_index", "exact", "made_of", "names_by_len", "name_alias", "pair_history_adj",
        "pts", "xy",
    )  # fmt: skip

    def __init__(self, index: ReferenceIndex, beat_index) -> None:
        self.beat_index = beat_index
        self.made_of = _made_of(index)
        self.pair_history_adj = adjacency(index.pair_history)
        self.name_alias: dict[str, str] = {}
        self.names_by_len: dict[int, list[str]] = {}
        for n in sorted(index.by_name):
            self.names_by_len.setdefault(len(n), []).append(n)
            words = n.split(" ")
            if any(w in SPELLED_ORDINALS for w in words):
                spelled = " ".join(SPELLED_ORDINALS.get(w, w) for w in words)
                self.name_alias[spelled] = n
                self.names_by_len.setdefault(len(spelled), []).append(spelled)
        keys = [k for k, sd in index.streets.items() if sd.numbers is not None]
        self.pts: dict[str, tuple] = {}
        self.xy: dict[str, tuple[list[float], list[float]]] = {}  # projected feet per point
        if not keys:
            self.exact = ExactAddresses(index.streets, [], [], [], [])
            return
        lon = np.concatenate([index.streets[k].lon for k in keys])
        lat = np.concatenate([index.streets[k].lat for k in keys])
        pos = beat_index.locate_many(lon, lat)
        ids = [str(b) for b in beat_index.ids]
        beats = [ids[b] if b >= 0 else None for b in pos.tolist()]
        at = 0
        for k in keys:
            sd = index.streets[k]
            nums = sd.numbers.tolist()
            m = len(nums)
            even = [(v, i) for i, v in enumerate(nums) if v % 2 == 0]
            odd = [(v, i) for i, v in enumerate(nums) if v % 2 == 1]
            self.pts[k] = (
                nums, sd.lon.tolist(), sd.lat.tolist(), beats[at : at + m],
                ([v for v, _ in even], [i for _, i in even]),
                ([v for v, _ in odd], [i for _, i in odd]),
            )  # fmt: skip
            self.xy[k] = (sd.x_ft.tolist(), sd.y_ft.tolist())
            at += m
        self.exact = ExactAddresses(index.streets, keys, lon, lat, beats)


def _made_of(index: ReferenceIndex) -> tuple:
    """What the street tables were made from (a hand-made index given new streets: made again)."""
    ph = index.pair_history
    return (
        id(index.streets), len(index.streets), id(index.by_name), len(index.by_name),
        id(ph), len(ph),
    )  # fmt: skip


def adjacency(pairs: dict[tuple[str, str], Any]) -> dict[str, dict[str, Any]]:
    """``{(a, b): v}`` → ``{a: {b: v}, b: {a: v}}``."""
    out: dict[str, dict[str, Any]] = {}
    for (a, b), v in pairs.items():
        out.setdefault(a, {})[b] = v
        out.setdefault(b, {})[a] = v
    return out


def street_tables(index: ReferenceIndex, beat_index) -> StreetTables:
    """The per-street tables of a geocoder of ``index`` and ``beat_index``, made once and kept on
    the index in memory (never in its cache file), so a second geocoder of the same index (the
    one that places the ``[places]`` addresses while the index is built) does not make them
    again. Read-only; two threads making them at once make equal tables."""
    got = getattr(index, "_street_tables", None)
    if got is None or got.beat_index is not beat_index or got.made_of != _made_of(index):
        got = StreetTables(index, beat_index)
        index._street_tables = got
    return got
