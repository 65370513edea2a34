"""Calibrated confidence and honest crossings (toy area and data made here: fast)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from geo_heart.errors import ConfigError
from geo_heart.geocode.calibration import (
    IDENTITY,
    Calibration,
    crossing_class,
    load_calibration,
    score_family,
)
from geo_heart.geocode.lines import crossing, shape_of
from geo_heart.geocode.match import geocoder_for, new_geocoder

ROOT = Path(__file__).resolve().parents[2]


def test_calibration_table_reads_and_maps(tmp_path):
    p = tmp_path / "cal.json"
    p.write_text(
        json.dumps({
            "source": "test",
            "radius_m": {"interpolated": 200.0, "interpolated@0.90": 20.0},
            "crossing_radius_m": {"lines/0": 250.0, "points/*": 900.0},
            "ok_crossing_radius_m": 300,
            "score": {"block+history": [[0.6, 0.9], [0.8, 0.96]], "intersection": [[0.7, 0.8]]},
        })  # fmt: skip
    )
    cal = load_calibration(p)
    assert cal.radius("interpolated", 40.0, 0.9) == 20.0  # the score band's own radius
    assert cal.radius("interpolated", 40.0, 0.85) == 200.0  # else the match type's
    assert cal.radius("block", 80.0, 0.8) == 80.0  # not fitted: the raw radius
    assert cal.crossing_radius("lines/0", 18.0) == 250.0
    assert cal.crossing_radius("points/2", 120.0) == 900.0  # the source's pooled radius
    assert cal.crossing_radius("lines/0", 400.0) == 400.0  # never below the geometric radius
    assert cal.probability("block+history", 0.7) == pytest.approx(0.93)
    assert cal.probability("block+history", 0.2) == 0.9 and cal.probability("block+history", 1) == 0.96
    assert cal.probability("intersection+history", 0.75) == 0.8  # falls back to the match type
    assert cal.probability("place", 0.7) == 0.7  # no map: the raw score
    assert IDENTITY.probability("block", 0.8) == 0.8 and IDENTITY.radius("block", 80.0) == 80.0


def test_calibration_table_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_calibration(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"score": {"block": [[0.8, 0.9], [0.6, 0.95]]}}))
    with pytest.raises(ConfigError, match=r"bad\.json.*score\.block"):
        load_calibration(bad)


def test_the_shipped_durham_table_is_monotone_and_documented():
    cal = load_calibration(ROOT / "boundaries" / "durham_calibration.json")
    assert "fit_calibration.py" in cal.source and "intersections_eval" in cal.source
    for knots in cal.score.values():
        xs, ps = zip(*knots, strict=True)
        assert list(xs) == sorted(xs) and list(ps) == sorted(ps)
    assert cal.ok_crossing_radius_m is not None and cal.crossing_radius_m


def test_crossing_class_and_score_family():
    assert crossing_class("road line", 18.0, 0.0) == "lines/0"
    assert crossing_class("address points and road line", 60.0, 0.0) == "mixed/1"
    assert crossing_class("address points", 150.0, 0.0) == "points/2"
    assert crossing_class("road line", 18.0, 30.0) == "near/0"
    assert score_family("block", "history (90% of recency-weighted records)") == "block+history"
    assert score_family("block", "coordinates") == "block"
    assert score_family("block", float("nan")) == "block"


def test_a_meeting_inside_the_area_wins():
    # two lines that cross twice: at x=0 (outside the area) and at x=1000 (inside)
    a = shape_of("road line", [np.array([[-100.0, 0.0], [1100.0, 0.0]])], 9.0, 1.0)
    b = shape_of(
        "road line",
        [np.array([[0.0, -100.0], [0.0, 100.0], [1000.0, 100.0], [1000.0, -100.0]])],
        9.0,
        1.0,
    )
    assert crossing(a, b).x == pytest.approx(0.0)  # the lowest x without an area
    cr = crossing(a, b, inside=lambda pts: pts[:, 0] > 500)
    assert cr.x == pytest.approx(1000.0) and cr.y == pytest.approx(0.0)


def _toy_geocoder(toy, **cal):
    return new_geocoder(toy, calibration=Calibration(**cal))


def test_crossing_radius_is_calibrated_and_ok_only_when_known(toy):
    raw = new_geocoder(toy, calibration=IDENTITY).geocode_one("OAK ST & ELM AVE")
    assert raw.status == "ok" and raw.beat == "12"
    # OAK ST & ELM AVE lies at lon -99.985 in beat 12, ~425 m from beat 11 and ~550 m from 22
    g = _toy_geocoder(toy, crossing_radius_m={"points/*": 300.0}, ok_crossing_radius_m=400.0)
    r = g.geocode_one("OAK ST & ELM AVE")
    assert r.status == "ok" and r.uncertainty_m == 300.0 and r.beat == "12"
    # a radius wider than the calibration allows for "ok": approximate, with its one beat
    g = _toy_geocoder(toy, crossing_radius_m={"points/*": 300.0}, ok_crossing_radius_m=200.0)
    r = g.geocode_one("OAK ST & ELM AVE")
    assert r.status == "approximate" and r.beat == "12" and "known only within ~300 m" in r.reason
    # a radius reaching the next beat: every beat within it is named, and none is chosen
    g = _toy_geocoder(toy, crossing_radius_m={"points/*": 700.0}, ok_crossing_radius_m=800.0)
    r = g.geocode_one("OAK ST & ELM AVE")
    assert r.status == "ambiguous" and r.beat is None
    assert {"11", "12", "22"} <= {c["beat"] for c in r.candidates}
    assert set(r.straddle_beats.split(";")) >= {"11", "12", "22"}


def test_scores_follow_the_fitted_map(toy):
    g = _toy_geocoder(toy, score={"address_point": ((1.0, 0.97),), "intersection": ((0.5, 0.6),)})
    assert g.geocode_one("100 OAK ST").score == 0.97
    assert g.geocode_one("OAK ST & ELM AVE").score == 0.6


def test_a_street_crossed_with_itself_is_ambiguous(toy):
    r = geocoder_for(toy).geocode_one("OAK ST & OAK ST")
    assert r.status == "ambiguous" and r.match_type == "street"
    assert "OAK ST is crossed with itself: ask the caller for the cross street" in r.reason
    assert {c["beat"] for c in r.candidates} == {"11", "12"}


def test_a_third_street_is_named(toy):
    g = geocoder_for(toy)
    two = g.geocode_one("OAK ST & ELM AVE")
    three = g.geocode_one("OAK ST & ELM AVE & BIRCH LN")
    assert (three.lon, three.lat, three.beat) == (two.lon, two.lat, two.beat)
    assert "BIRCH LN not used" in three.reason and "BIRCH" not in two.reason


def _toy_with_history(tmp_path, rows: str, toml: str = ""):
    """A copy of the toy area whose past records (``history.csv``: ``ADDR,BEAT`` lines ``rows``)
    are a layer, plus ``toml`` appended to its area file."""
    import shutil

    from geo_heart.area import Area

    d = tmp_path / "toy"
    shutil.copytree(ROOT / "tests" / "data" / "toy", d, ignore=shutil.ignore_patterns("*.py"))
    (d / "history.csv").write_text("ADDR,BEAT\n" + rows, encoding="utf-8")
    with open(d / "toy.toml", "a", encoding="utf-8") as f:
        f.write('\n[layers.history]\nfile = "history.csv"\naddress_column = "ADDR"\n'
                'beat_column = "BEAT"\n' + toml)  # fmt: skip
    return Area.load(d / "toy.toml", data_dir=d, cache_dir=tmp_path / "cache")


def test_a_radius_spanning_a_boundary_is_never_ok_even_with_past_records(tmp_path):
    """Past records agreeing with the point's beat keep that beat, but the answer is not ``ok``:
    every beat within the radius is named (issue 18 follow-up)."""
    area = _toy_with_history(tmp_path, "OAK ST & ELM AVE,12\n" * 6)
    # the radius (700 m) reaches beats 11, 22 and 99 from the crossing in beat 12
    cal = {"crossing_radius_m": {"points/*": 700.0}, "ok_crossing_radius_m": 800.0}
    r = new_geocoder(area, calibration=Calibration(**cal)).geocode_one("OAK ST & ELM AVE")
    assert r.status == "approximate" and r.beat == "12"
    assert set(r.straddle_beats.split(";")) >= {"11", "12", "22"}
    assert "confirm" in r.reason and "past records: 12" in r.reason
    assert "most likely beat 12; also within the radius: " in r.reason
    # one beat within a narrow radius: the same records, a confident answer
    cal = {"crossing_radius_m": {"points/*": 300.0}, "ok_crossing_radius_m": 400.0}
    r = new_geocoder(area, calibration=Calibration(**cal)).geocode_one("OAK ST & ELM AVE")
    assert r.status == "ok" and r.beat == "12"


def test_fitted_radius_is_the_conformal_rank(monkeypatch):
    """The fitted 90% radius is the ceil((n+1)·0.9)-th smallest error, not the plain p90."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from fit_calibration import conformal_radius

    err = np.arange(1.0, 20.0)  # 19 errors: rank ceil(20·0.9) = 18
    assert conformal_radius(err) == 18.0 and np.quantile(err, 0.9) < 18.0
    assert conformal_radius(np.arange(1.0, 11.0)) == 10.0  # rank 10 of 10
    assert conformal_radius(np.array([5.0, 1.0, 3.0])) == 5.0  # too few: the largest
    assert conformal_radius(np.arange(1.0, 101.0), 0.5) == 51.0


