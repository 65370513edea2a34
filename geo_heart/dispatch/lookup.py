"""Dispatch lookups: a point (or an address, via the geocoder) → beat, service area, programs.

These functions shape results and never print; the CLI and the HTTP service render them. Each
returns the ``model_dump()`` of a :class:`~geo_heart.dispatch.result.LookupResult` (a plain dict):
the public JSON contract of ``geo-heart lookup --json`` and ``GET /lookup``. See
:mod:`geo_heart.dispatch.result` for every key and the location states ``ok``, ``ambiguous``,
``unknown``, ``invalid`` and ``outside``.

Eligibility follows the rules in force at the call's local time (:mod:`geo_heart.config.rules`):
``rules`` names them (``{name, label, effective_from, effective_to}``), and ``service_area`` /
``in_service_area`` are those of that rule set (``pilot`` in 2023, ``citywide`` since 2023-10-23;
``service_area`` is ``null`` before any program existed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geo_heart.config.calltypes import call_type_table
from geo_heart.dispatch.eligibility import Eligibility, evaluate
from geo_heart.dispatch.result import LookupResult
from geo_heart.errors import InputError
from geo_heart.geo.beats import BeatHit
from geo_heart.geo.workspace import Workspace


def eligibility_dict(ws: Workspace, hit_beat: str | None, elig: Eligibility) -> dict[str, Any]:
    """The eligibility part of a lookup result."""
    call = elig.call
    return {
        "in_service_area": elig.in_service_area,
        "service_area": None if elig.service_area is None else elig.service_area.key,
        "rules": None if elig.rules is None else elig.rules.as_dict(),
        "programs": elig.programs,
        "reasons": elig.reasons,
        "decisions": [
            {"program": d.program, "name": d.name, "eligible": d.eligible, "reason": d.reason}
            for d in elig.decisions.values()
        ],
        "local_time": elig.local_time.isoformat(timespec="minutes"),
        "timezone": ws.config.timezone,
        "call_type": None
        if call is None
        else {
            "raw": call.raw,
            "canonical": call.call_type,
            "label": call.label,
            "risk": elig.risk,
            "prefix_program": call.prefix_program,
            "matched_by": call.matched_by,
            "suggestion": call_type_table(ws.config).suggest(call.raw)
            if call.call_type is None
            else None,
        },
        "notes": list(elig.notes),
    }


def lookup_point(
    ws: Workspace,
    lon: float,
    lat: float,
    *,
    call_type: str | None = None,
    at: datetime | str | None = None,
    risk: bool = False,
    scenario: str | None = None,
) -> dict[str, Any]:
    """Beat, service area and program eligibility for a WGS84 point.

    Raises
    ------
    CallTypeError, InputError
        For an unknown call type or a malformed time (invalid coordinates are a result with
        ``status="invalid"``, not an error).
    """
    kw = {"call_type": call_type, "at": at, "risk": risk, "scenario": scenario}
    out = _point_dict(ws, lon, lat, kw)
    if out["beat"] is None and out["status"] != "outside":
        out["in_service_area"] = None  # not a usable point: the location is unknown
    swapped = _swapped_hint(ws, lon, lat) if out["beat"] is None else None
    if swapped is not None:
        out["reason"] = f"{out['reason']}; {swapped}" if out.get("reason") else swapped
        out["notes"] = [swapped, *out["notes"]]
    return LookupResult.model_validate(_in_area_words(ws, out)).model_dump()


def _swapped_hint(ws: Workspace, lon: Any, lat: Any) -> str | None:
    """A note when the coordinates only make sense swapped (lat given as lon and back)."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        return None
    if abs(x) > 90:
        return None  # lat = x would be impossible
    hit = ws.beat_index.locate(y, x)
    if hit.beat is None:
        return None
    return (
        f"the coordinates look swapped: lon={y:g}, lat={x:g} lies in beat {hit.beat}; "
        "give --lon (x, about -180..180) and --lat (y) the other way round"
    )


