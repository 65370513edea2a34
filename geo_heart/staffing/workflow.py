"""From classified calls to a staffing answer, and the planner report's staffing section.

:func:`staffing_for_calls` is what ``geo-heart staffing`` runs; :func:`report_section` is what the
planner report shows (one row per in-person program with assumed teams in the area file).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from geo_heart.errors import InputError
from geo_heart.staffing.analysis import StaffingResult, analyse_staffing
from geo_heart.staffing.basis import choose_basis, report_scale
from geo_heart.staffing.data import (
    arrivals_from_calls,
    mask_from_schedule,
    read_hourly_profile,
    read_shifts,
    schedule_from_text,
    service_from_config,
    staffing_config,
)
from geo_heart.staffing.limits import check_options, check_simulation, check_teams

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaffingOptions:
    """What ``geo-heart staffing`` lets a planner choose (``None`` = the area file's default)."""

    teams: int | None = None
    shifts_path: str | Path | None = None
    service_minutes: float | None = None
    distribution: str | None = None
    cv: float | None = None
    travel_minutes: float | None = None
    hours_text: str | None = None
    scenario: str | None = None
    year: int | None = None
    #: a stated hourly profile CSV (needed when calls have a date but no time of day)
    hourly_profile: str | Path | None = None
    scale_to: float | None = None
    #: where ``scale_to`` comes from, named in the answer (default ``--scale-to``)
    scale_source: str | None = None
    target: float | None = None
    #: plan on the demand forecast's next-12-month total at this quantile (``--forecast``;
    #: ``--quantile``), as a ratio to the basis calls applied to the volume (see docs/forecast.md)
    forecast_quantile: float | None = None
    #: a :class:`~geo_heart.analysis.forecast.ForecastResult` to use (default: computed)
    forecast: Any = None
    min_teams_per_open_hour: int = 1
    block_hours: int = 4
    method: str = "ilp"
    replications: int = 10
    weeks: int = 52
    seed: int = 0

    def __post_init__(self) -> None:
        # bounds before any work: a huge team count or volume would exhaust memory in the solvers
        check_options(self)


def apply_scenario(config, data, scenario: str) -> None:
    """Recompute the eligibility columns of ``data`` under a what-if scenario (in place)."""
    from geo_heart.dispatch.eligibility import eligibility_for_calls

    if scenario not in config.scenarios:
        raise InputError(f"--scenario {scenario!r}: known {', '.join(config.scenarios) or 'none'}")
    f = data.frame
    elig = eligibility_for_calls(
        config,
        f,
        scenario=scenario,
    )
    for c in elig.columns:
        f[c] = elig[c].to_numpy()


def fixed_basis(config, data, program, rules, scenario, hours_text):
    """The basis when every call was judged under one rule set (``--rules``/``--as-of``)."""
    import numpy as np

    from geo_heart.config.rules import RulePeriod
    from geo_heart.dispatch.eligibility import programs_for
    from geo_heart.staffing.basis import DemandBasis

    rs = rules.rule_set if isinstance(rules, RulePeriod) else rules
    sched = (
        schedule_from_text(hours_text)
        if hours_text
        else programs_for(config, scenario, rules=rules)[program].hours
    )
    times = data.frame["local_time"].dropna()
    if times.empty:
        raise InputError(f"no calls with a readable date in {data.source}")
    basis = DemandBasis(
        program=program,
        rules=rs.name if not scenario else f"{rs.name} + scenario {scenario}",
        rules_label=rs.label,
        hours=sched.describe() + (" (--hours)" if hours_text else ""),
        hours_per_week=int(round(float(np.asarray(sched.hour_mask()).sum()))),
        years=(),
        start=str(times.min().date()),
        end=str(times.max().date()),
        how=f"every call judged under the {rs.label} rules (--rules/--as-of)",
    )
    return basis, (None, None)


def staffing_for_calls(area, data, program: str, options: StaffingOptions) -> StaffingResult:
    """Answered share for the given teams, the fewest team-hours for a target, and 24/7's cost.

    Parameters
    ----------
    area
        The :class:`~geo_heart.area.Area`.
    data
        Classified calls (:func:`geo_heart.analysis.calls.load_calls`); changed in place when a
        scenario is given.
    program
        An in-person program code (``CRT``, ``CoR``).
    options
        See :class:`StaffingOptions`.
    """
    from geo_heart.dispatch.eligibility import programs_for

    o = options
    config = area.config
    if program not in config.programs:
        raise InputError(f"--program {program!r}: known {', '.join(config.programs)}")
    if o.teams is not None and o.shifts_path is not None:
        raise InputError("give --teams or --shifts, not both")
    if o.target is not None and not 0 < o.target < 1:
        raise InputError(f"--target {o.target!r}: must be a share between 0 and 1")
    override = schedule_from_text(o.hours_text) if o.hours_text else None
    if o.scenario is not None:
        apply_scenario(config, data, o.scenario)
    profile = read_hourly_profile(o.hourly_profile) if o.hourly_profile is not None else None
    if profile is None and getattr(data, "date_only", 0) and not data.hours_judged:
        raise InputError(
            f"the calls in {data.source} have a date but no time of day: give --hourly-profile "
            "FILE (the share of calls in each hour of the week) to plan staffing; hours are never "
            "invented"
        )
    fixed = getattr(data, "judged_under", None)
    if fixed is not None:
        # --rules / --as-of: every call was judged under one rule set; staff its hours, all calls
        basis, period = fixed_basis(config, data, program, fixed, o.scenario, o.hours_text)
        rules = fixed
    else:
        basis, period = choose_basis(
            config, data, program, year=o.year, scenario=o.scenario, hours_text=o.hours_text
        )
        rules = config.rule_set(basis.rules.split(" + ")[0])
    demand = arrivals_from_calls(
        data,
        program,
        fallback_hours=programs_for(config, o.scenario, rules=rules)[program].hours,
        period=period,
        profile=profile,
    )
    if profile is not None:
        basis = replace(basis, how=f"{basis.how}; hours of the week from --hourly-profile")
    if override is not None:
        demand = demand.with_service_hours(
            mask_from_schedule(override), f"hours {override.describe()}"
        )
    report_calls = report_scale(config, data, program, period)
    table_calls_per_year = demand.calls_per_year
    forecast_note = None
    if o.forecast_quantile is not None or o.forecast is not None:
        volume, source, forecast_note = forecast_volume(area, data, program, demand, o, period)
        demand = demand.scaled_to(volume)
        basis = replace(basis, volume="scaled", scale_to=volume, scale_source=source)
    elif o.scale_to is not None:
        demand = demand.scaled_to(o.scale_to)
        source = o.scale_source or "--scale-to"
        basis = replace(basis, volume="scaled", scale_to=float(o.scale_to), scale_source=source)
    annual = (getattr(config, "staffing", {}) or {}).get("annual_eligible_calls")
    if annual and o.scale_to is None:
        basis_note = (
            f"the planner report plans on the same basis (the call table's own count); the area "
            f"file's annual_eligible_calls ({float(annual):,.0f} a year for all programs, assumed) "
            f"is not applied: --scale-to N plans for a stated volume"
            + (
                f" (this program's share of it: --scale-to {report_calls:.0f})"
                if report_calls
                else ""
            )
        )
    else:
        basis_note = ""
    cfg = staffing_config(config, program)
    service = service_from_config(
        cfg,
        service_minutes=o.service_minutes,
        distribution=o.distribution,
        cv=o.cv,
        travel_minutes=o.travel_minutes,
    )
    if o.shifts_path is not None:
        teams: Any = read_shifts(o.shifts_path)
        note = f"shifts from {o.shifts_path}"
        demand = demand.with_service_hours(demand.service_hours | (teams > 0))
    elif o.teams is not None:
        teams, note = o.teams, f"{o.teams} teams in service hours (--teams)"
    elif o.target is None and "teams" in cfg:
        teams = int(cfg["teams"])
        note = f"{teams} teams in service hours ([staffing] in {config.path.name}, assumed)"
    else:
        teams, note = None, ""
    if teams is not None:
        check_teams(teams, note)
    if teams is not None or o.target is not None:
        check_simulation(demand.calls_per_year, o.weeks, o.replications)
    result = analyse_staffing(
        demand,
        service,
        teams=teams,
        target=o.target,
        min_teams=o.min_teams_per_open_hour,
        block_hours=o.block_hours,
        method=o.method,
        replications=o.replications,
        weeks=o.weeks,
        seed=o.seed,
        staffing_note=note,
    )
    result.basis = basis
    result.basis_note = basis_note
    result.table_calls_per_year = table_calls_per_year
    result.forecast = forecast_note
    return result


def forecast_volume(area, data, program: str, demand, o: StaffingOptions, period=(None, None)):
    """The eligible calls a year ``staffing --forecast`` plans on, its source text and a
    JSON-ready note.

    The rule: the forecast's next-12-month total at the quantile, divided by the same series
    (the forecast's own definition: call type and today's service area, any hour) over the
    staffing basis period per year, is a growth ratio; it multiplies the volume the answer would
    otherwise use (``--scale-to``, else the call table's own count over the basis). The forecast
    counts the call table's rows (police incident reports are a proxy), so without ``--scale-to``
    the answer stays in those units.
    """
    import pandas as pd

    from geo_heart.analysis.forecast import forecast_calls, forecast_units

    config = area.config
    q = o.forecast_quantile
    if q is None:
        q = float((getattr(config, "forecast", {}) or {}).get("quantile", 0.8))
    if not 0 < q < 1:
        raise InputError(f"--quantile {q!r}: a share between 0 and 1, e.g. 0.8")
    fr = o.forecast
    if fr is None:
        fr = forecast_calls(area, data, programs=[program], horizon=12)
    if fr.horizon != 12:
        raise InputError(f"staffing plans on a 12-month forecast; this one has {fr.horizon}")
    total = fr.total(program, q)
    h = fr.history[fr.history["program"] == program]
    month = pd.to_datetime(h["month"] + "-01")
    lo, hi = period
    keep = pd.Series(True, index=h.index)
    if lo is not None:
        keep &= month >= pd.Timestamp(lo)
    if hi is not None:
        keep &= month < pd.Timestamp(hi)
    if not keep.any() or not h.loc[keep, "count"].sum() > 0:
        raise InputError(
            f"the forecast's series of {program} has no month in the staffing basis period; "
            "give --year within the forecast's months"
        )
    base_calls = float(h.loc[keep, "count"].sum()) * 12 / int(keep.sum())
    ratio = total / base_calls
    base = float(o.scale_to) if o.scale_to is not None else demand.calls_per_year
    volume = base * ratio
    units = forecast_units(config)
    months = fr.months
    when = f"{months[0]} to {months[-1]}"
    source = (
        f"forecast {when} at p{100 * q:g}: {total:,.0f} {units}, {ratio:.3f} × the same "
        f"series' {base_calls:,.0f} a year over the basis period, applied to "
        + (
            f"{o.scale_source or '--scale-to'} {base:,.0f}"
            if o.scale_to is not None
            else f"the call table's {base:,.0f}; in the call table's units ({units}, a proxy "
            "for calls: give --scale-to for calls)"
        )
    )
    note = {
        "quantile": q,
        "months": [months[0], months[-1]],
        "total": round(total, 1),
        "mean": round(fr.totals[program]["mean"], 1),
        "basis_calls_per_year": round(base_calls, 1),
        "ratio": round(ratio, 4),
        "volume": round(volume, 1),
        "model": fr.models[program],
        "units": units,
        "forecast_basis": fr.basis,
    }
    return volume, source, note


def _pct(x: float | None) -> str:
    return "–" if x is None or x != x else f"{100 * x:.0f}%"


def report_section(
    area, data, *, target: float = 0.8, replications: int = 0, plans: dict | None = None
) -> dict | None:
    """The planner report's staffing section, or ``None`` when no program has assumed teams.

    For each program with ``teams`` in ``[staffing.programs.<code>]``: the same basis as
    ``geo-heart staffing`` (:func:`geo_heart.staffing.basis.choose_basis`: the latest full year
    under today's rules) and the same volume (the call table's own count), so the report and the
    CLI give one answer; answered share with the assumed teams, team-hours a week for ``target``
    (at least one team in every open hour), and the cost of 24/7. The section names the basis.

    Every figure in the section comes from the analytic model (the exact Markov chain for
    exponential hold times, else Erlang-B with the modified offered load), so by default no
    simulation is run (``replications=0``); it cost ~3 s of every ``map`` run and changed no
    figure. ``geo-heart staffing`` still reports the simulation beside the analytic answer.

    ``plans``, when given, receives each program's plan for ``target`` under the key
    ``(program, target)`` (the result of ``geo-heart staffing --program P --target T``), so the
    report's first page can show it without planning again.
    """
    import pandas as pd

    staffing = dict(getattr(area.config, "staffing", {}) or {})
    programs = [p for p, v in (staffing.get("programs") or {}).items() if "teams" in v]
    if not programs:
        return None
    annual = staffing.get("annual_eligible_calls")
    rows, notes, bases = [], [], []
    for p in programs:
        try:
            base = StaffingOptions(replications=replications)
            given = staffing_for_calls(area, data, p, base)
            planned = staffing_for_calls(
                area, data, p, StaffingOptions(**{**base.__dict__, "target": target})
            )
        except InputError as exc:  # e.g. no calls in service hours that year
            log.warning("no staffing figures for %s: %s", p, exc)
            continue
        if plans is not None and replications == 0:
            plans[(p, target)] = planned
        g, pl = given.main, planned.main
        x = planned.extended or {}
        bases.append(given)
        rows.append(
            {
                "Program": p,
                "Hours (rules)": f"{given.basis.hours} ({given.basis.rules})",
                "Eligible calls a year (call table)": f"{given.demand.calls_per_year:,.0f}",
                "Teams on duty (assumed)": int(staffing["programs"][p]["teams"]),
                "Answered, in service hours": _pct(g.mol.answered_share),
                "Answered, all eligible calls": _pct(g.mol.answered_share_all_hours),
                f"Team-hours a week for {target:.0%}": f"{pl.team_hours_per_week:,}",
                f"24/7 at {target:.0%}: team-hours a week": f"{x.get('team_hours_per_week', 0):,}"
                if x
                else "–",
            }
        )
    if not rows:
        return None
    b = bases[0].basis
    when = ", ".join(map(str, b.years)) if b.years else f"{b.start} to {b.end}"
    notes.append(
        f"Basis: calls of {when} ({b.how}), judged under the {b.rules_label} rules, each "
        "program's hours as shown."
    )
    notes.append(
        "Volume: the call table's own count of eligible calls (type and area) a year, the same "
        "basis as `geo-heart staffing` (same figures). "
        + (
            f"The area file's annual_eligible_calls ({float(annual):,.0f} a year for all "
            "programs, derived from published figures, assumed) is NOT applied: the incident "
            "table records reports, not calls for service, so it undercounts; plan a stated "
            "volume with `geo-heart staffing --scale-to N`."
            if annual
            else ""
        )
    )
    notes.append(
        "A call that finds every team busy goes to police. Answered shares come from Erlang-B with a "
        "time-varying load (the model `geo-heart staffing` checks against its simulation; "
        "docs/staffing.md); service time "
        f"{staffing.get('service_minutes', 60):g} minutes a call on average (assumed). Team counts "
        "are assumptions in the area file, not published staffing. Plans keep at least one team "
        "on duty in every open hour."
    )
    table = pd.DataFrame(rows).to_html(index=False, classes="t", border=0)
    return {
        "title": "Staffing: how many calls find a free team",
        "intro": (
            f"Teams answer calls one at a time. With the assumed teams on duty in program hours "
            f"(calls of {when}, under the {b.rules_label} rules), this is the share of eligible "
            f"calls a team could take, and the team-hours a week it would take to answer "
            f"{target:.0%} of them — today's hours, and around the clock."
        ),
        "tables": [{"html": table, "note": " ".join(notes)}],
    }


def answered_shares(area, data) -> dict[str, float]:
    """Share of covered calls a team is free to answer, per in-person program with ``teams`` in
    ``[staffing.programs.<code>]``: the analytic loss model on the report's (and the CLI's) basis
    (:func:`report_section`); a covered call can still find every team busy. Empty without teams.
    """
    staffing = dict(getattr(area.config, "staffing", {}) or {})
    programs = [p for p, v in (staffing.get("programs") or {}).items() if "teams" in v]
    out: dict[str, float] = {}
    for p in programs:
        try:
            opts = StaffingOptions(replications=0)
            out[p] = float(staffing_for_calls(area, data, p, opts).main.mol.answered_share)
        except InputError as exc:
            log.warning("no answered share for %s: %s", p, exc)
    return out
