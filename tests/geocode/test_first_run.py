"""A first run builds only what its lookup needs; a cold build and a warm load answer alike
(issue 31: the crossing table and the streets' point paths are made on the first crossing)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from geo_heart.area import Area
from geo_heart.geocode import reference
from geo_heart.geocode.lines import street_paths
from geo_heart.geocode.match import geocoder_for
from geo_heart.geocode.reference import history_counts

TOY = Path(__file__).resolve().parent.parent / "data" / "toy"
TEXTS = [
    "100 OAK ST", "202 OAK ST", "OAK ST & ELM AVE", "ELM AVE / OAK ST", "300 ELM AVE", "OAK ST",
    "99 NOWHERE RD", "1200 OAK ST",
]  # fmt: skip
#: (status, beat, match_type) of TEXTS on the toy area
WANT = [
    ("ok", "11", "address_point"), ("ok", "11", "address_point"), ("ok", "12", "intersection"),
    ("ok", "12", "intersection"), ("ok", "12", "address_point"), ("approximate", "None", "street"),
    ("unmatched", "None", "unmatched"), ("ok", "12", "address_point"),
]  # fmt: skip


def _area(cache: Path) -> Area:
    return Area.load(TOY / "toy.toml", data_dir=TOY, cache_dir=cache)


def _answers(area: Area) -> pd.DataFrame:
    """Every result column of TEXTS geocoded (as text: NaN and None compare equal)."""
    out = area.geocode(pd.DataFrame({"t": TEXTS}), address="t")
    return pd.DataFrame(out.drop(columns="geometry")).astype(str)


def _summary(answers: pd.DataFrame) -> list[tuple[str, str, str]]:
    return list(answers[["status", "beat", "match_type"]].itertuples(index=False, name=None))


def _files(cache: Path, prefix: str) -> list[Path]:
    return sorted(cache.glob(f"{prefix}-*"))


def _crossing_lookup(area: Area) -> None:
    r = area.lookup("OAK ST & ELM AVE", call_type="trespass", at="2024-06-01T11:00")
    assert (r.status, r.beat) == ("ok", "12")


def test_a_plain_lookup_builds_no_crossings_and_a_crossing_builds_them_once(tmp_path):
    cache = tmp_path / "cache"
    cold = _area(cache)
    r = cold.lookup("100 OAK ST", call_type="trespass", at="2024-06-01T11:00")
    assert (r.status, r.beat) == ("ok", "11")
    idx = geocoder_for(cold).index
    assert idx.crossings is None and not idx.paths_ready  # nothing made for crossings yet
    assert len(_files(cache, "geocode-index")) == 1 and len(_files(cache, "beats")) == 1
    assert _files(cache, "geocode-crossings") == []
    got = _answers(cold)  # a batch naming two crossings tests only its own street pairs
    assert _summary(got) == WANT
    assert idx.crossings is None and not idx.paths_ready
    assert _files(cache, "geocode-crossings") == []
    # a single lookup of a crossing (a new process: nothing memoised) makes the table and the
    # paths now, once
    later = _area(cache)
    _crossing_lookup(later)
    idx = geocoder_for(later).index
    assert idx.crossings is not None and idx.paths_ready
    assert ("ELM AVE", "OAK ST") in idx.crossings
    (crossings_file,) = _files(cache, "geocode-crossings")
    saved = pickle.loads(crossings_file.read_bytes())
    assert saved["pairs"] == idx.crossings and set(saved["paths"]) == {"ELM AVE", "OAK ST"}


def test_cold_build_and_warm_load_give_the_same_answers(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cold = _answers(_area(cache))
    assert _summary(cold) == WANT
    _crossing_lookup(_area(cache))  # makes the crossing table (a batch leaves it)

    # a warm process reads the index and the crossing table: neither is made again
    def refuse(*a, **k):
        raise AssertionError("made again on a warm cache")

    monkeypatch.setattr(reference, "build_index", refuse)
    monkeypatch.setattr("geo_heart.geocode.crossing_pairs.crossing_pairs", refuse)
    monkeypatch.setattr("geo_heart.geocode.lines.street_paths", refuse)
    warm = _answers(_area(cache))
    pd.testing.assert_frame_equal(warm, cold)
    lookup = _area(cache).lookup("OAK ST & ELM AVE", call_type="trespass", at="2024-06-01T11:00")
    assert (lookup.status, lookup.beat) == ("ok", "12")


def test_made_up_front_or_on_first_use_the_answers_are_the_same(tmp_path, monkeypatch):
    lazy = _answers(_area(tmp_path / "lazy"))
    eager_area = _area(tmp_path / "eager")
    idx = geocoder_for(eager_area).index
    idx.crossing_table()  # as the index build used to: every path and pair before any lookup
    assert idx.paths_ready and idx.crossings
    eager_area.forget("geocoder")
    monkeypatch.setattr("geo_heart.geocode.match.load_or_build", lambda ws, rebuild=False: idx)
    assert geocoder_for(eager_area).index is idx
    pd.testing.assert_frame_equal(_answers(eager_area), lazy)
    # the paths made on first use are the ones street_paths gives for each street's points
    for sd in idx.streets.values():
        if sd.numbers is not None:
            parts, sigma = street_paths(sd.numbers, sd.x_ft, sd.y_ft, idx.unit_m)
            assert sigma == sd.path_sigma
            assert all(np.array_equal(a, b) for a, b in zip(parts, sd.path_parts, strict=True))


def test_an_unreadable_crossing_cache_is_made_again(tmp_path):
    cache = tmp_path / "cache"
    first = _answers(_area(cache))
    _crossing_lookup(_area(cache))
    (crossings_file,) = _files(cache, "geocode-crossings")
    crossings_file.write_bytes(b"not a pickle")
    # the batch finds the file, cannot read it and makes the table again (as before)
    pd.testing.assert_frame_equal(_answers(_area(cache)), first)
    assert pickle.loads(crossings_file.read_bytes())["pairs"]  # written again, whole
    assert pickle.loads(crossings_file.read_bytes())["pairs"]  # written again, whole


def _history_by_pandas(df, a, b, t, half_life):
    """The history guide's grouping as it was written with pandas (the reference)."""
    frame = pd.DataFrame({"a": df[a].astype(str), "b": df[b].astype(str).str.strip()})
    if t:
        year = pd.to_numeric(df[t].astype(str).str.slice(0, 4), errors="coerce")
        age = (year.max() - year).fillna(year.max() - year.min() if year.notna().any() else 0)
        frame["w"] = np.power(2.0, -age.to_numpy(float) / max(half_life, 1e-6))
    else:
        frame["w"] = 1.0
    frame = frame[(frame["b"] != "") & (frame["b"] != "nan")]
    counts = frame.groupby(["a", "b"], sort=True)["w"].sum()
    return (
        counts.index.get_level_values(0).tolist(),
        counts.index.get_level_values(1).tolist(),
        counts.to_numpy(float).tolist(),
    )


