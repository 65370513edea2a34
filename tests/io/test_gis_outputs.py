"""GIS outputs that open cleanly: names compared as the format compares them, layer names,
extents that ignore rows without a point (toy area, fast)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo_heart.errors import InputError


def _run(args):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture()
def calls(tmp_path, toy_dir):
    df = pd.read_csv(toy_dir / "calls.csv", dtype=str)
    df.loc[3, "ADDRESS"] = ""  # a row without a point
    p = tmp_path / "calls.csv"
    df.to_csv(p, index=False)
    return p


def test_geocode_gpkg_with_upper_case_beat_column(toy_env, calls, tmp_path):
    import pyogrio

    out = tmp_path / "geocoded.gpkg"
    r = _run(["-q", "geocode", str(calls), "-o", str(out), "--address-column", "ADDRESS", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["output"]["layer"] == "geocoded"
    layers = pyogrio.list_layers(out)
    assert layers[:, 0].tolist() == ["geocoded"]  # the file's stem, never "geocoded.tmp"
    info = pyogrio.read_info(out, layer="geocoded")
    fields = info["fields"].tolist()
    assert "BEAT" in fields and "gh_beat" in fields and "beat" not in fields
    assert len({f.lower() for f in fields}) == len(fields)
    df = pyogrio.read_dataframe(out)
    src = pd.read_csv(calls, dtype=str, keep_default_na=False)
    assert df["BEAT"].tolist() == src["BEAT"].tolist()  # the input's column, untouched
    assert df["gh_beat"].notna().sum() >= len(df) - 2
    assert df.geometry.isna().sum() >= 1
    xmin, ymin, xmax, ymax = info["total_bounds"]
    assert -101 < xmin <= xmax < -99 and 39 < ymin <= ymax < 41


@pytest.mark.parametrize("ext", ["shp", "fgb", "gpkg"])
def test_extent_ignores_rows_without_a_point(toy_env, calls, tmp_path, ext):
    import pyogrio

    out = tmp_path / f"g.{ext}"
    r = _run(["-q", "geocode", str(calls), "-o", str(out), "--address-column", "ADDRESS"])
    assert r.exit_code == 0, r.output
    xmin, ymin, xmax, ymax = pyogrio.read_info(out)["total_bounds"]
    assert -101 < xmin <= xmax < -99 and 39 < ymin <= ymax < 41, (xmin, ymin, xmax, ymax)


def test_layer_option(toy_env, calls, tmp_path):
    import pyogrio

    out = tmp_path / "g.gpkg"
    r = _run(["-q", "geocode", str(calls), "-o", str(out), "--address-column", "ADDRESS",
              "--layer", "calls_2022"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert pyogrio.list_layers(out)[:, 0].tolist() == ["calls_2022"]
    with pytest.raises(InputError, match="only a GeoPackage"):
        _run(["geocode", str(calls), "-o", str(tmp_path / "g.shp"), "--address-column",
              "ADDRESS", "--layer", "x"])  # fmt: skip
    with pytest.raises(InputError, match="reserved"):
        _run(["geocode", str(calls), "-o", str(out), "--address-column", "ADDRESS",
              "--layer", "gpkg_contents"])  # fmt: skip


def test_assign_layer_is_named_after_the_file(toy_env, tmp_path):
    import pyogrio

    src = tmp_path / "points.csv"
    src.write_text("id,lon,lat,Status\n1,-99.9995,40.0049,mine\n2,,,mine\n")
    out = tmp_path / "points.gpkg"
    r = _run(["-q", "assign", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert pyogrio.list_layers(out)[:, 0].tolist() == ["points"]
    df = pyogrio.read_dataframe(out)
    assert df["Status"].tolist() == ["mine", "mine"] and "gh_status" in df.columns
    xmin, ymin, xmax, ymax = pyogrio.read_info(out)["total_bounds"]
    assert xmin == pytest.approx(-99.9995) and ymax == pytest.approx(40.0049)
