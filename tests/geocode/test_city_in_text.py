"""The city in the text (issue 33 #2, #8): an address naming another state, a neighbouring place
or a ZIP outside the area is ``outside`` and names the place; a place at the area's edge is
decided by the point. Unit tests on the rule; a few slow checks on Durham and Portland."""

from __future__ import annotations

import pytest

from geo_heart.config.areafile import AddressRules
from geo_heart.geocode.address import parse_address
from geo_heart.geocode.edges import outside_reason

RULES = AddressRules(
    cities=frozenset({"TOYVILLE", "NORTHBURG"}),
    zip_codes=frozenset({"55501", "55502", "55599"}),
    states=frozenset({"TX"}),
    outside_cities=frozenset({"BIGTOWN", "SMALL FALLS", "GRESHAM"}),
    outside_words=frozenset({"PIA", "BIG AIRPORT"}),
    city_aliases={"GRSM": "GRESHAM", "TVL": "TOYVILLE"},
    edge_units={"SMALL FALLS": frozenset({"99"})},
)


def why(text: str) -> str | None:
    return outside_reason(RULES, parse_address(text))


@pytest.mark.parametrize(
    "text, expect",
    [
        ("100 MAIN ST, BIGTOWN TX", "Bigtown is not in this area"),
        ("100 MAIN ST BIGTOWN", "Bigtown is not in this area"),
        ("100 MAIN ST, BIGTOWN, TX 55501", "Bigtown is not in this area"),
        ("100 MAIN ST, GRSM", "Gresham is not in this area"),  # an alias
        ("100 MAIN ST, TOYVILLE TX 55777", "Toyville (ZIP 55777) is not in this area"),
        ("100 MAIN ST 55777", "ZIP 55777 is not in this area"),
        ("100 MAIN ST, SPRINGFIELD, OK", "OK is not in this area (the area is in TX)"),
        ("7000 NE AIRPORT WAY, PIA", "PIA is not in this area"),  # the word as the city part
        ("0 CONCOURSE A PIA , TOYVILLE, TX", "PIA is not in this area"),
        ("BIG AIRPORT", "BIG AIRPORT is not in this area"),
        ("MAIN ST / OAK AVE, BIGTOWN", "Bigtown is not in this area"),  # a crossing
    ],
)
def test_a_place_outside_is_named(text, expect):
    assert why(text) == expect


@pytest.mark.parametrize(
    "text",
    [
        "100 MAIN ST",
        "100 MAIN ST, TOYVILLE TX 55501",
        "100 MAIN ST TVL 55599",
        "100 MAIN ST, NORTHBURG",
        "100 MAIN ST, SMALL FALLS TX",  # reaches into the area: decided by the point
        "100 PIAZZA ST",  # a word containing PIA is not PIA
        "MAIN ST / OAK AVE",
    ],
)
def test_the_area_own_places_are_not_outside(text):
    assert why(text) is None


def test_no_rules_no_check():
    assert outside_reason(AddressRules(), parse_address("100 MAIN ST, BIGTOWN, ZZ 00000")) is None


def test_area_file_schema_reads_the_lists(tmp_path):
    from pathlib import Path

    from geo_heart.config.areafile import load_area
    from geo_heart.errors import GeoHeartError

    toy = Path(__file__).resolve().parents[1] / "data" / "toy" / "toy.toml"
    text = (
        toy.read_text().replace("[addresses]", "[addresses_was]")
        + """
[addresses]
states = ["tx"]
cities = ["Toyville"]
zip_codes = ["55501"]
outside_cities = ["GRSM"]
city_aliases = { GRSM = "Gresham" }
edge_units = { "GRSM" = ["99"] }
"""
    )
    p = tmp_path / "toy.toml"
    p.write_text(text)
    r = load_area(p).address_rules
    assert r.states == {"TX"} and r.cities == {"TOYVILLE"} and r.zip_codes == {"55501"}
    assert r.outside_cities == {"GRESHAM"} and r.edge_units == {"GRESHAM": {"99"}}
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('zip_codes = ["55501"]', 'zip_codes = ["5550"]'))
    with pytest.raises(GeoHeartError, match="zip_codes"):
        load_area(bad)


# ----------------------------------------------------------------------------- Durham (slow)
@pytest.fixture(scope="module")
def durham(workspace):
    return workspace


@pytest.mark.parametrize(
    "text, place",
    [
        ("100 FAYETTEVILLE ST, RALEIGH NC", "Raleigh is not in this area"),
        ("100 E FRANKLIN ST, CHAPEL HILL, NC 27514", "Chapel Hill (ZIP 27514) is not in this area"),
        ("1000 N HARRISON AVE, CARY NC 27513", "Cary (ZIP 27513) is not in this area"),
        ("200 MAIN ST, HILLSBOROUGH NC", "Hillsborough is not in this area"),
    ],
)
def test_durham_neighbours_are_outside(durham, text, place):
    from geo_heart.dispatch.lookup import lookup_address

    r = lookup_address(durham, text)
    assert r["status"] == "outside" and r["beat"] is None and r["programs"] == []
    assert r["reason"].startswith(place)


def test_durham_addresses_with_city_and_zip_still_resolve(durham):
    from geo_heart.dispatch.lookup import lookup_address

    plain = lookup_address(durham, "100 W MAIN ST")
    for text in ("100 W MAIN ST, DURHAM NC 27701", "100 W MAIN ST DURHAM", "100 W MAIN ST 27701"):
        r = lookup_address(durham, text)
        assert r["status"] == plain["status"] == "ok" and r["beat"] == plain["beat"] == "512"


def test_durham_zip_in_the_county_is_decided_by_the_point(durham):
    """A Durham ZIP runs past the city line: an answer in beat 999 says it was decided by it."""
    from geo_heart.geocode.match import geocoder_for

    g = geocoder_for(durham)
    tried = 0
    for key, pts in g._pts.items():
        if "999" not in pts[3] or tried > 20:
            continue
        tried += 1
        num = pts[0][pts[3].index("999")]
        r = g.geocode_one(f"{num} {key}, DURHAM NC 27705")
        if r.status == "ok" and r.beat == "999":
            assert "DURHAM 27705 spans the area's edge: decided by the point (beat 999)" in r.reason
            plain = g.geocode_one(f"{num} {key}")
            assert "decided by the point" not in plain.reason and plain.beat == "999"
            return
    pytest.fail("no address point answered in beat 999")
