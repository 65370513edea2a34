"""Coverage: of the calls a program could take by call type, how many fall inside its area and hours.

For each program ``P`` and scenario, the denominator is the calls eligible **by call type**
(``P_type``, including the weapon/violence rule). Of those:

* ``in_area``   — the call's beat is in the program's service area;
* ``in_hours``  — the local time is within the program's hours;
* ``covered``   — both (the call could have gone to the program).

Calls that could not be placed in a beat are in the denominator and never ``in_area``; calls with an
unreadable time are never ``in_hours``. So ``covered <= min(in_area, in_hours)`` always holds.

Every what-if is relative to a **rule set** (``rules``: a ``[[rules]]`` name such as ``pilot``, or
``as_of``: the rules in force on a date; default: the latest rules) and judges every call under it,
whatever the call's date: "what would the pilot's rules have covered of the 2024 calls?".
:func:`rules_coverage_table` instead judges each call under the rules of its own time and compares
the periods (the pilot against the citywide program).

Scenarios ("what if"), applied on top of the chosen rules:

* ``current`` — the chosen rules as configured;
* a named ``[scenarios.<key>]`` of the area file (e.g. ``citywide_12h``);
* a scenario TOML file holding ``[scenarios.<key>]`` tables of the same form, where
  ``service_area`` may name a service area of the area file or ``beats = ["111", …]`` list beats;
* options: ``beats`` (beat codes or a service-area name) and/or ``hours``
  (``"Mon-Fri 08:00-20:00; Sat 10:00-14:00"``) applied to the named programs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from geo_heart.analysis.calls import CallData
from geo_heart.config.areafile import AreaConfig, Program, ServiceArea
from geo_heart.config.rules import RulePeriod, RuleSet
from geo_heart.config.schedule import WeeklySchedule, parse_hours
from geo_heart.config.schema import read_toml, validate_scenario_dict
from geo_heart.dispatch.eligibility import (
    eligibility_for_calls,
    program_counts,
    programs_for,
    resolve_rules,
)
from geo_heart.errors import InputError
from geo_heart.geo.workspace import Workspace

Rules = RuleSet | RulePeriod | str | None

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WhatIf:
    """A scenario resolved to concrete programs (and the area holding any ad-hoc service area)."""

    key: str
    label: str
    area: AreaConfig
    programs: Mapping[str, Program]


def _rules_label(area: AreaConfig, rules: Rules) -> str:
    chosen = resolve_rules(area, rules)
    rs = chosen.rule_set if isinstance(chosen, RulePeriod) else chosen
    return f"{rs.label}, {rs.span()}"


def current_what_if(area: AreaConfig, rules: Rules = None) -> WhatIf:
    """The programs as a rule set defines them (default: the latest rules)."""
    chosen = resolve_rules(area, rules)
    return WhatIf(
        "current",
        f"Rules: {_rules_label(area, chosen)}",
        area,
        programs_for(area, rules=chosen),
    )


def what_if_from_scenario(area: AreaConfig, key: str, rules: Rules = None) -> WhatIf:
    """A ``[scenarios.<key>]`` of the area file, on top of ``rules`` (default: the latest)."""
    if key == "current":
        return current_what_if(area, rules)
    if key not in area.scenarios:
        raise InputError(
            f"unknown scenario {key!r}; scenarios in {area.path}: {sorted(area.scenarios)}"
        )
    sc = area.scenarios[key]
    chosen = resolve_rules(area, rules)
    return WhatIf(
        key,
        f"{sc.label} (on {_rules_label(area, chosen)})",
        area,
        programs_for(area, sc, rules=chosen),
    )


def hours_from_text(text: str) -> WeeklySchedule:
    """Parse ``"Mon-Fri 09:00-17:00; Sat-Sun 10:00-14:00"`` (or ``"24/7"``): the hours syntax of
    :func:`geo_heart.config.schedule.parse_hours`, its errors as :class:`InputError`."""
    try:
        return parse_hours(text)
    except (ValueError, KeyError) as exc:
        raise InputError(f"--hours {text!r}: {exc}") from None


def _service_area_for(
    area: AreaConfig, beats: Iterable[str] | str, known_beats: list[str], key: str
) -> tuple[AreaConfig, str]:
    """Resolve beats (codes or a service-area name) to a service-area key, adding one if needed."""
    if isinstance(beats, str):
        if beats in area.service_areas:
            return area, beats
        beats = [b.strip() for b in beats.split(",") if b.strip()]
    codes = [str(b).strip() for b in beats]
    if len(codes) == 1 and codes[0] in area.service_areas:
        return area, codes[0]
    bad = [b for b in codes if b not in known_beats]
    if bad or not codes:
        raise InputError(
            f"beats {bad or codes!r} are not beats of the layer; beats: {', '.join(known_beats)}; "
            f"or name a service area: {sorted(area.service_areas)}"
        )
    sa_key = f"whatif_{key}"
    sa = ServiceArea(key=sa_key, label=f"what-if area ({len(codes)} beats)", beats=frozenset(codes))
    return replace(area, service_areas={**area.service_areas, sa_key: sa}), sa_key


def what_if_from_options(
    ws: Workspace,
    *,
    beats: Iterable[str] | str | None = None,
    hours: str | None = None,
    programs: Iterable[str] | None = None,
    key: str = "custom",
    label: str | None = None,
    rules: Rules = None,
) -> WhatIf:
    """A scenario from command-line style options.

    Parameters
    ----------
    beats
        Beat codes (``["111", "121"]`` or ``"111,121"``) or a service-area name (``"citywide"``).
    hours
        Weekly hours text, e.g. ``"Mon-Sun 08:00-20:00"``.
    programs
        Programs the change applies to (default: every program with its own service area,
        i.e. all programs).
    rules
        The rule set the change applies on top of (default: the latest).
    """
    area = ws.config
    if beats is None and hours is None:
        raise InputError("a what-if needs --beats and/or --hours")
    progs = list(programs) if programs else list(area.programs)
    for p in progs:
        if p not in area.programs:
            raise InputError(f"unknown program {p!r}; programs: {list(area.programs)}")
    sa_key = None
    if beats is not None:
        area, sa_key = _service_area_for(area, beats, ws.beat_index.beats, key)
    sched = hours_from_text(hours) if hours is not None else None
    out = dict(programs_for(area, rules=resolve_rules(area, rules)))
    for p in progs:
        if sa_key is not None:
            out[p] = replace(out[p], service_area=sa_key)
        if sched is not None:
            out[p] = replace(out[p], hours=sched)
    parts = []
    if beats is not None:
        parts.append(f"area {beats if isinstance(beats, str) else ','.join(beats)}")
    if sched is not None:
        parts.append(f"hours {sched.describe()}")
    text = label or f"What if ({'; '.join(parts)}) for {', '.join(progs)}"
    return WhatIf(key, text, area, out)


def what_ifs_from_file(ws: Workspace, path: str | Path, rules: Rules = None) -> list[WhatIf]:
    """Scenarios from a TOML file of ``[scenarios.<key>]`` tables.

    The tables have the form of the area file's scenarios
    (:class:`~geo_heart.config.schema.ScenarioModel`): ``label``, ``programs`` (list; default
    all), ``service_area`` (a service area of the area file) or ``beats`` (list of beat codes),
    ``hours`` (list of ``{days, start, end}``). Every problem is reported at once.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"scenario file {str(p)!r} does not exist")
    model = validate_scenario_dict(read_toml(p, what="scenario file"), p)
    problems = []
    for key, sc in model.scenarios.items():
        for code in sc.programs or []:
            if code not in ws.config.programs:
                problems.append(
                    f"scenarios.{key}.programs = {code!r}: not a program; known: "
                    f"{list(ws.config.programs)}"
                )
        if sc.service_area is not None and sc.service_area not in ws.config.service_areas:
            problems.append(
                f"scenarios.{key}.service_area = {sc.service_area!r}: known service areas: "
                f"{sorted(ws.config.service_areas)}"
            )
        if sc.beats is not None:
            known = set(ws.beat_index.beats)
            for b in sc.beats:
                if b not in known:
                    problems.append(f"scenarios.{key}.beats = {b!r}: not a beat of the layer")
    if problems:
        from geo_heart.config.schema import problems_error

        raise problems_error(p, problems)
    out = []
    for key, sc in model.scenarios.items():
        beats = sc.service_area if sc.service_area is not None else sc.beats
        label = sc.label or str(key)
        wi = (
            what_if_from_options(
                ws, beats=beats, programs=sc.programs, key=str(key), label=label, rules=rules
            )
            if beats is not None
            else current_what_if(ws.config, rules)
        )
        progs = dict(wi.programs)
        if sc.hours is not None:
            sched = WeeklySchedule.from_config([w.model_dump() for w in sc.hours])
            for code in sc.programs or list(ws.config.programs):
                progs[code] = replace(progs[code], hours=sched)
        out.append(WhatIf(str(key), label, wi.area, progs))
    return out


