"""Dispatch answers whose status means what it says (toy area: fast, no real data)."""

from __future__ import annotations

from geo_heart.dispatch.lookup import lookup_address, lookup_point
from geo_heart.geocode.match import geocoder_for

TUESDAY_NOON = "2024-06-04T12:00"


def test_street_only_is_approximate_with_each_beats_share(toy):
    r = geocoder_for(toy).geocode_one("OAK ST")
    assert r.status == "approximate" and r.match_type == "street"
    shares = {c["beat"]: c["share"] for c in r.candidates}
    # OAK ST runs from beat 11 (lon < -99.99) into beat 12: 20 of its 38 points lie in beat 11
    assert set(shares) == {"11", "12"}
    assert abs(shares["11"] - 20 / 38) < 0.01 and abs(sum(shares.values()) - 1) < 0.01
    assert r.beat is None and r.in_service_area is None
    assert "2 possible beats" in r.reason


def test_approximate_lookup_states_eligibility_only_where_all_agree(toy):
    d = lookup_address(toy, "OAK ST", call_type="trespass", at=TUESDAY_NOON)
    assert d["status"] == "approximate"
    assert d["beat"] is None and d["in_service_area"] is None  # pilot = beat 11 only
    assert d["notes"][0] == "approximate: street only, 2 possible beats, confirm with the caller; " \
        "eligibility depends on where on the street"
    assert "depends on where on the street" in d["reasons"]["CRT"]
    assert "eligible in beat 11" in d["reasons"]["CRT"] and "not in beat 12" in d["reasons"]["CRT"]
    assert d["programs"] == []
    cands = {c["beat"]: c for c in d["candidates"]}
    assert cands["11"]["programs"] == ["CRT"] and cands["12"]["programs"] == []
    assert cands["11"]["in_service_area"] is True and cands["12"]["in_service_area"] is False


def test_street_in_one_beat_is_still_approximate(toy):
    # ELM AVE at lon -99.985 runs north from beat 12 into beat 22: a crossing not found on it
    d = lookup_address(toy, "500 ELM AVE & PINE LN", call_type="trespass", at=TUESDAY_NOON)
    assert d["status"] == "approximate", d
    assert d["beat"] == "12" and len(d["candidates"]) == 1 and d["candidates"][0]["share"] == 1.0
    assert d["in_service_area"] is False  # every candidate agrees


def test_unknown_location_says_ask_the_caller(toy):
    d = lookup_address(toy, "99 NOWHERE IMAGINARY BLVD", call_type="trespass", at=TUESDAY_NOON)
    assert d["status"] == "unknown" and d["in_service_area"] is None
    assert d["reasons"] and all(
        "location not determined: ask the caller" in why for why in d["reasons"].values()
    )
    assert not any("outside" in why for why in d["reasons"].values())


def test_outside_names_the_nearest_beat_and_distance(toy):
    d = lookup_point(toy, -99.95, 40.005, call_type="trespass", at=TUESDAY_NOON)
    assert d["status"] == "outside" and d["in_service_area"] is False
    assert d["nearest_beat"] == "22" or d["nearest_beat"] == "12"
    want = f"the nearest beat, {d['nearest_beat']}, is {d['distance_m']:,.0f} m away"
    assert all(want in why for why in d["reasons"].values())


def test_swapped_coordinates_say_so(toy):
    d = lookup_point(toy, 40.005, -99.995, at=TUESDAY_NOON)
    assert d["status"] == "invalid" and d["in_service_area"] is None  # latitude -99.995
    assert any("look swapped" in n and "beat 11" in n for n in d["notes"])
    assert "look swapped" in d["reason"]
    # a plain outside point has no such note
    d = lookup_point(toy, -99.95, 40.005, at=TUESDAY_NOON)
    assert not any("swapped" in n for n in d["notes"])


def test_unknown_call_type_is_answered(toy):
    d = lookup_point(toy, -99.995, 40.005, call_type="TRESPASING", at=TUESDAY_NOON)
    assert d["beat"] == "11" and d["programs"] == []
    assert all("no program takes this call type" in why for why in d["reasons"].values())
    assert d["call_type"]["suggestion"] == "Trespass"
    hint = next(n for n in d["notes"] if "'TRESPASING'" in n)
    assert "toy.toml" in hint and "[call_types." in hint
    # the suggestion is never applied
    assert d["call_type"]["canonical"] is None
    d = lookup_point(toy, -99.995, 40.005, call_type="not listed", at=TUESDAY_NOON)
    assert d["programs"] == [] and d["call_type"]["suggestion"] is None
    assert "call type not listed: no program takes this call type" in d["notes"]


def test_prefix_match_says_what_it_was_read_as(toy):
    d = lookup_point(toy, -99.995, 40.005, call_type="TRESPA", at=TUESDAY_NOON)
    assert d["call_type"]["canonical"] == "trespass" and d["programs"] == ["CRT"]
    assert any("'TRESPA' read as 'Trespass'" in n for n in d["notes"])
