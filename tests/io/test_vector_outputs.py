"""Vector outputs: formats, CRS, empty geometries, Shapefile name map, fail-fast checks."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from geo_heart.errors import InputError
from geo_heart.io.vector import check_output, shapefile_names, write_vector

ROWS = pd.DataFrame(
    {
        "id": ["a", "b", "c"],
        "lon": ["-78.9016", "", "-78.85"],
        "lat": ["35.9960", "", "35.95"],
        "a_very_long_column_name": ["x", "y", "z"],
        "a_very_long_column_other": ["1", "2", "3"],
    }
)


def _read(path):
    return gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)


@pytest.mark.parametrize("ext", ["gpkg", "parquet", "fgb", "shp", "geojson"])
def test_every_format_keeps_every_row(tmp_path, ext):
    path = tmp_path / f"out.{ext}"
    info = write_vector(ROWS, check_output(path), on_loss="warn" if ext == "shp" else "refuse")
    g = _read(path)
    assert len(g) == 3 and info["features"] == 3 and info["located"] == 2
    assert g.crs.to_epsg() == 4326
    assert g.geometry.isna().tolist() == [False, True, False]  # row without a location kept
    assert list(g.iloc[:, 0]) == ["a", "b", "c"]  # order kept
    assert g.geometry.iloc[0].x == pytest.approx(-78.9016)


def test_geoparquet_metadata_and_crs(tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "x.parquet"
    write_vector(ROWS, check_output(path, crs="EPSG:2264"))
    geo = json.loads(pq.read_metadata(path).metadata[b"geo"])
    assert geo["primary_column"] == "geometry"
    g = gpd.read_parquet(path)
    assert g.crs.to_epsg() == 2264
    assert g.geometry.iloc[0].x == pytest.approx(2029108.1, abs=1.0)  # NC State Plane, US ft


def test_shapefile_column_map(tmp_path):
    names = shapefile_names(ROWS.columns)
    assert names["a_very_long_column_name"] == "a_very_lon"
    assert names["a_very_long_column_other"] == "a_very_l_1"
    with pytest.raises(InputError, match="'a_very_long_column_name': name longer than 10"):
        write_vector(ROWS, check_output(tmp_path / "x.shp"))  # refused unless asked for
    assert not (tmp_path / "x.shp").exists()
    info = write_vector(ROWS, check_output(tmp_path / "x.shp"), on_loss="warn")
    cmap = pd.read_csv(info["columns_map"])
    assert dict(zip(cmap["original"], cmap["shapefile"], strict=True)) == names
    assert "a_very_l_1" in pyogrio.read_info(tmp_path / "x.shp")["fields"]


def test_checks_fail_fast(tmp_path):
    with pytest.raises(InputError, match="unknown output type '.xyz'"):
        check_output(tmp_path / "a.xyz")
    with pytest.raises(InputError, match="does not exist"):
        check_output(tmp_path / "missing" / "a.gpkg")
    with pytest.raises(InputError, match="always EPSG:4326"):
        check_output(tmp_path / "a.geojson", crs="EPSG:2264")
    with pytest.raises(Exception, match="not a CRS"):
        check_output(tmp_path / "a.gpkg", crs="EPSG:99999")
    assert check_output(tmp_path / "a.dat", fmt="gpkg").fmt == "gpkg"


def test_gpkg_layers_accumulate(tmp_path):
    path = tmp_path / "beats.gpkg"
    write_vector(ROWS, check_output(path), layer="one")
    write_vector(ROWS.head(1), check_output(path), layer="two")
    write_vector(ROWS.head(2), check_output(path), layer="one")  # replaced, not appended
    assert set(pyogrio.list_layers(path)[:, 0]) == {"one", "two"}
    assert len(gpd.read_file(path, layer="one")) == 2
