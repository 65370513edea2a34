"""Demand forecast (:mod:`geo_heart.analysis.forecast`) on synthetic seasonal call tables in the
toy area: counts, intervals, beats adding up to the city, the backtest's figures by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_heart.analysis.forecast import (
    cv_plan,
    forecast_calls,
    full_months,
    monthly_series,
    seasonal_naive,
)

BEATS = {"11": 1.0, "12": 0.6, "21": 0.8, "22": 0.4}


def seasonal_calls(path, *, months=60, level=30.0, seed=7, start="2019-01", prefix_from=None):
    """A call table in the toy area's columns: per month and beat, Poisson counts of mental
    health, trespass and disturbance calls with a yearly cycle (peak in summer). From
    ``prefix_from`` (a month) every disturbance is coded ``COR - DISTURBAN``."""
    rng = np.random.default_rng(seed)
    rows, k = [], 0
    for i, m in enumerate(pd.period_range(start, periods=months, freq="M")):
        season = 1 + 0.35 * np.sin(2 * np.pi * (m.month - 4) / 12)
        for beat, w in BEATS.items():
            for code, base in (("MENTAL HE", 1.0), ("TRESPASS", 0.7), ("DISTURBAN", 0.5)):
                n = rng.poisson(level * w * base * season)
                days = rng.integers(2, 27, size=n)
                for d in days:
                    c = code
                    if code == "DISTURBAN" and prefix_from is not None and str(m) >= prefix_from:
                        c = "COR - DISTURBAN"
                    rows.append(
                        {
                            "ID": f"C{k}",
                            "TYPE": c,
                            "WHEN": f"{m.year}/{m.month:02d}/{d:02d} 15:00:00+00",
                            "BEAT": beat,
                            "ADDRESS": "100 OAK ST",
                        }
                    )
                    k += 1
        del i
    # the table covers its first and last month in full (a call on their first and last day)
    first, last = pd.Period(start, "M"), pd.Period(start, "M") + months - 1
    for j, when in enumerate((first.start_time, last.end_time)):
        rows.append(
            {
                "ID": f"E{j}",
                "TYPE": "NOT A TYPE",
                "WHEN": f"{when:%Y/%m/%d} 15:00:00+00",
                "BEAT": "12",
                "ADDRESS": "100 OAK ST",
            }
        )
    pd.DataFrame(rows).to_csv(path, index=False)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def calls(toy, tmp_path_factory):
    path = tmp_path_factory.mktemp("fc") / "calls.csv"
    raw = seasonal_calls(path)
    return raw, toy.load_calls(path, cache=False)


def hand_counts(raw: pd.DataFrame, program: str) -> pd.Series:
    """Eligible calls a month by hand: CCD = mental health anywhere in town; CRT = mental health
    or trespass in beat 11 (the toy's pilot)."""
    month = pd.to_datetime(raw["WHEN"].str[:7], format="%Y/%m").dt.to_period("M")
    if program == "CCD":
        ok = raw["TYPE"] == "MENTAL HE"
    else:
        ok = raw["TYPE"].isin(["MENTAL HE", "TRESPASS"]) & (raw["BEAT"] == "11")
    return ok.groupby(month).sum().astype(float)


def test_monthly_series_counts_match_hand_counts(toy, calls):
    raw, data = calls
    s = monthly_series(toy, data)
    assert len(s.city) == 60 and s.adjust == {} and s.start_reasons == {}
    for p in ("CCD", "CRT"):
        hand = hand_counts(raw, p)
        assert s.city[p].to_numpy().tolist() == hand.to_numpy().tolist()
    # by beat: CRT only in beat 11 (the pilot), CCD in all four; beats add up to the city
    crt = s.beats["CRT"].groupby(level=1).sum()
    assert set(crt[crt > 0].index) == {"11"}
    ccd = s.beats["CCD"].groupby(level=0).sum()
    assert np.allclose(ccd.to_numpy(), s.city["CCD"].to_numpy())


def test_full_months_drops_partial_ends():
    t = pd.Series(pd.to_datetime(["2020-12-31 19:00", "2021-01-01 00:10", "2021-03-31 23:00"]))
    assert [f"{m:%Y-%m}" for m in full_months(t)] == ["2021-01", "2021-02", "2021-03"]
    t = pd.Series(pd.to_datetime(["2021-01-01", "2021-03-15"]))
    assert [f"{m:%Y-%m}" for m in full_months(t)] == ["2021-01", "2021-02"]


def test_seasonal_naive_and_cv_plan():
    y = pd.Series(np.arange(24.0), index=pd.date_range("2020-01-01", periods=24, freq="MS"))
    assert seasonal_naive(y, 14).tolist() == [*range(12, 24), 12, 13]
    assert np.isnan(seasonal_naive(y[:5], 3)).all()
    assert cv_plan(48, 12) == (12, 3, 12)
    h, k, step = cv_plan(36, 12)
    assert h == 12 and 36 - h - (k - 1) * step >= 12
    assert cv_plan(13, 12) is None


def test_forecast_by_beat_adds_up_and_intervals_nest(toy, calls):
    _raw, data = calls
    r = forecast_calls(toy, data, by="beat", horizon=12)
    assert r.programs == ["CCD", "CRT"]  # CoR has no eligible calls without a weapon flag
    assert any(n.startswith("CoR not forecast") for n in r.notes)
    assert list(r.table.columns) == [
        "month",
        "program",
        "beat",
        "mean",
        "lo80",
        "hi80",
        "lo95",
        "hi95",
        "model",
    ]
    assert r.months == [f"2024-{m:02d}" for m in range(1, 13)]
    for t in (r.table, r.city):
        v = t[["lo95", "lo80", "mean", "hi80", "hi95"]].to_numpy()
        assert (v >= 0).all() and (np.diff(v, axis=1) >= -1e-9).all()
    sums = r.table.groupby(["program", "month"])["mean"].sum()
    city = r.city.set_index(["program", "month"])["mean"]
    assert np.allclose(sums.loc[city.index].to_numpy(), city.to_numpy())
    assert set(r.table[r.table["program"] == "CRT"]["beat"]) == {"11"}
    # the 12-month total: mean = sum of the months; its 80% interval inside its 95%
    t = r.totals["CCD"]
    assert t["mean"] == pytest.approx(r.city[r.city["program"] == "CCD"]["mean"].sum())
    assert t["lo95"] <= t["lo80"] <= t["mean"] <= t["hi80"] <= t["hi95"]
    assert r.total("CCD", 0.8) == pytest.approx(t["hi80"], rel=0.05)
    assert r.summary().startswith("Next 12 months (2024-01 to 2024-12): about ")
    assert "for CCD (80% interval" in r.summary()
    d = r.to_dict()
    assert d["models"] == r.models and set(d["cv"]["CCD"]) >= {
        "AutoETS",
        "AutoARIMA",
        "SeasonalNaive",
    }
    assert "under today's rules" in d["basis"]


def test_backtest_against_hand_computed_seasonal_naive(toy, calls):
    raw, data = calls
    r = forecast_calls(toy, data, backtest="2023-01-01", horizon=12)
    bt = r.backtest
    for p in ("CCD", "CRT"):
        hand = hand_counts(raw, p)
        actual = hand["2023-01":"2023-12"].to_numpy()
        year_before = hand["2022-01":"2022-12"].to_numpy()
        naive_mae = np.abs(actual - year_before).mean()
        f = bt.programs[p]
        assert f["mae_seasonal_naive"] == pytest.approx(naive_mae, abs=1e-4)
        rows = bt.table[(bt.table["program"] == p) & (bt.table["beat"] == "city")]
        assert rows["actual"].to_numpy().tolist() == actual.tolist()
        mae = np.abs(actual - rows["mean"].to_numpy()).mean()
        assert f["mae"] == pytest.approx(mae, abs=1e-4)
        assert f["relative_mae"] == pytest.approx(mae / naive_mae, abs=1e-3)
        inside = ((actual >= rows["lo95"]) & (actual <= rows["hi95"])).mean()
        assert f["coverage95"] == pytest.approx(inside, abs=1e-4)
        # the model the cross-validation chose has the lowest score; seasonal naive (chosen on
        # this strongly seasonal series) is exactly the same month a year earlier
        scores = {
            m: v for m, v in r.cv[p].items() if m in ("AutoETS", "AutoARIMA", "SeasonalNaive")
        }
        assert r.models[p] == min((v, m) for m, v in scores.items() if v is not None)[1]
        if r.models[p] == "SeasonalNaive":
            assert rows["mean"].to_numpy().tolist() == year_before.tolist()
            assert f["relative_mae"] == 1.0
        # the 95% interval holds most months of a stable seasonal Poisson series
        assert f["coverage95"] >= 0.75
    # no peeking: the history ends before the backtest date
    assert r.history["month"].max() == "2022-12"


def test_backtest_date_must_start_a_month(toy, calls):
    from geo_heart.errors import InputError

    with pytest.raises(InputError, match="first day of a month"):
        forecast_calls(toy, calls[1], backtest="2023-01-15")
    with pytest.raises(InputError, match="no full month of calls from that date to score"):
        forecast_calls(toy, calls[1], backtest="2025-01-01")


def test_risk_prefix_from_a_date_starts_the_series_there(toy, tmp_path):
    path = tmp_path / "calls.csv"
    seasonal_calls(path, prefix_from="2021-07", seed=3)
    data = toy.load_calls(path, cache=False)
    s = monthly_series(toy, data, programs=["CoR"])
    # before the prefix no disturbance was CoR-eligible (no level to scale): the series starts
    # at the change, and says why
    assert "CoR" not in s.adjust
    assert f"{s.starts['CoR']:%Y-%m}" == "2021-07"
    assert "CoR from 2021-07 only" in s.start_reasons["CoR"]
    assert s.city["CoR"]["2021-07":].min() > 0 and s.city["CoR"][:"2021-06"].max() == 0
    r = forecast_calls(toy, data, programs=["CoR"], horizon=3)
    assert r.starts == {"CoR": "2021-07"} and "CoR from 2021-07" in r.basis


def test_too_few_months_says_what_it_needs(toy, tmp_path):
    path = tmp_path / "calls.csv"
    seasonal_calls(path, months=8, seed=5)
    r = forecast_calls(toy, toy.load_calls(path, cache=False))
    assert r.programs == [] and r.table.empty and r.totals == {}
    assert (
        "CCD not forecast: 8 comparable months before the end of the data (at least 12 needed)"
        in r.notes
    )
    assert r.summary().startswith("No forecast: CCD not forecast: 8 comparable months")
