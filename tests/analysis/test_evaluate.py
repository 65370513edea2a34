"""geo-heart evaluate on synthetic data: planted effects recovered, none when none, the PPML fit
equal to an independent Poisson GLM, the JSON keys, and one-line refusals."""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyfixest")

from geo_heart.analysis import evaluate_inference as inf  # noqa: E402

KEYS = {
    "effect",
    "ci95",
    "p_value",
    "method",
    "mde",
    "event_study",
    "pre_trend_p",
    "placebo",
    "dose",
}


def synthetic_panel(
    *, beats=30, months=30, start=15, treated=10, effect=0.0, base=6.0, seed=1
) -> pd.DataFrame:
    """Poisson counts with beat and month effects; ``effect`` (relative) planted in the first
    ``treated`` beats from month ``start`` on."""
    rng = np.random.default_rng(seed)
    b_fx = rng.normal(0, 0.4, beats)
    m_fx = 0.2 * np.sin(np.arange(months) / 2.0)
    rows = []
    for b in range(beats):
        for m in range(months):
            tr, post = b < treated, m >= start
            mu = base * math.exp(b_fx[b] + m_fx[m]) * ((1 + effect) if tr and post else 1)
            rows.append(
                {
                    "beat": f"B{b:02d}",
                    "month": f"{2020 + m // 12}-{m % 12 + 1:02d}",
                    "targeted": rng.poisson(mu),
                    "treated": tr,
                    "post": post,
                    "rel": m - start,
                }
            )
    df = pd.DataFrame(rows)
    df["D"] = (df["treated"] & df["post"]).astype(float)
    return df


@pytest.mark.parametrize("planted", [-0.3, 0.0])
def test_ppml_recovers_the_planted_effect(planted):
    r = inf.ppml(synthetic_panel(effect=planted))
    lo, hi = r["ci95"]
    assert lo < planted < hi
    assert abs(r["effect"] - planted) < 0.12
    if planted < 0:
        assert hi < 0 and r["p_value"] < 0.01  # a 30% drop on ~6 a month is seen
    else:
        assert r["p_value"] > 0.05


def test_ppml_equals_statsmodels_poisson_glm_with_dummies():
    sm = pytest.importorskip("statsmodels.api")
    import statsmodels.formula.api as smf

    panel = synthetic_panel(beats=8, months=10, start=5, treated=3, effect=-0.2, seed=4)
    ours = inf.ppml(panel)
    glm = smf.glm("targeted ~ D + C(beat) + C(month)", data=panel, family=sm.families.Poisson())
    fit = glm.fit()
    assert ours["coef"] == pytest.approx(fit.params["D"], abs=1e-6)
    assert ours["n_obs"] == len(panel)


def test_randomization_inference_interval_and_p_value():
    panel = synthetic_panel(effect=-0.3, seed=3)
    main = inf.ppml(panel)
    ri = inf.randomization(panel, main["coef"], draws=39, seed=0)
    assert ri["draws"] == 39
    assert ri["p_value"] == pytest.approx(1 / 40)  # no random set beats the real one
    assert ri["ci95"][0] < -0.3 < ri["ci95"][1]
    assert ri["ci95"][1] < 0


def test_wild_bootstrap_and_event_study():
    pytest.importorskip("wildboottest")
    panel = synthetic_panel(effect=-0.3, seed=4)
    w = inf.wild_bootstrap(panel, reps=199, seed=0)
    assert w["p_value"] < 0.05 and w["ci_coef"][1] < 0
    es = inf.event_study(panel)
    rows = {r["event_time"]: r for r in es["rows"]}
    assert rows[-1]["effect"] == 0.0
    post = [r["effect"] for k, r in rows.items() if k >= 0]
    assert np.mean(post) == pytest.approx(-0.3, abs=0.12)
    assert es["pre_trend_p"] > 0.05  # no pre-trend was planted (p 0.57 for this seed)


def test_mde_from_se():
    m = inf.mde_from_se(0.1)
    assert m["drop"] == pytest.approx(math.expm1(-2.8016 * 0.1), abs=1e-3)


