"""Dispatch lookups: a point (or an address, via the geocoder) → beat, service area, programs.

These functions shape results and never print; the CLI and the HTTP service render them. The
result dictionary is the public JSON contract of ``geo-heart lookup --json`` and ``GET /lookup``:

=====================  ==========================================================================
key                    meaning
=====================  ==========================================================================
``beat``               beat code, or ``null`` when the point is in no beat
``district``           district of the beat, or ``null``
``in_service_area``    true when the beat is in the default service area (the HEART pilot)
``service_area``       key of that service area (``pilot``)
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

from geo_heart.beats import BeatHit
from geo_heart.eligibility import Eligibility, evaluate
from geo_heart.workspace import Workspace


def eligibility_dict(ws: Workspace, hit_beat: str | None, elig: Eligibility) -> dict[str, Any]:
    """The eligibility part of a lookup result."""
    call = elig.call
    return {
        "in_service_area": elig.in_service_area,
        "service_area": ws.area.default_service_area,
        "programs": elig.programs,
        "reasons": elig.reasons,
        "decisions": [
            {"program": d.program, "name": d.name, "eligible": d.eligible, "reason": d.reason}
            for d in elig.decisions.values()
        ],
        "local_time": elig.local_time.isoformat(timespec="minutes"),
        "timezone": ws.area.timezone,
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
    hit: BeatHit = ws.beat_index.locate(lon, lat, nearest=True)
    elig = evaluate(
        ws.area, beat=hit.beat, call_type=call_type, at=at, risk=risk, scenario=scenario
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
