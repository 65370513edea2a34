"""Property tests (hypothesis): one row out per row in, in order, user columns unchanged;
answers independent of chunking (resume) and of row order (issue 12, "What must work")."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_heart.errors import GeoHeartError
from geo_heart.geo.assign import assign_table
from geo_heart.geocode.batch import geocode_file

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KNOWN = ["200 PACIFIC AVE", "500 FOSTER ST", "212 W MAIN ST", "2100 N ROXBORO ST", "PO BOX 9"]
cell = st.one_of(
    st.sampled_from(KNOWN + ["", " ", '"', '""', ",", "a\nb", "x\r\ny", "Café ñ 東京"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
)
rows = st.lists(st.tuples(cell, cell), min_size=0, max_size=25)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])


def _write(path, header, data, encoding):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(data)
    path.write_bytes(buf.getvalue().encode(encoding))


@SETTINGS
@given(data=rows, encoding=encodings, chunk=st.integers(1, 7))
def test_geocode_one_row_per_row_in_order_columns_unchanged(
    workspace, tmp_path, data, encoding, chunk
):
    f = tmp_path / "in.csv"
    _write(f, ["ADDRESS2", "note"], data, encoding)
    whole, parts = tmp_path / "whole.csv", tmp_path / "parts.csv"
    geocode_file(workspace, f, whole, address_column="ADDRESS2")
    geocode_file(workspace, f, parts, address_column="ADDRESS2", chunk_rows=chunk)
    out = pd.read_csv(whole, dtype=str, keep_default_na=False)
    assert len(out) == len(data)
    assert out[["ADDRESS2", "note"]].values.tolist() == [list(r) for r in data]
    assert parts.read_bytes() == whole.read_bytes()  # chunking (what resume does) changes nothing


@SETTINGS
@given(lines=st.lists(st.sampled_from(KNOWN + [""]), min_size=1, max_size=20))
def test_one_column_blank_lines(workspace, tmp_path, lines):
    f = tmp_path / "in.csv"
    f.write_text("ADDRESS2\n" + "\n".join(lines) + "\n")
    out = tmp_path / "o.csv"
    geocode_file(workspace, f, out, address_column="ADDRESS2")
    got = pd.read_csv(out, dtype=str, keep_default_na=False, skip_blank_lines=False)
    assert got["ADDRESS2"].tolist() == lines
    assert ((got["status"] == "empty") == (got["ADDRESS2"] == "")).all()


@SETTINGS
@given(
    data=st.lists(st.sampled_from(KNOWN + ["", "1 NOWHERE RD", "MAIN"]), min_size=2, max_size=15),
    seed=st.integers(0, 2**16),
)
def test_geocode_answers_do_not_depend_on_row_order(workspace, tmp_path, data, seed):
    f, g = tmp_path / "a.csv", tmp_path / "b.csv"
    order = np.random.default_rng(seed).permutation(len(data))
    pd.DataFrame({"id": range(len(data)), "ADDRESS2": data}).to_csv(f, index=False)
    pd.DataFrame({"id": order, "ADDRESS2": [data[i] for i in order]}).to_csv(g, index=False)
    geocode_file(workspace, f, tmp_path / "oa.csv", address_column="ADDRESS2")
    geocode_file(workspace, g, tmp_path / "ob.csv", address_column="ADDRESS2")
    a = pd.read_csv(tmp_path / "oa.csv", dtype=str, keep_default_na=False)
    b = pd.read_csv(tmp_path / "ob.csv", dtype=str, keep_default_na=False)
    b = b.set_index(b["id"].astype(int)).sort_index()
    assert a.drop(columns="id").values.tolist() == b.drop(columns="id").values.tolist()


coord_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-180, 180).map(str),
    st.sampled_from(["", " ", "true", "1e308", "-90", "90", "-180", "180", "abc", '"']),
    st.text(max_size=10),
)


@SETTINGS
@given(points=st.lists(st.tuples(coord_text, coord_text, cell), max_size=20))
def test_assign_one_row_per_row_columns_unchanged(workspace, points):
    df = pd.DataFrame(points, columns=["lon", "lat", "status"], dtype=object)
    out, summary = assign_table(workspace, df)
    assert len(out) == len(df) == summary["rows"]
    assert out[["lon", "lat", "status"]].equals(df)
    assert set(out["gh_status"]) <= {"ok", "outside", "invalid"}


@SETTINGS
@given(lon=st.floats(), lat=st.floats())
def test_lookup_any_coordinate_answers_or_says_why(workspace, lon, lat):
    from geo_heart.dispatch.lookup import lookup_point

    try:
        r = lookup_point(workspace, lon, lat)
    except GeoHeartError as exc:
        assert "\n" not in str(exc)
        return
    assert r["status"] in {"ok", "outside", "invalid"}
    if r.get("distance_m") is not None:
        assert 0 <= r["distance_m"] <= 20_015_087


@SETTINGS
@given(text=st.text(max_size=60))
def test_lookup_any_address_text_answers_or_says_why(workspace, text):
    from geo_heart.dispatch.lookup import lookup_address

    try:
        r = lookup_address(workspace, text)
    except GeoHeartError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(r["status"], str)


@pytest.mark.slow
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lon=st.floats(-79.1, -78.7), lat=st.floats(35.85, 36.15))
def test_durham_points_always_answer(workspace, lon, lat):
    from geo_heart.dispatch.lookup import lookup_point

    assert lookup_point(workspace, lon, lat)["status"] in {"ok", "outside"}
