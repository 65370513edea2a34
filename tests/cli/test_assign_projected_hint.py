"""Projected x/y given to `assign` as lon/lat: every row is invalid, and the rows and the summary
say why (numbers out of WGS84's range) and what to do (--input-crs), instead of a bare count."""

from __future__ import annotations

import csv

from cli_support import run_cli

from geo_heart.geo.beats import PROJECTED_REASON


def _run(capsys, args):
    return run_cli(capsys, args)


def test_projected_numbers_get_a_reason_and_a_hint(toy_env, tmp_path, capsys):
    src = tmp_path / "pts.csv"
    rows = [
        ("a", "2003555.18", "770113.28"),  # State Plane feet given as lon/lat
        ("b", "-99.995", "40.005"),  # a real toy point
        ("c", "", "40.0"),  # missing: the plain reason
        ("d", "-99.995", "95.5"),  # lat out of range, finite
    ]
    with open(src, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "lon", "lat"])
        w.writerows(rows)
    out = tmp_path / "out.csv"
    code, text = _run(capsys, ["assign", str(src), "-o", str(out)])
    assert code in (0, None), text
    with open(out, newline="") as f:
        got = list(csv.DictReader(f))
    assert [r["id"] for r in got] == ["a", "b", "c", "d"]
    assert [r["status"] for r in got] == ["invalid", "ok", "invalid", "invalid"]
    assert "is not a number in -180..180" in got[0]["reason"]  # the row names its values
    assert "is not a number in -90..90" in got[3]["reason"]
    assert "2 of the invalid rows hold numbers out of WGS84's range" in text
    assert "--input-crs" in text


def test_no_hint_when_nothing_is_projected_like(toy_env, tmp_path, capsys):
    src = tmp_path / "pts.csv"
    src.write_text("id,lon,lat\nb,-99.995,40.005\nc,,40.0\n")
    code, text = _run(capsys, ["assign", str(src), "-o", str(tmp_path / "o.csv")])
    assert code in (0, None), text
    assert "out of WGS84's range" not in text


def test_library_reason_for_projected_numbers(toy):
    res = toy.beat_index.assign([2003555.18, -99.995, float("nan")], [770113.28, 40.005, 40.0])
    assert list(res["status"]) == ["invalid", "ok", "invalid"]
    assert res["reason"][0] == PROJECTED_REASON and res["reason"][2] != PROJECTED_REASON
