"""Durham's rules over time, on the real data: lookups in each period and the monthly table."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.slow

BEAT_212 = ("-78.90532", "36.01145")
BEAT_111 = ("-78.89055", "36.00169")


def _lookup(point, at):
    from geo_heart.cli.main import cli

    r = CliRunner().invoke(
        cli,
        [
            "lookup",
            "--lon",
            point[0],
            "--lat",
            point[1],
            "--call-type",
            "trespass",
            "--at",
            at,
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_lookups_in_each_period(cli_env):
    now = _lookup(BEAT_212, "2026-11-20T11:00")
    assert now["beat"] == "212" and "CRT" in now["programs"]
    assert now["rules"]["name"] == "citywide" and now["rules"]["effective_from"] == "2023-10-23"
    assert now["service_area"] == "citywide" and now["in_service_area"]
    pilot = _lookup(BEAT_212, "2023-03-14T11:00")
    assert "CRT" not in pilot["programs"] and pilot["rules"]["name"] == "pilot"
    assert pilot["rules"]["effective_to"] == "2023-10-23"
    assert "in March 2023 CRT served only the HEART pilot" in pilot["reasons"]["CRT"]
    assert "beat 212 was not one of them" in pilot["reasons"]["CRT"]
    assert not pilot["in_service_area"] and pilot["service_area"] == "pilot"
    b111 = _lookup(BEAT_111, "2023-03-14T11:00")
    assert b111["beat"] == "111" and b111["programs"] == ["CRT"]
    before = _lookup(BEAT_111, "2022-03-14T11:00")
    assert before["programs"] == [] and before["rules"]["name"] == "none"
    assert before["reasons"]["CRT"] == "HEART did not exist before 2022-06-27"
    night = _lookup(BEAT_111, "2026-11-20T03:00")
    assert "CRT" not in night["programs"] and "outside CRT hours" in night["reasons"]["CRT"]
    # Co-Response started later than the pilot (an assumed date)
    early = _lookup(BEAT_111, "2022-08-01T11:00")
    assert "started on 2022-09-26" in early["reasons"]["CoR"]


def test_monthly_table_under_each_months_rules(cli_env, tmp_path):
    from geo_heart.cli.main import cli

    r = CliRunner().invoke(cli, ["demand", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    m = pd.read_csv(tmp_path / "demand_by_month.csv")
    covered = [c for c in m.columns if c.startswith("covered_")]
    assert m.loc[m["month"] < "2022-06", covered].to_numpy().sum() == 0
    assert (m.loc[m["month"] < "2022-06", "rules"] == "none").all()

    def share(a, b):
        g = m[(m["month"] >= a) & (m["month"] <= b)]
        return g["covered_CRT"].sum() / g["eligible_CRT"].sum()

    assert share("2023-11", "2024-12") > 2 * share("2022-07", "2023-09")
    periods = pd.read_csv(tmp_path / "coverage_by_period.csv")
    assert set(periods["rules"]) == {"none", "pilot", "citywide"}
    assert (tmp_path / "coverage_by_period.png").stat().st_size > 10_000
