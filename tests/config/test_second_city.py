"""General capabilities a second city needed, on the toy area (fast): hours across midnight and
DST under dated rules, one hours syntax, the area file's data folder, unit words, outside
cities, calls with dates only, optional population, the exported JSON Schema."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geo_heart.config.areafile import load_area
from geo_heart.config.schedule import parse_hours
from geo_heart.dispatch.eligibility import eligibility_frame, evaluate
from geo_heart.errors import ConfigError, InputError

TOY = Path(__file__).resolve().parents[1] / "data" / "toy"

NIGHT_AREA = """
[area]
name = "Nightville"
timezone = "America/Chicago"
projected_crs = "EPSG:32614"
service_name = "NST"
{data_dir}

[beats]
file = "beats.geojson"
id_field = "BEAT"
district_field = "DIST"
unit_name = "zone"
group_name = "sector"

[service_areas.one]
beats = ["11"]

[service_areas.all]
label = "every beat and district of the town"
all_beats = true

[programs.NT]
name = "Night team"
service_area = "one"
hours = ["Mon-Fri 10:00-18:00"]
call_types = ["welfare"]
risk = "exclude"

[call_types.welfare]
codes = ["WELCK"]
risk_codes = ["WELCKW"]

[[rules]]
name = "first"
label = "first rules"
effective_from = 2021-02-16

[[rules]]
name = "nights"
label = "night shift"
effective_from = 2021-11-04

[rules.programs.NT]
service_area = "all"
hours = ["Mon-Thu 09:00-17:00", "Thu-Sun 18:00-02:30"]

[[rules]]
name = "days"
label = "days only"
effective_from = 2021-11-08

