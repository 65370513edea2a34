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

from geo_heart.dispatch.eligibility import Eligibility, evaluate
from geo_heart.dispatch.result import LookupResult
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
    return LookupResult.model_validate(out).model_dump()


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
    from geo_heart.geocode.match import geocoder_for

    g = geocoder_for(ws).geocode_one(address)
    kw = {"call_type": call_type, "at": at, "risk": risk, "scenario": scenario}
    if g.status == "ambiguous":
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
        elig = evaluate(ws.config, beat=g.beat, **kw)
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
            out["notes"] = [*out["notes"], "location unknown: ask the caller"]
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
    if g.straddle_beats and g.status != "ambiguous":
        out["notes"] = [
            *out.get("notes", []),
            f"this location straddles beats {g.straddle_beats.replace(';', ' and ')}",
        ]
    return LookupResult.model_validate(out).model_dump()


def _point_dict(ws: Workspace, lon: float, lat: float, kw: dict[str, Any]) -> dict[str, Any]:
    hit: BeatHit = ws.beat_index.locate(lon, lat, nearest=True)
    elig = evaluate(ws.config, beat=hit.beat, **kw)
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
    """Several places fit: each candidate judged on its own; the answer only where they agree."""
    cands = []
    progs_by: list[list[str]] = []
    for c in g.candidates:
        elig = evaluate(ws.config, beat=c["beat"], **kw)
        progs = elig.programs if c["beat"] is not None else []
        progs_by.append(progs)
        cands.append({**{k: c[k] for k in ("matched_address", "lon", "lat", "beat", "district",
                                           "score", "match_type", "uncertainty_m")},
                      "in_service_area": None if c["beat"] is None else elig.in_service_area,
                      "programs": progs})  # fmt: skip
    elig = evaluate(ws.config, beat=g.beat, **kw)
    out: dict[str, Any] = {
        "beat": g.beat,
        "district": g.district,
        "status": "ambiguous",
        "reason": g.reason,
        "on_boundary": False,
        "covering": [],
    }
    out.update(eligibility_dict(ws, g.beat, elig))
    varies = any(p != progs_by[0] for p in progs_by) or any(c["beat"] is None for c in cands)
    sa = {c["in_service_area"] for c in cands}
    out["in_service_area"] = sa.pop() if len(sa) == 1 else None
    if g.beat is None:
        common = set(progs_by[0]).intersection(*map(set, progs_by[1:])) if progs_by else set()
        out["programs"] = [p for p in progs_by[0] if p in common] if progs_by else []
    out["candidates"] = cands
    out["eligibility_varies"] = varies
    note = f"{len(cands)} places fit: confirm which with the caller"
    if varies:
        note += "; eligibility depends on which"
    out["notes"] = [note, *out["notes"]]
    return out
