"""Outputs are honest in every format (issue 30 #3 #4 #6, issue 29 #2 #4): atomic (a Shapefile's
sidecars included), one feature per row in row order, GeoPackage 1.2 everywhere, and text that a
format cannot hold refused (or written with a warning) - never cut silently."""

from __future__ import annotations

import errno
import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_heart.errors import DataSourceError, InputError
from geo_heart.io.vector import check_output, gpkg_version, write_vector
from geo_heart.io.vector_stream import write_vector_from_parquet

FORMATS = ["gpkg", "parquet", "fgb", "shp", "geojson", "csv"]


def _read(path):
    if path.suffix == ".parquet":
        return gpd.read_parquet(path)
    if path.suffix == ".csv":
        from geo_heart.io.tables import read_table

        return read_table(path)  # geo-heart's own reader (keeps a NUL byte)
    return pyogrio.read_dataframe(path)


def _points(n=10, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "lon": rng.uniform(-79.0, -78.8, n),
            "lat": rng.uniform(35.9, 36.1, n),
        }
    )


# ----------------------------------------------------------------------- order (issue 30 #4)
@pytest.mark.parametrize("ext", ["gpkg", "parquet", "fgb", "shp", "geojson"])
def test_every_format_keeps_row_order(tmp_path, ext):
    rows = _points(40)
    path = tmp_path / f"o.{ext}"
    write_vector(rows, check_output(path))
    assert _read(path)["id"].tolist() == rows["id"].tolist()
    work = tmp_path / "w.parquet"
    rows.to_parquet(work, index=False)
    streamed = tmp_path / f"s.{ext}"
    write_vector_from_parquet(work, check_output(streamed))
    assert _read(streamed)["id"].tolist() == rows["id"].tolist()


def test_assign_to_flatgeobuf_in_input_order(toy_env, tmp_path):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    rows = pd.DataFrame(
        {"id": [str(i) for i in range(10)], "lon": [-99.9995 + 0.0004 * ((7 * i) % 10) for i in
         range(10)], "lat": [40.0049 + 0.0001 * ((3 * i) % 10) for i in range(10)]}
    )  # fmt: skip
    src = tmp_path / "p.csv"
    rows.to_csv(src, index=False)
    r = CliRunner().invoke(cli, ["-q", "assign", str(src), "-o", str(tmp_path / "p.fgb")])
    assert r.exit_code == 0, r.output
    assert pyogrio.read_dataframe(tmp_path / "p.fgb")["id"].tolist() == rows["id"].tolist()


# ------------------------------------------------------------------ atomic (issue 30 #3)
@pytest.mark.parametrize("ext", ["shp", "gpkg", "fgb", "geojson", "parquet"])
@pytest.mark.parametrize("streamed", [False, True])
def test_a_failed_second_write_keeps_the_old_output(tmp_path, monkeypatch, ext, streamed):
    rows = _points(5)
    path = tmp_path / f"o.{ext}"
    write_vector(rows, check_output(path), on_loss="warn")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def full_disk(*args, **kwargs):
        target = args[1] if len(args) > 1 else kwargs.get("path", args[0])
        # the driver has begun: half a main file and an empty index, then the disk is full
        from pathlib import Path

        t = Path(str(target))
        t.write_bytes(b"half")
        t.with_suffix(".shx").write_bytes(b"")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pyogrio, "write_dataframe", full_disk)
    monkeypatch.setattr(pyogrio, "write_arrow", full_disk)
    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", full_disk)
    import pyarrow.parquet as pq

    monkeypatch.setattr(pq, "ParquetWriter", lambda *a, **k: full_disk(None, a[0]))
    with pytest.raises(DataSourceError, match="cannot write") as info:
        if streamed:
            work = tmp_path.parent / f"{tmp_path.name}-work.parquet"
            _points(7).to_parquet(work, index=False)
            write_vector_from_parquet(work, check_output(path), on_loss="warn")
        else:
            write_vector(_points(7), check_output(path), on_loss="warn")
    assert "\n" not in str(info.value)
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # the old output whole, sidecars included; no temp left behind
    assert len(_read(path)) == 5