[rules.programs.NT]
service_area = "all"
hours = ["Mon-Sun 08:00-22:00"]
{extra}
"""


def _area(tmp_path: Path, *, data_dir: str = "", extra: str = "") -> Path:
    p = tmp_path / "night.toml"
    p.write_text(NIGHT_AREA.format(data_dir=data_dir, extra=extra), encoding="utf-8")
    return p


# ------------------------------------------------------------------ hours syntax and midnight
def test_hours_text_across_midnight_belongs_to_the_start_day():
    s = parse_hours("Thu-Sun 18:00-02:30")
    assert s.is_open(datetime(2021, 11, 8, 1, 30))  # Monday 01:30: Sunday's shift
    assert s.is_open(datetime(2021, 11, 5, 2, 29))  # Friday 02:29: Thursday's shift
    assert not s.is_open(datetime(2021, 11, 11, 1, 30))  # Thursday 01:30: no Wednesday shift
    assert not s.is_open(datetime(2021, 11, 8, 2, 30))  # end exclusive
    same, spill = s.split_masks()
    assert spill[0 * 1440 + 90] and not same[0 * 1440 + 90]  # Mon 01:30 is Sunday's spill
    assert same[3 * 1440 + 18 * 60] and not spill[3 * 1440 + 18 * 60]
    assert s.hours_per_week() == pytest.approx(4 * 8.5)
    assert parse_hours("24/7").hours_per_week() == 168


def test_one_hours_syntax_in_file_and_cli(tmp_path):
    from geo_heart.analysis.coverage import hours_from_text
    from geo_heart.staffing.data import schedule_from_text

    text = "Mon-Thu 09:00-17:00; Thu-Sun 18:00-02:30"
    assert hours_from_text(text).minute_mask().tolist() == parse_hours(text).minute_mask().tolist()
    assert schedule_from_text(text).describe() == "Mon-Thu 09:00-17:00; Thu-Sun 18:00-02:30"
    with pytest.raises(InputError, match=r"--hours 'Mon 9-5'.*HH:MM"):
        hours_from_text("Mon 9-5")
    # the file reads the same text (and the old table form) to the same schedule
    area = load_area(_area(tmp_path))
    p = area.programs_under("nights")["NT"]
    assert p.hours.describe() == "Mon-Thu 09:00-17:00; Thu-Sun 18:00-02:30"
    bad = _area(tmp_path).read_text().replace('"Mon-Fri 10:00-18:00"', '"Mon 9-5"')
    (tmp_path / "bad.toml").write_text(bad)
    with pytest.raises(ConfigError, match=r"programs\.NT\.hours\[0\].*HH:MM"):
        load_area(tmp_path / "bad.toml")


def test_night_shift_is_judged_by_the_rules_of_the_day_it_started(tmp_path):
    area = load_area(_area(tmp_path))

    def ok(at: str, beat: str = "12") -> bool:
        return "NT" in evaluate(area, beat=beat, call_type="WELCK", at=at).programs

    assert ok("2021-11-05T01:30")  # Thursday's night shift
    assert not ok("2021-11-04T01:30")  # first day of night rules: the day before had none
    # Monday 2021-11-08 is the first day of "days only" (08:00-22:00): Sunday's night shift,
    # under the night rules, still covers 01:30; Tuesday 01:30 is closed
    assert ok("2021-11-08T01:30")
    assert not ok("2021-11-09T01:30")
    assert ok("2021-11-08T09:00")
    # DST ends on 2021-11-07 at 02:00 (America/Chicago): 01:30 happens twice, both inside
    assert ok("2021-11-07T01:30-05:00") and ok("2021-11-07T01:30-06:00")
    assert ok("2021-11-07T01:30")
    # weapon variant excluded
    assert "NT" not in evaluate(area, beat="12", call_type="WELCKW", at="2021-11-07T01:30").programs
    # the same answers vectorised, each call under its own date's rules
    times = pd.to_datetime(
        ["2021-11-05 01:30", "2021-11-04 01:30", "2021-11-08 01:30", "2021-11-09 01:30"]
    )
    mow = (times.day_of_week * 1440 + times.hour * 60 + times.minute).to_numpy()
    frame = eligibility_frame(
        area,
        beats=np.array(["12"] * 4, dtype=object),
        call_types=np.array(["welfare"] * 4, dtype=object),
        risk=np.zeros(4, dtype=bool),
        minute_of_week=mow,
        local_time=times.to_numpy(),
    )
    assert frame["NT"].tolist() == [True, False, True, False]


# ------------------------------------------------------------------ settings and words
def test_area_file_names_its_data_folder(tmp_path, monkeypatch):
    from geo_heart.config.settings import Settings

    data = tmp_path / "shared" / "mydata"
    data.mkdir(parents=True)
    (tmp_path / "boundaries").mkdir()
    path = _area(tmp_path / "boundaries", data_dir='data_dir = "shared/mydata"')
    monkeypatch.delenv("GEO_HEART_DATA", raising=False)
    monkeypatch.chdir(tmp_path / "boundaries")  # relative to the folder above the area file's
    assert Settings(area=str(path)).data_dir == data.resolve()
    assert Settings(area=str(path), data_dir=tmp_path).data_dir == tmp_path  # explicit wins
    # a later area without data_dir brings ./data; a given data_dir is kept
    s = Settings(area=str(path)).with_overrides(area=str(TOY / "toy.toml"))
    assert s.data_dir == Path.cwd() / "data"
    monkeypatch.setenv("GEO_HEART_DATA", str(TOY))
    assert Settings(area=str(path)).data_dir == TOY  # the environment wins over the file
    missing = _area(tmp_path, data_dir='data_dir = "nowhere/at/all"')
    monkeypatch.delenv("GEO_HEART_DATA")
    assert Settings(area=str(missing)).data_dir == Path.cwd() / "data"
    from geo_heart.config.check import check_area

    problems = check_area(missing, Path.cwd() / "data")
    assert any("area.data_dir = 'nowhere/at/all': no such folder" in p for p in problems)


def test_unit_words_come_from_the_area_file(tmp_path):
    from geo_heart.cli.lookup import render_card
    from geo_heart.render.tables import relabel

    area = load_area(_area(tmp_path))
    words = area.beats.labels
    assert words == {"unit": "zone", "units": "zones", "group": "sector", "groups": "sectors"}
    assert relabel("Beats by district; Beat 11 (district D1)", words) == (
        "Zones by sector; Zone 11 (sector D1)"
    )
    durham_words = {"unit": "beat", "units": "beats", "group": "district", "groups": "districts"}
    assert relabel("beat 11 (district D1)", durham_words) == "beat 11 (district D1)"
    # the area file's own labels are already in its words: left as written
    area2 = load_area(_area(tmp_path).parent / "night.toml")
    text = "beat 12 is not in the " + area2.service_areas["all"].label
    assert area2.own_words(text) == "zone 12 is not in the every beat and district of the town"
    card = render_card(
        {"beat": "11", "district": "D1", "in_service_area": True, "service_area": "one",
         "call_type": None, "local_time": "2021-11-05T01:30", "timezone": "America/Chicago",
         "programs": [], "reasons": {}},
        labels=words,
        service_name="NST",
    )  # fmt: skip
    assert "Zone:      11 (sector D1)" in card and "no NST program" in card


# ------------------------------------------------------------------ addresses outside the area
def test_outside_cities_and_words_are_outside_never_a_unit(tmp_path):
    from geo_heart.area import Area

    extra = """
[addresses]
outside_cities = ["OTHERTOWN", "OTWN"]
outside_words = ["AIRPORT"]

[layers.address_points]
file = "address_points.csv"
address_column = "address"
"""
    ws = Area.load(_area(tmp_path, extra=extra), data_dir=TOY, cache_dir=tmp_path / "c")
    g = ws.geocoder()
    assert g.geocode_one("100 OAK ST").beat == "11"
    for text in ("100 OAK ST, OTHERTOWN, TX", "100 BLOCK OF OAK ST, OTWN", "0 CONCOURSE A AIRPORT"):
        r = g.geocode_one(text)
        assert (r.status, r.beat, r.in_service_area) == ("outside", None, False), text
    many = g.geocode_many(["100 OAK ST, OTHERTOWN, TX", "100 OAK ST, SOMEWHERE, TX"])
    assert many["status"].tolist() == ["outside", "ok"]
    assert many["beat"].tolist()[1] == "11"


def test_low_confidence_and_point_crossings_become_candidates(tmp_path):
    from geo_heart.area import Area

    extra = """