def test_only_found_crossings_are_ok_under_the_geometry_policy(toy):
    """``ok_crossing_geometries = ["lines"]``: the toy's crossing is estimated from address
    points (no street line), so it is ``approximate`` with its one beat, never ``ok``."""
    cal = {"crossing_radius_m": {"points/*": 300.0}, "ok_crossing_radius_m": 400.0}
    assert _toy_geocoder(toy, **cal).geocode_one("OAK ST & ELM AVE").status == "ok"
    g = _toy_geocoder(toy, **cal, ok_crossing_geometries=("lines",))
    r = g.geocode_one("OAK ST & ELM AVE")
    assert r.status == "approximate" and r.beat == "12" and r.uncertainty_m == 300.0
    assert "estimated, not two drawn street lines that meet: confirm" in r.reason
    g = _toy_geocoder(toy, **cal, ok_crossing_geometries=("points",))
    assert g.geocode_one("OAK ST & ELM AVE").status == "ok"


def test_records_split_between_beats_keep_a_crossing_from_ok(tmp_path):
    rows = "OAK ST & ELM AVE,12\n" * 3 + "OAK ST & ELM AVE,22\n" * 3
    area = _toy_with_history(tmp_path, rows)
    cal = {"crossing_radius_m": {"points/*": 300.0}, "ok_crossing_radius_m": 400.0}
    r = new_geocoder(area, calibration=Calibration(**cal)).geocode_one("OAK ST & ELM AVE")
    assert r.status == "approximate" and r.beat == "12"
    assert "past records put it in beats 12, 22: confirm" in r.reason