# ------------------------------------------------------------------ the whole command, toy area
def _toy_calls(tmp_path, *, effect: float, months: int = 24, seed: int = 0):
    """A call table for the toy area's four beats: trespass reports (targeted) and robberies,
    ``effect`` planted in beats 11 and 12 from 2023-01-01."""
    rng = np.random.default_rng(seed)
    rows = []
    i = 0
    for m in range(months):
        year, month = 2022 + m // 12, m % 12 + 1
        for beat in ("11", "12", "21", "22"):
            post = year >= 2023 and beat in ("11", "12")
            for code, mu in (("TRESPASS", 20.0 * ((1 + effect) if post else 1)), ("ROBBERY", 5.0)):
                for _ in range(rng.poisson(mu)):
                    day = int(rng.integers(1, 28))
                    rows.append(
                        {
                            "ID": f"X{i}",
                            "TYPE": code,
                            "WHEN": f"{year}/{month:02d}/{day:02d} 12:00:00+00",
                            "BEAT": beat,
                            "ADDRESS": "100 OAK ST",
                        }
                    )
                    i += 1
    path = tmp_path / "calls.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _run(toy_env, args):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    return CliRunner().invoke(cli, args, env=toy_env, catch_exceptions=False)


@pytest.mark.parametrize("cow", [False, True], ids=["default", "copy_on_write"])
def test_area_evaluate_on_toy_calls(toy, tmp_path, cow):
    path = _toy_calls(tmp_path, effect=-0.6)
    # pandas 3 always copies on write (read-only views); pandas 2 has it as an option
    on = cow and int(pd.__version__.split(".")[0]) < 3
    with pd.option_context("mode.copy_on_write", True) if on else contextlib.nullcontext():
        data = toy.load_calls(path, cache=False)
        r = toy.evaluate(
            data, treated="11,12", start="2023-01-01", end="2023-12-31", ri_draws=20, boot_reps=0
        )
    d = r.to_dict()
    assert KEYS <= set(d)
    assert d["treated"] == ["11", "12"] and d["n_beats"] == 4 and d["n_months"] == 24
    assert d["ci95"][0] < -0.6 < d["ci95"][1] and d["ci95"][1] < 0
    assert d["ci_method"] == "cluster"  # 6 possible beat sets: too few for randomization
    assert "drop" in r.summary() and "%" in r.summary()


def test_cli_json_keys_and_outputs(toy, toy_env, tmp_path):
    path = _toy_calls(tmp_path, effect=0.0, seed=5)
    out = tmp_path / "out"
    res = _run(
        toy_env,
        [
            "evaluate",
            str(path),
            "--treated",
            "11,12",
            "--start",
            "2023-01-01",
            "--end",
            "2023-12-31",
            "--ri-draws",
            "0",
            "--boot-reps",
            "0",
            "--json",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert KEYS <= set(d)
    assert d["ci95"][0] < 0 < d["ci95"][1]
    assert {"rel_month", "effect", "ci95"} <= set(d["event_study"][0])
    assert (out / "event_study.png").stat().st_size > 5000
    panel = pd.read_csv(out / "evaluation_panel.csv", dtype={"beat": str})
    assert len(panel) == 4 * 24 and set(panel["beat"]) == {"11", "12", "21", "22"}
    listed = tmp_path / "targeted.csv"
    res = _run(
        toy_env,
        [
            "evaluate",
            str(path),
            "--treated",
            "11,12",
            "--start",
            "2023-01-01",
            "--end",
            "2023-12-31",
            "--list-targeted",
            "-o",
            str(listed),
        ],
    )
    assert res.exit_code == 0, res.output
    ids = pd.read_csv(listed)
    calls = pd.read_csv(path)
    assert sorted(ids["ID"]) == sorted(calls.loc[calls["TYPE"] == "TRESPASS", "ID"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--treated", "11", "--start", "2023-01-01"], "at least 2 treated and 2 control"),
        (["--treated", "11,99", "--start", "2023-01-01"], "special code"),
        (["--treated", "11,77", "--start", "2023-01-01"], "not a beat of the layer"),
        (["--treated", "11,12", "--start", "2022-01-15"], "full months before 2022-01-15"),
        (["--treated", "11,12", "--start", "2023-11-20"], "3 full months from it"),
        ([], "has no dated [[rules]]"),
    ],
)
def test_refusals_are_one_line(toy_env, tmp_path, args, message):
    from geo_heart.cli.main import main

    path = _toy_calls(tmp_path, effect=0.0)
    with pytest.raises(SystemExit) as e:
        main(["-q", "evaluate", str(path), "--ri-draws", "0", "--boot-reps", "0", *args])
    assert e.value.code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--treated", "11", "--start", "2023-01-01"], "at least 2 treated and 2 control"),
        (["--treated", "11,12", "--start", "2022-01-15"], "full months before 2022-01-15"),
        ([], "has no dated [[rules]]"),
    ],
)
def test_refusal_messages(toy_env, tmp_path, capsys, args, message):
    from geo_heart.cli.main import main

    path = _toy_calls(tmp_path, effect=0.0)
    with pytest.raises(SystemExit):
        main(["evaluate", str(path), "--ri-draws", "0", "--boot-reps", "0", *args])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("Error: ") and message in err and "\n" not in err


