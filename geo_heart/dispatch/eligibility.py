"""Which program may take a call, and why not.

For each program of the area the rules are checked in this order, and every rule that fails is
reported (so "outside the pilot area; outside hours" is one answer, not two round trips):

1. **Call type.** The canonical type must be in the program's ``call_types``, or in its
   ``risk_call_types`` with the weapon/violence flag set. A program with ``risk = "exclude"`` (CRT)
   is not eligible when the flag is set: the call routes to ``risk_route_to`` (CoR). A follow-up
   program (CN) takes only its own follow-up types. No call type given: this rule is skipped and the
   answer says so.
2. **Area.** The location's beat must be in the program's service area.
3. **Hours.** The local time (area time zone) must fall in the program's weekly hours.

The vectorised :func:`eligibility_frame` applies the same rules to a table of calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo_heart.config.areafile import AreaConfig, Program, Scenario
from geo_heart.config.calltypes import CallClass, call_type_table
from geo_heart.config.schedule import DAY_NAMES, to_local
from geo_heart.errors import InputError


@dataclass(frozen=True)
class ProgramDecision:
    """One program's answer for one call."""

    program: str
    name: str
    eligible: bool
    reasons: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """All failed rules, joined; empty when eligible."""
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class Eligibility:
    """Every program's answer for one call."""

    beat: str | None
    in_service_area: bool
    local_time: datetime
    call: CallClass | None
    risk: bool
    decisions: Mapping[str, ProgramDecision] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def programs(self) -> list[str]:
        """Codes of the eligible programs, in configuration order."""
        return [code for code, d in self.decisions.items() if d.eligible]

    @property
    def reasons(self) -> dict[str, str]:
        """Program code → reason, for programs that are not eligible."""
        return {code: d.reason for code, d in self.decisions.items() if not d.eligible}


def parse_time(text: str | None, tz: str) -> datetime:
    """Parse ``--at``: ISO 8601 (naive = local time in ``tz``), or ``None`` for now.

    Returns a naive local datetime.
    """
    if text is None or str(text).strip() == "":
        return datetime.now(ZoneInfo(tz)).replace(tzinfo=None)
    raw = str(text).strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"time {raw!r} is not ISO 8601; use e.g. 2024-06-01T11:00 (local time) or "
            "2024-06-01T15:00Z"
        ) from None
    return to_local(moment, tz)


def programs_for(area: AreaConfig, scenario: Scenario | str | None = None) -> dict[str, Program]:
    """The area's programs, with a scenario's service area and hours applied if given."""
    progs = dict(area.programs)
    if scenario is None:
        return progs
    if isinstance(scenario, str):
        if scenario not in area.scenarios:
            raise InputError(f"unknown scenario {scenario!r}; known: {sorted(area.scenarios)}")
        scenario = area.scenarios[scenario]
    for code in scenario.programs:
        p = progs[code]
        if scenario.service_area is not None:
            p = replace(p, service_area=scenario.service_area)
        if scenario.hours is not None:
            p = replace(p, hours=scenario.hours)
        progs[code] = p
    return progs


def _type_reasons(p: Program, area: AreaConfig, ct: str, label: str, risk: bool) -> list[str]:
    if p.follows_up and ct not in p.call_types:
        return [
            f"{p.name} follows up people met by {', '.join(p.follows_up)}; it does not take new "
            f"{label.lower()} calls"
        ]
    if ct in p.call_types:
        if risk and p.risk == "exclude":
            to = f": routes to {p.risk_route_to}" if p.risk_route_to else ""
            return [f"weapon or violence flagged{to}"]
        return []
    if ct in p.risk_call_types:
        if risk:
            return []
        return [
            f"{p.code} takes {label.lower()} calls only with a weapon present or increased risk of violence"
        ]
    return [f"call type {label.lower()!r} is not covered by {p.code}"]


