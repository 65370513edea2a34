"""A typed (Parquet) input's columns come out with their types, in every output format.

GeoParquet keeps every Arrow type exactly; GeoPackage and FlatGeobuf keep binary, dates and
date-times; what a format cannot hold is written in its documented text form (binary as upper-case
hex, date-times ISO 8601, lists JSON) and named in the run's notes; a change of values is a loss
under ``--on-loss`` (docs/outputs.md, "Typed columns"). Runs on the toy area.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from geo_heart.io import arrowtypes

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)  # 22:04:05 the day before in New York
T1 = dt.datetime(2020, 6, 1, tzinfo=UTC)


def _typed_table() -> pa.Table:
    """Three toy rows (two found, one not) with a column of every type the brief names."""
    return pa.table({
        "id": pa.array([1, 2, 3], pa.int32()),
        "addr": ["100 OAK ST", "202 OAK ST", "99 NOWHERE RD"],
        "px": [-99.9995, -99.98, -99.5],
        "py": [40.0049, 40.01, 40.5],
        "blob": pa.array([b"\x00\x01ab", b"zz", None], pa.binary()),
        "bad": pa.array([b"\xff\xfe", b"ok", b"!"], pa.large_binary()),  # not UTF-8
        "d": pa.array([dt.date(2024, 1, 2), None, dt.date(1999, 12, 31)], pa.date32()),
        "ts": pa.array([T0.replace(tzinfo=None), None, T1.replace(tzinfo=None)],
                       pa.timestamp("ms")),
        "tsz": pa.array([T0, None, T1], pa.timestamp("ms", tz="America/New_York")),
        "dec": pa.array([decimal.Decimal("1.23"), None, decimal.Decimal("-4.50")],
                        pa.decimal128(9, 2)),
        "cat": pa.array(["a", "b", "a"]).dictionary_encode(),
        "lst": pa.array([[1, 2], [], None], pa.list_(pa.int64())),
        "ls": pa.array(["x", "y", None], pa.large_string()),
        "i8": pa.array([1, -2, None], pa.int8()),
    })  # fmt: skip


USER = ["id", "blob", "bad", "d", "ts", "tsz", "dec", "cat", "lst", "ls", "i8"]


def _invoke(args) -> tuple[int, str]:
    from geo_heart.cli.main import main

    buf = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            main([*map(str, args)])
        except SystemExit as exc:
            code = exc.code or 0
    return code, buf.getvalue()


def _run(tmp_path, command: str, ext: str, *extra) -> tuple[str, object]:
    src = tmp_path / "in.parquet"
    pq.write_table(_typed_table(), src)
    out = tmp_path / f"out.{ext}"
    if command == "geocode":
        args = ["geocode", src, "-o", out, "--address-column", "addr"]
    else:
        args = ["assign", src, "-o", out, "--lon-column", "px", "--lat-column", "py"]
    code, text = _invoke([*args, *extra])
    assert code == 0, text
    return text, out


def _ogr(path) -> pa.Table:
    import pyogrio

    # (pyarrow cannot read back a missing FlatGeobuf geometry from read_arrow: fields only)
    return pyogrio.read_arrow(path, read_geometry=False)[1]


#: (command, extra options): streamed, and the in-memory writer that --overrides takes
RUNS = [("assign", ()), ("geocode", ()), ("geocode", ("--overrides", "FIXES"))]


def _extra(tmp_path, extra):
    if "FIXES" not in extra:
        return extra
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("address,corrected_address,lon,lat,note\n99 NOWHERE RD,,-99.98,40.01,x\n")
    return tuple(str(fixes) if e == "FIXES" else e for e in extra)


@pytest.mark.parametrize(("command", "extra"), RUNS)
def test_geoparquet_keeps_every_arrow_type_exactly(toy_env, tmp_path, command, extra):
    _text, out = _run(tmp_path, command, "parquet", *_extra(tmp_path, extra))
    got, given = pq.read_table(out), _typed_table()
    for c in given.column_names:
        assert got.schema.field(c).type == given.schema.field(c).type, c
        assert got[c].equals(given[c]), c
    assert json.loads(got.schema.metadata[b"geo"])["primary_column"] == "geometry"
    assert got.column_names[: given.num_columns] == given.column_names  # the user's first


@pytest.mark.parametrize(("command", "extra"), RUNS)
def test_geopackage_holds_blobs_dates_and_instants(toy_env, tmp_path, command, extra):
    text, out = _run(tmp_path, command, "gpkg", *_extra(tmp_path, extra))
    got = _ogr(out)
    assert got["blob"].to_pylist() == [b"\x00\x01ab", b"zz", None]
    assert got["bad"].to_pylist() == [b"\xff\xfe", b"ok", b"!"]
    assert got["d"].type == pa.date32()
    assert got["d"].to_pylist() == [dt.date(2024, 1, 2), None, dt.date(1999, 12, 31)]
    # a zone name is not kept: the same instants, in UTC, said in the summary
    assert got["tsz"].to_pylist() == [T0, None, T1]
    assert "'tsz': date-times in America/New_York: written in UTC" in text
    assert got["dec"].to_pylist() == [1.23, None, -4.5]
    assert got["lst"].to_pylist() == ["[1, 2]", "[]", None]
    assert "'lst': lists/structs: written as JSON text" in text
    assert got["cat"].to_pylist() == ["a", "b", "a"]
    assert got["i8"].to_pylist() == [1, -2, None]


@pytest.mark.parametrize("command", ["assign", "geocode"])
def test_flatgeobuf_holds_binary_and_utc_instants(toy_env, tmp_path, command):
    _text, out = _run(tmp_path, command, "fgb")
    got = _ogr(out).to_pydict()
    ids = got["id"]  # FlatGeobuf reads back in its spatial index's order
    rows = {i: {c: got[c][k] for c in got} for k, i in enumerate(ids)}
    assert rows[1]["blob"] == b"\x00\x01ab" and rows[3]["blob"] is None
    assert rows[1]["bad"] == b"\xff\xfe"
    assert rows[1]["tsz"].replace(tzinfo=UTC) == T0


@pytest.mark.parametrize(("command", "extra"), RUNS)
def test_geojson_binary_as_hex_and_instants_with_z(toy_env, tmp_path, command, extra):
    text, out = _run(tmp_path, command, "geojson", *_extra(tmp_path, extra))
    props = [f["properties"] for f in json.loads(out.read_text())["features"]]
    assert [p["blob"] for p in props] == ["00016162", "7A7A", None]
    assert [p["bad"] for p in props] == ["FFFE", "6F6B", "21"]
    assert [p["tsz"] for p in props] == ["2024-01-02T03:04:05Z", None, "2020-06-01T00:00:00Z"]
    assert [p["d"] for p in props] == ["2024-01-02", None, "1999-12-31"]
    assert "'blob': binary: written as hexadecimal text" in text


@pytest.mark.parametrize(("command", "extra"), RUNS)
def test_shapefile_text_forms_and_refused_empty_blob(toy_env, tmp_path, command, extra):
    extra = _extra(tmp_path, extra)
    text, out = _run(tmp_path, command, "shp", *extra)
    got = _ogr(out)
    assert got["blob"].to_pylist() == ["00016162", "7A7A", None]
    assert got["tsz"].to_pylist() == ["2024-01-01T22:04:05-05:00", None,
                                      "2020-05-31T20:00:00-04:00"]  # fmt: skip
    assert got["ts"].to_pylist() == ["2024-01-02T03:04:05", None, "2020-06-01T00:00:00"]
    assert got["d"].to_pylist() == [dt.date(2024, 1, 2), None, dt.date(1999, 12, 31)]
    assert "'ts': date-times: written as ISO 8601 text" in text
    # an empty binary value would be read back as null: refused, naming the column
    t = _typed_table()
    t = t.set_column(t.schema.get_field_index("bad"), "bad",
                     pa.array([b"", b"ok", b"!"], pa.large_binary()))  # fmt: skip
    pq.write_table(t, tmp_path / "in2.parquet")
    args = ["assign", tmp_path / "in2.parquet", "-o", tmp_path / "again.shp",
            "--lon-column", "px", "--lat-column", "py"] if command == "assign" else [
            "geocode", tmp_path / "in2.parquet", "-o", tmp_path / "again.shp",
            "--address-column", "addr", *extra]  # fmt: skip
    code, text = _invoke(args)
    assert code == 1
    assert "column 'bad': 1 empty values (read back as null)" in text
    assert not (tmp_path / "again.shp").exists()


@pytest.mark.parametrize(("command", "extra"), RUNS)
def test_csv_binary_as_hex_never_a_python_repr(toy_env, tmp_path, command, extra):
    import csv

    text, out = _run(tmp_path, command, "csv", *_extra(tmp_path, extra))
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["blob"] for r in rows] == ["00016162", "7A7A", ""]
    assert [r["bad"] for r in rows] == ["FFFE", "6F6B", "21"]
    assert "b'" not in out.read_text()
    assert [r["d"] for r in rows] == ["2024-01-02", "", "1999-12-31"]
    assert [r["ts"] for r in rows] == ["2024-01-02T03:04:05", "", "2020-06-01T00:00:00"]
    assert [r["tsz"] for r in rows] == ["2024-01-01T22:04:05-05:00", "",
                                        "2020-05-31T20:00:00-04:00"]  # fmt: skip
    assert [r["dec"] for r in rows] == ["1.23", "", "-4.50"]
    assert [r["lst"] for r in rows] == ["[1, 2]", "[]", ""]
    assert [r["i8"] for r in rows] == ["1", "-2", ""]  # an integer with a null: never 1.0
    assert "note: column 'blob': binary: written as hexadecimal text" in text


def test_json_summary_lists_the_notes(toy_env, tmp_path):
    text, _out = _run(tmp_path, "assign", "geojson", "--json")
    notes = json.loads(text)["output"]["notes"]
    assert "column 'blob': binary: written as " + arrowtypes.HEX in notes
    assert not any("'d'" in n or "'id'" in n for n in notes)  # kept types: no note


def test_sub_millisecond_times_are_a_loss_in_gdal_formats(toy_env, tmp_path):
    t = _typed_table()
    t = t.set_column(t.schema.get_field_index("ts"), "ts", pa.array(
        [dt.datetime(2024, 1, 2, 3, 4, 5, 123456), None, dt.datetime(2020, 1, 1)],
        pa.timestamp("us")))  # fmt: skip
    pq.write_table(t, tmp_path / "in.parquet")
    base = ["assign", tmp_path / "in.parquet", "--lon-column", "px", "--lat-column", "py"]
    code, text = _invoke([*base, "-o", tmp_path / "o.gpkg"])
    assert code == 1
    assert "column 'ts': 1 date-times finer than a millisecond" in text
    code, text = _invoke([*base, "-o", tmp_path / "o.parquet"])  # GeoParquet keeps them
    assert code == 0, text
    assert pq.read_table(tmp_path / "o.parquet")["ts"].equals(t["ts"])


# ------------------------------------------------------------------------------ the functions
def test_text_forms():
    assert arrowtypes.text_form(pa.array([b"\x00\xff", None])).to_pylist() == ["00FF", None]
    tz = pa.array([T0], pa.timestamp("s", tz="America/New_York"))
    assert arrowtypes.text_form(tz).to_pylist() == ["2024-01-01T22:04:05-05:00"]
    ns = pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 120000)], pa.timestamp("ns"))
    assert arrowtypes.text_form(ns).to_pylist() == ["2024-01-02T03:04:05.120000000"]
    nested = pa.array([{"a": 1, "b": [b"\x01"]}])
    assert json.loads(arrowtypes.text_form(nested)[0].as_py()) == {"a": 1, "b": ["01"]}


@pytest.mark.parametrize(
    ("t", "fmt", "want"),
    [
        (pa.binary(), "gpkg", pa.binary()),
        (pa.large_binary(), "fgb", pa.binary()),
        (pa.binary(), "geojson", pa.string()),
        (pa.timestamp("ms", tz="Europe/Paris"), "gpkg", pa.timestamp("ms", tz="UTC")),
        (pa.timestamp("ms", tz="+02:00"), "geojson", pa.timestamp("ms", tz="+02:00")),
        (pa.timestamp("ms"), "shp", pa.string()),
        (pa.decimal128(9, 2), "gpkg", pa.float64()),
        (pa.decimal128(30, 2), "gpkg", pa.string()),
        (pa.list_(pa.int8()), "fgb", pa.string()),
        (pa.dictionary(pa.int8(), pa.string()), "shp", pa.string()),
        (pa.date64(), "gpkg", pa.date32()),
        (pa.list_(pa.int8()), "parquet", pa.list_(pa.int8())),
    ],
)
def test_fit_type(t, fmt, want):
    assert arrowtypes.fit_type(t, fmt)[0] == want


def test_a_decimal_too_long_for_a_double_is_exact_text():
    arr = pa.array([decimal.Decimal("12345678901234567890.12")], pa.decimal128(30, 2))
    assert arrowtypes.fit_array(arr, "gpkg").to_pylist() == ["12345678901234567890.12"]


def test_a_short_decimal_is_the_nearest_double():
    arr = pa.array([decimal.Decimal("4.56"), decimal.Decimal("-0.10")], pa.decimal128(8, 2))
    assert arrowtypes.fit_array(arr, "fgb").to_pylist() == [4.56, -0.1]
