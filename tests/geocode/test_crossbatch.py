"""The vectorised crossing computation (:mod:`geo_heart.geocode.crossbatch`) gives exactly what
the one-pair code gives: the same crossings, the same records, the same answers."""

from __future__ import annotations

import random
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from geo_heart.geocode.crossbatch import crossings_many
from geo_heart.geocode.crossing_pairs import PENDING
from geo_heart.geocode.crossrecords import load_tables
from geo_heart.geocode.lines import crossing, shape_of
from geo_heart.geocode.match import new_geocoder

U = 0.3048006  # metres per US survey foot


def _pts(sigma: float, *parts) -> object:
    return shape_of("address points", [np.array(p, dtype=float) for p in parts], sigma, U)


def _road(*parts) -> object:
    return shape_of("road line", [np.array(p, dtype=float) for p in parts], 9.0 / U, U)


def _one_pair(sa_list, sb_list, inside):
    """The geocoder's one-pair choice (:meth:`IntersectionMatcher._crossing`), written out."""
    best = best_key = None
    for sa in sa_list:
        for sb in sb_list:
            cr = crossing(sa, sb, inside=inside)
            if cr is None:
                continue
            key = (not bool(inside(np.array([[cr.x, cr.y]]))[0]), cr.uncertainty)
            if best is None or key < best_key:
                best, best_key = cr, key
    return best


def _west(pts: np.ndarray) -> np.ndarray:
    """The toy "area": everything west of x = 3000."""
    return np.asarray(pts)[:, 0] < 3000


EW = [[0, 0], [800, 0]]
CASES = {
    "lines that cross": ([_road(EW)], [_road([[400, -500], [400, 500]])]),
    "extended toward each other": ([_pts(60, EW)], [_pts(60, [[1000, 300], [1000, 900]])]),
    # parallel 300 ft apart: never meet within NEAR_M (150 m = 492 ft)... at 300 ft they do
    "passing apart, a sharper": ([_pts(50, EW)], [_pts(80, [[0, 300], [800, 300]])]),
    "passing apart, b sharper": ([_pts(80, EW)], [_pts(50, [[0, 300], [800, 300]])]),
    "passing apart, equal": ([_pts(60, EW)], [_pts(60, [[0, 300], [800, 300]])]),
    "too far apart": ([_pts(60, EW)], [_pts(60, [[0, 5000], [800, 5000]])]),
    "a single block (one point)": ([_pts(60, [[400, 50]])], [_road([[400, -500], [400, 500]])]),
    # two parts, the street meets the other twice: inside the area wins, then less extrapolation
    "two meetings": (
        [_road([[0, 0], [2000, 0]], [[4000, 0], [6000, 0]])],
        [_road([[1000, -300], [1000, 300]]), _pts(60, [[5000, -300], [5000, 300]])],
    ),
    # one shape of each meets the other twice: the meeting inside the area, though farther
    # beyond the known line (a's first part ends at x = 2000), before the one outside
    "two meetings, one shape each": (
        [_road([[0, 0], [2000, 0]], [[4000, 0], [6000, 0]])],
        [_road([[2900, -300], [2900, 300]], [[5000, -300], [5000, 300]])],
    ),
    "road and points": (
        [_road(EW), _pts(60, [[0, 20], [800, 20]])],
        [_pts(70, [[300, -600], [330, 600]]), _road([[310, -400], [310, 400]])],
    ),
    "a crooked line": (
        [_road([[0, 0], [300, 40], [600, -30], [900, 10]])],
        [_pts(45, [[450, -900], [470, -300], [440, 300]])],
    ),
}


def test_crossings_many_is_the_one_pair_answer_on_made_streets():
    pairs = list(CASES.values())
    got = crossings_many(pairs, _west)
    want = [_one_pair(a, b, _west) for a, b in pairs]
    assert got == want  # every field of every Crossing, exactly (or None alike)
    by_name = dict(zip(CASES, got, strict=True))
    assert by_name["too far apart"] is None
    assert by_name["lines that cross"].x == 400.0 and by_name["lines that cross"].gap == 0.0
    assert by_name["passing apart, a sharper"].gap == 300.0
    assert by_name["passing apart, a sharper"].y == 0.0  # the point on the sharper line
    assert by_name["passing apart, b sharper"].y == 300.0
    assert by_name["passing apart, equal"].y == 150.0  # halfway
    assert by_name["two meetings"].x == 1000.0  # inside the area (x < 3000)
    one_shape = by_name["two meetings, one shape each"]
    assert (one_shape.x, one_shape.y, one_shape.extrapolated) == (2900.0, 0.0, 900.0)
    # one pair at a time, and in another order, the same
    for (a, b), w in zip(reversed(pairs), reversed(want), strict=True):
        assert crossings_many([(a, b)], _west) == [w]
    assert crossings_many([], _west) == []
    assert crossings_many([([], [_road(EW)])], _west) == [None]  # a street with no geometry


