"""Expansion planning, the problem: which beats to add to a service area next, and what each choice buys.

The unit of demand is an **eligible call within hours**: a call whose type (with its weapon/violence
flag) one of the expanding programs takes, at a time the program is open. Adding a beat to the
service area makes its eligible-within-hours calls covered. The programs that expand are those whose
configured service area is the one being expanded (for Durham's pilot: CRT, CoR and CN; CCD is
citywide already). A call counts once even when several of those programs could take it
(``eligible_any``); per-program figures are reported beside it.

Following spopt, the model is built from plain arrays with :meth:`ExpansionProblem.from_demand` and
from call data with :meth:`ExpansionProblem.from_calls` (which computes the arrays and calls the
first). Then:

* :func:`candidates_table` — every candidate beat with its marginal gain, per resident, per square
  mile, and whether it touches the current area;
* :func:`greedy_curve` — the cumulative coverage curve when beats are added greedily;
* :func:`optimal_selection` — the best ``k`` beats (or fewest beats reaching a target) solved
  exactly with PuLP/CBC, with contiguity, required/excluded beats, a team-capacity limit and a
  distance-from-bases limit;
* :func:`distances_from_bases` — straight-line or road-network distance from team bases to each
  beat's demand point.

>>> problem = ExpansionProblem.from_calls(ws, load_calls(ws))   # doctest: +SKIP
>>> optimal_selection(problem, k=3, contiguous=True).beats        # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from geo_heart.config.schedule import DAY_NAMES
from geo_heart.errors import InputError
from geo_heart.expansion.distance import beat_neighbors, demand_points

log = logging.getLogger(__name__)

METRES_PER_US_FOOT = 1200.0 / 3937.0


#: Most calls one team takes in a shift (``--capacity``), and most teams on a shift (``--teams``).
MAX_CALLS_PER_SHIFT = 10_000
MAX_TEAMS_PER_SHIFT = 200


@dataclass(frozen=True)
class Capacity:
    """What the teams can serve: ``calls_per_shift`` per team per shift, ``teams`` on each shift.

    One shift per day the programs are open; over the data period the capacity of shift class
    ``s`` (a weekday) is ``calls_per_shift × teams × (number of open days of that weekday)``.
    """

    calls_per_shift: float
    teams: int = 1

    def __post_init__(self) -> None:
        # bounded: the selection model's constraints are capacity × teams × open days, and an
        # infinite or astronomically large right-hand side breaks the solver (issue 30 #11)
        c = self.calls_per_shift
        if isinstance(c, bool) or not (math.isfinite(c) and 0 < c <= MAX_CALLS_PER_SHIFT):
            raise InputError(
                f"--capacity {c!r}: calls one team can take per shift must be above 0 and at "
                f"most {MAX_CALLS_PER_SHIFT:,}"
            )
        if isinstance(self.teams, bool) or not 1 <= int(self.teams) <= MAX_TEAMS_PER_SHIFT:
            raise InputError(
                f"--teams {self.teams!r}: teams on each shift must be from 1 to "
                f"{MAX_TEAMS_PER_SHIFT}"
            )


@dataclass
class ExpansionProblem:
    """Demand per beat, adjacency and the current area: everything a selection needs.

    Attributes
    ----------
    beats
        Beats considered (current area and candidates), in layer order.
    base
        Beats of the current service area.
    demand
        Index ``beats``; column ``eligible_any`` (calls counted by the objective) and
        ``eligible_<P>`` per expanding program: eligible calls within hours.
    neighbors
        Beat → adjacent beats (restricted to ``beats``).
    shift_demand
        ``len(beats) × S`` objective calls by shift class (weekday), or ``None``.
    shift_counts
        Number of shifts of each class in the data period (open days), or ``None``.
    population, area_sq_mi
        Per beat (``NaN`` when unknown).
    demand_xy
        Per beat demand point in the projected CRS (columns ``x``, ``y``), or ``None``.
    programs
        Expanding programs.
    label
        Name of the current area (for reports).
    """

    beats: list[str]
    base: frozenset[str]
    demand: pd.DataFrame
    neighbors: dict[str, set[str]]
    shift_demand: np.ndarray | None = None
    shift_counts: np.ndarray | None = None
    population: pd.Series | None = None
    area_sq_mi: pd.Series | None = None
    demand_xy: pd.DataFrame | None = None
    programs: list[str] = field(default_factory=list)
    label: str = "current area"
    shift_names: tuple[str, ...] = DAY_NAMES
    excluded_beats: dict[str, str] = field(default_factory=dict)
    #: what one unit of demand is (calls with dates only: any hour, hours not judged)
    demand_basis: str = "eligible calls within hours"
    distance_m: pd.Series | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_demand(
        cls,
        beats: Sequence[str],
        demand: pd.DataFrame | Mapping[str, Sequence[float]],
        *,
        base: Iterable[str],
        neighbors: Mapping[str, Iterable[str]],
        shift_demand: np.ndarray | None = None,
        shift_counts: np.ndarray | None = None,
        population: Sequence[float] | None = None,
        area_sq_mi: Sequence[float] | None = None,
        demand_xy: np.ndarray | None = None,
        label: str = "current area",
        excluded_beats: Mapping[str, str] | None = None,
    ) -> ExpansionProblem:
        """Build a problem from plain arrays.

        Parameters
        ----------
        beats
            Beat codes.
        demand
            Per beat (same order): ``eligible_any`` plus optional ``eligible_<P>`` columns, or a
            single column of any name (taken as ``eligible_any``).
        base
            Beats of the current area (must be in ``beats``; may be empty).
        neighbors
            Adjacency; only pairs within ``beats`` are kept, made symmetric.
        shift_demand, shift_counts
            Optional ``len(beats) × S`` demand by shift class and shifts per class, needed for a
            capacity limit.
        population, area_sq_mi, demand_xy
            Optional per-beat residents, area and projected demand point (``n × 2``).
        """
        beats = [str(b) for b in beats]
        if len(set(beats)) != len(beats):
            raise InputError("beats must be unique")
        table = pd.DataFrame(demand).reset_index(drop=True)
        if len(table) != len(beats):
            raise InputError(f"demand has {len(table)} rows for {len(beats)} beats")
        if "eligible_any" not in table.columns:
            if table.shape[1] != 1:
                raise InputError("demand needs an 'eligible_any' column")
            table = table.rename(columns={table.columns[0]: "eligible_any"})
        table.index = pd.Index(beats, name="beat")
        if (table["eligible_any"] < 0).any():
            raise InputError("demand must be >= 0")
        known = set(beats)
        base_set = frozenset(str(b) for b in base)
        unknown = sorted(base_set - known)
        if unknown:
            raise InputError(f"current-area beats not in the beat list: {unknown}")
        nb: dict[str, set[str]] = {b: set() for b in beats}
        for a, others in neighbors.items():
            a = str(a)
            if a not in known:
                continue
            for o in others:
                o = str(o)
                if o in known and o != a:
                    nb[a].add(o)
                    nb[o].add(a)
        programs = [c[len("eligible_") :] for c in table.columns if c.startswith("eligible_")]
        programs = [p for p in programs if p != "any"]
        if shift_demand is not None:
            shift_demand = np.asarray(shift_demand, dtype=float)
            if shift_demand.shape[0] != len(beats):
                raise InputError("shift_demand needs one row per beat")
            shift_counts = np.asarray(shift_counts, dtype=float)
        xy = None
        if demand_xy is not None:
            xy = pd.DataFrame(
                np.asarray(demand_xy, dtype=float), index=table.index, columns=["x", "y"]
            )
        return cls(
            beats=beats,
            base=base_set,
            demand=table,
            neighbors=nb,
            shift_demand=shift_demand,
            shift_counts=shift_counts,
            population=None
            if population is None
            else pd.Series(np.asarray(population, dtype=float), index=table.index),
            area_sq_mi=None
            if area_sq_mi is None
            else pd.Series(np.asarray(area_sq_mi, dtype=float), index=table.index),
            demand_xy=xy,
            programs=programs,
            label=label,
            excluded_beats=dict(excluded_beats or {}),
        )

    @classmethod
    def from_calls(
        cls,
        ws,
        data,
        *,
        service_area: str | None = None,
        programs: Sequence[str] | None = None,
        scenario: str | None = None,
        rules: str | None = None,
        include_outside_city: bool = False,
        contiguity: str = "rook",
        tolerance_m: float = 1.0,
        population: bool | None = None,
    ) -> ExpansionProblem:
        """Build a problem from classified calls (:func:`geo_heart.analysis.calls.load_calls`).

        Parameters
        ----------
        ws
            The workspace.
        data
            :class:`~geo_heart.analysis.calls.CallData`.
        service_area
            The area to expand (default: the area's default service area, e.g. ``pilot``).
        programs
            Expanding programs (default: those whose configured service area is ``service_area``).
        scenario
            Take program hours from this ``[scenarios.*]`` entry. The service area expanded is
            still ``service_area``.
        rules
            The rule set whose programs, areas and hours are expanded (default: the latest). Every
            call is judged under these rules, whatever its date (a retrospective: "which beats
            should the pilot have added?" is ``rules="pilot"``).
        include_outside_city
            Keep beats flagged ``outside_city`` in ``[beats.special]`` (Durham: ``999``, Sheriff
            territory) as candidates; by default they are left out, with their calls.
        contiguity, tolerance_m
            Adjacency rule for :func:`beat_neighbors`.
        population
            Apportion residents from ``[layers.population]`` (default: when it is configured).

        Calls with a date but no time of day (``data.hours_judged`` false) count as demand by
        type and area at any hour: the hours cannot be judged from them (said in the log).
        """
        from geo_heart.dispatch.eligibility import eligibility_for_calls, programs_for

        area = ws.config
        rule_set = area.rule_set(rules)
        under = area.programs_under(rule_set)
        sa_key = service_area or rule_set.service_area or area.default_service_area
        if sa_key not in area.service_areas:
            raise InputError(
                f"unknown service area {sa_key!r}; known: {sorted(area.service_areas)}"
            )
        sa = area.service_areas[sa_key]
        if programs is None:
            programs = [c for c, p in under.items() if p.service_area == sa_key and p.active]
            if not programs:
                raise InputError(
                    f"under the {rule_set.label} rules no program has service area {sa_key!r}; "
                    "pass programs, or choose rules with partial coverage (e.g. --rules "
                    f"{_partial_rule_sets(area) or 'NAME'})"
                )
        else:
            bad = [p for p in programs if p not in area.programs]
            if bad:
                raise InputError(f"unknown programs {bad}; known: {list(area.programs)}")
        programs = list(programs)
        progs = programs_for(area, scenario, rules=rule_set)
        idx = ws.beat_index
        excluded: dict[str, str] = {}
        if not include_outside_city:
            for code, special in area.beats.special.items():
                if special.outside_city and code in idx.beats:
                    excluded[code] = special.label
        beats = [b for b in idx.beats if b not in excluded]
        f = data.frame
        elig = eligibility_for_calls(
            area,
            f,
            programs={p: progs[p] for p in programs},
        )
        beat_col = f["beat"].to_numpy(dtype=object)
        keep = pd.Series(beat_col).isin(beats).to_numpy()
        if population is None:
            population = "population" in area.layers
        judged = getattr(data, "hours_judged", True)
        if not judged:
            log.warning("calls have dates but no time of day: demand is by type and area, any hour")
        per = {
            p: (elig[f"{p}_type"] & (elig[f"{p}_hours"] if judged else True)).to_numpy() & keep
            for p in programs
        }
        any_mask = np.zeros(len(f), dtype=bool)
        for m in per.values():
            any_mask |= m
        g = pd.Series(beat_col)
        table = pd.DataFrame(index=pd.Index(beats, name="beat"))
        table["eligible_any"] = g[any_mask].value_counts().reindex(beats, fill_value=0).to_numpy()
        for p in programs:
            table[f"eligible_{p}"] = (
                g[per[p]].value_counts().reindex(beats, fill_value=0).to_numpy()
            )
        # shift classes: the day the shift started (a call after midnight inside a night shift
        # belongs to the day before); shifts = open days in the data period
        mow = f["minute_of_week"].to_numpy()
        day = np.where(mow >= 0, mow // 1440, -1)
        spill = np.zeros(7 * 1440, dtype=bool)
        for p in programs:
            spill |= progs[p].hours.split_masks_cached()[1]
        night = (mow >= 0) & spill[np.maximum(mow, 0) % spill.size]
        day = np.where(night, (day - 1) % 7, day)
        pos = {b: i for i, b in enumerate(beats)}
        rows = np.array([pos.get(b, -1) for b in beat_col[any_mask]], dtype=np.int64)
        shift_demand = np.zeros((len(beats), 7))
        np.add.at(shift_demand, (rows, day[any_mask]), 1.0)
        shift_counts = _open_days_in_period(f["local_time"], [progs[p] for p in programs])
        xy = demand_points(ws, data, beats, mask=any_mask)
        areas = idx.area_sq_mi()
        pop = None
        if population:
            from geo_heart.analysis.demand import population_by_beat

            pop = population_by_beat(ws).reindex(beats).fillna(0.0).to_numpy()
        problem = cls.from_demand(
            beats,
            table.reset_index(drop=True),
            base=[b for b in beats if sa.contains(b)],
            neighbors=beat_neighbors(ws, contiguity=contiguity, tolerance_m=tolerance_m),
            shift_demand=shift_demand,
            shift_counts=shift_counts,
            population=pop,
            area_sq_mi=[areas[b] for b in beats],
            demand_xy=xy,
            label=sa.label,
            excluded_beats=excluded,
        )
        if not judged:
            problem.demand_basis = "eligible calls at any hour (dates only: hours not judged)"
        log.info(
            "expansion problem: %d beats (%d in %s), %d eligible calls (%s)",
            len(beats),
            len(problem.base),
            sa_key,
            int(table["eligible_any"].sum()),
            problem.demand_basis,
        )
        return problem

    # ------------------------------------------------------------------ helpers
    @property
    def candidates(self) -> list[str]:
        """Beats not in the current area, in layer order."""
        return [b for b in self.beats if b not in self.base]

    @property
    def total(self) -> float:
        """Eligible calls within hours over every beat considered (the coverage denominator)."""
        return float(self.demand["eligible_any"].sum())

    def covered(self, beats: Iterable[str], *, capacity: Capacity | None = None) -> float:
        """Objective calls covered (served, with a capacity) by the current area plus ``beats``."""
        sel = set(self.base) | set(beats)
        if capacity is None:
            return float(self.demand.loc[[b for b in self.beats if b in sel], "eligible_any"].sum())
        cap = self.shift_capacity(capacity)
        mask = np.array([b in sel for b in self.beats])
        return float(np.minimum(self.shift_demand[mask].sum(axis=0), cap).sum())

    def shift_capacity(self, capacity: Capacity) -> np.ndarray:
        """Capacity per shift class over the data period."""
        if self.shift_demand is None or self.shift_counts is None:
            raise InputError("a capacity limit needs demand by shift (build from calls)")
        return capacity.calls_per_shift * int(capacity.teams) * self.shift_counts

    def is_contiguous(self, beats: Iterable[str]) -> bool:
        """True if every beat in ``beats`` links to the current area through selected beats
        (with an empty current area: ``beats`` form one connected group)."""
        sel = set(beats)
        if not sel:
            return True
        if self.base:
            frontier = [b for b in sel if self.neighbors[b] & self.base]
        else:
            frontier = [next(iter(sorted(sel)))]
        seen = set(frontier)
        while frontier:
            b = frontier.pop()
            for o in self.neighbors[b]:
                if o in sel and o not in seen:
                    seen.add(o)
                    frontier.append(o)
        return seen == sel

    def touches_area(self, beat: str) -> bool:
        """True if ``beat`` shares a boundary with the current area."""
        return bool(self.neighbors[beat] & self.base)

    def with_distance(self, distance_m: pd.Series | Mapping[str, float]) -> ExpansionProblem:
        """A copy carrying the distance (m) from the nearest base to each beat."""
        s = pd.Series(distance_m, dtype=float).reindex(self.beats)
        return replace(self, distance_m=s)


# ---------------------------------------------------------------------- adjacency and points
def _partial_rule_sets(area) -> str:
    """Names of rule sets under which some program serves only part of the beats."""
    out = []
    for rs in area.timeline.rule_sets:
        if rs.synthetic:
            continue
        progs = area.programs_under(rs)
        if any(
            p.active and not area.service_areas[p.service_area].all_beats for p in progs.values()
        ):
            out.append(rs.name)
    return ", ".join(out)


def _open_days_in_period(local_time: pd.Series, programs: Sequence) -> np.ndarray:
    """Open days of each weekday between the first and last call (any of ``programs`` open)."""
    t = pd.to_datetime(local_time).dropna()
    counts = np.zeros(7)
    if t.empty:
        return counts
    days = pd.date_range(t.min().normalize(), t.max().normalize(), freq="D")
    open_wd = np.zeros(7, dtype=bool)
    for p in programs:
        mask = np.asarray(p.hours.hour_mask(), dtype=float).reshape(7, 24)
        open_wd |= mask.sum(axis=1) > 0
    wd = days.day_of_week.to_numpy()
    for d in range(7):
        counts[d] = float((wd == d).sum()) if open_wd[d] else 0.0
    return counts


# ---------------------------------------------------------------------- candidates and greedy
