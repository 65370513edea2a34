"""Dated rule sets on a made-up city: switch at local midnight (also across DST), before the launch,
an undated city, and monthly counts equal to an independent pandas count."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from geo_heart.analysis.calls import CallData, local_times_from_text
from geo_heart.analysis.demand import monthly_demand
from geo_heart.config.areafile import load_area
from geo_heart.dispatch.eligibility import eligibility_frame, evaluate

BASE = """
[area]
name = "Testville"
timezone = "America/New_York"
projected_crs = "EPSG:2264"
service_name = "TEAMS"

[beats]
file = "beats.geojson"
id_field = "BEAT"

[service_areas.north]
label = "north pilot"
beats = ["A1"]

[service_areas.city]
label = "whole city"
all_beats = true

[programs.X]
name = "Team X"
service_area = "north"
hours = [{ days = "Mon-Sun", start = "00:00", end = "24:00" }]
call_types = ["t"]

[call_types.t]
codes = ["T"]

[call_types.o]
codes = ["O"]
"""

# 2024-03-10 is the day clocks go forward in New York; 2024-11-03 the day they go back.
RULES = """
[[rules]]
name = "early"
label = "Early"
effective_from = 2024-03-10
service_area = "north"

[[rules]]
name = "late"
label = "Late"
effective_from = 2024-11-03
service_area = "city"
source = "made up"

