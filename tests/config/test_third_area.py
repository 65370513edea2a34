"""A third, made-up area written only from docs/area-file.md, run through every command.

Twin Rivers: two "wards" in two "sectors", a night team whose hours cross midnight, dated rules,
a neighbouring town that is ``outside``, no population layer. The data are made here."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.slow  # runs every command (maps, staffing) on the toy data: ~1 minute

AREA = """
[area]
name = "Twin Rivers"
timezone = "America/Denver"
projected_crs = "EPSG:32613"
service_name = "TRCR"
data_dir = "data"

[beats]
file = "wards.geojson"
id_field = "WARD"
district_field = "SECTOR"
unit_name = "ward"
group_name = "sector"

[service_areas.east]
label = "East ward"
beats = ["2"]

[service_areas.all]
label = "Both wards"
all_beats = true

[defaults]
service_area = "east"

[programs.NIGHT]
name = "Night crisis team"
service_area = "east"
hours = ["Fri-Sat 20:00-04:00"]
call_types = ["welfare"]
risk = "exclude"

[call_types.welfare]
label = "Welfare check"
codes = ["WELF", "WELFARE CHECK"]
risk_codes = ["WELFW"]

[call_types.noise]
label = "Noise"
codes = ["NOISE"]

[[rules]]
name = "start"
label = "Night team, east ward"
effective_from = 2024-01-05
source = "made up for the test"

[[rules]]
name = "both"
label = "Night team, both wards, every night"
effective_from = 2024-03-01
assumed = true
note = "made up"

[rules.programs.NIGHT]
service_area = "all"
hours = ["Mon-Sun 20:00-04:00"]

[scenarios.days]
label = "Days too"
hours = ["24/7"]

[addresses]
outside_cities = ["OTHERVILLE"]

[layers.calls]
file = "calls.csv"
call_type_column = "code"
time_column = "when"
lon_column = "lon"
lat_column = "lat"

[layers.address_points]
file = "points.csv"
address_column = "address"
"""

# two 0.01° squares side by side near 104.99 W, 39.74 N
WARDS = {
    "type": "FeatureCollection",
    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    "features": [
        {"type": "Feature", "properties": {"WARD": w, "SECTOR": s}, "geometry": {
            "type": "Polygon", "coordinates": [[[x0, 39.74], [x0 + 0.01, 39.74], [x0 + 0.01, 39.75],
                                                [x0, 39.75], [x0, 39.74]]]}}
        for w, s, x0 in (("1", "W", -105.00), ("2", "E", -104.99))
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = tmp_path_factory.mktemp("third")
    (root / "areas").mkdir()
    data = root / "data"
    data.mkdir()
    (root / "areas" / "twin.toml").write_text(AREA)
    (data / "wards.geojson").write_text(json.dumps(WARDS))
    pts = ["address,lon,lat"]
    for i, n in enumerate(range(100, 200, 10)):
        pts.append(f"{n} MAIN ST,{-104.998 + i * 0.0017:.6f},39.745")
    (data / "points.csv").write_text("\n".join(pts) + "\n")
    rows = ["code,when,lon,lat"]
    times = pd.date_range("2024-01-05 18:00", "2024-04-30", freq="7h")
    for i, t in enumerate(times):
        code = ("WELF", "NOISE", "WELFW", "WELF")[i % 4]
        lon = -104.995 if i % 3 else -104.985
        rows.append(f"{code},{t:%Y-%m-%dT%H:%M},{lon},39.745")
    (data / "calls.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture()
def cli(home, monkeypatch):
    from geo_heart.cli.main import cli

    monkeypatch.chdir(home)  # data_dir = "data" is found from here
    monkeypatch.delenv("GEO_HEART_DATA", raising=False)
    monkeypatch.setenv("GEO_HEART_AREA", str(home / "areas" / "twin.toml"))
    monkeypatch.setenv("GEO_HEART_CACHE", str(home / "cache"))

    def run(*args):
        r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return r.output

    return run


def test_every_command_on_a_third_area(cli, home):
    assert "OK" in cli("area", "check")
    assert "Night team, both wards" in cli("rules")
    # Friday 2024-01-05 20:00 shift covers Saturday 02:00 in the east ward only (first rules)
    out = json.loads(cli("lookup", "--lon", "-104.985", "--lat", "39.745", "--call-type", "WELF",
                         "--at", "2024-01-06T02:00", "--json"))  # fmt: skip
    assert out["beat"] == "2" and out["programs"] == ["NIGHT"]
    card = cli("lookup", "--lon", "-104.995", "--lat", "39.745", "--call-type", "WELF",
               "--at", "2024-01-06T02:00")  # fmt: skip
    assert "Ward:      1 (sector W)" in card and "no TRCR program" in card
    out = json.loads(cli("lookup", "150 MAIN ST", "--json"))
    assert out["beat"] in ("1", "2")
    out = json.loads(cli("lookup", "150 MAIN ST, OTHERVILLE", "--json"))
    assert out["status"] == "outside" and out["beat"] is None
    addr = home / "addr.csv"
    addr.write_text('a\n120 MAIN ST\n"150 MAIN ST, OTHERVILLE"\n')
    cli("geocode", str(addr), "--address-column", "a", "-o", str(home / "g.csv"))
    g = pd.read_csv(home / "g.csv", dtype=str)
    assert g["status"].tolist() == ["ok", "outside"]
    pts = home / "p.csv"
    pts.write_text("lon,lat\n-104.995,39.745\n-104.5,39.745\n")
    cli("assign", str(pts), "-o", str(home / "a.csv"))
    assert pd.read_csv(home / "a.csv", dtype=str)["status"].tolist() == ["ok", "outside"]
    out = cli("demand", "-o", str(home / "d"))
    t = pd.read_csv(home / "d" / "demand_by_beat.csv", dtype={"beat": str})
    assert "population" not in t.columns and t["eligible_NIGHT"].sum() > 0
    hours = pd.read_csv(home / "d" / "demand_by_hour.csv")
    assert hours.loc[hours["hour_of_week"] == 5 * 24 + 2, "open_NIGHT"].item() == 1  # Sat 02:00
    assert "Night team" in cli("coverage", "--by-period")
    cli("coverage", "--as-of", "2024-03-15", "--scenario", "days")
    cli("map", "-o", str(home / "maps"))
    assert "Ward" in (home / "maps" / "report.html").read_text()
    cli("expand", "--rules", "start", "--k", "1", "-o", str(home / "x"))
    out = cli("staffing", "--teams", "1", "--replications", "0")
    assert "NIGHT" in out
    schema = json.loads(cli("area", "schema"))
    assert "AreaFileModel" in json.dumps(schema) or "properties" in schema


def test_service_on_a_third_area(home, monkeypatch):
    import sys

    import httpx

    from geo_heart.area import Area
    from geo_heart.service.app import create_app

    monkeypatch.chdir(home)
    monkeypatch.delenv("GEO_HEART_DATA", raising=False)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
    from service_support import serve_in_thread

    ws = Area.load(home / "areas" / "twin.toml", cache_dir=home / "cache2")
    assert ws.settings.data_dir == (home / "data").resolve()
    with serve_in_thread(create_app(ws)) as base, httpx.Client(base_url=base, timeout=60) as c:
        a = c.get("/area").json()
        assert a["labels"]["group"] == "sector" and a["service_name"] == "TRCR"
        r = c.get("/lookup", params={"lon": -104.985, "lat": 39.745, "call_type": "WELF",
                                     "at": "2024-03-12T01:00"}).json()  # fmt: skip
        assert r["programs"] == ["NIGHT"]  # Monday night's shift under the "both" rules
