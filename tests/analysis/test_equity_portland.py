"""An area without census tracts (Portland's shared data): equity names what is missing and still
counts calls by beat; the report and coverage --by-period leave the groups out."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
PDX = Path(os.environ.get("GEO_HEART_TEST_PORTLAND", ROOT.parent / "shared" / "data" / "portland"))


def test_portland_equity_names_the_missing_layer_and_runs_what_it_can(tmp_path, monkeypatch):
    from geo_heart.cli.main import cli

    assert PDX.is_dir(), f"expected the Portland data in {PDX}"
    monkeypatch.setenv("GEO_HEART_AREA", "portland")
    monkeypatch.setenv("GEO_HEART_DATA", str(PDX))
    monkeypatch.setenv("GEO_HEART_CACHE", str(tmp_path / "cache"))
    res = CliRunner().invoke(cli, ["equity", "--json", "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["groups"] == {}
    assert "[equity]" in payload["missing"] and "tract" in payload["missing"]
    assert "Warning:" in res.stderr and "tract" in res.stderr
    assert (tmp_path / "out" / "equity_by_beat.csv").exists()
    assert not (tmp_path / "out" / "equity_by_tract.csv").exists()
    res = CliRunner().invoke(cli, ["coverage", "--by-period", "--json"])
    assert res.exit_code == 0, res.output
    assert "groups_by_period" not in json.loads(res.stdout)