def resolve_what_ifs(
    ws: Workspace,
    *,
    scenarios: Iterable[str] = (),
    scenario_file: str | Path | None = None,
    beats: str | None = None,
    hours: str | None = None,
    programs: Iterable[str] | None = None,
    include_current: bool = True,
    rules: Rules = None,
    as_of: object = None,
) -> list[WhatIf]:
    """The scenarios to compare: current, named, from a file and from options, all on top of one
    rule set (``rules`` name or ``as_of`` date; default: the latest rules)."""
    chosen = resolve_rules(ws.config, rules, as_of)
    out = [current_what_if(ws.config, chosen)] if include_current else []
    for key in scenarios:
        if key == "all":
            out += [what_if_from_scenario(ws.config, k, chosen) for k in ws.config.scenarios]
        elif key != "current" or not include_current:
            out.append(what_if_from_scenario(ws.config, key, chosen))
    if scenario_file is not None:
        out += what_ifs_from_file(ws, scenario_file, chosen)
    if beats is not None or hours is not None:
        out.append(
            what_if_from_options(ws, beats=beats, hours=hours, programs=programs, rules=chosen)
        )
    return out


def coverage_table(data: CallData, what_ifs: Iterable[WhatIf]) -> pd.DataFrame:
    """Coverage per scenario and program.

    Columns: scenario, scenario_label, program, eligible, in_area, in_hours, covered,
    share_in_area, share_in_hours, share_covered (shares of ``eligible``; empty when 0),
    hours (text), service_area.
    """
    f = data.frame
    rows = []
    for wi in what_ifs:
        elig = eligibility_for_calls(
            wi.area,
            f,
            programs=wi.programs,
        )
        for code, prog in wi.programs.items():
            rows.append(
                {
                    "scenario": wi.key,
                    "scenario_label": wi.label,
                    "program": code,
                    **program_counts(elig, code),
                    "service_area": wi.area.service_areas[prog.service_area].label,
                    "hours": prog.hours.describe(),
                }
            )
    return pd.DataFrame(rows)


