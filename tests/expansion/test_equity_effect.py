"""Equity effect of expansion options and the need objective, on the toy town with two tracts."""

from __future__ import annotations

import numpy as np
import pytest


def test_beat_effects_count_the_residents_a_beat_brings(town):
    from geo_heart.expansion.equity import beat_effects, selection_sentence

    eff = beat_effects(town, ["11"], ["12", "22"]).set_index("beat")
    # beat 12: a ninth of tract A (3000) and a sixth of tract B (1000)
    assert eff.loc["12", "adds_residents"] == pytest.approx(3000 / 9 + 1000 / 6, rel=2e-3)
    city = 2000 + 1000 * 5 / 12
    assert eff.loc["12", "share_after_all"] == pytest.approx(
        (3000 * 2 / 9 + 3000 / 9 + 1000 / 6) / city, abs=2e-3
    )
    assert eff.loc["12", "adds_black"] == pytest.approx(1000 / 9 + 100 / 6, rel=2e-3)
    text = selection_sentence(town, ["11"], ["12"])
    assert text.startswith("Equity: adding 12 puts") and "Black residents" in text


def test_county_residents_in_outside_beats_and_beyond_every_beat(town):
    from geo_heart.expansion.equity import county_residents

    assert county_residents(town, ["99"])["all"] == pytest.approx(1000 + 1000 / 6, rel=2e-3)
    # tract A lies wholly in beats; 5/12 of tract B lies in no beat
    beyond = county_residents(town, outside_every_beat=True)
    assert beyond["all"] == pytest.approx(1000 * 5 / 12, rel=2e-3)
    assert beyond["black"] == pytest.approx(100 * 5 / 12, rel=2e-3)


def test_need_index_and_weighted_problem(town):
    import pandas as pd

    from geo_heart.expansion.equity import need_by_beat, weight_problem
    from geo_heart.expansion.problem import ExpansionProblem

    need = need_by_beat(town)
    city_mean = (2000 * 10 + 1000 * 5 / 12 * 4) / (2000 + 1000 * 5 / 12)
    assert need["11"] == pytest.approx(10 / city_mean, rel=2e-3)
    assert need["12"] < need["11"]  # beat 12 is partly in tract B (less need)
    p = ExpansionProblem.from_demand(
        ["11", "12"], {"eligible_any": [10.0, 10.0]}, base=["11"], neighbors={"11": ["12"]}
    )
    w = weight_problem(p, pd.Series({"11": 1.0, "12": 2.0}))
    assert w.demand["eligible_any"].tolist() == [10.0, 20.0]


def test_call_effects_ratio_follows_where_calls_are(town):
    from geo_heart.expansion.equity import call_effects

    data = town.load_calls()
    f = data.frame
    in_11 = (f["beat"] == "11").to_numpy()
    eff = call_effects(town, f, {"beat11": in_11})
    # beat 11 lies in tract A, where Black residents are 1000/3000 against 100/1000 in B: calls
    # there weigh more for the Black group than for all residents
    assert eff.loc["beat11", "ratio_black"] > 1.0
    assert np.isfinite(eff.loc["beat11", "adds_per_1000_all"])


def test_plan_beats_reports_equity_and_need(town):
    from geo_heart.expansion.plan import plan_beats, plan_text

    data = town.load_calls()
    plan = plan_beats(town, data, k=1, objective="need")
    assert "share_after_all" in plan.candidates.columns
    text = plan_text(plan)
    assert "Equity: adding" in text and "Objective: need-weighted" in text
