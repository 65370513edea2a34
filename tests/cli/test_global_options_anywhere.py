"""Global options (--data, --area, --areas-dir, --cache, -q, -v) work after the subcommand too."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from geo_heart.cli.main import cli


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    for k in ("GEO_HEART_DATA", "GEO_HEART_AREA", "GEO_HEART_CACHE", "GEO_HEART_AREAS"):
        monkeypatch.delenv(k, raising=False)
    return tmp_path


def _beats(args):
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r


def test_area_and_data_after_the_subcommand(clean_env, toy_dir):
    toml, cache = str(toy_dir / "toy.toml"), str(clean_env / "c")
    before = _beats(["--area", toml, "--data", str(toy_dir), "--cache", cache, "beats", "--json"])
    after = _beats(["beats", "--json", "--area", toml, "--data", str(toy_dir), "--cache", cache])
    mixed = _beats(["--area", toml, "beats", f"--data={toy_dir}", "--json", "--cache", cache])
    rows = json.loads(after.stdout)
    assert json.loads(before.stdout) == rows == json.loads(mixed.stdout)
    assert sorted(r["beat"] for r in rows) == ["11", "12", "21", "22", "99"]


def test_quiet_after_the_subcommand(clean_env, toy_dir, tmp_path):
    src = tmp_path / "p.csv"
    src.write_text("id,lon,lat\n1,-99.9995,40.0049\n")
    base = ["--area", str(toy_dir / "toy.toml"), "--data", str(toy_dir), "--cache", str(tmp_path)]
    loud = _beats([*base, "assign", str(src), "-o", str(tmp_path / "a.csv")])
    assert "1 rows ->" in loud.stderr
    quiet = _beats([*base, "assign", str(src), "-o", str(tmp_path / "b.csv"), "-q"])
    assert quiet.stderr == ""


def test_a_subcommand_value_is_never_taken_for_a_global_option():
    from geo_heart.cli.main import cli as group

    ctx = group.make_context("geo-heart", ["rules"], resilient_parsing=True)
    move = group._globals_first
    # `-q` here is the value of --address-column, not the global -q
    args = ["geocode", "in.csv", "--address-column", "-q", "-o", "x.csv", "-vv", "--data", "D"]
    assert move(ctx, args) == [
        "-vv", "--data", "D", "geocode", "in.csv", "--address-column", "-q", "-o", "x.csv",
    ]  # fmt: skip
    assert move(ctx, ["lookup", "--", "-q"]) == ["lookup", "--", "-q"]
    assert move(ctx, ["-q", "rules"]) == ["-q", "rules"]
