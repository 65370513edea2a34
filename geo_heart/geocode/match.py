"""Offline geocoder: 911-style addresses → coordinates, beat and an honest match quality.

Match cascade (first that applies wins; see ``docs/geocoder.md``):

=========================  =====  =====================================================================
``match_type``             score  meaning
=========================  =====  =====================================================================
``address_point``          1.00   the house number is a known address point on the street
``interpolated``           0.90   between two known same-parity numbers ≤ 40 apart (0.85 ≤ 200, 0.75)
``range_interpolated``     0.85   along a centerline segment whose address range holds the number
``block``                  0.80   hundred-block: middle of the known points in that block
``block_interpolated``     0.75   hundred-block with no known point: interpolated at ``block+50``
``intersection``           0.80   two named roads cross (road lines); 0.65 when only near (points)
``history_block``          0.60   no coordinates: the beat DPD gave this block in past records
``history_intersection``   0.60   no coordinates: the beat DPD gave this intersection in past records
``place``                  0.70   a named place (park, school)
``extrapolated``           0.60   beyond the known numbers, along the line through the two nearest
``nearest_address``        0.50   closest known number on the street (up to 3000 numbers away)
``street``                 0.30   the street is known, only its middle point is given
``unmatched``              0.00   nothing found (``status`` says why)
=========================  =====  =====================================================================

The score is multiplied by 0.95 when the street matched only with a different suffix or
directional and by ``0.9 × similarity`` when it matched by fuzzy spelling. Ties between candidate
streets are broken by (house number covered, same directional, same suffix, more points, name
order) and named in ``reason``.

Beat: from the coordinates (beat index); for hundred-block and intersection matches, when the history
guide knows the block, DPD's majority beat for it (``beat_source="history"``), since a block's
centre can sit on the wrong side of a beat line. A block whose records or points fall in two beats
lists them in ``straddle_beats``.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from geo_heart.geocode.address import ParsedAddress, StreetKey, parse_address
from geo_heart.geocode.reference import ReferenceIndex, StreetData, load_or_build, place_key

log = logging.getLogger(__name__)

__all__ = ["GeocodeResult", "Geocoder", "geocoder_for", "RESULT_COLUMNS"]

#: A second beat with at least this share of a block's records makes the block a straddler.
STRADDLE_SHARE = 0.10
_NEAR_INTERSECTION_FT = 600.0
#: An imprecise point takes its beat from a block this many hundreds away when its own is unknown.
NEIGHBOUR_BLOCKS = 1


@dataclass(frozen=True)
class GeocodeResult:
    """The answer for one address (see the module docstring for match types and scores)."""

    lon: float | None
    lat: float | None
    beat: str | None
    district: str | None
    in_service_area: bool
    match_type: str
    score: float
    matched_address: str | None
    status: str
    reason: str
    straddle_beats: str | None = None
    beat_source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


RESULT_COLUMNS = [f.name for f in fields(GeocodeResult)]


@dataclass(slots=True)
class _Match:
    lon: float | None
    lat: float | None
    match_type: str
    score: float
    matched: str | None
    reason: str = ""
    hist: dict[str, int] | None = None  # beat → records for the block/intersection
    block_beats: tuple[str, ...] = ()
    prefer_history: bool = False
    invalid: bool = False


def _as_text(value: Any) -> str | None:
    """Address text from a cell: strings as they are, missing values as None, others as text."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _majority(hist: dict[str, int]) -> tuple[str, float, tuple[str, ...]]:
    total = sum(hist.values())
    ranked = sorted(hist.items(), key=lambda kv: (-kv[1], kv[0]))
    beat, n = ranked[0]
    straddle = tuple(sorted(b for b, c in ranked if c / total >= STRADDLE_SHARE))
    return beat, n / total, straddle


_SOURCE_ALL = f"history ({1.0:.0%} of recency-weighted records)"

#: Results remembered per normalised address; past this the memo starts afresh, so a long-running
#: service fed endless distinct addresses stays bounded in memory.
MEMO_MAX_ENTRIES = 250_000


