"""Discrete-event simulation of a program's teams as a loss system, with SimPy.

Rules, the same as the analytic model's (:mod:`geo_heart.staffing.erlang`):

* Calls arrive as a non-homogeneous Poisson process whose rate is constant within each hour of
  the week (piecewise-constant: a Poisson count per hour, times uniform within the hour). Only
  hours in service with at least one team on duty receive calls.
* A call is answered when fewer teams are busy than are on duty at its arrival; it then holds a
  team for its hold time (travel + on scene, from :class:`~geo_heart.staffing.erlang.ServiceTime`).
  Otherwise it is lost (goes to police); nobody waits.
* **Shift changes:** when the number of teams on duty drops, calls in progress finish (the team
  stays until the call ends, then goes off shift); no new call is taken until the busy count is
  below the new number on duty. When it rises, the new teams are free at once.
* Each replication simulates ``warmup_weeks`` (discarded) then ``weeks`` measured weeks from an
  empty system at Monday 00:00; replications use independent streams spawned from ``seed``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from geo_heart.errors import InputError
from geo_heart.staffing.erlang import (
    HOURS,
    HourlyDemand,
    ServiceTime,
    offered_mask,
    teams_array,
)

log = logging.getLogger(__name__)


@dataclass
class SimResult:
    """Simulation estimates over replications.

    Attributes
    ----------
    answered_share
        Mean over replications of the share of calls in service hours that were answered.
    ci95
        ``(low, high)`` 95% confidence interval of that mean (Student t over replications).
    replication_shares
        One share per replication.
    answered_by_hour
        168 pooled answered shares (NaN where no call arrived).
    arrivals_by_hour, answered_calls_by_hour
        168 pooled counts over all measured weeks of all replications.
    calls
        Calls simulated (warm-up included).
    seconds
        Wall-clock time of the simulation.
    """

    answered_share: float
    ci95: tuple[float, float]
    replication_shares: np.ndarray
    answered_by_hour: np.ndarray
    arrivals_by_hour: np.ndarray
    answered_calls_by_hour: np.ndarray
    calls: int
    seconds: float

    @property
    def calls_per_second(self) -> float:
        """Simulation throughput."""
        return self.calls / self.seconds if self.seconds > 0 else float("nan")


def _arrivals(rng: np.random.Generator, rate: np.ndarray, weeks: int):
    """Arrival times (minutes from the start) and hour-of-week index, sorted."""
    counts = rng.poisson(np.tile(rate, weeks))
    hour_index = np.repeat(np.arange(weeks * HOURS), counts)
    t = (hour_index + rng.random(hour_index.size)) * 60.0
    order = np.argsort(t, kind="stable")
    return t[order], hour_index[order]


def _run_once(times: np.ndarray, capacity: np.ndarray, hold: np.ndarray) -> np.ndarray:
    """One SimPy run: which calls find a free team."""
    import simpy

    env = simpy.Environment()
    answered = np.zeros(times.size, dtype=bool)
    busy = [0]

    def release(_event) -> None:
        busy[0] -= 1

    def arrivals():
        timeout = env.timeout
        for i, (t, cap) in enumerate(zip(times.tolist(), capacity.tolist(), strict=True)):
            yield timeout(t - env.now)
            if busy[0] < cap:
                busy[0] += 1
                answered[i] = True
                timeout(hold[i]).callbacks.append(release)

    env.process(arrivals())
    env.run()
    return answered


def simulate(
    demand: HourlyDemand,
    teams,
    service: ServiceTime,
    *,
    weeks: int = 52,
    warmup_weeks: int = 1,
    replications: int = 10,
    seed: int = 0,
) -> SimResult:
    """Simulate ``replications`` runs of ``weeks`` weeks and estimate the answered share.

    Parameters
    ----------
    demand
        Arrivals by hour of the week and service hours.
    teams
        Teams on duty: a number (placed in the service hours) or 168 counts.
    service
        Hold-time distribution.
    weeks, warmup_weeks
        Measured and discarded weeks per replication.
    replications
        Independent runs (>= 2 for a confidence interval).
    seed
        Seed of the random streams (same seed, same answer).

    Returns
    -------
    SimResult
    """
    if replications < 1 or weeks < 1 or warmup_weeks < 0:
        raise InputError(
            f"replications {replications!r}, weeks {weeks!r}, warm-up {warmup_weeks!r}: "
            "need replications >= 1, weeks >= 1, warm-up >= 0"
        )
    s = teams_array(teams, demand.service_hours)
    # Arrivals in service hours with no team are lost without touching the teams: simulate only
    # the offered ones and count the rest as lost arrivals (Poisson thinning).
    offered = offered_mask(demand, s)
    lam = demand.arrivals_per_week
    lost_rate = np.where(demand.service_hours & ~offered, lam, 0.0)
    rate = np.where(offered, lam, 0.0)
    total_weeks = weeks + warmup_weeks
    skip = warmup_weeks * HOURS
    streams = np.random.default_rng(seed).spawn(replications)
    shares = np.empty(replications)
    arrivals_h = np.zeros(HOURS)
    answered_h = np.zeros(HOURS)
    calls = 0
    t0 = time.perf_counter()
    for r, rng in enumerate(streams):
        times, hour = _arrivals(rng, rate, total_weeks)
        hold = service.sample(rng, times.size)
        ans = _run_once(times, s[hour % HOURS], hold)
        calls += times.size
        keep = hour >= skip
        how = hour[keep] % HOURS
        arr = np.bincount(how, minlength=HOURS).astype(float)
        arr += rng.poisson(lost_rate * weeks)
        got = np.bincount(how, weights=ans[keep].astype(float), minlength=HOURS)
        arrivals_h += arr
        answered_h += got
        shares[r] = got.sum() / arr.sum() if arr.sum() > 0 else float("nan")
    seconds = time.perf_counter() - t0
    mean = float(np.nanmean(shares)) if np.any(np.isfinite(shares)) else float("nan")
    ci = _ci95(shares)
    log.info(
        "simulated %s calls in %.2f s (%s calls/s): answered %.4f, 95%% CI %.4f-%.4f",
        f"{calls:,}",
        seconds,
        f"{calls / max(seconds, 1e-9):,.0f}",
        mean,
        *ci,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        by_hour = np.where(arrivals_h > 0, answered_h / np.maximum(arrivals_h, 1), np.nan)
    return SimResult(
        answered_share=mean,
        ci95=ci,
        replication_shares=shares,
        answered_by_hour=by_hour,
        arrivals_by_hour=arrivals_h,
        answered_calls_by_hour=answered_h,
        calls=calls,
        seconds=seconds,
    )


def _ci95(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (float("nan"), float("nan"))
    mean = float(x.mean())
    if x.size < 2:
        return (mean, mean)
    from scipy.special import stdtrit  # Student t quantile (lighter import than scipy.stats)

    half = float(stdtrit(x.size - 1, 0.975) * x.std(ddof=1) / math.sqrt(x.size))
    return (mean - half, mean + half)
