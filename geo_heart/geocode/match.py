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
from typing import Any

import numpy as np

from geo_heart.config.areafile import AddressRules
from geo_heart.geo.workspace import Workspace, service_area_today
from geo_heart.geocode.address import ParsedAddress, parse_address
from geo_heart.geocode.calibration import IDENTITY, Calibration, load_calibration
from geo_heart.geocode.edges import (
    _city_of,
    _outside,
    _place_name,
    _street_of,
    _with_reason,
    covering_keys,
    outside_reason,
)
from geo_heart.geocode.finish import ResultFinisher, _copy_match, approximate_row
from geo_heart.geocode.intersect import IntersectionMatcher
from geo_heart.geocode.reference import ReferenceIndex, load_or_build, place_key
from geo_heart.geocode.street_tables import StreetTables, street_tables  # noqa: F401 - re-exported
from geo_heart.geocode.street_tables import adjacency as _adjacency
from geo_heart.geocode.streets import SUFFIX_FORMS, StreetMatcher
from geo_heart.geocode.types import (
    RESULT_COLUMNS,
    UNCERTAINTY_M,
    GeocodeResult,
    _as_text,
    _Match,
)

log = logging.getLogger(__name__)

__all__ = ["GeocodeResult", "Geocoder", "geocoder_for", "RESULT_COLUMNS"]

#: Results remembered per normalised address; past this the memo starts afresh, so a long-running
#: service fed endless distinct addresses stays bounded in memory.
MEMO_MAX_ENTRIES = 250_000


#: A beat only past records give a street (none of its known points lies there) is named as a
#: place of the street when it holds at least this share of the street's hundred-blocks
HISTORY_BEAT_MIN_SHARE = 0.05
_WEAK = ("street", "history_street", "unmatched", "nearest_address")


