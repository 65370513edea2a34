"""Area configuration: Durham loads, and broken files fail with file/key/value in the message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo_heart.config.areafile import load_area
from geo_heart.config.settings import Settings, resolve_area_file
from geo_heart.errors import ConfigError

DURHAM = Path(__file__).resolve().parents[2] / "boundaries" / "durham.toml"


def test_durham_config_has_the_published_programs_and_pilot():
    area = load_area(DURHAM)
    assert area.timezone == "America/New_York"
    assert sorted(area.service_areas["pilot"].beats) == sorted(
        ["111", "112", "113", "114", "122", "214", "223", "411", "413", "511", "512", "513"]
    )
    assert set(area.programs) == {"CCD", "CRT", "CoR", "CN"}
    assert area.programs["CRT"].hours.describe() == "Mon-Sun 10:00-21:00"
    assert area.programs["CCD"].hours.describe() == "Mon-Fri 09:00-17:00"
    assert area.programs["CCD"].service_area == "citywide"
    assert area.programs["CRT"].risk == "exclude" and area.programs["CRT"].risk_route_to == "CoR"
    assert "trespass" in area.programs["CoR"].risk_call_types
    assert "trespass" not in area.programs["CoR"].call_types
    assert area.beats.special["999"].outside_city is True
    assert area.service_areas["citywide"].contains("121")
    assert not area.service_areas["citywide"].contains("999")


def test_area_by_name_and_unknown_area():
    assert (
        resolve_area_file("durham") == DURHAM.resolve()
        or resolve_area_file("durham").name == "durham.toml"
    )
    with pytest.raises(ConfigError, match="unknown area 'atlantis'"):
        resolve_area_file("atlantis")
    with pytest.raises(ConfigError, match="does not exist"):
        _ = Settings(area="/nope/missing.toml").area_file


def _broken(tmp_path, old: str, new: str) -> Path:
    text = DURHAM.read_text()
    assert old in text, old
    p = tmp_path / "broken.toml"
    p.write_text(text.replace(old, new, 1))
    return p


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'start = "10:00"',
            'start = "25:00"',
            r"programs\.CRT\.hours\[0\]\.start = '25:00'.* is out of range",
        ),
        (
            'service_area = "pilot"\nhours = [{ days = "Mon-Sun"',
            'service_area = "pilots"\nhours = [{ days = "Mon-Sun"',
            r"programs\.CRT\.service_area = 'pilots'",
        ),
        (
            'days = "Mon-Fri", start = "09:00"',
            'days = "Mon-Fry", start = "09:00"',
            r"day range 'Mon-Fry'",
        ),
        (
            'timezone = "America/New_York"',
            'timezone = "Durham/Bull_City"',
            r"area\.timezone = 'Durham/Bull_City'",
        ),
        ('projected_crs = "EPSG:2264"', 'projected_crs = "EPSG:4326"', r"must be a projected CRS"),
        ('id_field = "LAWBEAT"\n', "\n", r"beats\.id_field: missing required key"),
        (
            '"attempted_suicide", "custody_issue"',
            '"attempted_suicid", "custody_issue"',
            r"programs\.CoR\.call_types = 'attempted_suicid': not a call type",
        ),
        (
            'codes = ["THREATS", "THREAT"]',
            'codes = ["THREATS", "TRESPASS"]',
            r"call_types\.threat\.codes = 'TRESPASS': also listed under call_types\.trespass",
        ),
    ],
)
def test_broken_config_names_file_key_and_value(tmp_path, old, new, expected):
    p = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as info:
        load_area(p)
    msg = str(info.value)
    assert str(p) in msg
    assert re.search(expected, msg), msg


def test_not_toml(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text("[area\nname=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_area(p)
