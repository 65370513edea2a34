"""Expansion planning: which beats to add to a service area next, and what each choice buys.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from geo_heart.errors import InputError

log = logging.getLogger(__name__)

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
METRES_PER_US_FOOT = 1200.0 / 3937.0


@dataclass(frozen=True)
class Capacity:
    """What the teams can serve: ``calls_per_shift`` per team per shift, ``teams`` on each shift.

    One shift per day the programs are open; over the data period the capacity of shift class
    ``s`` (a weekday) is ``calls_per_shift × teams × (number of open days of that weekday)``.
    """

    calls_per_shift: float
    teams: int = 1

    def __post_init__(self) -> None:
        if not self.calls_per_shift > 0:
            raise InputError(f"capacity: calls per shift must be > 0, got {self.calls_per_shift!r}")
        if int(self.teams) < 1:
            raise InputError(f"capacity: teams must be >= 1, got {self.teams!r}")


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
        population: bool = True,
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
            Apportion residents from ``[layers.population]`` (needs the file).
        """
        from geo_heart.dispatch.eligibility import eligibility_frame, programs_for

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
        elig = eligibility_frame(
            area,
            beats=f["beat"],
            call_types=f["call_type"],
            risk=f["risk"].to_numpy(dtype=bool),
            minute_of_week=f["minute_of_week"],
            programs={p: progs[p] for p in programs},
        )
        beat_col = f["beat"].to_numpy(dtype=object)
        keep = pd.Series(beat_col).isin(beats).to_numpy()
        per = {p: (elig[f"{p}_type"] & elig[f"{p}_hours"]).to_numpy() & keep for p in programs}
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
        # shift classes: weekday of the (local) call; shifts = open days in the data period
        mow = f["minute_of_week"].to_numpy()
        day = np.where(mow >= 0, mow // 1440, -1)
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
        log.info(
            "expansion problem: %d beats (%d in %s), %d eligible calls within hours",
            len(beats),
            len(problem.base),
            sa_key,
            int(table["eligible_any"].sum()),
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
def beat_neighbors(
    ws, *, contiguity: str = "rook", tolerance_m: float = 1.0
) -> dict[str, set[str]]:
    """Beat adjacency from the beat polygons with libpysal.

    Parameters
    ----------
    contiguity
        ``"rook"`` (a shared edge) or ``"queen"`` (a shared edge or corner).
    tolerance_m
        Also join beats whose boundaries come within this distance (dissolved multi-part beats may
        leave slivers between neighbours); ``0`` turns it off.
    """
    import libpysal

    key = ("neighbors", contiguity, float(tolerance_m))
    if key in ws._cache:
        return {b: set(v) for b, v in ws._cache[key].items()}
    if contiguity not in ("rook", "queen"):
        raise InputError(f"contiguity must be 'rook' or 'queen', got {contiguity!r}")
    gdf = ws.beat_index.to_geodataframe().to_crs(ws.config.projected_crs).reset_index(drop=True)
    ids = gdf["beat"].tolist()
    cls = libpysal.weights.Rook if contiguity == "rook" else libpysal.weights.Queen
    w = cls.from_dataframe(gdf, use_index=False, ids=ids, silence_warnings=True)
    nb = {b: set(w.neighbors[b]) for b in ids}
    if tolerance_m > 0:
        import shapely

        unit = _crs_unit_m(ws.config.projected_crs)
        geoms = gdf.geometry.values
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_m / unit)
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i != j:
                nb[ids[i]].add(ids[j])
                nb[ids[j]].add(ids[i])
    ws._cache[key] = nb
    return {b: set(v) for b, v in nb.items()}


def _crs_unit_m(crs: str) -> float:
    from pyproj import CRS

    axis = CRS.from_user_input(crs).axis_info[0]
    return float(axis.unit_conversion_factor or 1.0)


def demand_points(ws, data, beats: Sequence[str], *, mask: np.ndarray | None = None) -> np.ndarray:
    """A demand point per beat in the projected CRS (``n × 2``).

    With call coordinates, the mean of the (eligible, ``mask``) calls' projected positions;
    otherwise (or for beats without such calls) the beat polygon's representative point.
    """
    from pyproj import Transformer

    crs = ws.config.projected_crs
    idx = ws.beat_index
    gdf = idx.to_geodataframe().set_index("beat").to_crs(crs)
    rep = gdf.geometry.representative_point()
    out = np.column_stack([rep.x.reindex(beats).to_numpy(), rep.y.reindex(beats).to_numpy()])
    f = data.frame
    if "lon" in f.columns and f["lon"].notna().any():
        m = f["lon"].notna().to_numpy() & f["lat"].notna().to_numpy()
        if mask is not None:
            m &= mask
        if m.any():
            tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
            x, y = tr.transform(f["lon"].to_numpy()[m], f["lat"].to_numpy()[m])
            pts = pd.DataFrame({"beat": f["beat"].to_numpy(dtype=object)[m], "x": x, "y": y})
            mean = pts.groupby("beat")[["x", "y"]].mean()
            for i, b in enumerate(beats):
                if b in mean.index:
                    out[i] = mean.loc[b].to_numpy()
    return out


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
def bases_from_table(
    ws,
    table: pd.DataFrame,
    *,
    source: str = "bases",
    name_column: str = "name",
    lon_column: str = "lon",
    lat_column: str = "lat",
    address_column: str = "address",
) -> pd.DataFrame:
    """Team bases as ``name, lon, lat`` from a table with lon/lat or (with the geocoder) addresses.

    Raises
    ------
    InputError
        No usable location columns, or a base that cannot be placed (row and value named).
    """
    df = table.reset_index(drop=True)
    names = (
        df[name_column].astype(str).tolist()
        if name_column in df.columns
        else [f"base {i + 1}" for i in range(len(df))]
    )
    if df.empty:
        raise InputError(f"{source}: no team bases in the file")
    if lon_column in df.columns and lat_column in df.columns:
        lon = pd.to_numeric(df[lon_column], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(df[lat_column], errors="coerce").to_numpy(dtype=float)
        for i in range(len(df)):
            if not (np.isfinite(lon[i]) and np.isfinite(lat[i])) or abs(lat[i]) > 90:
                raise InputError(
                    f"{source}: row {i + 2}: invalid {lon_column}/{lat_column} "
                    f"{df[lon_column].iloc[i]!r}, {df[lat_column].iloc[i]!r}"
                )
    elif address_column in df.columns:
        try:
            from geo_heart.geocode.match import geocoder_for
        except ImportError:
            raise InputError(
                f"{source}: bases given by {address_column!r} need the geocoder, which is not "
                f"available; give {lon_column}/{lat_column} columns"
            ) from None
        res = geocoder_for(ws).geocode_many(df[address_column].astype(str).tolist())
        lon = pd.to_numeric(res["lon"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(res["lat"], errors="coerce").to_numpy(dtype=float)
        for i in range(len(df)):
            if not (np.isfinite(lon[i]) and np.isfinite(lat[i])):
                raise InputError(
                    f"{source}: row {i + 2}: could not geocode {address_column} "
                    f"{df[address_column].iloc[i]!r}"
                )
    else:
        raise InputError(
            f"{source}: needs {lon_column!r} and {lat_column!r} columns (or {address_column!r}); "
            f"has {list(df.columns)}"
        )
    return pd.DataFrame({"name": names, "lon": lon, "lat": lat})


def distances_from_bases(
    ws,
    problem: ExpansionProblem,
    bases: pd.DataFrame,
    *,
    method: str = "straight",
    roads_path=None,
) -> pd.DataFrame:
    """Distance in metres from each base to each beat's demand point.

    Parameters
    ----------
    bases
        ``name, lon, lat`` (:func:`bases_from_table`).
    method
        ``"straight"`` (straight line in the projected CRS) or ``"network"`` (shortest path over
        the road layer, snap distances included; see :mod:`geo_heart.geo.network`).
    roads_path
        Road line file (default: ``[layers.roads].file``).

    Returns
    -------
    pandas.DataFrame
        Index beats, one column per base, plus ``nearest_base`` and ``distance_m`` (to the nearest).
    """
    from pyproj import Transformer

    if problem.demand_xy is None:
        raise InputError("distances need demand points per beat (build the problem from calls)")
    if method not in ("straight", "network"):
        raise InputError(f"distance method must be 'straight' or 'network', got {method!r}")
    crs = ws.config.projected_crs
    unit = _crs_unit_m(crs)
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    bx, by = tr.transform(bases["lon"].to_numpy(dtype=float), bases["lat"].to_numpy(dtype=float))
    base_xy = np.column_stack([bx, by])
    pts = problem.demand_xy.loc[problem.beats, ["x", "y"]].to_numpy()
    if method == "straight":
        d = np.hypot(base_xy[:, None, 0] - pts[None, :, 0], base_xy[:, None, 1] - pts[None, :, 1])
    else:
        if roads_path is None:
            roads_path = ws.layer_path("roads")
        type_field = (
            ws.config.layer_value("roads", "type_field", "type")
            if "roads" in ws.config.layers
            else "type"
        )
        net = _network_cached(ws, str(roads_path), crs, type_field)
        d = net.distances(base_xy, pts)
    d = d * unit
    out = pd.DataFrame(d.T, index=pd.Index(problem.beats, name="beat"), columns=list(bases["name"]))
    out["nearest_base"] = out[list(bases["name"])].idxmin(axis=1)
    out["distance_m"] = out[list(bases["name"])].min(axis=1)
    return out


def _network_cached(ws, path: str, crs: str, type_field: str):
    from pathlib import Path

    from geo_heart.geo.network import RoadNetwork

    p = Path(path)
    if not p.exists():
        raise InputError(f"road file {path!r} does not exist")
    key = ("road_network", path, p.stat().st_mtime, crs, type_field)
    return ws.cached(key, lambda: RoadNetwork.from_file(p, crs, type_field=type_field))


def calls_within_distance(
    problem: ExpansionProblem, threshold_m: float, *, beats: Iterable[str] = ()
) -> dict[str, float]:
    """Eligible calls (``eligible_any`` and per program) in the current area plus ``beats`` whose
    beat demand point lies within ``threshold_m`` of the nearest base, and their share of the
    calls those beats cover."""
    if problem.distance_m is None:
        raise InputError("no distances: add team bases first (ExpansionProblem.with_distance)")
    sel = [b for b in problem.beats if b in set(problem.base) | set(beats)]
    near = [b for b in sel if problem.distance_m[b] <= threshold_m]
    out = {}
    for col in ["eligible_any"] + [f"eligible_{p}" for p in problem.programs]:
        tot = float(problem.demand.loc[sel, col].sum())
        hit = float(problem.demand.loc[near, col].sum())
        name = col[len("eligible_") :]
        out[f"within_{name}"] = hit
        out[f"share_within_{name}"] = round(hit / tot, 5) if tot else float("nan")
    return out
