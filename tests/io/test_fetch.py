"""`geo-heart data check/fetch` without the network: a loopback HTTP download address."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from http_support import serve_folder

from geo_heart.cli.main import cli


def test_fetch_and_check(tmp_path, data_dir):
    official = tmp_path / "official"
    official.mkdir()
    shutil.copy(data_dir / "police_beats.geojson", official / "beats.geojson")
    with serve_folder(official) as url:
        _fetch_and_check(tmp_path, official, f"{url}/beats.geojson")


def _fetch_and_check(tmp_path, official, beats_url):
    area = tmp_path / "area.toml"
    area.write_text(
        f"""
[area]
name = "Test"
timezone = "America/New_York"
projected_crs = "EPSG:2264"
[beats]
file = "beats.geojson"
id_field = "LAWBEAT"
district_field = "LAWDIST"
source_url = "{beats_url}"
[service_areas.pilot]
beats = ["111"]
[programs.X]
service_area = "pilot"
hours = [{{ days = "Mon-Sun", start = "00:00", end = "24:00" }}]
[call_types.t]
codes = ["T"]
[layers.population]
file = "tracts.geojson"
population_field = "pop"
"""
    )
    target = tmp_path / "data"
    base = ["--data", str(target), "--area", str(area), "--cache", str(tmp_path / "c")]
    r = CliRunner().invoke(cli, [*base, "data", "check"])
    assert r.exit_code == 1 and "2 configured file(s) missing" in r.output
    r = CliRunner().invoke(cli, [*base, "data", "fetch"])
    assert r.exit_code == 0, r.output
    assert "beats" in r.output and "downloaded" in r.output and "no download address" in r.output
    assert (target / "beats.geojson").read_bytes() == (official / "beats.geojson").read_bytes()
    # the fetched layer works
    r = CliRunner().invoke(
        cli,
        [*base, "lookup", "--lon", "-78.88983930690928", "--lat", "35.989206083070634", "--json"],
    )
    assert '"beat": "111"' in r.output
    r = CliRunner().invoke(cli, [*base, "data", "fetch"])
    assert "present" in r.output
