"""Expansion planning: which beats to add (partial coverage, the pilot retrospective) and, once a
program serves the whole city, which hours, county areas and call types to add.

Modules: :mod:`~geo_heart.expansion.problem` (the problem from calls or arrays),
:mod:`~geo_heart.expansion.select` (candidates, greedy curve, exact selection),
:mod:`~geo_heart.expansion.distance` (adjacency, demand points, bases, distances),
:mod:`~geo_heart.expansion.solvers` (PuLP/CBC), :mod:`~geo_heart.expansion.today` (hours, county,
call types from where the program is today).
"""

from geo_heart.expansion.distance import (
    bases_from_table,
    beat_neighbors,
    calls_within_distance,
    demand_points,
    distances_from_bases,
)
from geo_heart.expansion.plan import BeatPlan, plan_beats, plan_text
from geo_heart.expansion.problem import Capacity, ExpansionProblem
from geo_heart.expansion.select import (
    ExpansionResult,
    candidates_table,
    compare_greedy_optimal,
    greedy_curve,
    optimal_selection,
    program_coverage,
)
from geo_heart.expansion.today import (
    TodayPlan,
    partial_coverage,
    today_candidates,
    today_text,
    with_equity_text,
)

__all__ = [
    "BeatPlan",
    "plan_beats",
    "plan_text",
    "Capacity",
    "ExpansionProblem",
    "ExpansionResult",
    "bases_from_table",
    "beat_neighbors",
    "calls_within_distance",
    "candidates_table",
    "compare_greedy_optimal",
    "demand_points",
    "distances_from_bases",
    "greedy_curve",
    "optimal_selection",
    "program_coverage",
    "partial_coverage",
    "TodayPlan",
    "today_candidates",
    "today_text",
    "with_equity_text",
]