@pytest.mark.parametrize("seed", range(40))
def test_history_counts_are_the_pandas_grouping(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    df = pd.DataFrame(
        {
            "A": rng.choice(["100 OAK ST", "200 OAK ST", "OAK ST/ELM AVE", "", "nan", "É ST"], n),
            "B": rng.choice(["11", " 11", "11 ", "", "nan", " ", "\t12", "É"], n),
            "T": rng.choice(["2021-01-01", "2019", "abcd", "", "20", "2022x", "1e3", "é2021"], n),
        },
        dtype=object,
    )
    table = pa.table({k: pa.array(df[k].tolist(), type=pa.string()) for k in df})
    for t in ("T", None):
        for half_life in (1.0, 1.7):
            want = _history_by_pandas(df, "A", "B", t, half_life)
            assert history_counts(df, "A", "B", t, half_life) == want
            assert history_counts(table, "A", "B", t, half_life) == want


def test_numbered_many_is_numbered_address_for_every_text():
    import csv

    from geo_heart.geocode.address import numbered_address
    from geo_heart.geocode.reference import numbered_many

    with open(Path(__file__).with_name("address_cases.csv"), encoding="utf-8") as f:
        texts = [c["input"] for c in csv.DictReader(f)]
    texts += [
        "1200 N DUKE ST", "010 SW BOUNDARY ST", "12 E PETTIGREW ST APT 3", "", "  ", "X" * 600,
        "12 " + "A" * 600,  # a numbered form longer than the parser takes
        "123 MAIN ST\n",  # Python's $ matches before a final newline, RE2's does not
        "\u0661\u0662\u0663 MAIN ST",  # Arabic-Indic digits: Python's \d, not RE2's
        "1234567 MAIN ST", "12  MAIN ST", "12 MAIN ST ", "N DUKE ST/W MAIN ST", "100 BLK MAIN ST",
    ]  # fmt: skip
    nums, codes, keys = numbered_many(texts)
    for text, n, c in zip(texts, nums.tolist(), codes.tolist(), strict=True):
        want = numbered_address(text)
        got = None if c < 0 else (n, keys[c].full, keys[c])
        assert got == want, text
    assert (codes >= 0).sum() > 10 and (codes < 0).sum() > 5
