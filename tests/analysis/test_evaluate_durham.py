"""geo-heart evaluate on the real Durham incident table (slow): the default design from the rule
timeline, the PPML estimate against statsmodels, and a planted 30% drop held by the interval."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("pyfixest")


@pytest.fixture(scope="module")
def calls(workspace):
    return workspace.load_calls()


def test_default_design_from_the_rule_timeline(workspace, calls):
    r = workspace.evaluate(calls, ri_draws=0, boot_reps=0)
    d = r.to_dict()
    assert d["treated"] == sorted(
        ["111", "112", "113", "114", "122", "214", "223", "411", "413", "511", "512", "513"]
    )
    assert d["n_beats"] == 35 and "999" not in d["controls"] and "299" not in d["controls"]
    assert (d["start"], d["end"]) == ("2022-06-27", "2023-10-22")
    assert d["months"] == ["2021-01", "2023-09"] and d["n_months"] == 32
    assert d["ci95"][0] < d["effect"] < d["ci95"][1] and d["ci95"][0] < 0 < d["ci95"][1]
    assert d["staggered"]["cohorts"] == {"2022-06-27": 12, "2023-10-23": 23}
    assert d["placebo"]["outcome"]["reports"] > 1000
    assert d["dose"]["exceeds"] is False
    # the same coefficient from an independent Poisson GLM with beat and month dummies
    sm = pytest.importorskip("statsmodels.api")
    import statsmodels.formula.api as smf

    fit = smf.glm(
        "targeted ~ D + C(beat) + C(month)", data=r.panel, family=sm.families.Poisson()
    ).fit()
    assert r.estimates["ppml"]["coef"] == pytest.approx(fit.params["D"], abs=1e-6)


@pytest.mark.parametrize("seed", [3, 11])
def test_planted_drop_is_held_and_zero_when_none(workspace, calls, seed):
    from geo_heart.analysis.evaluate_design import city_beats, design_from_area, outcome_masks

    beats_all = list(workspace.beat_index.beats)
    rng = np.random.default_rng(seed)
    beats = sorted(rng.choice(city_beats(workspace.config, beats_all), 12, replace=False).tolist())
    frame = calls.frame
    targeted, _ = outcome_masks(
        workspace.config, frame, design_from_area(workspace.config, beats_all)
    )
    after = frame["local_time"].to_numpy(dtype="datetime64[ns]") >= np.datetime64("2022-06-27")
    drop = targeted & frame["beat"].isin(beats).to_numpy() & after & (rng.random(len(frame)) < 0.3)
    thinned = dataclasses.replace(calls, frame=frame.loc[~drop].reset_index(drop=True))
    kw = {"treated": beats, "start": "2022-06-27", "end": "2023-10-22", "boot_reps": 0}
    planted = workspace.evaluate(thinned, ri_draws=99, seed=seed, **kw)
    none = workspace.evaluate(calls, ri_draws=0, **kw)
    assert planted.ci_method == "randomization"
    assert planted.ci95[0] <= -0.3 <= planted.ci95[1]
    assert planted.effect < none.effect - 0.15
    assert none.ci95[0] <= 0 <= none.ci95[1]
