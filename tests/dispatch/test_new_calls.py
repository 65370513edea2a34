"""Programs that take no new calls (issue 33 #4): a follow-up program is never listed as eligible
for a new call, with or without a call type; the area file says which programs take new calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_heart.config.areafile import load_area
from geo_heart.dispatch.eligibility import evaluate
from geo_heart.errors import GeoHeartError

TOY = Path(__file__).resolve().parents[1] / "data" / "toy" / "toy.toml"

FOLLOW_UP = """
[programs.CN]
name = "Care Navigation"
service_area = "pilot"
hours = [{ days = "Mon-Sun", start = "00:00", end = "24:00" }]
call_types = ["follow_up"]
follows_up = ["CRT"]
{extra}

[programs.LINE]
name = "Warm line"
service_area = "citywide"
hours = [{ days = "Mon-Sun", start = "00:00", end = "24:00" }]
call_types = ["mental_health_crisis"]
new_calls = {line}

[call_types.follow_up]
label = "Follow-up"
codes = ["FOLLOW UP"]
"""


def _area(tmp_path, *, extra: str = "", line: str = "false"):
    p = tmp_path / "toy.toml"
    p.write_text(TOY.read_text() + FOLLOW_UP.replace("{extra}", extra).replace("{line}", line))
    return load_area(p)


def test_follow_up_program_is_not_eligible_for_a_call_with_no_type(tmp_path):
    area = _area(tmp_path)
    assert area.programs["CN"].new_calls is False  # default from follows_up
    e = evaluate(area, beat="11", at="2024-06-04T11:00")  # Tuesday, every program open
    assert "CN" not in e.programs and "LINE" not in e.programs
    assert e.programs == ["CCD", "CRT", "CoR"]
    assert "takes no new calls" in e.reasons["CN"] and "follows up" in e.reasons["CN"]
    assert e.reasons["LINE"] == "Warm line takes no new calls"


def test_follow_up_program_is_eligible_for_its_own_call_type_only(tmp_path):
    area = _area(tmp_path)
    assert "CN" in evaluate(area, beat="11", call_type="FOLLOW UP", at="2024-06-04T11:00").programs
    e = evaluate(area, beat="11", call_type="TRESPASS", at="2024-06-04T11:00")
    assert "CN" not in e.programs and "takes no new calls" in e.reasons["CN"]
    e = evaluate(area, beat="11", call_type="DISTURBANCE", at="2024-06-04T11:00")
    assert "LINE" not in e.programs and e.reasons["LINE"].startswith("Warm line takes no new")


def test_new_calls_can_be_set_explicitly(tmp_path):
    area = _area(tmp_path, extra="new_calls = true", line="true")
    assert area.programs["CN"].new_calls and area.programs["LINE"].new_calls
    e = evaluate(area, beat="11", at="2024-06-04T11:00")
    assert "CN" in e.programs and "LINE" in e.programs


def test_new_calls_must_be_a_boolean(tmp_path):
    with pytest.raises(GeoHeartError, match="new_calls"):
        _area(tmp_path, line='"sometimes"')


def test_durham_care_navigation_takes_no_new_calls(workspace):
    e = evaluate(workspace.config, beat="512", at="2024-06-04T11:00")
    assert e.programs == ["CCD", "CRT", "CoR"]
    assert "takes no new calls" in e.reasons["CN"]
