"""A streamed GeoPackage gets a complete R-tree while its build is held to bounded memory."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo_heart.io import ogr, vector_stream


@pytest.mark.parametrize("cap", [None, "4096"])  # the shipped cap, and one that forces spills
def test_streamed_geopackage_has_a_complete_rtree(tmp_path, monkeypatch, cap):
    if cap is not None:
        config = {**ogr.GPKG_RTREE_CONFIG, "OGR_GPKG_MAX_RAM_USAGE_RTREE": cap}
        monkeypatch.setattr(vector_stream, "GPKG_RTREE_CONFIG", config)
    monkeypatch.setattr(vector_stream, "BATCH_ROWS", 97)  # many batches
    rng = np.random.default_rng(5)
    n = 2000
    lon, lat = rng.uniform(-79.0, -78.7, n), rng.uniform(35.8, 36.1, n)
    work = tmp_path / "work.parquet"
    pd.DataFrame({"rid": np.arange(n), "lon": lon, "lat": lat}).to_parquet(work)
    before = {k: pyogrio.get_gdal_config_option(k) for k in ogr.GPKG_RTREE_CONFIG}
    out = tmp_path / "out.gpkg"
    info = vector_stream.write_vector_from_parquet(work, out)
    assert info["features"] == n
    # GDAL's process-wide settings are put back
    assert {k: pyogrio.get_gdal_config_option(k) for k in ogr.GPKG_RTREE_CONFIG} == before
    layer = info["layer"]
    with sqlite3.connect(out) as db:
        ext = db.execute(
            "SELECT count(*) FROM gpkg_extensions WHERE table_name = ? "
            "AND extension_name = 'gpkg_rtree_index'", (layer,)
        ).fetchone()[0]  # fmt: skip
        (geom,) = db.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
        ).fetchone()
        rows = db.execute(
            f'SELECT r.id, r.minx, r.maxx, r.miny, r.maxy, t.rid FROM "rtree_{layer}_{geom}" r '
            f'JOIN "{layer}" t ON t.fid = r.id ORDER BY t.rid'
        ).fetchall()
    assert ext == 1 and len(rows) == n
    got = np.array([r[1:5] for r in rows])
    # the R-tree holds float32 boxes around each point
    assert np.allclose(got[:, 0], lon, atol=1e-4) and np.allclose(got[:, 2], lat, atol=1e-4)
    assert (got[:, 0] <= lon).all() and (got[:, 1] >= lon).all()
    # a bounding-box read through GDAL (which uses the R-tree) finds exactly the points inside
    box = (-78.9, 35.9, -78.8, 36.0)
    hit = pyogrio.read_dataframe(out, bbox=box, columns=["rid"])
    inside = (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])
    assert sorted(hit["rid"].tolist()) == np.flatnonzero(inside).tolist()


def test_gdal_config_restores_on_error():
    name = "OGR_GPKG_MAX_RAM_USAGE_RTREE"
    before = pyogrio.get_gdal_config_option(name)
    with pytest.raises(RuntimeError), ogr.gdal_config({name: "12345"}):
        assert str(pyogrio.get_gdal_config_option(name)) == "12345"  # pyogrio parses numbers
        raise RuntimeError("write failed")
    assert pyogrio.get_gdal_config_option(name) == before