def lookup_address(
    ws: Workspace,
    address: str,
    *,
    call_type: str | None = None,
    at: datetime | str | None = None,
    risk: bool = False,
    scenario: str | None = None,
) -> dict[str, Any]:
    """Geocode ``address`` and answer as :func:`lookup_point` does, plus the match.

    Adds ``lon``, ``lat``, ``match_type``, ``score``, ``matched_address``, ``match_status``,
    ``match_reason``, ``beat_source`` and ``straddle_beats`` (the beats a hundred-block straddles,
    or ``null``). When the match has no coordinates but the history guide knows the block, the beat
    comes from history and ``status`` is ``ok`` with the reason saying so; when nothing matched,
    ``status`` is ``unmatched`` (or ``invalid`` for text that is not an address).

    Raises
    ------
    CallTypeError, InputError
        For an unknown call type or a malformed time.
    """
    from geo_heart.geocode.address import MAX_ADDRESS_CHARS
    from geo_heart.geocode.match import geocoder_for

    if isinstance(address, str) and len(address) > MAX_ADDRESS_CHARS:
        raise InputError(
            f"the address is {len(address):,} characters long; at most {MAX_ADDRESS_CHARS} "
            "are looked up"
        )
    g = geocoder_for(ws).geocode_one(address)
    kw = {"call_type": call_type, "at": at, "risk": risk, "scenario": scenario}
    if g.status in ("ambiguous", "approximate"):
        out = _ambiguous(ws, g, kw)
    elif g.lon is not None and g.lat is not None:
        out = _point_dict(ws, g.lon, g.lat, kw)
        if g.beat != out["beat"] and g.beat is not None:
            # the beat came from the block's history (the point's side of a beat line is unsure)
            elig = evaluate(ws.config, beat=g.beat, **kw)
            out.update(eligibility_dict(ws, g.beat, elig))
            out["beat"], out["district"] = g.beat, g.district
            out["status"] = "ok"
            out["reason"] = g.reason
    else:
        elig = evaluate(
            ws.config, beat=g.beat, beat_known=g.beat is not None or g.status == "outside", **kw
        )
        status = (
            "ok"
            if g.beat is not None
            else g.status
            if g.status in ("invalid", "outside")
            else "unknown"
        )
        out = {
            "beat": g.beat,
            "district": g.district,
            "status": status,
            "reason": g.reason,
            "on_boundary": False,
            "covering": [],
        }
        out.update(eligibility_dict(ws, g.beat, elig))
        if g.status == "outside":
            out["in_service_area"] = False
        elif g.beat is None:
            out["in_service_area"] = None
            out["notes"] = [*out["notes"], "location not determined: ask the caller"]
    if g.reason and not out.get("reason"):
        out["reason"] = g.reason
    out.update(
        {
            "lon": g.lon,
            "lat": g.lat,
            "match_type": g.match_type,
            "score": g.score,
            "matched_address": g.matched_address,
            "match_status": g.status,
            "match_reason": g.reason,
            "beat_source": g.beat_source,
            "straddle_beats": None if not g.straddle_beats else g.straddle_beats.split(";"),
            "uncertainty_m": g.uncertainty_m,
        }
    )
    if g.straddle_beats and g.status not in ("ambiguous", "approximate"):
        out["notes"] = [
            *out.get("notes", []),
            f"this location straddles beats {g.straddle_beats.replace(';', ' and ')}",
        ]
    return LookupResult.model_validate(_in_area_words(ws, out)).model_dump()


def _point_dict(ws: Workspace, lon: float, lat: float, kw: dict[str, Any]) -> dict[str, Any]:
    hit: BeatHit = ws.beat_index.locate(lon, lat, nearest=True)
    no_beat = None
    if hit.beat is None and hit.nearest_beat is not None:
        no_beat = (
            f"outside every beat: the nearest beat, {hit.nearest_beat}, is "
            f"{hit.distance_m or 0.0:,.0f} m away"
        )
    elig = evaluate(
        ws.config,
        beat=hit.beat,
        beat_known=hit.status != "invalid",
        no_beat_reason=no_beat,
        **kw,
    )
    out: dict[str, Any] = {
        "beat": hit.beat,
        "district": hit.district,
        "status": hit.status,
        "reason": hit.reason,
        "on_boundary": hit.on_boundary,
        "covering": list(hit.covering),
    }
    if hit.nearest_beat is not None:
        out["nearest_beat"] = hit.nearest_beat
        out["distance_m"] = round(hit.distance_m or 0.0, 1)
    out.update(eligibility_dict(ws, hit.beat, elig))
    return out


