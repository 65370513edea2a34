"""Offline HTML maps, the planner report (jinja2) and the CLI grammar on tiny synthetic calls."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

NETWORK = re.compile(r"<(?:script|link)[^>]+(?:src|href)=[\"']https?://", re.I)


@pytest.fixture()
def calls_csv(tmp_path):
    rows = [
        ("CRT - TRESPASS", "2024/06/03 15:00:00+00", b) for b in ["111", "121", "223", "421"] * 5
    ]
    rows += [("MENTAL HE", "2024/07/15 13:00:00+00", "313")] * 3
    p = tmp_path / "c.csv"
    pd.DataFrame(rows, columns=["REPORTEDAS", "DATE_REPT", "BEAT"]).to_csv(p, index=False)
    return p


def _run(args):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.mark.slow
def test_map_output_dir_is_offline_and_report_reads_well(cli_env, calls_csv, tmp_path):
    out = tmp_path / "m"
    r = _run(["-q", "map", str(calls_csv), "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    payload = json.loads(r.stdout)  # -q: only the JSON object on stdout
    assert "map" in payload["outputs"]
    page = (out / "demand_map.html").read_text()
    assert not NETWORK.search(page)
    report = (out / "report.html").read_text()
    assert not NETWORK.search(report)
    assert "Summary" in report and "@media print" in report
    assert "eligible_any" not in report and "share_of_city_eligible" not in report
    assert re.search(r"\d+\.\d%", report)  # percentages, not fractions
    assert "calls carry only a beat" in report  # no hexagon test on modelled counts
    hot = pd.read_csv(out / "hotspots_beats.csv")
    if (hot["hotspot"] == "not significant").all():  # no page for an empty hot-spot map
        assert "No significant hot or cold spots" in report
        assert "Hot and cold spots by beat" not in report
    # under today's (citywide) rules the expansion section lists hours, county areas, call types
    assert "What to add next, from today" in report and "Rules over time" in report
    import pyogrio

    assert {"demand_by_beat", "hotspots_beats", "beats", "service_areas"} <= set(
        pyogrio.list_layers(out / "beats.gpkg")[:, 0]
    )
    assert payload["outputs"]["qgis_project"] == str(out / "geo_heart.qgz")  # docs/qgis.md


@pytest.mark.slow
def test_report_takes_extra_sections(cli_env, calls_csv, tmp_path, workspace):
    from geo_heart.analysis.calls import load_calls
    from geo_heart.render.report import write_planner_outputs

    data = load_calls(workspace, calls_csv)
    written = write_planner_outputs(
        workspace,
        data,
        tmp_path,
        expansion_k=None,
        extra_sections=[
            {
                "title": "Staffing",
                "intro": "Two teams per shift.",
                "tables": [{"html": "<table><tr><td>x</td></tr></table>", "note": "a note"}],
            }
        ],
    )
    text = written["report"].read_text()
    assert "Staffing" in text and "Two teams per shift." in text and "a note" in text


def test_old_spellings_and_quiet(cli_env, calls_csv, tmp_path):
    r = _run(["coverage", str(calls_csv), "--beats", "111,121", "--programs", "CRT", "--out",
              str(tmp_path / "c"), "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert (tmp_path / "c" / "coverage.csv").exists()
    rows = json.loads(r.stdout)["coverage"]
    assert rows
    r = _run(["-q", "demand", str(calls_csv), "-o", str(tmp_path / "d")])
    assert r.exit_code == 0 and r.stderr == ""
    r = _run(["demand", str(calls_csv), "-o", str(tmp_path / "d")])
    assert "covered under the rules in force" in r.stderr


def test_assign_vector_json(cli_env, tmp_path):
    import geopandas as gpd

    src = tmp_path / "p.csv"
    src.write_text("id,lon,lat\n1,-78.9016,35.9960\n2,,\n")
    r = _run(["assign", str(src), "-o", str(tmp_path / "p.gpkg"), "--json"])
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["output"]["features"] == 2 and info["output"]["located"] == 1
    g = gpd.read_file(tmp_path / "p.gpkg")
    assert g.crs.to_epsg() == 4326 and g["tract_geoid"].iloc[0].startswith("37063")
    assert g.geometry.iloc[1] is None


def test_bad_output_fails_before_work(cli_env, tmp_path):
    from geo_heart.errors import InputError

    # the output check runs before the (missing) input is read
    with pytest.raises(InputError, match="unknown output type"):
        _run(["assign", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "x.xyz")])


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium")
def test_report_prints_to_pdf(cli_env, calls_csv, tmp_path):
    out = tmp_path / "m"
    assert _run(["-q", "map", str(calls_csv), "-o", str(out)]).exit_code == 0
    pdf = tmp_path / "r.pdf"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", (out / "report.html").as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and data.count(b"/Type /Page") >= 3
