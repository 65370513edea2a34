"""Choosing beats: candidates, the greedy curve, the exact selection (PuLP/CBC) and their comparison."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_heart.errors import InputError
from geo_heart.expansion.problem import Capacity, ExpansionProblem

log = logging.getLogger(__name__)


def candidates_table(problem: ExpansionProblem) -> pd.DataFrame:
    """Every candidate beat with what adding it alone would buy.

    Columns: beat, touches_area, eligible_any, eligible_<P>, gain_share (of the citywide total),
    population, eligible_per_1000, area_sq_mi, eligible_per_sq_mi, distance_m (when bases are
    known), rank (by eligible_any, ties by beat order).
    """
    cands = problem.candidates
    d = problem.demand.loc[cands].copy()
    out = pd.DataFrame({"beat": cands})
    out["touches_area"] = [problem.touches_area(b) for b in cands]
    for c in d.columns:
        out[c] = d[c].to_numpy().astype(int)
    total = problem.total
    out["gain_share"] = np.round(out["eligible_any"] / total, 5) if total else 0.0
    if problem.population is not None:
        pop = problem.population.reindex(cands).to_numpy()
        out["population"] = np.round(pop, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["eligible_per_1000"] = np.round(
                np.where(pop > 0, out["eligible_any"] / pop * 1000.0, np.nan), 3
            )
    if problem.area_sq_mi is not None:
        a = problem.area_sq_mi.reindex(cands).to_numpy()
        out["area_sq_mi"] = np.round(a, 3)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["eligible_per_sq_mi"] = np.round(
                np.where(a > 0, out["eligible_any"] / a, np.nan), 2
            )
    if problem.distance_m is not None:
        out["distance_m"] = np.round(problem.distance_m.reindex(cands).to_numpy(), 0)
    order = np.lexsort((np.arange(len(out)), -out["eligible_any"].to_numpy()))
    rank = np.empty(len(out), dtype=int)
    rank[order] = np.arange(1, len(out) + 1)
    out["rank"] = rank
    return out.sort_values("rank").reset_index(drop=True)


def greedy_curve(
    problem: ExpansionProblem,
    *,
    k: int | None = None,
    contiguous: bool = False,
    capacity: Capacity | None = None,
    required: Iterable[str] = (),
    excluded: Iterable[str] = (),
    max_distance_m: float | None = None,
) -> pd.DataFrame:
    """Add beats one at a time, each time the one with the largest gain.

    Required beats go in first (in the order given). With ``contiguous``, only beats touching the
    current area or an already added beat may be chosen. Stops after ``k`` beats or when no
    candidate is left.

    Returns
    -------
    pandas.DataFrame
        step (0 = current area), beat, gain, covered, coverage (share of the total), and per
        program covered_<P> / coverage_<P>.
    """
    allowed = _allowed(problem, excluded=excluded, max_distance_m=max_distance_m)
    required = [str(b) for b in required]
    _check_beats(problem, required, "required")
    chosen: list[str] = []
    rows = [_curve_row(problem, 0, None, 0.0, chosen, capacity)]
    limit = len(problem.candidates) if k is None else int(k)
    covered = problem.covered([], capacity=capacity)
    while len(chosen) < limit:
        pool = [b for b in required if b not in chosen]
        if not pool:
            pool = [b for b in problem.candidates if b in allowed and b not in chosen]
        if contiguous:
            reach = set(problem.base) | set(chosen)
            if reach:
                pool = [b for b in pool if problem.neighbors[b] & reach]
        if not pool:
            break
        best, best_gain = None, -1.0
        for b in pool:
            gain = problem.covered([*chosen, b], capacity=capacity) - covered
            if gain > best_gain + 1e-9:
                best, best_gain = b, gain
        chosen.append(best)
        covered += best_gain
        rows.append(_curve_row(problem, len(chosen), best, best_gain, chosen, capacity))
    return pd.DataFrame(rows)


def _curve_row(problem, step, beat, gain, chosen, capacity) -> dict:
    covered = problem.covered(chosen, capacity=capacity)
    total = problem.total
    row = {
        "step": step,
        "beat": beat or "",
        "gain": round(float(gain), 3),
        "covered": round(covered, 3),
        "coverage": round(covered / total, 5) if total else 0.0,
    }
    row.update(program_coverage(problem, chosen))
    return row


def program_coverage(problem: ExpansionProblem, beats: Iterable[str]) -> dict[str, float]:
    """``covered_<P>`` and ``coverage_<P>`` per program for the current area plus ``beats``
    (demand, not capacity-limited)."""
    sel = [b for b in problem.beats if b in set(problem.base) | set(beats)]
    out: dict[str, float] = {}
    for p in problem.programs:
        col = f"eligible_{p}"
        tot = float(problem.demand[col].sum())
        cov = float(problem.demand.loc[sel, col].sum())
        out[f"covered_{p}"] = cov
        out[f"coverage_{p}"] = round(cov / tot, 5) if tot else float("nan")
    return out


def _allowed(problem, *, excluded, max_distance_m) -> set[str]:
    excluded = [str(b) for b in excluded]
    _check_beats(problem, excluded, "excluded")
    allowed = set(problem.candidates) - set(excluded)
    if max_distance_m is not None:
        if problem.distance_m is None:
            raise InputError("a distance limit needs team bases (distance per beat)")
        allowed = {b for b in allowed if problem.distance_m[b] <= max_distance_m}
    return allowed


def _check_beats(problem, beats, what) -> None:
    for b in beats:
        if b in problem.excluded_beats:
            raise InputError(
                f"{what} beat {b!r} is left out of the analysis ({problem.excluded_beats[b]})"
            )
        if b not in problem.demand.index:
            raise InputError(f"{what} beat {b!r} is not a beat; known: {problem.beats}")
        if b in problem.base:
            raise InputError(f"{what} beat {b!r} is already in the current area")


# ---------------------------------------------------------------------- optimal selection
@dataclass
class ExpansionResult:
    """An optimal (or best found) selection.

    Attributes
    ----------
    status
        Solver status (``Optimal``, ``Infeasible``, ``Not Solved`` …).
    optimal
        True when the solver proved optimality.
    beats
        Beats to add, by gain (largest first).
    covered, coverage
        Objective calls covered (served with a capacity) and the share of the total.
    per_program
        ``covered_<P>`` / ``coverage_<P>``.
    solve_time_s
        Solver wall time.
    k, target, contiguous, capacity
        The question asked.
    """

    status: str
    optimal: bool
    beats: list[str]
    covered: float
    coverage: float
    per_program: dict[str, float]
    solve_time_s: float
    k: int | None
    target: float | None
    contiguous: bool
    capacity: Capacity | None = None
    base_covered: float = 0.0

    @property
    def feasible(self) -> bool:
        """True when a selection was found."""
        return self.status == "Optimal"

    def as_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "status": self.status,
            "optimal": self.optimal,
            "beats": self.beats,
            "k": self.k,
            "target": self.target,
            "contiguous": self.contiguous,
            "capacity": None
            if self.capacity is None
            else {"calls_per_shift": self.capacity.calls_per_shift, "teams": self.capacity.teams},
            "base_covered": self.base_covered,
            "covered": self.covered,
            "coverage": self.coverage,
            "per_program": self.per_program,
            "solve_time_s": round(self.solve_time_s, 4),
        }


def optimal_selection(
    problem: ExpansionProblem,
    *,
    k: int | None = None,
    target: float | None = None,
    contiguous: bool = False,
    required: Iterable[str] = (),
    excluded: Iterable[str] = (),
    capacity: Capacity | None = None,
    max_distance_m: float | None = None,
    time_limit_s: float | None = 60.0,
) -> ExpansionResult:
    """Choose beats to add, solved exactly with PuLP/CBC.

    Parameters
    ----------
    k
        Number of beats to add (required beats count towards ``k``).
    target
        Instead (or with ``k`` as an upper bound): the fewest beats whose coverage share reaches
        ``target`` (0–1, of :attr:`ExpansionProblem.total`). Among selections of that size the one
        covering most is returned.
    contiguous
        Every added beat must link to the current area through added beats.
    required, excluded
        Beats that must / must not be added.
    capacity
        Count only demand the teams can serve (see :class:`Capacity`).
    max_distance_m
        Only beats whose demand point is within this distance of a team base
        (:meth:`ExpansionProblem.with_distance`).
    time_limit_s
        Solver time limit; ``optimal`` is False when it stops early.

    Returns
    -------
    ExpansionResult
        ``status`` is ``Infeasible`` (and ``beats`` empty) when no selection satisfies the options.
    """
    from geo_heart.expansion.solvers import solve_selection

    if k is None and target is None:
        raise InputError("give k (beats to add) or target (coverage share to reach)")
    if target is not None and not 0 < target <= 1:
        raise InputError(f"target must be a share in (0, 1], got {target!r}")
    cands = problem.candidates
    if k is not None and not 0 <= int(k) <= len(cands):
        raise InputError(f"k must be between 0 and {len(cands)} (candidate beats), got {k!r}")
    required = [str(b) for b in required]
    _check_beats(problem, required, "required")
    allowed = _allowed(problem, excluded=excluded, max_distance_m=max_distance_m)
    both = [b for b in required if b not in allowed]
    if both:
        raise InputError(f"beats both required and excluded (or beyond the distance limit): {both}")
    pos = {b: i for i, b in enumerate(cands)}
    weights = problem.demand.loc[cands, "eligible_any"].to_numpy(dtype=float)
    base_value = problem.covered([], capacity=capacity)
    kwargs = {}
    if capacity is not None:
        cap = problem.shift_capacity(capacity)
        cand_rows = [problem.beats.index(b) for b in cands]
        base_rows = [i for i, b in enumerate(problem.beats) if b in problem.base]
        kwargs = {
            "shift_demand": problem.shift_demand[cand_rows],
            "shift_base": problem.shift_demand[base_rows].sum(axis=0),
            "shift_capacity": cap,
        }
    edges = sorted(
        {
            (min(pos[a], pos[b]), max(pos[a], pos[b]))
            for a in cands
            for b in problem.neighbors[a]
            if b in pos
        }
    )
    source_edges = [pos[b] for b in cands if problem.touches_area(b)]
    goal = None if target is None else float(target) * problem.total
    common = dict(
        weights=weights,
        base=float(problem.demand.loc[list(problem.base), "eligible_any"].sum()),
        edges=edges,
        source_edges=source_edges,
        contiguous=contiguous,
        required=[pos[b] for b in required],
        excluded=[pos[b] for b in cands if b not in allowed],
        time_limit_s=time_limit_s,
        has_base_area=bool(problem.base),
        **kwargs,
    )
    if goal is not None and base_value >= goal and not required:
        # the current area already reaches the target: nothing to add
        return _result(
            problem,
            [],
            "Optimal",
            True,
            base_value,
            0.0,
            0,
            target,
            contiguous,
            capacity,
            base_value,
        )

    def _no_solution(status: str, elapsed_s: float) -> ExpansionResult:
        return _result(
            problem,
            [],
            status,
            False,
            float("nan"),
            elapsed_s,
            k,
            target,
            contiguous,
            capacity,
            base_value,
        )

    if target is None:
        out = solve_selection(k=int(k), **common)
        elapsed = out.solve_time_s
    else:
        first = solve_selection(k=k, target=goal, **common)
        elapsed = first.solve_time_s
        if first.status != "Optimal":
            return _no_solution(first.status, elapsed)
        # second stage: among selections of that size, cover the most
        out = solve_selection(k=len(first.chosen), **common)
        elapsed += out.solve_time_s
        out.optimal = out.optimal and first.optimal
    if out.status != "Optimal":
        return _no_solution(out.status, elapsed)
    chosen = [cands[i] for i in out.chosen]
    return _result(
        problem,
        chosen,
        out.status,
        out.optimal,
        out.objective,
        elapsed,
        len(chosen) if target is not None else k,
        target,
        contiguous,
        capacity,
        base_value,
    )


def _result(
    problem, chosen, status, optimal, covered, elapsed, k, target, contiguous, capacity, base_value
):
    chosen = sorted(
        chosen,
        key=lambda b: (-float(problem.demand.loc[b, "eligible_any"]), problem.beats.index(b)),
    )
    total = problem.total
    return ExpansionResult(
        status=status,
        optimal=optimal,
        beats=chosen,
        covered=covered,
        coverage=round(covered / total, 5) if total and covered == covered else float("nan"),
        per_program=program_coverage(problem, chosen) if status == "Optimal" else {},
        solve_time_s=elapsed,
        k=k,
        target=target,
        contiguous=contiguous,
        capacity=capacity,
        base_covered=base_value,
    )


def compare_greedy_optimal(
    problem: ExpansionProblem,
    *,
    k_max: int = 5,
    contiguous: bool = False,
    capacity: Capacity | None = None,
    required: Iterable[str] = (),
    excluded: Iterable[str] = (),
    max_distance_m: float | None = None,
) -> pd.DataFrame:
    """Greedy versus optimal for ``k = 1..k_max``.

    Columns: k, greedy_beats, greedy_covered, optimal_beats, optimal_covered, gap (optimal −
    greedy calls), optimal (proven), solve_time_s.
    """
    required = [str(b) for b in required]
    opts = dict(
        capacity=capacity, required=required, excluded=excluded, max_distance_m=max_distance_m
    )
    curve = greedy_curve(problem, k=k_max, contiguous=contiguous, **opts)
    rows = []
    first = max(1, len(list(required)))
    for k in range(first, k_max + 1):
        if k >= len(curve):
            break
        g = curve.iloc[k]
        res = optimal_selection(problem, k=k, contiguous=contiguous, **opts)
        rows.append(
            {
                "k": k,
                "greedy_beats": " ".join(curve["beat"].iloc[1 : k + 1]),
                "greedy_covered": float(g["covered"]),
                "optimal_beats": " ".join(res.beats),
                "optimal_covered": res.covered,
                "gap": round(res.covered - float(g["covered"]), 3),
                "optimal": res.optimal,
                "solve_time_s": round(res.solve_time_s, 4),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- team bases
