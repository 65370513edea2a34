"""geocode batch: streaming, lock, resume, blank lines, column names (issue 12 #3 #6 #9 #11 #16 #18)."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from geo_heart.errors import DataSourceError, InputError
from geo_heart.geocode.batch import geocode_file
from geo_heart.io.tables import read_parquet

ADDRESSES = ["200 PACIFIC AVE", "", "500 FOSTER ST", "", "", "212 W MAIN ST", "PO BOX 1", "x"]


def _read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_blank_lines_are_empty_rows(workspace, tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("ADDRESS2\n200 PACIFIC AVE\n\n500 FOSTER ST\n\n\n212 W MAIN ST\n")
    out = tmp_path / "o.csv"
    summary = geocode_file(workspace, f, out, address_column="ADDRESS2")
    df = _read(out)
    assert summary["rows"] == len(df) == 6
    assert df["status"].tolist()[1:5:][0] == "empty"
    assert (df["status"] == "empty").sum() == 3 and df.loc[0, "beat"] == "223"


def test_chunked_equals_whole_and_headers_kept(workspace, tmp_path):
    f = tmp_path / "in.csv"
    body = "\n".join(f'{i},"{a}",{i}' for i, a in enumerate(ADDRESSES * 3))
    f.write_text(",ADDRESS2,ADDRESS2x\n" + body + "\n")
    outs = []
    for n in (1, 4, 1000):
        out = tmp_path / f"o{n}.csv"
        geocode_file(workspace, f, out, address_column="ADDRESS2", chunk_rows=n)
        outs.append(out.read_text())
        assert out.read_text().splitlines()[0].startswith(",ADDRESS2,ADDRESS2x,lon,")
    assert outs[0] == outs[1] == outs[2]
    assert not list(tmp_path.glob("*.parts")) and not list(tmp_path.glob(".*"))


def test_parquet_output_streams_and_matches(workspace, tmp_path):
    f = tmp_path / "in.csv"
    pd.DataFrame({"id": range(24), "ADDRESS2": ADDRESSES * 3}).to_csv(f, index=False)
    geocode_file(workspace, f, tmp_path / "o.parquet", address_column="ADDRESS2", chunk_rows=5)
    geocode_file(workspace, f, tmp_path / "o.csv", address_column="ADDRESS2", chunk_rows=100)
    pq = read_parquet(tmp_path / "o.parquet")
    csv = _read(tmp_path / "o.csv")
    assert pq["id"].tolist() == list(map(str, range(24)))
    assert pq["beat"].fillna("").tolist() == csv["beat"].tolist()


def test_resume_after_a_part_is_deleted(workspace, tmp_path, monkeypatch):
    from geo_heart.geocode.match import Geocoder

    f = tmp_path / "in.csv"
    pd.DataFrame({"id": range(24), "ADDRESS2": ADDRESSES * 3}).to_csv(f, index=False)
    clean = tmp_path / "clean.csv"
    geocode_file(workspace, f, clean, address_column="ADDRESS2", chunk_rows=5)
    real = Geocoder.geocode_many
    calls = {"n": 0}

    def flaky(self, texts):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(self, texts)

    out = tmp_path / "out.csv"
    monkeypatch.setattr(Geocoder, "geocode_many", flaky)
    with pytest.raises(KeyboardInterrupt):
        geocode_file(workspace, f, out, address_column="ADDRESS2", chunk_rows=5)
    monkeypatch.setattr(Geocoder, "geocode_many", real)
    parts = tmp_path / "out.csv.parts"
    (parts / "part-000001.parquet").unlink()
    summary = geocode_file(workspace, f, out, address_column="ADDRESS2", chunk_rows=5)
    assert summary["resumed_rows"] == 5  # part 0 kept, part 1 redone
    assert out.read_text() == clean.read_text()
    assert summary["rows"] == 24


def test_conflicting_result_column_is_one_line(workspace, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("ADDRESS2,lon,gh_lon\n200 PACIFIC AVE,1,2\n")
    with pytest.raises(InputError, match="'lon' and 'gh_lon'"):
        geocode_file(workspace, f, tmp_path / "o.csv", address_column="ADDRESS2")


def test_output_equal_to_input_is_refused(workspace, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("ADDRESS2\n200 PACIFIC AVE\n")
    with pytest.raises(InputError, match="is the input"):
        geocode_file(workspace, f, f, address_column="ADDRESS2")
    assert f.read_text() == "ADDRESS2\n200 PACIFIC AVE\n"


def test_list_typed_parquet_column(workspace, tmp_path):
    f = tmp_path / "in.parquet"
    pd.DataFrame({"ADDRESS2": ["200 PACIFIC AVE", "x"], "tags": [[1, 2], []]}).to_parquet(f)
    out = tmp_path / "o.parquet"
    geocode_file(workspace, f, out, address_column="ADDRESS2")
    got = read_parquet(out)
    assert [list(v) for v in got["tags"]] == [[1, 2], []]
    f2 = tmp_path / "in2.parquet"
    pd.DataFrame({"ADDRESS2": [["200 PACIFIC AVE"], ["x"]]}).to_parquet(f2)
    try:
        geocode_file(workspace, f2, tmp_path / "o2.csv", address_column="ADDRESS2")
    except (InputError, DataSourceError) as exc:  # a clear one-line refusal is fine too
        assert "\n" not in str(exc)
    else:
        assert len(_read(tmp_path / "o2.csv")) == 2


def test_a_second_run_on_the_same_output_is_refused(workspace, tmp_path):
    out = tmp_path / "o.csv"
    code = (
        "import time; from geo_heart.io.files import output_lock\n"
        f"with output_lock({str(out)!r}):\n"
        "    print('held', flush=True); time.sleep(30)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"held"
        f = tmp_path / "in.csv"
        f.write_text("ADDRESS2\n200 PACIFIC AVE\n")
        with pytest.raises(DataSourceError, match="being written by another geo-heart run"):
            geocode_file(workspace, f, out, address_column="ADDRESS2")
        assert not out.exists()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
