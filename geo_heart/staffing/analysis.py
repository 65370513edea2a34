"""One staffing analysis: evaluate a staffing both ways, optionally plan for a target share and
price 24/7 service, and shape the results as tables and a JSON-ready dict."""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.config.schedule import DAY_NAMES
from geo_heart.staffing.erlang import (
    HOURS,
    WEEKS_PER_YEAR,
    HourlyDemand,
    MolResult,
    ServiceTime,
    teams_array,
)
from geo_heart.staffing.markov import evaluate_analytic
from geo_heart.staffing.plan import Plan, block_gains, plan_for_target, staffing_curve
from geo_heart.staffing.simulate import SimResult, simulate

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    """A staffing (teams by hour) evaluated analytically and by simulation."""

    teams: np.ndarray
    mol: MolResult
    sim: SimResult | None
    method: str = "Erlang-B with the modified offered load"

    @property
    def max_teams(self) -> int:
        """Most teams on duty at once."""
        return int(self.teams.max(initial=0))

    @property
    def team_hours_per_week(self) -> int:
        """Team-hours on duty in a week."""
        return int(self.teams.sum())

    def summary(self) -> dict:
        """JSON-ready headline figures."""
        sim = self.sim
        return {
            "answered_share": _num(self.mol.answered_share),
            "analytic_method": self.method,
            "answered_share_all_hours": _num(self.mol.answered_share_all_hours),
            "answered_share_sim": _num(sim.answered_share) if sim else None,
            "answered_share_sim_ci95": [_num(x) for x in sim.ci95] if sim else None,
            "max_teams": self.max_teams,
            "team_hours_per_week": self.team_hours_per_week,
            "answered_calls_per_year": _num(self.mol.answered_calls_per_week * WEEKS_PER_YEAR),
        }


