"""Street resolution and placing a number on a street (mixed into :class:`Geocoder`)."""

from __future__ import annotations

from bisect import bisect_left

import numpy as np

from geo_heart.geocode.address import DIRECTIONALS, SUFFIXES, StreetKey
from geo_heart.geocode.exact import HISTORY_ONLY as _HISTORY_ONLY
from geo_heart.geocode.reference import StreetData
from geo_heart.geocode.types import NEIGHBOUR_BLOCKS, _Match

#: Standard suffix → every form of it (``PNE`` → ``PINE``, ``PNE``), longest first.
SUFFIX_FORMS: dict[str, tuple[str, ...]] = {}
for _form, _std in SUFFIXES.items():
    SUFFIX_FORMS[_std] = (*SUFFIX_FORMS.get(_std, ()), _form)
SUFFIX_FORMS = {k: tuple(sorted(v, key=lambda f: (-len(f), f))) for k, v in SUFFIX_FORMS.items()}

#: Results remembered per street key; past this the memo starts afresh.
MEMO_MAX_ENTRIES = 250_000


class StreetMatcher:
    """Resolve a typed street to canonical reference streets and place numbers on them."""

    # ------------------------------------------------------------------ street resolution
    def resolve_street(
        self, key: StreetKey, number: int | None = None
    ) -> tuple[list[str], float, str]:
        """Candidate canonical streets for ``key``: (keys best first, score factor, note)."""
        streets = self.index.streets
        if key.full in streets:
            return [key.full], 1.0, ""
        memo_key = key  # the whole key (a frozen dataclass), not its text
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
        if key.suffix:
            # "SUGAR PINE" typed without its suffix: PINE was read as the suffix (PNE) but is
            # the last word of the name of "SUGAR PINE DR"
            for form in SUFFIX_FORMS.get(key.suffix, ()):
                whole = f"{key.name} {form}"
                if whole in by_name:
                    return (
                        list(by_name[whole]),
                        0.95,
                        f"street matched as {whole!r} (no suffix typed)",
                    )
        if key.name in by_name:
            return (
                list(by_name[key.name]),
                0.95,
                "street matched with a different suffix/directional",
            )
        # "T WEST ALEXANDER DR": a directional spelled out inside the name (T W ALEXANDER DR)
        words = key.name.split(" ")
        short = [DIRECTIONALS.get(w, w) if 0 < i < len(words) - 1 else w
                 for i, w in enumerate(words)]  # fmt: skip
        if short != words:
            alt = StreetKey(key.predir, " ".join(short), key.suffix, key.postdir)
            if alt.full in self.index.streets:
                return [alt.full], 0.95, f"street matched as {alt.full!r}"
            if alt.name in by_name:
                return list(by_name[alt.name]), 0.9, f"street matched as {alt.name!r}"
        # "GREGSON" written as "GREGSON ST" in a name (no suffix parsed) or suffix inside name
        if len(words) > 1 and words[-1] in ("EXT", "EXTENSION"):
            base = " ".join(words[:-1])
            if base in by_name:
                return list(by_name[base]), 0.9, "street matched without 'EXT'"
        return self._fuzzy(key)

    def _fuzzy(self, key: StreetKey) -> tuple[list[str], float, str]:
        """Street names within a small edit distance (OSA: a transposition is one edit).

        Searched over every known name (reference and history) of a similar length, and over the
        spelled form of ordinal names (``9TH`` is also ``NINTH``, so ``NITNH`` finds it).
        """
        name = key.name
        hit = self._fuzzy_memo.get(name)  # the answer depends on the name alone
        if hit is None:
            if len(self._fuzzy_memo) >= MEMO_MAX_ENTRIES:
                self._fuzzy_memo.clear()
            hit = self._fuzzy_memo[name] = self._fuzzy_name(name)
        return list(hit[0]), hit[1], hit[2]

    def _fuzzy_name(self, name: str) -> tuple[list[str], float, str]:
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        max_edits = 0 if len(name) < 4 else 1 if len(name) < 8 else 2
        if max_edits == 0:
            return [], 0.0, ""
        pool = self._fuzzy_pool(len(name), max_edits)
        found = process.extract(name, pool, scorer=OSA.distance, score_cutoff=max_edits, limit=12)
        alias = self._name_alias
        hits: dict[str, int] = {}
        for n, d, _ in found:
            real = alias.get(n, n)
            if real != name and d < hits.get(real, 99):
                hits[real] = d
        if not hits:
            return [], 0.0, ""
        best = min(hits.values())
        names = sorted(n for n, d in hits.items() if d == best)
        by_name = self.index.by_name
        cands = [k for n in names for k in by_name[n]]
        sim = 1.0 - best / max(len(name), len(names[0]))
        note = f"street spelled differently: matched {names[0]!r} ({best} edit{'s' if best > 1 else ''})"
        if len(names) > 1:
            note += f"; tie with {names[1:]!r}"
        return cands, round(0.9 * sim, 3), note

    def _fuzzy_pool(self, length: int, max_edits: int) -> list[str]:
        """Known names (and spelled aliases) whose length is within ``max_edits`` of ``length``."""
        key = (length, max_edits)
        pool = self._pool_memo.get(key)
        if pool is None:
            by_len = self._names_by_len
            pool = [n for m in range(length - max_edits, length + max_edits + 1)
                    for n in by_len.get(m, ())]  # fmt: skip
            self._pool_memo[key] = pool
        return pool

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
            m = self._interpolate(sd, n, max_gap=200, pts=pts)
        if m is None and not hundred and sd.ranges:
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
            m = self._interpolate(sd, target, max_gap=400, pts=pts)
            if m is not None:
                m.match_type, m.score = "block_interpolated", min(m.score, 0.75)
                m.matched = f"{blk} block of {sd.key}"
        if m is None and hundred and sd.ranges:
            m = self._range(sd, target)
        if m is None and pts is not None:
            # wider gaps, then extrapolation, then the nearest known number
            m = self._interpolate(sd, target, max_gap=3000, wide=True, pts=pts)
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
                          _HISTORY_ONLY,
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
        self, sd: StreetData, n: int, *, max_gap: int, wide: bool = False, pts: tuple | None = None
    ) -> _Match | None:
        """Parity-aware linear interpolation between known numbers on the street.

        With ``wide=True`` also: extrapolation beyond the known numbers along the line through the
        two nearest (at most as far again as their spacing) and, last, the nearest known number
        (within ``max_gap`` numbers). ``pts`` is the street's point record when the caller has it.
        """
        if pts is None:
            pts = self._pts.get(sd.key)
            if pts is None:
                return None
        nums, lons, lats, _, even, odd = pts
        # the same parity first (between two known numbers, or right next to one), then any
        sub, idx = odd if n % 2 else even
        if sub:
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
                    return _Match(lon, lat, "interpolated", round(score, 3), f"{n} {sd.key}",
                                  f"interpolated between {nums[a]} and {nums[b]}")  # fmt: skip
            else:
                near = idx[i] if i == 0 else idx[i - 1]
                if abs(nums[near] - n) <= 20:
                    return _Match(lons[near], lats[near], "interpolated", 0.8, f"{n} {sd.key}",
                                  f"next to the known number {nums[near]}")  # fmt: skip
        if nums:
            i = bisect_left(nums, n)
            if 0 < i < len(nums):
                a, b = i - 1, i
                gap = nums[b] - nums[a]
                if gap <= max_gap:
                    t = (n - nums[a]) / gap
                    lon = lons[a] + t * (lons[b] - lons[a])
                    lat = lats[a] + t * (lats[b] - lats[a])
                    score = (
                        0.9 if gap <= 40 else 0.85 if gap <= 200 else 0.75 if gap <= 600 else 0.65
                    )
                    score -= 0.1
                    return _Match(lon, lat, "interpolated", round(score, 3), f"{n} {sd.key}",
                                  f"interpolated between {nums[a]} and {nums[b]}")  # fmt: skip
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
