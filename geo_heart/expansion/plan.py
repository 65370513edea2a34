"""The beat-model workflow behind ``geo-heart expand``: problem → exact selection → greedy curve.

:func:`plan_beats` does the analysis (no files); :func:`geo_heart.render.expansion.write_beat_plan`
writes its tables, map and report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geo_heart.errors import InputError
from geo_heart.expansion.distance import (
    calls_within_distance,
    distances_from_bases,
)
from geo_heart.expansion.problem import Capacity, ExpansionProblem
from geo_heart.expansion.select import (
    ExpansionResult,
    candidates_table,
    compare_greedy_optimal,
    greedy_curve,
    optimal_selection,
)


@dataclass
class BeatPlan:
    """Everything the beat model answers: the selection, the curve, the candidates, notes."""

    problem: ExpansionProblem
    result: ExpansionResult
    curve: pd.DataFrame
    compare: pd.DataFrame
    candidates: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    bases: pd.DataFrame | None = None
    within: dict[str, float] | None = None
    within_m: float = 0.0
    distance_method: str = "straight"
    capacity: Capacity | None = None
    target: float | None = None
    contiguous: bool = False

    def as_dict(self, files: list | None = None) -> dict[str, Any]:
        """One JSON-ready object (``geo-heart expand --json``)."""
        import json

        return {
            "result": self.result.as_dict(),
            "total": self.problem.total,
            "candidates": json.loads(self.candidates.to_json(orient="records")),
            "compare": json.loads(self.compare.to_json(orient="records")),
            "within_distance": self.within,
            "files": [str(p) for p in files or []],
        }


def plan_beats(
    area,
    data,
    *,
    k: int | None = None,
    target: float | None = None,
    contiguous: bool = False,
    required: list[str] | None = None,
    excluded: list[str] | None = None,
    capacity: float | None = None,
    teams: int = 1,
    bases: pd.DataFrame | None = None,
    distance_method: str = "straight",
    roads_path=None,
    within_m: float = 8000.0,
    max_distance_m: float | None = None,
    service_area: str | None = None,
    programs: list[str] | None = None,
    include_outside_city: bool = False,
    compare_k: int = 10,
    scenario: str | None = None,
    rules: str | None = None,
    objective: str = "calls",
    progress=None,
) -> BeatPlan:
    """Choose the best beats to add to a service area (exact, PuLP/CBC) and explain the choice.

    Parameters mirror ``geo-heart expand``; ``bases`` is a table of team bases (name, lon, lat),
    ``progress`` an optional tqdm-like bar to advance. ``objective="need"`` weights each beat's
    calls by its need index (:func:`geo_heart.expansion.equity.need_by_beat`).
    """
    if k is None and target is None:
        k = 3
    if k is not None and k < 0:
        raise InputError(f"--k must be >= 0, got {k}")
    if target is not None and not 0 < target <= 1:
        raise InputError(f"--target must be a share in (0, 1], got {target}")
    if capacity is not None and capacity <= 0:
        raise InputError(f"--capacity must be > 0, got {capacity}")
    if teams < 1:
        raise InputError(f"--teams must be >= 1, got {teams}")
    if max_distance_m is not None and bases is None:
        raise InputError("--max-distance-m needs --bases")
    if data.rows == 0:
        raise InputError(
            f"{data.source}: the call file has no rows (only a header); nothing to plan"
        )
    problem = ExpansionProblem.from_calls(
        area,
        data,
        service_area=service_area,
        programs=programs or None,
        scenario=scenario,
        rules=rules,
        include_outside_city=include_outside_city,
    )
    notes = [
        f"Calls: {data.source} ({data.rows:,} rows; {data.unknown_calls:,} with a call type not in "
        f"the table, {data.unplaced:,} without a beat).",
        "Demand = calls whose type (with the weapon/violence flag) an expanding program takes, "
        "at a time it is open" + (f" (hours from scenario {scenario!r})" if scenario else "") + ".",
    ]
    if problem.excluded_beats:
        notes.append(
            "Left out: "
            + "; ".join(f"{b} ({why})" for b, why in problem.excluded_beats.items())
            + "."
        )
    isolated = [b for b in problem.candidates if not problem.neighbors[b] & set(problem.beats)]
    if isolated:
        notes.append(
            "Beats with no neighbour among the beats considered (never reachable contiguously): "
            f"{', '.join(isolated)}."
        )
    if objective == "need":
        from geo_heart.expansion.equity import need_by_beat, weight_problem

        problem = weight_problem(problem, need_by_beat(area))
        notes.append(
            "Objective: need-weighted calls (each beat's calls times its need index, "
            f"[equity].need_field = {area.config.equity.get('need_field')!r} of its tracts over "
            "the city mean); counts below are need-weighted."
        )
    elif objective != "calls":
        raise InputError(f"--objective must be 'calls' or 'need', got {objective!r}")
    if bases is not None:
        dist = distances_from_bases(
            area, problem, bases, method=distance_method, roads_path=roads_path
        )
        problem = problem.with_distance(dist["distance_m"])
    cap = Capacity(capacity, teams) if capacity is not None else None
    if cap is not None:
        notes.append(
            f"Capacity: {capacity:g} calls per team per shift × {teams} team(s), one shift per open "
            "day; coverage counts only calls the teams can serve (by weekday over the data period)."
        )
    opts = dict(
        contiguous=contiguous,
        required=list(required or []),
        excluded=list(excluded or []),
        capacity=cap,
        max_distance_m=max_distance_m,
    )
    _step(progress, "solving")
    result = optimal_selection(problem, k=k, target=target, **opts)
    if not result.feasible:
        raise InputError(
            f"no selection satisfies the options (solver status {result.status}); relax "
            "--contiguous, --require, --exclude, --max-distance-m or --target"
        )
    gopts = {key: v for key, v in opts.items() if key != "contiguous"}
    _step(progress, "greedy vs optimal")
    curve = greedy_curve(problem, contiguous=contiguous, **gopts)
    compare = compare_greedy_optimal(
        problem, k_max=max(0, min(compare_k, len(curve) - 1)), contiguous=contiguous, **gopts
    )
    cands = candidates_table(problem)
    cands["selected"] = cands["beat"].isin(result.beats)
    gorder = {b: i for i, b in enumerate(curve["beat"].iloc[1:], start=1)}
    cands["greedy_step"] = pd.array([gorder.get(b) for b in cands["beat"]], dtype="Int64")
    # one meaning per column name across outputs: these counts are within program hours
    cands = cands.rename(
        columns={
            c: f"{c}_in_hours"
            for c in cands.columns
            if c == "eligible_any" or c in {f"eligible_{p}" for p in problem.programs}
        }
    )
    cands = _with_equity(area, problem, result, cands, notes)
    within = None
    if bases is not None:
        within = calls_within_distance(problem, within_m, beats=result.beats)
        notes.append(
            f"Within {within_m:,.0f} m ({distance_method}) of a base: "
            f"{within['share_within_any']:.1%} of the eligible calls the proposal covers."
        )
    return BeatPlan(
        problem=problem,
        result=result,
        curve=curve,
        compare=compare,
        candidates=cands,
        notes=notes,
        bases=bases,
        within=within,
        within_m=within_m,
        distance_method=distance_method,
        capacity=cap,
        target=target,
        contiguous=contiguous,
    )


def plan_text(plan: BeatPlan) -> str:
    """The plain-text answer ``geo-heart expand`` prints."""
    problem, result, cands, compare = plan.problem, plan.result, plan.candidates, plan.compare
    lines = []
    show = ["rank", "beat", "touches_area", "eligible_any_in_hours"] + [
        f"eligible_{p}_in_hours" for p in problem.programs
    ]
    show += [c for c in ("eligible_per_1000", "eligible_per_sq_mi", "distance_m") if c in cands]
    show += ["greedy_step", "selected"]
    lines += [cands[show].to_string(index=False, na_rep=""), ""]
    what = (
        f"k={result.k}"
        if plan.target is None
        else f"target {plan.target:.0%} -> {len(result.beats)} beats"
    )
    lines.append(
        f"Optimal ({what}{', contiguous' if plan.contiguous else ''}): add "
        f"{' '.join(result.beats) or 'nothing'}  [status {result.status}, proven optimal "
        f"{result.optimal}, {result.solve_time_s:.2f} s]"
    )
    total = problem.total
    lines.append(
        f"  {problem.demand_basis} covered: {result.base_covered:,.0f} -> {result.covered:,.0f}"
        f" of {total:,.0f} ({result.base_covered / total:.1%} -> {result.coverage:.1%})"
        if total
        else "  no eligible calls"
    )
    if plan.capacity is not None:
        lines.append(
            "  (per program: eligible calls in the area; the line above counts only servable calls)"
        )
    for p in problem.programs:
        tot = float(problem.demand[f"eligible_{p}"].sum())
        if tot:
            before = float(problem.demand.loc[list(problem.base), f"eligible_{p}"].sum())
            after = result.per_program[f"covered_{p}"]
            lines.append(
                f"  {p}: {before:,.0f} -> {after:,.0f} of {tot:,.0f} "
                f"({before / tot:.1%} -> {after / tot:.1%})"
            )
    if plan.within is not None:
        lines.append(
            f"  within {plan.within_m:,.0f} m of a base ({plan.distance_method}): "
            f"{plan.within['share_within_any']:.1%} of covered eligible calls"
        )
    lines += [n for n in plan.notes if n.startswith(("Equity:", "Objective:"))]
    if len(compare):
        lines += ["Greedy vs optimal:", compare.to_string(index=False)]
    return "\n".join(lines)


def _step(progress, text: str) -> None:
    if progress is not None:
        progress.update()
        progress.set_postfix_str(text)


def _with_equity(area, problem, result, cands: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Candidates with each beat's equity effect, and a note on the selection's (when the area
    has census tracts for ``[equity]``)."""
    from geo_heart.analysis.equity import MissingLayerError
    from geo_heart.expansion.equity import beat_effects, selection_sentence

    try:
        eff = beat_effects(area, problem.base, cands["beat"].tolist())
        notes.append(selection_sentence(area, problem.base, result.beats))
    except MissingLayerError:
        return cands
    return cands.merge(eff, on="beat", how="left")
