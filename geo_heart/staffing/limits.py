"""Bounds on every staffing parameter that reaches a solver or the simulation (issue 30 #11).

Each bound is far above any city's needs (Durham runs about 16 three-person teams) and keeps the
exact Markov chain (``teams + 1`` states, a matrix per distinct hour), the planning model and the
simulation within seconds and a few hundred megabytes. A value outside its range is refused in
one line naming the option and the range, before any work.
"""

from __future__ import annotations

import math

from geo_heart.errors import InputError

#: Most teams on duty in one hour (``--teams``, ``--shifts``, ``[staffing] teams``).
MAX_TEAMS = 200
#: Largest ``--scale-to``, eligible calls a year.
MAX_CALLS_PER_YEAR = 1_000_000
#: Most simulation runs (``--replications``) and measured weeks per run (``--weeks``).
MAX_REPLICATIONS = 100
MAX_WEEKS = 520
#: Largest number of calls the simulation may draw in all runs (about a minute of SimPy).
MAX_SIMULATED_CALLS = 5_000_000
#: Longest service or travel time, minutes (one day).
MAX_MINUTES = 1440.0
#: Largest lognormal coefficient of variation.
MAX_CV = 10.0
#: Longest minimum shift, hours (a week).
MAX_BLOCK_HOURS = 168
#: Largest random seed (numpy's SeedSequence takes any non-negative integer; this keeps it sane).
MAX_SEED = 2**63 - 1


def _refuse(option: str, value, allowed: str) -> None:
    raise InputError(f"{option} {value!r}: must be {allowed}")


def check_int(option: str, value, low: int, high: int) -> None:
    """``value`` an integer in ``[low, high]``, else one line naming ``option`` and the range."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _refuse(option, value, f"a whole number from {low:,} to {high:,}")


def check_float(option: str, value, low: float, high: float, *, low_open: bool = False) -> None:
    """``value`` a finite number in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    if value is None:
        return
    ok = (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and (value > low if low_open else value >= low)
        and value <= high
    )
    if not ok:
        _refuse(
            option, value, f"a number {'above' if low_open else 'from'} {_n(low)} to {_n(high)}"
        )


def _n(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def check_options(o) -> None:
    """Check a :class:`~geo_heart.staffing.workflow.StaffingOptions` against the bounds."""
    check_int("--teams", o.teams, 0, MAX_TEAMS)
    check_int("--min-teams-per-open-hour", o.min_teams_per_open_hour, 0, MAX_TEAMS)
    check_float("--scale-to", o.scale_to, 0, MAX_CALLS_PER_YEAR, low_open=True)
    check_float("--target", o.target, 0, 1, low_open=True)
    if o.target is not None and o.target >= 1:
        _refuse("--target", o.target, "a share between 0 and 1")
    check_float("--service-minutes", o.service_minutes, 0, MAX_MINUTES, low_open=True)
    check_float("--travel-minutes", o.travel_minutes, 0, MAX_MINUTES)
    check_float("--cv", o.cv, 0, MAX_CV, low_open=True)
    check_int("--block-hours", o.block_hours, 1, MAX_BLOCK_HOURS)
    check_int("--replications", o.replications, 0, MAX_REPLICATIONS)
    check_int("--weeks", o.weeks, 1, MAX_WEEKS)
    check_int("--seed", o.seed, 0, MAX_SEED)
    check_int("--year", o.year, 1900, 2200)


def check_teams(teams, source: str) -> None:
    """Team counts by hour (or one count) from ``source`` within ``0..MAX_TEAMS``."""
    import numpy as np

    top = int(np.max(teams)) if np.size(teams) else 0
    if top > MAX_TEAMS:
        raise InputError(f"{source}: {top:,} teams in one hour; at most {MAX_TEAMS} are modelled")


def check_simulation(calls_per_year: float, weeks: int, replications: int) -> None:
    """The simulation draws about ``calls_per_year × weeks / 52.18 × replications`` calls."""
    calls = calls_per_year * (weeks + 1) / 52.18 * replications
    if calls > MAX_SIMULATED_CALLS:
        raise InputError(
            f"--replications {replications} × --weeks {weeks} at {calls_per_year:,.0f} calls a "
            f"year would simulate about {calls:,.0f} calls; at most {MAX_SIMULATED_CALLS:,}: "
            "lower --replications or --weeks (0 replications: analytic answer only)"
        )
