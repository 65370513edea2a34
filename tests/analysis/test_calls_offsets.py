"""Issue 32: a time column that stamps local wall-clock times with a wrong ``+00`` offset.

``offsets = "local"`` drops the offset and reads the clock as a wall time of the area's zone; an
``hour_column`` lets the loader say how often the clock agrees with the source's own hour, warn
when honoured offsets look wrong, and give date-only ``00:00:00`` stamps their time of day.
"""

from __future__ import annotations

import contextlib

import pandas as pd
import pytest

from geo_heart.config.times import hours_from_column, parse_local_times, written_clock_hours

NY = "America/New_York"


def test_local_offsets_are_read_as_wall_time_with_dst_rules():
    s = pd.Series(
        [
            "2022/04/15 09:15:00+00",  # EDT: honoured would be 05:15
            "2022/01/03 23:30:00+00",  # EST: honoured would be 18:30
            "2022/03/13 02:30:00+00",  # the spring gap: shifted forward to 03:30
            "2022/11/06 01:30:00+00",  # the autumn repeat: the first occurrence
            "2022-07-01 08:00",  # naive values are unaffected (time_zone)
        ]
    )
    honour = parse_local_times(s, time_zone="UTC", area_zone=NY)
    local = parse_local_times(s, time_zone="UTC", area_zone=NY, offsets="local")
    assert honour.local.iloc[0] == pd.Timestamp("2022-04-15 05:15")
    assert list(local.local) == [
        pd.Timestamp("2022-04-15 09:15"),
        pd.Timestamp("2022-01-03 23:30"),
        pd.Timestamp("2022-03-13 03:30"),
        pd.Timestamp("2022-11-06 01:30"),
        pd.Timestamp("2022-07-01 04:00"),  # naive, in time_zone UTC → EDT
    ]
    assert local.counts()["dst_nonexistent_shifted"] == 1
    assert local.counts()["dst_ambiguous_first"] == 1
    assert local.with_offset.tolist() == [True, True, True, True, False]


def test_unknown_offset_mode_is_a_clear_error():
    from geo_heart.errors import InputError

    with pytest.raises(InputError, match="'sometimes'"):
        parse_local_times(pd.Series(["2022/04/15 09:15:00+00"]), time_zone="UTC",
                          area_zone=NY, offsets="sometimes")  # fmt: skip


def test_written_clock_and_hour_column_readers():
    assert written_clock_hours(
        pd.Series(["2022/04/15 09:15:00+00", "2022-04-15T23:01Z", "x"])
    ).tolist()[:2] == [9, 23]
    hours = hours_from_column(pd.Series(["0915", "915", "9", "09:15", "2400", "", None, 1730]))
    assert hours.tolist()[:4] == [9, 9, 9, 9]
    assert hours.iloc[4:7].isna().all() and hours.iloc[7] == 17


def _frame():
    # four local clock times, one date-only stamp whose hour column holds the time
    return pd.DataFrame(
        {
            "ID": ["a", "b", "c", "d", "e"],
            "TYPE": ["TRESPASS"] * 5,
            "WHEN": [
                "2022/04/15 09:15:00+00",
                "2022/04/15 14:00:00+00",
                "2022/04/16 20:45:00+00",
                "2022/04/17 02:05:00+00",
                "2022/04/18 00:00:00+00",
            ],
            "HOUR": ["0915", "1400", "2045", "0205", "1130"],
            "BEAT": ["11"] * 5,
        }
    )


@pytest.fixture()
def toy_area(toy_dir, tmp_path):
    from geo_heart.area import Area

    return Area.load(toy_dir / "toy.toml", data_dir=toy_dir, cache_dir=tmp_path / "cache")


def test_loader_says_how_it_read_the_offsets(toy_area):
    from geo_heart.analysis.calls import calls_from_frame

    tz = toy_area.config.timezone
    data = calls_from_frame(toy_area, _frame(), source="x.csv", offsets="local", hour_column="HOUR")
    hours = data.frame["local_time"].dt.hour.tolist()
    assert hours == [9, 14, 20, 2, 11]  # the date-only stamp took 11:30 from HOUR
    assert data.frame["local_time"].iloc[4] == pd.Timestamp("2022-04-18 11:30")
    assert data.frame["time_known"].all() and data.date_only == 0
    assert data.summary()["notes"][0] == (
        f"WHEN: +00 offsets read as local wall time in {tz} (offsets = 'local'); "
        "its clock hour equals HOUR in 80.0% of 5 rows"
    )
    assert any("1 WHEN values stamped 00:00:00 took their time of day from HOUR" in n
               for n in data.summary()["notes"])  # fmt: skip
    assert not any("WARNING" in n for n in data.summary()["notes"])


