"""The demand basis of a staffing answer: which calls, under which rules and hours, how many a year.

Every staffing answer (``geo-heart staffing``, its JSON, the planner report) names its basis, and
the CLI and the report choose it with the same function, :func:`choose_basis`:

* ``--year Y`` → the calls of year ``Y`` (local time).
* otherwise the **latest full calendar year under today's rules**: the newest year of the call
  table that has calls in January and December and begins on or after the day today's rule set
  took effect. Durham: 2024, under the citywide rules (from 2023-10-23).
* no such year → the calls since today's rules took effect (when the table reaches that far),
  else the latest full year in which the program ran (rules in force then), else the calls from
  the program's first day. Years before the program are never a default.

The volume is the call table's own count (the CLI and the planner report alike: one answer), or
``--scale-to``; :func:`report_scale` is a program's share of the area file's ``[staffing]
annual_eligible_calls`` (assumed), named in the answer as a ``--scale-to`` to try.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import numpy as np
import pandas as pd

from geo_heart.errors import InputError


@dataclass(frozen=True)
class DemandBasis:
    """What a staffing answer assumes.

    Attributes
    ----------
    program
        Program code.
    rules, rules_label
        Name and label of the rule set whose program hours are staffed.
    hours, hours_per_week
        The program's hours under those rules (or ``--hours``), as text and open hours a week.
    years
        Calendar years whose calls are averaged (empty when a date range is used).
    start, end
        First and last day of the calls used (local dates, ISO text).
    how
        Why these calls: ``--year``, the default rule, or a fallback.
    volume
        ``"call table"`` (the table's own count) or ``"scaled"``.
    scale_to
        Eligible calls a year the profile is scaled to, or ``None``.
    scale_source
        Where ``scale_to`` comes from (``--scale-to``, the area file's annual figure).
    """

    program: str
    rules: str
    rules_label: str
    hours: str
    hours_per_week: int
    years: tuple[int, ...]
    start: str
    end: str
    how: str
    volume: str = "call table"
    scale_to: float | None = None
    scale_source: str | None = None

    def as_dict(self) -> dict:
        """JSON-ready."""
        d = asdict(self)
        d["years"] = list(self.years)
        return d

    def describe(self) -> str:
        """One plain line, e.g. ``CRT under the citywide rules (…): Mon-Sun 09:00-21:00 …``."""
        when = (
            f"{self.years[0]}"
            if len(self.years) == 1
            else (
                f"{self.years[0]}-{self.years[-1]}" if self.years else f"{self.start} to {self.end}"
            )
        )
        vol = (
            f"scaled to {self.scale_to:,.0f} eligible calls a year ({self.scale_source})"
            if self.scale_to
            else "the call table's own count"
        )
        return (
            f"{self.program} under the {self.rules_label} rules ({self.rules}), hours "
            f"{self.hours} ({self.hours_per_week} h/week); demand: calls of {when} ({self.how}), "
            f"{vol}"
        )


def _full_years(times: pd.Series) -> list[int]:
    """Years with calls in both January and December."""
    t = times.dropna()
    if t.empty:
        return []
    months = pd.DataFrame({"y": t.dt.year, "m": t.dt.month}).drop_duplicates()
    out = []
    for y, g in months.groupby("y"):
        if {1, 12} <= set(g["m"]):
            out.append(int(y))
    return sorted(out)


def _rule_set_start(timeline, rs) -> date | None:
    starts = [p.start for p in timeline.periods if p.rule_set.name == rs.name]
    known = [s for s in starts if s is not None]
    return min(known) if known else None


def _program_start(timeline, program: str) -> date | None:
    """First day any rule period runs ``program`` (None: from the beginning)."""
    for p in timeline.periods:
        prog = p.programs.get(program)
        if prog is not None and getattr(prog, "active", True):
            return p.start
    return None


def _today(config) -> date:
    from geo_heart.config.clock import today_local

    return today_local(config.timezone)


def choose_basis(
    config,
    data,
    program: str,
    *,
    year: int | None = None,
    scenario: str | None = None,
    hours_text: str | None = None,
    today: date | None = None,
) -> tuple[DemandBasis, tuple[date | None, date | None]]:
    """The basis of a staffing answer and the local-date range ``[start, end)`` of its calls.

    Raises
    ------
    InputError
        When the calls have no readable time, or (without ``year``) end before the program began.
    """
    from geo_heart.dispatch.eligibility import programs_for

    timeline = config.timeline
    times = data.frame["local_time"]
    valid = times.dropna()
    if valid.empty:
        raise InputError(f"no calls with a readable time in {data.source}")
    today = today or _today(config)
    now_rs = config.rules_at(today).rule_set
    rs_start = _rule_set_start(timeline, now_rs)
    full = _full_years(times)
    rng: tuple[date | None, date | None]
    if year is not None:
        rs = config.rules_at(date(int(year), 7, 1)).rule_set
        years, rng, how = (int(year),), (date(int(year), 1, 1), date(int(year) + 1, 1, 1)), "--year"
        prog_start = _program_start(timeline, program)
        if prog_start is not None and date(int(year) + 1, 1, 1) <= prog_start:
            raise InputError(
                f"--year {year}: {program} began on {prog_start}, so no call of {year} was "
                f"eligible for it; give a later year (default: the latest full year under "
                f"today's rules)"
            )
    else:
        under_today = [y for y in full if rs_start is None or date(y, 1, 1) >= rs_start]
        last_day = valid.max().date()
        prog_start = _program_start(timeline, program)
        since_prog = [y for y in full if prog_start is None or date(y, 1, 1) >= prog_start]
        if under_today:
            y = under_today[-1]
            rs, years, rng = now_rs, (y,), (date(y, 1, 1), date(y + 1, 1, 1))
            how = "latest full year under today's rules"
        elif rs_start is not None and last_day >= rs_start:
            rs, years, rng = now_rs, (), (rs_start, None)
            how = f"since today's rules took effect ({rs_start}); no full year under them yet"
        elif since_prog:
            y = since_prog[-1]
            rs = config.rules_at(date(y, 7, 1)).rule_set
            years, rng = (y,), (date(y, 1, 1), date(y + 1, 1, 1))
            how = "latest full year of the program (the calls end before today's rules)"
        elif prog_start is not None and last_day >= prog_start:
            rs, years, rng = config.rules_at(prog_start).rule_set, (), (prog_start, None)
            how = f"since {program} began ({prog_start})"
        else:
            raise InputError(
                f"the calls in {data.source} end on {last_day}, before {program} began"
                f"{f' ({prog_start})' if prog_start else ''}; give --year to use them anyway"
            )
    lo, hi = rng
    mask = day_mask(times, lo, hi)
    used = times[mask.to_numpy(dtype=bool)]
    if used.empty:
        raise InputError(
            f"no calls with a readable time in {data.source} for {years[0] if years else lo}"
        )
    if hours_text:
        from geo_heart.staffing.data import schedule_from_text

        sched = schedule_from_text(hours_text)
    else:
        sched = programs_for(config, scenario, rules=rs)[program].hours
    basis = DemandBasis(
        program=program,
        rules=rs.name if not scenario else f"{rs.name} + scenario {scenario}",
        rules_label=rs.label,
        hours=sched.describe() + (" (--hours)" if hours_text else ""),
        hours_per_week=int(round(float(np.asarray(sched.hour_mask()).sum()))),
        years=years,
        start=str(used.min().date()),
        end=str(used.max().date()),
        how=how,
    )
    return basis, rng


def day_mask(times, lo, hi):
    """True where the local date of ``times`` is in ``[lo, hi)`` (``None``: open); False for
    missing times. The same as comparing ``times.dt.date``, but on the local wall clock as
    timestamps (no Python date object per row)."""

    wall = times.dt.tz_localize(None) if times.dt.tz is not None else times
    mask = wall.notna()
    if lo is not None:
        mask &= wall >= pd.Timestamp(lo)
    if hi is not None:
        mask &= wall < pd.Timestamp(hi)
    return mask


def report_scale(config, data, program: str, rng) -> float | None:
    """A program's share of the area file's ``[staffing] annual_eligible_calls`` (a volume to
    try with ``--scale-to``; not applied by default): that figure split between the programs with assumed teams by their
    share of eligible calls (type and area) over ``rng``; ``None`` without that figure."""
    staffing = dict(getattr(config, "staffing", {}) or {})
    annual = staffing.get("annual_eligible_calls")
    programs = [p for p, v in (staffing.get("programs") or {}).items() if "teams" in v]
    if not annual or program not in programs:
        return None
    f = data.frame
    m = day_mask(f["local_time"], rng[0], rng[1]).to_numpy(dtype=bool)
    eligible = {
        p: int((f.loc[m, f"{p}_type"] & f.loc[m, f"{p}_area"]).sum())
        for p in programs
        if f"{p}_type" in f.columns
    }
    total = sum(eligible.values())
    return float(annual) * eligible.get(program, 0) / total if total else None
