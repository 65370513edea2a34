"""`area check` is the gate: time zones, hours, CRS and bounds, reference points (issue 20 #4-#6)."""

from __future__ import annotations

import shutil

import geopandas as gpd
import pytest

from geo_heart.config.check import check_area, check_area_warnings
from geo_heart.config.schedule import WeeklySchedule, parse_hours


def _copy(tmp_path, toy_dir, edit_toml=None):
    d = tmp_path / "area"
    shutil.copytree(toy_dir, d)
    toml = d / "toy.toml"
    if edit_toml:
        toml.write_text(edit_toml(toml.read_text()))
    return toml, d


def _check(toml, d):
    return check_area(toml, d), check_area_warnings(toml, d)


def test_the_toy_area_passes(toy_dir):
    assert _check(toy_dir / "toy.toml", toy_dir) == ([], [])


@pytest.mark.parametrize("zone", ["EST", "EST5EDT", "Etc/GMT+5", "US/Central", "CST6CDT", "UTC"])
def test_fixed_offsets_and_abbreviations_are_refused(tmp_path, toy_dir, zone):
    toml, d = _copy(tmp_path, toy_dir, lambda t: t.replace('"America/Chicago"', f'"{zone}"', 1))
    problems, _ = _check(toml, d)
    assert len(problems) == 1 and "area.timezone" in problems[0] and zone in problems[0]
    assert "region zone" in problems[0]


def test_region_zones_without_dst_pass(tmp_path, toy_dir):
    toml, d = _copy(
        tmp_path, toy_dir, lambda t: t.replace('"America/Chicago"', '"America/Phoenix"', 1)
    )
    assert _check(toml, d)[0] == []


@pytest.mark.parametrize(
    "hours,expect",
    [
        ('[{ days = "Mon-Sun", start = "10:00", end = "10:00" }]', "zero-length"),
        ('["Mon-Fri 09:00-09:00"]', "zero-length"),
        ('["Mon-Fri 00:00-00:00"]', "zero-length"),
        ('["Mon-Fri 09:00-17:00", "Wed 16:00-20:00"]', "overlap"),
        ('["Sun 22:00-02:00", "Mon 01:00-03:00"]', "overlap"),  # across midnight
        ('["24/7", "Mon 01:00-03:00"]', "overlap"),
    ],
)
def test_zero_length_and_overlapping_hours_are_refused(tmp_path, toy_dir, hours, expect):
    old = 'hours = [{ days = "Mon-Sun", start = "10:00", end = "21:00" }]'
    toml, d = _copy(tmp_path, toy_dir, lambda t: t.replace(old, f"hours = {hours}", 1))
    problems, _ = _check(toml, d)
    assert len(problems) == 1 and "programs.CRT.hours" in problems[0] and expect in problems[0]
    if not hours.startswith('["'):
        return
    with pytest.raises(ValueError, match=expect):  # the CLI's --hours text too
        parse_hours("; ".join(h.strip('"') for h in hours.strip("[]").split('", "')))


def test_hours_that_only_touch_are_fine():
    s = parse_hours("Mon-Fri 09:00-17:00; Mon-Fri 17:00-21:00; Sat 22:00-24:00; Sun 00:00-02:00")
    assert s.minute_mask().sum() == 5 * 12 * 60 + 4 * 60
    assert WeeklySchedule.from_config(["Mon 00:00-24:00"]).minute_mask().sum() == 1440


def _rewrite_beats(d, change):
    beats = gpd.read_file(d / "beats.geojson")
    path = change(beats)
    if path.name != "beats.geojson":
        toml = d / "toy.toml"
        toml.write_text(toml.read_text().replace('"beats.geojson"', f'"{path.name}"', 1))


def test_beats_in_metres_labelled_4326_are_refused(tmp_path, toy_dir):
    toml, d = _copy(tmp_path, toy_dir)

    def metres_as_degrees(beats):
        m = beats.to_crs(32614)
        out = d / "beats.gpkg"
        m.set_crs(4326, allow_override=True).to_file(out)
        return out

    _rewrite_beats(d, metres_as_degrees)
    problems, _ = _check(toml, d)
    assert any("beats.gpkg" in p and "impossible for its CRS" in p for p in problems), problems


def test_beats_without_a_crs_are_refused(tmp_path, toy_dir):
    toml, d = _copy(tmp_path, toy_dir)

    def no_crs(beats):
        out = d / "beats.shp"
        beats.to_file(out)
        (d / "beats.prj").unlink()
        return out

    _rewrite_beats(d, no_crs)
    problems, _ = _check(toml, d)
    assert any("beats.shp" in p and "no CRS" in p for p in problems), problems


def test_beats_far_from_the_reference_points_warn(tmp_path, toy_dir):
    toml, d = _copy(tmp_path, toy_dir)

    def shifted(beats):
        beats.geometry = beats.geometry.translate(xoff=2.0)
        out = d / "beats.geojson"
        beats.to_file(out, driver="GeoJSON")
        return out

    _rewrite_beats(d, shifted)
    problems, warnings = _check(toml, d)
    assert problems == []
    assert len(warnings) == 1 and "reference points" in warnings[0] and "0%" in warnings[0]


def test_a_broken_layer_is_a_problem_not_a_crash(tmp_path, toy_dir):
    toml, d = _copy(tmp_path, toy_dir)
    text = (d / "beats.geojson").read_text()
    (d / "beats.geojson").write_text(text[: len(text) // 2])
    problems, _ = _check(toml, d)
    assert problems and all("beats.geojson" in p for p in problems)