# ------------------------------------------------------------------ design and dose, no data
def test_durham_default_design_from_the_area_file():
    ROOT = Path(__file__).resolve().parents[2]

    from geo_heart.analysis.evaluate_design import design_from_area
    from geo_heart.config.areafile import load_area

    area = load_area(ROOT / "boundaries" / "durham.toml")
    pilot = sorted(area.service_areas["pilot"].beats)
    others = ["121", "123", "124", "211", "212", "213", "221", "222"]
    d = design_from_area(area, pilot + others + ["999", "299"])
    assert d.treated == pilot and d.controls == sorted(others)  # 999/299 are special codes
    assert (str(d.start), str(d.end)) == ("2022-06-27", "2023-10-22")
    assert d.program == "CRT" and "trespass" in d.targeted_types and d.risk_excluded
    assert d.cohorts() == {"2022-06-27": 12, "2023-10-23": 8}
    assert "ARMED ROBBERY" in d.placebo_codes
    given = design_from_area(area, pilot + others, treated="121, 123", start="2023-01-01")
    assert design_from_area(
        area, pilot + others, treated="121 123", start="2023-01-01"
    ).treated == [
        "121",
        "123",
    ]
    assert given.end.isoformat() == "2023-10-22" and given.cohorts() == {}


def test_portland_staged_rollout_cohorts():
    ROOT = Path(__file__).resolve().parents[2]

    from geo_heart.analysis.evaluate_design import design_from_area
    from geo_heart.config.areafile import load_area

    area = load_area(ROOT / "boundaries" / "portland.toml")
    codes = [str(c) for c in range(500, 1000)]
    d = design_from_area(area, codes)
    cohorts = list(d.cohorts())
    assert cohorts[0] == "2021-02-16" and cohorts[-1] == "2022-03-28" and len(cohorts) == 4


def test_dose_flags_an_estimate_above_the_calls_answered():
    from datetime import date
    from types import SimpleNamespace

    from geo_heart.analysis.evaluate import _dose
    from geo_heart.analysis.evaluate_design import Design

    design = Design("CRT", ["a", "b"], ["c", "d"], date(2022, 1, 1), date(2022, 12, 31), "given")
    fig = {"label": "x", "calls": 100.0, "start": date(2022, 1, 1), "end": date(2022, 12, 31)}
    area = SimpleNamespace(evaluation={"dose": [fig]})
    win = pd.DataFrame({"D": [1.0, 1.0, 0.0], "targeted": [300, 200, 400]})
    # a 50% drop: 500 observed, 1,000 expected, 500 prevented > 100 answered
    out = _dose(area, design, win, {"coef": math.log(0.5), "ci_coef": [-1.0, -0.4]})
    assert out["prevented"] == pytest.approx(500) and out["answered_in_window"] == pytest.approx(
        100
    )
    assert out["exceeds"] is True
    small = _dose(area, design, win, {"coef": math.log(0.95), "ci_coef": [-0.2, 0.1]})
    assert small["exceeds"] is False