@dataclass
class StaffingResult:
    """Everything ``geo-heart staffing`` reports."""

    demand: HourlyDemand
    service: ServiceTime
    given: Evaluation | None
    plan: Plan | None = None
    planned: Evaluation | None = None
    extended: dict | None = None
    curve: list[tuple[int, float, int]] = field(default_factory=list)
    staffing_note: str = ""
    #: :class:`~geo_heart.staffing.basis.DemandBasis`: rules, hours, calls and volume used
    basis: Any = None
    #: how this basis relates to the planner report's (or the CLI's), when they differ
    basis_note: str = ""
    #: eligible calls a year in the call table over the basis period, before any scaling
    table_calls_per_year: float | None = None
    #: ``staffing --forecast``: quantile, total, ratio and volume planned on (else None)
    forecast: dict | None = None

    @property
    def main(self) -> Evaluation:
        """The staffing the headline figures describe: the plan when there is one."""
        ev = self.planned if self.planned is not None else self.given
        assert ev is not None
        return ev

    def hour_table(self) -> pd.DataFrame:
        """168 rows: demand, teams and answered shares (both methods) by hour of the week."""
        ev = self.main
        h = np.arange(HOURS)
        sim = ev.sim.answered_by_hour if ev.sim is not None else np.full(HOURS, np.nan)
        return pd.DataFrame(
            {
                "hour_of_week": h,
                "day": [DAY_NAMES[i // 24] for i in h],
                "hour": h % 24,
                "arrivals_per_week": self.demand.arrivals_per_week,
                "in_service": self.demand.service_hours,
                "teams": ev.teams,
                "offered_load_erlangs": ev.mol.load_by_hour,
                "answered_share_analytic": ev.mol.answered_by_hour,
                "answered_share_sim": sim,
            }
        )

    def curve_table(self) -> pd.DataFrame:
        """The staffing curve: team-hours per week vs answered share (greedy, analytic)."""
        return pd.DataFrame(
            self.curve, columns=["team_hours_per_week", "answered_share", "max_teams"]
        )

    def to_dict(self) -> dict:
        """One JSON-ready object (NaN → null)."""
        d = self.demand
        ev = self.main
        table = self.hour_table()
        basis = self.basis.as_dict() if self.basis is not None else {}
        if basis:
            basis["note"] = self.basis_note
            basis["call_table_calls_per_year"] = _num(
                self.table_calls_per_year
                if self.table_calls_per_year is not None
                else d.calls_per_year
            )
        out = {
            "program": d.program,
            "basis": basis or None,
            "forecast": self.forecast,
            "source": d.source,
            "notes": d.notes,
            "eligible_calls_in_data": d.calls,
            "weeks_in_data": round(d.weeks, 2),
            "eligible_calls_per_year": _num(d.calls_per_year),
            "calls_in_service_hours_per_year": _num(
                ev.mol.calls_in_service_per_week * WEEKS_PER_YEAR
            ),
            "service_hours_per_week": int(d.service_hours.sum()),
            "service_time": {
                "distribution": self.service.distribution,
                "mean_minutes": self.service.mean_minutes,
                "travel_minutes": self.service.travel_minutes,
                "lognormal_cv": self.service.cv
                if self.service.distribution == "lognormal"
                else None,
            },
            "staffing": "plan for target" if self.plan is not None else self.staffing_note,
            **ev.summary(),
            "simulation": _sim_dict(ev.sim),
            "given": self.given.summary() if self.given is not None and self.plan else None,
            "plan": _plan_dict(self.plan) if self.plan is not None else None,
            "extended_24_7": self.extended,
            "hours": [
                {k: _num(v) if isinstance(v, float) else v for k, v in row.items()}
                for row in table.to_dict(orient="records")
            ],
        }
        for row in out["hours"]:
            row["in_service"] = bool(row["in_service"])
            row["teams"] = int(row["teams"])
            row["hour_of_week"] = int(row["hour_of_week"])
            row["hour"] = int(row["hour"])
        return out


def _num(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else round(x, 6)


def _sim_dict(sim: SimResult | None) -> dict | None:
    if sim is None:
        return None
    return {
        "replications": int(sim.replication_shares.size),
        "calls_simulated": int(sim.calls),
        "seconds": round(sim.seconds, 3),
        "calls_per_second": round(sim.calls_per_second),
    }


def block_text(start_hour: int, length: int) -> str:
    """A block as plain days and times: ``Tue 10:00-14:00``, ``Sat 22:00-Sun 02:00``."""
    end = start_hour + length
    d0, h0 = divmod(start_hour % HOURS, 24)
    d1, h1 = divmod(end % HOURS, 24)
    if h1 == 0 and length <= 24 and (d1 - d0) % 7 == 1:
        return f"{DAY_NAMES[d0]} {h0:02d}:00-24:00"
    if d0 == d1 and length < 24:
        return f"{DAY_NAMES[d0]} {h0:02d}:00-{h1:02d}:00"
    return f"{DAY_NAMES[d0]} {h0:02d}:00-{DAY_NAMES[d1]} {h1:02d}:00"


def plan_schedule(teams: np.ndarray) -> list[str]:
    """Teams by hour of the week as plain lines, days with the same pattern grouped:
    ``Mon-Fri 09:00-13:00: 2 teams``. Hours with no team are not listed."""
    t = np.asarray(teams, dtype=int).reshape(7, 24)
    day_runs: list[tuple[tuple[int, int, int], ...]] = []
    for d in range(7):
        runs, h = [], 0
        while h < 24:
            n = int(t[d, h])
            k = h
            while k < 24 and t[d, k] == n:
                k += 1
            if n > 0:
                runs.append((h, k, n))
            h = k
        day_runs.append(tuple(runs))
    lines: list[str] = []
    d = 0
    while d < 7:
        e = d
        while e + 1 < 7 and day_runs[e + 1] == day_runs[d]:
            e += 1
        days = DAY_NAMES[d] if d == e else f"{DAY_NAMES[d]}-{DAY_NAMES[e]}"
        for h, k, n in day_runs[d]:
            lines.append(f"{days} {h:02d}:00-{k:02d}:00: {n} team{'s' if n != 1 else ''}")
        d = e + 1
    return lines


def _plan_dict(plan: Plan) -> dict:
    return {
        "schedule": plan_schedule(plan.teams),
        "min_teams_per_open_hour": plan.min_teams,
        "open_hours_without_a_team": int(plan.open_hours_without_team),
        "target": plan.target,
        "method": plan.method,
        "optimal": plan.optimal,
        "team_hours_per_week": plan.team_hours_per_week,
        "max_teams": plan.max_teams,
        "predicted_share": _num(plan.predicted_share),
        "solve_seconds": round(plan.seconds, 3),
        "blocks": [
            {
                "when": block_text(b.start_hour, b.length),
                "start": f"{DAY_NAMES[b.start_hour // 24]} {b.start_hour % 24:02d}:00",
                "start_hour_of_week": b.start_hour,
                "hours": b.length,
                "teams": n,
            }
            for b, n in plan.blocks
        ],
    }


def analyse_staffing(
    demand: HourlyDemand,
    service: ServiceTime,
    *,
    teams=None,
    target: float | None = None,
    min_teams: int = 1,
    block_hours: int = 4,
    method: str = "ilp",
    replications: int = 10,
    weeks: int = 52,
    seed: int = 0,
    extend_24_7: bool = True,
    staffing_note: str = "",
) -> StaffingResult:
    """Evaluate ``teams`` (if given), plan for ``target`` (if given) and price 24/7 service.

    Parameters
    ----------
    demand, service
        Model inputs.
    teams
        Teams on duty: a number (in the service hours) or 168 counts; ``None`` with a target.
    target
        Answered share to plan for (of the calls in service hours).
    min_teams
        Teams a plan keeps on duty in every open hour, whatever the target (default 1: no
        open hour is left without a team).
    block_hours, method
        See :func:`~geo_heart.staffing.plan.plan_for_target`.
    replications, weeks, seed
        Simulation settings; ``replications = 0`` skips the simulation.
    extend_24_7
        With a target, also plan 24/7 service at the same target.
    """

    def evaluate(t) -> Evaluation:
        s = teams_array(t, demand.service_hours)
        mol, how = evaluate_analytic(demand, s, service)
        sim = (
            simulate(demand, s, service, weeks=weeks, replications=replications, seed=seed)
            if replications > 0
            else None
        )
        return Evaluation(s, mol, sim, how)

    given = evaluate(teams) if teams is not None else None
    result = StaffingResult(demand, service, given, staffing_note=staffing_note)
    gains = block_gains(demand, service, block_hours=block_hours, target=max(target or 0, 0.99))
    result.curve = staffing_curve(gains, up_to=0.99)
    if target is not None:
        result.plan = _plan_meeting(demand, service, target, block_hours, method, min_teams)
        result.planned = evaluate(result.plan.teams)
        if extend_24_7 and not demand.service_hours.all():
            full = demand.with_service_hours(np.ones(HOURS, dtype=bool), "24/7")
            p24 = _plan_meeting(full, service, target, block_hours, method, min_teams)
            mol24, _how = evaluate_analytic(full, p24.teams, service)
            result.extended = {
                "target": target,
                "team_hours_per_week": p24.team_hours_per_week,
                "extra_team_hours_per_week": p24.team_hours_per_week
                - result.plan.team_hours_per_week,
                "max_teams": p24.max_teams,
                "answered_share": _num(mol24.answered_share),
                "answered_calls_per_year": _num(mol24.answered_calls_per_week * WEEKS_PER_YEAR),
                "extra_answered_calls_per_year": _num(
                    (mol24.answered_calls_per_week - result.planned.mol.answered_calls_per_week)
                    * WEEKS_PER_YEAR
                ),
                "optimal": p24.optimal,
            }
    if given is None and result.planned is None:
        from geo_heart.errors import InputError

        raise InputError("give teams (--teams/--shifts, or [staffing] teams) or a --target")
    return result


def _plan_meeting(
    demand, service, target: float, block_hours: int, method: str, min_teams: int = 1
):
    """The fewest team-hours plan that meets ``target`` by the best analytic model.

    The search optimises Erlang-B/MOL gains per block (separable, so the integer program is
    exact for them); the MOL is slightly optimistic after a shift starts, so the plan is checked
    with :func:`~geo_heart.staffing.markov.evaluate_analytic` and, while it falls short, planned
    again for a target raised by the shortfall (a few rounds at most).
    """
    aim = target
    kw = {"block_hours": block_hours, "method": method, "min_teams": min_teams}
    plan = plan_for_target(demand, service, aim, **kw)
    for _ in range(6):
        got, _how = evaluate_analytic(demand, plan.teams, service)
        short = target - got.answered_share
        if not short > 1e-9 or aim >= 0.999:
            break
        aim = min(0.999, aim + short + 1e-4)
        plan = plan_for_target(demand, service, aim, **kw)
    return dataclasses.replace(plan, target=target) if aim != target else plan
