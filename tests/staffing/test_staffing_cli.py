"""``geo-heart staffing`` end to end on a synthetic call file and a one-beat synthetic layer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geo_heart.cli.main import cli, main

BEAT_111 = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"LAWBEAT": "111", "LAWDIST": "D1", "CAD": "111"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[-78.9, 35.98], [-78.88, 35.98], [-78.88, 36.0], [-78.9, 36.0], [-78.9, 35.98]]
                ],
            },
        }
    ],
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Data folder with the one-beat layer, a cache (index built once) and the call file."""
    tmp_path = tmp_path_factory.mktemp("staffing")
    data = tmp_path / "data"
    data.mkdir()
    (data / "police_beats.geojson").write_text(json.dumps(BEAT_111))
    rng = np.random.default_rng(1)
    hours = 8 * 7 * 24  # eight weeks of 2 calls an hour
    n = rng.poisson(2 * hours)
    t = pd.Timestamp("2024-03-04 05:00", tz="UTC") + pd.to_timedelta(
        np.sort(rng.random(n)) * hours, unit="h"
    )
    calls = tmp_path / "calls.csv"
    pd.DataFrame(
        {
            "INCI_ID": np.arange(n),
            "DATE_REPT": t.strftime("%Y/%m/%d %H:%M:%S+00"),
            "HOUR_REPT": t.strftime("%H%M"),
            "REPORTEDAS": "TRESPASS",
            "BEAT": "111",
            "ADDRESS2": "200 PACIFIC AVE",
        }
    ).to_csv(calls, index=False)
    return tmp_path


@pytest.fixture()
def env(folder, monkeypatch):
    monkeypatch.setenv("GEO_HEART_DATA", str(folder / "data"))
    monkeypatch.setenv("GEO_HEART_CACHE", str(folder / "cache"))
    monkeypatch.delenv("GEO_HEART_AREA", raising=False)
    return folder / "calls.csv"


def run(args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_staffing_json_teams_and_target(env, tmp_path):
    base = ["staffing", str(env), "--service-minutes", "60", "--replications", "3", "--weeks", "8"]
    r = run([*base, "--teams", "3", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output.strip().splitlines()[-1])
    # CRT hours in 2024 (citywide rules, boundaries/durham.toml [[rules]]): 09:00-21:00
    # (84 h/week); teams start each day free, so a little above 1 - B(3, 2)
    assert d["service_hours_per_week"] == 84 and d["max_teams"] == 3
    assert d["team_hours_per_week"] == 252
    assert 0.77 < d["answered_share"] < 0.84
    assert abs(d["answered_share"] - d["answered_share_sim"]) < 0.03
    assert len(d["hours"]) == 168
    row = d["hours"][10]
    assert row["day"] == "Mon" and row["hour"] == 10 and row["teams"] == 3
    assert set(row) >= {
        "hour_of_week",
        "arrivals_per_week",
        "answered_share_analytic",
        "answered_share_sim",
    }
    assert d["hours"][3]["teams"] == 0 and d["hours"][3]["answered_share_analytic"] == 0
    out = tmp_path / "out"
    r = run([*base, "--target", "0.9", "--json", "-o", str(out)])
    d = json.loads(r.output.strip().splitlines()[-1])
    assert d["answered_share"] >= 0.9 and d["max_teams"] <= 5 and d["plan"]["optimal"]
    assert d["extended_24_7"]["team_hours_per_week"] > d["team_hours_per_week"]
    for name in (
        "staffing_by_hour.csv",
        "staffing_curve.csv",
        "staffing_by_hour.png",
        "staffing_curve.png",
    ):
        assert (out / name).stat().st_size > 0


def test_staffing_24_7_reproduces_erlang_b(env):
    r = run(
        [
            "staffing",
            str(env),
            "--teams",
            "3",
            "--service-minutes",
            "60",
            "--replications",
            "0",
            "--hours",
            "Mon-Sun 00:00-24:00",
            "--json",
        ]
    )
    d = json.loads(r.output.strip().splitlines()[-1])
    assert d["service_hours_per_week"] == 168
    assert d["answered_share"] == pytest.approx(1 - 0.2105, abs=0.02)


def test_staffing_text_and_shifts(env, tmp_path):
    shifts = tmp_path / "shifts.csv"
    shifts.write_text("day,start,end,teams\nMon-Sun,10:00,16:00,2\nMon-Sun,16:00,21:00,3\n")
    r = run(["staffing", str(env), "--shifts", str(shifts), "--replications", "2", "--weeks", "4"])
    assert r.exit_code == 0, r.output
    assert "max 3 teams, 189 team-hours/week" in r.output


def test_shifts_file_in_the_output_folder_is_never_overwritten(env, tmp_path, capsys):
    """Issue 30 #2: ``--shifts out/staffing_by_hour.csv -o out`` overwrote the shifts file."""
    out = tmp_path / "out"
    out.mkdir()
    shifts = out / "staffing_by_hour.csv"
    text = "day,start,end,teams\nMon-Sun,10:00,16:00,2\n"
    shifts.write_text(text)
    with pytest.raises(SystemExit) as info:
        main(["-q", "staffing", str(env), "--shifts", str(shifts), "--replications", "2",
              "--weeks", "4", "-o", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert info.value.code == 1 and "--shifts file" in err and len(err.strip().splitlines()) == 1
    assert shifts.read_text() == text


def test_bad_values_are_one_line_errors(env, capsys):
    with pytest.raises(SystemExit) as info:
        main(["staffing", str(env), "--program", "XYZ", "--teams", "2"])
    err = capsys.readouterr().err
    # an unknown program is a usage error, refused before the calls are read (exit 2)
    assert info.value.code == 2 and "'XYZ'" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as info:
        main(["staffing", str(env), "--hours", "Mon 9-5", "--teams", "2"])
    assert info.value.code == 1 and "--hours 'Mon 9-5'" in capsys.readouterr().err
