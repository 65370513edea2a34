"""Equity: tract counts apportioned to beats (tobler), residents in the service area by group,
calls per tract, disparity ratios; checked on a toy town with tracts made in the test."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from geo_heart.analysis.equity import equity_analysis, group_table, suppress_counts
from geo_heart.errors import ConfigError


def test_residents_apportioned_by_area(town):
    r = equity_analysis(town, None)  # the pilot: beat 11 only
    t = r.tracts.set_index("tract_geoid")
    # city territory = every beat but 99: A keeps 2/3 of its area, B 5/12 (halves of beats 12
    # and 22 and beat 22's quarter-size tail; a sixth of B is in beat 99, the rest in no beat)
    assert t.loc["A", "residents"] == pytest.approx(2000, rel=2e-3)
    assert t.loc["B", "residents"] == pytest.approx(1000 * 5 / 12, rel=2e-3)
    assert t.loc["A", "county_residents"] == pytest.approx(1000, rel=2e-3)
    assert t.loc["B", "county_residents"] == pytest.approx(1000 / 6, rel=2e-3)
    assert t.loc["A", "residents_in_service_area"] == pytest.approx(3000 * 2 / 9, rel=2e-3)
    assert t.loc["B", "residents_in_service_area"] == pytest.approx(0, abs=1e-6)
    assert t.loc["A", "median_income"] == 40000
    g = r.groups.set_index("group")
    all_share = (3000 * 2 / 9) / (2000 + 1000 * 5 / 12)
    assert g.loc["all", "in_service_area_share"] == pytest.approx(all_share, rel=2e-3)
    black_share = (1000 * 2 / 9) / (1000 * 2 / 3 + 100 * 5 / 12)
    assert g.loc["black", "in_service_area_share"] == pytest.approx(black_share, rel=2e-3)
    assert g.loc["black", "in_service_area_share_ratio"] == pytest.approx(
        black_share / all_share, rel=3e-3
    )
    assert g.loc["hh_no_car", "universe"] == "households"
    assert r.to_json()["groups"]["black"]["residents"] == pytest.approx(
        1000 * 2 / 3 + 100 * 5 / 12, rel=2e-3
    )


def test_whole_city_service_area_gives_ratio_one(town):
    city = [b for b in town.beat_index.beats if b != "99"]
    r = equity_analysis(town, None, service_beats=city)
    g = r.groups.set_index("group")
    assert (g["in_service_area_share"] - 1.0).abs().max() < 1e-9
    assert (g["in_service_area_share_ratio_high"] - 1.0).abs().max() < 1e-9


def test_calls_placed_in_tracts(town):
    data = town.load_calls()
    r = equity_analysis(town, data)
    t = r.tracts
    f = data.frame
    placed_eligible = int(
        f.loc[f["beat"].notna(), [f"{p}_type" for p in data.programs]].any(axis=1).sum()
    )
    assert placed_eligible > 0
    assert t["eligible_calls"].sum() == pytest.approx(placed_eligible)
    assert (t["covered_calls"] <= t["eligible_calls"] + 1e-9).all()
    # beat 11's calls go to tract A only (beat 11 lies inside A)
    by_beat = r.by_beat.set_index("beat")
    assert (
        t.set_index("tract_geoid").loc["A", "eligible_calls"] >= by_beat.loc["11", "eligible_calls"]
    )
    assert "eligible_per_1000_ratio_low" in r.groups.columns
    assert r.meta["calls"]["placed_in_tracts_by"].startswith("beats")


def test_address_point_weights_differ_from_area(town):
    a = equity_analysis(town, None, weights="area").tracts.set_index("tract_geoid")
    # the toy's address points: a tract with fewer than 10 keeps its area shares
    d = equity_analysis(town, None, weights="address_points").tracts.set_index("tract_geoid")
    assert d["residents"].sum() > 0
    assert set(d.index) == set(a.index)


def test_bootstrap_interval_brackets_ratio():
    import pandas as pd

    from geo_heart.analysis.equity import EquityGroup

    t = pd.DataFrame(
        {
            "residents": [100.0, 200.0, 300.0, 400.0],
            "residents_in_service_area": [100.0, 0.0, 150.0, 0.0],
            "g": [50.0, 10.0, 100.0, 10.0],
            "g_in_service_area": [50.0, 0.0, 50.0, 0.0],
        }
    )
    groups = [EquityGroup("all", "All", "x"), EquityGroup("g", "G", "y")]
    out = group_table(t, groups, bootstrap=500, seed=1).set_index("group")
    assert out.loc["g", "in_service_area_share"] == pytest.approx(100 / 170)
    ratio = (100 / 170) / (250 / 1000)
    assert out.loc["g", "in_service_area_share_ratio"] == pytest.approx(ratio)
    assert out.loc["g", "in_service_area_share_ratio_low"] <= ratio
    assert out.loc["g", "in_service_area_share_ratio_high"] >= ratio


def test_small_counts_suppressed():
    import pandas as pd

    t = pd.DataFrame(
        {
            "eligible_calls": [3.0, 40.0, 0.0],
            "covered_calls": [1.0, 38.0, 0.0],
            "eligible_per_1000": [1.0, 2.0, 0.0],
            "covered_share": [0.3, 0.95, None],
            "unmet_per_1000": [0.5, 0.1, 0.0],
        }
    )
    s = suppress_counts(t, 5)
    assert s["eligible_calls"].isna().tolist() == [True, False, False]
    assert s["unmet_per_1000"].isna().tolist() == [True, True, False]  # 40 - 38 = 2 unmet
    assert s["calls_suppressed"].tolist() == [True, True, False]


def test_missing_tract_layer_named_and_calls_still_counted(toy, toy_env):
    from geo_heart.cli.main import cli

    r = equity_analysis(toy, toy.load_calls())
    assert r.tracts is None and "[equity]" in r.meta["missing"]
    assert r.by_beat["eligible_calls"].sum() > 0
    res = CliRunner().invoke(cli, ["equity", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["groups"] == {} and "[equity]" in payload["missing"]


def test_equity_layer_must_exist(toy_dir, tmp_path):
    from geo_heart.config.areafile import load_area

    p = tmp_path / "x.toml"
    p.write_text((toy_dir / "toy.toml").read_text() + '\n[equity]\nlayer = "nope"\n')
    with pytest.raises(ConfigError, match="equity.layer"):
        load_area(p)


def test_cli_writes_outputs(town, tmp_path, monkeypatch):
    from geo_heart.cli.main import cli

    d = town.settings.data_dir
    monkeypatch.setenv("GEO_HEART_DATA", str(d))
    monkeypatch.setenv("GEO_HEART_AREA", str(d / "toy.toml"))
    monkeypatch.setenv("GEO_HEART_CACHE", str(town.settings.cache_dir))
    res = CliRunner().invoke(cli, ["equity", "-o", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert set(payload["groups"]) == {"all", "black", "hh_no_car"}
    assert payload["rules"]["name"]
    for name in (
        "equity_by_tract.csv",
        "equity_groups.csv",
        "equity.gpkg",
        "equity_groups.png",
        "equity_unmet_map.png",
    ):
        assert (tmp_path / name).stat().st_size > 0


def test_groups_by_rule_set_and_report_section(town):
    from geo_heart.analysis.equity import groups_by_rule_set, shares_sentence
    from geo_heart.render.equity import report_section

    t = groups_by_rule_set(town, bootstrap=0)
    assert set(t["group"]) == {"all", "black", "hh_no_car"}
    share = t.set_index("group")["in_service_area_share"]
    assert share["all"] == pytest.approx((3000 * 2 / 9) / (2000 + 1000 * 5 / 12), rel=2e-3)
    assert "of residents lived in the service area" in shares_sentence(t)
    s = report_section(town, town.load_calls())
    assert s["title"] == "Who the service reaches"
    text = " ".join(s["notices"])
    for words in ("undercount", "margins of error", "correlation is not cause"):
        assert words in text
    assert any("Ratio to all" in t["html"] for t in s["tables"])
    assert s["figures"] and all(f["src"].startswith("data:image/png") for f in s["figures"])


def test_coverage_by_period_names_group_shares(town, monkeypatch):
    from geo_heart.cli.main import cli

    d = town.settings.data_dir
    monkeypatch.setenv("GEO_HEART_DATA", str(d))
    monkeypatch.setenv("GEO_HEART_AREA", str(d / "toy.toml"))
    monkeypatch.setenv("GEO_HEART_CACHE", str(town.settings.cache_dir))
    res = CliRunner().invoke(cli, ["coverage", "--by-period", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["groups_by_period"]
    assert {r["group"] for r in rows} == {"all", "black", "hh_no_car"}


def test_expected_answered_uses_the_staffing_share(town):
    from geo_heart.dispatch.eligibility import eligibility_for_calls, programs_for

    data = town.load_calls()
    r = equity_analysis(town, data, answered_share={"CRT": 0.5})
    progs = programs_for(town.config, rules=town.config.rule_set())
    elig = eligibility_for_calls(town.config, data.frame, programs=progs)
    placed = data.frame["beat"].notna().to_numpy()
    crt = elig["CRT"].to_numpy() & placed
    other = elig[list(progs)].any(axis=1).to_numpy() & placed & ~crt
    want = 0.5 * crt.sum() + other.sum()
    assert crt.sum() > 0
    assert r.tracts["expected_answered"].sum() == pytest.approx(want)
    assert r.by_beat["expected_answered"].sum() == pytest.approx(want)
