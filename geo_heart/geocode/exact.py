"""Exact ``(street, number)`` hits of a batch of parsed addresses, found by one sorted-array join.

Most numbered texts name a street exactly as the reference spells it and a number that is one of
its address points. :meth:`geo_heart.geocode.match.Geocoder._match_numbered` answers those with
the point itself (``address_point``, score 1.0) after resolving the street, ranking candidates
and looking at siblings: none of which can change that answer. :class:`ExactAddresses` holds
every address point of the index as one sorted array of ``street id << 32 | number`` keys, so
the hits of all texts of a batch are one :func:`numpy.searchsorted`; every other text (a street
spelled differently, a number not on the street, a hundred-block) is left to the per-text
matcher.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geo_heart.geocode.types import _Match

#: house numbers at or above this are left to the per-text matcher (the key packs 32 bits)
_MAX_NUMBER = 1 << 32

#: the reason of a block answered by past records alone (as :meth:`StreetMatcher._on_street`)
HISTORY_ONLY = "no reference point near this block: beat from past records of the block"


class ExactAddresses:
    """Every address point of the index, keyed by ``(street, number)`` in one sorted array.

    Parameters
    ----------
    streets
        The index's streets (``ReferenceIndex.streets``): key → StreetData.
    keys
        The streets with address points, in the order their points are concatenated.
    lon, lat
        Those points' coordinates, concatenated in ``keys`` order (street by street, each
        street's points in its own, ascending number order).
    beats
        Those points' beats (None outside every beat), in the same order.
    """

    def __init__(self, streets: dict[str, Any], keys: list[str], lon, lat, beats) -> None:
        self.streets = streets
        self.sid = {k: i for i, k in enumerate(keys)}
        if keys:
            nums = [np.asarray(streets[k].numbers, dtype=np.int64) for k in keys]
            sizes = np.array([len(a) for a in nums], dtype=np.int64)
            num = np.concatenate(nums)
            sid = np.repeat(np.arange(len(keys), dtype=np.int64), sizes)
        else:
            num = sid = np.zeros(0, dtype=np.int64)
        ok = (num >= 0) & (num < _MAX_NUMBER - 100)
        # a number the key cannot hold sorts last under a key no text asks for
        code = np.where(ok, (sid << 32) | (num & (_MAX_NUMBER - 1)), np.iinfo(np.int64).max)
        # numbers are unique and ascending per street: the keys are sorted already, but a
        # stable sort keeps the first point of a number first whatever the input
        order = np.argsort(code, kind="stable")
        self.code = code[order]
        self.num = num[order]
        self.lon = np.asarray(lon, dtype=float)[order]
        self.lat = np.asarray(lat, dtype=float)[order]
        self.beats = [beats[i] for i in order.tolist()]

    def hits(self, parsed: list) -> dict[int, _Match]:
        """Position in ``parsed`` → the match of every parsed address that names a reference
        street exactly (its full key) and is answered by that street's address points alone.

        The same match :meth:`~geo_heart.geocode.match.Geocoder._match` gives such a text:

        - a house number that is one of the street's numbers: that ``address_point``;
        - a hundred-block (typed as a block, or a number ending in 00 on a block with past
          records) holding address points: the ``block`` answer at the known number nearest
          the block's middle (lower on a tie), naming the beats of the block's points when
          they are several;
        - a number on a street known from past records only (no points, no ranges) whose
          block has records: the ``history_block`` answer.

        The street's past records of the number's block are attached. Every other text (a
        street spelled differently, a number between known ones, a block without points) is
        not answered here.
        """
        streets, sid_of = self.streets, self.sid
        at: list[int] = []
        codes: list[int] = []
        lows: list[int] = []
        highs: list[int] = []
        targets: list[int] = []
        hists: list = []
        done: dict[int, _Match] = {}
        for i, p in enumerate(parsed):
            if p.kind not in ("address", "block") or p.status != "ok":
                continue
            key, n = p.street_key, p.number
            if key is None or n is None or not 0 <= n < _MAX_NUMBER - 100:
                continue
            s = sid_of.get(key.full)
            if s is None:
                sd = streets.get(key.full)
                if sd is not None and not sd.ranges and sd.numbers is None:
                    # a street known from past records only: its block's records or nothing
                    hist = sd.history.get((n // 100) * 100)
                    if hist is not None:
                        done[i] = _Match(None, None, "history_block", 0.6,
                                         f"{(n // 100) * 100} block of {sd.key}", HISTORY_ONLY,
                                         hist=hist, prefer_history=True)  # fmt: skip
                continue
            blk = (n // 100) * 100
            hist = streets[key.full].history.get(blk)
            base = s << 32
            hundred = p.is_block or (n % 100 == 0 and hist is not None)
            at.append(i)
            hists.append(hist)
            if hundred:
                codes.append(-1)  # no exact number asked for
                lows.append(base | blk)
                highs.append(base | (blk + 100))
                targets.append(base | (blk + 50 if n == blk else n))
            else:
                codes.append(base | n)
                lows.append(-1)
                highs.append(-1)
                targets.append(-1)
        if not at or not len(self.code):
            return done
        code, num = self.code, self.num
        last = len(code) - 1
        want = np.array(codes, dtype=np.int64)
        lo = np.searchsorted(code, np.array(lows, dtype=np.int64))
        hi = np.searchsorted(code, np.array(highs, dtype=np.int64))
        tgt = np.array(targets, dtype=np.int64)
        # an exact number: the point holding it
        j = np.minimum(np.searchsorted(code, want), last)
        exact = (want >= 0) & (code[j] == want)
        # a hundred-block with points: the known number nearest the target, lower on a tie
        block = (np.array(lows, dtype=np.int64) >= 0) & (hi > lo)
        k = np.clip(np.searchsorted(code, tgt), lo, hi)
        t_num = tgt & (_MAX_NUMBER - 1)
        below = num[np.maximum(k - 1, 0)]
        above = num[np.minimum(k, last)]
        step_back = (k == hi) | ((k > lo) & (t_num - below <= above - t_num))
        k = np.where(step_back, k - 1, k)
        pick = np.where(exact, j, k)
        use = np.flatnonzero(exact | block)
        lons = self.lon[pick[use]].tolist()
        lats = self.lat[pick[use]].tolist()
        out = done
        beats = self.beats
        is_exact = exact[use].tolist()
        los, his = lo[use].tolist(), hi[use].tolist()
        for u, x, y, ex, a, b in zip(use.tolist(), lons, lats, is_exact, los, his, strict=True):
            p = parsed[at[u]]
            n = p.number
            key = streets[p.street_key.full].key
            if ex:
                out[at[u]] = _Match(x, y, "address_point", 1.0, f"{n} {key}", hist=hists[u])
                continue
            ids = {v for v in beats[a:b] if v is not None}
            out[at[u]] = _Match(
                x, y, "block", 0.8, f"{(n // 100) * 100} block of {key}", hist=hists[u],
                block_beats=tuple(sorted(ids)) if len(ids) > 1 else (), prefer_history=True,
            )  # fmt: skip
        return out
