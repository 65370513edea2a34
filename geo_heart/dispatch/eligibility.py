"""Which program may take a call, and why not.

For each program of the area the rules are checked in this order, and every rule that fails is
reported (so "outside the pilot area; outside hours" is one answer, not two round trips):

1. **Call type.** The canonical type must be in the program's ``call_types``, or in its
   ``risk_call_types`` with the weapon/violence flag set. A program with ``risk = "exclude"`` (CRT)
   is not eligible when the flag is set: the call routes to ``risk_route_to`` (CoR). A follow-up
   program (CN) takes only its own follow-up types. No call type given: this rule is skipped and the
   answer says so.
2. **Area.** The location's beat must be in the program's service area.
3. **Hours.** The local time (area time zone) must fall in the program's weekly hours. A window
   across midnight belongs to the day it starts: on the first day of new rules, the hours after
   midnight of the night shift that started the day before are judged by the previous day's rules
   (:meth:`~geo_heart.config.schedule.WeeklySchedule.split_masks`).

Rules change over time (:mod:`geo_heart.config.rules`): the program definitions checked are those
of the **rule set in force at the call's local time** (a program not operating then, e.g. before
HEART's launch, is not eligible and the reason says so). Reasons name the rules ("in March 2023
CRT served only the HEART pilot service area (12 beats); beat 212 was not one of them").

The vectorised :func:`eligibility_frame` applies the same rules to a table of calls, each call under
the rule set of its own local time (calls are grouped by rule period).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo_heart.config.areafile import AreaConfig, Program, Scenario, ServiceArea
from geo_heart.config.calltypes import CallClass, call_type_table
from geo_heart.config.clock import now_local, today_local
from geo_heart.config.rules import RulePeriod, RuleSet
from geo_heart.config.schedule import DAY_NAMES
from geo_heart.config.times import parse_iso, parse_moment, parse_wall_time, to_wall_time
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
    rules: RuleSet | None = None
    service_area: ServiceArea | None = None

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

    A naive text is returned as a naive local wall-clock time (one at a daylight-saving change
    as written: :func:`evaluate` resolves it and notes how). A text with an offset names one
    instant and is returned aware, in ``tz``, so that ``2024-11-03T01:30-05:00`` stays the second
    01:30 (EST) and is never re-read as an ambiguous wall time. Out of range or not ISO 8601:
    :class:`~geo_heart.errors.InputError` (:mod:`geo_heart.config.times`).
    """
    if text is None or str(text).strip() == "":
        return now_local(tz)
    moment = parse_iso(str(text))
    if moment.tzinfo is not None:
        return moment.astimezone(ZoneInfo(tz))
    return moment


RulesArg = RuleSet | RulePeriod | str | None


def programs_for(
    area: AreaConfig, scenario: Scenario | str | None = None, *, rules: RulesArg = None
) -> dict[str, Program]:
    """Programs under a rule set (default: the latest), with a scenario applied on top if given."""
    progs = area.programs_under(rules)
    return apply_scenario(area, progs, scenario)


def resolve_rules(
    area: AreaConfig, rules: RulesArg = None, as_of: object = None
) -> RuleSet | RulePeriod:
    """``--rules NAME`` / ``--as-of DATE`` → a rule set or the period in force on that date."""
    if as_of is not None and rules is not None:
        raise InputError("give --rules or --as-of, not both")
    if as_of is not None:
        return area.rules_at(parse_wall_time(str(as_of), area.timezone))
    if isinstance(rules, (RuleSet, RulePeriod)):
        return rules
    return area.rule_set(rules)


def apply_scenario(
    area: AreaConfig, progs: Mapping[str, Program], scenario: Scenario | str | None
) -> dict[str, Program]:
    """Apply a scenario's service area and hours to the named programs."""
    progs = dict(progs)
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


