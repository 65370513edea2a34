"""Every staffing answer names its basis; the default is the latest full year under today's rules;
plans keep a team in every open hour and print plain days and times (synthetic calls, Durham's
area file with a one-beat synthetic layer; fast)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from test_staffing_cli import BEAT_111

from geo_heart.cli.main import cli


@pytest.fixture(scope="module")
def calls(tmp_path_factory):
    """2021-2024: calls every few hours; 2024 twice as busy (so the basis is visible)."""
    tmp = tmp_path_factory.mktemp("basis")
    (tmp / "data").mkdir()
    (tmp / "data" / "police_beats.geojson").write_text(json.dumps(BEAT_111))
    rng = np.random.default_rng(7)
    frames = []
    for year, per_day in ((2021, 2), (2022, 2), (2023, 2), (2024, 4)):
        days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D", tz="America/New_York")
        n = len(days) * per_day
        t = days[0] + pd.to_timedelta(np.sort(rng.random(n)) * len(days) * 24, unit="h")
        frames.append(pd.DataFrame({"t": t.tz_convert("UTC")}))
    t = pd.concat(frames)["t"]
    path = tmp / "calls.csv"
    pd.DataFrame(
        {
            "INCI_ID": np.arange(len(t)),
            "DATE_REPT": t.dt.strftime("%Y/%m/%d %H:%M:%S+00"),
            "REPORTEDAS": "TRESPASS",
            "BEAT": "111",
        }
    ).to_csv(path, index=False)
    return tmp, path


@pytest.fixture()
def run(calls, monkeypatch):
    tmp, path = calls
    monkeypatch.setenv("GEO_HEART_DATA", str(tmp / "data"))
    monkeypatch.setenv("GEO_HEART_CACHE", str(tmp / "cache"))
    monkeypatch.delenv("GEO_HEART_AREA", raising=False)

    def go(*args):
        r = CliRunner().invoke(
            cli, ["-q", "staffing", str(path), "--replications", "0", *args],
            catch_exceptions=False,
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        return r

    return go


def test_default_basis_is_latest_full_year_under_todays_rules(run):
    d = json.loads(run("--target", "0.8", "--json").stdout)
    b = d["basis"]
    assert b["years"] == [2024] and b["start"] == "2024-01-01" and b["end"] == "2024-12-31"
    assert b["rules"] == "citywide" and b["how"] == "latest full year under today's rules"
    assert b["hours_per_week"] == 84 == d["service_hours_per_week"]
    assert b["hours"] == "Mon-Sun 09:00-21:00"
    assert b["volume"] == "call table" and b["scale_to"] is None
    # 4 calls a day in 2024 (2 a day before): the 2024 figure, not a four-year average
    assert 4 * 365 * 0.9 < b["call_table_calls_per_year"] < 4 * 366 * 1.1
    # the planner report's basis is named when it differs (Durham's annual_eligible_calls)
    assert "planner report" in b["note"] and "--scale-to" in b["note"]


def test_year_before_the_program_says_so(run):
    from geo_heart.errors import InputError

    with pytest.raises(InputError, match="CRT began on 2022-06-27"):
        run("--year", "2021", "--teams", "1")
    b = json.loads(run("--year", "2022", "--teams", "1", "--json").stdout)["basis"]
    assert b["rules"] == "pilot" and b["hours"] == "Mon-Sun 10:00-21:00"
    assert b["hours_per_week"] == 77


def test_scaled_basis_names_its_source(run):
    b = json.loads(run("--teams", "2", "--scale-to", "9000", "--json").stdout)["basis"]
    assert b["volume"] == "scaled" and b["scale_to"] == 9000 and b["scale_source"] == "--scale-to"


def test_plans_leave_no_open_hour_without_a_team(run):
    d = json.loads(run("--target", "0.5", "--json").stdout)
    open_rows = [h for h in d["hours"] if h["in_service"]]
    assert len(open_rows) == 84 and all(h["teams"] >= 1 for h in open_rows)
    assert d["plan"]["min_teams_per_open_hour"] == 1
    assert d["plan"]["open_hours_without_a_team"] == 0
    assert d["plan"]["schedule"][0].startswith("Mon")
    assert all(b["when"].count(":") == 2 for b in d["plan"]["blocks"])
    # two teams in every open hour when asked
    d = json.loads(run("--target", "0.5", "--min-teams-per-open-hour", "2", "--json").stdout)
    assert all(h["teams"] >= 2 for h in d["hours"] if h["in_service"])
    assert d["plan"]["schedule"] == ["Mon-Sun 09:00-21:00: 2 teams"]


def test_text_output_names_basis_and_prints_days_and_times(run):
    out = run("--target", "0.8").stdout  # -q hides summaries, not the answer
    assert out.startswith("basis: CRT under the HEART citywide rules (citywide), hours Mon-Sun")
    assert "calls of 2024 (latest full year under today's rules)" in out
    assert "at least 1 team in every open hour" in out
    assert "Mon-Sun 09:00-21:00: 1 team" in out or "Mon" in out.split("teams on duty")[1]


def test_plain_schedule_and_block_text():
    from geo_heart.staffing.analysis import block_text, plan_schedule

    teams = np.zeros(168, dtype=int)
    for d in range(5):
        teams[d * 24 + 9 : d * 24 + 13] = 2
        teams[d * 24 + 13 : d * 24 + 17] = 1
    teams[5 * 24 + 22 : 6 * 24 + 2] = 1
    assert plan_schedule(teams) == [
        "Mon-Fri 09:00-13:00: 2 teams",
        "Mon-Fri 13:00-17:00: 1 team",
        "Sat 22:00-24:00: 1 team",
        "Sun 00:00-02:00: 1 team",
    ]
    assert block_text(9, 4) == "Mon 09:00-13:00"
    assert block_text(5 * 24 + 22, 4) == "Sat 22:00-Sun 02:00"
    assert block_text(6 * 24 + 20, 4) == "Sun 20:00-24:00"
