"""Fewest team-hours a week that reach a target answered share.

Teams are set per **block**: each contiguous run of service hours is cut into blocks of at least
``block_hours`` hours (a minimum shift length); the number of teams is constant within a block.

With the modified offered load computed once from the service hours (it does not depend on the
number of teams), the calls a block answers, ``f_b(s) = Σ_minutes λ (1 - B(s, m))``, depend only on
that block's teams and are **concave increasing** in ``s`` (the carried load of Erlang-B is
concave in the number of servers; Messerli 1972). The problem

    minimise  Σ_b len_b · s_b   subject to   Σ_b f_b(s_b) >= target · Λ

is then solved exactly as a 0/1 integer program over the marginal gains ``g_{b,k} = f_b(k) -
f_b(k-1)`` (one binary per k-th team of a block, taken in order) with CBC through PuLP. When every
block has the same length the greedy rule — add the team with the largest marginal gain until the
target is met — is also optimal (for separable concave gains the greedy allocation of ``n`` teams
maximises the answered calls for every ``n``), and it traces the staffing curve.
"""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass

import numpy as np

from geo_heart.errors import InputError
from geo_heart.staffing.erlang import (
    HOURS,
    HourlyDemand,
    ServiceTime,
    erlang_b,
    erlang_b_table,
    mol_load_by_minute,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Block:
    """A run of consecutive hours of the week with one team count (may wrap past Sunday)."""

    start_hour: int
    length: int

    @property
    def hours(self) -> np.ndarray:
        """Hour-of-week indices covered."""
        return (self.start_hour + np.arange(self.length)) % HOURS


def blocks_for(service_hours: np.ndarray, block_hours: int) -> list[Block]:
    """Cut each contiguous run of service hours into blocks of at least ``block_hours`` hours.

    A run of ``L`` hours becomes ``max(1, L // block_hours)`` blocks of near-equal length (a run
    shorter than ``block_hours`` is one block). 24/7 service is cut from Monday 00:00.

    Raises
    ------
    InputError
        When ``block_hours`` is not 1..168 or there are no service hours.
    """
    if not 1 <= int(block_hours) <= HOURS:
        raise InputError(f"--block-hours {block_hours!r}: must be 1..168")
    mask = np.asarray(service_hours, dtype=bool)
    if not mask.any():
        raise InputError("no service hours: the program is never in service")
    if mask.all():
        runs = [(0, HOURS)]
    else:
        starts = [h for h in range(HOURS) if mask[h] and not mask[h - 1]]
        runs = []
        for s in starts:
            n = 0
            while mask[(s + n) % HOURS]:
                n += 1
            runs.append((s, n))
    out: list[Block] = []
    for s, n in sorted(runs):
        k = max(1, n // int(block_hours))
        base, extra = divmod(n, k)
        pos = s
        for i in range(k):
            ln = base + (1 if i < extra else 0)
            out.append(Block(pos % HOURS, ln))
            pos += ln
    return out


@dataclass
class Plan:
    """A staffing plan.

    Attributes
    ----------
    teams
        168 teams on duty by hour of the week.
    team_hours_per_week
        ``teams.sum()``.
    predicted_share
        Answered share of the calls in service hours that the planning model predicts.
    target
        The target share.
    blocks
        The blocks and their teams: ``(block, teams)``.
    method
        ``ilp`` or ``greedy``.
    optimal
        True when the method proves minimality (ILP solved to optimality, or greedy with equal
        block lengths).
    seconds
        Solve time.
    min_teams
        Teams kept on duty in every open hour whatever the target (``--min-teams-per-open-hour``).
    open_hours
        The 168 service-hour flags the plan covers.
    """

    teams: np.ndarray
    team_hours_per_week: int
    predicted_share: float
    target: float
    blocks: list[tuple[Block, int]]
    method: str
    optimal: bool
    seconds: float
    min_teams: int = 0
    open_hours: np.ndarray | None = None

    @property
    def max_teams(self) -> int:
        """Most teams on duty at once."""
        return int(self.teams.max(initial=0))

    @property
    def open_hours_without_team(self) -> int:
        """Open (service) hours of the week with no team on duty."""
        if self.open_hours is None:
            return 0
        return int((np.asarray(self.open_hours, dtype=bool) & (self.teams <= 0)).sum())


@dataclass
class BlockGains:
    """Answered calls per week of each block for ``0..max_teams`` teams (the planning model)."""

    blocks: list[Block]
    answered: np.ndarray  # shape (n_blocks, max_teams + 1)
    calls_in_service: float

    def share(self, counts) -> float:
        """Answered share for teams per block ``counts``."""
        c = np.asarray(counts, dtype=np.int64)
        return float(self.answered[np.arange(len(c)), c].sum() / self.calls_in_service)

    def teams_by_hour(self, counts) -> np.ndarray:
        """168 teams from teams per block."""
        out = np.zeros(HOURS, dtype=np.int64)
        for b, c in zip(self.blocks, counts, strict=True):
            out[b.hours] = int(c)
        return out


def block_gains(
    demand: HourlyDemand,
    service: ServiceTime,
    *,
    block_hours: int = 4,
    target: float = 0.99,
    min_teams: int = 0,
) -> BlockGains:
    """Tabulate each block's answered calls for ``0..K`` teams.

    ``K`` is the smallest count whose blocking at the busiest minute is below ``(1 - target)/1000``
    (at least ``min_teams``).
    """
    if not 0 < target < 1:
        raise InputError(f"--target {target!r}: must be a share strictly between 0 and 1")
    blocks = blocks_for(demand.service_hours, block_hours)
    lam = demand.arrivals_per_week
    calls = float(lam[demand.service_hours].sum())
    if calls <= 0:
        raise InputError("no eligible calls in the service hours: nothing to staff for")
    m = mol_load_by_minute(lam, service, demand.service_hours)
    k_max = 1
    peak = float(m.max())
    while erlang_b(k_max, peak) > (1 - target) / 1000 and k_max < 2000:
        k_max += 1
    k_max = max(k_max, int(min_teams))
    answered = np.zeros((len(blocks), k_max + 1))
    lam_min = lam / 60.0
    for i, b in enumerate(blocks):
        minutes = (b.hours[:, None] * 60 + np.arange(60)[None, :]).ravel()
        w = np.repeat(lam_min[b.hours], 60)
        table = erlang_b_table(m[minutes], k_max)  # (K+1, minutes)
        answered[i] = ((1.0 - table) * w[None, :]).sum(axis=1)
    return BlockGains(blocks, answered, calls)


def _greedy_path(gains: BlockGains, min_teams: int = 0):
    """Yield (counts, team_hours, share) adding one team at a time by gain per team-hour,
    starting from ``min_teams`` in every block (yielded first when above zero)."""
    n = len(gains.blocks)
    counts = np.full(n, int(min_teams), dtype=np.int64)
    cost = np.array([b.length for b in gains.blocks], dtype=float)
    kmax = gains.answered.shape[1] - 1
    heap = [
        (-(gains.answered[i, counts[i] + 1] - gains.answered[i, counts[i]]) / cost[i], i)
        for i in range(n)
        if counts[i] < kmax
    ]
    heapq.heapify(heap)
    hours = int((counts * cost).sum())
    if min_teams > 0:
        yield counts, hours, gains.share(counts)
    while heap:
        _neg, i = heapq.heappop(heap)
        counts[i] += 1
        hours += int(cost[i])
        yield counts, hours, gains.share(counts)
        if counts[i] < kmax:
            g = gains.answered[i, counts[i] + 1] - gains.answered[i, counts[i]]
            heapq.heappush(heap, (-g / cost[i], i))


def staffing_curve(gains: BlockGains, *, up_to: float = 0.99) -> list[tuple[int, float, int]]:
    """The greedy staffing curve: ``(team_hours_per_week, answered_share, max_teams)`` per step."""
    out = [(0, 0.0, 0)]
    for counts, hours, share in _greedy_path(gains):
        out.append((hours, share, int(counts.max())))
        if share >= up_to:
            break
    return out


def plan_for_target(
    demand: HourlyDemand,
    service: ServiceTime,
    target: float,
    *,
    block_hours: int = 4,
    method: str = "ilp",
    time_limit_s: float = 60.0,
    min_teams: int = 1,
) -> Plan:
    """Fewest team-hours per week whose answered share (in service hours) reaches ``target``.

    Parameters
    ----------
    demand
        Arrivals by hour of the week and service hours.
    service
        Hold-time distribution.
    target
        Answered share to reach, 0 < target < 1.
    block_hours
        Minimum shift length: teams are constant within blocks of at least this many hours.
    method
        ``ilp`` (exact, CBC) or ``greedy`` (exact when all blocks have the same length).
    time_limit_s
        CBC time limit.
    min_teams
        Teams on duty in every service hour whatever the target (default 1: a plan never
        leaves an open hour without a team; 0 lets the optimiser close quiet hours).

    Returns
    -------
    Plan
    """
    if method not in ("ilp", "greedy"):
        raise InputError(f"plan method {method!r}: known ilp, greedy")
    t0 = time.perf_counter()
    if min_teams < 0:
        raise InputError(f"--min-teams-per-open-hour {min_teams!r}: must be 0 or more")
    gains = block_gains(
        demand, service, block_hours=block_hours, target=target, min_teams=min_teams
    )
    lengths = {b.length for b in gains.blocks}
    if method == "greedy":
        counts = None
        for c, _hours, share in _greedy_path(gains, min_teams):
            if share >= target:
                counts = c.copy()
                break
        optimal = len(lengths) == 1
    else:
        counts, optimal = _solve_ilp(gains, target, time_limit_s, min_teams)
    if counts is None:
        raise InputError(f"--target {target!r} cannot be reached")
    teams = gains.teams_by_hour(counts)
    plan = Plan(
        teams=teams,
        team_hours_per_week=int(teams.sum()),
        predicted_share=gains.share(counts),
        target=target,
        blocks=list(zip(gains.blocks, (int(c) for c in counts), strict=True)),
        method=method,
        optimal=optimal,
        seconds=time.perf_counter() - t0,
        min_teams=int(min_teams),
        open_hours=np.asarray(demand.service_hours, dtype=bool).copy(),
    )
    log.info(
        "plan (%s) for %.3f: %d team-hours/week, max %d teams, share %.4f, %.2f s",
        method,
        target,
        plan.team_hours_per_week,
        plan.max_teams,
        plan.predicted_share,
        plan.seconds,
    )
    return plan


def _solve_ilp(gains: BlockGains, target: float, time_limit_s: float, min_teams: int = 0):
    import pulp

    n, k1 = gains.answered.shape
    marg = np.diff(gains.answered, axis=1) / gains.calls_in_service  # (n, K) share per team
    prob = pulp.LpProblem("staffing", pulp.LpMinimize)
    x = {
        (i, k): _binary(prob, f"x_{i}_{k}")
        for i in range(n)
        for k in range(k1 - 1)
        if marg[i, k] > 1e-12 or k < min_teams
    }
    for (_i, k), v in x.items():
        if k < min_teams:  # the floor: the first min_teams teams of every block are on duty
            prob += v == 1
    prob += pulp.lpSum(gains.blocks[i].length * v for (i, _k), v in x.items())
    prob += pulp.lpSum(float(marg[i, k]) * v for (i, k), v in x.items()) >= target + 1e-9
    for (i, k), v in x.items():
        if k > 0 and (i, k - 1) in x:
            prob += v <= x[(i, k - 1)]
    prob.solve(_cbc(time_limit_s))
    status = pulp.LpStatus[prob.status]
    if status != "Optimal":
        raise InputError(f"the integer program for target {target!r} ended {status!r}")
    counts = np.zeros(n, dtype=np.int64)
    for (i, _k), v in x.items():
        if (v.value() or 0) > 0.5:
            counts[i] += 1
    return counts, True


def _binary(prob, name: str):
    """A binary variable attached to ``prob`` (PuLP >= 3.3 API when present)."""
    import pulp

    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, lowBound=0, upBound=1, cat="Binary")
    return pulp.LpVariable(name, lowBound=0, upBound=1, cat="Binary")  # pragma: no cover


def _cbc(time_limit_s: float):
    """CBC proving optimality (relative gap 0; team-hours are integers, so an absolute gap below 1
    is exact): a ``cbc`` on the PATH if any, else the copy bundled with PuLP (whose constructor
    PuLP 3.3 flags as deprecated for 4.0; that warning is silenced here)."""
    import warnings

    import pulp

    opts = dict(msg=False, timeLimit=time_limit_s, gapRel=0.0, gapAbs=0.5)
    coin = pulp.COIN_CMD(**opts)
    if coin.available():
        return coin
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(**opts)