def test_shapefile_second_write_replaces_the_whole_set(tmp_path):
    path = tmp_path / "o.shp"
    write_vector(_points(5), check_output(path), on_loss="warn")
    write_vector(_points(3, seed=9), check_output(path), on_loss="warn")
    assert len(_read(path)) == 3
    assert all((tmp_path / f"o{e}").stat().st_size > 0 for e in (".shp", ".shx", ".dbf"))
    assert not [p for p in tmp_path.iterdir() if "geo-heart-tmp" in p.name]


# -------------------------------------------------------- GeoPackage 1.2 (issue 29 #4)
def test_every_geopackage_map_writes_is_version_1_2(toy_env, tmp_path):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    out = tmp_path / "maps"
    r = CliRunner().invoke(cli, ["-q", "map", "-o", str(out)])
    assert r.exit_code == 0, r.output
    files = sorted(out.rglob("*.gpkg"))
    assert files, "map wrote no GeoPackage"
    for f in files:
        head = f.read_bytes()[:100]
        assert head[68:72] == b"GPKG"  # application_id
        assert int.from_bytes(head[60:64], "big") == 10200, f  # user_version: GeoPackage 1.2


def test_a_layer_added_to_an_old_version_file_makes_it_1_2(tmp_path):
    path = tmp_path / "beats.gpkg"
    g = gpd.GeoDataFrame(_points(2), geometry=gpd.points_from_xy([0, 1], [0, 1]), crs=4326)
    g.to_file(path, layer="old", engine="pyogrio")  # GDAL's default: 1.4
    assert gpkg_version(path) == 10400
    write_vector(_points(3), check_output(path), layer="new")
    assert gpkg_version(path) == 10200 and "new" in pyogrio.list_layers(path)[:, 0]


# ------------------------------------------------ text a format cannot hold (30 #6, 29 #2)
@pytest.mark.parametrize("ext", ["gpkg", "fgb", "shp", "geojson"])
def test_nul_bytes_are_refused_or_warned_never_cut_silently(tmp_path, ext, caplog):
    rows = _points(3).assign(note=["a\x00b", "ok", "c\x00"])
    path = tmp_path / f"o.{ext}"
    with pytest.raises(InputError, match=r"column 'note': 2 values holding a NUL byte") as info:
        write_vector(rows, check_output(path))
    assert "\n" not in str(info.value) and not path.exists()
    with caplog.at_level(logging.WARNING):
        info = write_vector(rows, check_output(path), on_loss="warn")
    assert "column 'note': 2 values holding a NUL byte" in caplog.text
    assert any("NUL" in x for x in info["losses"])


@pytest.mark.parametrize("ext", ["parquet", "csv"])
def test_nul_bytes_are_written_exactly_where_the_format_can(tmp_path, ext):
    rows = _points(2).assign(note=["a\x00b", " x "])
    path = tmp_path / f"o.{ext}"
    write_vector(rows, check_output(path))
    assert _read(path)["note"].tolist() == ["a\x00b", " x "]


