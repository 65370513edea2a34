"""Property tests (fast): the hours schedule across midnight and DST, the address parser, the
geocode resume key (issue 20). The time parser's properties are in tests/config/test_times.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_heart.config.schedule import DAY_NAMES, WeeklySchedule
from geo_heart.config.times import resolve_wall_time, wall_time_kind

WEEK = 7 * 1440


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


# one window per day at most, so windows never overlap: start and length (may cross midnight)
windows = st.dictionaries(
    st.integers(0, 6),
    st.tuples(st.integers(0, 1439), st.integers(1, 1440)),
    min_size=1,
    max_size=7,
)


def _no_overlap(win: dict) -> bool:
    mask = np.zeros(WEEK, dtype=int)
    for d, (s, n) in win.items():
        mask[np.arange(d * 1440 + s, d * 1440 + s + n) % WEEK] += 1
    return int(mask.max()) <= 1


@settings(max_examples=120, deadline=None)
@given(win=windows.filter(_no_overlap), probe=st.integers(0, WEEK - 1))
def test_property_schedule_across_midnight(win, probe):
    texts = [
        f"{DAY_NAMES[d]} {_hhmm(s)}-{'24:00' if (s + n) % 1440 == 0 and s + n == 1440 else _hhmm((s + n) % 1440)}"
        for d, (s, n) in win.items()
        if n < 1440 or s == 0
    ]
    if not texts:
        return
    sched = WeeklySchedule.from_config(texts)
    kept = {d: (s, n) for d, (s, n) in win.items() if n < 1440 or s == 0}
    # open exactly in each window, which belongs to the day it starts and may run into the next
    inside = any((probe - (d * 1440 + s)) % WEEK < n for d, (s, n) in kept.items())
    assert bool(sched.is_open_minutes(np.array([probe]))[0]) == inside
    assert sched.minute_mask().sum() == sum(n for _s, n in kept.values())
    same, spill = sched.split_masks()
    assert not (same & spill).any() and ((same | spill) == sched.minute_mask()).all()
    for d, (s, n) in kept.items():  # the part after midnight is the next day's spill
        after = s + n - 1440
        if after > 0:
            assert spill[((d + 1) % 7) * 1440 + after - 1]
            assert same[d * 1440 + s]


@settings(max_examples=120, deadline=None)
@given(
    day=st.dates(datetime(2000, 1, 1).date(), datetime(2035, 12, 31).date()),
    minute=st.integers(0, 1439),
    start=st.integers(0, 1439),
    length=st.integers(1, 1439),
    tz=st.sampled_from(["America/New_York", "America/Los_Angeles", "Europe/Berlin"]),
)
def test_property_schedule_at_dst_wall_times(day, minute, start, length, tz):
    """Every wall time, including those in a DST change, is judged at a time that exists."""
    wall = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    used, kind = resolve_wall_time(wall, tz)
    assert wall_time_kind(used, tz) in (None, "ambiguous")  # the time used always exists
    sched = WeeklySchedule.from_config([f"Mon-Sun {_hhmm(start)}-{_hhmm((start + length) % 1440)}"])
    m = used.weekday() * 1440 + used.hour * 60 + used.minute
    expect = any((m - (d * 1440 + start)) % WEEK < length for d in range(7))
    assert sched.is_open(used) == expect
    if kind == "ambiguous":  # the first occurrence keeps the wall time
        assert used == wall
    if kind == "nonexistent":
        assert used > wall


# ------------------------------------------------------------------------------ address parser
directions = st.sampled_from(["", "N ", "S ", "E ", "W "])
names = st.sampled_from(["MAIN", "OAK", "DUKE", "MARTIN LUTHER KING JR", "ALSTON", "ROXBORO"])
suffixes = st.sampled_from(["ST", "AVE", "RD", "BLVD", "DR", "PKWY", "LN"])


@settings(max_examples=150, deadline=None)
@given(
    number=st.integers(1, 99999),
    pre=directions,
    name=names,
    suffix=suffixes,
    unit=st.sampled_from(["", " APT 4", " UNIT B", " STE 200", " # 12"]),
    spaces=st.sampled_from([" ", "  ", " \t"]),
    lower=st.booleans(),
)
def test_property_address_parser(number, pre, name, suffix, unit, spaces, lower):
    from geo_heart.geocode.address import parse_address

    text = f"{number} {pre}{name} {suffix}{unit}"
    variant = text.replace(" ", spaces)
    variant = variant.lower() if lower else variant
    a, b = parse_address(text), parse_address(variant)
    assert a.status == "ok" and a.kind == "address" and a.number == number
    assert a.key == b.key  # case and spacing never change what is matched
    assert a.street_key is not None and name.split()[0] in a.street_key.memo_text.upper()


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_property_address_parser_any_text(text):
    from geo_heart.geocode.address import parse_address

    p = parse_address(text)
    assert p.status in ("ok", "invalid")
    if p.status == "invalid":
        assert p.reason and p.kind == "invalid"  # a refusal always says why
    assert p.key == parse_address(text).key  # deterministic


# ------------------------------------------------------------------------------ resume key
@pytest.fixture(scope="module")
def key_input(tmp_path_factory):
    f = tmp_path_factory.mktemp("resume") / "in.csv"
    f.write_text("id,address\n1,100 OAK ST\n")
    return f


options = st.fixed_dictionaries(
    {
        "address_column": st.sampled_from(["address", "ADDRESS2"]),
        "min_score": st.sampled_from([0.0, 0.5, 0.8]),
        "chunk_rows": st.integers(1, 100_000),
        "encoding": st.sampled_from([None, "utf-8", "cp1252"]),
        "chunk_hook": st.sampled_from([None, "with_census"]),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=options, b=options)
def test_property_resume_key(toy, key_input, a, b):
    from geo_heart.geocode.batch import resume_key

    ka, kb = resume_key(toy, key_input, a), resume_key(toy, key_input, b)
    assert (ka == kb) == (a == b)  # every option is part of the key
    for k in ("input_sha1", "area_sha1", "index_key", "version", "data_dir"):
        assert ka[k] and ka[k] == kb[k]  # the data, area and version are always in it


def test_resume_key_follows_the_input_content(toy, tmp_path):
    from geo_heart.geocode.batch import resume_key

    f = tmp_path / "in.csv"
    f.write_text("id,address\n1,100 OAK ST\n")
    k1 = resume_key(toy, f, {})
    f.write_text("id,address\n1,102 OAK ST\n")
    assert resume_key(toy, f, {}) != k1
