"""Dispatch lookups: a point (or an address, via the geocoder) → beat, service area, programs.

These functions shape results and never print; the CLI and the HTTP service render them. The
result dictionary is the public JSON contract of ``geo-heart lookup --json`` and ``GET /lookup``:

=====================  ==========================================================================
key                    meaning
=====================  ==========================================================================
``beat``               beat code, or ``null`` when the point is in no beat
``district``           district of the beat, or ``null``
``in_service_area``    true when the beat is in the service area of the rules in force
``service_area``       key of that service area (``pilot`` in 2023, ``citywide`` since 2023-10-23;
                       ``null`` when no program was in force)
``rules``              the rule set in force at ``local_time``: ``{name, label, effective_from,
                       effective_to}`` (ISO dates, ``null`` when open-ended)
``programs``           codes of the programs that may take this call now (``["CRT"]``)
``reasons``            program code → why not, for every program that may not
``status``/``reason``  ``ok``, ``outside`` or ``invalid`` (location), with an explanation
``local_time``         the time judged, local to the area (ISO, no offset), and ``timezone``
``call_type``          ``{raw, canonical, label, risk, prefix_program}`` or ``null``
``on_boundary``        the point lies on a shared beat edge (``covering`` lists the beats)
``nearest_beat``       for points outside every beat: the closest beat and ``distance_m``
``notes``              other remarks (special beats, call type not given)
=====================  ==========================================================================
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geo_heart.area import Area
from geo_heart.dispatch.eligibility import Eligibility, evaluate
from geo_heart.geo.beats import BeatHit


def eligibility_dict(ws: Area, hit_beat: str | None, elig: Eligibility) -> dict[str, Any]:
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
        },
        "notes": list(elig.notes),
    }


def lookup_point(
    ws: Area,
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
    hit: BeatHit = ws.beat_index.locate(lon, lat, nearest=True)
    elig = evaluate(
        ws.config, beat=hit.beat, call_type=call_type, at=at, risk=risk, scenario=scenario
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


def lookup_address(
    ws: Area,
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
    from geo_heart.geocode.match import geocoder_for

    g = geocoder_for(ws).geocode_one(address)
    if g.lon is not None and g.lat is not None:
        out = lookup_point(
            ws, g.lon, g.lat, call_type=call_type, at=at, risk=risk, scenario=scenario
        )
        if g.beat != out["beat"] and g.beat is not None:
            # the beat came from the block's history (the point's side of a beat line is unsure)
            elig = evaluate(
                ws.config, beat=g.beat, call_type=call_type, at=at, risk=risk, scenario=scenario
            )
            out.update(eligibility_dict(ws, g.beat, elig))
            out["beat"], out["district"] = g.beat, g.district
            out["status"] = "ok"
            out["reason"] = g.reason
    else:
        elig = evaluate(
            ws.config, beat=g.beat, call_type=call_type, at=at, risk=risk, scenario=scenario
        )
        out = {
            "beat": g.beat,
            "district": g.district,
            "status": "ok" if g.beat is not None else g.status,
            "reason": g.reason,
            "on_boundary": False,
            "covering": [],
        }
        out.update(eligibility_dict(ws, g.beat, elig))
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
        }
    )
    if g.straddle_beats:
        out["notes"] = [
            *out.get("notes", []),
            f"this hundred-block straddles beats {g.straddle_beats.replace(';', ' and ')}",
        ]
    return out
