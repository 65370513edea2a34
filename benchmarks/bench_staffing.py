"""Staffing model speed on a year of Durham CRT demand, and the calibration table for docs.

Prints simulated calls per second (SimPy) and the time to solve ``--target 0.8`` (CBC integer
program) for CRT demand scaled to 40,000 eligible calls a year (citywide, 12 h/day scenario), plus
the answered share for service times 45/60/90 min × teams (docs/staffing.md).

    PYTHONPATH=. /work/main/.venv/bin/python benchmarks/bench_staffing.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from geo_heart.analysis.calls import load_calls
from geo_heart.area import Area
from geo_heart.config.settings import Settings
from geo_heart.dispatch.eligibility import programs_for
from geo_heart.staffing import (
    ServiceTime,
    arrivals_from_calls,
    evaluate_mol,
    plan_for_target,
    simulate,
)
from geo_heart.staffing.markov import evaluate_analytic

DATA = Path(
    os.environ.get(
        "GEO_HEART_DATA", Path(__file__).resolve().parents[1].parent / "shared/data/durham"
    )
)
SCENARIO = "citywide_12h"
VOLUME = 40_000


def main() -> None:
    ws = Area.from_settings(Settings(data_dir=DATA))
    t0 = time.perf_counter()
    data = load_calls(ws, scenario=SCENARIO)
    fallback = programs_for(ws.config, SCENARIO)["CRT"].hours
    raw = arrivals_from_calls(data, "CRT", fallback_hours=fallback)
    demand = raw.scaled_to(VOLUME)
    print(
        f"load {time.perf_counter() - t0:.1f} s: {raw.calls:,} CRT-eligible incidents over "
        f"{raw.weeks:.0f} weeks ({raw.calls_per_year:,.0f}/yr), scaled to {VOLUME:,}/yr; "
        f"{int(demand.service_hours.sum())} service hours/week"
    )
    service = ServiceTime(60)
    sim = simulate(demand, 6, service, weeks=52, replications=10, seed=0)
    print(
        f"simulation: {sim.calls:,} calls in {sim.seconds:.2f} s = {sim.calls_per_second:,.0f} "
        f"calls/s; 6 teams: sim {sim.answered_share:.4f} "
        f"(CI {sim.ci95[0]:.4f}-{sim.ci95[1]:.4f}), "
        f"exact chain {evaluate_analytic(demand, 6, service)[0].answered_share:.4f}, "
        f"MOL {evaluate_mol(demand, 6, service).answered_share:.4f}"
    )
    for hours_label, d in (
        ("12 h/day", demand),
        ("24/7", demand.with_service_hours(demand.service_hours | True)),
    ):
        t = time.perf_counter()
        plan = plan_for_target(d, service, 0.8, block_hours=4)
        dt = time.perf_counter() - t
        print(
            f"target 0.8, {hours_label}: {plan.team_hours_per_week} team-hours/week, max "
            f"{plan.max_teams} teams, optimal={plan.optimal}, solved in {dt:.2f} s"
        )
    print("\ncalibration (exact chain; share of calls in service hours / of all eligible calls):")
    print("| service time | " + " | ".join(f"{n} teams" for n in range(3, 11)) + " |")
    print("|---|" + "---|" * 8)
    for minutes in (45, 60, 90):
        cells = []
        for n in range(3, 11):
            r, _how = evaluate_analytic(demand, n, ServiceTime(minutes))
            cells.append(f"{100 * r.answered_share:.0f}% / {100 * r.answered_share_all_hours:.0f}%")
        print(f"| {minutes} min | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
