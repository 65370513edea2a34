"""The geopandas-shaped surface on the toy area: GeoDataFrames in and out, typed results."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

import geo_heart as gh
from geo_heart.dispatch.result import LookupResult


def test_beats_is_a_geodataframe_with_membership(toy):
    beats = toy.beats
    assert isinstance(beats, gpd.GeoDataFrame) and beats.crs.to_epsg() == 4326
    assert beats["beat"].tolist() == ["11", "12", "21", "22", "99"]
    assert beats.set_index("beat").loc["11", "in_pilot"]
    assert not beats.set_index("beat").loc["12", "in_pilot"]
    # the polygon of beat 11 holds the point lookup puts in beat 11
    b11 = beats.set_index("beat").geometry["11"]
    assert b11.contains(gpd.points_from_xy([-99.995], [40.005])[0])
    beats.loc[0, "beat"] = "changed"  # a copy: the area is not touched
    assert toy.beats.loc[0, "beat"] == "11"


def test_lookup_returns_the_model(toy):
    r = toy.lookup(lon=-99.995, lat=40.005, call_type="trespass", at="2024-06-01T11:00")
    assert isinstance(r, LookupResult)
    d = r.model_dump()
    assert d["beat"] == r.beat == "11" and d["programs"] == r.programs


def test_geocode_a_table_keeps_columns_index_and_adds_points(toy):
    df = pd.DataFrame(
        {
            "id": [7, 8, 9],
            "ADDR": ["102 OAK ST", "1500 ELM AVE", "NOWHERE ST"],
            "beat": list("xyz"),
        },
        index=[10, 20, 30],
    )
    out = toy.geocode(df, address="ADDR")
    assert isinstance(out, gpd.GeoDataFrame) and out.crs.to_epsg() == 4326
    assert out.index.tolist() == [10, 20, 30]
    pd.testing.assert_frame_equal(out[df.columns], df)  # the input's columns, untouched
    assert out["gh_beat"].tolist()[:2] == ["11", "22"]  # `beat` was taken: prefixed
    assert out.geometry.iloc[0].x == pytest.approx(-99.9995, abs=1e-6)
    assert out.geometry.iloc[0].y == pytest.approx(40.0051, abs=1e-6)
    assert out.geometry.iloc[2] is None and out["status"].iloc[2] != "ok"
    with pytest.raises(gh.InputError, match="address="):
        toy.geocode(df)


def test_geocode_texts_still_works(toy):
    out = toy.geocode(["102 OAK ST", "1500 ELM AVE"])
    assert isinstance(out, gpd.GeoDataFrame)
    assert out["address"].tolist() == ["102 OAK ST", "1500 ELM AVE"]
    assert out["beat"].tolist() == ["11", "22"]
    assert toy.geocode("102 OAK ST")["beat"].tolist() == ["11"]


def test_assign_a_table_and_a_layer(toy):
    pts = pd.DataFrame(
        {"name": ["a", "b", "c"], "lon": [-99.995, -99.985, "x"], "lat": [40.005, 40.015, 40.0]}
    )
    plain = toy.assign(pts)  # a DataFrame stays one: no points built unless asked
    assert type(plain) is pd.DataFrame and "geometry" not in plain.columns
    pd.testing.assert_frame_equal(plain[pts.columns], pts)
    assert plain["beat"].tolist()[:2] == ["11", "22"]
    assert plain["status"].tolist() == ["ok", "ok", "invalid"]
    out = toy.assign(pts, geometry=True)
    assert isinstance(out, gpd.GeoDataFrame)
    pd.testing.assert_frame_equal(pd.DataFrame(out.drop(columns="geometry")), plain)
    assert out.geometry.iloc[1].x == pytest.approx(-99.985)
    assert out.geometry.iloc[2] is None
    # a layer in another CRS keeps its geometry and CRS
    layer = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=gpd.points_from_xy([-99.995, -99.985], [40.005, 40.015]),
        crs=4326,
        index=[5, 6],
    ).to_crs(3857)
    res = toy.assign(layer)
    assert res.crs.to_epsg() == 3857 and res.index.tolist() == [5, 6]
    assert res["beat"].tolist() == ["11", "22"]
    assert res.geometry.geom_equals(layer.geometry).all()


def test_demand_and_coverage_join_to_geometry(toy):
    calls = toy.load_calls()
    demand = toy.demand(calls)
    layer = toy.with_geometry(demand)
    assert isinstance(layer, gpd.GeoDataFrame) and len(layer) == len(demand)
    beats = toy.beats.set_index("beat").geometry
    for beat, geom in zip(layer["beat"], layer.geometry, strict=True):
        assert geom.equals(beats[beat])
    by_beat = toy.coverage(calls, by="beat")
    assert set(by_beat["beat"]) == set(demand["beat"])
    assert (by_beat["covered_CRT"] <= by_beat["eligible_CRT"]).all()
    joined = toy.with_geometry(by_beat)
    assert joined.geometry.notna().all()
    with pytest.raises(gh.InputError):
        toy.coverage(calls, by="district")


def test_map_is_a_typed_result_that_saves_offline(toy, tmp_path):
    from geo_heart.render.map_result import DemandMap

    m = toy.map(toy.load_calls(), metric="count")
    assert isinstance(m, DemandMap) and m.column == "eligible_any"
    assert isinstance(m.layer, gpd.GeoDataFrame) and len(m.layer) == 5
    html = m.save(tmp_path / "m.html").read_text(encoding="utf-8")
    assert '<script src="http' not in html and 'href="http' not in html
    assert "L.geoJson" in html or "geoJson" in html


def test_assign_projected_xy_columns(toy):
    from pyproj import Transformer

    to_m = Transformer.from_crs(4326, 3857, always_xy=True)
    x, y = to_m.transform([-99.995, -99.985], [40.005, 40.015])
    df = pd.DataFrame({"x_m": list(x) + ["bad"], "y_m": list(y) + [1.0]})
    out = toy.assign(df, lon="x_m", lat="y_m", crs="EPSG:3857", geometry=True)
    assert out["beat"].tolist()[:2] == ["11", "22"] and out["status"].iloc[2] == "invalid"
    assert out.crs.to_epsg() == 3857
    assert out.geometry.iloc[0].x == pytest.approx(x[0]) and out.geometry.iloc[2] is None
