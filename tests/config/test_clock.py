"""One clock for "now" (geo_heart.config.clock): GEO_HEART_NOW pins it for drills, replays and
reproducible tests; a lookup without a time answers at the pinned moment."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from geo_heart.config.clock import ENV, now_local, today_local
from geo_heart.errors import ConfigError

TZ = "America/New_York"


def test_unset_is_the_real_clock(monkeypatch):
    from zoneinfo import ZoneInfo

    monkeypatch.delenv(ENV, raising=False)
    before = datetime.now(ZoneInfo(TZ)).replace(tzinfo=None)
    got = now_local(TZ)
    after = datetime.now(ZoneInfo(TZ)).replace(tzinfo=None)
    assert before <= got <= after and got.tzinfo is None


def test_a_naive_pin_is_the_area_wall_time(monkeypatch):
    monkeypatch.setenv(ENV, "2024-06-01T03:15")
    assert now_local(TZ) == datetime(2024, 6, 1, 3, 15)
    assert today_local(TZ) == date(2024, 6, 1)


def test_a_pin_with_an_offset_is_an_instant_converted_to_the_area_zone(monkeypatch):
    monkeypatch.setenv(ENV, "2024-06-01T02:00Z")  # 22:00 EDT the evening before
    assert now_local(TZ) == datetime(2024, 5, 31, 22, 0)
    assert now_local("America/Los_Angeles") == datetime(2024, 5, 31, 19, 0)


@pytest.mark.parametrize("bad", ["tomorrow", "2024-13-01T10:00", "9999-01-01T00:00"])
def test_a_bad_pin_is_one_clear_error(monkeypatch, bad):
    monkeypatch.setenv(ENV, bad)
    with pytest.raises(ConfigError, match=f"environment {ENV}: time '{bad}'"):
        now_local(TZ)


def test_a_lookup_without_a_time_answers_at_the_pinned_moment(toy, monkeypatch):
    # toy CRT: beat 11 (the pilot), Mon-Sun 10:00-21:00 America/Chicago
    monkeypatch.setenv(ENV, "2024-06-01T11:00")  # a Saturday morning
    r = toy.lookup(lon=-99.995, lat=40.005, call_type="trespass")
    assert r.programs == ["CRT"] and r.local_time.startswith("2024-06-01T11:00")
    monkeypatch.setenv(ENV, "2024-06-01T22:30")
    r = toy.lookup(lon=-99.995, lat=40.005, call_type="trespass")
    assert r.programs == [] and "outside CRT hours" in r.reasons["CRT"]
    monkeypatch.setenv(ENV, "2024-06-02T03:30Z")  # 22:30 CDT on the Saturday, as an instant
    assert toy.lookup(lon=-99.995, lat=40.005, call_type="trespass").programs == []
