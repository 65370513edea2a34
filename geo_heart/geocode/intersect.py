"""Intersections: where two streets cross, and how sure that is (mixed into :class:`Geocoder`).

``A & B`` is located from whatever geometry the reference holds for the two streets (see
:mod:`geo_heart.geocode.lines`): their road lines, polylines through their known address points,
or such a line extended toward the other street. The answer carries an uncertainty radius; every
beat within that radius of the point is named (``straddle_beats``). When the radius covers several
beats, past records of the crossing choose among those beats; without such records the answer is
``ambiguous`` with one candidate per beat. Past records give the beat alone only when no geometry
locates the crossing (``history_intersection``).
"""

from __future__ import annotations

import math
import threading

import numpy as np
import shapely

from geo_heart.geo.beats import PREPARED_LOCK
from geo_heart.geocode.address import ParsedAddress
from geo_heart.geocode.beat_outlines import CROSSING_REACH_M, BeatOutlines
from geo_heart.geocode.crossing_pairs import PENDING, no_table
from geo_heart.geocode.crossrecords import read_into, records_path, save_records
from geo_heart.geocode.lines import ROAD_SIGMA_M, Crossing, StreetShape, crossing, shape_of
from geo_heart.geocode.types import _Match

#: Score of a crossing by its uncertainty radius (metres): tighter is better.
_SCORES = ((40.0, 0.8), (80.0, 0.75), (150.0, 0.7), (math.inf, 0.65))
#: Beats this close (m) to a crossing are found when the index is built (with their distance), so
#: a calibrated radius up to this needs no geometry at lookup time.
PRECOMPUTED_REACH_M = 400.0
#: A crossing of two drawn lines is "found" (may be ``ok`` under ``ok_crossing_geometries``) only
#: when it lies on both lines: at most this far (m) past the end of either (a short digitised
#: line); farther, it is an estimate
OK_EXTRAPOLATED_M = 25.0
_NONE: dict = {}
#: :meth:`IntersectionMatcher._crossing_place` of a pair a batch computes later (with the others)
_MISSING: tuple = ("not computed yet",)
#: The batch being matched in this thread (its geocoder and the crossing geometry it waits for)
_DEFER = threading.local()


class NearPending(Exception):
    """Raised inside :meth:`IntersectionMatcher._match_batch` when a crossing's nearby beats are
    not known yet (they are then found for the whole batch at once). ``located``: the crossing
    chosen for the text, so that matching it again starts there."""

    located: tuple | None = None