def _pair_records(area, pairs):
    """(records one pair at a time, records of all pairs at once) on two new geocoders."""
    one, many = new_geocoder(area), new_geocoder(area)
    for g in (one, many):
        g._crossing_records_read = True  # nothing read from the cache folder
    want = {k: one._crossing_place(*k) for k in pairs}
    many._fill_crossings(pairs)
    got = {k: many._crossing_memo[k] for k in pairs}
    assert set(many._crossing_new) == set(pairs)  # all kept for the records file
    return want, got


def test_toy_crossing_records_at_once_equal_one_by_one(toy):
    table = new_geocoder(toy).index.crossing_table()
    pairs = sorted(table)
    assert pairs  # the toy's streets do meet
    want, got = _pair_records(toy, pairs)
    assert got == want and repr(got) == repr(want)
    assert any(v is not None for v in got.values())


def test_toy_batch_answers_equal_single_answers(toy, tmp_path):
    from geo_heart.area import Area

    texts = ["OAK ST & ELM AVE", "ELM AVE / OAK ST", "OAK ST AND ELM", "100 OAK ST", "ELM AVE"]
    fresh = Area.from_settings(toy.settings.with_overrides(cache_dir=tmp_path))
    batch = fresh.geocode(texts)
    g = new_geocoder(fresh)  # one text at a time: the one-pair code
    g._crossing_records_read = True
    single = pd.DataFrame([asdict(g.geocode_one(t)) for t in texts])
    cols = [c for c in single.columns if c in batch.columns]
    pd.testing.assert_frame_equal(
        pd.DataFrame(batch[cols]).astype(str).reset_index(drop=True), single[cols].astype(str)
    )
    assert (batch["match_type"].iloc[:3] == "intersection").all()


@pytest.mark.slow
def test_durham_crossing_records_at_once_equal_one_by_one(workspace):
    table = new_geocoder(workspace).index.crossing_table()
    pairs = sorted(k for k, v in table.items() if v == PENDING)
    sample = sorted(random.Random(31).sample(pairs, 250))
    want, got = _pair_records(workspace, sample)
    assert got == want and repr(got) == repr(want)
    assert sum(v is not None for v in got.values()) > 200


@pytest.mark.slow
def test_durham_batch_of_crossings_equals_one_at_a_time(workspace, tmp_path, monkeypatch):
    from geo_heart.area import Area

    texts = [
        "W MAIN ST & GREGSON ST", "FAYETTEVILLE ST / E PETTIGREW ST", "N DUKE ST & W CLUB BLVD",
        "ROXBORO ST AND E CLUB BLVD", "HOLLOWAY ST & N ALSTON AVE", "CHAPEL HILL ST & DUKE ST",
        "ALSTON AVE & RIDDLE RD", "GUESS RD / HORTON RD", "HILLSBOROUGH RD & 15-501",
        "FAYETTEVILLE ST & CORNWALLIS RD", "MAIN ST & MANGUM ST", "MORREENE RD & ERWIN RD",
    ]  # fmt: skip
    # a new cache folder holding the index but no crossing records: every crossing is computed
    cache = tmp_path / "cache"
    cache.mkdir()
    for f in workspace.settings.cache_dir.iterdir():
        if f.is_file() and not f.name.startswith("geocode-crossrecords-"):
            (cache / f.name).symlink_to(f)
    area = Area.from_settings(workspace.settings.with_overrides(cache_dir=cache))
    batch = area.geocode(texts)
    g = new_geocoder(area)
    g._crossing_records_read = True
    single = pd.DataFrame([asdict(g.geocode_one(t)) for t in texts])
    cols = [c for c in single.columns if c in batch.columns]
    pd.testing.assert_frame_equal(
        pd.DataFrame(batch[cols]).astype(str).reset_index(drop=True), single[cols].astype(str)
    )
    assert (batch["match_type"] == "intersection").sum() >= 8
    # the batch's records were kept, with the beats near the crossings whose calibrated radius
    # is wider than a record's reach; a later process reads both and computes neither
    (path,) = cache.glob("geocode-crossrecords-*.pkl")
    records, near = load_tables(path)
    assert len(records) >= 8 and near
    later = Area.from_settings(workspace.settings.with_overrides(cache_dir=cache))
    g2 = new_geocoder(later)
    computed = []
    monkeypatch.setattr(g2, "_fill_near", lambda keys: computed.append(list(keys)))
    monkeypatch.setattr(g2, "_fill_crossings", lambda keys: computed.append(list(keys)))
    again = pd.DataFrame(g2.geocode_many(texts))
    assert computed == []
    pd.testing.assert_frame_equal(
        again[cols].astype(str), pd.DataFrame(batch[cols]).astype(str).reset_index(drop=True)
    )
