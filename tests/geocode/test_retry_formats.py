"""``--retry-failed PREVIOUS`` from every output format gives, row for row, the answers and column
types of a fresh run, and true summary counts (issue 29 #1: from a GeoPackage every
``in_service_area`` became False and ``uncertainty_m`` became text)."""

from __future__ import annotations

import json

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from geo_heart.cli.main import cli

ADDRESSES = ["100 OAK ST", "NOWHERE RD", "202 OAK ST", "xx yy", "200 OAK ST", "", "1302 OAK ST"]
OVERRIDES = "address,corrected_address,lon,lat,note\nNOWHERE RD,,-99.9995,40.0049,shelter\n"


def _geocode(tmp_path, out, *extra):
    args = ["-q", "geocode", str(tmp_path / "in.csv"), "-o", str(out), "--address-column",
            "ADDR", "--json", *map(str, extra)]  # fmt: skip
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _read(path):
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return pyogrio.read_dataframe(path)


@pytest.fixture()
def src(tmp_path, toy_env):
    pd.DataFrame({"id": [f"r{i}" for i in range(len(ADDRESSES))], "ADDR": ADDRESSES}).to_csv(
        tmp_path / "in.csv", index=False
    )
    (tmp_path / "fixes.csv").write_text(OVERRIDES)
    return tmp_path


@pytest.mark.parametrize("prev", ["csv", "gpkg", "parquet", "fgb", "shp"])
@pytest.mark.parametrize("out", ["gpkg", "csv"])
def test_retry_from_every_format_equals_a_fresh_run(src, prev, out):
    fixes = src / "fixes.csv"
    fresh_summary = _geocode(src, src / f"fresh.{out}", "--overrides", fixes)
    first = _geocode(src, src / f"prev.{prev}")
    assert first["status"]["ok"] < fresh_summary["status"]["ok"]  # the override fixes a row
    summary = _geocode(
        src, src / f"retry.{out}", "--retry-failed", src / f"prev.{prev}", "--overrides", fixes
    )
    fresh, retry = _read(src / f"fresh.{out}"), _read(src / f"retry.{out}")
    pd.testing.assert_frame_equal(retry, fresh)  # values and column types, row for row
    for key in ("rows", "with_coordinates", "with_beat", "in_service_area", "status"):
        assert summary[key] == fresh_summary[key], key
    assert summary["in_service_area"] > 0
    failed = sum(n for k, n in first["status"].items() if k in ("unmatched", "invalid"))
    assert summary["retried"] == failed and summary["fixed"] == 1
    if out == "gpkg":
        assert pd.api.types.is_float_dtype(retry["uncertainty_m"])
        assert retry["in_service_area"].dropna().isin([True, False]).all()


@pytest.mark.parametrize("prev", ["gpkg", "shp", "fgb"])
def test_retry_without_overrides_equals_the_streamed_fresh_run(src, prev):
    """A fresh run without --overrides is streamed (another writer): the same table still."""
    fresh_summary = _geocode(src, src / "fresh.gpkg")
    _geocode(src, src / f"prev.{prev}")
    summary = _geocode(src, src / "retry.gpkg", "--retry-failed", src / f"prev.{prev}")
    pd.testing.assert_frame_equal(_read(src / "retry.gpkg"), _read(src / "fresh.gpkg"))
    assert summary["in_service_area"] == fresh_summary["in_service_area"] > 0
