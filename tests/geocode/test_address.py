"""Parsing and normalisation of 911-style addresses (pure, no data files)."""

from __future__ import annotations

import pytest

from geo_heart.geocode.address import parse_address, street_key_from_text


@pytest.mark.parametrize(
    ("text", "kind", "number", "street"),
    [
        ("200 PACIFIC AVE", "address", 200, "PACIFIC AVE"),
        ("200 pacific av", "address", 200, "PACIFIC AVE"),
        ("200 Pacific Avenue", "address", 200, "PACIFIC AVE"),
        ("1200 N DUKE ST", "address", 1200, "N DUKE ST"),
        ("1200 north duke street", "address", 1200, "N DUKE ST"),
        ("1200 blk of n duke st", "block", 1200, "N DUKE ST"),
        ("1200 BLOCK OF N DUKE ST", "block", 1200, "N DUKE ST"),
        ("1200 BLK N DUKE ST", "block", 1200, "N DUKE ST"),
        ("BLOCK OF 1200 N DUKE ST", "block", 1200, "N DUKE ST"),
        ("105 Kyleway Drive Apt 3", "address", 105, "KYLEWAY DR"),
        ("4104 SURLES CT #4", "address", 4104, "SURLES CT"),
        ("633 Davis Dr Suite 100, Durham, NC 27713", "address", 633, "DAVIS DR"),
        ("3450 Hopson Rd Durham NC 27709", "address", 3450, "HOPSON RD"),
        ("100 First Street", "address", 100, "1ST ST"),
        ("12 Mt Moriah Rd", "address", 12, "MOUNT MORIAH RD"),
        ("MLK Jr Pkwy", "street", None, "MARTIN LUTHER KING JR PKWY"),
        ("1200 MLK Pkwy", "address", 1200, "MARTIN LUTHER KING JR PKWY"),
        ("1200 Martin Luther King Jr Parkway", "address", 1200, "MARTIN LUTHER KING JR PKWY"),
        ("US 15-501", "street", None, "US 15 501 HWY"),
        ("US 15 501 HWY", "street", None, "US 15 501 HWY"),
        ("us15-501 highway", "street", None, "US 15 501 HWY"),
        ("NC 55", "street", None, "NC 55 HWY"),
        ("5420 NC 55 HWY", "address", 5420, "NC 55 HWY"),
        ("8306 NC 751 HWY", "address", 8306, "NC 751 HWY"),
        ("3106 E NC 54", "address", 3106, "E NC 54 HWY"),
        ("I85", "street", None, "I 85"),
        ("I-85 N", "street", None, "I 85 N"),
        ("27800 I40 W", "address", 27800, "I 40 W"),
        ("1100 NC 54 HWY WEST", "address", 1100, "NC 54 HWY W"),
    ],
)
def test_parse_forms(text, kind, number, street):
    p = parse_address(text)
    assert p.status == "ok", p.reason
    assert (p.kind, p.number, p.street) == (kind, number, street)


def test_unit_is_kept_apart_and_never_the_house_number():
    p = parse_address("105 Kyleway Drive Apt 3")
    assert p.number == 105 and p.unit == "3" and p.street == "KYLEWAY DR"
    p = parse_address("Apt 12 105 Kyleway Dr")
    assert p.number != 12 or p.status != "ok"


def test_city_state_zip():
    p = parse_address("633 Davis Dr, Durham, NC 27713-1234")
    assert (p.city, p.state, p.zip) == ("DURHAM", "NC", "27713")


@pytest.mark.parametrize(
    ("text", "a", "b", "number"),
    [
        ("3300 FAYETTEVILLE ST/E CORNWALLIS RD", "FAYETTEVILLE ST", "E CORNWALLIS RD", 3300),
        ("GUESS RD/I85 N", "GUESS RD", "I 85 N", None),
        ("Main St & Gregson St", "MAIN ST", "GREGSON ST", None),
        ("main street and gregson street", "MAIN ST", "GREGSON ST", None),
        ("Main St at Gregson St", "MAIN ST", "GREGSON ST", None),
        ("US 15 501 HWY S/W CORNWALLIS RD", "US 15 501 HWY S", "W CORNWALLIS RD", None),
        ("7000 NC 751 HWY/NC 54 HWY W", "NC 751 HWY", "NC 54 HWY W", 7000),
    ],
)
def test_intersections(text, a, b, number):
    p = parse_address(text)
    assert p.kind == "intersection"
    # without a number the two streets are in one canonical order (A/B and B/A are one crossing)
    assert {p.street, p.street2} == {a, b} and p.number == number
    if number is not None:
        assert p.street == a


def test_intersection_key_is_order_free():
    assert parse_address("A ST/B RD").key == parse_address("b road & a street").key


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("PO Box 1234", "PO box"),
        ("P.O. BOX 55, Durham NC", "PO box"),
        ("27701", "no street"),
        ("12345 67", "no street"),
    ],
)
def test_nonsense_gets_status_and_reason(text, fragment):
    p = parse_address(text)
    assert p.status == "invalid"
    assert fragment.lower() in p.reason.lower()


def test_never_raises_on_odd_text():
    for t in ["////", "&&&", "#", "-", "1/2", "APT 3", "0", "a" * 500, "1 / 2 / 3", "\t\n"]:
        p = parse_address(t)
        assert p.status in ("ok", "invalid")


def test_street_key_from_text_canonical():
    assert street_key_from_text("north duke street").full == "N DUKE ST"
    assert street_key_from_text("S. Alston Ave.").full == "S ALSTON AVE"
    assert street_key_from_text("Fayetteville Street Extension").suffix in ("ST", "EXT")


def test_fast_path_equals_general_path():
    # the fast path for "NUMBER STREET" text must give what the general parser gives
    texts = ["1200 N DUKE ST", "27800 I40 W", "200 PACIFIC AVE", "5420 NC 55 HWY", "0 BRYANT ST"]
    texts += ["100 A ST/B RD", "GUESS RD/I85 N", "US 15 501 HWY S/W CORNWALLIS RD", "A/B"]
    for t in texts:
        a = parse_address(t)
        b = parse_address(t + " ")  # a trailing space takes the general path
        assert (a.kind, a.number, a.street, a.street2) == (b.kind, b.number, b.street, b.street2)


@pytest.mark.parametrize(
    ("text", "street", "city"),
    [
        ("1500 NC 54 HWY E DURHAM North Carolina 27713", "NC 54 HWY E", "DURHAM"),
        ("17300 I85 N durham N.C. 27713", "I 85 N", "DURHAM"),
        ("10600 US 15 501 HWY N Durham NC 27713", "US 15 501 HWY N", "DURHAM"),
        ("212 W MAIN ST DURHAM", "W MAIN ST", "DURHAM"),
        ("300 MAIN ST W", "MAIN ST W", None),
    ],
)
def test_a_city_after_a_route_or_a_postdirectional(text, street, city):
    """The street may end in a route number or a directional; a city after it is split off."""
    p = parse_address(text)
    assert (p.street, p.city) == (street, city)
