"""Equity on Durham against an independent area-weighted apportionment (a plain geopandas overlay
of the ACS tracts with the police beats, every beat but the one flagged outside the city)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

GROUPS = {
    "all": "total_population",
    "black": "black_population",
    "white": "white_population",
    "hispanic": "hispanic_population",
    "households_no_vehicle": "households_no_vehicle",
}


@pytest.fixture(scope="module")
def overlay(data_dir):
    import geopandas as gpd

    t = gpd.read_file(data_dir / "census_tracts_acs2024.geojson").to_crs(2264)
    b = gpd.read_file(data_dir / "police_beats.geojson").to_crs(2264)
    b["LAWBEAT"] = b["LAWBEAT"].astype(str)
    b = b[b["LAWBEAT"] != "999"].dissolve("LAWBEAT").reset_index()
    t["tract_area"] = t.area
    cols = list(GROUPS.values())
    p = gpd.overlay(
        t[[*cols, "tract_area", "GEOID", "geometry"]],
        b[["LAWBEAT", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    w = p.area / p["tract_area"]
    for c in cols:
        p[c] = p[c] * w
    return p


def _shares(overlay, beats):
    cols = list(GROUPS.values())
    total = overlay[cols].sum()
    inside = overlay[overlay["LAWBEAT"].isin(beats)][cols].sum()
    return {k: float(inside[f] / total[f]) for k, f in GROUPS.items()}, float(total.iloc[0])


def test_pilot_shares_match_independent_overlay(cli_env, overlay, workspace):
    from geo_heart.cli.main import cli

    res = CliRunner().invoke(cli, ["equity", "--as-of", "2023-03-14", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["rules"]["name"] == "pilot"
    pilot = workspace.config.service_areas["pilot"].resolve(workspace.beat_index.beats)
    want, residents = _shares(overlay, pilot)
    for k, share in want.items():
        assert out["groups"][k]["in_service_area_share"] == pytest.approx(share, abs=0.002), k
    assert out["totals"]["residents"] == pytest.approx(residents, rel=1e-4)
    # Black and Hispanic residents were more likely than white residents to live in the pilot
    g = out["groups"]
    assert g["white"]["in_service_area_share_ratio"] < 1 < g["black"]["in_service_area_share_ratio"]
    assert (
        g["black"]["in_service_area_share_ratio_low"] <= g["black"]["in_service_area_share_ratio"]
    )


def test_citywide_reaches_everyone_and_tract_table_adds_up(cli_env, tmp_path, workspace):
    import pandas as pd

    from geo_heart.cli.main import cli

    res = CliRunner().invoke(
        cli, ["equity", "--as-of", "2024-06-04", "--json", "--staffing", "-o", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for k in GROUPS:
        assert out["groups"][k]["in_service_area_share"] == pytest.approx(1.0, abs=1e-6)
    t = pd.read_csv(tmp_path / "equity_by_tract.csv", dtype={"tract_geoid": str})
    assert t["residents"].sum() == pytest.approx(out["totals"]["residents"], rel=1e-4)
    assert 245_000 < t["residents"].sum() < 250_000
    # eligible calls placed in tracts: the CSV (small counts blanked) holds nearly all of them
    data = workspace.load_calls()
    f = data.frame
    placed = f.loc[f["beat"].notna(), [f"{p}_type" for p in data.programs]].any(axis=1).sum()
    assert out["totals"]["eligible_calls"] == pytest.approx(placed, rel=1e-6)
    assert t["eligible_calls"].sum() == pytest.approx(placed, rel=0.01)
    assert t["eligible_calls"].notna().sum() > 40
    # the loss model: with the assumed teams, some covered calls find every team busy
    assert set(out["answered_share"]) == {"CRT", "CoR"}
    assert 0 < out["totals"]["expected_answered"] < out["totals"]["covered_calls"]


def test_demand_population_unchanged_by_tobler(workspace, overlay):
    from geo_heart.analysis.demand import population_by_beat

    pop = population_by_beat(workspace)
    by_beat = overlay.groupby("LAWBEAT")["total_population"].sum()
    for beat, v in by_beat.items():
        assert pop[beat] == pytest.approx(v, rel=1e-6, abs=1e-3)
