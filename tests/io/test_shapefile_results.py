"""geo-heart's own result columns are Shapefile-safe by design: fixed field names of at most 10
characters, long values split into continuation fields, the full names beside the file, and every
value read back exactly (``geo_heart/io/shapefile.py``; docs/outputs.md "Shapefile")."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_heart.cli.main import cli
from geo_heart.errors import InputError
from geo_heart.io.shapefile import (
    OWN_FIELDS,
    fields_back,
    own_field,
    plan_fields,
    split_text,
)
from geo_heart.io.vector import check_output, write_vector
from geo_heart.io.vector_stream import write_vector_from_parquet

DATA = ("é€ ok " * 60).strip()  # 359 characters, 539 bytes: 3 fields


def _dbf_fields(dbf_path) -> dict[str, tuple[str, int]]:
    dbf = dbf_path.read_bytes()
    fields, i = {}, 32
    while dbf[i] != 0x0D:
        fields[dbf[i : i + 11].rstrip(b"\0").decode()] = (chr(dbf[i + 11]), dbf[i + 16])
        i += 32
    return fields


def test_every_result_column_has_a_fixed_short_unique_field():
    from geo_heart.geo.assign import RESULT_COLUMNS, XY_COLUMNS
    from geo_heart.geo.census import CENSUS_LAYERS
    from geo_heart.geo.rules_at import AT_COLUMNS
    from geo_heart.geocode.match import RESULT_COLUMNS as GEOCODE_COLUMNS
    from geo_heart.geocode.review import POINT_KIND

    results = {*RESULT_COLUMNS, *XY_COLUMNS, *AT_COLUMNS, *GEOCODE_COLUMNS, *CENSUS_LAYERS.values(),
               POINT_KIND, "override", "override_note"}  # fmt: skip
    assert results <= set(OWN_FIELDS)
    names = [n for pair in OWN_FIELDS.values() for n in pair]
    assert all(len(n) <= 10 for n in names)
    assert len({n.lower() for n in names}) == len(names) == 2 * len(OWN_FIELDS)
    assert all(gh.startswith("gh_") for _f, gh in OWN_FIELDS.values())
    assert own_field("in_service_area") == "in_service"
    assert own_field("gh_district") == "gh_dist"
    assert own_field("BEAT") is None  # the user's column, not a result


def test_a_users_column_is_never_taken_for_a_result():
    # the input's own 'reason' is the user's; geo-heart's is then 'gh_reason'
    fields = plan_fields(["reason", "gh_reason", "lon"], input_columns=["reason", "lon"],
                         parts={"gh_reason": 2})  # fmt: skip
    assert fields == {"reason": ["reason"], "gh_reason": ["gh_reason", "gh_reason2"],
                      "lon": ["lon"]}  # fmt: skip
    # a user's long name is cut around the results' fields, never onto one
    fields = plan_fields(["in_service_x1", "in_service_area"], input_columns=["in_service_x1"])
    assert fields["in_service_area"] == ["in_service"]
    assert fields["in_service_x1"] == ["in_servi_1"]
    with pytest.raises(InputError, match="'MATCH_ADDR' would share the Shapefile field"):
        plan_fields(["MATCH_ADDR", "matched_address"], input_columns=["MATCH_ADDR"])
    with pytest.raises(InputError, match="columns 'Beat' and 'BEAT' would both be"):
        plan_fields(["Beat", "BEAT"], input_columns=["Beat", "BEAT"])


_WORDY = st.text(st.sampled_from("ab é€😀 ,;"), min_size=0, max_size=900).map(str.strip)


@settings(max_examples=200, deadline=None)
@given(value=_WORDY)
def test_split_text_is_lossless_and_fits(value):
    parts = split_text(value)
    if parts is None:  # only where every cut would sit next to a space
        assert len(value.encode()) > 254
        return
    assert "".join(parts) == value
    assert all(len(p.encode()) <= 254 for p in parts)
    assert all(p == p.strip(" ") and p for p in parts) or parts == [""]


def test_a_value_no_cut_can_keep_is_refused_not_cut():
    assert split_text("a " * 200 + "a") is None
    rows = _frame().assign(reason=["a " * 200 + "a", "", "short"])
    with pytest.raises(InputError, match="'reason': 1 values longer than 254 bytes that cannot"):
        write_vector(rows, check_output("/tmp/never.shp"), input_columns=["id", "lon", "lat"])


def _frame():
    return pd.DataFrame(
        {
            "id": ["r0", "r1", "r2"],
            "lon": [-78.9, np.nan, -78.8],
            "lat": [36.0, np.nan, 36.05],
            "reason": [DATA, "", "no beat here"],
            "matched_address": ["100 OAK ST " + "X" * 300, None, "2 ELM ST"],
            "in_service_area": [True, None, False],
            "score": [0.9, 0.0, 0.5],
        }
    )


@pytest.mark.parametrize("streamed", [False, True])
def test_results_to_shapefile_without_on_loss_and_back_exactly(tmp_path, streamed):
    rows = _frame()
    path = tmp_path / "r.shp"
    if streamed:
        work = tmp_path / "w.parquet"
        rows.to_parquet(work, index=False)
        info = write_vector_from_parquet(
            work, check_output(path), input_columns=["id", "lon", "lat"]
        )
    else:
        info = write_vector(rows, check_output(path), input_columns=["id", "lon", "lat"])
    assert info["fields"]["reason"] == ["reason", "reason2", "reason3"]
    assert info["fields"]["matched_address"] == ["match_addr", "match_add2"]
    fields = _dbf_fields(tmp_path / "r.dbf")
    assert fields["in_service"] == ("L", 1)  # a logical field
    assert fields["reason"] == ("C", 254) and fields["match_addr"][0] == "C"
    assert fields["score"][0] == "N"
    assert all(len(n) <= 10 for n in fields)
    read = pyogrio.read_dataframe(path)
    assert read["reason2"].iloc[0] and read["reason2"].isna().tolist()[1:] == [True, True]
    back = fields_back(pd.DataFrame(read.drop(columns="geometry")), path)
    assert list(back.columns) == list(rows.columns)
    assert back["reason"].tolist() == [DATA, None, "no beat here"]  # '' is the documented null
    assert back["matched_address"].tolist() == rows["matched_address"].tolist()
    assert back["id"].tolist() == ["r0", "r1", "r2"]
    cmap = pd.read_csv(tmp_path / "r.columns.csv", dtype=str)
    assert cmap[cmap["original"] == "reason"]["shapefile"].tolist() == [
        "reason", "reason2", "reason3"]  # fmt: skip
    qml = (tmp_path / "r.qml").read_text()
    assert 'field="in_service" name="in_service_area"' in qml
    assert 'field="reason2" name="reason (part 2)"' in qml
    # without the map (a .shp copied alone) the fixed names still read back
    (tmp_path / "r.columns.csv").unlink()
    again = fields_back(pd.DataFrame(read.drop(columns="geometry")), path,
                        ["reason", "matched_address", "in_service_area", "score"])  # fmt: skip
    assert again["reason"].iloc[0] == DATA and "in_service_area" in again.columns


@pytest.mark.parametrize("streamed", [False, True])
def test_the_users_own_long_values_still_follow_on_loss(tmp_path, streamed):
    rows = _frame().assign(note=["y" * 300, "a", "b"])
    path = tmp_path / "u.shp"
    write = write_vector
    if streamed:
        work = tmp_path / "w.parquet"
        rows.to_parquet(work, index=False)
        rows, write = work, write_vector_from_parquet
    kw = {"input_columns": ["id", "lon", "lat", "note"]}
    with pytest.raises(InputError, match="'note': 1 values longer than 254 bytes"):
        write(rows, check_output(path), **kw)
    assert not path.exists()
    info = write(rows, check_output(path), on_loss="warn", **kw)
    assert info["fields"]["note"] == ["note"]  # cut, as the user asked, never split
    assert pyogrio.read_dataframe(path)["note"].iloc[0] == "y" * 254


def test_a_csvs_empty_cells_are_missing_values_not_losses(tmp_path):
    rows = _frame().assign(WEAPON=["", "", "KNIFE"], PAD=["", " ", "x"])
    path = tmp_path / "e.shp"
    with pytest.raises(InputError) as err:  # not from a CSV: '' is a value a Shapefile drops
        write_vector(rows.drop(columns="PAD"), check_output(path), input_columns=["WEAPON"])
    assert "'WEAPON': 2 empty or all-space values" in str(err.value)
    with pytest.raises(InputError) as err:  # from a CSV '' is missing, but ' ' is still lost
        write_vector(rows, check_output(path), input_columns=["WEAPON", "PAD"], csv_input=True)
    assert "'PAD': 1 all-space values" in str(err.value) and "WEAPON" not in str(err.value)
    write_vector(rows.drop(columns="PAD"), check_output(path), input_columns=["WEAPON"],
                 csv_input=True)  # fmt: skip
    assert pyogrio.read_dataframe(path)["WEAPON"].tolist() == [None, None, "KNIFE"]


# ------------------------------------------------------------------------------ the commands
def _run(*args):
    r = CliRunner().invoke(cli, ["-q", *map(str, args)])
    return r


def test_assign_to_shapefile_needs_no_on_loss(toy_env, tmp_path):
    src = tmp_path / "p.csv"
    src.write_text("id,BEAT,lon,lat,WHEN\n1,,-99.9995,40.0049,2024-01-02 10:00\n"
                   "2,x,200,95,2024-01-02 10:00\n")  # fmt: skip
    out = tmp_path / "p.shp"
    r = _run("assign", src, "-o", out, "--at-column", "WHEN")
    assert r.exit_code == 0, r.output
    fields = _dbf_fields(tmp_path / "p.dbf")
    assert {"gh_beat", "in_service", "serv_area", "programs", "reason"} <= set(fields)
    assert fields["in_service"][0] == "L"
    r = _run("assign", src, "-o", tmp_path / "p.csv2.csv", "--at-column", "WHEN")
    fresh = pd.read_csv(tmp_path / "p.csv2.csv", dtype=str, keep_default_na=False)
    read = pyogrio.read_dataframe(out)
    back = fields_back(pd.DataFrame(read.drop(columns="geometry")), out)
    assert list(back.columns) == list(fresh.columns)
    assert back["gh_beat"].fillna("").tolist() == fresh["gh_beat"].tolist()
    assert back["reason"].tolist()[1] == fresh["reason"].tolist()[1]  # 'invalid' names the value
    assert back["service_area"].fillna("").tolist() == fresh["service_area"].tolist()


def test_an_input_column_with_a_results_field_name_is_refused_before_work(toy_env, tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("ADDR,match_addr\n100 OAK ST,x\n")
    out = tmp_path / "a.shp"
    r = _run("geocode", src, "-o", out, "--address-column", "ADDR")
    assert r.exit_code == 1 and isinstance(r.exception, InputError)
    assert "'match_addr' would share the Shapefile field 'match_addr'" in str(r.exception)
    assert "'matched_address'" in str(r.exception)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_retry_from_a_shapefile_joins_split_values(toy_env, tmp_path):
    note = "checked on site; " * 30  # 510 characters: ovr_note, ovr_note2, ovr_note3
    pd.DataFrame({"id": ["a", "b", "c"], "ADDR": ["100 OAK ST", "NOWHERE RD", "xx yy"]}).to_csv(
        tmp_path / "in.csv", index=False
    )
    pd.DataFrame({"address": ["NOWHERE RD"], "corrected_address": [""], "lon": [-99.9995],
                  "lat": [40.0049], "note": [note.strip()]}).to_csv(tmp_path / "fixes.csv",
                                                                   index=False)  # fmt: skip
    base = ["geocode", tmp_path / "in.csv", "--address-column", "ADDR", "--json"]
    r = _run(*base, "-o", tmp_path / "prev.shp", "--overrides", tmp_path / "fixes.csv")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)["output"]
    assert info["fields"]["override_note"] == ["ovr_note", "ovr_note2", "ovr_note3"]
    r = _run(*base, "-o", tmp_path / "fresh.csv", "--overrides", tmp_path / "fixes.csv")
    assert r.exit_code == 0, r.output
    r = _run(*base, "-o", tmp_path / "retry.csv", "--retry-failed", tmp_path / "prev.shp")
    assert r.exit_code == 0, r.output
    retry = pd.read_csv(tmp_path / "retry.csv", dtype=str, keep_default_na=False)
    fresh = pd.read_csv(tmp_path / "fresh.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(retry, fresh)
    assert retry["override_note"].tolist()[1] == note.strip()


def test_durham_geocode_to_shapefile_loses_nothing(cli_env, data_dir, tmp_path):
    """Durham's incident table (its first 3,000 rows, 25 reasons longer than 254 bytes) to a
    Shapefile without --on-loss: every value of the CSV run is read back."""
    src = tmp_path / "inc.csv"
    with open(data_dir / "incidents_2021_2024.csv", encoding="utf-8") as fh:
        src.write_text("".join(next(fh) for _ in range(3001)), encoding="utf-8")
    for out in ("g.shp", "g.csv"):
        r = _run("geocode", src, "-o", tmp_path / out, "--address-column", "ADDRESS2")
        assert r.exit_code == 0, r.output
    fresh = pd.read_csv(tmp_path / "g.csv", dtype=str, keep_default_na=False)
    assert (fresh["reason"].str.encode("utf-8").str.len() > 254).sum() > 10
    info = pyogrio.read_info(tmp_path / "g.shp")
    assert {"gh_beat", "in_service", "match_addr", "reason2", "uncert_m"} <= set(info["fields"])
    assert all(len(f) <= 10 for f in info["fields"])
    read = pyogrio.read_dataframe(tmp_path / "g.shp")
    back = fields_back(pd.DataFrame(read.drop(columns="geometry")), tmp_path / "g.shp")
    assert list(back.columns) == list(fresh.columns)
    for c in fresh.columns:
        if pd.api.types.is_numeric_dtype(back[c]) or c == "in_service_area":
            got = pd.to_numeric(fresh[c].map({"": None, "True": 1, "False": 0}).where(
                fresh[c].isin(["", "True", "False"]), fresh[c]))  # fmt: skip
            np.testing.assert_allclose(back[c].astype(float), got.astype(float), rtol=1e-12,
                                       err_msg=c)  # fmt: skip
        else:  # a CSV's empty cell is the Shapefile's null
            assert back[c].fillna("").tolist() == fresh[c].tolist(), c


@pytest.mark.parametrize("streamed", [False, True])
def test_an_unsplittable_value_with_on_loss_warn_is_cut_with_a_warning(tmp_path, caplog,
                                                                        streamed):  # fmt: skip
    import logging

    rows = _frame().assign(reason=["a " * 200 + "a", "", "short"])
    write = write_vector
    if streamed:
        rows.to_parquet(tmp_path / "w.parquet", index=False)
        rows, write = tmp_path / "w.parquet", write_vector_from_parquet
    with caplog.at_level(logging.WARNING):
        write(rows, check_output(tmp_path / "w.shp"), input_columns=["id", "lon", "lat"],
              on_loss="warn")  # fmt: skip
    assert "'reason': 1 values longer than 254 bytes that cannot be split" in caplog.text
    assert pyogrio.read_dataframe(tmp_path / "w.shp")["reason"].iloc[0] == ("a " * 127).strip()


def test_string_dtype_results_are_split_too(tmp_path):
    """pandas 3 reads and builds text as its string dtype, not object: long own results must
    still be split into parts, never cut at 254 bytes (a clean core install gets pandas 3).
    Fails without the fix under pandas 3 only (pandas 2 hands the writer object columns)."""
    rows = _frame()
    for c in ("reason", "matched_address"):
        rows[c] = rows[c].astype(pd.StringDtype(na_value=np.nan))  # pandas 3's "str"
    path = tmp_path / "s.shp"
    info = write_vector(rows, check_output(path), input_columns=["id", "lon", "lat"])
    assert info["fields"]["reason"] == ["reason", "reason2", "reason3"]
    read = pyogrio.read_dataframe(path)
    back = fields_back(pd.DataFrame(read.drop(columns="geometry")), path)
    assert back["reason"].iloc[0] == DATA
