"""Area.assign's fast path: one copy of the input, the layer's geometry reused, same answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_heart.geo.assign import with_columns


def _random_points(toy, n=2000, seed=3):
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = shapely.total_bounds(toy.beat_index.geoms)
    pad = 0.2 * (x1 - x0)  # some points outside every beat
    return rng.uniform(x0 - pad, x1 + pad, n), rng.uniform(y0 - pad, y1 + pad, n)


def test_dataframe_and_layer_give_the_kernels_answers(toy):
    lon, lat = _random_points(toy)
    pos = toy.beat_index.locate_many(lon, lat)
    expected = [toy.beat_index.beats[p] if p >= 0 else None for p in pos]
    frame = pd.DataFrame({"lon": lon, "lat": lat, "note": "x"}, index=np.arange(len(lon)) * 7)
    layer = gpd.GeoDataFrame(
        {"note": "x"}, geometry=gpd.points_from_xy(lon, lat), crs=4326, index=frame.index
    ).rename_geometry("where")
    for data in (frame, layer):
        out = toy.assign(data, census=False)
        assert type(out) is type(data) and out.index.equals(data.index)
        assert out["beat"].tolist() == expected
        assert out["status"].tolist() == ["ok" if p >= 0 else "outside" for p in pos]
        assert (out["reason"] == "").sum() == (pos >= 0).sum()
        assert out["note"].tolist() == ["x"] * len(lon)
    assert out.geometry.name == "where" and out.crs.to_epsg() == 4326
    assert out.geometry.geom_equals(layer.geometry).all()  # the layer's own points, not rebuilt


def test_the_input_is_never_changed_through_the_result(toy):
    frame = pd.DataFrame({"lon": [-99.995, -99.985], "lat": [40.005, 40.015]})
    layer = gpd.GeoDataFrame(geometry=gpd.points_from_xy(frame.lon, frame.lat), crs=4326)
    before, before_layer = frame.copy(), layer.copy()
    out = toy.assign(frame, census=False)
    out.loc[0, "lon"] = 0.0
    out_layer = toy.assign(layer, census=False)
    out_layer.loc[0, "geometry"] = shapely.Point(1, 1)
    pd.testing.assert_frame_equal(frame, before)
    assert layer.geometry.geom_equals(before_layer.geometry).all()
    assert list(frame.columns) == ["lon", "lat"] and list(layer.columns) == ["geometry"]


def test_a_layer_with_other_rows_takes_the_slow_path_with_the_same_answers(toy):
    layer = gpd.GeoDataFrame(
        {"id": [1, 2, 3, 4, 5]},
        geometry=[
            shapely.Point(-99.995, 40.005),
            shapely.LineString([(-99.99, 40.0), (-99.98, 40.0)]),
            None,
            shapely.Point(),
            shapely.MultiPoint([(-99.985, 40.015)]),
        ],
        crs=4326,
    )
    out = toy.assign(layer, census=False)
    assert out["beat"].tolist() == ["11", None, None, None, None]
    assert out["reason"].tolist()[1:] == [
        "geometry is not a point", "no geometry", "no geometry", "geometry is not a point",
    ]  # fmt: skip


def test_with_columns_keeps_repeated_names_and_replaces_in_place():
    df = pd.DataFrame([[1, 2, 3]], columns=["a", "a", "b"])
    out = with_columns(df, {"b": np.array([9]), "c": np.array([4])})
    assert list(out.columns) == ["a", "a", "b", "c"] and out["b"].tolist() == [9]
    df2 = pd.DataFrame({"b": [1], "a": [2]}, index=pd.Index([5], name="row"))
    out2 = with_columns(df2, {"b": np.array([7]), "z": np.array(["t"], dtype=object)})
    assert list(out2.columns) == ["b", "a", "z"] and out2.index.name == "row"
    assert out2["b"].tolist() == [7] and df2["b"].tolist() == [1]


@pytest.mark.parametrize("geometry", [False, True])
def test_invalid_rows_and_geometry_option(toy, geometry):
    frame = pd.DataFrame({"lon": [-99.995, "x", 500], "lat": [40.005, 40.0, 40.0]})
    out = toy.assign(frame, census=False, geometry=geometry)
    assert out["status"].tolist() == ["ok", "invalid", "invalid"]
    assert out["reason"].tolist()[1] == "lon='x' is not a number in -180..180"
    assert isinstance(out, gpd.GeoDataFrame) is geometry