def _ambiguous(ws: Workspace, g: Any, kw: dict[str, Any]) -> dict[str, Any]:
    """Several places fit (``ambiguous``), or only a street is known (``approximate``): each
    candidate judged on its own; service area and programs stated only where all agree."""
    approximate = g.status == "approximate"
    cands = []
    progs_by: list[list[str]] = []
    elig_by = []
    for c in g.candidates:
        placed = c["beat"] is not None or c["lon"] is not None  # a point outside every beat
        elig = evaluate(ws.config, beat=c["beat"], beat_known=placed, **kw)
        progs = elig.programs if c["beat"] is not None else []
        progs_by.append(progs)
        elig_by.append(elig)
        cands.append({**{k: c[k] for k in ("matched_address", "lon", "lat", "beat", "district",
                                           "score", "match_type", "uncertainty_m")},
                      "in_service_area": elig.in_service_area if placed else None,
                      "programs": progs, "share": c.get("share"),
                      "outside_area": bool(c.get("outside_area"))})  # fmt: skip
    # beats within the answer's radius that no candidate stands in (a crossing near a beat line:
    # "most likely beat 511; also within the radius: 312") are judged too, so eligibility and
    # the service area are stated only where every beat it may be in agrees
    judged = list(cands)
    for b in (g.straddle_beats or "").split(";") if approximate else ():
        if b and b not in {c["beat"] for c in judged}:
            e = evaluate(ws.config, beat=b, beat_known=True, **kw)
            progs_by.append(e.programs)
            elig_by.append(e)
            judged.append({"beat": b, "lon": None, "in_service_area": e.in_service_area})
    elig = evaluate(ws.config, beat=g.beat, beat_known=g.beat is not None, **kw)
    out: dict[str, Any] = {
        "beat": g.beat,
        "district": g.district,
        "status": g.status,
        "reason": g.reason,
        "on_boundary": False,
        "covering": [],
    }
    out.update(eligibility_dict(ws, g.beat, elig))
    varies = any(p != progs_by[0] for p in progs_by) or any(c["beat"] is None for c in judged)
    sa = {c["in_service_area"] for c in judged}
    out["in_service_area"] = sa.pop() if len(sa) == 1 else None
    where = "on the street" if approximate else "which place it is"
    if g.beat is None or varies:
        common = set(progs_by[0]).intersection(*map(set, progs_by[1:])) if progs_by else set()
        out["programs"] = [p for p in progs_by[0] if p in common] if progs_by else []
        out["reasons"], out["decisions"] = _combined_decisions(elig_by, judged, where)
    out["candidates"] = cands
    out["eligibility_varies"] = varies
    beats = sorted({c["beat"] for c in cands if c["beat"]})
    if approximate:
        words = ws.config.beats.labels
        # every beat within the radius counts (a crossing near a beat line names them all)
        n = len(set(beats) | (set((g.straddle_beats or "").split(";")) - {""}))
        note = (
            f"approximate: {_what_known(g)}, {n} possible "
            f"{words['unit'] if n == 1 else words['units']}, "
            "confirm with the caller"
        )
    else:
        note = (
            f"{len(cands)} places fit: confirm which with the caller"
            if len(cands) > 1
            else "not sure enough of the place to answer for it: confirm with the caller"
        )
    edge = (g.reason or "").partition("may be outside: ")[2].partition(" (within")[0]
    if approximate and edge:  # a point outside every beat, a beat within its radius
        note = f"may be outside: {edge}; {note}"
    if varies:
        note += f"; eligibility depends on {'where ' + where if approximate else 'which'}"
    if out["in_service_area"] is None and cands:
        out["notes"] = [note, f"service area: depends on {'where ' + where if approximate else where}",
                        *out["notes"]]  # fmt: skip
    else:
        out["notes"] = [note, *out["notes"]]
    return out


