"""Benchmark: exact contiguous expansion (PuLP/CBC, flow formulation) for k = 1..10 on Durham.

Two problems:

* ``pilot``  — add k beats to the 12-beat HEART pilot (24 candidates; 999 left out);
* ``scratch`` — choose a connected area of k beats from all beats (empty current area: every
  city beat is a candidate, the flow starts at a chosen root beat).

For each k it prints the CBC solve time, whether optimality was proven, the greedy heuristic's
coverage and the gap to the optimum. The peer is brute-force enumeration of connected sets (run
for k ≤ 5 on the pilot problem), measured in the same run: the script prints its time and the
ratio to the solver's.

Run: ``.venv/bin/python benchmarks/bench_expand.py`` (target: every solve ≤ 10 s).
"""

from __future__ import annotations

import time

import geo_heart.expansion as ex
from geo_heart.analysis.calls import load_calls
from geo_heart.area import Area
from geo_heart.config.settings import Settings


def connected_sets(problem: ex.ExpansionProblem, k: int) -> set[frozenset[str]]:
    cands = set(problem.candidates)
    base_nb = set().union(*(problem.neighbors[b] for b in problem.base)) if problem.base else None
    level = {frozenset([b]) for b in cands if base_nb is None or b in base_nb}
    for _ in range(k - 1):
        nxt = set()
        for s in level:
            frontier = set().union(*(problem.neighbors[b] for b in s))
            if base_nb is not None:
                frontier |= base_nb
            for b in (frontier & cands) - s:
                nxt.add(s | {b})
        level = nxt
    return level


def main() -> None:
    ws = Area.from_settings(Settings())
    t0 = time.perf_counter()
    # the beat model answers for rule sets with partial coverage: the pilot retrospective
    data = load_calls(ws, rules="pilot")
    pilot = ex.ExpansionProblem.from_calls(ws, data, rules="pilot")
    print(f"setup (calls + problem): {time.perf_counter() - t0:.2f} s")
    scratch = ex.ExpansionProblem.from_demand(
        pilot.beats,
        pilot.demand.reset_index(drop=True),
        base=[],
        neighbors=pilot.neighbors,
        label="from scratch",
    )
    worst = 0.0
    for name, problem in (("pilot", pilot), ("scratch", scratch)):
        print(
            f"\n[{name}] {len(problem.candidates)} candidates, current area {len(problem.base)} beats, "
            f"{problem.total:,.0f} eligible calls within hours"
        )
        print(" k  optimal_calls  greedy_calls  gap  proven  solve_s  brute_s  brute/solver")
        curve = ex.greedy_curve(problem, k=10, contiguous=True)
        for k in range(1, 11):
            res = ex.optimal_selection(problem, k=k, contiguous=True)
            worst = max(worst, res.solve_time_s)
            greedy = float(curve["covered"].iloc[k]) if k < len(curve) else float("nan")
            brute = ""
            if name == "pilot" and k <= 5:
                t = time.perf_counter()
                sets = connected_sets(problem, k)
                best = max(problem.covered(s) for s in sets)
                bt = time.perf_counter() - t
                assert abs(best - res.covered) < 1e-6, (k, best, res.covered)
                brute = f"{bt:7.2f}  {bt / res.solve_time_s:8.1f}x"
            print(
                f"{k:2d}  {res.covered:13,.0f}  {greedy:12,.0f}  {res.covered - greedy:3.0f}  "
                f"{str(res.optimal):6s}  {res.solve_time_s:7.3f}  {brute}"
                f"   {' '.join(res.beats)}"
            )
    print(f"\nslowest solve: {worst:.3f} s (target <= 10 s): {'OK' if worst <= 10 else 'SLOW'}")


if __name__ == "__main__":
    main()
