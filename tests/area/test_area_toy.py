"""The public entry point on the toy area: one import, every verb, every answer checked."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import geo_heart as gh


def test_package_face_is_lazy_and_complete():
    assert gh.Area.__name__ == "Area"
    assert issubclass(gh.ConfigError, gh.GeoHeartError) and issubclass(gh.ConfigError, ValueError)
    with pytest.raises(AttributeError):
        _ = gh.no_such_name


def test_lookup_point_beat_and_programs(toy):
    # a Saturday, 11:00 local (America/Chicago): beat 11 is the pilot, CRT is open
    r = toy.lookup(lon=-99.995, lat=40.005, call_type="trespass", at="2024-06-01T11:00")
    assert r.beat == "11" and r.district == "D1"
    assert "CRT" in r.programs
    # beat 22 (north-east): outside the pilot
    r = toy.lookup(lon=-99.985, lat=40.015, call_type="trespass", at="2024-06-01T11:00")
    assert r.beat == "22" and "CRT" not in r.programs
    assert "CRT" in r.reasons
    # a weapon sends trespass to CoR, which works Mon-Fri only: Monday 10:00 in beat 11
    r = toy.lookup(lon=-99.995, lat=40.005, call_type="trespass", at="2024-06-03T10:00", weapon=True)
    assert r.programs == ["CoR"]


def test_lookup_outside_every_beat_names_the_nearest(toy):
    r = toy.lookup(lon=-99.95, lat=40.005, call_type="trespass", at="2024-06-01T11:00")
    assert r.beat is None and r.status == "outside"
    assert r.nearest_beat == "22" and r.distance_m > 1000


def test_lookup_rejects_both_or_neither_location(toy):
    with pytest.raises(gh.InputError):
        toy.lookup("100 OAK ST", lon=-99.99, lat=40.0)
    with pytest.raises(gh.InputError):
        toy.lookup(lon=-99.99)


def test_geocode_exact_and_interpolated(toy):
    out = toy.geocode(["102 OAK ST", "1500 ELM AVE", "NOWHERE ST"])
    assert list(out["address"]) == ["102 OAK ST", "1500 ELM AVE", "NOWHERE ST"]
    first = out.iloc[0]
    assert first["beat"] == "11" and first["lon"] == pytest.approx(-99.9995, abs=1e-6)
    assert out.iloc[1]["beat"] == "22"
    assert out.iloc[2]["beat"] is None or out.iloc[2]["beat"] != out.iloc[2]["beat"]


def test_address_lookup_uses_the_geocoder(toy):
    r = toy.lookup("1302 OAK ST", call_type="trespass", at="2024-06-01T11:00")
    assert r.beat == "12"
    assert r.lon == pytest.approx(-99.9995 + 1200 / 1900 * 0.02, abs=2e-4)


def test_calls_demand_and_coverage(toy):
    data = toy.load_calls()
    assert data.rows == 48
    assert data.unknown_calls == 8  # LARCENY is not in the toy call-type table
    table = toy.demand(data)
    assert set(table["beat"]) == {"11", "12", "21", "22", "99"}
    by_beat = table.set_index("beat")
    assert by_beat["total_calls"].sum() == 48
    assert by_beat.loc["11", "total_calls"] == 16  # calls 0, 4, 6, 10, ... (every 6th from 0 and 4)
    cov = toy.coverage(data, scenarios=["town_12h"])
    assert len(cov) >= 2


def test_cli_lookup_json_on_the_toy_area(toy_env):
    from geo_heart.cli.main import cli

    res = CliRunner().invoke(
        cli,
        ["lookup", "--lon", "-99.995", "--lat", "40.005", "--call-type", "trespass",
         "--at", "2024-06-01T11:00", "--json"],
    )
    assert res.exit_code == 0, res.output
    body = json.loads(res.output)
    assert body["beat"] == "11" and "CRT" in body["programs"]


def test_batch_in_service_area_follows_the_rules_in_force_today(tmp_path, toy_env):
    """Without a time column, batch outputs judge in_service_area under today's rules."""
    import pandas as pd

    from geo_heart.cli.main import cli

    src = tmp_path / "p.csv"
    pd.DataFrame({"lon": [-99.995, -99.985], "lat": [40.005, 40.015]}).to_csv(src, index=False)
    out = tmp_path / "o.csv"
    r = CliRunner().invoke(cli, ["assign", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype=str)
    # the toy area has one undated rule set whose service area is the pilot (beat 11 only)
    assert df["beat"].tolist() == ["11", "22"]
    assert df["in_service_area"].tolist() == ["True", "False"]
