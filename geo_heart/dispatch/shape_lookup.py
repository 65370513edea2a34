"""Dispatch lookups for a caller-location shape: an uncertainty circle, an ellipse, a polygon, or a
whole PIDF-LO document (NG9-1-1).

:func:`lookup_shape` answers for a :class:`~geo_heart.geo.shapes.Shape`, :func:`lookup_pidf` for
a PIDF-LO document (:mod:`geo_heart.dispatch.pidf`). Both return the ``model_dump()`` of a
:class:`~geo_heart.dispatch.result.LookupResult` with a ``shape`` block (its kind, area and every
beat's share of it).

The answer's status
    * ``ok`` when one beat holds at least the area file's ``[caller_location] ok_share``
      (default :data:`OK_SHARE`, 95%) of the shape's area: that beat is the answer (a note names
      any other beat or outside share);
    * ``approximate`` otherwise: ``candidates`` are the beats with their shares (largest first),
      ``beat`` is ``null``, and eligibility and the service area are stated only where every beat
      the shape covers agrees (and the part outside every beat, when there is one); otherwise the
      reasons say "depends on where in the circle the caller is";
    * ``outside`` only when the whole shape lies outside every beat: the reason names the nearest
      beat and its distance from the shape's edge.

A plain point (``radius_m`` 0 or a ``gml:Point``) is answered as
:func:`~geo_heart.dispatch.lookup.lookup_point` answers it, with the shape block added.

PIDF-LO documents
    A geodetic shape, when present, is the answer (it is the device's measured location); the
    civic address is then looked up too and a note says whether it agrees. A document with only
    a civic address is answered by the address lookup of its fields (``HNO HNS PRD RD STS POD,
    A3, A1 PC``); when that finds nothing and the document names a place (``NAM``), the place is
    looked up instead. ``LOC`` (unit, floor, room) is reported in a note.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geo_heart.dispatch.eligibility import evaluate
from geo_heart.dispatch.lookup import (
    _combined_decisions,
    _in_area_words,
    eligibility_dict,
    lookup_address,
    lookup_point,
)
from geo_heart.dispatch.pidf import parse_pidf
from geo_heart.dispatch.result import LookupResult
from geo_heart.geo.shapes import Shape, beat_shares, shape_wgs84
from geo_heart.geo.workspace import Workspace

__all__ = ["OK_SHARE", "MIN_SHARE", "lookup_pidf", "lookup_shape"]

#: A shape is answered ``ok`` with one beat only when that beat holds at least this share of its
#: area (issue 33: a call-taker acts on the first line; below it the answer names every beat).
#: The default of the area file's ``[caller_location] ok_share``.
OK_SHARE = 0.95
#: Shares below this (0.5%) are still listed in ``shape.shares`` but do not make a candidate.
MIN_SHARE = 0.005


def _pct(share: float) -> str:
    p = 100.0 * share
    return f"{p:.0f}%" if p >= 1 or p == 0 else "<1%"


def _shape_block(ws: Workspace, shape: Shape, shares: Any, ok_share: float) -> dict[str, Any]:
    import shapely

    index = ws.beat_index
    geom = shape_wgs84(shape)
    return {
        "kind": shape.kind,
        "lon": shape.lon,
        "lat": shape.lat,
        "radius_m": shape.radius_m,
        "semi_major_m": shape.semi_major_m,
        "semi_minor_m": shape.semi_minor_m,
        "orientation_deg": shape.orientation_deg,
        "area_m2": round(shares.area_m2, 1),
        "shares": [
            {"beat": b, "district": index.district_of(b), "share": s} for b, s in shares.beats
        ],
        "outside_share": shares.outside,
        "ok_share": ok_share,
        "geometry": shapely.geometry.mapping(shapely.set_precision(geom, 1e-7)),
    }


def lookup_shape(
    ws: Workspace,
    shape: Shape,
    *,
    call_type: str | None = None,
    at: datetime | str | None = None,
    risk: bool = False,
    scenario: str | None = None,
    ok_share: float | None = None,
) -> dict[str, Any]:
    """Beat(s), service area and eligibility for a caller-location shape.

    Parameters
    ----------
    ws
        The area.
    shape
        The caller's location (:class:`~geo_heart.geo.shapes.Shape`).
    call_type, at, risk, scenario
        As for :func:`~geo_heart.dispatch.lookup.lookup_point`.
    ok_share
        The share one beat needs for ``status="ok"`` (default: the area file's
        ``[caller_location] ok_share``, :data:`OK_SHARE` unless set).

    Raises
    ------
    CallTypeError, InputError
        For an unknown call type, a malformed time or a shape with no area.
    """
    kw = {"call_type": call_type, "at": at, "risk": risk, "scenario": scenario}
    if ok_share is None:
        ok_share = ws.config.shape_ok_share
    shares = beat_shares(ws.beat_index, shape)
    block = _shape_block(ws, shape, shares, ok_share)
    if shape.kind == "point":
        out = lookup_point(ws, shape.lon, shape.lat, **kw)
        out.update(shape=block, lon=shape.lon, lat=shape.lat)
        return LookupResult.model_validate(out).model_dump()
    what = f"the caller's {shape.describe()}"
    base: dict[str, Any] = {
        "lon": shape.lon,
        "lat": shape.lat,
        "uncertainty_m": round(shape.uncertainty_m or 0.0, 1),
        "on_boundary": False,
        "covering": [],
        "shape": block,
    }
    index = ws.beat_index
    if not shares.beats:
        reason = (
            f"{what} lies wholly outside every beat: the nearest beat, {shares.nearest_beat}, is "
            f"{shares.distance_m or 0.0:,.0f} m from its edge"
        )
        elig = evaluate(ws.config, beat=None, beat_known=True, no_beat_reason=reason, **kw)
        out = {**base, "beat": None, "district": None, "status": "outside", "reason": reason}
        out.update(eligibility_dict(ws, None, elig))
        out["in_service_area"] = False
        out["nearest_beat"] = shares.nearest_beat
        out["distance_m"] = round(shares.distance_m or 0.0, 1)
        return LookupResult.model_validate(_in_area_words(ws, out)).model_dump()
    listed = ", ".join(f"{b} {_pct(s)}" for b, s in shares.beats)
    if shares.outside >= MIN_SHARE:
        listed += f", outside every beat {_pct(shares.outside)}"
    top, top_share = shares.beats[0]
    if top_share >= ok_share:
        elig = evaluate(ws.config, beat=top, beat_known=True, **kw)
        out = {**base, "beat": top, "district": index.district_of(top), "status": "ok"}
        out["reason"] = f"{what} lies {_pct(top_share)} in beat {top}"
        out.update(eligibility_dict(ws, top, elig))
        out["score"] = round(top_share, 4)
        if len(shares.beats) > 1 or shares.outside >= MIN_SHARE:
            out["notes"] = [*out["notes"], f"{what} by beat: {listed}"]
        return LookupResult.model_validate(_in_area_words(ws, out)).model_dump()
    return _approximate(ws, shape, shares, base, what, listed, kw)


def _approximate(
    ws: Workspace,
    shape: Shape,
    shares: Any,
    base: dict[str, Any],
    what: str,
    listed: str,
    kw: dict[str, Any],
) -> dict[str, Any]:
    """No beat holds enough of the shape: every beat it covers is judged (and the outside part)."""
    import shapely

    index = ws.beat_index
    words = ws.config.beats.labels
    local = shape_wgs84(shape)
    cands, judged, elig_by, progs_by = [], [], [], []
    for beat, share in shares.beats:
        if share < MIN_SHARE:
            continue
        elig = evaluate(ws.config, beat=beat, beat_known=True, **kw)
        part = shapely.intersection(local, index.geometry_of(beat)).representative_point()
        c = {
            "matched_address": None,
            "lon": round(float(part.x), 7),
            "lat": round(float(part.y), 7),
            "beat": beat,
            "district": index.district_of(beat),
            "score": share,
            "match_type": "shape",
            "uncertainty_m": None,
            "in_service_area": elig.in_service_area,
            "programs": elig.programs,
            "share": share,
        }
        cands.append(c)
        judged.append(c)
        elig_by.append(elig)
        progs_by.append(elig.programs)
    if shares.outside >= MIN_SHARE:
        elig = evaluate(ws.config, beat=None, beat_known=True, **kw)
        judged.append({"beat": None, "lon": shape.lon, "in_service_area": False})
        elig_by.append(elig)
        progs_by.append([])
    first = shares.beats[0][0]
    elig0 = evaluate(ws.config, beat=first, beat_known=True, **kw)
    out: dict[str, Any] = {**base, "beat": None, "district": None, "status": "approximate"}
    n = len(cands)
    out["reason"] = (
        f"{what} spans {n} {words['units'] if n != 1 else words['unit']}"
        f"{' and the outside' if shares.outside >= MIN_SHARE else ''}: {listed}"
    )
    out.update(eligibility_dict(ws, first, elig0))
    where = f"where in the {shape.kind} the caller is"
    varies = any(p != progs_by[0] for p in progs_by)
    common = set(progs_by[0]).intersection(*map(set, progs_by[1:]))
    out["programs"] = [p for p in progs_by[0] if p in common]
    out["reasons"], out["decisions"] = _combined_decisions(elig_by, judged, where)
    sa = {c["in_service_area"] for c in judged}
    out["in_service_area"] = sa.pop() if len(sa) == 1 else None
    out["candidates"] = cands
    out["eligibility_varies"] = varies
    out["straddle_beats"] = [c["beat"] for c in cands]
    note = f"approximate: {what} spans {listed}; confirm with the caller"
    if shares.outside >= MIN_SHARE:
        note = f"approximate: {what} may be outside: {listed}; confirm with the caller"
    notes = [note]
    if varies:
        notes[0] += f"; eligibility depends on {where}"
    if out["in_service_area"] is None:
        notes.append(f"service area: depends on {where}")
    # eligibility_dict's notes for the first beat hold call-type and time notes: keep them
    out["notes"] = [*notes, *out["notes"]]
    return LookupResult.model_validate(_in_area_words(ws, out)).model_dump()


def lookup_pidf(
    ws: Workspace,
    document: str | bytes,
    *,
    call_type: str | None = None,
    at: datetime | str | None = None,
    risk: bool = False,
    scenario: str | None = None,
    ok_share: float | None = None,
) -> dict[str, Any]:
    """Answer for the caller location of a PIDF-LO document (see the module docstring).

    Raises
    ------
    InputError
        A malformed or refused document (one line naming the element), or the errors of
        :func:`lookup_shape` / :func:`~geo_heart.dispatch.lookup.lookup_address`.
    """
    loc = parse_pidf(document)
    kw = {"call_type": call_type, "at": at, "risk": risk, "scenario": scenario}
    info = loc.as_dict()
    civic_line = loc.civic_text
    extra_notes: list[str] = []
    if loc.shape is not None:
        out = lookup_shape(ws, loc.shape, ok_share=ok_share, **kw)
        info["used"] = "geodetic"
        if civic_line:
            extra_notes.append(_civic_check(ws, civic_line, out, kw))
    else:
        name = loc.civic.get("NAM")
        if civic_line is None and name is None:
            from geo_heart.errors import InputError

            raise InputError(
                "PIDF-LO: ca:civicAddress has no street (RD) and no name (NAM) to look up"
            )
        out = lookup_address(ws, civic_line or name, **kw) if civic_line else None
        info["used"] = "civic"
        if name and (out is None or out["status"] in ("unknown", "invalid")):
            by_name = lookup_address(ws, name, **kw)
            if by_name["status"] not in ("unknown", "invalid") or out is None:
                if out is not None:
                    extra_notes.append(
                        f"the civic address {civic_line!r} was not found; answered from the "
                        f"place name (NAM) {name!r}"
                    )
                out = by_name
                info["used"] = "civic name"
    assert out is not None
    if loc.civic.get("LOC"):
        extra_notes.append(f"caller's location detail (LOC): {loc.civic['LOC']}")
    if loc.method:
        extra_notes.append(f"location method: {loc.method}")
    out["pidf"] = info
    out["notes"] = [*out["notes"], *extra_notes]
    return LookupResult.model_validate(_in_area_words(ws, out)).model_dump()


def _civic_check(ws: Workspace, civic_line: str, shape_out: dict[str, Any], kw: dict) -> str:
    """A note on the civic address that came with a geodetic shape: does it agree?"""
    from geo_heart.errors import GeoHeartError

    head = f"answered from the geodetic shape; the document's civic address {civic_line!r}"
    try:
        c = lookup_address(ws, civic_line, **kw)
    except GeoHeartError as exc:  # no geocoder installed, or the text cannot be parsed
        return f"{head} was not looked up ({exc})"
    beats = {s["beat"] for s in (shape_out.get("shape") or {}).get("shares", [])}
    if c["beat"] is None:
        return f"{head} was not placed in a beat ({c['status']}): confirm with the caller"
    if c["beat"] in beats:
        return f"{head} is in beat {c['beat']}, within the shape's beats"
    return (
        f"{head} is in beat {c['beat']}, NOT among the shape's beats: confirm with the caller"
    )
