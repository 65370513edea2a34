"""The batch path answers exactly as one text at a time (issue 31).

``geocode_many`` (what ``Area.geocode`` and ``geo-heart geocode`` run) finds the geometry of a
whole batch in vectorised passes: the beats near every crossing it needs (the texts waiting for
them set aside and resumed), the beats within the radius of every crossing answer, and the nearest
beat of every answer outside the beats. ``geocode_one`` does each for its one text. Both must give
every text the same row, to the last character of the reason.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
import shapely
from answers_support import same

from geo_heart.geocode.calibration import Calibration
from geo_heart.geocode.match import RESULT_COLUMNS, new_geocoder

#: Toy texts: crossings in both orders and spellings, a crossing with an unknown street, a street
#: crossed with itself, numbered addresses on and off the known numbers, street only, bad text
TOY_TEXTS = [
    "OAK ST & ELM AVE",
    "elm avenue and oak street",
    "OAK ST/ELM AVE",
    "1500 OAK ST/ELM AVE",
    "ELM AVE & PINE RD",
    "OAK ST & OAK ST",
    "100 OAK ST",
    "250 ELM AVE",
    "9000 OAK ST",
    "1 ELM AVE",
    "OAK ST",
    "",
    None,
    "PO BOX 5",
    "OAK ST & ELM AVE",  # a repeat: answered from the batch's memo
]


def _calibrations() -> dict[str, Calibration]:
    """Crossing radii that make the batch path do its geometry at lookup time: wider than the
    beats the index lists with each crossing (1.5 km: several beats, ``ambiguous``), and a
    100 m radius holding one beat with a probability below 0.98 (the other beats within the
    radius are looked for)."""
    kinds = ("points", "lines", "mixed", "near")
    return {
        "wide": Calibration(
            crossing_radius_m={f"{k}/*": 1500.0 for k in kinds},
            radius_m={"nearest_address": 3000.0, "extrapolated": 3000.0},
            score={"intersection": ((0.0, 0.5), (1.0, 0.6))},
        ),
        "narrow": Calibration(
            crossing_radius_m={f"{k}/*": 100.0 for k in kinds},
            score={"intersection": ((0.0, 0.5), (1.0, 0.6))},
        ),
    }



def _assert_batch_is_one_at_a_time(ws, texts, calibration=None) -> None:
    batch = new_geocoder(ws, calibration=calibration).geocode_many(texts)
    single = new_geocoder(ws, calibration=calibration)  # its own memos, filled one text at a time
    assert list(batch.columns) == list(RESULT_COLUMNS)
    for i, text in enumerate(texts):
        one = single.geocode_one(text)
        for name in RESULT_COLUMNS:
            got, want = batch[name].iloc[i], getattr(one, name)
            assert same(got, want), (text, name, got, want)


@pytest.mark.parametrize("which", ["wide", "narrow", "shipped"])
def test_toy_batch_answers_as_one_at_a_time(toy, which):
    cal = _calibrations().get(which)
    _assert_batch_is_one_at_a_time(toy, TOY_TEXTS, cal)


def test_toy_batch_does_the_crossing_geometry_once(toy, monkeypatch):
    g = new_geocoder(toy, calibration=_calibrations()["wide"])
    # nothing read from the cache folder (an earlier test may have kept these near beats there)
    g._crossing_records_read = True
    calls = []
    fill = g._fill_near

    def spy(keys):
        calls.append(len(list(keys)))
        return fill(keys)

    monkeypatch.setattr(g, "_fill_near", spy)
    out = g.geocode_many(TOY_TEXTS)
    # the four texts naming the crossing share one crossing, found in one pass
    assert calls == [1]
    rows = out[out["match_type"] == "intersection"]
    assert len(rows) == 5 and set(rows["status"]) == {"ambiguous"}
    assert set(rows["straddle_beats"]) == {"11;12;21;22;99"}


def test_beats_within_many_holds_the_beats_within_the_radius(toy):
    """Every beat whose true outline lies within ``r`` (and no other), each with a point inside
    it and its distance within the outline simplification (1 m) of the true distance."""
    g = new_geocoder(toy)
    g._build_beat_tree()
    to_p, _, to_m = g._projection()
    rng = np.random.default_rng(7)
    lon = rng.uniform(-100.01, -99.965, 300)
    lat = rng.uniform(39.985, 40.025, 300)
    x, y = to_p.transform(lon, lat)
    r = rng.choice([0.0, 5.0, 60.0, 400.0, 1500.0], 300) / to_m
    found = g._beats_within_many(x, y, r)
    geoms, ids = g._beat_geoms, g._beat_id_list
    for k in range(300):
        p = shapely.Point(x[k], y[k])
        want = {ids[i] for i in range(len(ids)) if shapely.dwithin(geoms[i], p, r[k])}
        got = found[k]
        assert {b for _, b, _, _ in got} == want
        assert got == sorted(got, key=lambda t: (t[0], t[1]))
        for d, b, qx, qy in got:
            g_b = geoms[ids.index(b)]
            assert abs(d - shapely.distance(g_b, p)) * to_m <= 1.0 + 1e-6
            assert d == 0.0 or shapely.contains_xy(g_b, qx, qy)
        # one point alone: the same list
        assert g._beats_within_d(float(x[k]), float(y[k]), float(r[k])) == got


def test_nearest_beats_of_outside_points_as_one_at_a_time(toy):
    g = new_geocoder(toy)
    rng = np.random.default_rng(3)
    lons = [*rng.uniform(-100.05, -99.93, 200).tolist(), -120.0, 10.0]
    lats = [*rng.uniform(39.95, 40.06, 200).tolist(), 35.0, -50.0]
    hits = g._outside_hits(lons, lats)
    want = [toy.beat_index.locate(x, y, nearest=True) for x, y in zip(lons, lats, strict=True)]
    assert hits == want
    assert sum(h.status == "outside" for h in hits) > 50  # the test reaches outside points


def test_beat_outlines_are_kept_in_the_cache_folder(toy, monkeypatch, caplog):
    g = new_geocoder(toy)
    g._build_beat_tree()
    folder = toy.settings.cache_dir
    files = sorted(folder.glob("geocode-beats-*.pkl"))
    assert len(files) == 1
    # a new geocoder reads them: nothing is simplified again, and they are the same outlines
    monkeypatch.setattr(shapely, "simplify", lambda *a, **k: pytest.fail("made again"))
    g2 = new_geocoder(toy)
    g2._build_beat_tree()
    assert all(shapely.equals_exact(g._beat_geoms, g2._beat_geoms, 0.0))
    assert all(shapely.equals_exact(g._beat_simple, g2._beat_simple, 0.0))
    monkeypatch.undo()
    # a damaged file is made again, with a warning, and the answers stay the same
    files[0].write_bytes(b"not a pickle")
    g3 = new_geocoder(toy)
    with caplog.at_level(logging.WARNING):
        g3._build_beat_tree()
    assert "unreadable" in caplog.text
    assert all(shapely.equals_exact(g._beat_geoms, g3._beat_geoms, 0.0))
    assert files[0].stat().st_size > 1000


def test_durham_batch_answers_as_one_at_a_time(workspace, data_dir):
    """A seeded sample of real incident texts (a third of them crossings), with the shipped
    calibration: the batch and the one-at-a-time path give every text the same row."""
    import pandas as pd

    texts = pd.read_csv(
        data_dir / "incidents_2021_2024.csv", dtype=str, keep_default_na=False, usecols=["ADDRESS2"]
    )["ADDRESS2"]
    distinct = sorted(set(texts))
    rng = np.random.default_rng(31)
    crossings = [t for t in distinct if "/" in t]
    others = [t for t in distinct if "/" not in t]
    sample = [
        *rng.choice(crossings, 200, replace=False).tolist(),
        *rng.choice(others, 400, replace=False).tolist(),
    ]
    _assert_batch_is_one_at_a_time(workspace, sample)


@pytest.mark.parametrize("which", ["wide", "narrow", "shipped"])
def test_an_answer_that_is_its_own_candidate_is_finished_as_in_general(toy, which):
    """The fast finishing of an approximate answer that is its own one candidate
    (``_finish_own``, used by the batch) gives the row the general finishing gives: the
    candidate finished again from a copy of the match, candidates and reason included."""
    from geo_heart.geocode.address import parse_address
    from geo_heart.geocode.finish import _copy_match

    cal = _calibrations().get(which)
    g = new_geocoder(toy, calibration=cal)
    texts = [t for t in TOY_TEXTS if t] + ["9000 ELM AVE", "5 OAK ST", "ELM AVE", "20000 PINE RD"]
    seen = 0
    for text in texts:
        m = g._match(parse_address(text))
        if not m.approximate or m.candidates:
            continue
        row = g._finish_plain([m])[0]
        m.candidates = [_copy_match(m)]
        if m.candidates[0].share is None:
            m.candidates[0].share = 1.0
        general = g._finish_approximate(m, row)  # the copy finished again
        assert g._finish_own(m, row) == general, text
        assert repr(g._finish_own(m, row)) == repr(general), text  # dict key order too
        seen += 1
    assert seen >= 2
