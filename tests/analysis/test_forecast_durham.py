"""The Durham backtests on the real incident table (slow): fitted on the months before 2024-01
(2021–2023) and, to show the method is not fitted to 2024, before 2023-07."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def backtest(workspace):
    return workspace.forecast(workspace.load_calls(), backtest="2024-01-01")


@pytest.fixture(scope="module")
def backtest_2023(workspace):
    return workspace.forecast(workspace.load_calls(), backtest="2023-07-01")


def test_durham_2024_backtest_beats_the_same_month_a_year_earlier(backtest):
    bt = backtest.backtest
    assert backtest.history["month"].max() == "2023-12"  # nothing from 2024 was seen
    assert set(bt.programs) == {"CCD", "CRT", "CoR"}  # CN: too few eligible reports
    assert all(f["months"] == 12 for f in bt.programs.values())
    # all programs pooled, and each, beat the same month a year earlier (measured pooled 0.85,
    # CCD 0.63, CRT 0.70)
    assert bt.relative_mae < 0.9
    assert bt.programs["CCD"]["relative_mae"] < 0.8
    assert bt.programs["CRT"]["relative_mae"] < 0.8
    # CoR (its series restated across the 2022 'COR - ' recording change) only narrowly
    # (measured 0.969; 1.016 with DATE_REPT read as UTC): documented in docs/forecast.md
    assert bt.programs["CoR"]["relative_mae"] < 1
    assert "CoR" in backtest.basis and "level shift" in backtest.basis
    assert all(f["coverage95"] >= 0.75 for f in bt.programs.values())
    # intervals widened to the CV errors: CCD and CoR hold 11 of 12 months in their 80% interval;
    # CRT's do not (8 of 12: a fall in level no interval foresaw), documented
    assert bt.programs["CCD"]["coverage80"] >= 0.9 and bt.programs["CoR"]["coverage80"] >= 0.9
    assert backtest.cv["CRT"]["halfwidth80"] > 0


def test_durham_earlier_origin_beats_the_same_month_a_year_earlier(backtest_2023):
    bt = backtest_2023.backtest
    assert backtest_2023.history["month"].max() == "2023-06"
    assert set(bt.programs) == {"CCD", "CRT", "CoR"}
    # every program beats the same month a year earlier from this origin too (measured CCD 0.53,
    # CRT 0.82, CoR 0.83, pooled 0.80); CRT's 80% interval held only half the months
    assert bt.relative_mae < 0.9
    assert all(f["relative_mae"] < 0.9 for f in bt.programs.values())
    assert all(f["coverage95"] >= 0.75 for f in bt.programs.values())
