"""``geo-heart lookup --pidf FILE`` and ``--lon --lat --radius-m`` (toy area)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from dispatch.test_pidf import circle, doc

from geo_heart.cli.main import cli, main


def run(args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_lookup_pidf_file(toy_env, tmp_path):
    path = tmp_path / "caller.xml"
    path.write_text(doc(circle(40.005, -99.99, 250)), encoding="utf-8")
    r = run(["lookup", "--pidf", str(path), "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["status"] == "approximate" and body["shape"]["kind"] == "circle"
    assert {s["beat"] for s in body["shape"]["shares"]} == {"11", "12"}
    card = run(["lookup", "--pidf", str(path)]).output
    assert "Shape:     circle radius 250 m, area 0.196 km2  (centre -99.990000, 40.005000)" in card
    assert "Shares:    11 50.0%; 12 50.0%" in card


def test_lookup_radius_m(toy_env):
    r = run(["lookup", "--lon", "-99.995", "--lat", "40.005", "--radius-m", "50", "--json"])
    body = json.loads(r.output)
    assert body["status"] == "ok" and body["beat"] == "11"
    assert body["shape"]["shares"] == [{"beat": "11", "district": "D1", "share": 1.0}]


def run_main(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return info.value.code, out.out + out.err


def test_lookup_pidf_errors_are_one_line(toy_env, tmp_path, capsys):
    bad = tmp_path / "bad.xml"
    bad.write_text(doc('<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>40 -99.99'
                       "</gml:pos></gs:Circle>"), encoding="utf-8")  # fmt: skip
    code, out = run_main(["lookup", "--pidf", str(bad)], capsys)
    assert code == 1 and "Traceback" not in out
    assert out.strip() == f"Error: {bad}: PIDF-LO: gs:Circle has no gs:radius"
    code, out = run_main(["lookup", "--radius-m", "10"], capsys)
    assert code == 2 and "--radius-m needs --lon and --lat" in out
    code, out = run_main(["lookup", "--lon", "-99.99", "--lat", "40", "--radius-m", "-5"], capsys)
    assert code == 1 and "--radius-m -5.0 is not a distance" in out


def test_lookup_pidf_from_standard_input(toy_env):
    r = CliRunner().invoke(
        cli, ["lookup", "--pidf", "-", "--json"], input=doc(circle(40.005, -99.995, 50))
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["beat"] == "11"