class IntersectionMatcher(BeatOutlines):
    """Locate ``A & B`` from road lines, the streets' known points or their extended lines."""

    def _match_intersection(self, p: ParsedAddress, located: tuple | None = None) -> _Match:
        """``located``: the crossing :meth:`_match_pair` chose for ``p`` (its :meth:`_located`
        arguments), when a batch matches the text again (:meth:`_match_batch`)."""
        if located is not None:
            m = self._located(*located)
        elif p.street2_key is not None and p.street_key.full == p.street2_key.full:
            m = self._self_crossing(p)
        else:
            m = self._match_pair(p)
        if p.extra_streets:
            note = (
                f"more than two streets given: located from {p.street} and {p.street2}; "
                f"{', '.join(p.extra_streets)} not used"
            )
            m.reason = f"{m.reason}; {note}" if m.reason else note
        return m

    def _self_crossing(self, p: ParsedAddress) -> _Match:
        """``W MAIN ST & W MAIN ST``: a street does not cross itself; the places on the street
        are given as candidates (``ambiguous``) and the reason asks for the cross street."""
        m = self._match_street_only(
            ParsedAddress(raw=p.raw, kind="street", street=p.street, street_key=p.street_key)
        )
        why = f"{p.street} is crossed with itself: ask the caller for the cross street"
        m.reason = f"{why}; {m.reason}" if m.reason else why
        if m.match_type == "unmatched":
            return m
        m.approximate = False
        m.unsure = True  # ambiguous even when the street lies in one beat
        if not m.candidates:
            m.candidates = [_Match(m.lon, m.lat, m.match_type, m.score, m.matched, m.reason,
                                   hist=m.hist, prefer_history=m.prefer_history,
                                   uncertainty_m=m.uncertainty_m)]  # fmt: skip
        return m

    def _street_options(self, key, number: int | None) -> tuple[list[str], float, int]:
        """Candidate streets for one side of a crossing: (keys, score factor, how many of them
        are what the text names; the rest are same-name streets with another directional or
        suffix, tried only after those). Memoised per (key, number); callers never change the
        list."""
        memo = self.__dict__.setdefault("_options_memo", {})
        got = memo.get((key, number))
        if got is None:
            if len(memo) >= 100_000:
                memo.clear()
            got = memo[(key, number)] = self._street_options_uncached(key, number)
        return got

    def _street_options_uncached(self, key, number: int | None) -> tuple[list[str], float, int]:
        cands, factor, _ = self.resolve_street(key, number)
        first = len(cands)
        more = list(self.index.by_name.get(key.name, ())) if key is not None else []
        if not key.predir:
            # "MAIN ST & GREGSON ST": also the same-name streets with a directional (W MAIN ST);
            # a typed directional is never traded for another one
            more += self._siblings(cands)
        else:
            more = [k for k in more if k.split(" ")[0] == key.predir]
        cands = cands + [k for k in dict.fromkeys(more) if k not in cands]
        if not first and cands:
            factor = 0.9  # only a same-name street with another directional or suffix
        return cands, factor, first

    def _match_pair(self, p: ParsedAddress) -> _Match:
        c1, f1, n1 = self._street_options(p.street_key, p.number)
        c2, f2, n2 = self._street_options(p.street2_key, None)
        factor = min(f1 or 0.0, f2 or 0.0)
        ph = self.index.pair_history
        pair_hist = None
        c1_8, c2_8 = c1[:8], c2[:8]
        ph_adj = self._ph_adj
        for a in c1_8:
            row = ph_adj.get(a)
            if row is not None:
                for b in c2_8:
                    pair_hist = row.get(b)
                    if pair_hist is not None:
                        break
                if pair_hist is not None:
                    break
        label = f"{c1[0] if c1 else p.street} & {c2[0] if c2 else p.street2}"
        # the pair of candidate streets whose geometries meet most surely: inside the area
        # first, then the streets the text names before their same-name siblings, then the
        # smaller uncertainty (ties: candidate order)
        best: tuple | None = None
        # the index's precomputed crossings, by street; None in a batch that finds no table in
        # memory or on disk (it tests its own pairs: :meth:`_fill_crossings`)
        adj = self._cross_adj_memo
        if adj is None and not (self._own_pairs()):
            adj = self._cross_adj
        rank = 0
        missing = False
        for i, a in enumerate(c1_8):
            row = adj.get(a, _NONE) if adj is not None else None
            for j, b in enumerate(c2_8):
                rank += 1
                if a == b:
                    continue
                cr = self._crossing_place(a, b) if row is None else row.get(b)
                if cr == PENDING:  # within reach, record not computed yet
                    cr = self._crossing_place(a, b)
                if cr is None:
                    continue
                if cr is _MISSING:  # a batch computes it with the others it needs
                    missing = True
                    continue
                in_area = any(t[3] <= CROSSING_REACH_M for t in cr[4])
                key = (not in_area, int(i >= n1) + int(j >= n2), cr[0].uncertainty, rank)
                if best is None or key < best[0]:
                    best = (key, a, b, cr)
        if missing:
            # the text is matched again once the batch's crossings are computed (all at once)
            raise NearPending
        if best is not None:
            _, a, b, cr = best
            k = (a, b) if a <= b else (b, a)
            args = (cr, f"{k[0]} & {k[1]}", factor, ph.get(k, pair_hist))
            try:
                return self._located(*args)
            except NearPending as exc:
                exc.located = args  # the batch resumes here once the geometry is known
                raise
        if pair_hist is not None:
            # the raw score carries how sure the records are (their majority share)
            share = max(pair_hist.values()) / (sum(pair_hist.values()) or 1.0)
            m = _Match(None, None, "history_intersection", round(0.6 * factor * share, 3), label,
                       "no geometry locates the crossing: beat from past records of it",
                       hist=pair_hist, prefer_history=True)  # fmt: skip
            self._place_in_beat(m, [k for k in (c1[:1] + c2[:1])])
            self._name_shared_beats(m, c1[:4], c2[:4])
            return m
        if p.number is None and (c1 or c2):
            # no meeting found: a street-only answer on whichever street is known
            return self._streets_apart(p, (c1, f1, n1), (c2, f2, n2))
        # "1200 A ST / B ST" with no meeting found: the first street's block
        if c1:
            m = self._on_street(self.index.streets[c1[0]], p.number, True)
            m.score = round(m.score * 0.8 * (f1 or 1.0), 3)
            m.reason = f"intersection with {p.street2!r} not found; located on {c1[0]!r}" + (
                f" ({m.reason})" if m.reason else ""
            )
            m.approximate = m.match_type != "unmatched"
            return m
        return _Match(None, None, "unmatched", 0.0, None,
                      f"intersection {p.street!r} / {p.street2!r}: streets not in the reference")  # fmt: skip

    def _street_beats(self, keys: list[str]) -> set[str]:
        """Every beat the streets ``keys`` run through: their known points, then the beats
        their past records give (memoised per street)."""
        out: set[str] = set()
        memo = self._street_beats_memo
        for k in keys:
            got = memo.get(k)
            if got is None:
                got = set()
                pts = self._pts.get(k)
                if pts is not None:
                    got.update(b for b in pts[3] if b is not None)
                sd = self.index.streets.get(k)
                if sd is not None and sd.history:
                    for h in sd.history.values():
                        got.update(h)
                got = memo[k] = frozenset(got)
            out |= got
        return out

    def _beats_touching(self, beat: str) -> set[str]:
        """Beats whose outlines come within ``CROSSING_REACH_M`` of ``beat`` (``beat`` itself
        included). Found for every beat at once, and kept with the beat index (every geocoder
        on it shares the table)."""
        table = getattr(self.beat_index, "_touching_beats", None)
        if table is None:
            self._build_beat_tree()  # made with the projected beat outlines
            table = self.beat_index._touching_beats
        return table.get(beat, {beat})

    def _name_shared_beats(self, m: _Match, c1: list[str], c2: list[str]) -> None:
        """A crossing known only from past records: the beats next to the records' beat that
        both streets also run through are named too (``straddle_beats``): the two streets may
        meet on the line between them."""
        hb = self._majority_beat(m.hist)
        shared = self._street_beats(c1) & self._street_beats(c2)
        also = sorted((shared & self._beats_touching(hb)) - {hb} - set(m.hist))
        if not also:
            return
        m.block_beats = tuple(sorted({hb, *m.hist, *also}))
        m.reason += (
            f"; both streets also run through beat{'s' if len(also) > 1 else ''} "
            f"{', '.join(also)} next to it: confirm"
        )

    def _streets_apart(self, p: ParsedAddress, side1: tuple, side2: tuple) -> _Match:
        """Both streets are known but do not meet in the reference (no geometry, no records of
        the crossing), or only one is known: a street-only answer on the better-matched street.
        When the two streets share beats, the candidates are the places in those beats (the
        better street's, else the other's): the crossing lies in a beat both run through."""
        (c1, f1, n1), (c2, f2, n2) = side1, side2
        # only streets read as typed constrain each other (a loose spelling match, BUSH DR read
        # as RUSH CT, says nothing about where the crossing is)
        sure = (f1 or 0.0) >= 0.95 and (f2 or 0.0) >= 0.95
        shared = self._street_beats(c1[:4]) & self._street_beats(c2[:4]) if sure else set()
        options = []
        for order, (c, f, n, name, key, other_name) in enumerate((
            (c1, f1, n1, p.street, p.street_key, p.street2),
            (c2, f2, n2, p.street2, p.street2_key, p.street),
        )):  # fmt: skip
            if not c:
                continue
            m = self._match_street_only(ParsedAddress(raw=p.raw, kind="street", street=name,
                                                      street_key=key))  # fmt: skip
            # the street the text names exactly first, then the better score factor, then
            # text order
            options.append(((n == 0, -(f or 0.0), order), m, c, f, other_name))
        options.sort(key=lambda t: t[0])
        _, m, first, f, other_name = options[0]
        beats = None
        if shared and m.match_type != "unmatched":
            extra = options[1][1] if len(options) > 1 else None
            beats = self._in_shared(m, extra, shared)
        m.score = round(m.score * 0.8 * (f or 1.0), 3)
        why = f"intersection with {other_name!r} not found; located on {first[0]!r}"
        if m.match_type != "unmatched" and c1 and c2:
            why += " (the streets do not meet in the reference" + (
                f"; both run through beat{'s' if len(beats) > 1 else ''} {', '.join(beats)})"
                if beats
                else "; they share no beat)"
            )
        m.reason = why + (f" ({m.reason})" if m.reason else "")
        m.approximate = m.match_type != "unmatched"
        return m

    def _in_shared(self, m: _Match, other: _Match | None, shared: set[str]) -> list[str] | None:
        """Cut the street-only answer ``m`` to its places in ``shared`` beats, adding the other
        street's places in shared beats ``m`` has none in (shares renormalised over the places
        kept); the beats kept, or None when neither street has a place in them (``m`` is left
        whole)."""
        kept: dict[str, _Match] = {}
        for src in (m, other):
            for c in (src.candidates or ()) if src is not None else ():
                b = self._place_beat(c)
                if b in shared and b not in kept:
                    kept[b] = c
        if not kept:
            return None
        total = sum(c.share or 0.0 for c in kept.values()) or 1.0
        for c in kept.values():
            c.share = round((c.share or 0.0) / total, 3)
        m.candidates = sorted(kept.values(), key=lambda c: -(c.share or 0.0))
        return sorted(kept)

    def _place_beat(self, c: _Match) -> str | None:
        """The beat of one place of a street-only answer (its point's, else its records')."""
        if c.lon is not None:
            return self._beat_at(c.lon, c.lat)
        return self._majority_beat(c.hist) if c.hist else None

    def _place_in_beat(self, m: _Match, keys: list[str]) -> None:
        """A crossing known only from past records: when one of its streets has known points in
        the records' beat, the middle of those points becomes an approximate location (the
        answer is ``approximate``, its beat the records'), with a radius that covers them."""
        hb = self._majority_beat(m.hist)
        best = None
        for k in keys:
            pts = self._pts.get(k)
            if pts is None:
                continue
            idx = [i for i, b in enumerate(pts[3]) if b == hb]
            if idx and (best is None or len(idx) > len(best[1])):
                best = (k, idx, pts)
        if best is None:
            return
        k, idx, pts = best
        j = idx[len(idx) // 2]
        lon, lat = pts[1][j], pts[2][j]
        xs, ys = self._xy[k]
        spread = max(math.hypot(xs[i] - xs[j], ys[i] - ys[j]) for i in idx)
        raw = round(spread * self._metres_per_unit() + 100.0, 1)
        m.lon, m.lat = lon, lat
        m.uncertainty_m = self.calibration.radius("history_intersection", raw)
        m.approximate = True
        m.reason = (
            f"no geometry locates the crossing: past records put it in beat {hb}; the point is on "
            f"{k} in that beat"
        )

    # ------------------------------------------------------------------ geometry
    def _shapes(self, key: str) -> list[StreetShape]:
        """The street's shapes (road line first, then its address points), made once."""
        got = self._shape_memo.get(key)
        if got is None:
            sd = self.index.streets[key]
            u = self._projection()[2]
            path_parts, path_sigma = sd.path_parts, sd.path_sigma
            if not getattr(self.index, "paths_ready", True):
                if self._own_pairs():
                    # a batch without the table: this street's path alone (the table makes the
                    # same path for every street; the index is left as it is)
                    from geo_heart.geocode.lines import street_paths

                    if sd.numbers is not None:
                        path_parts, path_sigma = street_paths(sd.numbers, sd.x_ft, sd.y_ft, u)
                else:
                    self.index.crossing_table()  # the streets' paths are made with the table
                    path_parts, path_sigma = sd.path_parts, sd.path_sigma
            got = [
                s
                for s in (
                    shape_of("road line", sd.road_parts, ROAD_SIGMA_M / u, u),
                    shape_of("address points", path_parts, path_sigma, u),
                )
                if s is not None
            ]
            self._shape_memo[key] = got
        return got

    def _crossing(self, a: str, b: str) -> Crossing | None:
        """The surest meeting of streets ``a`` and ``b`` over their shapes (``a < b``): a meeting
        inside the area beats one outside it, then the smaller uncertainty wins."""
        best = None
        best_key = None
        for sa in self._shapes(a):
            for sb in self._shapes(b):
                cr = crossing(sa, sb, inside=self._inside_area)
                if cr is None:
                    continue
                key = (not bool(self._inside_area(np.array([[cr.x, cr.y]]))[0]), cr.uncertainty)
                if best is None or key < best_key:
                    best, best_key = cr, key
        return best

    def _inside_area(self, pts: np.ndarray) -> np.ndarray:
        """Mask of projected points ``(n, 2)`` inside some beat."""
        if self._beat_tree is None:
            self._build_beat_tree()
        pts = np.asarray(pts, dtype=float)
        # candidates by bounding box, then the prepared beats' ``intersects`` at each point (the
        # same test as a tree query with that predicate, which would test the query points
        # against the unprepared outlines)
        qi, bj = self._beat_tree.query(shapely.points(pts))
        mask = np.zeros(len(pts), dtype=bool)
        if len(qi):
            with PREPARED_LOCK:
                hit = shapely.intersects_xy(self._beat_geoms[bj], pts[qi, 0], pts[qi, 1])
            mask[qi[hit]] = True
        return mask

    def _crossing_place(self, a: str, b: str) -> tuple | None:
        """(crossing, lon, lat, uncertainty m, beats within reach as (beat, lon, lat)) of a pair.

        The index lists every pair of streets whose geometries come within reach
        (:func:`~geo_heart.geocode.crossing_pairs.precompute_crossings`); the record is computed on first use and memoised.
        """
        k = (a, b) if a <= b else (b, a)
        pre = getattr(self.index, "crossings", None)
        if pre is not None:
            rec = pre.get(k)
            if rec != PENDING:  # None (the streets never meet) or a full record
                return rec
        memo = self._crossing_memo
        if k in memo:
            return memo[k]
        if not self._crossing_records_read:
            self._read_crossing_records()
            if k in memo:
                return memo[k]
        crossings = getattr(_DEFER, "crossings", None)
        if crossings is not None and _DEFER.owner is self:
            # a batch is being matched: every crossing it needs is computed in one vectorised
            # pass (:meth:`_fill_crossings`), then the texts that asked are matched again
            crossings.add(k)
            return _MISSING
        if self._own_pairs():  # a batch without the table: the pair by the table's own test
            self._fill_crossings([k])
            return memo[k]
        cr = self._crossing(*k)
        rec = None
        if cr is not None:
            _, to_lonlat, to_m = self._projection()
            unc = round(cr.uncertainty * to_m + 5.0, 1)
            lon, lat = to_lonlat.transform(cr.x, cr.y)
            # beats within reach, with their distance (m): the calibrated radius picks among them
            # at lookup time (wider radii are computed then)
            near = []
            reach = max(unc, PRECOMPUTED_REACH_M) / to_m
            for d, beat, qx, qy in self._beats_within_d(cr.x, cr.y, reach):
                qlon, qlat = to_lonlat.transform(qx, qy)
                near.append((beat, float(qlon), float(qlat), round(d * to_m, 1)))
            rec = (cr, float(lon), float(lat), unc, tuple(near))
        memo[k] = rec
        self._crossing_new[k] = rec  # written beside the index at the end of the batch
        return rec

    def _fill_crossings(self, keys) -> None:
        """:meth:`_crossing_place` of many street pairs ``(a, b)`` (``a <= b``) at once, into
        the memo (and the records written beside the index at the end of the batch): see
        :func:`~geo_heart.geocode.crossbatch.crossing_records`; the same records as one pair at
        a time."""
        from geo_heart.geocode.crossbatch import crossing_records

        keys = [k for k in dict.fromkeys(keys) if k not in self._crossing_memo]
        if keys and self._own_pairs():
            # a batch without the table: which of its pairs meet, by the table's own test on
            # those streets alone (the others are None, as for a pair the table does not list)
            from geo_heart.geocode.crossing_pairs import pairs_meeting

            meet = pairs_meeting(keys, self._shapes, self._projection()[2])
            apart = {k: None for k in keys if k not in meet}
            self._crossing_memo.update(apart)
            self._crossing_new.update(apart)
            keys = [k for k in keys if k in meet]
        if keys:
            got = crossing_records(self, keys, reach_m=PRECOMPUTED_REACH_M)
            self._crossing_memo.update(got)
            self._crossing_new.update(got)

    def _own_pairs(self) -> bool:
        """True inside a batch of this geocoder that tests its own street pairs."""
        return getattr(_DEFER, "owner", None) is self and bool(getattr(_DEFER, "own_pairs", None))

    def _read_crossing_records(self) -> None:
        """Read the records (and near beats) earlier batches kept beside the index into the
        memos (:func:`~geo_heart.geocode.crossrecords.read_into`); once per geocoder."""
        self._crossing_records_read = True
        read_into(records_path(self.index), self._crossing_memo, self._near_memo)

    def _save_crossing_records(self) -> None:
        """Write the records (and near beats) computed since the last write beside the index
        (merged with the file's; never raises: :mod:`geo_heart.geocode.crossrecords`)."""
        if self._crossing_new or self._near_new:
            new, self._crossing_new = self._crossing_new, {}
            near, self._near_new = self._near_new, {}
            save_records(records_path(self.index), new, near)

    def _beat_at(self, lon: float, lat: float) -> str | None:
        return self.beat_index.locate(lon, lat).beat

    def _near_beats(self, rec: tuple, unc: float) -> tuple:
        """Beats within ``max(unc, CROSSING_REACH_M)`` of a crossing record's point, as
        ``(beat, lon, lat)`` (the point's own beat first); the index's list when that reach
        was already covered."""
        cr, _, _, unc_raw, near = rec
        within = max(unc, CROSSING_REACH_M)
        if within <= max(unc_raw, PRECOMPUTED_REACH_M):
            return tuple((b, lo, la) for b, lo, la, d in near if d <= within)
        key = (cr.x, cr.y, unc)
        got = self._near_memo.get(key)
        if got is None and not self._crossing_records_read:
            self._read_crossing_records()
            got = self._near_memo.get(key)
        if got is None:
            pending = getattr(_DEFER, "pending", None)
            if pending is not None and _DEFER.owner is self:
                # a batch is being matched: the geometry of every crossing it needs is done in
                # one vectorised pass (:meth:`_fill_near`), then this text is matched again
                pending.add(key)
                raise NearPending
            self._fill_near([key])
            got = self._near_memo[key]
        return got

    def _fill_near(self, keys) -> None:
        """Beats within ``unc`` metres of crossings ``(x, y, unc)`` (projected x, y), as
        ``(beat, lon, lat)`` into the near memo, all at once."""
        keys = list(keys)
        _, to_lonlat, to_m = self._projection()
        found = self._beats_within_many(
            [k[0] for k in keys], [k[1] for k in keys], [k[2] / to_m for k in keys]
        )
        flat = [t for near in found for t in near]
        qlon, qlat = to_lonlat.transform(
            np.array([t[2] for t in flat], dtype=float), np.array([t[3] for t in flat], dtype=float)
        )
        at = 0
        lons, lats = qlon.tolist(), qlat.tolist()
        for key, near in zip(keys, found, strict=True):
            self._near_memo[key] = self._near_new[key] = tuple(
                (t[1], lons[at + j], lats[at + j]) for j, t in enumerate(near)
            )
            at += len(near)

    def _match_batch(self, parsed: list) -> list:
        """``_match`` of each parsed address, the crossings' nearby beats found for the whole
        batch in one vectorised pass: a text whose crossing needs them is set aside, and matched
        again once they are known (the same match as matching it alone)."""
        _DEFER.pending, _DEFER.crossings, _DEFER.owner = set(), set(), self
        _DEFER.own_pairs = self._cross_adj_memo is None and no_table(self.index)
        try:
            out: list = []
            again: list[tuple[int, tuple | None]] = []
            # exact (street, number) address points of the whole batch: one sorted-array join
            exact = self._exact.hits(parsed)
            for i, p in enumerate(parsed):
                hit = exact.get(i)
                if hit is not None:
                    out.append(hit)
                    continue
                try:
                    out.append(self._match(p))
                except NearPending as exc:
                    out.append(None)
                    again.append((i, exc.located))
            while _DEFER.crossings:
                # the crossings the set-aside texts need, all at once; then those texts again
                # (their nearby beats still deferred)
                self._fill_crossings(sorted(_DEFER.crossings))
                _DEFER.crossings = set()
                retry, again = again, []
                for i, located in retry:
                    p = parsed[i]
                    try:
                        out[i] = (self._match(p) if located is None
                                  else self._match_intersection(p, located))  # fmt: skip
                    except NearPending as exc:
                        again.append((i, exc.located))
            pending = _DEFER.pending
            # the rest is matched at once (still without the table when the batch had none)
            _DEFER.pending = _DEFER.crossings = None
            if pending:
                self._fill_near(pending)
            for i, located in again:
                p = parsed[i]
                out[i] = (self._match(p) if located is None
                          else self._match_intersection(p, located))  # fmt: skip
        finally:
            _DEFER.pending = _DEFER.crossings = _DEFER.owner = _DEFER.own_pairs = None
        return out

    def _located(self, rec: tuple, matched: str, factor: float, hist) -> _Match:
        """A located crossing: its point, a calibrated 90% radius, and the beats within it.

        ``ok`` only when one beat lies within the radius and the radius is at most the
        calibration's ``ok_crossing_radius_m``; several beats → ``ambiguous`` (one candidate per
        beat, the beat of past records first), or ``approximate`` with the records' beat when the
        point lies in it (every beat within the radius in ``straddle_beats``); one beat but a
        wide radius → ``approximate``.
        """
        from geo_heart.geocode.calibration import crossing_class

        cr, lon, lat, unc_raw, _ = rec
        to_m = self._metres_per_unit()
        for limit, score in _SCORES:  # noqa: B007 - the first limit that holds unc
            if unc_raw <= limit:
                break
        cal = self.calibration
        cls = crossing_class(cr.how, unc_raw, cr.gap * to_m)
        unc = round(cal.crossing_radius(cls, unc_raw), 1)
        near = self._near_beats(rec, unc)
        reason = f"crossing of the {cr.how}"
        if cr.gap > 0:
            reason = f"the {cr.how} pass {cr.gap * to_m:.0f} m apart"
        if cr.extrapolated > 1:
            reason += f", {cr.extrapolated * to_m:.0f} m beyond the known geometry"
        reason += f" (within ~{unc:.0f} m)"
        m = _Match(lon, lat, "intersection", round(score * factor, 3), matched,
                   reason, uncertainty_m=unc, cal_class=cls, raw_radius_m=unc_raw)  # fmt: skip
        beats = tuple(b for b, _, _ in near)
        if not hist and cr.how == "address points" and not self.point_crossings_confident:
            # [addresses] point_crossings_confident = false: a crossing estimated from address
            # points alone is given as the unit(s) it may be in, never one confident point
            m.candidates = [
                _Match(clon, clat, "intersection", m.score, f"{matched} ({b} side)", reason,
                       uncertainty_m=unc)
                for b, clon, clat in near
            ] or [_Match(lon, lat, "intersection", m.score, matched, reason, uncertainty_m=unc)]  # fmt: skip
            m.reason = f"{reason}; estimated from address points alone (no street layer)"
            m.unsure = True
            if len(beats) > 1:
                m.block_beats = beats
            return m
        hb = self._majority_beat(hist) if hist else None
        if len(beats) > 1 and hb is not None and hb == self._beat_at(lon, lat):
            # several beats within the radius, but the point lies in the beat past records of
            # this very crossing give: that beat, every beat within the radius named (straddle);
            # a radius spanning a boundary is never a confident beat, so never ``ok``
            m.block_beats = beats
            m.hist, m.prefer_history = hist, True
            m.approximate = True
            # how sure the records are is what decides whether their beat is right (measured:
            # unanimous records 87% right, split ones about 40%): the raw score carries their
            # majority share, and the calibration maps it to a probability
            share = max(hist.values()) / (sum(hist.values()) or 1.0)
            m.score = round(m.score * share, 3)
            m.reason += f"; the radius spans a beat line (past records: {hb}"
            m.reason += "): confirm" if share >= 0.95 else f", {share:.0%} of them): confirm"
            return m
        elif len(beats) > 1:
            # several beats within the radius: one candidate per beat, at the point nearest it
            # within the radius; the beat past records of the crossing give first
            m.block_beats = beats
            order = sorted(near, key=lambda t: (t[0] != hb, beats.index(t[0])))
            m.candidates = [
                _Match(clon, clat, "intersection", m.score, f"{matched} (beat {b} side)", reason,
                       uncertainty_m=unc)
                for b, clon, clat in order
            ]  # fmt: skip
            m.reason = (
                f"{reason}; the crossing lies near the line between beats {', '.join(beats)}"
                + (f" (past records: mostly {hb})" if hb else "")
            )
            return m
        elif hist:
            # one beat within the radius: past records of the crossing are kept as evidence
            m.hist, m.prefer_history = hist, not beats
            if hb not in beats and beats:
                m.block_beats = tuple(sorted({*beats, hb}))
        limit = cal.ok_crossing_radius_m
        allowed = cal.ok_crossing_geometries
        geometry = cls.split("/")[0]
        if limit is not None and unc > limit:
            m.approximate = True
            m.reason += f"; known only within ~{unc:.0f} m (more than {limit:.0f} m): confirm"
        elif allowed is not None and (
            geometry not in allowed or cr.extrapolated * to_m > OK_EXTRAPOLATED_M
        ):
            # a crossing estimated (address points, lines passing apart, a line extended past
            # its end) is not a found crossing
            m.approximate = True
            m.reason += "; estimated, not two drawn street lines that meet: confirm"
        elif hist and len(self._records_straddle(hist)) > 1:
            m.approximate = True
            m.reason += (
                f"; past records put it in beats {', '.join(self._records_straddle(hist))}: confirm"
            )
        elif hist and beats and hb not in beats:
            # the point lies in one beat, past records of the crossing put it in another
            m.approximate = True
            m.reason += f"; past records put it in beat {hb}: confirm"
        return m

    @staticmethod
    def _records_straddle(hist) -> tuple[str, ...]:
        """The beats past records give a crossing with a real share (``STRADDLE_SHARE``)."""
        from geo_heart.geocode.types import majority_summary

        got = getattr(hist, "summary", None) or majority_summary(hist)
        return got[1]
