"""The exact time-varying loss chain: Erlang-B when stationary, the simulation when not."""

from __future__ import annotations

import numpy as np
import pytest

from geo_heart.staffing import HourlyDemand, ServiceTime, erlang_b, evaluate_mol, simulate
from geo_heart.staffing.markov import evaluate_analytic, evaluate_markov, exact_applies


def _daily(start: int, end: int) -> np.ndarray:
    mask = np.zeros(168, bool)
    for day in range(7):
        mask[day * 24 + start : day * 24 + end] = True
    return mask


@pytest.mark.parametrize(("rate", "teams"), [(2.0, 3), (0.5, 1), (4.0, 6)])
def test_stationary_chain_is_erlang_b(rate, teams):
    d = HourlyDemand(arrivals_per_week=np.full(168, rate), service_hours=np.ones(168, bool))
    r = evaluate_markov(d, teams, ServiceTime(60))
    assert r.answered_share == pytest.approx(1 - float(erlang_b(teams, rate)), abs=1e-9)


def test_daily_opening_matches_simulation_and_beats_the_mol():
    """Teams start each day free: the chain agrees with SimPy within its 95% interval."""
    d = HourlyDemand(arrivals_per_week=np.full(168, 2.0), service_hours=_daily(9, 21))
    exact = evaluate_markov(d, 3, ServiceTime(60))
    sim = simulate(d, np.where(d.service_hours, 3, 0), ServiceTime(60), weeks=52,
                   replications=20, seed=3)
    lo, hi = sim.ci95
    assert lo - 0.002 <= exact.answered_share <= hi + 0.002
    # the opening transient raises the answered share above stationary Erlang-B (78.9%)
    assert exact.answered_share > 1 - float(erlang_b(3, 2.0)) + 0.01
    mol = evaluate_mol(d, 3, ServiceTime(60))
    assert abs(mol.answered_share - sim.answered_share) > abs(exact.answered_share - sim.answered_share)


def test_shift_change_lets_calls_in_progress_finish():
    """Dropping from 3 teams to 1 mid-day: the chain still agrees with the simulation."""
    mask = _daily(8, 20)
    teams = np.where(mask, 3, 0)
    for day in range(7):
        teams[day * 24 + 14 : day * 24 + 20] = 1
    d = HourlyDemand(arrivals_per_week=np.where(mask, 1.5, 0.0), service_hours=mask)
    exact = evaluate_markov(d, teams, ServiceTime(45))
    sim = simulate(d, teams, ServiceTime(45), weeks=52, replications=20, seed=5)
    lo, hi = sim.ci95
    assert lo - 0.003 <= exact.answered_share <= hi + 0.003


def test_analytic_falls_back_to_the_mol_when_the_chain_is_not_exact():
    d = HourlyDemand(arrivals_per_week=np.full(168, 2.0), service_hours=np.ones(168, bool))
    assert exact_applies(ServiceTime(60)) and not exact_applies(ServiceTime(60, travel_minutes=10))
    assert not exact_applies(ServiceTime(60, distribution="deterministic"))
    _r, how = evaluate_analytic(d, 3, ServiceTime(60, distribution="lognormal", cv=0.5))
    assert "modified offered load" in how
    _r, how = evaluate_analytic(d, 3, ServiceTime(60))
    assert "Markov" in how
    with pytest.raises(ValueError):
        evaluate_markov(d, 3, ServiceTime(60, travel_minutes=5))