def _no_new_calls(p: Program) -> str:
    """Why a program that takes no new calls is not eligible for one."""
    if p.follows_up:
        return (
            f"{p.name} takes no new calls (it follows up people met by {', '.join(p.follows_up)})"
        )
    return f"{p.name} takes no new calls"


def _type_reasons(p: Program, area: AreaConfig, ct: str, label: str, risk: bool) -> list[str]:
    if not p.new_calls and ct not in p.call_types:
        return [f"{_no_new_calls(p)}: not {label.lower()} calls"]
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
    rules: RulesArg = None,
    no_beat_reason: str | None = None,
    strict_call_type: bool = False,
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
        A naive local datetime, an aware datetime, an ISO string, or ``None`` for now. The rules
        in force at this local time are the ones checked.
    risk
        Weapon present or violence toward others (call-taker's flag). A code that itself says so
        (``"DISTURBANCE WIT"``, ``"COR - …"``) sets it too.
    scenario
        A what-if scenario (key or object) to apply on top of the rules.
    beat_known
        ``False`` when the location itself is not known (the reason then says "location not
        determined: ask the caller", never "outside").
    rules
        Check these rules (a rule-set name, :class:`RuleSet` or :class:`RulePeriod`) instead of
        the ones in force at ``at``.
    no_beat_reason
        The area reason to give when ``beat`` is ``None`` (e.g. the nearest beat and its
        distance for a point outside every beat).
    strict_call_type
        Raise for a call type missing from the table instead of answering "no program takes
        this call type".

    Raises
    ------
    CallTypeError
        When ``strict_call_type`` is set and ``call_type`` is not in the call-type table.
    """
    if isinstance(at, datetime):
        local, time_note = to_wall_time(at, area.timezone)
    elif at is None or not str(at).strip():
        local, time_note = parse_time(None, area.timezone), None
    else:
        local, time_note = parse_moment(str(at), area.timezone)
    call: CallClass | None
    if call_type is None or (isinstance(call_type, str) and not call_type.strip()):
        call = None
    elif isinstance(call_type, CallClass):
        call = call_type
    elif strict_call_type:
        call = call_type_table(area).classify_strict(call_type)
    else:
        call = call_type_table(area).classify(call_type)
    flagged = bool(risk or (call is not None and call.risk))
    night: dict[str, Program] = {}  # programs judged by yesterday's rules (night shift)
    if rules is None:
        period = area.rules_at(local)
        rule_set = period.rule_set
        progs = apply_scenario(area, period.programs, scenario)
        before = area.rules_at(local - timedelta(days=1))
        if before is not period:
            night = apply_scenario(area, before.programs, scenario)
    else:
        chosen = resolve_rules(area, rules)
        rule_set = chosen.rule_set if isinstance(chosen, RulePeriod) else chosen
        progs = programs_for(area, scenario, rules=chosen)
    notes = [time_note] if time_note else []
    if call is None:
        notes.append("no call type given: only area and hours were checked")
    elif call.call_type is None:
        hint, suggestion = call_type_table(area).describe_unknown(call.raw)
        notes.append(hint)
        if suggestion is not None:
            notes.append(f"did you mean {suggestion!r}? (a suggestion only: not applied)")
    elif call.matched_by == "truncation":
        notes.append(f"call type {call.raw!r} read as {call.label!r} (the start of a known code)")
    if beat is None:
        no_beat = no_beat_reason or (
            "location is in no beat (outside the area)"
            if beat_known
            else "location not determined: ask the caller"
        )
    if beat in area.beats.special:
        notes.append(f"beat {beat}: {area.beats.special[beat].label}")
    if rule_set.synthetic and rule_set.note:
        notes.append(rule_set.note)
    minute = local.weekday() * 1440 + local.hour * 60 + local.minute
    when = f"{DAY_NAMES[local.weekday()]} {local:%H:%M}"
    past = local.date() < today_local(area.timezone).replace(day=1)
    month = f"in {local:%B %Y}"
    dated = len(area.timeline.rule_sets) > 1 or rule_set.effective_from is not None
    decisions = {}
    for code, p in progs.items():
        reasons: list[str] = []
        open_now = bool(p.hours.minute_mask_cached()[minute])
        q = night.get(code)
        if night:
            open_now = bool(p.hours.split_masks_cached()[0][minute])
            if q is not None and q.active and q.hours.split_masks_cached()[1][minute]:
                p, open_now = q, True  # the night shift that started yesterday, under its rules
        if not p.active:
            reasons.append(p.inactive_reason or f"{p.name} was not operating")
            decisions[code] = ProgramDecision(code, p.name, False, tuple(reasons))
            continue
        if call is not None and call.call_type is None:
            reasons.append(
                "no program takes this call type"
                + (
                    ""
                    if call.raw.strip().lower() == "not listed"
                    else f" ({call.raw!r} is not in the table)"
                )
            )
        elif call is not None:
            reasons += _type_reasons(p, area, call.call_type, call.label, flagged)
        else:  # no call type: a new call, judged on area and hours
            if not p.new_calls:
                reasons.append(_no_new_calls(p))
        sa = area.service_areas[p.service_area]
        if beat is None:
            reasons.append(no_beat)
        elif not sa.contains(beat):
            served, was = ("served", "was") if past else ("serves", "is")
            reasons.append(
                f"{month} {p.code} {served} only the {sa.label}; beat {beat} {was} not one of "
                f"them (rules: {rule_set.label}, {rule_set.span()})"
                if dated
                else f"beat {beat} is outside the {sa.label}"
            )
        if not open_now:
            under = f" under the {rule_set.label} rules" if dated else ""
            reasons.append(f"{when} is outside {p.code} hours ({p.hours.describe()}){under}")
        decisions[code] = ProgramDecision(code, p.name, not reasons, tuple(reasons))
    sa_now = area.service_area_under(rule_set)
    if scenario is not None:
        sc = area.scenarios[scenario] if isinstance(scenario, str) else scenario
        if sc.service_area is not None and not rule_set.synthetic:
            sa_now = area.service_areas[sc.service_area]
    return Eligibility(
        beat=beat,
        in_service_area=sa_now is not None and sa_now.contains(beat),
        local_time=local,
        call=call,
        risk=flagged,
        decisions=decisions,
        notes=tuple(notes),
        rules=rule_set,
        service_area=sa_now,
    )


def eligibility_frame(
    area: AreaConfig,
    *,
    beats: pd.Series | np.ndarray,
    call_types: pd.Series | np.ndarray,
    risk: pd.Series | np.ndarray,
    minute_of_week: pd.Series | np.ndarray,
    local_time: pd.Series | np.ndarray | None = None,
    scenario: Scenario | str | None = None,
    programs: Mapping[str, Program] | None = None,
    rules: RulesArg = None,
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
    local_time
        Naive local time per call (``NaT`` unknown). When given (and neither ``programs`` nor
        ``rules`` is), each call is judged under the rule period of its own local date.
    scenario
        A what-if applied on top of the rules.
    programs
        Judge every call under these programs (overrides ``rules``, ``scenario`` and times).
    rules
        Judge every call under one rule set or period (name, RuleSet or RulePeriod); default
        without ``local_time``: the latest rule set.

    Returns
    -------
    pandas.DataFrame
        For each program code ``P``, boolean columns ``P_type`` (call type eligible, taking the
        risk flag into account), ``P_area`` (beat in the program's service area), ``P_hours``
        (time within hours), ``P_active`` (the program operated under the rules) and ``P`` (all
        four); and ``rules`` (the rule-set name per call, when judged per call).
    """
    index = beats.index if isinstance(beats, pd.Series) else None
    # each column coded once (distinct values + an integer code per call): membership is then
    # tested per distinct value, not per call (a call table has ~10^5 rows, a few dozen values)
    beats_c = _Coded.of_beats(np.asarray(beats, dtype=object))
    ct = _Coded.of(np.asarray(call_types, dtype=object))
    rk = np.asarray(risk, dtype=bool)
    mow = np.asarray(minute_of_week, dtype=np.int64)
    if programs is not None or rules is not None or local_time is None:
        progs = (
            dict(programs)
            if programs is not None
            else programs_for(area, scenario, rules=resolve_rules(area, rules))
        )
        out = _frame_for(area, progs, beats_c, ct, rk, mow)
        return pd.DataFrame(out, index=index)
    timeline = area.timeline
    lt = pd.to_datetime(pd.Series(np.asarray(local_time)))
    known = lt.notna().to_numpy()
    days = lt.dt.floor("D").to_numpy(dtype="datetime64[D]")
    which = np.where(
        known, timeline.index_of(np.where(known, days, np.datetime64("1970-01-01"))), -1
    )
    # calls with an unknown time: judged under the latest rules (their hours never match)
    latest = timeline.periods.index(
        [p for p in timeline.periods if p.rule_set.name == timeline.latest.name][-1]
    )
    which = np.where(known, which, latest)
    # the day before: a night shift that started then is judged by that day's rules
    yday = np.where(
        known,
        timeline.index_of(
            np.where(known, days, np.datetime64("1970-01-02")) - np.timedelta64(1, "D")
        ),
        latest,
    )
    n = len(beats_c)
    cols: dict[str, np.ndarray] = {}
    names = np.empty(n, dtype=object)
    for i in np.unique(which):
        period = timeline.periods[int(i)]
        progs = apply_scenario(area, period.programs, scenario)
        for j in np.unique(yday[which == i]):
            sel = np.flatnonzero((which == i) & (yday == j))
            args = (beats_c.take(sel), ct.take(sel), rk[sel], mow[sel])
            part = _frame_for(area, progs, *args, part="full" if i == j else "day")
            if i != j:  # first day of new rules: last night's shift keeps the old rules
                before = timeline.periods[int(j)]
                prev = _frame_for(
                    area, apply_scenario(area, before.programs, scenario), *args, part="night"
                )
                for code in progs:
                    if f"{code}_hours" not in prev:
                        continue
                    use = prev[f"{code}_hours"]
                    for suffix in ("_type", "_area", "_hours", "_active", ""):
                        part[code + suffix] = np.where(
                            use, prev[code + suffix], part[code + suffix]
                        )
            for key, values in part.items():
                if key not in cols:
                    cols[key] = np.zeros(n, dtype=bool)
                cols[key][sel] = values
            names[sel] = period.rule_set.name
    if not cols:  # no calls
        cols = _frame_for(area, programs_for(area, scenario), beats_c, ct, rk, mow)
    frame = pd.DataFrame(cols, index=index)
    frame["rules"] = names if n else np.empty(0, dtype=object)
    return frame


@dataclass(frozen=True)
class _Coded:
    """A column as its distinct values (``uniques``, no missing value) and one code per row into
    them (``-1`` for a missing value: ``None`` or NaN), as :func:`pandas.factorize` gives."""

    codes: np.ndarray
    uniques: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> _Coded:
        codes, uniques = pd.factorize(values)
        return cls(np.asarray(codes), np.asarray(uniques, dtype=object))

    @classmethod
    def of_beats(cls, values: np.ndarray) -> _Coded:
        """The beats as text (:func:`_beat_texts`), coded in one pass over the calls (distinct
        values that read the same, ``513`` and ``"513"``, keep separate codes)."""
        codes, uniques = pd.factorize(values)
        missing = np.flatnonzero(codes == -1)
        if any(_beat_text(values[i]) is not None for i in missing):  # NA-likes kept as text
            return cls.of(_beat_texts(values))
        texts = np.array([_beat_text(u) for u in uniques], dtype=object)
        return cls(np.asarray(codes), texts)

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, rows: np.ndarray) -> _Coded:
        """The same column for ``rows`` only."""
        return _Coded(self.codes[rows], self.uniques)

    def member(self, keep) -> np.ndarray:
        """Per row: is its value one of those ``keep`` accepts (a collection, or a predicate on
        one value)? A missing value never is (as :meth:`pandas.Series.isin` with no missing
        value in the collection)."""
        test = keep if callable(keep) else set(keep).__contains__
        hit = np.fromiter((bool(test(u)) for u in self.uniques), bool, len(self.uniques))
        return np.append(hit, False)[self.codes]


def _frame_for(
    area: AreaConfig,
    progs: Mapping[str, Program],
    beats_c: _Coded,
    ct: _Coded,
    rk: np.ndarray,
    mow: np.ndarray,
    *,
    part: str = "full",
) -> dict[str, np.ndarray]:
    """Eligibility columns for calls all judged under the same programs.

    ``part`` picks the hours: ``"full"`` every open minute, ``"day"`` only windows on the day they
    start, ``"night"`` only the part of windows past midnight (the shift of the day before).
    """
    out: dict[str, np.ndarray] = {}
    for code, p in progs.items():
        direct = ct.member(p.call_types)
        if p.risk == "exclude":
            direct = direct & ~rk
        conditional = ct.member(p.risk_call_types) & rk
        type_ok = direct | conditional
        sa = area.service_areas[p.service_area]
        active = np.full(len(beats_c), bool(p.active))
        area_ok = beats_c.member(sa.contains) & active
        if part == "full":
            mask = p.hours.minute_mask_cached()
        else:
            mask = p.hours.split_masks_cached()[0 if part == "day" else 1]
        hours_ok = np.where(mow >= 0, mask[np.maximum(mow, 0) % mask.size], False) & active
        out[f"{code}_type"] = type_ok
        out[f"{code}_area"] = area_ok
        out[f"{code}_hours"] = hours_ok
        out[f"{code}_active"] = active
        out[code] = type_ok & area_ok & hours_ok
    return out


def _beat_texts(values: np.ndarray) -> np.ndarray:
    """Each beat as text, ``None`` for a missing one (``None`` or NaN); done once per distinct
    value (a call table has a few dozen beats and ~10^5 rows)."""

    codes, uniques = pd.factorize(values)
    out = np.array([_beat_text(u) for u in uniques] + [None], dtype=object)[codes]
    for i in np.flatnonzero(codes == -1):  # NA-likes other than None/NaN keep their text
        out[i] = _beat_text(values[i])
    return out


def _beat_text(b):
    return None if b is None or (isinstance(b, float) and np.isnan(b)) else str(b)


def eligibility_for_calls(area: AreaConfig, frame: pd.DataFrame, **options) -> pd.DataFrame:
    """:func:`eligibility_frame` for a classified call table (``CallData.frame``).

    Reads ``beat``, ``call_type``, ``risk`` and ``minute_of_week`` from ``frame``; ``options``
    (``scenario``, ``programs``, ``rules``, ``local_time``) pass through.
    """
    return eligibility_frame(
        area,
        beats=frame["beat"],
        call_types=frame["call_type"],
        risk=frame["risk"].to_numpy(dtype=bool),
        minute_of_week=frame["minute_of_week"],
        **options,
    )


def program_counts(elig: pd.DataFrame, code: str) -> dict[str, int]:
    """Calls eligible by type for ``code``; of those inside its area, its hours, and both
    (``covered``); and each as a share of the eligible (``share_in_area`` … ``None`` when 0)."""
    t = elig[f"{code}_type"]
    out = {
        "eligible": int(t.sum()),
        "in_area": int((t & elig[f"{code}_area"]).sum()),
        "in_hours": int((t & elig[f"{code}_hours"]).sum()),
        "covered": int(elig[code].sum()),
    }
    n = out["eligible"]
    for k in ("in_area", "in_hours", "covered"):
        out[f"share_{k}"] = round(out[k] / n, 4) if n else None
    return out