def test_date_only_stamps_are_filled_under_copy_on_write(toy_area):
    """pandas 3 always copies on write (read-only NumPy views): a clean install from PyPI gets
    it, and the loader failed there with 'output array is read-only'. pandas 2's opt-in mode
    behaves the same."""
    from geo_heart.analysis.calls import calls_from_frame

    cow = (
        pd.option_context("mode.copy_on_write", True)
        if int(pd.__version__.split(".")[0]) < 3
        else contextlib.nullcontext()  # pandas 3: always on
    )
    with cow:
        data = calls_from_frame(
            toy_area, _frame(), source="x.csv", offsets="local", hour_column="HOUR"
        )
    assert data.frame["local_time"].dt.hour.tolist() == [9, 14, 20, 2, 11]
    assert data.frame["local_time"].iloc[4] == pd.Timestamp("2022-04-18 11:30")


def test_honoured_offsets_that_look_wrong_are_warned(toy_area, caplog):
    from geo_heart.analysis.calls import calls_from_frame

    data = calls_from_frame(toy_area, _frame(), source="x.csv", hour_column="HOUR")
    if toy_area.config.timezone in ("UTC", "Etc/UTC"):
        pytest.skip("the toy area is in UTC: honoured +00 is its wall clock")
    warn = [n for n in data.summary()["notes"] if n.startswith("WARNING")]
    assert len(warn) == 1 and "offsets = 'local'" in warn[0] and "(80.0%)" in warn[0]
    assert "offsets look wrong" in caplog.text
    assert data.summary()["notes"][: len(data.time_notes)] == data.time_notes


def test_offsets_option_is_part_of_the_cache_key(toy_area, tmp_path):
    from geo_heart.analysis.calls import load_calls

    src = tmp_path / "calls.csv"
    _frame().to_csv(src, index=False)
    honour = load_calls(toy_area, src, hour_column="HOUR")
    local = load_calls(toy_area, src, hour_column="HOUR", offsets="local")
    again = load_calls(toy_area, src, hour_column="HOUR", offsets="local")
    assert honour.frame["local_time"].iloc[0] != local.frame["local_time"].iloc[0]
    pd.testing.assert_frame_equal(local.frame, again.frame)
    assert again.time_notes == local.time_notes  # the notes survive the cache
    assert len(list((tmp_path / "cache").glob("calls-*.parquet"))) == 2


def test_area_file_offsets_key_is_validated(toy_dir, tmp_path):
    from geo_heart.config.areafile import load_area

    text = (
        (toy_dir / "toy.toml")
        .read_text()
        .replace('time_zone = "UTC"', 'time_zone = "UTC"\noffsets = "sometimes"', 1)
    )
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(Exception, match="offsets"):
        load_area(p)


def test_durham_reports_are_read_on_the_local_clock(workspace):
    """Slow: Durham's DATE_REPT (+00, local clock) under boundaries/durham.toml."""
    from geo_heart.analysis.calls import load_calls
    from geo_heart.render.tables import data_period

    data = load_calls(workspace)
    hour = data.frame["local_time"].dt.hour
    inside = float(((hour >= 9) & (hour < 21)).mean())
    assert round(inside, 3) == 0.625  # read as UTC it would be 0.534
    assert data.frame["local_time"].min() >= pd.Timestamp("2021-01-01")
    assert data_period(data)["text"].startswith("01 Jan 2021")
    assert "equals HOUR_REPT in 96.8% of 125,364 rows" in data.summary()["notes"][0]


@pytest.mark.parametrize("offsets", ["honour", "local"])
def test_partitions_time_notes_summed_are_the_whole_tables(offsets):
    """``--engine dask`` rebuilds the load notes from each partition's counts: word for word the
    notes of the whole table (offsets found, the hour column's agreement, date-only stamps)."""
    from geo_heart.config.times import (
        clock_check,
        merge_time_basis,
        parse_local_times,
        time_read_basis,
        time_read_notes,
    )

    raw = pd.Series(["2024/03/01 09:15:00+00", "2024/03/01 00:00:00+00", "2024/03/02 22:10:00-05",
                     "2024/03/03 10:00:00", "2024/07/04 13:00:00+00", "bad", "2024/07/05 00:00:00Z"])
    hours = pd.Series(["0915", "1430", "2210", "1000", "0900", "0100", "0000"])  # fmt: skip

    def basis(lo, hi):
        r, h = raw.iloc[lo:hi].reset_index(drop=True), hours.iloc[lo:hi].reset_index(drop=True)
        parsed = parse_local_times(r, time_zone="America/New_York",
                                   area_zone="America/New_York", offsets=offsets)  # fmt: skip
        check = clock_check(r, parsed, h, column="WHEN", hour_column="HOUR",
                            area_zone="America/New_York")  # fmt: skip
        return time_read_basis(r, parsed, check, column="WHEN", area_zone="America/New_York",
                               hour_column="HOUR")  # fmt: skip

    whole = time_read_notes(basis(0, len(raw)))
    assert any("equals HOUR in" in n for n in whole) and any("took their time" in n for n in whole)
    merged: dict = {}
    for lo, hi in ((0, 2), (2, 3), (3, 7)):
        merged = merge_time_basis(merged, basis(lo, hi))
    assert time_read_notes(merged) == whole
    assert whole[0].startswith("WHEN: +00, -05, Z offsets ")
