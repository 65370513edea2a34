"""Expansion planning: exact selections checked against brute force, on synthetic grids and Durham."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

import geo_heart.expansion as ex
from geo_heart.errors import InputError

PILOT = ["111", "112", "113", "114", "122", "214", "223", "411", "413", "511", "512", "513"]


# ----------------------------------------------------------------------------- helpers
def grid_problem(weights, *, base=("0,0",), shift=None, counts=None) -> ex.ExpansionProblem:
    """A rows × cols grid of beats 'r,c' with rook adjacency."""
    w = np.asarray(weights, dtype=float)
    rows, cols = w.shape
    beats = [f"{r},{c}" for r in range(rows) for c in range(cols)]
    nb = {}
    for r in range(rows):
        for c in range(cols):
            nb[f"{r},{c}"] = [
                f"{r + dr},{c + dc}"
                for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1))
                if 0 <= r + dr < rows and 0 <= c + dc < cols
            ]
    return ex.ExpansionProblem.from_demand(
        beats,
        {"eligible_any": w.ravel()},
        base=list(base),
        neighbors=nb,
        shift_demand=shift,
        shift_counts=counts,
    )


def connected_sets(problem: ex.ExpansionProblem, k: int, allowed=None):
    """Every set of k candidates that links to the current area through itself (or, with an
    empty area, is connected) — grown one neighbour at a time, deduplicated."""
    cands = set(problem.candidates) if allowed is None else set(allowed)
    if problem.base:
        level = {frozenset([b]) for b in cands if problem.neighbors[b] & problem.base}
    else:
        level = {frozenset([b]) for b in cands}
    for _ in range(k - 1):
        nxt = set()
        for s in level:
            frontier = set().union(*(problem.neighbors[b] for b in s))
            if problem.base:
                frontier |= set().union(*(problem.neighbors[b] for b in problem.base))
            for b in (frontier & cands) - s:
                nxt.add(s | {b})
        level = nxt
    return level


def brute_best(problem, k, *, contiguous, capacity=None, allowed=None, must=()):
    cands = problem.candidates if allowed is None else list(allowed)
    sets = (
        connected_sets(problem, k, allowed=cands)
        if contiguous
        else {frozenset(c) for c in itertools.combinations(cands, k)}
    )
    sets = [s for s in sets if set(must) <= s]
    if not sets:
        return None, None
    best = max(sets, key=lambda s: problem.covered(s, capacity=capacity))
    return problem.covered(best, capacity=capacity), best


# ----------------------------------------------------------------------------- synthetic
def test_contiguity_forces_a_path_to_a_far_hot_spot():
    # base top-left; the hot beat sits in the far corner; k=1 cannot reach it
    w = [[5, 1, 1], [1, 1, 1], [1, 1, 50]]
    p = grid_problem(w)
    free = ex.optimal_selection(p, k=1)
    assert free.beats == ["2,2"] and free.optimal
    cont = ex.optimal_selection(p, k=1, contiguous=True)
    assert cont.beats[0] in {"0,1", "1,0"} and cont.covered == 6.0
    # k=4 reaches it along a path of 3 beats: 5 + 50 + 1+1+1
    cont4 = ex.optimal_selection(p, k=4, contiguous=True)
    assert "2,2" in cont4.beats and cont4.covered == 58.0
    assert p.is_contiguous(cont4.beats)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_flow_contiguity_matches_brute_force_on_random_grids(seed):
    rng = np.random.default_rng(seed)
    w = rng.integers(0, 40, size=(4, 4))
    base = ("1,1",) if seed % 2 else ("0,0", "0,1")
    p = grid_problem(w, base=base)
    for k in range(1, 5):
        res = ex.optimal_selection(p, k=k, contiguous=True)
        best, _ = brute_best(p, k, contiguous=True)
        assert res.optimal and res.covered == pytest.approx(best)
        assert len(res.beats) == k and p.is_contiguous(res.beats)


def test_empty_current_area_selects_one_connected_group():
    w = [[9, 0, 9], [0, 0, 0], [9, 0, 9]]
    p = grid_problem(w, base=())
    res = ex.optimal_selection(p, k=3, contiguous=True)
    assert p.is_contiguous(res.beats)
    best, _ = brute_best(p, 3, contiguous=True)
    assert res.covered == best == 18.0  # two corners joined through an edge beat
    assert ex.optimal_selection(p, k=3).covered == 27.0


def test_required_and_excluded_beats():
    w = [[0, 10, 20], [1, 2, 3]]
    p = grid_problem(w)
    res = ex.optimal_selection(p, k=2, required=["1,0"], excluded=["0,2"])
    assert sorted(res.beats) == ["0,1", "1,0"]
    assert res.covered == 11.0
    with pytest.raises(InputError, match="both required and excluded"):
        ex.optimal_selection(p, k=2, required=["0,2"], excluded=["0,2"])
    with pytest.raises(InputError, match="already in the current area"):
        ex.optimal_selection(p, k=1, required=["0,0"])
    with pytest.raises(InputError, match="not a beat"):
        ex.optimal_selection(p, k=1, excluded=["9,9"])


def test_contiguity_infeasible_cases_report_status():
    w = [[0, 1, 1, 1, 7]]
    p = grid_problem(w)
    # the required far beat cannot be linked with only 2 beats
    res = ex.optimal_selection(p, k=2, contiguous=True, required=["0,4"])
    assert res.status == "Infeasible" and not res.feasible and res.beats == []
    # excluding the only neighbour cuts the area off
    res = ex.optimal_selection(p, k=1, contiguous=True, excluded=["0,1"])
    assert res.status == "Infeasible"
    # with k=4 it is the whole row
    res = ex.optimal_selection(p, k=4, contiguous=True, required=["0,4"])
    assert res.feasible and res.covered == 10.0


def test_capacity_counts_only_servable_demand():
    # two shift classes; base already saturates shift 0 (capacity 10 per class)
    beats = ["A", "B", "C"]
    shift = np.array([[10.0, 0.0], [30.0, 0.0], [0.0, 8.0]])
    p = ex.ExpansionProblem.from_demand(
        beats,
        {"eligible_any": shift.sum(axis=1)},
        base=["A"],
        neighbors={"A": ["B", "C"]},
        shift_demand=shift,
        shift_counts=np.array([5.0, 5.0]),
    )
    cap = ex.Capacity(calls_per_shift=2, teams=1)  # 10 per class over 5 shifts
    assert p.covered([], capacity=cap) == 10.0
    # without capacity B (30 calls) wins; with it, B adds nothing and C adds 8
    assert ex.optimal_selection(p, k=1).beats == ["B"]
    res = ex.optimal_selection(p, k=1, capacity=cap)
    assert res.beats == ["C"] and res.covered == pytest.approx(18.0)
    assert ex.greedy_curve(p, k=1, capacity=cap)["beat"].iloc[1] == "C"
    with pytest.raises(InputError):
        ex.Capacity(calls_per_shift=0)


def test_fewest_beats_to_reach_target():
    w = [[10, 40, 5], [30, 5, 10]]  # total 100; base 10
    p = grid_problem(w)
    res = ex.optimal_selection(p, target=0.8)
    # 10 + 40 + 30 = 80 with two beats; no single beat suffices
    assert sorted(res.beats) == ["0,1", "1,0"] and res.covered == 80.0 and res.k == 2
    res = ex.optimal_selection(p, target=0.1)
    assert res.beats == [] and res.covered == 10.0
    # the target cannot be met under a 1-beat cap
    assert ex.optimal_selection(p, target=0.8, k=1).status == "Infeasible"


def test_greedy_curve_is_monotone_and_contiguous():
    rng = np.random.default_rng(7)
    p = grid_problem(rng.integers(0, 30, size=(4, 4)))
    curve = ex.greedy_curve(p, contiguous=True)
    assert len(curve) == 16  # step 0 + 15 candidates
    assert (np.diff(curve["covered"]) >= 0).all()
    assert curve["covered"].iloc[-1] == p.total and curve["coverage"].iloc[-1] == 1.0
    for k in range(1, 16):
        assert p.is_contiguous(curve["beat"].iloc[1 : k + 1])


def test_from_demand_validates():
    with pytest.raises(InputError, match="rows"):
        ex.ExpansionProblem.from_demand(["A"], {"eligible_any": [1, 2]}, base=[], neighbors={})
    with pytest.raises(InputError, match="not in the beat list"):
        ex.ExpansionProblem.from_demand(["A"], {"eligible_any": [1]}, base=["Z"], neighbors={})
    p = grid_problem([[1, 2]])
    with pytest.raises(InputError, match="give k"):
        ex.optimal_selection(p)
    with pytest.raises(InputError, match="between 0 and"):
        ex.optimal_selection(p, k=5)


def test_road_network_distance_follows_the_roads():
    import shapely

    from geo_heart.geo.network import RoadNetwork

    # an L of two roads plus a crossing road that only meets the L in mid-segment
    lines = [
        shapely.LineString([(0, 0), (1000, 0)]),
        shapely.LineString([(1000, 0), (1000, 1000)]),
        shapely.LineString([(500, -200), (500, 200)]),
    ]
    net = RoadNetwork.from_lines(np.array(lines), "EPSG:32617")
    d = net.distances(np.array([[0.0, 0.0]]), np.array([[1000.0, 1000.0], [1000.0, 1010.0]]))
    assert d[0, 0] == pytest.approx(2000.0)
    assert d[0, 1] == pytest.approx(2010.0)  # 10 m snap at the end


# ----------------------------------------------------------------------------- Durham
@pytest.fixture(scope="module")
def durham(workspace):
    from geo_heart.analysis.calls import load_calls

    data = load_calls(workspace, rules="pilot")  # the pilot retrospective
    return ex.ExpansionProblem.from_calls(workspace, data, rules="pilot"), data


def test_durham_problem_shape(durham):
    p, data = durham
    assert sorted(p.base) == sorted(PILOT)
    assert "999" not in p.beats and "999" in p.excluded_beats
    assert len(p.beats) == 36 and len(p.candidates) == 24
    assert p.programs == ["CRT", "CoR", "CN"]
    # the pilot's demand equals what the calls module says the pilot covers today
    f = data.frame
    assert p.covered([]) == int((f["CRT"] | f["CoR"] | f["CN"]).sum())
    # beats from the polygons: 111 touches 112 and 212; 299 only touches 999 (left out)
    assert {"112", "113", "212"} <= p.neighbors["111"]
    assert p.neighbors["299"] == set()
    cands = ex.candidates_table(p)
    assert cands["rank"].tolist() == list(range(1, 25))
    assert (np.diff(cands["eligible_any"]) <= 0).all()
    assert set(cands.loc[cands["touches_area"], "beat"]) == {
        b for b in p.candidates if p.neighbors[b] & set(PILOT)
    }
    assert cands["population"].sum() > 150_000


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_durham_contiguous_optimum_matches_brute_force(durham, k):
    p, _ = durham
    res = ex.optimal_selection(p, k=k, contiguous=True)
    best, best_set = brute_best(p, k, contiguous=True)
    assert res.optimal and res.status == "Optimal"
    assert res.covered == pytest.approx(best)
    assert len(res.beats) == k and p.is_contiguous(res.beats)
    assert p.covered(res.beats) == pytest.approx(res.covered)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_durham_free_optimum_is_top_k(durham, k):
    p, _ = durham
    res = ex.optimal_selection(p, k=k)
    top = sorted(p.demand.loc[p.candidates, "eligible_any"], reverse=True)[:k]
    assert res.covered == pytest.approx(p.covered([]) + sum(top))


def test_durham_k3_recommendations(durham):
    p, _ = durham
    free = ex.optimal_selection(p, k=3)
    cont = ex.optimal_selection(p, k=3, contiguous=True)
    assert free.covered >= cont.covered > p.covered([])
    assert "313" in free.beats  # the beat with the most eligible calls outside the pilot
    cmp = ex.compare_greedy_optimal(p, k_max=5, contiguous=True)
    assert (cmp["gap"] >= 0).all() and cmp["optimal"].all()


def test_durham_capacity_and_scenario(workspace, durham):
    p, data = durham
    cap = ex.Capacity(calls_per_shift=1, teams=1)
    res = ex.optimal_selection(p, k=2, capacity=cap)
    best, _ = brute_best(p, 2, contiguous=False, capacity=cap)
    assert res.covered == pytest.approx(best)
    assert res.covered <= p.shift_capacity(cap).sum()
    # longer hours (the citywide 12-hour scenario) can only add demand within hours for CoR
    wide = ex.ExpansionProblem.from_calls(workspace, data, scenario="citywide_12h", rules="pilot")
    assert wide.demand["eligible_CoR"].sum() > p.demand["eligible_CoR"].sum()
    with pytest.raises(InputError, match="unknown scenario"):
        ex.ExpansionProblem.from_calls(workspace, data, scenario="nope", rules="pilot")


def test_durham_distances_from_bases(workspace, durham):
    p, _ = durham
    xy = p.demand_xy.loc["313"]
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(
        workspace.config.projected_crs, "EPSG:4326", always_xy=True
    ).transform(xy["x"], xy["y"])
    bases = ex.bases_from_table(
        workspace, pd.DataFrame({"name": ["X"], "lon": [lon], "lat": [lat]})
    )
    straight = ex.distances_from_bases(workspace, p, bases)
    assert straight.loc["313", "distance_m"] == pytest.approx(0.0, abs=0.01)
    assert 1000 < straight.loc["111", "distance_m"] < 20000
    net = ex.distances_from_bases(workspace, p, bases, method="network")
    ok = np.isfinite(net["distance_m"])
    assert ok.all()
    # a road path is never shorter than the straight line
    assert (net["distance_m"] >= straight["distance_m"] - 1e-6).all()
    p2 = p.with_distance(straight["distance_m"])
    near = ex.calls_within_distance(p2, 1e9)
    assert near["share_within_any"] == 1.0
    res = ex.optimal_selection(p2, k=2, max_distance_m=3000.0)
    assert res.feasible and "313" in res.beats
    assert (straight.loc[res.beats, "distance_m"] <= 3000.0).all()
    with pytest.raises(InputError, match="needs team bases"):
        ex.optimal_selection(p, k=1, max_distance_m=3000.0)
    with pytest.raises(InputError, match="row 2"):
        ex.bases_from_table(workspace, pd.DataFrame({"lon": ["x"], "lat": [35.0]}))
    assert math.isfinite(near["within_any"])


def test_cli_expand_writes_outputs(cli_env, tmp_path):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    bases = tmp_path / "bases.csv"
    bases.write_text("name,lon,lat\nCity Hall,-78.9015,35.9960\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(
        cli,
        [
            "expand",
            "--rules",
            "pilot",
            "--k",
            "3",
            "--contiguous",
            "--bases",
            str(bases),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Optimal (k=3, contiguous): add" in r.output
    assert "proven optimal True" in r.output
    cands = pd.read_csv(out / "expansion_candidates.csv", dtype={"beat": str})
    assert len(cands) == 24 and cands["selected"].sum() == 3
    html = (out / "expansion_map.html").read_text()
    assert "Recommended beats" in html and "Team base: City Hall" in html
    report = (out / "expansion_report.html").read_text()
    assert "data:image/png;base64," in report and "versus best choice (optimal)" in report
    assert (out / "expansion_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_expand_errors(cli_env, tmp_path, capsys):
    from geo_heart.cli.main import main

    def run_main(args):
        with pytest.raises(SystemExit) as exc:
            main(args)
        cap = capsys.readouterr()
        return exc.value.code, cap.out, cap.err

    code, _out, err = run_main(
        [
            "expand",
            "--rules",
            "pilot",
            "--k",
            "1",
            "--contiguous",
            "--require",
            "299",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 1 and err.startswith("Error: no selection satisfies the options")
    code, _out, err = run_main(
        ["expand", "--rules", "pilot", "--k", "1", "--require", "999", "--out", str(tmp_path)]
    )
    assert code == 1 and "left out of the analysis" in err and "Traceback" not in err
    code, _out, err = run_main(
        ["expand", "--rules", "pilot", "--target", "1.5", "--out", str(tmp_path)]
    )
    assert code == 2 and "--target" in err


def test_durham_single_program_and_target_via_cli(workspace, durham, cli_env, tmp_path):
    import json

    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    _p, data = durham
    crt = ex.ExpansionProblem.from_calls(workspace, data, programs=["CRT"], rules="pilot")
    assert crt.programs == ["CRT"] and crt.covered([]) == int(data.frame["CRT"].sum())
    res = ex.optimal_selection(crt, k=2, contiguous=True)
    best, _ = brute_best(crt, 2, contiguous=True)
    assert res.covered == pytest.approx(best)
    r = CliRunner().invoke(
        cli,
        [
            "expand",
            "--rules",
            "pilot",
            "--target",
            "0.6",
            "--contiguous",
            "--json",
            "--no-map",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    p, _ = durham
    fewest = ex.optimal_selection(p, target=0.6, contiguous=True)
    assert d["result"]["beats"] == fewest.beats and d["result"]["coverage"] >= 0.6
    # one beat fewer cannot reach the target
    assert ex.optimal_selection(p, k=len(fewest.beats) - 1, contiguous=True).coverage < 0.6
