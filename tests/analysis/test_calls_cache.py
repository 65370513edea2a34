"""The parsed, classified call table is cached between commands, keyed by content (toy area)."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture()
def area(toy_dir, tmp_path):
    from geo_heart.area import Area

    return Area.load(toy_dir / "toy.toml", data_dir=toy_dir, cache_dir=tmp_path / "cache")


def test_second_load_comes_from_the_cache_and_is_identical(area, toy_dir, tmp_path, monkeypatch):
    from geo_heart.analysis import calls as calls_mod
    from geo_heart.analysis.calls import load_calls

    src = tmp_path / "calls.csv"
    src.write_bytes((toy_dir / "calls.csv").read_bytes())
    first = load_calls(area, src)
    cached = list((tmp_path / "cache").glob("calls-*.parquet"))
    assert len(cached) == 1

    def boom(*a, **k):
        raise AssertionError("the table was parsed again")

    monkeypatch.setattr(calls_mod, "calls_from_frame", boom)
    again = load_calls(area, src)
    pd.testing.assert_frame_equal(first.frame, again.frame)
    assert again.summary() == first.summary()
    # a changed byte in the calls file is a new key: parsed again, never the stale table
    src.write_text(src.read_text().replace("TRESPASS", "MENTAL HE", 1))
    with pytest.raises(AssertionError, match="parsed again"):
        load_calls(area, src)
    monkeypatch.undo()
    changed = load_calls(area, src)
    assert (changed.frame["raw_call_type"] != first.frame["raw_call_type"]).sum() == 1
    assert len(list((tmp_path / "cache").glob("calls-*.parquet"))) == 2


def test_options_and_fixed_rules_are_part_of_the_key(area, toy_dir, tmp_path):
    from geo_heart.analysis.calls import load_calls

    src = toy_dir / "calls.csv"
    load_calls(area, src)
    load_calls(area, src, id_column="ID")
    assert len(list((tmp_path / "cache").glob("calls-*.parquet"))) == 2
    load_calls(area, src, rules=area.config.timeline.latest.name)  # judged under one rule set
    load_calls(area, src, cache=False)
    assert len(list((tmp_path / "cache").glob("calls-*.parquet"))) == 2


def test_a_damaged_cache_entry_is_rebuilt(area, toy_dir, tmp_path):
    from geo_heart.analysis.calls import load_calls

    first = load_calls(area, toy_dir / "calls.csv")
    (entry,) = (tmp_path / "cache").glob("calls-*.parquet")
    entry.write_bytes(b"not parquet")
    again = load_calls(area, toy_dir / "calls.csv")
    pd.testing.assert_frame_equal(first.frame, again.frame)
