"""assign keeps user columns; beats: poles, far points, null ids (issue 12 #2 #5 #10 #14)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo_heart.errors import InputError
from geo_heart.geo.assign import assign_table
from geo_heart.geo.beats import HALF_EARTH_M, BeatIndex, great_circle_m


def test_assign_keeps_users_status_reason_beat_columns(workspace):
    df = pd.DataFrame(
        {
            "status": ["mine1", "mine2"],
            "reason": ["r1", "r2"],
            "beat": ["b1", "b2"],
            "lon": ["-78.9016", "x"],
            "lat": ["35.9960", "1"],
        }
    )
    out, summary = assign_table(workspace, df)
    assert out[["status", "reason", "beat", "lon", "lat"]].equals(df)
    assert out["gh_beat"][0] == "512" and pd.isna(out["gh_beat"][1])
    assert out["gh_status"].tolist() == ["ok", "invalid"]
    assert out["district"].tolist()[0] == "D5"  # a free name is not prefixed
    assert summary["rows"] == 2 and summary["invalid"] == 1


def test_assign_refuses_when_prefixed_name_is_taken_too(workspace):
    df = pd.DataFrame({"lon": ["1"], "lat": ["1"], "beat": ["x"], "gh_beat": ["y"]})
    with pytest.raises(InputError, match="'beat' and 'gh_beat'"):
        assign_table(workspace, df)


@pytest.fixture(scope="module")
def toy():
    return BeatIndex.from_geometries(
        ["1", "2"],
        [box(-78.95, 35.95, -78.90, 36.0), box(-78.90, 35.95, -78.85, 36.0)],
        crs="EPSG:4326",
        projected_crs="EPSG:2264",
        grid_cells=8,
    )


@pytest.mark.parametrize(
    "lon,lat", [(0, -90), (-180, -90), (180, 90), (-179, -89), (0, 0), (-78.8, 36.1), (101, 1)]
)
def test_every_valid_coordinate_gets_an_answer_and_a_sane_distance(toy, lon, lat):
    hit = toy.locate(lon, lat, nearest=True)
    assert hit.status == "outside" and hit.nearest_beat in ("1", "2")
    assert 0 < hit.distance_m <= HALF_EARTH_M
    if abs(lat) == 90:
        # at a pole every longitude is the same place: the distance is the meridian arc
        assert hit.distance_m == pytest.approx(great_circle_m(lon, lat, -78.9, 35.95), rel=0.01)


def test_near_distance_is_projected_and_agrees_with_great_circle(toy):
    hit = toy.locate(-78.80, 35.975, nearest=True)
    assert hit.nearest_beat == "2"
    assert hit.distance_m == pytest.approx(great_circle_m(-78.80, 35.975, -78.85, 35.975), rel=0.01)


def test_null_beat_ids_are_counted_and_reported(caplog):
    with caplog.at_level(logging.WARNING):
        idx = BeatIndex.from_geometries(
            ["1", None, np.nan, " "],
            [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(3, 0, 4, 1)],
            crs="EPSG:4326",
            grid_cells=4,
        )
    assert idx.beats == ["1"] and idx.skipped_no_id == 3
    assert "3 feature(s) have an empty or null id" in caplog.text


def test_null_ids_survive_the_cache(tmp_path):
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(
        {"BEAT": ["7", None]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326
    )
    path = tmp_path / "b.geojson"
    gdf.to_file(path)
    for _ in range(2):  # build, then from cache
        idx = BeatIndex.from_file(path, id_field="BEAT", cache_dir=tmp_path / "c", grid_cells=4)
        assert idx.skipped_no_id == 1


def test_result_names_compare_as_geopackage_and_shapefile_do():
    from geo_heart.geo.assign import RESULT_COLUMNS, result_column_names

    # GeoPackage/SQLite/DBF ignore case: the input's BEAT and the result's beat clash
    names = result_column_names(["INCI_ID", "BEAT", "Status"], RESULT_COLUMNS)
    assert names["beat"] == "gh_beat" and names["status"] == "gh_status"
    assert names["district"] == "district"
    # a Shapefile keeps 10 characters: IN_SERVICE clashes with in_service_area
    assert result_column_names(["IN_SERVICE"], RESULT_COLUMNS)["in_service_area"] == (
        "gh_in_service_area"
    )
    # the prefixed name taken too, in another case: one clear error
    with pytest.raises(InputError, match="no free name"):
        result_column_names(["beat", "GH_BEAT"], RESULT_COLUMNS)


def test_a_layer_with_lines_and_empty_rows_gets_geoids_only_for_its_points(workspace):
    import geopandas as gpd
    import shapely

    layer = gpd.GeoDataFrame(
        {"id": [1, 2, 3, 4]},
        geometry=[
            shapely.Point(-78.9016, 35.996),
            shapely.LineString([(-78.9, 36.0), (-78.8, 36.0)]),
            None,
            shapely.Point(),
        ],
        crs=4326,
    )
    out = workspace.assign(layer)  # census GEOIDs too: never an error for a non-point row
    assert out["beat"].tolist() == ["512", None, None, None]
    assert out["status"].tolist() == ["ok", "invalid", "invalid", "invalid"]
    assert out["tract_geoid"].iloc[0].startswith("37063") and out["tract_geoid"].iloc[1:].isna().all()