def _day(ts) -> str | None:
    """``YYYY-MM-DD`` of a timestamp, None for NaT (calls whose time could not be read)."""
    return None if pd.isna(ts) else ts.strftime("%Y-%m-%d")


#: columns that need a time of day
HOURS_COLUMNS = ("in_hours", "covered", "share_in_hours", "share_covered", "covered_per_month")


def hours_not_judged(table: pd.DataFrame, data: CallData) -> pd.DataFrame:
    """When no call has a time of day, blank the hour-based columns (``None``: not judged) and
    add ``hours_judged = False``; otherwise return the table with ``hours_judged = True``."""
    table = table.copy()
    table["hours_judged"] = data.hours_judged
    if not data.hours_judged:
        for col in HOURS_COLUMNS:
            if col in table.columns:
                table[col] = None
    return table


def count_share_text(value, share) -> str:
    """``"1,234 (56.7%)"``; ``"1,234 (-)"`` without a share; ``"not judged"`` without a value."""
    if value is None or value != value:
        return "not judged"
    if share is None or share != share:
        return f"{int(value):,} (-)"
    return f"{int(value):,} ({share:.1%})"


def rules_coverage_table(data: CallData, area: AreaConfig) -> pd.DataFrame:
    """Before/after: each call judged under the rules of its own time, grouped by rule set.

    One row per rule set the calls fall in (in time order) and program. Columns: rules, label,
    effective_from, effective_to, first_call, last_call, months (calls' distinct months; calls
    whose date cannot be read are left out),
    program, eligible (by type), in_area, in_hours, covered, share_in_area, share_in_hours,
    share_covered (shares of ``eligible``), covered_per_month.
    """
    f = data.frame
    if "rules" not in f.columns:
        raise InputError("the calls were judged under one fixed rule set; load them without rules=")
    rows = []
    dated = f["local_time"].notna()  # a call without a readable date is in no period
    for rs in area.timeline.rule_sets:
        sel = (f["rules"] == rs.name) & dated
        if not sel.any():
            continue
        g = f[sel]
        months = int(g["month"].nunique())
        for code in data.programs:
            k = program_counts(g, code)
            rows.append(
                {
                    "rules": rs.name,
                    "label": rs.label,
                    "effective_from": rs.effective_from.isoformat() if rs.effective_from else None,
                    "effective_to": rs.effective_to.isoformat() if rs.effective_to else None,
                    "first_call": _day(g["local_time"].min()),
                    "last_call": _day(g["local_time"].max()),
                    "months": months,
                    "program": code,
                    **k,
                    "covered_per_month": round(k["covered"] / months, 1) if months else None,
                }
            )
    return pd.DataFrame(rows)


def coverage_text(table: pd.DataFrame) -> str:
    """A readable fixed-width rendering of :func:`coverage_table`."""
    lines = []
    for key, g in table.groupby("scenario", sort=False):
        lines.append(f"{key}: {g['scenario_label'].iloc[0]}")
        lines.append(f"  {'program':<8}{'eligible':>10}{'in area':>16}{'in hours':>16}{'both':>16}")
        for r in g.itertuples():
            pct = count_share_text
            lines.append(
                f"  {r.program:<8}{r.eligible:>10,}{pct(r.in_area, r.share_in_area):>16}"
                f"{pct(r.in_hours, r.share_in_hours):>16}{pct(r.covered, r.share_covered):>16}"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