class Geocoder:
    """Geocode addresses against a :class:`ReferenceIndex` and a beat index."""

    def __init__(self, index: ReferenceIndex, beat_index, service_area) -> None:
        self.index = index
        self.beat_index = beat_index
        self.service_area = service_area
        self._memo: dict[str, tuple] = {}  # normalised address -> result row
        self._street_memo: dict[str, tuple[list[str], float, str]] = {}
        names = sorted(index.by_name)
        self._names_by_initial: dict[str, list[str]] = {}
        for n in names:
            self._names_by_initial.setdefault(n[:1], []).append(n)
        self._place_names = sorted(index.places)
        self._beat_ids = {str(b) for b in beat_index.ids}
        self._majority_memo: dict[int, tuple] = {}
        # per street, plain lists for fast scalar work: numbers, lon, lat, beat of each point,
        # and (numbers, positions) per parity
        keys = [k for k, sd in index.streets.items() if sd.numbers is not None]
        self._pts: dict[str, tuple[list[int], list[float], list[float], list[str | None]]] = {}
        self._xy: dict[str, tuple[list[float], list[float]]] = {}  # projected feet per point
        self._parity: dict[
            str, tuple[tuple[list[int], list[int]], tuple[list[int], list[int]]]
        ] = {}
        if keys:
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
                self._pts[k] = (nums, sd.lon.tolist(), sd.lat.tolist(), beats[at : at + m])
                self._xy[k] = (sd.x_ft.tolist(), sd.y_ft.tolist())
                at += m
                even = [(v, i) for i, v in enumerate(nums) if v % 2 == 0]
                odd = [(v, i) for i, v in enumerate(nums) if v % 2 == 1]
                self._parity[k] = (
                    ([v for v, _ in even], [i for _, i in even]),
                    ([v for v, _ in odd], [i for _, i in odd]),
                )

    # ------------------------------------------------------------------ public API
    def geocode_one(self, text: str | None) -> GeocodeResult:
        """Geocode one address text (never raises for bad text: see ``status``/``reason``)."""
        return GeocodeResult(*self._row(parse_address(_as_text(text))))

    def _row(self, p: ParsedAddress) -> tuple:
        """The memoised result row of one parsed address (in :data:`RESULT_COLUMNS` order)."""
        key = p.key
        hit = self._memo.get(key)
        if hit is None:
            hit = self._finish([self._match(p)])[0]
            if len(self._memo) >= MEMO_MAX_ENTRIES:
                self._memo.clear()
            self._memo[key] = hit
        return hit

    def geocode_many(self, texts) -> Any:
        """Geocode many texts: a DataFrame with :data:`RESULT_COLUMNS`, one row per input, in order.

        Each distinct normalised address is matched once; beats are assigned in one vectorised pass.
        """
        import gc

        # Matching allocates many small objects that all survive (the memo): pausing the cyclic
        # garbage collector meanwhile avoids repeated full scans of the large reference index.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._geocode_many(texts)
        finally:
            if enabled:
                gc.enable()

    def _geocode_many(self, texts) -> Any:
        import pandas as pd

        values = pd.Series(texts, dtype=object) if not isinstance(texts, pd.Series) else texts
        if len(self._memo) >= MEMO_MAX_ENTRIES:
            self._memo.clear()
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        parsed = [parse_address(u if type(u) is str else _as_text(u)) for u in uniques]
        keys = [p.key for p in parsed]
        todo: dict[str, ParsedAddress] = {}
        for k, p in zip(keys, parsed, strict=True):
            if k not in self._memo and k not in todo:
                todo[k] = p
        if todo:
            results = self._finish([self._match(p) for p in todo.values()])
            self._memo.update(zip(todo.keys(), results, strict=True))
        empty = self._row(parse_address(None))
        memo = self._memo
        rows = [memo[k] for k in keys]
        rows.append(empty)
        take = np.where(codes < 0, len(rows) - 1, codes)
        data: dict[str, Any] = {}
        for name, col in zip(RESULT_COLUMNS, zip(*rows, strict=True), strict=True):
            if name in ("lon", "lat", "score"):
                arr = np.array(col, dtype=float)  # None -> NaN
            elif name == "in_service_area":
                arr = np.array(col, dtype=bool)
            else:
                arr = np.array(col, dtype=object)
            data[name] = arr[take]
        out = pd.DataFrame(data)
        return out

    # ------------------------------------------------------------------ street resolution
    def resolve_street(
        self, key: StreetKey, number: int | None = None
    ) -> tuple[list[str], float, str]:
        """Candidate canonical streets for ``key``: (keys best first, score factor, note)."""
        streets = self.index.streets
        if key.full in streets:
            return [key.full], 1.0, ""
        memo_key = key.full
        hit = self._street_memo.get(memo_key)
        if hit is None:
            hit = self._resolve_uncached(key)
            if len(self._street_memo) >= MEMO_MAX_ENTRIES:
                self._street_memo.clear()
            self._street_memo[memo_key] = hit
        cands, factor, note = hit
        if len(cands) > 1:
            cands = self._rank(cands, key, number)
        return cands, factor, note

    def _resolve_uncached(self, key: StreetKey) -> tuple[list[str], float, str]:
        by_name = self.index.by_name
        if key.name in by_name:
            return (
                list(by_name[key.name]),
                0.95,
                "street matched with a different suffix/directional",
            )
        # "GREGSON" written as "GREGSON ST" in a name (no suffix parsed) or suffix inside name
        words = key.name.split(" ")
        if len(words) > 1 and words[-1] in ("EXT", "EXTENSION"):
            base = " ".join(words[:-1])
            if base in by_name:
                return list(by_name[base]), 0.9, "street matched without 'EXT'"
        return self._fuzzy(key)

    def _fuzzy(self, key: StreetKey) -> tuple[list[str], float, str]:
        """Street names within a small edit distance (OSA: a transposition is one edit)."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        name = key.name
        max_edits = 0 if len(name) < 4 else 1 if len(name) < 8 else 2
        pool = self._names_by_initial.get(name[:1], [])
        if not pool or max_edits == 0:
            return [], 0.0, ""
        found = process.extract(name, pool, scorer=OSA.distance, score_cutoff=max_edits, limit=8)
        found = [(n, d) for n, d, _ in found if n != name]
        if not found:
            return [], 0.0, ""
        best = min(d for _, d in found)
        names = sorted(n for n, d in found if d == best)
        by_name = self.index.by_name
        cands = [k for n in names for k in by_name[n]]
        sim = 1.0 - best / max(len(name), len(names[0]))
        note = f"street spelled differently: matched {names[0]!r} ({best} edit{'s' if best > 1 else ''})"
        if len(names) > 1:
            note += f"; tie with {names[1:]!r}"
        return cands, round(0.9 * sim, 3), note

    def _siblings(self, cands: list[str]) -> list[str]:
        if not cands:
            return []
        return self.index.by_name.get(self.index.streets[cands[0]].name, [])

    def _rank(self, cands: list[str], key: StreetKey, number: int | None) -> list[str]:
        streets = self.index.streets

        def covers(sd: StreetData) -> int:
            if number is None:
                return 0
            blk = (number // 100) * 100
            if sd.numbers is not None and len(sd.numbers):
                if sd.numbers[0] - 100 <= number <= sd.numbers[-1] + 100:
                    return 2
            if blk in sd.history:
                return 2
            for lf, lt, rf, rt, _, _ in sd.ranges:
                if min(lf, lt, rf, rt) <= number <= max(lf, lt, rf, rt):
                    return 2
            return 0

        def rank(k: str):
            sd = streets[k]
            sk = k.split(" ")
            same_pre = int(bool(key.predir) and sk[0] == key.predir)
            same_suf = int(bool(key.suffix) and f" {key.suffix}" in f" {k}")
            n = 0 if sd.numbers is None else len(sd.numbers)
            return (
                -covers(sd),
                -same_pre,
                -same_suf,
                -n - sum(sum(v.values()) for v in sd.history.values()),
                k,
            )

        return sorted(cands, key=rank)

    # ------------------------------------------------------------------ cascade
    def _match(self, p: ParsedAddress) -> _Match:
        if p.status != "ok":
            return _Match(None, None, "unmatched", 0.0, None, p.reason, invalid=True)
        if p.kind == "intersection":
            return self._match_intersection(p)
        if p.kind == "place":
            m = self._match_place(p.place or "")
            if m is not None:
                return m
        if p.kind in ("street", "place"):
            m = self._match_place(p.place or p.street or "") if p.kind == "street" else None
            if m is not None and m.score >= 0.7:
                return m
            return self._match_street_only(p)
        return self._match_numbered(p)

    def _match_place(self, text: str) -> _Match | None:
        places = self.index.places
        k = place_key(text)
        if not k:
            return None
        if k in places:
            lon, lat, name = places[k]
            return _Match(lon, lat, "place", 0.7, name, "named place")
        from rapidfuzz import fuzz, process

        found = process.extractOne(k, self._place_names, scorer=fuzz.ratio, score_cutoff=88)
        if found:
            lon, lat, name = places[found[0]]
            return _Match(lon, lat, "place", round(0.7 * found[1] / 100, 3), name,
                          f"named place, spelled differently (similarity {found[1]:.0f}%)")  # fmt: skip
        return None

    def _match_street_only(self, p: ParsedAddress) -> _Match:
        cands, factor, note = self.resolve_street(p.street_key)
        if not cands:
            return _Match(
                None, None, "unmatched", 0.0, None, f"street {p.street!r} is not in the reference"
            )
        sd = self.index.streets[cands[0]]
        tie = f"; {len(cands)} streets share the name, chose {cands[0]!r}" if len(cands) > 1 else ""
        reason = "street only: the point is the street's middle, the beat is approximate" + tie
        if note:
            reason = f"{note}; {reason}"
        if sd.mid is not None:
            return _Match(sd.mid[0], sd.mid[1], "street", round(0.3 * factor, 3), sd.key, reason)
        if sd.history:
            hist: dict[str, int] = {}
            for h in sd.history.values():
                for b, n in h.items():
                    hist[b] = hist.get(b, 0) + n
            return _Match(None, None, "history_street", round(0.3 * factor, 3), sd.key,
                          reason + " (beat from past records of the street)", hist=hist,
                          prefer_history=True)  # fmt: skip
        return _Match(None, None, "unmatched", 0.0, sd.key, "street known but has no location")

    def _match_numbered(self, p: ParsedAddress) -> _Match:
        n = int(p.number)  # type: ignore[arg-type]
        cands, factor, note = self.resolve_street(p.street_key, n)
        if not cands:
            m = self._match_place(p.street or "")
            if m is not None:
                return m
            return _Match(None, None, "unmatched", 0.0, None,
                          f"street {p.street!r} is not in the reference")  # fmt: skip
        sd = self.index.streets[cands[0]]
        m = self._on_street(sd, n, p.is_block)
        weak = ("street", "history_street", "unmatched", "nearest_address")
        if len(cands) > 1 and m.match_type in weak:
            for k in cands[1:]:
                alt = self._on_street(self.index.streets[k], n, p.is_block)
                if alt.score > m.score:
                    sd, m = self.index.streets[k], alt
                    break
        m.score = round(m.score * factor, 3)
        if factor < 1.0 and m.match_type in weak and p.street_key is not None:
            # the name matched another street only loosely: a near spelling may fit better
            fc, ff, fnote = self._fuzzy(p.street_key)
            for k in fc[:4]:
                alt = self._on_street(self.index.streets[k], n, p.is_block)
                alt.score = round(alt.score * ff, 3)
                if alt.match_type not in weak and alt.score > m.score:
                    sd, m, cands, note = self.index.streets[k], alt, fc, fnote
                    break
        extra = []
        if note:
            extra.append(note)
        if len(cands) > 1:
            extra.append(f"{len(cands)} candidate streets {cands[:4]!r}, chose {sd.key!r}")
        if extra:
            m.reason = "; ".join([*extra, m.reason] if m.reason else extra)
        return m

    def _on_street(self, sd: StreetData, n: int, is_block: bool) -> _Match:
        blk = (n // 100) * 100
        hist = sd.history.get(blk)
        pts = self._pts.get(sd.key)
        hundred = is_block or (n % 100 == 0 and hist is not None)
        target = blk + 50 if hundred and n == blk else n
        m: _Match | None = None
        if pts is not None and not hundred:
            nums = pts[0]
            i = bisect_left(nums, n)
            if i < len(nums) and nums[i] == n:
                return _Match(pts[1][i], pts[2][i], "address_point", 1.0, f"{n} {sd.key}",
                              hist=hist)  # fmt: skip
            m = self._interpolate(sd, n, max_gap=200)
        if m is None and not hundred:
            m = self._range(sd, n)
        if m is None and hundred and pts is not None:
            nums = pts[0]
            lo, hi = bisect_left(nums, blk), bisect_left(nums, blk + 100)
            if hi > lo:
                ids = {b for b in pts[3][lo:hi] if b is not None}
                beats_pts = tuple(sorted(ids)) if len(ids) > 1 else ()
                # the known number nearest the target (numbers are unique; lower on a tie)
                j = bisect_left(nums, target, lo, hi)
                if j == hi or (j > lo and target - nums[j - 1] <= nums[j] - target):
                    j -= 1
                return _Match(pts[1][j], pts[2][j], "block", 0.8, f"{blk} block of {sd.key}",
                              hist=hist, block_beats=beats_pts, prefer_history=True)  # fmt: skip
            m = self._interpolate(sd, target, max_gap=400)
            if m is not None:
                m.match_type, m.score = "block_interpolated", min(m.score, 0.75)
                m.matched = f"{blk} block of {sd.key}"
        if m is None and hundred:
            m = self._range(sd, target)
        if m is None:
            # wider gaps, then extrapolation, then the nearest known number
            m = self._interpolate(sd, target, max_gap=3000, wide=True)
        if m is not None:
            m.hist = hist
            m.prefer_history = hundred or m.score < 0.8
            if hist is None and m.score < 0.8 and sd.history:
                # an imprecise point: the neighbouring block's records are better evidence
                near = min(sd.history, key=lambda b: (abs(b - blk), b))
                if abs(near - blk) <= NEIGHBOUR_BLOCKS * 100:
                    m.hist = sd.history[near]
                    m.reason = "; ".join(
                        x
                        for x in (m.reason, f"beat from past records of the nearby {near} block")
                        if x
                    )
            if hundred and m.match_type not in ("block", "block_interpolated"):
                m.matched = f"{blk} block of {sd.key}"
            return m
        if hist is not None:
            return _Match(None, None, "history_block", 0.6, f"{blk} block of {sd.key}",
                          "no reference point near this block: beat from past records of the block",
                          hist=hist, prefer_history=True)  # fmt: skip
        # nearest block known from history on the same street
        if sd.history:
            near = min(sd.history, key=lambda b: (abs(b - blk), b))
            if abs(near - blk) <= 300:
                return _Match(None, None, "history_block", 0.5, f"{near} block of {sd.key}",
                              f"beat from past records of the nearby {near} block",
                              hist=sd.history[near], prefer_history=True)  # fmt: skip
        if sd.mid is not None:
            return _Match(sd.mid[0], sd.mid[1], "street", 0.3, sd.key,
                          f"number {n} not placed on the street; the point is the street's middle")  # fmt: skip
        return _Match(None, None, "unmatched", 0.0, sd.key, f"number {n} not found on {sd.key}")

    def _interpolate(
        self, sd: StreetData, n: int, *, max_gap: int, wide: bool = False
    ) -> _Match | None:
        """Parity-aware linear interpolation between known numbers on the street.

        With ``wide=True`` also: extrapolation beyond the known numbers along the line through the
        two nearest (at most as far again as their spacing) and, last, the nearest known number
        (within ``max_gap`` numbers).
        """
        pts = self._pts.get(sd.key)
        if pts is None:
            return None
        nums, lons, lats, _ = pts
        even, odd = self._parity[sd.key]
        for same_parity in (True, False):
            sub, idx = (odd if n % 2 else even) if same_parity else (nums, range(len(nums)))
            if not sub:
                continue
            i = bisect_left(sub, n)
            if 0 < i < len(sub):
                a, b = idx[i - 1], idx[i]
                gap = nums[b] - nums[a]
                if gap <= max_gap:
                    t = (n - nums[a]) / gap
                    lon = lons[a] + t * (lons[b] - lons[a])
                    lat = lats[a] + t * (lats[b] - lats[a])
                    score = (
                        0.9 if gap <= 40 else 0.85 if gap <= 200 else 0.75 if gap <= 600 else 0.65
                    )
                    if not same_parity:
                        score -= 0.1
                    return _Match(lon, lat, "interpolated", round(score, 3), f"{n} {sd.key}",
                                  f"interpolated between {nums[a]} and {nums[b]}")  # fmt: skip
            elif same_parity:
                near = idx[i] if i == 0 else idx[i - 1]
                if abs(nums[near] - n) <= 20:
                    return _Match(lons[near], lats[near], "interpolated", 0.8, f"{n} {sd.key}",
                                  f"next to the known number {nums[near]}")  # fmt: skip
        if not wide:
            return None
        # nums is sorted and unique: the nearest is next to the insertion point (lower on a tie)
        i = bisect_left(nums, n)
        if i == 0 or (i < len(nums) and nums[i] - n < n - nums[i - 1]):
            j = i
        else:
            j = bisect_left(nums, nums[i - 1])  # the first of equal numbers, as a stable sort
        if len(nums) >= 2 and (n < nums[0] or n > nums[-1]):
            # beyond the known numbers: the two nearest (a nearest, b next)
            a, b = (0, 1) if n < nums[0] else (len(nums) - 1, len(nums) - 2)
            span = abs(nums[b] - nums[a])
            dn = abs(n - nums[a])
            if span > 0 and dn <= max(span, 100) and dn <= max_gap:
                t = dn / span
                lon = lons[a] + t * (lons[a] - lons[b])
                lat = lats[a] + t * (lats[a] - lats[b])
                return _Match(lon, lat, "extrapolated", 0.6, f"{n} {sd.key}",
                              f"extrapolated beyond {nums[b]} and {nums[a]}")  # fmt: skip
        if abs(nums[j] - n) <= max_gap:
            return _Match(lons[j], lats[j], "nearest_address", 0.5, f"{nums[j]} {sd.key}",
                          f"nearest known number on the street is {nums[j]}")  # fmt: skip
        return None

    def _range(self, sd: StreetData, n: int) -> _Match | None:
        for lf, lt, rf, rt, xs, ys in sd.ranges:
            for a, b, side in ((lf, lt, "left"), (rf, rt, "right")):
                if a < 0 or b < 0 or a % 2 != n % 2 or not (min(a, b) <= n <= max(a, b)):
                    continue
                t = 0.5 if a == b else (n - a) / (b - a)
                seg = np.hypot(np.diff(xs), np.diff(ys))
                cum = np.concatenate([[0.0], np.cumsum(seg)])
                d = t * cum[-1]
                k = min(int(np.searchsorted(cum, d, side="right")) - 1, len(seg) - 1)
                f = 0.0 if seg[k] == 0 else (d - cum[k]) / seg[k]
                lon = float(xs[k] + f * (xs[k + 1] - xs[k]))
                lat = float(ys[k] + f * (ys[k + 1] - ys[k]))
                return _Match(lon, lat, "range_interpolated", 0.85, f"{n} {sd.key}",
                              f"along the centerline range {a}-{b} ({side} side)")  # fmt: skip
        return None

    def _match_intersection(self, p: ParsedAddress) -> _Match:
        c1, f1, _ = self.resolve_street(p.street_key, p.number)
        c2, f2, _ = self.resolve_street(p.street2_key)
        # "MAIN ST & GREGSON ST": also the same-name streets with a directional (W MAIN ST)
        c1 = c1 + [k for k in self._siblings(c1) if k not in c1]
        c2 = c2 + [k for k in self._siblings(c2) if k not in c2]
        factor = min(f1 or 0.0, f2 or 0.0)
        pair_hist = None
        crossing = None
        inter, ph = self.index.intersections, self.index.pair_history
        for a in c1[:8]:
            for b in c2[:8]:
                k = (a, b) if a <= b else (b, a)
                if pair_hist is None:
                    pair_hist = ph.get(k)
                if crossing is None and k in inter:
                    crossing = k
                if crossing is not None and pair_hist is not None:
                    break  # both found: later pairs change nothing
            if crossing is not None and pair_hist is not None:
                break
        label = f"{c1[0] if c1 else p.street} & {c2[0] if c2 else p.street2}"
        if crossing is not None:
            lon, lat = inter[crossing]
            hist = ph.get(crossing, pair_hist)
            return _Match(lon, lat, "intersection", round(0.8 * factor, 3),
                          f"{crossing[0]} & {crossing[1]}", "crossing of the two road lines",
                          hist=hist, prefer_history=hist is not None)  # fmt: skip
        # near each other: closest pair of known points on the two streets
        best = None
        p1 = [a for a in c1[:8] if self.index.streets[a].numbers is not None][:2]
        p2 = [b for b in c2[:8] if self.index.streets[b].numbers is not None][:2]
        for a in p1:
            for b in p2:
                i, j, d = self._closest_pair(a, b)
                if d <= _NEAR_INTERSECTION_FT:
                    # candidates are ranked (exact names first): the first close pair wins
                    pa, pb = self._pts[a], self._pts[b]
                    lon = (pa[1][i] + pb[1][j]) / 2
                    lat = (pa[2][i] + pb[2][j]) / 2
                    best = (d, lon, lat, f"{a} & {b}")
                    break
            if best is not None:
                break
        if best is not None:
            return _Match(best[1], best[2], "intersection", round(0.65 * factor, 3), best[3],
                          f"between the nearest known addresses of the two streets ({best[0] * 0.3048:.0f} m apart)",
                          hist=pair_hist, prefer_history=pair_hist is not None)  # fmt: skip
        if pair_hist is not None:
            return _Match(None, None, "history_intersection", round(0.6 * factor, 3), label,
                          "beat from past records of this intersection", hist=pair_hist,
                          prefer_history=True)  # fmt: skip
        # fall back to the first street (its block when a number is given)
        if c1:
            if p.number is not None:
                m = self._on_street(self.index.streets[c1[0]], p.number, True)
            else:
                m = self._match_street_only(
                    ParsedAddress(
                        raw=p.raw, kind="street", street=p.street, street_key=p.street_key
                    )
                )
            m.score = round(m.score * 0.8 * (f1 or 1.0), 3)
            m.reason = f"intersection with {p.street2!r} not found; located on {c1[0]!r}" + (
                f" ({m.reason})" if m.reason else ""
            )
            return m
        return _Match(None, None, "unmatched", 0.0, None,
                      f"intersection {p.street!r} / {p.street2!r}: streets not in the reference")  # fmt: skip

    def _closest_pair(self, a: str, b: str) -> tuple[int, int, float]:
        """(i, j, feet) of the closest pair of known points of streets ``a`` and ``b``.

        The first pair in (i, j) order wins a tie, as ``argmin`` over the distance matrix would.
        """
        xa, ya = self._xy[a]
        xb, yb = self._xy[b]
        if len(xa) * len(xb) > 100:
            sa, sb = self.index.streets[a], self.index.streets[b]
            dx = sa.x_ft[:, None] - sb.x_ft[None, :]
            dy = sa.y_ft[:, None] - sb.y_ft[None, :]
            d2 = dx * dx + dy * dy
            flat = int(d2.argmin())
            i, j = divmod(flat, d2.shape[1])
            return i, j, math.sqrt(float(d2.flat[flat]))
        best, bi, bj = math.inf, 0, 0
        pb = list(enumerate(zip(xb, yb, strict=True)))
        for i, (x1, y1) in enumerate(zip(xa, ya, strict=True)):
            for j, (x2, y2) in pb:
                dx = x1 - x2
                dy = y1 - y2
                d2 = dx * dx + dy * dy
                if d2 < best:
                    best, bi, bj = d2, i, j
        return bi, bj, math.sqrt(best)

    # ------------------------------------------------------------------ beats
    def _finish(self, matches: list[_Match]) -> list[tuple]:
        """Beats for all matches at once; one result row (in :data:`RESULT_COLUMNS` order) each."""
        lon = np.array([m.lon for m in matches], dtype=float)  # None -> NaN
        lat = np.array([m.lat for m in matches], dtype=float)
        has_arr = np.isfinite(lon) & np.isfinite(lat)
        has = has_arr.tolist()
        if has_arr.any():
            assigned = self.beat_index.assign(lon, lat)
            a_beat = assigned["beat"].tolist()
            a_dist = assigned["district"].tolist()
            a_status = assigned["status"].tolist()
            a_reason = assigned["reason"].tolist()
        lon_l = np.round(lon, 7).tolist()
        lat_l = np.round(lat, 7).tolist()
        majority = self._majority_memo
        contains = self.service_area.contains
        in_area: dict[str | None, bool] = {}
        out = []
        append = out.append
        for i, m in enumerate(matches):
            beat = district = source = None
            reason = m.reason
            straddle: tuple[str, ...] = m.block_beats
            if has[i]:
                status = "ok"
                beat = a_beat[i]
                district = a_dist[i]
                if beat is not None:
                    source = "coordinates"
                if a_status[i] != "ok":
                    status = str(a_status[i])
                    reason = f"{reason}; {a_reason[i]}" if reason else str(a_reason[i])
            elif m.invalid:
                status = "invalid"
            else:
                status = "unmatched" if m.match_type == "unmatched" else "beat_only"
            hist = m.hist
            if hist:
                got = majority.get(id(hist))
                if got is None or got[0] is not hist:
                    got = majority[id(hist)] = self._majority_entry(hist)
                _, hb, hstraddle, hdistrict, hsource = got
                if straddle or len(hstraddle) > 1:
                    straddle = tuple(sorted(set(straddle) | set(hstraddle)))
                if beat is None or m.prefer_history:
                    if beat is not None and beat != hb:
                        note = f"the point lies in beat {beat}, past records put the block in {hb}"
                        reason = f"{reason}; {note}" if reason else note
                    beat = hb
                    district = hdistrict
                    source = hsource
            if len(straddle) > 1:
                sb = ", ".join(straddle)
                note = f"block straddles beats {sb}"
                reason = f"{reason}; {note}" if reason else note
                straddle_beats = ";".join(straddle)
            else:
                straddle_beats = None
            sa = in_area.get(beat)
            if sa is None:
                sa = in_area[beat] = contains(beat)
            if has[i]:
                append((lon_l[i], lat_l[i], beat, district, sa, m.match_type, float(m.score),
                        m.matched, status, reason, straddle_beats, source))  # fmt: skip
            else:
                append((None, None, beat, district, sa, m.match_type, float(m.score),
                        m.matched, status, reason, straddle_beats, source))  # fmt: skip
        return out

    def _majority_entry(self, hist: dict[str, int]) -> tuple:
        """(hist, majority beat, straddle beats, its district, beat_source text) of a history."""
        if len(hist) == 1:
            ((hb, _),) = hist.items()
            share, hstraddle = 1.0, (hb,)
        else:
            hb, share, hstraddle = _majority(hist)
        district = self.beat_index.district_of(hb) if hb in self._beat_ids else None
        source = (
            _SOURCE_ALL if share == 1.0 else f"history ({share:.0%} of recency-weighted records)"
        )
        return (hist, hb, hstraddle, district, source)


def geocoder_for(ws, *, rebuild: bool = False) -> Geocoder:
    """The workspace's geocoder (index built once, then cached on disk and on the workspace)."""
    if rebuild:
        ws.forget("geocoder")

    def build() -> Geocoder:
        idx = load_or_build(ws, rebuild=rebuild)
        return Geocoder(idx, ws.beat_index, ws.config.service_area)

    return ws.cached("geocoder", build)
