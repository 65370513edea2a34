"""The README's walkthrough runs, offline, against the Durham data (slow: reads the call table).

- the Python tour (a ``pycon`` block) runs as a doctest: every shown answer is checked;
- every ``geo-heart`` command of the command-line tour parses (options and arguments exist, with
  valid values); the quick ones (lookups, rules, area check, beats, assign, geocode) run for real
  on small tables made here. The call-table commands (demand, coverage, map, expand, staffing) are
  run by the doctest through the library instead, and ``serve`` would not return.
"""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from geo_heart.cli.main import cli

README = Path(__file__).resolve().parent.parent / "README.md"
#: commands of the tour that run for real (the others are parsed only)
RUN = {"lookup", "rules", "area", "beats", "assign", "geocode"}


def _block(section: str, lang: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(section)
    body = text[start:].split(f"```{lang}\n", 1)[1]
    return body.split("\n```", 1)[0]


def _tour_commands() -> list[list[str]]:
    commands = []
    for line in _block("## Quick tour: the command line", "bash").splitlines():
        line = line.strip()
        if not line.startswith("geo-heart "):
            continue
        line = re.sub(r"\s+#\s.*$", "", line)  # trailing comment
        line = re.sub(r"\[[^\]]*\]", "", line)  # [optional parts]
        commands.append(shlex.split(line)[1:])
    return commands


def test_the_python_tour_is_a_passing_doctest(cli_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(
        _block("## Quick tour: the Python API", "pycon"), {}, "README python tour", str(README), 0
    )
    assert len(test.examples) >= 15
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)
    html = (tmp_path / "demand_map.html").read_text(encoding="utf-8")
    assert "geoJson" in html


@pytest.fixture()
def tour_files(tmp_path, monkeypatch, data_dir):
    """Small input files named by the tour, in a fresh working folder."""
    monkeypatch.chdir(tmp_path)
    pd.DataFrame(
        {"id": ["a", "b"], "lon": [-78.8898, -78.90532], "lat": [35.9892, 36.01145]}
    ).to_csv("points.csv", index=False)
    pd.DataFrame(
        {
            "ID": ["1", "2", "3"],
            "ADDRESS2": ["212 W MAIN ST", "FOSTER ST/PACIFIC AVE", "NO SUCH PL"],
            "WHEN": ["2022-08-15 14:00:00+00", "2024-03-10 12:00:00+00", "2021-05-01"],
        }
    ).to_csv("calls.csv", index=False)
    Path("fixes.csv").write_text("address,lon,lat\n", encoding="utf-8")
    from geo_heart.service.models import PIDF_EXAMPLE  # a 250 m circle downtown

    Path("caller.xml").write_text(PIDF_EXAMPLE, encoding="utf-8")
    from pyproj import Transformer  # State Plane feet for `assign --input-crs EPSG:2264`

    x, y = Transformer.from_crs(4326, 2264, always_xy=True).transform(
        [-78.8898, -78.90532], [35.9892, 36.01145]
    )
    pd.DataFrame({"id": ["a", "b"], "x_ft": x, "y_ft": y}).to_csv("sp.csv", index=False)
    return tmp_path


def test_every_tour_command_parses_and_the_quick_ones_run(cli_env, tour_files):
    commands = _tour_commands()
    assert {c[0] for c in commands} >= RUN | {
        "demand",
        "coverage",
        "map",
        "expand",
        "staffing",
        "serve",
    }
    runner = CliRunner()
    for args in commands:
        if args[0] in RUN:
            res = runner.invoke(cli, args, catch_exceptions=False)
            assert res.exit_code == 0, f"geo-heart {shlex.join(args)}\n{res.output}"
            continue
        # parse only: the group's and the subcommand's options, as click would on a real run
        ctx = cli.make_context("geo-heart", list(args))
        with ctx:
            rest = [*getattr(ctx, "_protected_args", []), *ctx.args]  # click >= 8.2
            name, command, rest = cli.resolve_command(ctx, rest)
            command.make_context(name, rest, parent=ctx)
    out = pd.read_csv("geocoded2.csv", dtype=str)
    assert out["ID"].tolist() == ["1", "2", "3"]
    assert out["beat"].iloc[0] == "512"
    assert Path("points.gpkg").is_file() and Path("geocoded.gpkg").is_file()
    import geopandas as gpd

    ll, sp = gpd.read_file("points.gpkg"), gpd.read_file("sp.gpkg")
    assert sp["beat"].tolist() == ll["beat"].tolist() and sp["beat"].notna().all()
