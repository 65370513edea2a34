"""assign: State Plane / UTM x/y tables (--input-crs), streamed in chunks (issue 19, issue 20 #10)."""

from __future__ import annotations

import pandas as pd
import pytest
from pyproj import Transformer

from geo_heart.errors import CRSError
from geo_heart.geo.assign import assign_table


def _points(toy, crs="EPSG:32614"):
    t = pd.read_csv(toy.data_path("address_points.csv"))
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = tr.transform(t["lon"].to_numpy(), t["lat"].to_numpy())
    t["x_m"], t["y_m"] = x, y
    t = t[["address", "lon", "lat", "x_m", "y_m"]].astype(object)
    t.loc[3, "x_m"] = "abc"
    t.loc[5, "y_m"] = ""
    t.loc[7, ["x_m", "y_m"]] = [1e30, 1e30]
    return t


def test_x_y_in_a_projected_crs_give_the_same_beats(toy):
    t = _points(toy)
    by_ll, _ = assign_table(toy, t)
    by_xy, s = assign_table(
        toy, t, lon_column="x_m", lat_column="y_m", input_crs="EPSG:32614", source="t.csv"
    )
    ok = ~t.index.isin([3, 5, 7])
    assert by_xy.loc[ok, "beat"].tolist() == by_ll.loc[ok, "beat"].tolist()
    assert (
        by_xy.loc[ok, "gh_lon"].astype(float).sub(t.loc[ok, "lon"].astype(float)).abs().max()
        < 1e-7
    )
    assert by_xy.loc[3, "status"] == "invalid" and "x_m='abc'" in by_xy.loc[3, "reason"]
    assert by_xy.loc[5, "status"] == "invalid" and "y_m is empty" in by_xy.loc[5, "reason"]
    assert by_xy.loc[7, "status"] == "invalid" and pd.isna(by_xy.loc[7, "beat"])
    assert s["invalid"] == 3 and s["rows"] == len(t)
    assert list(by_xy.columns[: len(t.columns)]) == list(t.columns)  # the user's columns intact
    # WGS84 given as the input CRS: nothing added
    same, _ = assign_table(toy, t, input_crs="EPSG:4326")
    assert "gh_lon" not in same.columns and same["beat"].tolist() == by_ll["beat"].tolist()
    with pytest.raises(CRSError, match="EPSG:99999"):
        assign_table(toy, t, input_crs="EPSG:99999")


def test_cli_input_crs_and_streaming(toy_env, toy, tmp_path, capsys):
    from geo_heart.cli.assign import assign_streamed
    from geo_heart.cli.main import main
    from geo_heart.io.vector import check_output

    t = _points(toy).drop(columns=["lon", "lat"])
    f = tmp_path / "sp.csv"
    t.to_csv(f, index=False)
    out = tmp_path / "o.csv"
    with pytest.raises(SystemExit) as info:
        main(["assign", str(f), "-o", str(out), "--input-crs", "EPSG:32614",
              "--x-column", "x_m", "--y-column", "y_m"])  # fmt: skip
    assert info.value.code == 0, capsys.readouterr().err
    whole = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(whole) == len(t) and (whole["status"] == "ok").sum() == len(t) - 3
    assert list(whole.columns[:4]) == ["address", "x_m", "y_m", "lon"]
    # chunk by chunk: the same file, and a layer with a point per located row
    for rows in (1, 7):
        spec = check_output(tmp_path / f"c{rows}.csv")
        s, _ = assign_streamed(toy, f, spec, lon_column="x_m", lat_column="y_m",
                               input_crs="EPSG:32614", chunk_rows=rows)  # fmt: skip
        assert s["rows"] == len(t) and spec.path.read_text() == out.read_text()
    spec = check_output(tmp_path / "o.gpkg")
    s, info = assign_streamed(toy, f, spec, lon_column="x_m", lat_column="y_m",
                              input_crs="EPSG:32614", chunk_rows=10)  # fmt: skip
    assert info["features"] == len(t) and info["located"] == len(t) - 3
    assert not list(tmp_path.glob("*parts*"))
