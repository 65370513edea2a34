"""Vector outputs are streamed batch by batch: one feature per input row, in order, any format."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner


@pytest.mark.parametrize("ext", ["gpkg", "parquet", "fgb", "shp"])
def test_geocode_streams_every_vector_format(tmp_path, toy_env, monkeypatch, ext):
    from geo_heart.cli.main import cli
    from geo_heart.io import vector_stream

    monkeypatch.setattr(vector_stream, "BATCH_ROWS", 2)  # several batches for 7 rows
    texts = ["102 OAK ST", "", "1500 ELM AVE", "NOWHERE ST", "1302 OAK ST", "x", "702 OAK ST"]
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [f"r{i}" for i in range(7)], "addr": texts}).to_csv(src, index=False)
    out = tmp_path / f"out.{ext}"
    r = CliRunner().invoke(
        cli,
        ["geocode", str(src), "-o", str(out), "--address-column", "addr", "--crs", "EPSG:32614"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    d = gpd.read_parquet(out) if ext == "parquet" else gpd.read_file(out)
    assert d.crs.to_epsg() == 32614
    assert d["id"].tolist() == [f"r{i}" for i in range(7)]
    located = d.geometry.notna() & ~d.geometry.is_empty
    assert located.tolist() == [True, False, True, False, True, False, True]
    # 102 OAK ST is an exact toy address point at lon -99.9995, lat 40.0051 (even numbers north)
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 32614, always_xy=True).transform(-99.9995, 40.0051)
    assert d.geometry.iloc[0].x == pytest.approx(x, abs=0.5)
    assert d.geometry.iloc[0].y == pytest.approx(y, abs=0.5)
    assert not (tmp_path / "out.parquet.geocode.parquet").exists()
