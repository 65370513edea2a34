"""``--types auto``: numbers and dates typed, no leading zero ever lost; text by default."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_heart.io.coltypes import column_kind, convert
from geo_heart.io.tables import read_parquet


@pytest.mark.parametrize(
    "values, kind",
    [
        (["1", "22", ""], "int"),
        (["1", "022"], "text"),  # one leading zero keeps the column text
        (["0500", "1200"], "text"),
        (["0", "7"], "int"),
        (["1.5", "2", "-0.25"], "float"),
        (["007.5", "1.0"], "text"),
        (["2021-01-31", "2024/12/01"], "date"),
        (["2021/01/01 05:00:00+00", "2022-03-04T10:11:12Z"], "datetime_utc"),
        (["2021-01-01 10:00", "2021-01-02 11:30:00"], "datetime"),
        (["2021-01-01 10:00", "2021-01-02 11:30:00+00"], "text"),  # mixed offsets: as read
        (["2021-02-30", "2021-01-01"], "text"),  # not a date
        (["abc", "1"], "text"),
        (["", None], "text"),
        # issue 30 #5: nothing lost - only an exact text -> number -> text round trip converts
        (["1234567890123456789", "1"], "int"),  # 19 digits within 64 bits: exact
        (["12345678901234567890", "1"], "text"),  # 20 digits: beyond 64 bits
        (["0.1234567890123456789", "0.5"], "text"),  # more digits than a double holds
        (["35.9960", "1.5"], "text"),  # the trailing zero would be lost
        (["\u0661\u0662\u0663", "4"], "text"),  # Arabic-Indic digits are not ASCII numbers
        (["\u0661\u0662\u0663"], "text"),
        (["+5", "6"], "text"),  # "+5" would come back as "5"
        (["1e5", "2"], "text"),
    ],
)
def test_column_kind(values, kind):
    assert column_kind(pd.Series(values, dtype=object)) == kind


@pytest.mark.parametrize(
    "name", ["INCI_ID", "OBJECTID", "BEAT", "DIST", "zip_code", "GEOID", "UCR_CODE", "caseNumber"]
)
def test_identifier_like_names_stay_text(name):
    from geo_heart.io.coltypes import identifier_like, infer_kinds

    assert identifier_like(name)
    frame = pd.DataFrame({name: ["1", "2"], "PEOPLE": ["3", "4"]}, dtype=object)
    assert infer_kinds(frame, frame.columns) == {"PEOPLE": "int"}


def test_area_unit_columns_stay_text(toy):
    from geo_heart.io.coltypes import area_identifier_columns, infer_kinds

    names = area_identifier_columns(toy.config)
    field = toy.config.beats.id_field  # the area file's beat field, whatever it is called
    assert field in names
    frame = pd.DataFrame({field: ["11", "12"], "PEOPLE": ["3", "4"]}, dtype=object)
    assert infer_kinds(frame, frame.columns, keep_text=names) == {"PEOPLE": "int"}


def test_convert_keeps_row_count_and_nulls():
    s = pd.Series(["3", "", None, "-4"], dtype=object)
    out = convert(s, "int")
    assert out.tolist()[0] == 3 and out.isna().tolist() == [False, True, True, False]
    t = convert(pd.Series(["2021/01/01 05:00:00+00", ""], dtype=object), "datetime_utc")
    assert str(t.iloc[0]) == "2021-01-01 05:00:00+00:00" and pd.isna(t.iloc[1])


@pytest.mark.parametrize("ext", ["gpkg", "parquet"])
def test_geocode_types_auto(toy_env, tmp_path, ext):
    import json

    import pyogrio
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    src = tmp_path / "in.csv"
    src.write_text(
        "ID,ZIP,WHEN,N,PEOPLE,BEAT,ADDRESS\n"
        "1,02134,2024/06/01 10:00:00+00,1.5,3,511,100 OAK ST\n"
        "2,27701,2024/06/02 11:00:00+00,,4,212,200 OAK ST\n"
    )
    out = tmp_path / f"o.{ext}"
    args = ["-q", "geocode", str(src), "-o", str(out), "--address-column", "ADDRESS", "--json"]
    r = CliRunner().invoke(cli, [*args, "--types", "auto"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    typed = json.loads(r.stdout)["output"]["typed_columns"]
    # identifiers stay text (ID, ZIP, BEAT: issue 29 #5), counts and times get their type
    assert typed == {"PEOPLE": "int", "WHEN": "datetime_utc", "N": "float"}
    df = pyogrio.read_dataframe(out) if ext == "gpkg" else read_parquet(out)
    assert df["ZIP"].tolist() == ["02134", "27701"]  # the leading zero survives
    assert df["PEOPLE"].tolist() == [3, 4] and pd.api.types.is_integer_dtype(df["PEOPLE"])
    assert df["ID"].tolist() == ["1", "2"] and df["BEAT"].tolist() == ["511", "212"]
    assert pd.api.types.is_datetime64_any_dtype(df["WHEN"])
    # default: every input column as the text it was
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    df = pyogrio.read_dataframe(out) if ext == "gpkg" else read_parquet(out)
    assert df["ID"].tolist() == ["1", "2"] and df["WHEN"].iloc[0] == "2024/06/01 10:00:00+00"


def test_assign_types_auto(toy_env, tmp_path):
    import json

    import pyogrio
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    src = tmp_path / "p.csv"
    src.write_text(
        "id,count,zip,when,lon,lat\n1,7,02134,2024-06-01,-99.9995,40.0049\n2,8,27701,,,\n"
    )
    out = tmp_path / "p.gpkg"
    args = ["-q", "assign", str(src), "-o", str(out), "--json"]
    r = CliRunner().invoke(cli, [*args, "--types", "auto"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["output"]["typed_columns"]["count"] == "int"
    df = pyogrio.read_dataframe(out)
    assert df["zip"].tolist() == ["02134", "27701"] and df["count"].tolist() == [7, 8]
    assert df["id"].tolist() == ["1", "2"]  # an identifier stays text
    r = CliRunner().invoke(cli, args, catch_exceptions=False)  # default: text as read
    assert pyogrio.read_dataframe(out)["id"].tolist() == ["1", "2"]
