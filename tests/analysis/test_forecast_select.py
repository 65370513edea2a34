"""Model choice and interval calibration of the demand forecast
(:mod:`geo_heart.analysis.forecast_models`): the combination candidate and the intervals widened
to the cross-validation errors, on series made in the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_heart.analysis.forecast_models import (
    BASE_MODELS,
    COMBINATION,
    MODEL_NAMES,
    cross_validate,
    cv_halfwidths,
    fit_forecast,
    members,
    widen_to_cv,
)


def series(months: int = 48, seed: int = 3) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2020-01-01", periods=months, freq="MS")
    season = 1 + 0.3 * np.sin(2 * np.pi * (idx.month - 4) / 12)
    return pd.Series(rng.poisson(60 * season).astype(float), index=idx)


def test_the_combination_is_a_candidate_and_averages_every_base_model():
    assert COMBINATION in MODEL_NAMES
    assert members(MODEL_NAMES) == BASE_MODELS
    assert members(("AutoETS",)) == ("AutoETS",)
    assert members((COMBINATION,)) == BASE_MODELS


def test_combination_cv_score_is_the_mae_of_the_members_mean():
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, SeasonalNaive

    y = series()
    scores = cross_validate(y, 12)
    h, k, step = scores["h"], scores["windows"], scores["step"]
    assert (h, k) == (12, 3)
    df = pd.DataFrame({"unique_id": "s", "ds": y.index, "y": y.to_numpy()})
    cv = StatsForecast(
        models=[AutoETS(season_length=12), AutoARIMA(season_length=12), SeasonalNaive(12)],
        freq="MS",
    ).cross_validation(h=h, df=df, n_windows=k, step_size=step)
    mean = cv[["AutoETS", "AutoARIMA", "SeasonalNaive"]].mean(axis=1)
    assert scores[COMBINATION] == pytest.approx(float((cv["y"] - mean).abs().mean()))
    assert scores["SeasonalNaive"] == pytest.approx(
        float((cv["y"] - cv["SeasonalNaive"]).abs().mean())
    )


def test_combination_forecast_averages_the_members_forecasts_and_bounds():
    y = series()
    comb, paths = fit_forecast(y, COMBINATION, 12, n_paths=300)
    parts = [fit_forecast(y, m, 12, n_paths=300)[0] for m in BASE_MODELS]
    for col in ("mean", "lo80", "hi80", "lo95", "hi95"):
        want = np.mean([p[col].to_numpy() for p in parts], axis=0)
        assert comb[col].to_numpy() == pytest.approx(want, abs=1e-6), col
    # seasonal naive's own forecast is the last year repeated
    assert parts[2]["mean"].to_numpy().tolist() == y.to_numpy()[-12:].tolist()
    assert paths.shape == (300, 12)
    assert paths.mean(axis=0) == pytest.approx(comb["mean"].to_numpy(), rel=0.02)


def test_cv_halfwidths_are_the_conformal_ranks():
    e = np.arange(1.0, 11.0)  # 10 errors: 80% → the ceil(11 × 0.8) = 9th; 95% → rank 11 → the 10th
    assert cv_halfwidths(e) == {80: 9.0, 95: 10.0}
    assert cv_halfwidths(np.array([])) == {}


def test_intervals_widen_to_the_cv_errors_never_narrow():
    fc = pd.DataFrame(
        {
            "ds": pd.date_range("2024-01-01", periods=2, freq="MS"),
            "mean": [100.0, 5.0],
            "lo80": [95.0, 0.0],
            "hi80": [105.0, 30.0],
            "lo95": [90.0, 0.0],
            "hi95": [110.0, 40.0],
        }
    )
    rng = np.random.default_rng(0)
    paths = np.column_stack([rng.normal(100, 4, 2000), rng.normal(5, 2, 2000)])
    out, stretched = widen_to_cv(fc, paths, {80: 20.0, 95: 30.0})
    # month 1: the model's interval was narrower → mean ± half-width; month 2: its own was wider
    assert out.loc[0, ["lo80", "hi80", "lo95", "hi95"]].tolist() == [80.0, 120.0, 70.0, 130.0]
    assert out.loc[1, ["lo80", "hi80", "lo95", "hi95"]].tolist() == [0.0, 30.0, 0.0, 40.0]
    # the paths' spread grows by the 80% interval's factor (40 / 10 = 4) in month 1 only
    assert stretched[:, 0].std() == pytest.approx(4 * paths[:, 0].std(), rel=1e-6)
    assert stretched[:, 1].std() == pytest.approx(np.clip(paths[:, 1], 0, None).std(), rel=1e-6)
    same, p2 = widen_to_cv(fc, paths, {})
    assert same is fc and p2 is paths
