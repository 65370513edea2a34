"""Reading times in one place: DST and out-of-range values (issue 20 #3 #8), with property tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_heart.config.times import (
    EARLIEST,
    LATEST,
    parse_local_times,
    parse_moment,
    resolve_wall_time,
    wall_time_kind,
)
from geo_heart.errors import GeoHeartError, InputError

NY = "America/New_York"
ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/Berlin",
         "Australia/Lord_Howe", "UTC", "Asia/Kolkata"]  # fmt: skip


def test_fall_back_hour_is_the_first_occurrence_and_counted():
    s = pd.Series(
        ["2024-11-03 01:30:00", "2024-11-03 01:59", "2024-11-03 00:59", "2024-11-03 02:00"]
    )
    t = parse_local_times(s, time_zone=NY, area_zone=NY)
    assert (
        t.local.tolist() == pd.to_datetime(s, format="mixed").tolist()
    )  # wall times kept, none dropped
    assert t.ambiguous.tolist() == [True, True, False, False]
    assert not t.unreadable.any() and t.dst_changes == 2
    # the first occurrence is daylight time: seen from UTC it is 05:30Z, not 06:30Z
    u = parse_local_times(s[:1], time_zone=NY, area_zone="UTC")
    assert u.local.iloc[0] == pd.Timestamp("2024-11-03 05:30")


def test_spring_forward_gap_shifts_forward_and_is_counted():
    s = pd.Series(
        ["2024-03-10 02:30", "2024-03-10 02:00:00", "2024-03-10 03:00", "2024-03-10 01:59"]
    )
    t = parse_local_times(s, time_zone=NY, area_zone=NY)
    assert t.local.tolist() == [pd.Timestamp("2024-03-10 03:30"), pd.Timestamp("2024-03-10 03:00"),
                                pd.Timestamp("2024-03-10 03:00"), pd.Timestamp("2024-03-10 01:59")]  # fmt: skip
    assert t.nonexistent.tolist() == [True, True, False, False]
    assert t.counts() == {"unreadable": 0, "out_of_range": 0, "dst_ambiguous_first": 0,
                          "dst_nonexistent_shifted": 2}  # fmt: skip


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01",
        "9999-12-31",
        "0001-01-01 00:00:00",
        "9999-12-31T23:59:59Z",
        "1500-06-01 10:00",
        "2400/01/01 00:00:00+00",
    ],  # fmt: skip
)
def test_sentinel_dates_are_out_of_range_per_row(value):
    s = pd.Series(["2024-06-01 10:00", value, "garbage", ""])
    t = parse_local_times(s, time_zone=NY, area_zone=NY)
    assert t.local.iloc[0] == pd.Timestamp("2024-06-01 10:00")
    assert t.out_of_range.tolist() == [False, True, False, False]
    assert t.unreadable.tolist() == [False, False, True, True]
    assert t.local.isna().tolist() == [False, True, True, True]


def test_single_times_out_of_range_are_input_errors_not_overflow():
    for text in ("0001-01-01T00:00Z", "9999-12-31T23:00", "0001-01-01T00:00"):
        with pytest.raises(InputError, match="out of range") as info:
            parse_moment(text, NY)
        assert isinstance(info.value, GeoHeartError) and isinstance(info.value, ValueError)
    with pytest.raises(InputError, match="ISO 8601"):
        parse_moment("yesterday", NY)


def test_lookup_notes():
    used, note = parse_moment("2025-03-09T02:30", NY)
    assert used == datetime(2025, 3, 9, 3, 30) and "does not exist" in note and "03:30 EDT" in note
    used, note = parse_moment("2025-11-02T01:30", NY)
    assert used == datetime(2025, 11, 2, 1, 30) and "first" in note and "EDT" in note
    used, note = parse_moment("2025-11-02T01:30-05:00", NY)  # an offset names one instant
    assert used == datetime(2025, 11, 2, 1, 30) and "names the second, EST" in note
    assert "taken as" not in note
    used, note = parse_moment("2025-11-02T05:30Z", NY)
    assert used == datetime(2025, 11, 2, 1, 30) and "names the first, EDT" in note
    assert parse_moment("2025-11-02T03:30-05:00", NY) == (datetime(2025, 11, 2, 3, 30), None)
    assert parse_moment("2025-06-02T11:00", NY)[1] is None


def test_lookup_at_a_dst_time_carries_a_note(toy):
    tz = toy.config.timezone
    r = toy.lookup(lon=-99.9995, lat=40.0049, call_type="TRESPASS", at="2025-03-09T02:30")
    notes = r["notes"] if isinstance(r, dict) else r.notes
    assert any("does not exist" in n and tz in n for n in notes)
    r = toy.lookup(lon=-99.9995, lat=40.0049, at=datetime(2025, 11, 2, 1, 30))
    notes = r["notes"] if isinstance(r, dict) else r.notes
    assert any("happens twice" in n for n in notes)
    with pytest.raises(InputError, match="out of range"):
        toy.lookup(lon=-99.9995, lat=40.0049, at="0001-01-01T00:00Z")


def test_load_calls_counts_dst_and_sentinels_apart(toy, tmp_path):
    calls = pd.read_csv(toy.data_path("calls.csv"), dtype=str, keep_default_na=False).head(8)
    calls["WHEN"] = ["0001-01-01 00:00:00", "9999-12-31", "2024-11-03 01:30:00",
                     "2024-03-10 02:30:00", "garbage", "2024-11-03 01:30:00-05:00",
                     "2024-06-03 10:30:00", ""]  # fmt: skip
    f = tmp_path / "c.csv"
    calls.to_csv(f, index=False)
    data = toy.load_calls(f, time_zone=toy.config.timezone)
    assert data.rows == 8
    assert data.bad_times == 2 and data.out_of_range_times == 2
    assert data.dst_times == {"ambiguous": 1, "nonexistent": 1}
    lt = data.frame["local_time"]
    assert lt.iloc[2] == pd.Timestamp("2024-11-03 01:30") and lt.iloc[3] == pd.Timestamp(
        "2024-03-10 03:30"
    )
    assert data.frame["minute_of_week"].iloc[3] == 6 * 1440 + 3 * 60 + 30  # a Sunday
    assert (data.frame["minute_of_week"].iloc[[0, 1, 4, 7]] == -1).all()
    s = data.summary()
    assert s["out_of_range_times"] == 2 and s["dst_times"]["nonexistent"] == 1


# ------------------------------------------------------------------------------ properties
# pandas localises with zone data whose explicit daylight-saving transitions end in 2037 (it reads
# 2040-03-12 05:00 New York as EST), while zoneinfo applies the rule: call times stay before 2038
_walls = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2037, 12, 31))


@settings(max_examples=150, deadline=None)
@given(wall=_walls, tz=st.sampled_from(ZONES))
def test_property_every_wall_time_resolves_to_a_real_instant(wall, tz):
    wall = wall.replace(second=0, microsecond=0)
    used, kind = resolve_wall_time(wall, tz)
    z = ZoneInfo(tz)
    # the time used exists: it survives a round trip through UTC
    back = used.replace(tzinfo=z, fold=0).astimezone(timezone.utc).astimezone(z)
    assert back.replace(tzinfo=None) == used
    if kind is None or kind == "ambiguous":
        assert used == wall
    else:  # shifted forward, by less than a day
        assert wall < used < wall + timedelta(hours=24)
    assert kind == wall_time_kind(wall, tz)


@settings(max_examples=60, deadline=None)
@given(
    walls=st.lists(_walls, min_size=1, max_size=12),
    tz=st.sampled_from(ZONES),
    area=st.sampled_from(ZONES),
    fmt=st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M:%S"]),
)
def test_property_column_parse_agrees_with_single_parse(walls, tz, area, fmt):
    walls = [w.replace(second=0, microsecond=0) for w in walls]
    texts = pd.Series([w.strftime(fmt) for w in walls])
    t = parse_local_times(texts, time_zone=tz, area_zone=area)
    assert len(t.local) == len(walls) and not t.local.isna().any()
    for i, w in enumerate(walls):
        used, _note = resolve_wall_time(w, tz)
        expect = used.replace(tzinfo=ZoneInfo(tz), fold=0).astimezone(ZoneInfo(area))
        assert t.local.iloc[i] == pd.Timestamp(expect.replace(tzinfo=None))
        assert t.ambiguous[i] == (wall_time_kind(w, tz) == "ambiguous")
        assert t.nonexistent[i] == (wall_time_kind(w, tz) == "nonexistent")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.integers(min_value=1, max_value=9999).map(lambda y: f"{y:04d}-06-15 12:00:00"),
            st.integers(min_value=1, max_value=9999).map(lambda y: f"{y:04d}-01-01T00:00Z"),
        ),
        max_size=10,
    )
)
def test_property_any_text_gives_a_time_or_a_counted_reason(values):
    t = parse_local_times(pd.Series(values, dtype=object), time_zone=NY, area_zone=NY)
    has_time = t.local.notna().to_numpy()
    # every row is exactly one of: a time, unreadable, out of range
    assert np.all(has_time.astype(int) + t.unreadable.astype(int) + t.out_of_range.astype(int) == 1)
    for v, oor in zip(values, t.out_of_range, strict=True):
        if v.endswith(("-06-15 12:00:00", "-01-01T00:00Z")) and v[:4].isdigit():
            when = datetime(
                int(v[:4]), 6 if v.endswith("12:00:00") else 1, 15 if v.endswith("12:00:00") else 1
            )
            assert oor == (not EARLIEST <= when <= LATEST)


def test_lookup_at_with_an_offset_in_the_repeated_hour_names_that_instant(toy_env):
    """Issue 30 #8: an offset in the repeated hour names one instant, never "taken as the first"
    (the toy area is in America/Chicago: -06:00 is the second 01:30, CST)."""
    import json

    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    for at, which in (
        ("2024-11-03T01:30-06:00", "second, CST"),
        ("2024-11-03T01:30-05:00", "first, CDT"),
    ):
        r = CliRunner().invoke(cli, ["lookup", "--lon", "-99.9995", "--lat", "40.0049",
                                     "--at", at, "--json"])  # fmt: skip
        assert r.exit_code == 0, r.output
        notes = json.loads(r.output)["notes"]
        assert any(f"names the {which}" in n for n in notes), notes
        assert not any("taken as the first" in n for n in notes), notes
