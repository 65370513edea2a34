"""Crossings whose streets do not meet in the reference (issue 18), a suffix that is the last
word of a street's name, and a directional spelled out inside a name. A crossing whose streets do not meet stays
``approximate`` on the better-known street, cut to the beats both streets run through, and a
crossing known only from past records also names the neighbouring beats both streets share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from geo_heart.area import Area
from geo_heart.geocode.match import geocoder_for

TOY = Path(__file__).resolve().parents[1] / "data" / "toy"
X0, Y0 = -100.0, 40.0


@pytest.fixture(scope="module")
def apart(tmp_path_factory):
    """The toy town plus BIRCH LN (beat 22 only, parallel to ELM AVE, ~255 m west of it) and
    past records of ASH CT (a street known only from records, in beats 11 and 12)."""
    d = tmp_path_factory.mktemp("apart") / "toy"
    shutil.copytree(TOY, d, ignore=shutil.ignore_patterns("*.py"))
    with open(d / "address_points.csv", "a", encoding="utf-8") as f:
        for i, n in enumerate(range(100, 1000, 100)):
            f.write(f"{n} BIRCH LN,,{X0 + 0.012},{Y0 + 0.011 + i * 0.001:.4f}\n")
        # T W ALEXANDER DR runs west-east in beat 22 (numbers 100..500)
        for i, n in enumerate(range(100, 600, 100)):
            f.write(f"{n} T W ALEXANDER DR,,{X0 + 0.011 + i * 0.0015:.4f},{Y0 + 0.013}\n")
        # HOPE VALLEY RD runs west-east in beat 21 (numbers 100..900)
        for i, n in enumerate(range(100, 1000, 100)):
            f.write(f"{n} HOPE VALLEY RD,,{X0 + 0.001 + i * 0.0008:.4f},{Y0 + 0.017}\n")
    rows = ["ASH CT & OAK ST,11"] * 5 + ["100 ASH CT,11"] * 3 + ["300 ASH CT,12"] * 3
    rows += ["4600 HOPE VLY,22"] * 2  # a street known from records only, as DPD typed it
    rows += ["2100 OAK ST,21"] * 4  # records of OAK ST in a beat none of its points lies in
    (d / "history.csv").write_text("ADDR,BEAT\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with open(d / "toy.toml", "a", encoding="utf-8") as f:
        f.write('\n[layers.history]\nfile = "history.csv"\naddress_column = "ADDR"\n'
                'beat_column = "BEAT"\n')  # fmt: skip
    area = Area.load(d / "toy.toml", data_dir=d, cache_dir=d.parent / "cache")
    return geocoder_for(area)


def test_streets_that_do_not_meet_keep_the_beats_both_run_through(apart):
    r = apart.geocode_one("ELM AVE & BIRCH LN")
    assert r.status == "approximate" and r.match_type == "street"
    # ELM AVE runs through beats 12 and 22, BIRCH LN through 22 only: the crossing is in 22
    assert [c["beat"] for c in r.candidates] == ["22"] and r.beat == "22"
    assert r.candidates[0]["share"] == 1.0
    assert "'ELM AVE' not found; located on 'BIRCH LN'" in r.reason
    assert "both run through beat 22" in r.reason
    # no beat in common: every beat of the street stays a candidate
    r = apart.geocode_one("OAK ST & BIRCH LN")
    assert r.status == "approximate" and "they share no beat" in r.reason


def test_the_known_street_is_used_when_the_first_is_a_place(apart):
    r = apart.geocode_one("SPRINGFIELD APTS & ELM AVE")
    assert r.status == "approximate" and r.match_type == "street"
    assert {c["beat"] for c in r.candidates} == {"12", "22"} and r.beat is None
    assert "'SPRINGFIELD APTS' not found; located on 'ELM AVE'" in r.reason
    r = apart.geocode_one("ELM AVE & SPRINGFIELD APTS")
    assert {c["beat"] for c in r.candidates} == {"12", "22"}


def test_a_crossing_known_from_records_names_the_shared_neighbour(apart):
    r = apart.geocode_one("OAK ST & ASH CT")
    assert r.match_type == "history_intersection" and r.beat == "11"
    # OAK ST runs through 11 and 12, ASH CT's records give 11 and 12; 12 touches 11
    assert r.straddle_beats == "11;12"
    assert "both streets also run through beat 12 next to it: confirm" in r.reason


def test_a_suffix_that_is_the_last_word_of_a_name(apart):
    """``500 HOPE VALLEY``: VALLEY is read as the suffix (HOPE VLY, a street past records know,
    without number 500); the street whose name ends in that word holds the number."""
    r = apart.geocode_one("500 HOPE VALLEY")
    assert r.status == "ok" and r.beat == "21"
    assert "street matched as 'HOPE VALLEY RD' (the suffix read as part of the name)" in r.reason
    assert r.lon == pytest.approx(X0 + 0.001 + 4 * 0.0008, abs=2e-4)
    # the records' own block stays theirs
    assert apart.geocode_one("4600 HOPE VLY").beat == "22"


def test_a_directional_spelled_out_inside_a_name(apart):
    r = apart.geocode_one("300 T West ALEXANDER Drive")
    assert r.status == "ok" and r.beat == "22" and "street matched as 'T W ALEXANDER DR'" in r.reason
    assert r.lon == pytest.approx(X0 + 0.011 + 2 * 0.0015, abs=2e-4)


def test_a_street_only_answer_names_the_beats_its_records_give(apart):
    """OAK ST's points lie in beats 11 and 12; its records also put part of it in 21."""
    r = apart.geocode_one("OAK ST")
    assert r.status == "approximate" and r.beat is None
    by_beat = {c["beat"]: c for c in r.candidates}
    assert set(by_beat) == {"11", "12", "21"}
    assert by_beat["21"]["match_type"] == "history_street" and by_beat["21"]["lon"] is None
    assert 0 < by_beat["21"]["share"] < by_beat["11"]["share"]
    assert sum(c["share"] for c in r.candidates) == pytest.approx(1.0, abs=0.01)
