"""The budget table: team-hours × the area file's ``[costs]`` → annual cost and cost per answered call.

A team-hour costs ``staff_per_team × staff_cost_per_year ÷ staff_hours_per_year`` (or
``cost_per_team_hour`` when the area file gives it), per program where ``[costs.programs.<code>]``
says otherwise. Without ``[costs]`` there is no budget: the table is empty and the note says so;
nothing is invented.

>>> b = budget_table(area, {"CRT": 84})                 # doctest: +SKIP
>>> b.table[["program", "team_hours_per_year", "annual_cost"]]   # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geo_heart.errors import InputError
from geo_heart.staffing.erlang import WEEKS_PER_YEAR

BUDGET_COLUMNS = [
    "program",
    "team_hours_per_week",
    "team_hours_per_year",
    "staff_per_team",
    "cost_per_team_hour",
    "annual_cost",
    "answered_calls_per_year",
    "cost_per_answered_call",
]


@dataclass
class Budget:
    """A budget table and what it assumes.

    Attributes
    ----------
    table
        One row per program: :data:`BUDGET_COLUMNS` (``cost_per_answered_call`` empty without
        answered calls).
    currency
        ``[costs] currency``.
    available
        False when the area file has no ``[costs]`` (the table is then empty).
    note
        The cost basis in words (or why there is no budget).
    assumed
        True when any cost figure used is marked ``assumed``.
    """

    table: pd.DataFrame
    currency: str = "USD"
    available: bool = True
    note: str = ""
    assumed: bool = False
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Plain lines for the CLI: one per program, then the basis."""
        if not self.available:
            return [f"budget: {self.note}"]
        out = []
        for r in self.table.to_dict(orient="records"):
            per_call = (
                f"; {money(r['cost_per_answered_call'], self.currency)} per answered call "
                f"({r['answered_calls_per_year']:,.0f} answered a year)"
                if r["cost_per_answered_call"] == r["cost_per_answered_call"]
                and r["cost_per_answered_call"] is not None
                else ""
            )
            out.append(
                f"budget{' (assumed costs)' if self.assumed else ''}: {r['program']} "
                f"{r['team_hours_per_week']:,.0f} team-hours/week × {WEEKS_PER_YEAR:.2f} weeks × "
                f"{money(r['cost_per_team_hour'], self.currency)} a team-hour = "
                f"{money(r['annual_cost'], self.currency)} a year{per_call}"
            )
        out.append(f"  cost basis: {self.note}")
        out.extend(f"  note: {n}" for n in self.notes)
        return out

    def to_dict(self) -> dict:
        """JSON-ready."""
        rows = []
        for r in self.table.to_dict(orient="records"):
            rows.append(
                {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            )
        return {
            "available": self.available,
            "currency": self.currency,
            "assumed": self.assumed,
            "note": self.note,
            "notes": self.notes,
            "rows": rows,
        }


def money(x: float, currency: str = "USD") -> str:
    """``$151.50`` (under 1,000) or ``$1,234,000`` (USD); other currencies by code."""
    if x is None or x != x:
        return "–"
    sign = "$" if currency == "USD" else f"{currency} "
    return f"{sign}{x:,.2f}" if abs(x) < 1000 else f"{sign}{x:,.0f}"


def team_hour_cost(costs: Mapping[str, Any], program: str) -> tuple[float, float | None, bool]:
    """``(cost of one team-hour, staff per team or None, assumed)`` for ``program``."""
    own = dict((costs.get("programs") or {}).get(program) or {})
    assumed = bool(costs.get("assumed")) or bool(own.get("assumed"))
    direct = own.get("cost_per_team_hour")
    staff = own.get("staff_per_team", costs.get("staff_per_team"))
    if direct is None and "staff_per_team" not in own:
        direct = costs.get("cost_per_team_hour")
    if direct is not None:
        return float(direct), (float(staff) if staff is not None else None), assumed
    per_year, hours = costs.get("staff_cost_per_year"), costs.get("staff_hours_per_year")
    if per_year is None or hours is None or staff is None:
        raise InputError(
            f"[costs] gives no cost per team-hour for {program}: give cost_per_team_hour, or "
            "staff_per_team, staff_cost_per_year and staff_hours_per_year"
        )
    return float(staff) * float(per_year) / float(hours), float(staff), assumed


def budget_table(area, staffing, *, answered_calls_per_year: Mapping[str, float] | None = None):
    """Annual cost and cost per answered call of a staffing.

    Parameters
    ----------
    area
        An :class:`~geo_heart.area.Area` (or any object with ``.config``) or an ``AreaConfig``.
    staffing
        A :class:`~geo_heart.staffing.analysis.StaffingResult`, a list of them, or a mapping
        program → team-hours a week.
    answered_calls_per_year
        Program → calls answered a year (taken from a ``StaffingResult`` when not given).

    Returns
    -------
    Budget
    """
    config = getattr(area, "config", area)
    where = getattr(getattr(config, "path", None), "name", "the area file")
    hours, answered = _hours_and_answered(staffing)
    if answered_calls_per_year:
        answered.update({k: float(v) for k, v in answered_calls_per_year.items()})
    costs = dict(getattr(config, "costs", {}) or {})
    if not costs:
        return Budget(
            table=pd.DataFrame(columns=BUDGET_COLUMNS),
            available=False,
            note=f"no [costs] in the area file ({where}): no budget (costs are never invented)",
        )
    currency = str(costs.get("currency", "USD"))
    rows, any_assumed = [], False
    for program, per_week in hours.items():
        cost, staff, assumed = team_hour_cost(costs, program)
        any_assumed |= assumed
        per_year = float(per_week) * WEEKS_PER_YEAR
        annual = per_year * cost
        got = answered.get(program)
        rows.append(
            {
                "program": program,
                "team_hours_per_week": float(per_week),
                "team_hours_per_year": per_year,
                "staff_per_team": staff if staff is not None else float("nan"),
                "cost_per_team_hour": cost,
                "annual_cost": annual,
                "answered_calls_per_year": float(got) if got is not None else float("nan"),
                "cost_per_answered_call": annual / got if got else float("nan"),
            }
        )
    if "cost_per_team_hour" in costs:
        how = f"{money(float(costs['cost_per_team_hour']), currency)} a team-hour"
    else:
        how = (
            f"staff per team × {money(float(costs['staff_cost_per_year']), currency)} a staff "
            f"member a year ÷ {float(costs['staff_hours_per_year']):,.0f} on-duty hours"
        )
    note = f"[costs] in {where}: {how}" + (
        " (assumed" + (f"; {costs['source']}" if costs.get("source") else "") + ")"
        if any_assumed
        else (f" ({costs['source']})" if costs.get("source") else "")
    )
    known = any(r["answered_calls_per_year"] == r["answered_calls_per_year"] for r in rows)
    notes = (
        [
            "cost per answered call = the annual cost ÷ the calls the teams answer in the "
            "modelled volume (the staffing basis): a call table that undercounts calls for "
            "service (police incident reports) overstates it"
        ]
        if known
        else []
    )
    return Budget(
        table=pd.DataFrame(rows, columns=BUDGET_COLUMNS),
        currency=currency,
        note=note,
        assumed=any_assumed,
        notes=notes,
    )


def _hours_and_answered(staffing) -> tuple[dict[str, float], dict[str, float]]:
    """Program → team-hours a week, and program → answered calls a year (when known)."""
    from geo_heart.staffing.analysis import StaffingResult

    if isinstance(staffing, StaffingResult):
        staffing = [staffing]
    if isinstance(staffing, Mapping):
        return {str(k): float(v) for k, v in staffing.items()}, {}
    hours, answered = {}, {}
    for r in staffing:
        if not isinstance(r, StaffingResult):
            raise InputError(
                "budget_table takes a StaffingResult, a list of them, or program → team-hours a week"
            )
        ev = r.main
        hours[r.demand.program] = float(ev.team_hours_per_week)
        answered[r.demand.program] = float(ev.mol.answered_calls_per_week * WEEKS_PER_YEAR)
    return hours, answered