def evaluate(
    area: AreaConfig,
    *,
    beat: str | None,
    call_type: str | CallClass | None = None,
    at: datetime | str | None = None,
    risk: bool = False,
    scenario: Scenario | str | None = None,
    beat_known: bool = True,
) -> Eligibility:
    """Decide, for each program, whether it may take a call.

    Parameters
    ----------
    area
        The area configuration.
    beat
        The location's beat, or ``None`` when it is in no beat.
    call_type
        A raw CAD code (``"CRT - TRESPASS"``), a canonical key or label, or ``None``.
    at
        A naive local datetime, an aware datetime, an ISO string, or ``None`` for now.
    risk
        Weapon present or violence toward others (call-taker's flag). A code that itself says so
        (``"DISTURBANCE WIT"``, ``"COR - …"``) sets it too.
    scenario
        A what-if scenario (key or object) to apply to the programs.

    Raises
    ------
    CallTypeError
        When ``call_type`` is given but not in the call-type table.
    """
    local = (
        parse_time(at, area.timezone)
        if not isinstance(at, datetime)
        else to_local(at, area.timezone)
    )
    call: CallClass | None
    if call_type is None or (isinstance(call_type, str) and not call_type.strip()):
        call = None
    elif isinstance(call_type, CallClass):
        call = call_type
    else:
        call = call_type_table(area).classify_strict(call_type)
    flagged = bool(risk or (call is not None and call.risk))
    progs = programs_for(area, scenario)
    notes = []
    if call is None:
        notes.append("no call type given: only area and hours were checked")
    if beat in area.beats.special:
        notes.append(f"beat {beat}: {area.beats.special[beat].label}")
    minute = local.weekday() * 1440 + local.hour * 60 + local.minute
    when = f"{DAY_NAMES[local.weekday()]} {local:%H:%M}"
    decisions = {}
    for code, p in progs.items():
        reasons: list[str] = []
        if call is not None:
            reasons += _type_reasons(p, area, call.call_type, call.label, flagged)
        sa = area.service_areas[p.service_area]
        if beat is None:
            reasons.append("location is in no beat (outside the area)")
        elif not sa.contains(beat):
            reasons.append(f"beat {beat} is outside the {sa.label}")
        if not p.hours.is_open_minutes(np.array([minute]))[0]:
            reasons.append(f"{when} is outside {p.code} hours ({p.hours.describe()})")
        decisions[code] = ProgramDecision(code, p.name, not reasons, tuple(reasons))
    return Eligibility(
        beat=beat,
        in_service_area=area.service_area.contains(beat),
        local_time=local,
        call=call,
        risk=flagged,
        decisions=decisions,
        notes=tuple(notes),
    )


def eligibility_frame(
    area: AreaConfig,
    *,
    beats: pd.Series | np.ndarray,
    call_types: pd.Series | np.ndarray,
    risk: pd.Series | np.ndarray,
    minute_of_week: pd.Series | np.ndarray,
    scenario: Scenario | str | None = None,
    programs: Mapping[str, Program] | None = None,
) -> pd.DataFrame:
    """Vectorised eligibility for a table of calls.

    Parameters
    ----------
    beats
        Beat code per call (``None``/NaN when unknown).
    call_types
        Canonical call type per call (from :meth:`CallTypeTable.classify_series`), ``None`` unknown.
    risk
        Weapon/violence flag per call.
    minute_of_week
        Local minute of the week per call (Monday 00:00 = 0); negative when the time is unknown.
    scenario, programs
        Apply a scenario, or pass a programs mapping directly (overrides ``scenario``).

    Returns
    -------
    pandas.DataFrame
        For each program code ``P``, boolean columns ``P_type`` (call type eligible, taking the
        risk flag into account), ``P_area`` (beat in the program's service area), ``P_hours``
        (time within hours) and ``P`` (all three).
    """
    progs = dict(programs) if programs is not None else programs_for(area, scenario)
    beats_s = pd.Series(np.asarray(beats, dtype=object)).map(
        lambda b: None if b is None or (isinstance(b, float) and np.isnan(b)) else str(b)
    )
    ct = pd.Series(np.asarray(call_types, dtype=object))
    rk = np.asarray(risk, dtype=bool)
    mow = np.asarray(minute_of_week, dtype=np.int64)
    out = {}
    uniq_beats = beats_s.dropna().unique().tolist()
    for code, p in progs.items():
        direct = ct.isin(list(p.call_types)).to_numpy()
        if p.risk == "exclude":
            direct = direct & ~rk
        conditional = ct.isin(list(p.risk_call_types)).to_numpy() & rk
        type_ok = direct | conditional
        sa = area.service_areas[p.service_area]
        members = {b for b in uniq_beats if sa.contains(b)}
        area_ok = beats_s.isin(members).to_numpy()
        hours_ok = np.where(mow >= 0, p.hours.is_open_minutes(np.maximum(mow, 0)), False)
        out[f"{code}_type"] = type_ok
        out[f"{code}_area"] = area_ok
        out[f"{code}_hours"] = hours_ok
        out[code] = type_ok & area_ok & hours_ok
    return pd.DataFrame(out, index=beats.index if isinstance(beats, pd.Series) else None)