class Geocoder(StreetMatcher, IntersectionMatcher, ResultFinisher):
    """Geocode addresses against a :class:`ReferenceIndex` and a beat index."""

    def __init__(
        self,
        index: ReferenceIndex,
        beat_index,
        service_area,
        *,
        outside_cities: frozenset[str] = frozenset(),
        outside_words: frozenset[str] = frozenset(),
        confident_min_score: float | None = None,
        point_crossings_confident: bool = True,
        calibration: Calibration = IDENTITY,
        address_rules: AddressRules | None = None,
        county_units: frozenset[str] = frozenset(),
        cache_dir=None,
    ) -> None:
        self.index = index
        #: the cache folder, where the projected beat outlines are kept (None: made each time)
        self.cache_dir = cache_dir
        #: the area file's ``[addresses]``: its postal cities, ZIPs, states and neighbours
        self.address_rules = address_rules or AddressRules(
            outside_cities=outside_cities, outside_words=outside_words
        )
        #: units outside the city proper (beat 999, the Sheriff's territory): an area city or ZIP
        #: answered there is noted as decided by the point
        self.county_units = county_units
        #: the fitted confidence table (90% radii, beat probabilities); IDENTITY: raw numbers
        self.calibration = calibration
        self._near_memo: dict[tuple, tuple] = {}
        self._street_beats_memo: dict[str, frozenset[str]] = {}
        #: ``[addresses] point_crossings_confident``: False gives crossings estimated from address
        #: points alone as candidates (``ambiguous``), never one confident point
        self.point_crossings_confident = point_crossings_confident
        #: ``[addresses] confident_min_score``: a located answer below it, or on a block that
        #: straddles units, is ``ambiguous`` (its units as candidates), not a confident ``ok``
        self.confident_min_score = confident_min_score
        #: the area file's ``[addresses]``: texts naming a place outside the area
        self.outside_cities = outside_cities
        self.outside_words = outside_words
        self.beat_index = beat_index
        self.service_area = service_area
        self._memo: dict[str, tuple] = {}  # normalised address -> result row
        self._street_memo: dict[Any, tuple[list[str], float, str]] = {}
        # fuzzy search pools: every known street name by length, plus spelled ordinals as aliases
        tables = street_tables(index, beat_index)
        self._names_by_len, self._name_alias = tables.names_by_len, tables.name_alias
        self._pool_memo: dict[tuple[int, int], list[str]] = {}
        self._fuzzy_memo: dict[str, tuple[list[str], float, str]] = {}
        self._place_names = sorted(index.places)
        self._named_keys = sorted(getattr(index, "named_places", {}) or {})
        self._beat_ids = {str(b) for b in beat_index.ids}
        self._district = {b: beat_index.district_of(b) for b in self._beat_ids}
        self._majority_memo: dict[int, tuple] = {}
        # intersections: street shapes and crossings (pure functions of the index), projection
        self._shape_memo: dict[str, list] = {}
        self._crossing_memo: dict[tuple[str, str], Any] = {}
        # records computed here and not yet written beside the index; whether it was read
        self._crossing_new: dict[tuple[str, str], Any] = {}
        self._near_new: dict[tuple, tuple] = {}  # near beats likewise (kept in the same file)
        self._crossing_records_read = False
        self._proj = None
        self._to_m: float | None = None
        self._beat_tree = None
        self._beat_geoms = None
        self._beat_id_list = [str(b) for b in beat_index.ids]
        # street → other street → crossing record / past records of the crossing (both ways), so
        # that a crossing's candidate pairs are dict lookups (no pair tuples built per address);
        # the crossings' is made on the first crossing asked for (the _cross_adj property)
        self._cross_adj_memo: dict[str, dict[str, Any]] | None = None
        self._ph_adj = tables.pair_history_adj  # shared by the geocoders of this index
        # per street, plain lists for fast scalar work (shared by the geocoders of this index),
        # and every address point as one sorted (street, number) array: a batch's exact hits
        self._pts, self._xy = tables.pts, tables.xy
        self._exact = tables.exact

    @property
    def _cross_adj(self) -> dict[str, dict[str, Any]] | None:
        """The index's crossing table by street (``{a: {b: record}}``), made on first use: the
        table itself is found then too (:meth:`ReferenceIndex.crossing_table`), so a lookup that
        names no crossing never pays for it. None: each pair is computed when asked."""
        adj = self._cross_adj_memo
        if adj is None:
            table_of = getattr(self.index, "crossing_table", None)
            table = table_of() if table_of is not None else self.index.crossings
            if table is None:
                return None
            adj = self._cross_adj_memo = _adjacency(table)
        return adj

    def prepare_crossings(self) -> None:
        """Make the crossing table now rather than on the first crossing asked for (the lookup
        service does it in the background once it is up)."""
        _ = self._cross_adj

    def _radius(self, kind: str) -> float | None:
        """The stated radius (metres) of an answer of this kind (calibrated when fitted)."""
        return self.calibration.radius(kind, UNCERTAINTY_M.get(kind))

    # ------------------------------------------------------------------ public API
    def geocode_one(self, text: str | None) -> GeocodeResult:
        """Geocode one address text (never raises for bad text: see ``status``/``reason``)."""
        return GeocodeResult(*self._row(parse_address(_as_text(text))))

    def _outside_row(self, p: ParsedAddress) -> tuple | None:
        """The ``outside`` row for an address naming a place outside the area, else None."""
        why = outside_reason(self.address_rules, p)
        if why is None:
            return None
        return _outside(why)

    def _row(self, p: ParsedAddress) -> tuple:
        """The memoised result row of one parsed address (in :data:`RESULT_COLUMNS` order)."""
        outside = self._outside_row(p)
        if outside is not None:
            return outside
        key = p.key
        hit = self._memo.get(key)
        if hit is None:
            hit = self._finish([self._match(p)])[0]
            if len(self._memo) >= MEMO_MAX_ENTRIES:
                self._memo.clear()
            self._memo[key] = hit
        return self._by_the_point(p, self._read_as(p, hit))

    @staticmethod
    def _read_as(p: ParsedAddress, row: tuple) -> tuple:
        """A street read by spelling correction of an unknown name is never stated firmly: the
        answer is ``approximate`` and says what the name was read as (``FAKE ST read as LAKE
        DR``)."""
        if "street spelled differently" not in (row[9] or "") or not p.street:
            return row
        read = _street_of(row[7]) if p.kind != "intersection" else None
        note = f"{p.street} read as {read}" if read else "a street name read by its spelling"
        note += ": confirm with the caller"
        if row[8] in ("ok", "outside") and row[0] is not None:
            return approximate_row(row, note)
        return _with_reason(row, note)

    def _by_the_point(self, p: ParsedAddress, row: tuple) -> tuple:
        """A row whose text names a place at the area's edge, decided by the point.

        A neighbouring place (or ZIP) that reaches into the area only in some units keeps the
        answer only where it lies in one of them; elsewhere the text's street is another
        place's street and the answer is ``outside``, naming the place. An area city or ZIP
        answered outside the city proper (the county, beat 999) or beyond every beat says that
        it was decided by the point.
        """
        r = self.address_rules
        if p.status != "ok" or not (r.edge_units or r.cities or r.zip_codes):
            return row
        if not p.city and not p.zip and "" not in r.city_aliases:
            return row  # the text names no city and no ZIP: nothing to decide by the point
        city = _city_of(r, p)
        edges = [k for k in (city, p.zip) if k and k in r.edge_units]
        beats = {row[2]} if row[2] else {c.get("beat") for c in row[13] or ()} - {None}
        if edges:
            units = frozenset.intersection(*(r.edge_units[k] for k in edges))
            name = _place_name(city, p.zip, edges[0])
            unit = "beat" if len(units) == 1 else "beats"
            reach = f"{name} reaches into this area only in {unit} {', '.join(sorted(units))}"
            if beats and beats <= units:
                return _with_reason(row, f"{reach}: decided by the point")
            where = f" (the street was found in beat {', '.join(sorted(beats))})" if beats else ""
            return _outside(f"{name} is not in this area{where}; {reach}")
        own = [k for k in (city, p.zip) if k and (k in r.cities or k in r.zip_codes)]
        if own and row[0] is not None and (not beats or beats & self.county_units):
            place = " ".join(own)
            where = f"beat {', '.join(sorted(beats))}" if beats else "outside every beat"
            return _with_reason(
                row, f"{place} spans the area's edge: decided by the point ({where})"
            )
        return row

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
            out = self._geocode_many(texts)
        finally:
            if enabled:
                gc.enable()
        # crossings computed by this batch: kept beside the index for the next process
        self._save_crossing_records()
        return out

    def _geocode_many(self, texts) -> Any:
        import pandas as pd

        values = pd.Series(texts, dtype=object) if not isinstance(texts, pd.Series) else texts
        if len(self._memo) >= MEMO_MAX_ENTRIES:
            self._memo.clear()
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        parsed = [parse_address(u if type(u) is str else _as_text(u)) for u in uniques]
        keys = [p.key for p in parsed]
        if self.address_rules:
            # an address naming a place outside the area (the city is not part of the key)
            for i, p in enumerate(parsed):
                outside = self._outside_row(p)
                if outside is not None:
                    keys[i] = f"OUT|{outside[9]}|{keys[i]}"
                    self._memo[keys[i]] = outside
        todo: dict[str, ParsedAddress] = {}
        for k, p in zip(keys, parsed, strict=True):
            if k not in self._memo and k not in todo:
                todo[k] = p
        if todo:
            results = self._finish(self._match_batch(list(todo.values())))
            self._memo.update(zip(todo.keys(), results, strict=True))
        empty = self._row(parse_address(None))
        memo = self._memo
        rows = [self._by_the_point(p, self._read_as(p, memo[k]))
                for k, p in zip(keys, parsed, strict=True)]  # fmt: skip
        rows.append(empty)
        # all texts distinct (no missing value): the rows are already in input order
        identity = len(codes) == len(uniques)
        take = None if identity else np.where(codes < 0, len(rows) - 1, codes)
        data: dict[str, Any] = {}
        for name, col in zip(RESULT_COLUMNS, zip(*rows, strict=True), strict=False):
            if name in ("lon", "lat", "score", "uncertainty_m"):
                arr = np.array(col, dtype=float)  # None -> NaN
            else:
                # in_service_area: True / False, None when the location is unknown
                arr = np.array(col, dtype=object)
            data[name] = arr[:-1] if take is None else arr[take]
        out = pd.DataFrame(data)
        return out

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
        m = self._match_numbered(p)
        if m.match_type == "street" and not m.candidates:
            # the number was not placed: only the street is known (a partial match, never ok)
            m.approximate = True
        elif m.match_type in ("nearest_address", "extrapolated") and not m.candidates:
            # the number is not among the street's known numbers: the point is a known address
            # near it or an extension of the street's numbering, not the place itself (``ok`` is
            # for an address point, an interpolated house or block, a found crossing)
            m.approximate = True
        return m

    def _match_place(self, text: str) -> _Match | None:
        """A named place: the places table (names and aliases), then the landmarks layer.

        Exact name or alias first; then a near spelling of a whole name (``fuzz.ratio`` ≥ 88);
        then names that hold every typed word (:func:`covering_keys`: a word the names lack,
        such as the ``ST`` of ``N DUKE ST``, rules a name out, so a subset of a name's words
        never matches a longer text).
        """
        k = place_key(text)
        if not k:
            return None
        named = self.index.named_places
        if k in named:
            lon, lat, name, cat = named[k]
            return _Match(lon, lat, "place", 0.8, name, f"named place ({cat})", uncertainty_m=200.0)
        places = self.index.places
        if k in places:
            lon, lat, name = places[k]
            return _Match(lon, lat, "place", 0.7, name, "named place")
        from rapidfuzz import fuzz, process

        if named:
            found = process.extractOne(k, self._named_keys, scorer=fuzz.ratio, score_cutoff=88)
            if found is not None and not covering_keys(k, [found[0]]):
                found = None  # a near spelling of the whole name, but a typed word it lacks
            if found is not None:
                lon, lat, name, cat = named[found[0]]
                return _Match(lon, lat, "place", round(0.8 * found[1] / 100, 3), name,
                              f"named place ({cat}), matched {found[0]!r} ({found[1]:.0f}%)",
                              uncertainty_m=250.0)  # fmt: skip
            m = self._place_by_words(k)
            if m is not None:
                return m
        found = process.extractOne(k, self._place_names, scorer=fuzz.ratio, score_cutoff=88)
        if found:
            lon, lat, name = places[found[0]]
            return _Match(lon, lat, "place", round(0.7 * found[1] / 100, 3), name,
                          f"named place, spelled differently (similarity {found[1]:.0f}%)")  # fmt: skip
        return None

    def _place_by_words(self, k: str) -> _Match | None:
        """Named places whose name or alias holds every typed word (:func:`covering_keys`).

        One place, named by a word no other place or street shares: that place (``NORTHGATE
        MALL`` for ``NORTHGATE MAL``). Several places (``HOSPITAL``, ``MALL``, ``CENTER``), or a
        word that is also a street's name (``MAIN``): ``ambiguous``, the places (and the
        street) as the pick list.
        """
        named = self.index.named_places
        keys = covering_keys(k, self._named_keys)
        if not keys:
            return None
        by_place: dict[str, str] = {}
        for key in keys:  # one key per place: the shortest (closest to the text)
            name = named[key][2]
            if name not in by_place or len(key) < len(by_place[name]):
                by_place[name] = key
        places = [_Match(named[key][0], named[key][1], "place", 0.6, name,
                         f"named place ({named[key][3]}), its name holds {k!r}",
                         uncertainty_m=250.0)
                  for name, key in sorted(by_place.items(), key=lambda kv: (len(kv[1]), kv[0]))]  # fmt: skip
        streets = [s for s in self.index.by_name.get(k, ())][:3]
        if len(places) == 1 and not streets:
            m = places[0]
            m.score = 0.7
            m.reason = f"{m.reason}: the one place it names"
            return m
        cands = list(places)
        for s in streets:
            cands.extend(self._street_places(s, 0.3)[:2])
        what = (f"{len(places)} named place{'s' if len(places) > 1 else ''}"
                + (f" and the street {streets[0]}" if streets else ""))  # fmt: skip
        return _Match(None, None, "place", 0.5, k,
                      f"{k!r} is a word of {what}: which one? (a generic word)",
                      candidates=cands[:8])  # fmt: skip

    def _match_street_only(self, p: ParsedAddress) -> _Match:
        """A street with no number: one place when the street is one place, else candidates."""
        cands, factor, note = self.resolve_street(p.street_key)
        if not cands:
            return _Match(
                None, None, "unmatched", 0.0, None, f"street {p.street!r} is not in the reference"
            )
        key = p.street_key
        # every street of that name the text does not rule out (no directional typed: all of them)
        fits = [
            k
            for k in [*cands, *self._siblings(cands)]
            if (not key.predir or k.split(" ")[0] == key.predir)
            and (not key.suffix or f" {key.suffix}" in f" {k}" or factor < 1.0)
        ]
        fits = list(dict.fromkeys(fits or cands[:1]))
        places: list[_Match] = []
        for k in fits[:8]:
            places.extend(self._street_places(k, round(0.3 * factor, 3)))
        reason = "street only: no number given"
        if note:
            reason = f"{note}; {reason}"
        if not places:
            return _Match(None, None, "unmatched", 0.0, fits[0], "street known but has no location")
        if len(fits) > 1:  # several streets of that name: each one's share of the whole
            total = sum(p.share or 0.0 for p in places) or 1.0
            for pl in places:
                pl.share = round((pl.share or 0.0) / total, 3)
        return _Match(None, None, "street", round(0.3 * factor, 3), " / ".join(fits[:4]),
                      reason, candidates=places, approximate=True)  # fmt: skip

    @staticmethod
    def _street_history(sd) -> dict[str, float]:
        """Beat → past records of the street (every block summed)."""
        hist: dict[str, float] = {}
        for h in (sd.history or {}).values():
            for bt, n in h.items():
                hist[bt] = hist.get(bt, 0) + n
        return hist

    def _street_places(self, key: str, score: float) -> list[_Match]:
        """A street as places: one per beat it crosses (its known points, else its history)."""
        sd = self.index.streets[key]
        pts = self._pts.get(key)
        out: list[_Match] = []
        if pts is not None:
            by_beat: dict[str | None, list[int]] = {}
            for i, b in enumerate(pts[3]):
                by_beat.setdefault(b, []).append(i)
            named = {b: v for b, v in by_beat.items() if b is not None} or by_beat
            ranked = sorted(named.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))
            total = sum(len(v) for v in named.values())
            # the street's hundred-blocks by beat: those with known points (their beat), then
            # those only past records know (the records' majority beat; permit points are
            # sparse), so a beat only the records give is a place of the street too
            pairs = {(num // 100, b) for num, b in zip(pts[0], pts[3], strict=True) if b}
            covered = {blk for blk, _ in pairs}
            for blk, h in (sd.history or {}).items() if pairs else ():
                if blk // 100 not in covered and h:
                    pairs.add((blk // 100, self._majority_beat(h)))
            per_beat: dict[str, int] = {}
            for _, b in pairs:
                per_beat[b] = per_beat.get(b, 0) + 1
            n_blocks = sum(per_beat.values())
            extra = {bt: n for bt, n in per_beat.items()
                     if bt not in named and n / n_blocks >= HISTORY_BEAT_MIN_SHARE}  # fmt: skip
            if n_blocks and not extra:
                n_blocks = 0  # the points alone: shares by known points, as before
            for b, idx in ranked:
                j = idx[len(idx) // 2]  # the middle known number of the street in that beat
                lo, hi = pts[0][idx[0]], pts[0][idx[-1]]
                label = f"{key} ({lo}-{hi})" if len(ranked) > 1 else key
                out.append(_Match(pts[1][j], pts[2][j], "street", score, label,
                                  "street only: a point on the street" + (f" in beat {b}" if b else ""),
                                  uncertainty_m=self._radius("street"),
                                  share=round(per_beat.get(b, 0) / n_blocks if n_blocks
                                              else len(idx) / total, 3)))  # fmt: skip
            for bt, n in sorted(extra.items(), key=lambda kv: (-kv[1], kv[0])):
                out.append(_Match(None, None, "history_street", score, key,
                                  f"past records of the street put part of it in beat {bt}",
                                  hist={bt: float(n)}, prefer_history=True,
                                  share=round(n / n_blocks, 3)))  # fmt: skip
            return out
        if sd.mid is not None:
            return [_Match(sd.mid[0], sd.mid[1], "street", score, key,
                           "street only: the point is the street's middle",
                           uncertainty_m=self._radius("street"), share=1.0)]  # fmt: skip
        if sd.history:
            hist = self._street_history(sd)
            total = sum(hist.values()) or 1.0
            ranked_h = sorted(hist.items(), key=lambda kv: (-kv[1], kv[0]))
            return [_Match(None, None, "history_street", score, key,
                           f"past records of the street put it in beat {bt}",
                           hist={bt: n}, prefer_history=True, share=round(n / total, 3))
                    for bt, n in ranked_h]  # fmt: skip
        return []

    def _suffix_as_name(self, key) -> list[str]:
        """Streets whose name is the typed name plus the typed suffix as a word (``HOPE VLY`` →
        ``HOPE VALLEY RD``)."""
        if key is None or not key.suffix:
            return []
        by_name = self.index.by_name
        out: list[str] = []
        for form in SUFFIX_FORMS.get(key.suffix, ()):
            out.extend(by_name.get(f"{key.name} {form}", ()))
        return list(dict.fromkeys(out))

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
        weak = _WEAK
        key = p.street_key

        def fits(k: str) -> bool:  # consistent with what was typed (directional, suffix)
            sd_k = self.index.streets[k]
            words = k.split(" ")
            same_pre = not key.predir or words[0] == key.predir
            same_suf = (
                not key.suffix
                or f" {key.suffix}" in f" {k}"
                or sd_k.name == key.name + " " + key.suffix
            )
            return same_pre and same_suf

        others: list[tuple[str, _Match]] = []
        if factor < 1.0:
            pool = cands[1:]
        elif m.match_type in weak:
            # the typed street exists but does not hold the number: a same-name street the text
            # does not rule out may (``212 MAIN ST``: W MAIN ST and E MAIN ST)
            pool = [k for k in self._siblings(cands) if k != cands[0] and fits(k)]
        else:
            pool = []  # the typed street holds the number: no other street is looked at
        if pool:
            for k in pool[:8]:
                alt = self._on_street(self.index.streets[k], n, p.is_block)
                if alt.match_type not in weak and (fits(k) or m.match_type in weak):
                    others.append((k, alt))
            if m.match_type in weak and others:
                best = max(range(len(others)), key=lambda i: (others[i][1].score, -i))
                k, m = others.pop(best)
                sd = self.index.streets[k]
                others = [(k2, o) for k2, o in others if fits(k2)]
            elif m.match_type in weak and factor < 1.0:
                for k in pool[:8]:
                    alt = self._on_street(self.index.streets[k], n, p.is_block)
                    if alt.score > m.score:
                        sd, m = self.index.streets[k], alt
                        break
            if factor == 1.0 and sd.key != cands[0]:
                cands = [cands[0], sd.key]
            if not fits(sd.key):
                others = []
        if m.match_type in weak and not others:
            # "4600 HOPE VALLEY": the typed street (HOPE VLY, known from past records) does not
            # hold the number, but the suffix may be the last word of a name (HOPE VALLEY RD)
            for k in self._suffix_as_name(key):
                alt = self._on_street(self.index.streets[k], n, p.is_block)
                if alt.match_type not in weak:
                    sd, m, factor = self.index.streets[k], alt, min(factor, 0.95)
                    note = f"street matched as {k!r} (the suffix read as part of the name)"
                    cands = [k]
                    break
        m.score = round(m.score * factor, 3)
        if others and m.match_type not in weak:
            # the text did not say which of these streets: each holds the number
            for _, o in others:
                o.score = round(o.score * factor, 3)
            m.candidates = [_copy_match(m), *(o for _, o in others[:5])]
            m.reason = f"{p.street} names {1 + len(others[:5])} streets holding {n}: " + ", ".join(
                [sd.key, *(k for k, _ in others[:5])]
            )
            return m
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


def geocoder_for(ws: Workspace, *, rebuild: bool = False) -> Geocoder:
    """The workspace's geocoder (index built once, then cached on disk and on the workspace)."""
    if rebuild:
        ws.forget("geocoder")

    return ws.cached("geocoder", lambda: new_geocoder(ws, rebuild=rebuild))


def new_geocoder(
    ws: Workspace, *, rebuild: bool = False, calibration: Calibration | None = None
) -> Geocoder:
    """A new geocoder for the workspace's area (not cached on it): the area file's options and
    calibration table, or ``calibration`` when given (``IDENTITY``: the raw numbers)."""
    idx = load_or_build(ws, rebuild=rebuild)
    cfg = ws.config
    if calibration is None:
        calibration = load_calibration(getattr(cfg, "calibration_file", None))
    return Geocoder(
        idx,
        ws.beat_index,
        service_area_today(cfg),
        outside_cities=cfg.outside_cities,
        outside_words=cfg.outside_words,
        confident_min_score=cfg.confident_min_score,
        point_crossings_confident=cfg.point_crossings_confident,
        calibration=calibration,
        address_rules=cfg.address_rules,
        county_units=frozenset(b for b, s in cfg.beats.special.items() if s.outside_city),
        cache_dir=getattr(getattr(ws, "settings", None), "cache_dir", None),
    )
