"""The index build's fast paths give what the general paths give (issue 31: speed only)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from geo_heart.geocode.address import clear_parse_caches, numbered_address, parse_address
from geo_heart.geocode.crossing_pairs import crossing_pairs
from geo_heart.geocode.lines import street_paths
from geo_heart.geocode.reference import StreetData
from geo_heart.io.tables import read_columns, read_table

with open(Path(__file__).with_name("address_cases.csv"), encoding="utf-8") as _f:
    TEXTS = [c["input"] for c in csv.DictReader(_f)]
TEXTS += ["1200 N DUKE ST", "100 W MAIN ST", "12 E PETTIGREW ST APT 3", "X" * 600, "", "  "]


@pytest.mark.parametrize("text", TEXTS)
def test_numbered_address_is_parse_address(text):
    clear_parse_caches()
    p = parse_address(text)
    got = numbered_address(text)
    if p.kind != "address" or p.number is None:
        assert got is None
    else:
        assert got == (p.number, p.street, p.street_key)


def test_numbered_address_reads_the_common_form():
    n, street, key = numbered_address("1200 N DUKE ST")
    assert (n, street, key.full) == (1200, "N DUKE ST", "N DUKE ST")
    assert numbered_address("N DUKE ST/W MAIN ST") is None  # a crossing has no house number


def test_read_columns_matches_read_table(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('a,b,c\n1,"x, y",\n2,,NA\n3,z,"q""r"\n', encoding="utf-8")
    got = read_columns(p, ["c", "a"])
    want = read_table(p)[["c", "a"]]
    assert got.values.tolist() == want.values.tolist() == [["", "1"], ["NA", "2"], ['q"r', "3"]]
    assert list(got.columns) == ["c", "a"]
    assert read_columns(p, ["a", "nope"]) is None


def test_read_columns_blank_line_and_ragged_row_as_read_table(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b\n1,2\n\n3,4\n", encoding="utf-8")
    assert read_columns(p, ["a"]).values.tolist() == [["1"], [""], ["3"]]
    q = tmp_path / "u.tsv"
    q.write_text("a\tb\n1\t2\n3\n", encoding="utf-8")
    assert read_columns(q, ["b"]).values.tolist() == read_table(q)[["b"]].values.tolist()


def _street(key: str, xs, ys) -> StreetData:
    sd = StreetData(key=key, name=key)
    sd.numbers = np.arange(100, 100 + 100 * len(xs), 100, dtype=np.int64)
    sd.x_ft, sd.y_ft = np.asarray(xs, float), np.asarray(ys, float)
    sd.path_parts, sd.path_sigma = street_paths(sd.numbers, sd.x_ft, sd.y_ft, 1.0)
    return sd


def test_crossing_pairs_are_the_streets_within_reach():
    streets = {
        "A ST": _street("A ST", [0, 100, 200, 300], [0, 0, 0, 0]),
        "B ST": _street("B ST", [150, 150, 150], [-100, 0, 100]),  # crosses A
        "C ST": _street("C ST", [5000, 5100, 5200], [5000, 5000, 5000]),  # far from both
        "D ST": _street("D ST", [0, 100, 200], [60, 60, 60]),  # parallel to A, 60 m away
    }
    pairs = crossing_pairs(streets, 1.0)
    assert set(pairs) == {("A ST", "B ST"), ("A ST", "D ST"), ("B ST", "D ST")}
