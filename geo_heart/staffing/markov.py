"""Exact answered shares for exponential hold times: the time-varying loss system as a Markov chain.

With Poisson arrivals at a rate that is constant within each hour of the week and exponential hold
times (no fixed travel time), the number of busy teams is a birth-death chain: up at rate
``lambda(h)`` while fewer than ``s(h)`` teams are busy, down at ``n * mu``. Within an hour the
chain's distribution moves by the matrix exponential of its generator, and the time it spends with
every team busy by the integral of that exponential (Van Loan's block-matrix identity). Iterating
whole weeks from an empty system converges to the periodic steady state, so the answer includes
the transients a plain per-hour Erlang-B misses: teams start each day free, a shift change leaves
calls in progress to finish (states above the new team count only drain).

This is exact for the model; :func:`geo_heart.staffing.erlang.evaluate_mol` (Erlang-B with the
modified offered load) is the approximation used for other hold-time distributions and inside
the staffing search.
"""

from __future__ import annotations

import functools

import numpy as np

from geo_heart.staffing.erlang import (
    HOURS,
    HourlyDemand,
    MolResult,
    ServiceTime,
    mol_load_by_minute,
    offered_mask,
    teams_array,
)

#: Weeks iterated at most while looking for the periodic steady state.
MAX_WEEKS = 200
#: Convergence of the state distribution at the start of the week (L1 distance).
TOLERANCE = 1e-12


def exact_applies(service: ServiceTime) -> bool:
    """True when the chain is exact: exponential hold times and no fixed travel time."""
    return service.distribution == "exponential" and service.travel_minutes == 0


@functools.cache
def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries (scipy's included), made once."""
    import scipy.linalg  # noqa: F401  (load scipy's BLAS first, so the controller sees it)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread():
    """A context in which BLAS runs on one thread.

    The chain's matrices are tiny (2 × (teams + 1) square): a threaded BLAS only adds the cost of
    waking its threads. With scipy's OpenBLAS on a shared 2-core machine each ``expm`` took ~5 ms
    threaded against ~0.02 ms on one thread (the same numbers), a second of every ``map`` run.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


@functools.lru_cache(maxsize=4096)
def _hour_matrices(lam: float, s: int, mu: float, n_states: int):
    """``E = exp(Q)`` and ``F = ∫_0^1 exp(Q t) dt`` for one hour (time unit: hours).

    Memoised on its (numeric) arguments: a report evaluates several plans with the same hourly
    rates, and each hour's matrices took ~2 ms. The arrays returned are read-only.
    """
    from scipy.linalg import expm

    q = np.zeros((n_states, n_states))
    for n in range(n_states):
        if n < s and lam > 0:
            q[n, n + 1] = lam
        if n > 0:
            q[n, n - 1] = n * mu
        q[n, n] = -q[n].sum()
    big = np.zeros((2 * n_states, 2 * n_states))
    big[:n_states, :n_states] = q
    big[:n_states, n_states:] = np.eye(n_states)
    ex = expm(big)
    e, f = ex[:n_states, :n_states].copy(), ex[:n_states, n_states:].copy()
    e.flags.writeable = False
    f.flags.writeable = False
    return e, f


def evaluate_markov(demand: HourlyDemand, teams, service: ServiceTime) -> MolResult:
    """Answered shares of the exact time-varying loss system (see the module docstring).

    Parameters
    ----------
    demand
        Arrivals by hour of the week and service hours.
    teams
        Teams on duty: a number (placed in the service hours) or 168 counts.
    service
        Exponential hold times with no travel time (:func:`exact_applies`).

    Returns
    -------
    MolResult
        The same fields as the MOL model (``load_by_hour`` is the modified offered load).
    """
    if not exact_applies(service):
        raise ValueError("the Markov chain is exact only for exponential hold times without travel")
    s = teams_array(teams, demand.service_hours)
    mask = offered_mask(demand, s)
    lam = demand.arrivals_per_week.astype(float)
    offered = np.where(mask, lam, 0.0)
    mu = 60.0 / service.hold_mean_minutes
    n_states = int(s.max()) + 1
    cache: dict[tuple[float, int], tuple[np.ndarray, np.ndarray]] = {}
    mats = []
    with one_blas_thread():
        for h in range(HOURS):
            key = (float(offered[h]), int(s[h]))
            if key not in cache:
                cache[key] = _hour_matrices(key[0], key[1], mu, n_states)
            mats.append(cache[key])
    p = np.zeros(n_states)
    p[0] = 1.0
    for _week in range(MAX_WEEKS):
        start = p
        for e, _f in mats:
            p = p @ e
        if np.abs(p - start).sum() < TOLERANCE:
            break
    blocked_time = np.zeros(HOURS)
    for h, (e, f) in enumerate(mats):
        occupancy = p @ f  # expected hours spent in each state during hour h
        blocked_time[h] = occupancy[s[h] :].sum()
        p = p @ e
    ok = np.where(mask, 1.0 - np.clip(blocked_time, 0.0, 1.0), 0.0)
    return MolResult.from_hours(demand, ok, mol_load_by_minute(lam, service, mask))


def evaluate_analytic(demand: HourlyDemand, teams, service: ServiceTime) -> tuple[MolResult, str]:
    """The best analytic answer: the exact chain when it applies, else Erlang-B with the MOL.

    Returns the result and the name of the method used.
    """
    from geo_heart.staffing.erlang import evaluate_mol

    if exact_applies(service):
        return evaluate_markov(demand, teams, service), "exact Markov chain (exponential hold)"
    return evaluate_mol(demand, teams, service), "Erlang-B with the modified offered load"