def _what_known(g: Any) -> str:
    """What part of the text an approximate answer located."""
    if g.match_type in ("street", "history_street") and "not found" not in (g.reason or ""):
        return "street only"
    if "intersection" in (g.reason or "") and "not found" in (g.reason or ""):
        return "one street of the crossing"
    if g.match_type == "nearest_address":
        return "number not on the map, nearest known address"
    if g.match_type == "extrapolated":
        return "number beyond the street's known numbers"
    if g.match_type == "history_intersection":
        return "crossing known only from past records"
    if g.match_type == "intersection":
        reason = g.reason or ""
        if "spans a beat line" in reason:
            return f"crossing near a beat line (within ~{g.uncertainty_m or 0:.0f} m)"
        if "past records put it in beats" in reason:
            return "crossing that past records put in several beats"
        if "estimated, not two drawn street lines" in reason:
            return f"crossing estimated, not mapped (within ~{g.uncertainty_m or 0:.0f} m)"
        return f"crossing known only within ~{g.uncertainty_m or 0:.0f} m"
    return "partial match"


def _combined_decisions(elig_by: list, cands: list[dict[str, Any]], where: str):
    """Per program: eligible where every candidate is; otherwise the reason says where it
    depends ("depends on where on the street: eligible in beat 512, not in 324")."""
    if not elig_by:
        return {}, []
    reasons: dict[str, str] = {}
    decisions = []
    def name(c: dict[str, Any]) -> str:
        return c["beat"] or ("outside every beat" if c["lon"] is not None else "an unknown beat")

    def places(names: list[str]) -> str:
        beats = [n for n in dict.fromkeys(names) if " " not in n]
        rest = [n for n in dict.fromkeys(names) if " " in n]
        text = [f"in beat{'s' if len(beats) > 1 else ''} {', '.join(beats)}"] if beats else []
        where = [f"where it lies {r}" if "outside" in r else f"where it is in {r}" for r in rest]
        return " or ".join([*text, *where])

    for code, d0 in elig_by[0].decisions.items():
        yes = [name(c) for e, c in zip(elig_by, cands, strict=True) if e.decisions[code].eligible]
        no = [name(c) for e, c in zip(elig_by, cands, strict=True)
              if not e.decisions[code].eligible]  # fmt: skip
        if not no:
            decisions.append({"program": code, "name": d0.name, "eligible": True, "reason": ""})
            continue
        if yes:
            why = (
                f"depends on {('where ' + where) if where == 'on the street' else where}: eligible "
                f"{places(yes)}; not {places(no)}"
            )
        else:
            each = [e.decisions[code].reasons for e in elig_by]
            common = [p for p in each[0] if all(p in r for r in each[1:])]
            if common:  # what holds wherever on the street (e.g. the call type or the hours)
                why = "; ".join(common)
            else:
                why = "; ".join(list(dict.fromkeys(p for r in each for p in r))[:4])
        reasons[code] = why
        decisions.append({"program": code, "name": d0.name, "eligible": False, "reason": why})
    return reasons, decisions


def _in_area_words(ws: Workspace, out: dict[str, Any]) -> dict[str, Any]:
    """Reasons and notes in the area's words for its units (Portland: district / precinct)."""
    words = ws.config.own_words
    for key in ("reason", "match_reason"):
        if isinstance(out.get(key), str):
            out[key] = words(out[key])
    if out.get("notes"):
        out["notes"] = [words(n) for n in out["notes"]]
    if isinstance(out.get("reasons"), dict):
        out["reasons"] = {k: words(v) for k, v in out["reasons"].items()}
    for d in out.get("decisions") or []:
        if isinstance(d, dict) and isinstance(d.get("reason"), str):
            d["reason"] = words(d["reason"])
    return out
