"""The one typed answer of a dispatch lookup: library, ``geo-heart lookup --json``, HTTP and page.

:class:`LookupResult` is the contract. ``Area.lookup`` returns the model (``.beat``,
``.model_dump()`` for a dict); :func:`geo_heart.dispatch.lookup.lookup_address` and
:func:`~geo_heart.dispatch.lookup.lookup_point` build one and return its ``model_dump()`` (a plain
dict, for the service's hot path); the CLI prints that dict as JSON and the service declares the
model as its ``response_model``.

Location states (``status``):

=============  ====================================================================================
``ok``         one place; ``beat`` set (from coordinates or from past records of the block)
``ambiguous``  several places fit: ``candidates`` ranked, each with its own beat and eligibility;
               ``beat`` is set only when every candidate shares it, and ``eligibility_varies``
               (with a note saying "depends on which") when the candidates' programs differ
``unknown``    the location is not known (unmatched text): ``in_service_area`` is ``null``
``invalid``    the text is not an address (empty, PO box): ``in_service_area`` is ``null``
``outside``    a known point outside every beat: ``in_service_area`` is ``false``
=============  ====================================================================================
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CallTypeOut", "Candidate", "DecisionOut", "LookupResult", "LOCATION_STATES"]

#: Every value ``LookupResult.status`` takes (the batch route adds ``error``).
LOCATION_STATES = ("ok", "ambiguous", "unknown", "invalid", "outside")


class CallTypeOut(BaseModel):
    """How the call type was understood."""

    raw: str
    canonical: str | None
    label: str | None
    risk: bool
    prefix_program: str | None


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


class LookupResult(BaseModel):
    """One dispatch lookup (see the module docstring for the location states)."""

    model_config = ConfigDict(extra="allow")

    status: str = Field(description="ok, ambiguous, unknown, invalid or outside")
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
