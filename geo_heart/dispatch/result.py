"""The one typed answer of a dispatch lookup: library, ``geo-heart lookup --json``, HTTP and page.

:class:`LookupResult` is the contract. ``Area.lookup`` returns the model (``.beat``,
``.model_dump()`` for a dict); :func:`geo_heart.dispatch.lookup.lookup_address` and
:func:`~geo_heart.dispatch.lookup.lookup_point` build one and return its ``model_dump()`` (a plain
dict, for the service's hot path); the CLI prints that dict as JSON and the service declares the
model as its ``response_model``.

Location states (``status``):

===============  ==================================================================================
``ok``           the place is known to the stated precision (an address point, an interpolated
                 house or block, a found crossing); ``beat`` set (from coordinates or from past
                 records of the block)
``approximate``  only part of the text was located (a street with no number, one street of a
                 crossing that was not found): ``candidates`` are the beats the street runs
                 through, each with its ``share``; ``beat``, ``in_service_area`` and programs are
                 stated only where every candidate agrees, else the reasons say "depends on where
                 on the street"; a note reads "approximate: street only, 3 possible beats,
                 confirm with the caller"
``ambiguous``    several places fit: ``candidates`` ranked, each with its own beat and
                 eligibility; ``beat`` is set only when every candidate shares it, and
                 ``eligibility_varies`` (with a note saying "depends on which") when the
                 candidates' programs differ
``unknown``      the location is not known (unmatched text): ``in_service_area`` is ``null`` and
                 every program's reason is "location not determined: ask the caller"
``invalid``      the text is not an address (empty, PO box): ``in_service_area`` is ``null``
``outside``      a known point outside every beat: ``in_service_area`` is ``false``; the reason
                 names the nearest beat and its distance (and says so when the coordinates only
                 make sense swapped)
===============  ==================================================================================

A caller-location shape (``radius_m``, or a PIDF-LO circle, ellipse or polygon; see
:mod:`geo_heart.dispatch.shape_lookup`) adds ``shape`` (:class:`ShapeOut`: its kind, area and
every beat's share of it): ``ok`` only when one beat holds ``shape.ok_share`` (95%) of it,
otherwise ``approximate`` with one candidate per beat (``match_type="shape"``, ``share``), and
``outside`` only when all of it lies outside every beat. A PIDF-LO lookup also adds ``pidf``
(the shape's element and CRS, the civic fields and which part answered).

``score`` is the estimated probability that ``beat`` is right, and ``uncertainty_m`` a radius that
holds the true point for about 90% of answers of that kind (both fitted from held-out
measurements: see ``docs/geocoder.md``, "Calibration").

A call type missing from the area's table is not an error: every program answers "no program
takes this call type", a note names the code and how to add it to the table, and a likely match
is offered as a suggestion (``call_type.suggestion``), never applied. A code read by its leading
part (``TRESPAS``) says what it was read as (``call_type.matched_by = "truncation"`` and a note).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BeatShare",
    "CallTypeOut",
    "Candidate",
    "DecisionOut",
    "LOCATION_STATES",
    "LookupResult",
    "ShapeOut",
]

#: Every value ``LookupResult.status`` takes (the batch route adds ``error``).
LOCATION_STATES = ("ok", "approximate", "ambiguous", "unknown", "invalid", "outside")


class CallTypeOut(BaseModel):
    """How the call type was understood."""

    raw: str
    canonical: str | None
    label: str | None
    risk: bool
    prefix_program: str | None
    #: ``key``, ``label``, ``code``, ``risk_code``, ``truncation`` (read by its leading part) or
    #: ``unknown`` (not in the table: no program takes it)
    matched_by: str | None = None
    #: for an unknown code, a likely call type's label (a suggestion, never applied)
    suggestion: str | None = None


class DecisionOut(BaseModel):
    """One program's answer."""

    program: str
    name: str
    eligible: bool
    reason: str


class Candidate(BaseModel):
    """One place that fits an ambiguous location, with its own beat and eligibility."""

    matched_address: str | None
    lon: float | None = None
    lat: float | None = None
    beat: str | None = None
    district: str | None = None
    score: float
    match_type: str
    in_service_area: bool | None = None
    programs: list[str] = Field(default_factory=list)
    uncertainty_m: float | None = None
    #: approximate answers: the share of the street (its known points or past records) in this beat
    share: float | None = None
    #: a place of that name outside the area (listed after those inside it, labelled so)
    outside_area: bool = False


class BeatShare(BaseModel):
    """One beat's share of a caller-location shape's area."""

    beat: str
    district: str | None = None
    share: float = Field(description="fraction of the shape's area in this beat (0..1)")


class ShapeOut(BaseModel):
    """The caller-location shape a lookup was answered from (``--radius-m``, ``radius_m`` or a
    PIDF-LO document) and how it falls on the beats."""

    kind: str = Field(description="point, circle, ellipse or polygon")
    lon: float
    lat: float
    radius_m: float | None = None
    semi_major_m: float | None = None
    semi_minor_m: float | None = None
    orientation_deg: float | None = Field(
        default=None, description="ellipse: the semi-major axis's bearing, degrees clockwise from north"
    )
    area_m2: float = Field(description="the shape's area, square metres (0 for a point)")
    shares: list[BeatShare] = Field(
        default_factory=list, description="every beat the shape covers, largest share first"
    )
    outside_share: float = Field(default=0.0, description="fraction of the shape in no beat")
    ok_share: float = Field(description="share one beat needs for status ok (the rest: approximate)")
    geometry: dict[str, Any] | None = Field(
        default=None, description="the shape as GeoJSON (WGS84), for maps"
    )


class LookupResult(BaseModel):
    """One dispatch lookup (see the module docstring for the location states)."""

    model_config = ConfigDict(extra="allow")

    status: str = Field(description="ok, approximate, ambiguous, unknown, invalid or outside")
    reason: str = ""
    beat: str | None = None
    district: str | None = None
    in_service_area: bool | None = Field(
        default=None, description="true/false; null when the location is unknown or ambiguous"
    )
    service_area: str | None = Field(
        default="", description="service area of the rules in force (null: no program in force)"
    )
    programs: list[str] = Field(default_factory=list)
    reasons: dict[str, str] = Field(default_factory=dict)
    decisions: list[DecisionOut] = Field(default_factory=list)
    eligibility_varies: bool = Field(
        default=False, description="ambiguous location whose candidates differ in eligibility"
    )
    local_time: str = ""
    timezone: str = ""
    call_type: CallTypeOut | None = None
    notes: list[str] = Field(default_factory=list)
    on_boundary: bool = False
    covering: list[str] = Field(default_factory=list)
    nearest_beat: str | None = None
    distance_m: float | None = None
    # address lookups
    lon: float | None = None
    lat: float | None = None
    match_type: str | None = None
    score: float | None = None
    matched_address: str | None = None
    match_status: str | None = None
    match_reason: str | None = None
    beat_source: str | None = None
    straddle_beats: list[str] | None = None
    uncertainty_m: float | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    #: the rule set in force at ``local_time``: ``{name, label, effective_from, effective_to}``
    #: (local ISO dates, ``effective_to`` exclusive, ``null`` when open-ended)
    rules: dict[str, Any] | None = None
    #: a lookup by a caller-location shape (a radius or a PIDF-LO document): the shape and each
    #: beat's share of it
    shape: ShapeOut | None = None
    #: a PIDF-LO lookup: ``{shape_element, srs, method, civic, civic_text, used}``
    pidf: dict[str, Any] | None = None
