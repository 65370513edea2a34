"""Integer programs behind :mod:`geo_heart.expansion` (PuLP + the CBC solver bundled with PuLP).

Model (one binary ``x_i`` per candidate beat):

* covered demand ``D(x) = base + sum_i w_i x_i`` (eligible calls within hours);
* with a team-capacity limit, demand is split into shift classes ``s`` (weekday of the call) and
  only what the teams can serve counts: ``y_s <= cap_s``, ``y_s <= base_s + sum_i d_is x_i``,
  objective ``sum_s y_s``;
* ``sum_i x_i = k`` (or, for a coverage target, minimise ``sum_i x_i`` subject to
  ``objective >= target``);
* contiguity: a single-commodity flow from the current service area (one collapsed source node).
  Every selected beat consumes one unit of flow; flow may only move along beat adjacencies between
  selected beats (``f_ij <= M x_i``, ``f_ij <= M x_j``), so a beat can be selected only if a chain
  of selected beats links it to the current area. With an empty current area the source is one
  selected "root" beat (``r_i <= x_i``, ``sum r_i = 1``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)


@dataclass
class SolveOutcome:
    """Raw outcome of one integer program."""

    status: str
    optimal: bool
    chosen: list[int]
    objective: float
    solve_time_s: float


def solve_selection(
    *,
    weights: np.ndarray,
    base: float,
    edges: list[tuple[int, int]],
    source_edges: list[int],
    k: int | None = None,
    target: float | None = None,
    contiguous: bool = False,
    required: list[int] | None = None,
    excluded: list[int] | None = None,
    shift_demand: np.ndarray | None = None,
    shift_base: np.ndarray | None = None,
    shift_capacity: np.ndarray | None = None,
    time_limit_s: float | None = 60.0,
    has_base_area: bool = True,
) -> SolveOutcome:
    """Solve one selection problem over ``n = len(weights)`` candidates.

    Parameters
    ----------
    weights
        Demand each candidate adds (used when there is no capacity limit).
    base
        Demand already covered by the current area.
    edges
        Undirected candidate–candidate adjacencies ``(i, j)``.
    source_edges
        Candidates that touch the current area.
    k, target
        Exactly ``k`` beats, or the fewest beats whose objective reaches ``target`` (absolute
        calls). With both, at most ``k`` beats must reach the target.
    shift_demand, shift_base, shift_capacity
        ``n × S`` demand by shift class, the current area's demand by class and the capacity per
        class; given together to count only servable demand.
    """
    import pulp

    n = len(weights)
    required = list(required or [])
    excluded = list(excluded or [])
    prob = pulp.LpProblem("expansion", pulp.LpMinimize if target is not None else pulp.LpMaximize)
    x = [_var(prob, f"x_{i}", cat="Binary") for i in range(n)]
    capacity = shift_capacity is not None
    if capacity:
        S = shift_demand.shape[1]
        y = [_var(prob, f"y_{s}", low=0) for s in range(S)]
        for s in range(S):
            prob += y[s] <= float(shift_capacity[s])
            prob += y[s] <= float(shift_base[s]) + pulp.lpSum(
                float(shift_demand[i, s]) * x[i] for i in range(n) if shift_demand[i, s]
            )
        served = pulp.lpSum(y)
    else:
        served = base + pulp.lpSum(float(weights[i]) * x[i] for i in range(n) if weights[i])
    if target is None:
        prob += served
        prob += pulp.lpSum(x) == int(k)
    else:
        prob += pulp.lpSum(x)
        prob += served >= float(target)
        if k is not None:
            prob += pulp.lpSum(x) <= int(k)
    for i in required:
        prob += x[i] == 1
    for i in excluded:
        prob += x[i] == 0
    if contiguous:
        big_m = int(k) if k is not None else n
        arcs = [(i, j) for i, j in edges] + [(j, i) for i, j in edges]
        f = {a: _var(prob, f"f_{a[0]}_{a[1]}", low=0) for a in arcs}
        if has_base_area:
            g = {j: _var(prob, f"g_{j}", low=0) for j in source_edges}
            for j in source_edges:
                prob += g[j] <= big_m * x[j]
        else:
            r = [_var(prob, f"r_{i}", cat="Binary") for i in range(n)]
            g = {j: _var(prob, f"g_{j}", low=0) for j in range(n)}
            prob += pulp.lpSum(r) == 1
            for j in range(n):
                prob += r[j] <= x[j]
                prob += g[j] <= big_m * r[j]
        out_arcs: dict[int, list] = {i: [] for i in range(n)}
        in_arcs: dict[int, list] = {i: [] for i in range(n)}
        for (i, j), var in f.items():
            prob += var <= big_m * x[i]
            prob += var <= big_m * x[j]
            out_arcs[i].append(var)
            in_arcs[j].append(var)
        for j in range(n):
            inflow = pulp.lpSum(in_arcs[j]) + (g[j] if j in g else 0)
            prob += inflow - pulp.lpSum(out_arcs[j]) == x[j]
        # valid cuts (tighten the relaxation): a selected beat that does not touch the current
        # area needs a selected neighbour (with no current area: when more than one is chosen)
        nbrs: dict[int, list[int]] = {i: [] for i in range(n)}
        for i, j in edges:
            nbrs[i].append(j)
            nbrs[j].append(i)
        touching = set(source_edges) if has_base_area else set()
        if has_base_area or (k is not None and int(k) >= 2):
            for j in range(n):
                if j not in touching:
                    prob += x[j] <= pulp.lpSum(x[i] for i in nbrs[j])
    solver = _cbc(time_limit_s)
    t0 = time.perf_counter()
    prob.solve(solver)
    dt = time.perf_counter() - t0
    status = pulp.LpStatus[prob.status]
    sol_status = getattr(prob, "sol_status", None)
    optimal = status == "Optimal" and sol_status in (None, pulp.LpSolutionOptimal)
    if status != "Optimal":
        return SolveOutcome(status, False, [], float("nan"), dt)
    chosen = [i for i in range(n) if (x[i].value() or 0) > 0.5]
    value = float(pulp.value(served))
    log.debug("solved: %s, %d beats, objective %.1f in %.3f s", status, len(chosen), value, dt)
    return SolveOutcome(status, optimal, chosen, value, dt)


def _var(prob, name: str, *, low: float | None = None, cat: str = "Continuous"):
    """A variable attached to ``prob`` (PuLP >= 3.3 API when present, else ``LpVariable``)."""
    import pulp

    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, lowBound=low, cat=cat)
    return pulp.LpVariable(name, lowBound=low, cat=cat)


def _cbc(time_limit_s: float | None):
    """CBC: a ``cbc`` on the PATH (``COIN_CMD``) if there is one, else the copy bundled with PuLP
    (``PULP_CBC_CMD``, which PuLP 3.3 flags as deprecated for 4.0; the warning is silenced here
    because it is the only solver that ships with ``pip install pulp``)."""
    import warnings

    import pulp

    coin = pulp.COIN_CMD(msg=False, timeLimit=time_limit_s)
    if coin.available():
        return coin
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)
