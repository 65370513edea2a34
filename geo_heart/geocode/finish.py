"""Matches → result rows: beats, service area, calibrated score and radius, and the shape of an
``approximate`` or ``ambiguous`` answer (its candidates, each beat's share, the reason).

A mixin of :class:`geo_heart.geocode.match.Geocoder`, which supplies ``beat_index``,
``service_area``, ``calibration``, ``confident_min_score``, ``_district`` and ``_majority_memo``.
Matching (which place a text names) lives in ``match.py``, ``streets.py`` and ``intersect.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely

from geo_heart.geo.beats import PREPARED_LOCK
from geo_heart.geocode.calibration import score_family
from geo_heart.geocode.types import UNCERTAINTY_M, _Match, majority_summary

#: A crossing answer names one beat only when its calibrated probability of the right beat is at
#: least this (issue 33: an answer naming a single beat is right at least 98% of the time);
#: otherwise it also names the other beats within its radius
SINGLE_BEAT_MIN_P = 0.98


def _copy_match(m: _Match) -> _Match:
    return _Match(m.lon, m.lat, m.match_type, m.score, m.matched, m.reason, m.hist, m.block_beats,
                  m.prefer_history, m.invalid, m.uncertainty_m, share=m.share)  # fmt: skip


class ResultFinisher:
    """Turns matches into rows in :class:`~geo_heart.geocode.types.GeocodeResult` order."""

    def _finish(self, matches: list[_Match]) -> list[tuple]:
        """Beats for all matches at once; one result row (in :class:`GeocodeResult` order) each."""
        rows = self._finish_plain(matches)
        todo = [
            i
            for i, m in enumerate(matches)
            if m.candidates or (m.approximate and not _stays_outside(m, rows[i]))
        ]
        if not todo:
            return self._last_checks(matches, rows)
        # every candidate of every such match finished in one vectorised pass; an approximate
        # answer without candidates is its own one candidate (a copy of the match: every field
        # the finishing reads is copied), whose row is the match's own row, not finished again
        own: set[int] = set()
        for i in todo:
            m = matches[i]
            if m.approximate and not m.candidates:
                m.candidates = [_copy_match(m)]
                if m.candidates[0].share is None:
                    m.candidates[0].share = 1.0
                own.add(i)
        flat = [c for i in todo if i not in own for c in matches[i].candidates or ()]
        done = iter(self._finish_plain(flat))
        for i in todo:
            m = matches[i]
            if i in own:
                rows[i] = self._finish_own(m, rows[i])
                continue
            crows = [next(done) for _ in m.candidates or ()]
            if m.approximate:
                rows[i] = self._finish_approximate(m, rows[i], crows)
            else:
                rows[i] = self._finish_ambiguous(m, rows[i], crows)
        return self._last_checks(matches, rows)

    def _last_checks(self, matches: list[_Match], rows: list[tuple]) -> list[tuple]:
        """:meth:`_name_others` then :meth:`_maybe_outside` on every row; the beats within the
        radius of every crossing answer that asks for them found in one vectorised pass."""
        # only a crossing answer naming a beat with a calibrated probability below
        # SINGLE_BEAT_MIN_P may name others (the tests :meth:`_name_others` starts with); the
        # rest are left as they are
        maybe = [
            i for i, (m, r) in enumerate(zip(matches, rows, strict=True))
            if r[2] is not None and r[6] is not None and r[6] < SINGLE_BEAT_MIN_P
            and ("intersection" in m.match_type or "intersection with" in (m.reason or ""))
        ]  # fmt: skip
        asks = [i for i in maybe if self._others_within(matches[i], rows[i])]
        within: dict[int, list[tuple]] = {}
        if asks:
            # one query per distinct (point, radius): texts naming the same crossing share it
            where = {(rows[i][0], rows[i][1], rows[i][12]): None for i in asks}
            spots = list(where)
            to_p, _, to_m = self._projection()
            lon = np.array([k[0] for k in spots], dtype=float)
            lat = np.array([k[1] for k in spots], dtype=float)
            x, y = to_p.transform(lon, lat)
            r = np.array([k[2] for k in spots], dtype=float) / to_m
            where = dict(zip(spots, self._beats_within_many(x, y, r), strict=True))
            within = {i: where[(rows[i][0], rows[i][1], rows[i][12])] for i in asks}
        rows = list(rows)
        for i in maybe:
            rows[i] = self._name_others(matches[i], rows[i], within.get(i))
        # points outside every beat: the nearest beat of all of them at once
        far = [i for i, r in enumerate(rows) if r[8] == "outside" and r[0] is not None and r[12]]
        hits = self._outside_hits([rows[i][0] for i in far], [rows[i][1] for i in far])
        for i, hit in zip(far, hits, strict=True):
            rows[i] = self._maybe_outside(rows[i], hit)
        return rows

    def _outside_hits(self, lons: list[float], lats: list[float]) -> list:
        """``beat_index.locate(lon, lat, nearest=True)`` of many points, the nearest beats of the
        points outside every beat found together, on stretches of the beats' outlines (one tree
        query for all of them). The same beats and distances as one point at a time."""
        from geo_heart.geo.beats import HALF_EARTH_M, NEAR_DEG, BeatHit

        bi = self.beat_index
        hits = [bi.locate(x, y) for x, y in zip(lons, lats, strict=True)]
        todo = [k for k, h in enumerate(hits) if h.status == "outside"]
        if not todo:
            return hits
        same_crs = str(getattr(bi, "projected_crs", "")) == self._crs_name()
        x0, y0, x1, y1 = shapely.total_bounds(bi.geoms).tolist()
        near: dict[int, tuple[str, float]] = {}
        inside = [
            k for k in todo
            if same_crs and x0 - NEAR_DEG <= lons[k] <= x1 + NEAR_DEG
            and y0 - NEAR_DEG <= lats[k] <= y1 + NEAR_DEG
        ]  # fmt: skip
        if inside:
            # the nearest stretch of any beat's outline (the geocoder's own projected outlines:
            # the beat index's, as the CRS is the same): a point outside a polygon is as far from
            # it as from the nearest segment of its rings, so the distance is the same number
            tree, chunk_beat = self._outline_chunks()
            unit = self._metres_per_unit()
            px, py = self._projection()[0].transform(
                np.array([lons[k] for k in inside]), np.array([lats[k] for k in inside])
            )
            sel = np.flatnonzero(np.isfinite(px) & np.isfinite(py))
            pts = shapely.points(np.column_stack([px[sel], py[sel]]))
            (qi, ci), dist = tree.query_nearest(pts, return_distance=True, all_matches=True)
            best: dict[int, tuple[float, int]] = {}
            for q, c, d in zip(qi.tolist(), ci.tolist(), dist.tolist(), strict=True):
                k = inside[int(sel[q])]
                got = (d, int(chunk_beat[c]))  # ties: first by id
                if k not in best or got < best[k]:
                    best[k] = got
            for k, (d, j) in best.items():
                if math.isfinite(d * unit):
                    near[k] = (self._beat_id_list[j], min(d * unit, HALF_EARTH_M))
        for k in todo:
            b, dist = near[k] if k in near else bi.nearest(lons[k], lats[k])
            h = hits[k]
            hits[k] = BeatHit(
                None, None, h.status, f"{h.reason}; nearest beat {b} is {dist:,.0f} m away",
                nearest_beat=b, distance_m=dist,
            )  # fmt: skip
        return hits

    def _candidate_dicts(
        self, cands: list[_Match], crows: list[tuple] | None = None
    ) -> list[dict[str, Any]]:
        out = []
        if crows is None:
            crows = self._finish_plain(cands)
        for c, r in zip(cands, crows, strict=True):
            d = {
                "matched_address": r[7], "lon": r[0], "lat": r[1], "beat": r[2],
                "district": r[3], "in_service_area": r[4], "match_type": r[5], "score": r[6],
                "straddle_beats": r[10], "uncertainty_m": r[12],
            }  # fmt: skip
            if c.share is not None:
                d["share"] = c.share
            if r[0] is not None and r[2] is None and r[8] == "outside":
                # a place of that name outside the area: labelled so, and listed after the
                # places inside it (a pick list leads with what the call-taker can dispatch)
                d["matched_address"] = f"{r[7]} (outside the area)"
                d["outside_area"] = True
            out.append(d)
        out.sort(key=lambda d: bool(d.get("outside_area")))
        return out

    def _finish_approximate(self, m: _Match, row: tuple, crows: list[tuple] | None = None) -> tuple:
        """Only part of the text was located: the beats it may be in, each with its share.

        The beat (and a point) only when every candidate lies in one beat. ``crows``: the
        candidates' finished rows when the caller has them.
        """
        if not m.candidates:
            m.candidates = [_copy_match(m)]
            if m.candidates[0].share is None:
                m.candidates[0].share = 1.0
        cands = self._candidate_dicts(m.candidates, crows)
        shares: dict[str, float] = {}
        for c in cands:
            if c["beat"] is not None:
                shares[c["beat"]] = shares.get(c["beat"], 0.0) + (c.get("share") or 0.0)
        beats = sorted(shares, key=lambda b: (-shares[b], b))
        unknown = any(c["beat"] is None for c in cands)
        shared = beats[0] if len(beats) == 1 and not unknown else None
        district = next((c["district"] for c in cands if c["beat"] == shared), None)
        sa = None if shared is None else self.service_area.contains(shared)
        # every beat within the answer's radius is named, not only the candidates' own
        named = [*beats, *(b for b in m.block_beats or () if b not in shares)]
        for c in cands:  # a candidate's own block straddling beats (its past records)
            named += [b for b in (c["straddle_beats"] or "").split(";") if b and b not in named]
        if sa is not None and any(self.service_area.contains(b) != sa for b in named):
            sa = None  # in the service area or not depends on which beat within the radius
        if len(beats) == 1 and len(named) > 1:
            where = f"most likely beat {beats[0]}; also within the radius: {', '.join(named[1:])}"
        elif beats:
            text = ", ".join(f"{b} ({int(100 * shares[b] + 0.5)}%)" for b in beats[:8])
            where = f"{len(beats)} possible beat{'s' if len(beats) > 1 else ''}: {text}"
        else:
            where = "no beat known"
        reason = f"{m.reason}; {where}" if m.reason else where
        one = cands[0] if len(cands) == 1 else None
        lon = one["lon"] if one is not None else None
        lat = one["lat"] if one is not None else None
        unc = one["uncertainty_m"] if one is not None else None
        source = None if shared is None else (row[11] if one is not None else "candidates")
        score = self.calibration.probability(score_family(m.match_type, source), float(m.score))
        return (lon, lat, shared, district, sa, m.match_type, score, m.matched,
                "approximate", reason, ";".join(named) or None, source, unc,
                tuple(cands))  # fmt: skip

    def _finish_own(self, m: _Match, row: tuple) -> tuple:
        """:meth:`_finish_approximate` of a match that is its own one candidate (a copy of it,
        whose finished row is ``row``): the same row, without the general case's loops over
        candidates and beats."""
        x, y, beat, district, sa0, mtype, score0, matched, status, _, strad, source, unc, _ = row
        out_area = x is not None and beat is None and status == "outside"
        d = {
            "matched_address": f"{matched} (outside the area)" if out_area else matched,
            "lon": x, "lat": y, "beat": beat, "district": district, "in_service_area": sa0,
            "match_type": mtype, "score": score0, "straddle_beats": strad, "uncertainty_m": unc,
        }  # fmt: skip
        share = m.candidates[0].share if m.candidates else None
        if share is not None:
            d["share"] = share
        if out_area:
            d["outside_area"] = True
        beats = [] if beat is None else [beat]
        sa = None if beat is None else self.service_area.contains(beat)
        named = [*beats, *(b for b in m.block_beats or () if b not in beats)]
        named += [b for b in (strad or "").split(";") if b and b not in named]
        if sa is not None and any(self.service_area.contains(b) != sa for b in named):
            sa = None
        if beats and len(named) > 1:
            where = f"most likely beat {beat}; also within the radius: {', '.join(named[1:])}"
        elif beats:
            where = f"1 possible beat: {beat} ({int(100 * (0.0 + (share or 0.0)) + 0.5)}%)"
        else:
            where = "no beat known"
        reason = f"{m.reason}; {where}" if m.reason else where
        source = None if beat is None else source
        score = self.calibration.probability(score_family(m.match_type, source), float(m.score))
        return (x, y, beat, district, sa, m.match_type, score, m.matched, "approximate", reason,
                ";".join(named) or None, source, unc, (d,))  # fmt: skip

    def _finish_ambiguous(self, m: _Match, row: tuple, crows: list[tuple] | None = None) -> tuple:
        """Several places fit: the candidates with their beats; the beat only if they share it."""
        cands = self._candidate_dicts(m.candidates or [], crows)
        beats = sorted({c["beat"] for c in cands if c["beat"] is not None})
        unknown = any(c["beat"] is None for c in cands)
        shared = beats[0] if len(beats) == 1 and not unknown else None
        if len(cands) < 2 and not (len(cands) == 1 and cands[0]["straddle_beats"]) and not m.unsure:
            return row
        district = next((c["district"] for c in cands if c["beat"] == shared), None)
        sa = None if shared is None else self.service_area.contains(shared)
        text = ", ".join(f"{c['matched_address']} (beat {c['beat'] or '?'})" for c in cands[:6])
        reason = (
            f"{len(cands)} places fit: {text}"
            if len(cands) > 1
            else f"not sure of the place: {text}"
        )
        if m.reason:
            reason = f"{m.reason}; {reason}"
        if shared is None:
            reason += "; the beat depends on which"
        score = self.calibration.probability(m.match_type, float(m.score))
        return (None, None, shared, district, sa, m.match_type, score, m.matched,
                "ambiguous", reason, ";".join(beats) or None,
                "candidates" if shared else None, None, tuple(cands))  # fmt: skip

    def _finish_plain(self, matches: list[_Match]) -> list[tuple]:
        """Beats for matches without candidates (candidates are finished by the caller)."""
        if not matches:
            return []
        lon = np.array([m.lon for m in matches], dtype=float)  # None -> NaN
        lat = np.array([m.lat for m in matches], dtype=float)
        has_arr = np.isfinite(lon) & np.isfinite(lat)
        has = has_arr.tolist()
        n = len(matches)
        if has_arr.any():
            assigned = self.beat_index.assign(lon, lat)
            a_beat = assigned["beat"].tolist()
            a_dist = assigned["district"].tolist()
            a_status = assigned["status"].tolist()
            a_reason = assigned["reason"].tolist()
        else:
            a_beat = a_dist = a_status = a_reason = [None] * n
        lon_l = np.round(lon, 7).tolist()
        lat_l = np.round(lat, 7).tolist()
        majority = self._majority_memo
        majority_get = majority.get
        district_of = self._district.get
        contains = self.service_area.contains
        unc_of = UNCERTAINTY_M.get
        prob = self.calibration.probability
        radius = self.calibration.radius
        in_area: dict[str | None, bool] = {}
        out = []
        append = out.append
        for m, has_i, beat, district, a_st, a_re, x, y in zip(
            matches, has, a_beat, a_dist, a_status, a_reason, lon_l, lat_l, strict=True
        ):
            reason = m.reason
            straddle: tuple[str, ...] = m.block_beats
            if has_i:
                status = "ok"
                source = "coordinates" if beat is not None else None
                if a_st != "ok":
                    status = str(a_st)
                    reason = f"{reason}; {a_re}" if reason else str(a_re)
            else:
                beat = district = source = None
                if m.invalid:
                    status = "invalid"
                else:
                    status = "unmatched" if m.match_type == "unmatched" else "beat_only"
            hist = m.hist
            if hist:
                got = getattr(hist, "summary", None)  # a History from the index: precomputed
                if got is None:
                    got = majority_get(id(hist))
                    if got is None or got[0] is not hist:
                        got = majority[id(hist)] = (hist, *majority_summary(hist))
                    got = got[1:]
                hb, hstraddle, hsource = got
                if straddle:
                    straddle = tuple(sorted(set(straddle) | set(hstraddle)))
                elif len(hstraddle) > 1:
                    straddle = hstraddle  # sorted and distinct already
                if beat is None or m.prefer_history:
                    if beat is not None and beat != hb:
                        note = f"the point lies in beat {beat}, past records put the block in {hb}"
                        reason = f"{reason}; {note}" if reason else note
                    beat = hb
                    district = district_of(hb)
                    source = hsource
            if len(straddle) > 1:
                what = "crossing" if "intersection" in m.match_type else "block"
                note = f"{what} straddles beats {', '.join(straddle)}"
                reason = f"{reason}; {note}" if reason else note
                straddle_beats = ";".join(straddle)
            else:
                straddle_beats = None
            if beat is None and status != "outside":
                sa = None  # the location is unknown: neither in nor out of the service area
            else:
                sa = in_area.get(beat)
                if sa is None:
                    sa = in_area[beat] = contains(beat)
            score = prob(score_family(m.match_type, source), float(m.score))
            if has_i:
                unc = m.uncertainty_m
                if m.match_type != "intersection":  # a crossing's radius is calibrated already
                    unc = radius(
                        m.match_type, unc_of(m.match_type) if unc is None else unc, m.score
                    )
                row = (x, y, beat, district, sa, m.match_type, score,
                       m.matched, status, reason, straddle_beats, source, unc, ())  # fmt: skip
                if self.confident_min_score is not None and status == "ok" and beat is not None:
                    row = self._unsure(row, straddle)
                append(row)
            else:
                append((None, None, beat, district, sa, m.match_type, score,
                        m.matched, status, reason, straddle_beats, source, None, ()))  # fmt: skip
        return out

    def _others_within(self, m: _Match, row: tuple) -> bool:
        """Whether :meth:`_name_others` looks for the beats within the row's radius."""
        beat, score = row[2], row[6]
        if beat is None or score is None or score >= SINGLE_BEAT_MIN_P:
            return False
        if not ("intersection" in m.match_type or "intersection with" in (m.reason or "")):
            return False
        named = {beat, *(row[10] or "").split(";"), *(c.get("beat") for c in row[13] or ())}
        if named - {beat, "", None}:
            return False
        return row[0] is not None and bool(row[12])

    def _name_others(self, m: _Match, row: tuple, within: list[tuple] | None = None) -> tuple:
        """A crossing answer naming one beat names the others it may be in unless its calibrated
        probability of the right beat is at least :data:`SINGLE_BEAT_MIN_P`.

        With a point: every beat within its stated radius (a street's middle or a point from past
        records has a radius of a kilometre or more). Without one (only past records of the
        crossing give its beat): the beats bordering that beat. The answer keeps its most
        likely beat and lists the others (``straddle_beats``: "also within the radius").
        ``within``: :meth:`_beats_within_d` of the row's point and radius, when known.
        """
        beat, score = row[2], row[6]
        if beat is None or score is None or score >= SINGLE_BEAT_MIN_P:
            return row
        if not ("intersection" in m.match_type or "intersection with" in (m.reason or "")):
            return row
        named = {beat, *(row[10] or "").split(";"), *(c.get("beat") for c in row[13] or ())}
        if named - {beat, "", None}:
            return row  # other beats are named already
        if row[0] is not None and row[12]:
            if within is None:
                to_p, _, to_m = self._projection()
                x, y = to_p.transform(row[0], row[1])
                within = self._beats_within_d(x, y, row[12] / to_m)
            others = [b for _, b, _, _ in within if b != beat]
            why = "also within the radius"
        else:
            others = self._bordering(beat)
            why = "past records only: the beats next to it are possible too"
        if not others:
            return row
        note = f"most likely beat {beat} ({100 * score:.0f}%); {why}: {', '.join(others)}"
        reason = f"{row[9]}; {note}" if row[9] else note
        status = "approximate" if row[8] in ("ok", "beat_only") else row[8]
        return (*row[:8], status, reason, ";".join([beat, *others]), *row[11:])

    def _bordering(self, beat: str) -> list[str]:
        """The beats sharing a border with ``beat`` (within 1 m of it)."""
        memo = self.__dict__.setdefault("_bordering_memo", {})
        if beat not in memo:
            if self._beat_tree is None:
                self._build_beat_tree()
            i = self._beat_id_list.index(beat)
            with PREPARED_LOCK:  # the query uses the prepared beat, shared across threads
                near = self._beat_tree.query(self._beat_geoms[i], predicate="dwithin",
                                             distance=1.0 / self._metres_per_unit())  # fmt: skip
            memo[beat] = sorted({self._beat_id_list[j] for j in near.tolist()} - {beat})
        return memo[beat]

    def _maybe_outside(self, row: tuple, hit=None) -> tuple:
        """A point outside every beat is ``outside`` only when its whole stated radius is: when
        a beat lies within the radius the answer is ``approximate`` ("may be outside: nearest
        beat 214, 136 m; confirm with the caller"), the nearest beat named as possible."""
        if row[8] != "outside" or row[0] is None or not row[12]:
            return row
        if hit is None:
            hit = self.beat_index.locate(row[0], row[1], nearest=True)
        if hit.nearest_beat is None or (hit.distance_m or 0.0) > row[12]:
            return row
        b = str(hit.nearest_beat)
        note = (
            f"may be outside: nearest beat {b}, {hit.distance_m or 0.0:,.0f} m (within the "
            f"~{row[12]:,.0f} m radius); confirm with the caller"
        )
        return approximate_row(row, note, (b,))

    def _unsure(self, row: tuple, straddle: tuple[str, ...]) -> tuple:
        """A located row that is not sure enough (score below ``confident_min_score``, or a block
        straddling units) → ``ambiguous``: one candidate per unit it may be in; ``beat`` kept
        only when they all agree."""
        x, y, beat, district, sa, mtype, score, matched, _, reason, strad, source, unc, _ = row
        low = score < (self.confident_min_score or 0.0)
        if not low and len(straddle) < 2:
            return row
        units = list(straddle) if len(straddle) > 1 else [beat]
        cands = tuple(
            {"matched_address": matched, "lon": x, "lat": y, "beat": b,
             "district": self._district.get(b), "in_service_area": self.service_area.contains(b),
             "match_type": mtype, "score": score, "uncertainty_m": unc}
            for b in units
        )  # fmt: skip
        why = (
            f"not sure enough to name one unit (score {score:.2f} below "
            f"{self.confident_min_score:.2f})"
            if low
            else f"the block straddles {', '.join(units)}"
        )
        reason = f"{reason}; {why}" if reason else why
        if len(units) > 1:
            beat = district = None
            sa = None
        return (x, y, beat, district, sa, mtype, score, matched, "ambiguous", reason, strad,
                source, unc, cands)  # fmt: skip

    @staticmethod
    def _majority_beat(hist: dict[str, float]) -> str:
        """The majority beat of a history (precomputed for the index's histories)."""
        got = getattr(hist, "summary", None)
        return (got or majority_summary(hist))[0]