[addresses]
confident_min_score = 0.99

[layers.address_points]
file = "address_points.csv"
address_column = "address"
"""
    ws = Area.load(_area(tmp_path, extra=extra), data_dir=TOY, cache_dir=tmp_path / "c")
    r = ws.geocoder().geocode_one("150 OAK ST")  # interpolated: below 0.99
    assert r.status == "ambiguous" and r.candidates and r.candidates[0]["beat"] == r.beat


# ------------------------------------------------------------------ calls with dates only
def _dated_calls(tmp_path: Path) -> Path:
    rows = ["ID,TYPE,WHEN,BEAT"]
    for i, (t, day, beat) in enumerate(
        [("WELCK", "2021-11-05", "11"), ("WELCK", "2021-11-06", "12"), ("WELCKW", "2021-11-06", "12"),
         ("OTHER", "2021-11-07", "21"), ("WELCK", "2021-11-09", "22")]  # fmt: skip
    ):
        rows.append(f"C{i},{t},{day},{beat}")
    p = tmp_path / "dated.csv"
    p.write_text("\n".join(rows) + "\n")
    return p


def test_calls_with_dates_only_are_counted_by_area_and_type_hours_not_judged(tmp_path):
    from geo_heart.analysis.calls import load_calls
    from geo_heart.analysis.demand import beat_demand
    from geo_heart.area import Area

    ws = Area.load(_area(tmp_path), data_dir=TOY, cache_dir=tmp_path / "c")
    data = load_calls(
        ws, _dated_calls(tmp_path), call_type_column="TYPE", time_column="WHEN", beat_column="BEAT"
    )
    assert data.date_only == 5 and not data.hours_judged
    assert "NOT judged" in data.notes[0]
    assert (data.frame["minute_of_week"] == -1).all() and not data.frame["NT"].any()
    t = beat_demand(ws, data).set_index("beat")
    assert "population" not in t.columns and "eligible_per_1000" not in t.columns
    assert any("population" in n for n in t.attrs["notes"])
    assert t["eligible_NT"].to_dict() == {"11": 1, "12": 1, "21": 0, "22": 1, "99": 0}
    # under the night rules every beat is in the area: each type-eligible call counts
    data2 = load_calls(
        ws, _dated_calls(tmp_path), call_type_column="TYPE", time_column="WHEN",
        beat_column="BEAT", rules=ws.config.rule_set("nights"),
    )  # fmt: skip
    assert beat_demand(ws, data2)["eligible_in_area_NT"].sum() == 3


def test_staffing_needs_a_stated_hourly_profile_for_dated_calls(tmp_path):
    from geo_heart.analysis.calls import load_calls
    from geo_heart.area import Area
    from geo_heart.staffing.data import arrivals_from_calls, read_hourly_profile

    ws = Area.load(_area(tmp_path), data_dir=TOY, cache_dir=tmp_path / "c")
    data = load_calls(
        ws, _dated_calls(tmp_path), call_type_column="TYPE", time_column="WHEN",
        beat_column="BEAT", rules=ws.config.rule_set("days"),
    )  # fmt: skip
    with pytest.raises(InputError, match="--hourly-profile"):
        arrivals_from_calls(data, "NT")
    prof = tmp_path / "profile.csv"
    prof.write_text("day,hour,weight\nMon,9,1\nMon,10,3\n")
    shares = read_hourly_profile(prof)
    assert shares[9] == 0.25 and shares[10] == 0.75 and shares.sum() == pytest.approx(1)
    d = arrivals_from_calls(data, "NT", profile=shares, fallback_hours=parse_hours("Mon-Sun 08:00-22:00"))
    weeks = 5 / 7  # 2021-11-05 to 2021-11-09
    assert d.calls == 3 and d.arrivals_per_week[10] == pytest.approx(3 / weeks * 0.75)
    bad = tmp_path / "bad.csv"
    bad.write_text("day,hour,weight\nMonday,25,1\n")
    with pytest.raises(InputError, match=r"row 2"):
        read_hourly_profile(bad)


# ------------------------------------------------------------------ schema export
def test_area_schema_export_validates_the_shipped_area_files(tmp_path):
    import jsonschema

    from geo_heart.cli.main import cli
    from geo_heart.config.schema import tomllib

    out = tmp_path / "area.schema.json"
    res = CliRunner().invoke(cli, ["area", "schema", "-o", str(out)])
    assert res.exit_code == 0, res.output
    schema = json.loads(out.read_text())
    assert "data_dir" in schema["$defs"]["AreaSection"]["properties"]

    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v.isoformat() if hasattr(v, "isoformat") else v

    root = Path(__file__).resolve().parents[2] / "boundaries"
    for name in ("durham", "portland"):
        doc = plain(tomllib.loads((root / f"{name}.toml").read_text()))
        jsonschema.validate(doc, schema)
    doc["area"]["timezonee"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)
