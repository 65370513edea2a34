"""``geo-heart forecast`` and ``staffing --forecast`` end to end on the toy area."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from geo_heart.cli.main import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from test_forecast import hand_counts, seasonal_calls  # noqa: E402


@pytest.fixture(scope="module")
def calls_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("fc-cli") / "calls.csv"
    seasonal_calls(path)
    return path


@pytest.fixture(scope="module")
def raw_calls(calls_csv):
    return pd.read_csv(calls_csv, dtype={"BEAT": str})


def test_forecast_json_and_outputs(toy_env, calls_csv, tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(
        cli, ["-q", "forecast", str(calls_csv), "--by", "beat", "--json", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["by"] == "beat" and d["horizon"] == 12 and set(d["models"]) == {"CCD", "CRT"}
    assert d["summary"].startswith("Next 12 months (2024-01 to 2024-12)")
    assert {"basis", "cv", "totals", "forecast", "city", "notes"} <= set(d)
    table = pd.read_csv(out / "forecast.csv", dtype={"beat": str})
    city = pd.read_csv(out / "forecast_city.csv")
    assert len(city) == 24 and (city["beat"] == "city").all()
    sums = table.groupby(["program", "month"])["mean"].sum()
    assert (sums - city.set_index(["program", "month"])["mean"]).abs().max() < 0.01
    assert (out / "forecast.png").stat().st_size > 10_000
    assert json.loads((out / "forecast.json").read_text())["models"] == d["models"]


def test_forecast_backtest_text(toy_env, calls_csv):
    r = CliRunner().invoke(cli, ["-q", "forecast", str(calls_csv), "--backtest", "2023-01-01"])
    assert r.exit_code == 0, r.output
    assert "backtest from 2023-01-01" in r.output
    assert "CCD: relative_mae " in r.output and "vs same month a year earlier" in r.output


def test_forecast_bad_backtest_date_is_one_line(toy_env, calls_csv):
    from geo_heart.cli.main import main

    with pytest.raises(SystemExit) as e:
        main(["-q", "forecast", str(calls_csv), "--backtest", "2023-01-15"])
    assert e.value.code == 1


@pytest.mark.parametrize("value", ["notadate", "2023-01-15", ""])
def test_forecast_bad_backtest_is_refused_before_loading_calls(toy_env, calls_csv, monkeypatch,
                                                              value):  # fmt: skip
    import geo_heart.cli.forecast as fc
    from geo_heart.errors import InputError

    def never(*_a, **_k):
        raise AssertionError("calls loaded before --backtest was checked")

    monkeypatch.setattr(fc, "load_calls_from_options", never)
    r = CliRunner().invoke(cli, ["-q", "forecast", str(calls_csv), "--backtest", value])
    assert r.exit_code == 1 and isinstance(r.exception, InputError), r.output
    assert str(r.exception) == (
        f"--backtest {value!r}: give a date, the first day of a month (e.g. 2024-01-01)"
    )


def test_staffing_on_the_forecast(toy_env, calls_csv, raw_calls):
    args = [
        "-q",
        "staffing",
        str(calls_csv),
        "--program",
        "CRT",
        "--teams",
        "2",
        "--replications",
        "0",
    ]
    base = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)
    r = CliRunner().invoke(cli, [*args, "--forecast", "--quantile", "0.9", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    f = d["forecast"]
    assert f["quantile"] == 0.9 and f["months"] == ["2024-01", "2024-12"]
    # the growth ratio: the p90 total ÷ the same series over the basis year (2023, by hand)
    assert f["basis_calls_per_year"] == hand_counts(raw_calls, "CRT")["2023"].sum()
    assert f["ratio"] == pytest.approx(f["total"] / f["basis_calls_per_year"], rel=1e-3)
    # it scales the call table's own volume (no --scale-to)
    assert d["eligible_calls_per_year"] == pytest.approx(
        base["eligible_calls_per_year"] * f["ratio"], rel=1e-3
    )
    assert f["total"] > f["mean"]
    assert "forecast 2024-01 to 2024-12 at p90" in d["basis"]["scale_source"]
    # no [costs] in the toy area: the budget says so
    assert d["budget"]["available"] is False
    r = CliRunner().invoke(cli, [*args, "--quantile", "0.9"])
    assert r.exit_code == 2 and "--quantile goes with --forecast" in r.output
