"""Eligibility against the published HEART rules (issue 2's examples and more)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from geo_heart.dispatch.eligibility import eligibility_frame, evaluate, parse_time
from geo_heart.errors import CallTypeError, InputError


@pytest.fixture(scope="module")
def area(workspace):
    return workspace.config


def test_trespass_beat_111_saturday_11_is_crt(area):
    e = evaluate(area, beat="111", call_type="trespass", at="2023-06-03T11:00")
    assert e.programs == ["CRT"]
    assert e.in_service_area


def test_same_call_saturday_22_is_outside_hours(area):
    e = evaluate(area, beat="111", call_type="trespass", at="2023-06-03T22:00")
    assert e.programs == []
    assert "outside CRT hours" in e.reasons["CRT"]
    assert "served only" not in e.reasons["CRT"]


def test_same_call_in_beat_121_is_outside_the_pilot(area):
    e = evaluate(area, beat="121", call_type="trespass", at="2023-06-03T11:00")
    assert e.programs == []
    assert (
        "in June 2023 CRT served only the HEART pilot service area (12 beats); beat 121 was not "
        "one of them" in e.reasons["CRT"]
    )
    assert not e.in_service_area


def test_mental_health_anywhere_in_city_monday_10_is_ccd(area):
    for beat in ("111", "324", "423"):
        e = evaluate(area, beat=beat, call_type="MENTAL HE", at="2023-06-05T10:00")
        assert "CCD" in e.programs, (beat, e.reasons)


def test_ccd_not_for_sheriff_territory_or_no_beat(area):
    e = evaluate(area, beat="999", call_type="MENTAL HE", at="2023-06-05T10:00")
    assert "CCD" not in e.programs
    assert any("Sheriff" in n for n in e.notes)
    e = evaluate(area, beat=None, call_type="MENTAL HE", at="2023-06-05T10:00")
    assert e.programs == [] and "in no beat" in e.reasons["CCD"]


def test_weapon_routes_crt_call_to_cor(area):
    e = evaluate(area, beat="111", call_type="trespass", at="2023-06-05T10:00", risk=True)
    assert "CRT" not in e.programs and "CoR" in e.programs
    assert "routes to CoR" in e.reasons["CRT"]
    # the code itself can carry the flag
    e = evaluate(area, beat="111", call_type="COR - DISTURBAN", at="2023-06-05T10:00")
    assert e.programs == ["CoR"]


def test_cor_risk_types_need_the_flag(area):
    e = evaluate(area, beat="111", call_type="DISTURBANCE", at="2023-06-05T10:00")
    assert e.programs == []
    assert "only with a weapon" in e.reasons["CoR"]


def test_care_navigation_only_follow_ups(area):
    assert evaluate(
        area, beat="111", call_type="HEART FOLLOW UP", at="2023-06-05T10:00"
    ).programs == ["CN"]


def test_time_zone_conversion(area):
    # 15:30 UTC on a Saturday in June is 11:30 EDT → CRT open
    e = evaluate(area, beat="111", call_type="trespass", at="2023-06-03T15:30Z")
    assert e.local_time == datetime(2023, 6, 3, 11, 30) and e.programs == ["CRT"]
    # an aware datetime works the same
    e = evaluate(
        area, beat="111", call_type="trespass", at=datetime(2023, 6, 4, 1, 30, tzinfo=timezone.utc)
    )
    assert e.local_time.hour == 21 and e.programs == []  # 21:30 local, CRT closes at 21:00


def test_end_is_exclusive(area):
    assert evaluate(area, beat="111", call_type="trespass", at="2023-06-03T20:59").programs == [
        "CRT"
    ]
    assert evaluate(area, beat="111", call_type="trespass", at="2023-06-03T21:00").programs == []
    assert evaluate(area, beat="111", call_type="trespass", at="2023-06-03T10:00").programs == [
        "CRT"
    ]


def test_scenario_citywide(area):
    e = evaluate(
        area, beat="121", call_type="trespass", at="2023-06-03T19:30", scenario="citywide_12h"
    )
    assert e.programs == ["CRT"]
    e = evaluate(
        area, beat="121", call_type="trespass", at="2023-06-03T21:30", scenario="citywide_12h"
    )
    assert e.programs == []


def test_errors(area):
    with pytest.raises(CallTypeError):
        evaluate(
            area, beat="111", call_type="not a type", at="2023-06-03T11:00", strict_call_type=True
        )
    # by default an unknown call type is answered: no program takes it
    e = evaluate(area, beat="111", call_type="not a type", at="2023-06-03T11:00")
    assert e.programs == [] and all("no program takes" in r for r in e.reasons.values())
    with pytest.raises(InputError, match="not ISO 8601"):
        parse_time("next tuesday", area.timezone)


def test_no_call_type_checks_area_and_hours(area):
    e = evaluate(area, beat="111", at="2023-06-03T11:00")
    assert e.programs == ["CRT"]
    assert "no call type given" in e.notes[0]


def test_vectorised_matches_single(area, workspace):
    table = workspace.call_types
    raw = [
        "CRT - TRESPASS",
        "MENTAL HE",
        "COR - DOMESTIC",
        "DISTURBANCE",
        "TRESPASS OR UNW",
        "LARCENY",
    ]
    beats = ["111", "324", "513", "111", "121", "111"]
    times = [
        "2023-06-03T11:00",
        "2023-06-05T10:00",
        "2023-06-06T16:59",
        "2023-06-05T10:00",
        "2023-06-03T11:00",
        "2023-06-03T11:00",
    ]
    cls = table.classify_series(raw)
    local = [parse_time(t, area.timezone) for t in times]
    mow = np.array([d.weekday() * 1440 + d.hour * 60 + d.minute for d in local])
    frame = eligibility_frame(
        area,
        beats=pd.Series(beats),
        call_types=cls["call_type"],
        risk=cls["risk"],
        minute_of_week=mow,
        local_time=pd.Series(local),
    )
    for i in range(len(raw)):
        single = (
            evaluate(area, beat=beats[i], call_type=raw[i], at=times[i])
            if cls["call_type"][i]
            else None
        )
        expected = single.programs if single else []
        got = [p for p in area.programs if frame.loc[i, p]]
        assert got == expected, (raw[i], got, expected)