def test_honest_shapefile(tmp_path, caplog):
    long = "x" * 300
    rows = _points(4).assign(
        reason=["short", long, "", " padded "],
        in_service=[True, False, None, True],
        n=[1, 2, 3, 4],
        code=["a", "bb", "ccc", "d"],
    )
    path = tmp_path / "o.shp"
    with pytest.raises(InputError) as info:
        write_vector(rows, check_output(path))
    msg = str(info.value)
    assert "column 'reason': 1 values longer than 254 bytes" in msg
    assert "column 'reason': 1 empty or all-space values" in msg
    assert "column 'reason': 1 values with spaces around them" in msg
    assert "in_service_area" not in msg and "in_service" not in msg  # 10 characters: fine
    assert not path.exists()
    with caplog.at_level(logging.WARNING):
        write_vector(rows, check_output(path), on_loss="warn")
    assert "254 bytes" in caplog.text
    dbf = (tmp_path / "o.dbf").read_bytes()
    fields, i = {}, 32
    while dbf[i] != 0x0D:
        fields[dbf[i : i + 11].rstrip(b"\0").decode()] = (chr(dbf[i + 11]), dbf[i + 16])
        i += 32
    assert fields["code"] == ("C", 3)  # width from the data, not 80
    assert fields["reason"] == ("C", 254)
    assert fields["in_service"][0] == "L"  # a logical field, not the text 'True'
    assert fields["n"][0] == "N"
    back = _read(path)
    assert back["in_service"].tolist()[:2] == [True, False]
    assert back["reason"].iloc[1] == long[:254]


def test_shapefile_names_refused_before_any_work(toy_env, tmp_path):
    """The input's own long names are refused before any work (geo-heart's results have fixed
    short names: tests/io/test_shapefile_results.py)."""
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    src = tmp_path / "p.csv"
    src.write_text("id,a_long_column_name,lon,lat\n1,x,-99.9995,40.0049\n")
    out = tmp_path / "p.shp"
    r = CliRunner().invoke(cli, ["assign", str(src), "-o", str(out)])
    assert r.exit_code != 0 and isinstance(r.exception, InputError)
    assert "'a_long_column_name': name longer than 10 characters" in str(r.exception)
    assert "in_service_area" not in str(r.exception)
    assert list(tmp_path.iterdir()) == [src]
    r = CliRunner().invoke(cli, ["-q", "assign", str(src), "-o", str(out), "--on-loss", "warn"])
    assert r.exit_code == 0, r.output
    cmap = pd.read_csv(tmp_path / "p.columns.csv")
    names = dict(zip(cmap["original"], cmap["shapefile"], strict=True))
    assert names["a_long_column_name"] == "a_long_col"
    assert names["in_service_area"] == "in_service"


# ---------------------------------------------- property: any text through every format
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), max_codepoint=0x1F600), max_size=300)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.one_of(_TEXT, st.sampled_from(["", " ", "a\x00", "x" * 260, "é" * 130])),
                      min_size=1, max_size=4))  # fmt: skip
def test_any_text_cell_round_trips_exactly_or_is_refused(tmp_path_factory, cells):
    d = tmp_path_factory.mktemp("rt")
    rows = _points(len(cells)).assign(t=cells)
    for fmt in FORMATS:
        path = d / f"o.{fmt}"
        try:
            write_vector(rows, check_output(path))
        except InputError:
            assert not path.exists()
            continue
        back = _read(path)["t"].tolist()
        if fmt == "csv":  # CSV has no null: an empty cell is the empty text
            assert back == cells, fmt
        else:
            assert [None if v is None else v for v in back] == cells, fmt
        for p in d.iterdir():
            p.unlink()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.one_of(_TEXT, st.sampled_from(["", "  ", " a", "a\x00", "é" * 130])),
                      min_size=1, max_size=6))  # fmt: skip
def test_streamed_checks_agree_with_the_whole_table_checks(tmp_path_factory, cells):
    """The batch-by-batch check of a streamed output finds exactly what the whole-table one does."""
    from geo_heart.io.textloss import text_losses
    from geo_heart.io.vector_stream import parquet_losses

    work = tmp_path_factory.mktemp("w") / "w.parquet"
    rows = _points(len(cells)).assign(t=cells)
    rows.to_parquet(work, index=False)
    for fmt in FORMATS:
        whole = sorted(map(str, text_losses(rows, fmt, skip=("lon", "lat"))))
        assert sorted(map(str, parquet_losses(work, fmt, skip=("lon", "lat")))) == whole, fmt