def test_geometry_policy_is_read_and_checked(tmp_path):
    p = tmp_path / "cal.json"
    p.write_text(json.dumps({"score": {}, "ok_crossing_geometries": ["lines", "mixed"]}))
    assert load_calibration(p).ok_crossing_geometries == ("lines", "mixed")
    assert load_calibration(p).to_json()["ok_crossing_geometries"] == ["lines", "mixed"]
    p.write_text(json.dumps({"score": {}, "ok_crossing_geometries": ["roads"]}))
    with pytest.raises(ConfigError, match="ok_crossing_geometries must be a list of"):
        load_calibration(p)


def test_eligibility_counts_every_beat_within_the_radius(tmp_path):
    """An approximate crossing kept in its records' beat (12) with beat 11 also within the
    radius: the service area and programs are stated only where both agree (toy CRT: beat 11
    only), and the decision says where it depends."""
    from geo_heart.dispatch.lookup import lookup_address

    cal = {"score": {}, "crossing_radius_m": {"points/*": 700.0}, "ok_crossing_radius_m": 800.0}
    # the calibration file is named relative to the area file's folder (never an absolute path)
    area = _toy_with_history(tmp_path, "OAK ST & ELM AVE,12\n" * 6,
                             '\n[calibration]\nfile = "cal.json"\n')  # fmt: skip
    (tmp_path / "toy" / "cal.json").write_text(json.dumps(cal), encoding="utf-8")
    out = lookup_address(area, "OAK ST & ELM AVE", call_type="trespass", at="2024-06-04T11:00")
    assert out["status"] == "approximate" and out["beat"] == "12"
    assert {"11", "12"} <= set(out["straddle_beats"])
    assert out["in_service_area"] is None and out["eligibility_varies"] is True
    assert "CRT" not in out["programs"]
    crt = next(x for x in out["decisions"] if x["program"] == "CRT")
    assert crt["eligible"] is False and "eligible in beat 11" in crt["reason"]
    assert any("possible beats" in n and "confirm with the caller" in n for n in out["notes"])


def test_records_in_another_beat_keep_a_crossing_from_ok(tmp_path):
    area = _toy_with_history(tmp_path, "OAK ST & ELM AVE,22\n" * 4)
    cal = {"crossing_radius_m": {"points/*": 300.0}, "ok_crossing_radius_m": 400.0}
    r = new_geocoder(area, calibration=Calibration(**cal)).geocode_one("OAK ST & ELM AVE")
    assert r.status == "approximate" and r.beat == "12"
    assert "past records put it in beat 22: confirm" in r.reason
    assert set(r.straddle_beats.split(";")) == {"12", "22"}
