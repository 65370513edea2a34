"""The CLI end to end: lookup, assign, beats; errors are one line, never a traceback."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from geo_heart import __version__
from geo_heart.cli.main import cli, main
from geo_heart.io.tables import read_parquet

PILOT_POINT = ("-78.88983930690928", "35.989206083070634")  # 914 MORNING GLORY AVE, beat 111


def run(args, env=None):
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def run_main(args, capsys):
    """Through main(): the path that turns errors into exit codes."""
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_version():
    r = run(["--version"])
    assert r.exit_code == 0 and __version__ in r.output


def test_lookup_json_trespass_saturday(cli_env):
    r = run(
        [
            "lookup",
            "--lon",
            PILOT_POINT[0],
            "--lat",
            PILOT_POINT[1],
            "--call-type",
            "trespass",
            "--at",
            "2023-06-03T11:00",
            "--json",
        ]
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["beat"] == "111" and d["district"] == "D1" and d["in_service_area"] is True
    assert d["programs"] == ["CRT"]
    assert set(d["reasons"]) == {"CCD", "CoR", "CN"}
    assert d["call_type"]["canonical"] == "trespass"


def test_lookup_card_says_why_not(cli_env):
    r = run(
        [
            "lookup",
            "--lon",
            PILOT_POINT[0],
            "--lat",
            PILOT_POINT[1],
            "--call-type",
            "CRT - TRESPASS",
            "--at",
            "2023-06-03T22:00",
        ]
    )
    assert r.exit_code == 0
    assert "Beat:      111 (district D1) - IN the pilot service area" in r.output
    assert "Eligible:  no HEART program" in r.output
    assert "CRT  no: Sat 22:00 is outside CRT hours (Mon-Sun 10:00-21:00)" in r.output


def test_lookup_outside_every_beat(cli_env):
    r = run(["lookup", "--lon", "-78.5", "--lat", "35.9", "--json"])
    d = json.loads(r.output)
    assert d["beat"] is None and d["status"] == "outside" and d["nearest_beat"] == "124"
    assert d["in_service_area"] is False and d["programs"] == []


def test_errors_are_one_line(cli_env, capsys):
    code, out, err = run_main(
        ["lookup", "--lon", "-78.9", "--lat", "36", "--call-type", "PRIVATE TOW"], capsys
    )
    # a call type missing from the table is answered, not refused
    assert code == 0 and "no program takes this call type" in out and "'PRIVATE TOW'" in out
    code, out, err = run_main(
        ["lookup", "--lon", "-78.9", "--lat", "36", "--at", "yesterday"], capsys
    )
    assert code == 1 and "not ISO 8601" in err
    code, out, err = run_main(["lookup", "--lon", "-78.9"], capsys)
    assert code == 2 and "both --lon and --lat" in err
    code, out, err = run_main(["--area", "atlantis", "beats"], capsys)
    assert code == 1 and "unknown area 'atlantis'" in err
    code, out, err = run_main(
        ["--data", "/nonexistent", "lookup", "--lon", "-78.9", "--lat", "36"], capsys
    )
    assert code == 1 and "police_beats.geojson" in err and "does not exist" in err


def test_assign_csv_keeps_rows_and_order(cli_env, tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "lon": [PILOT_POINT[0], "-78.5", "", "not a number", "-78.80622804775017"],
            "lat": [PILOT_POINT[1], "35.9", "36.0", "36.0", "35.99586367208094"],
            "note": ["x", "", "y", "z", "w"],
        }
    ).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    r = run(["assign", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert df["id"].tolist() == ["a", "b", "c", "d", "e"]
    assert df["note"].tolist() == ["x", "", "y", "z", "w"]
    assert df["beat"].tolist() == ["111", "", "", "", "121"]
    # judged under the rules in force today (citywide since 2023-10-23): beat 121 is in
    assert df["in_service_area"].tolist() == ["True", "False", "False", "False", "True"]
    assert df["status"].tolist() == ["ok", "outside", "invalid", "invalid", "ok"]
    assert df.loc[2, "reason"] == "lon is empty"
    assert "lon='not a number' is not a number" in df.loc[3, "reason"]


def test_assign_geojson_and_parquet(cli_env, tmp_path):
    import geopandas as gpd

    g = gpd.GeoDataFrame(
        {"id": [1, 2]},
        geometry=gpd.points_from_xy([float(PILOT_POINT[0]), -78.5], [float(PILOT_POINT[1]), 35.9]),
        crs=4326,
    ).to_crs(2264)
    src = tmp_path / "pts.geojson"
    g.to_file(src)
    out = tmp_path / "out.parquet"
    r = run(["assign", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = read_parquet(out)
    assert [None if pd.isna(v) else v for v in df["beat"]] == ["111", None]
    assert df["status"].tolist() == ["ok", "outside"]


def test_assign_missing_column(cli_env, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("x,y\n1,2\n")
    code, out, err = run_main(["assign", str(src), "-o", str(tmp_path / "o.csv")], capsys)
    assert code == 1 and "has no column 'lon' (set with --lon-column)" in err


def test_beats_listing(cli_env):
    r = run(["beats", "--json"])
    rows = json.loads(r.output)
    assert len(rows) == 37
    pilot = sorted(row["beat"] for row in rows if row["in_pilot"])
    assert pilot == [
        "111",
        "112",
        "113",
        "114",
        "122",
        "214",
        "223",
        "411",
        "413",
        "511",
        "512",
        "513",
    ]
    assert next(r for r in rows if r["beat"] == "999")["note"].startswith("Durham County Sheriff")


def test_another_city_through_configuration_alone(tmp_path):
    """A made-up city brings its own beats file, programs and call types: no code changes."""
    import geopandas as gpd
    from shapely.geometry import box

    data = tmp_path / "data"
    data.mkdir()
    gpd.GeoDataFrame(
        {"zone": ["N1", "S1"], "sector": ["North", "South"]},
        geometry=[box(-100.0, 40.0, -99.9, 40.1), box(-100.0, 39.9, -99.9, 40.0)],
        crs=4326,
    ).to_file(data / "zones.gpkg")
    toml = tmp_path / "springfield.toml"
    toml.write_text(
        """
[area]
name = "Springfield"
timezone = "America/Chicago"
projected_crs = "EPSG:32614"
[beats]
file = "zones.gpkg"
id_field = "zone"
district_field = "sector"
[service_areas.north]
label = "North pilot"
beats = ["N1"]
[programs.MCT]
name = "Mobile Crisis Team"
service_area = "north"
hours = [{ days = "Mon-Sun", start = "00:00", end = "24:00" }]
call_types = ["welfare"]
[call_types.welfare]
label = "Welfare check"
codes = ["WELF CHK"]
"""
    )
    env = {"GEO_HEART_CACHE": str(tmp_path / "cache")}
    args = [
        "--data",
        str(data),
        "--area",
        str(toml),
        "lookup",
        "--lon",
        "-99.95",
        "--lat",
        "40.05",
        "--call-type",
        "WELF CHK",
        "--at",
        "2024-01-01T03:00",
        "--json",
    ]
    d = json.loads(run(args, env=env).output)
    assert (d["beat"], d["district"], d["in_service_area"], d["programs"]) == (
        "N1",
        "North",
        True,
        ["MCT"],
    )
    args[8] = "39.95"
    d = json.loads(run(args, env=env).output)
    assert (d["beat"], d["in_service_area"], d["programs"]) == ("S1", False, [])
    assert "outside the North pilot" in d["reasons"]["MCT"]
