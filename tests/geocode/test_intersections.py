"""Intersections located from the streets' address points (toy area; no real data)."""

from __future__ import annotations

import math

import numpy as np

from geo_heart.geocode.lines import crossing, shape_of, street_paths
from geo_heart.geocode.match import geocoder_for


def _m(lon1, lat1, lon2, lat2) -> float:
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians(lat1))
    return math.hypot(dx, (lat2 - lat1) * 110_540)


def test_street_paths_average_the_two_sides_and_split_far_blocks():
    nums = np.array([100, 102, 200, 202, 300, 302, 900, 902])
    x = np.array([0, 0, 400, 400, 800, 800, 50_000, 50_000], dtype=float)
    y = np.array([-40, 40, -40, 40, -40, 40, 0, 0], dtype=float)
    parts, sigma = street_paths(nums, x, y)
    assert len(parts) == 2  # 900 block is 49 km away: a separate part
    assert parts[0].tolist() == [[0, 0], [400, 0], [800, 0]]
    assert sigma >= 80  # points sit 40 ft either side of the path


def test_crossing_extends_a_street_toward_the_other():
    # a west-east street known from x=0..800, a south-north one known from y=300..900 at x=1000
    a = shape_of("address points", [np.array([[0.0, 0.0], [800.0, 0.0]])], 60.0, 0.3048)
    b = shape_of("address points", [np.array([[1000.0, 300.0], [1000.0, 900.0]])], 60.0, 0.3048)
    cr = crossing(a, b)
    assert cr is not None and abs(cr.x - 1000) < 1e-6 and abs(cr.y) < 1e-6
    assert cr.extrapolated == 500.0  # 200 ft beyond a's end + 300 ft beyond b's
    assert cr.uncertainty > math.hypot(60, 60)  # extrapolation widens it
    # parallel streets never cross
    c = shape_of("address points", [np.array([[0.0, 5000.0], [800.0, 5000.0]])], 60.0)
    assert crossing(a, c) is None


def test_toy_crossing_from_address_points(toy):
    g = geocoder_for(toy)
    r = g.geocode_one("OAK ST & ELM AVE")
    assert r.match_type == "intersection" and r.status == "ok"
    # OAK ST runs along lat 40.005, ELM AVE along lon -99.985
    assert _m(r.lon, r.lat, -99.985, 40.005) < 40
    assert r.beat == "12" and r.beat_source == "coordinates"
    assert r.uncertainty_m is not None and 10 < r.uncertainty_m < 200
    assert "address points" in r.reason
    # same answer in either order and spelling
    r2 = g.geocode_one("elm avenue and oak street")
    assert (r2.lon, r2.lat, r2.beat) == (r.lon, r.lat, r.beat)


def test_beats_within_the_radius_are_named(toy):
    g = geocoder_for(toy)
    to_p = g._projection()[0]
    x, y = to_p.transform(-99.99, 40.005)  # on the line between beats 11 and 12
    near = [b for b, _, _ in g._beats_within(x, y, 50.0)]
    assert sorted(near) == ["11", "12"]
    # each beat's point lies inside that beat
    for b, qx, qy in g._beats_within(x, y, 50.0):
        lon, lat = g._projection()[1].transform(qx, qy)
        assert toy.beat_index.locate(lon, lat).beat == b