def _stays_outside(m: _Match, row: tuple) -> bool:
    """A number placed near (not at) its place whose point lies outside every beat: the answer
    stays ``outside`` (its reason names the nearest beat and its distance)."""
    return row[8] == "outside" and m.match_type in ("nearest_address", "extrapolated")


def approximate_row(row: tuple, note: str, also: tuple[str, ...] = ()) -> tuple:
    """``row`` (a located answer) as ``approximate``: its point the one candidate, its beat (if
    any) kept as the most likely one; ``also``: other beats within its radius."""
    x, y, beat, district, sa, mtype, score, matched, _, reason, strad, source, unc, _ = row
    cand = {"matched_address": matched, "lon": x, "lat": y, "beat": beat, "district": district,
            "in_service_area": sa, "match_type": mtype, "score": score,
            "straddle_beats": strad, "uncertainty_m": unc, "share": 1.0}  # fmt: skip
    named = [b for b in (beat, *(strad or "").split(";"), *also) if b]
    named = list(dict.fromkeys(named))
    keep = beat
    reason = f"{reason}; {note}" if reason else note
    return (x, y, keep, district if keep else None, sa if keep else None, mtype, score, matched,
            "approximate", reason, ";".join(named) or None, source if keep else None, unc,
            (cand,))  # fmt: skip
