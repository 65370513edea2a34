"""io.tables: headers, blank lines and encodings read exactly (issue 12 #8 #9 #16)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_heart.errors import DataSourceError, InputError
from geo_heart.io.tables import iter_table, read_table, write_table


def test_blank_lines_are_rows(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("ADDRESS2\n200 PACIFIC AVE\n\n500 FOSTER ST\n\n\n212 W MAIN ST\n")
    df = read_table(f)
    assert df["ADDRESS2"].tolist() == [
        "200 PACIFIC AVE",
        "",
        "500 FOSTER ST",
        "",
        "",
        "212 W MAIN ST",
    ]


@pytest.mark.parametrize("header", [",ADDRESS2", "a,a", '"x,y",z', "a,,a"])
def test_header_written_back_as_read(tmp_path, header):
    n = header.count(",") + 1 - header.count('"x,y"')
    f = tmp_path / "in.csv"
    f.write_text(header + "\n" + ",".join(str(i) for i in range(n)) + "\n")
    df = read_table(f)
    out = tmp_path / "out.csv"
    write_table(df, out)
    assert out.read_text().splitlines()[0] == header


def test_encodings(tmp_path):
    (tmp_path / "bom.csv").write_bytes("ADDRESS2\nCafé\n".encode("utf-8-sig"))
    (tmp_path / "u16.csv").write_bytes("ADDRESS2,n\nCafé,1\n".encode("utf-16"))
    (tmp_path / "l1.csv").write_bytes("ADDRESS2\nCafé\n".encode("latin-1"))
    assert read_table(tmp_path / "bom.csv").columns.tolist() == ["ADDRESS2"]
    assert read_table(tmp_path / "bom.csv")["ADDRESS2"][0] == "Café"
    u16 = read_table(tmp_path / "u16.csv")
    assert u16.columns.tolist() == ["ADDRESS2", "n"] and u16["ADDRESS2"][0] == "Café"
    with pytest.raises(DataSourceError, match="--encoding"):
        read_table(tmp_path / "l1.csv")
    with pytest.raises(DataSourceError, match="--encoding"):
        list(iter_table(tmp_path / "l1.csv", chunk_rows=1))
    assert read_table(tmp_path / "l1.csv", encoding="cp1252")["ADDRESS2"][0] == "Café"
    with pytest.raises(InputError, match="unknown encoding"):
        read_table(tmp_path / "l1.csv", encoding="nope-8")


def test_chunks_equal_the_whole(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text('a,b\n1,"x\ny"\n\n3,\n4,"q""r"\n5,z\n')
    whole = read_table(f)
    for n in (1, 2, 3, 10):
        parts = list(iter_table(f, chunk_rows=n))
        joined = pd.concat(parts)
        assert joined.index.tolist() == list(range(len(whole)))
        assert joined.values.tolist() == whole.values.tolist()


def test_header_only_and_empty(tmp_path):
    (tmp_path / "h.csv").write_text("a,b\n")
    assert len(read_table(tmp_path / "h.csv")) == 0
    assert sum(len(c) for c in iter_table(tmp_path / "h.csv", chunk_rows=5)) == 0
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(DataSourceError, match="empty"):
        read_table(tmp_path / "e.csv")


def test_duplicate_names_cannot_go_to_parquet(tmp_path):
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(InputError, match="more than once"):
        write_table(df, tmp_path / "o.parquet")