[rules.programs.X]
service_area = "city"
assumed = true
source = "made up too"
"""


@pytest.fixture()
def dated(tmp_path):
    p = tmp_path / "dated.toml"
    p.write_text(BASE + RULES)
    return load_area(p)


@pytest.fixture()
def undated(tmp_path):
    p = tmp_path / "undated.toml"
    p.write_text(BASE)
    return load_area(p)


def test_timeline_periods(dated):
    names = [(p.rule_set.name, p.start, p.end) for p in dated.timeline.periods]
    assert names == [
        ("none", None, date(2024, 3, 10)),
        ("early", date(2024, 3, 10), date(2024, 11, 3)),
        ("late", date(2024, 11, 3), None),
    ]
    assert dated.rule_set().name == "late"
    assert dated.programs_under("early")["X"].service_area == "north"
    assert dated.programs_under("late")["X"].service_area == "city"


@pytest.mark.parametrize(
    ("at", "beat", "eligible", "rules"),
    [
        ("2024-03-09T23:59", "A1", False, "none"),
        ("2024-03-10T00:00", "A1", True, "early"),
        ("2024-03-10T00:00", "A2", False, "early"),
        # aware times: 04:59Z is 23:59 EST on the 9th, 05:00Z is local midnight (before the DST jump)
        ("2024-03-10T04:59Z", "A1", False, "none"),
        ("2024-03-10T05:00Z", "A1", True, "early"),
        # DST ends on 2024-11-03: 03:59Z is 23:59 EDT on the 2nd, 04:00Z local midnight of the 3rd
        ("2024-11-03T03:59Z", "A2", False, "early"),
        ("2024-11-03T04:00Z", "A2", True, "late"),
        ("2024-11-03T06:30Z", "A2", True, "late"),  # 01:30 EST, the repeated hour
    ],
)
def test_switch_at_local_midnight(dated, at, beat, eligible, rules):
    e = evaluate(dated, beat=beat, call_type="t", at=at)
    assert (e.programs == ["X"]) is eligible, e.reasons
    assert e.rules.name == rules


def test_reasons_name_the_rules(dated):
    e = evaluate(dated, beat="A1", call_type="t", at="2024-01-15T12:00")
    assert e.reasons["X"] == "TEAMS did not exist before 2024-03-10"
    assert not e.in_service_area and e.service_area is None
    e = evaluate(dated, beat="A2", call_type="t", at="2024-04-15T12:00")
    assert (
        "in April 2024 X served only the north pilot; beat A2 was not one of them"
        in (e.reasons["X"])
    )
    assert "Early" in e.reasons["X"]
    assert e.service_area.key == "north" and not e.in_service_area
    e = evaluate(dated, beat="A2", call_type="t", at="2024-12-01T12:00")
    assert e.programs == ["X"] and e.in_service_area and e.service_area.key == "city"
    # a chosen rule set instead of the one in force
    e = evaluate(dated, beat="A2", call_type="t", at="2024-12-01T12:00", rules="early")
    assert e.programs == [] and e.rules.name == "early"


def test_undated_city_keeps_working(undated):
    (period,) = undated.timeline.periods
    assert period.rule_set.name == "current" and period.start is None and period.end is None
    e = evaluate(undated, beat="A2", call_type="t", at="1999-01-01T12:00")
    assert e.programs == [] and e.reasons["X"] == "beat A2 is outside the north pilot"
    assert evaluate(undated, beat="A1", call_type="t", at="2030-06-01T03:00").programs == ["X"]


def _random_calls(seed: int = 7, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01T00:00Z").value // 10**9
    end = pd.Timestamp("2025-01-20T00:00Z").value // 10**9
    secs = rng.integers(start, end, n)
    utc = pd.to_datetime(secs, unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ")
    return pd.DataFrame(
        {
            "when": utc,
            "beat": rng.choice(["A1", "A2"], n),
            "call_type": rng.choice(["t", "o"], n),
        }
    )


def test_vectorised_and_monthly_counts_match_an_independent_count(dated):
    raw = _random_calls()
    local = local_times_from_text(raw["when"], time_zone="UTC", area_zone=dated.timezone)
    mow = (local.dt.day_of_week * 1440 + local.dt.hour * 60 + local.dt.minute).to_numpy()
    elig = eligibility_frame(
        dated,
        beats=raw["beat"],
        call_types=raw["call_type"],
        risk=np.zeros(len(raw), dtype=bool),
        minute_of_week=mow,
        local_time=local,
    )
    # each call agrees with the single evaluation at its own time
    for i in range(0, len(raw), 97):
        single = evaluate(
            dated, beat=raw["beat"][i], call_type=raw["call_type"][i], at=raw["when"][i]
        )
        assert bool(elig["X"][i]) == (single.programs == ["X"]), (
            raw.iloc[i].tolist(),
            single.reasons,
        )
        assert elig["rules"][i] == single.rules.name
    frame = pd.DataFrame(
        {
            "call_type": raw["call_type"],
            "beat": raw["beat"],
            "local_time": local,
            "minute_of_week": mow,
            "month": local.dt.strftime("%Y-%m"),
        }
    )
    frame = pd.concat([frame, elig], axis=1)
    months = monthly_demand(CallData(frame=frame, source="test", programs=["X"]))
    # independent count: the rules written out by hand
    day = local.dt.normalize()
    in_force = day >= pd.Timestamp("2024-03-10")
    citywide = day >= pd.Timestamp("2024-11-03")
    covered = (raw["call_type"] == "t") & in_force & ((raw["beat"] == "A1") | citywide)
    expected = covered.groupby(local.dt.strftime("%Y-%m")).sum()
    got = months.set_index("month")["covered_X"]
    assert got.to_dict() == expected.astype(int).to_dict()
    assert got.loc["2024-02"] == 0 and got.loc["2024-12"] > 0
    eligible = (raw["call_type"] == "t").groupby(local.dt.strftime("%Y-%m")).sum()
    assert months.set_index("month")["eligible_X"].to_dict() == eligible.astype(int).to_dict()
    flags = months.set_index("month")
    assert flags.loc["2024-03", "rules"] == "none+early" and flags.loc["2024-03", "rule_change"]
    assert flags.loc["2024-11", "rules"] == "early+late" and not flags.loc["2024-06", "rule_change"]


def test_rules_command_prints_the_timeline(tmp_path, dated):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    r = CliRunner().invoke(cli, ["--area", str(dated.path), "rules", "--json"])
    assert r.exit_code == 0, r.output
    periods = json.loads(r.output)["periods"]
    assert [p["name"] for p in periods] == ["none", "early", "late"]
    assert periods[2]["programs"]["X"] == {
        "active": True,
        "service_area": "city",
        "hours": "Mon-Sun 00:00-24:00",
        "call_types": ["t"],
        "risk_call_types": [],
        "inactive_reason": None,
        "assumed": True,
        "source": "made up too",
        "note": None,
    }
    r = CliRunner().invoke(cli, ["--area", str(dated.path), "rules"])
    assert "2024-03-10 to 2024-11-02  Early [early]" in r.output
    assert datetime(2024, 1, 1)  # keep the import honest
