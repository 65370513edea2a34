"""NG9-1-1 caller locations: PIDF-LO documents and uncertainty shapes on the toy area.

The documents follow the RFC 5491 / RFC 4119 examples (a point, a circle, an ellipse, a polygon,
a civic address), moved into the toy town. Beat shares are checked against shares computed here
independently: the toy beats projected with geopandas to UTM 14N (the toy's projected CRS) and
the shapes drawn there with shapely.
"""

from __future__ import annotations

import math

import pytest

from geo_heart.dispatch.pidf import MAX_PIDF_BYTES, civic_text, parse_pidf
from geo_heart.dispatch.shape_lookup import OK_SHARE, lookup_pidf, lookup_shape
from geo_heart.errors import InputError
from geo_heart.geo.shapes import Shape

TUESDAY_NOON = "2024-06-04T12:00"
WGS84_3D = "urn:ogc:def:crs:EPSG::4979"
METRES = "urn:ogc:def:uom:EPSG::9001"
DEGREES = "urn:ogc:def:uom:EPSG::9102"


def doc(location: str, *, extra_ns: str = "") -> str:
    """A PIDF-LO presence document around one gp:location-info body (RFC 4119 layout)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"
    xmlns:ca="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
    xmlns:gml="http://www.opengis.net/gml"
    xmlns:gs="http://www.opengis.net/pidflo/1.0" {extra_ns}
    entity="pres:caller@example.com">
  <tuple id="loc">
    <status><gp:geopriv>
      <gp:location-info>{location}</gp:location-info>
      <gp:usage-rules/>
      <gp:method>GPS</gp:method>
    </gp:geopriv></status>
    <timestamp>2024-06-04T17:00:00Z</timestamp>
  </tuple>
</presence>"""


def circle(lat: float, lon: float, radius: float, uom: str = METRES, srs="EPSG::4326") -> str:
    return f"""<gs:Circle srsName="urn:ogc:def:crs:{srs}">
  <gml:pos>{lat} {lon}</gml:pos><gs:radius uom="{uom}">{radius}</gs:radius></gs:Circle>"""


def ellipse(lat: float, lon: float, major: float, minor: float, turn: float) -> str:
    return f"""<gs:Ellipse srsName="urn:ogc:def:crs:EPSG::4326">
  <gml:pos>{lat} {lon}</gml:pos>
  <gs:semiMajorAxis uom="{METRES}">{major}</gs:semiMajorAxis>
  <gs:semiMinorAxis uom="{METRES}">{minor}</gs:semiMinorAxis>
  <gs:orientation uom="{DEGREES}">{turn}</gs:orientation></gs:Ellipse>"""


CIVIC = """<ca:civicAddress xml:lang="en-US">
  <ca:country>US</ca:country><ca:A1>TX</ca:A1><ca:A3>Toyville</ca:A3>
  <ca:HNO>200</ca:HNO><ca:RD>OAK</ca:RD><ca:STS>ST</ca:STS>
  <ca:LOC>Apt 3</ca:LOC><ca:NAM>Oak Street Flats</ca:NAM></ca:civicAddress>"""


# ----------------------------------------------------------------------------- independent shares
@pytest.fixture(scope="module")
def beats_utm(toy_dir):
    import geopandas as gpd

    gdf = gpd.read_file(toy_dir / "beats.geojson").to_crs("EPSG:32614")
    return gdf.dissolve("BEAT").geometry


def utm_point(lon: float, lat: float):
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", "EPSG:32614", always_xy=True)
    return t.transform(lon, lat)


def shares_of(beats_utm, geom) -> dict[str, float]:
    inter = beats_utm.intersection(geom).area / geom.area
    return {b: float(s) for b, s in inter.items() if s > 1e-9}


def expected_circle(beats_utm, lon, lat, r_m):
    import shapely

    x, y = utm_point(lon, lat)
    return shares_of(beats_utm, shapely.Point(x, y).buffer(r_m, quad_segs=64))


def expected_ellipse(beats_utm, lon, lat, major, minor, turn):
    import shapely
    from shapely import affinity

    x, y = utm_point(lon, lat)
    e = affinity.scale(shapely.Point(x, y).buffer(1.0, quad_segs=64), minor, major)
    return shares_of(beats_utm, affinity.rotate(e, -turn, origin=(x, y)))


def got_shares(result) -> dict[str, float]:
    return {s["beat"]: s["share"] for s in result["shape"]["shares"]}


def assert_shares(got: dict[str, float], want: dict[str, float], tol: float = 0.01) -> None:
    assert set(got) == set(want), (got, want)
    for b in want:
        assert abs(got[b] - want[b]) < tol, (b, got, want)


# ----------------------------------------------------------------------------- shapes
def test_point_is_answered_like_a_plain_point(toy):
    xml = doc(
        '<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>40.005 -99.985</gml:pos>'
        "</gml:Point>"
    )
    r = lookup_pidf(toy, xml, call_type="trespass", at=TUESDAY_NOON)
    assert r["status"] == "ok" and r["beat"] == "12" and r["in_service_area"] is False
    assert r["shape"]["kind"] == "point" and r["shape"]["area_m2"] == 0
    assert got_shares(r) == {"12": 1.0}
    assert r["lon"] == pytest.approx(-99.985) and r["lat"] == pytest.approx(40.005)
    assert "location method: GPS" in r["notes"]


def test_circle_across_a_beat_line_names_both_beats_with_shares(toy, beats_utm):
    # 250 m circle centred 60 m west of the 11 | 12 line (lon -99.99)
    lon = -99.99 - 60 / (111_320 * math.cos(math.radians(40.005)))
    r = lookup_pidf(toy, doc(circle(40.005, lon, 250)), call_type="trespass", at=TUESDAY_NOON)
    want = expected_circle(beats_utm, lon, 40.005, 250)
    assert_shares(got_shares(r), want)
    assert 0.6 < want["11"] < 0.8  # the test really straddles the line
    assert r["status"] == "approximate" and r["beat"] is None
    assert [c["beat"] for c in r["candidates"]] == ["11", "12"]
    assert r["shape"]["area_m2"] == pytest.approx(math.pi * 250**2, rel=0.002)
    # CRT is pilot-only (beat 11): eligibility depends on where in the circle the caller is
    assert r["programs"] == [] and r["in_service_area"] is None
    assert "depends on where in the circle the caller is" in r["reasons"]["CRT"]
    assert "eligible in beat 11" in r["reasons"]["CRT"]
    assert r["notes"][0].startswith("approximate: the caller's circle of 250 m spans 11 ")


def test_circle_mostly_in_one_beat_is_ok_at_95_percent(toy, beats_utm):
    # a 100 m circle 90 m from the line: ~3% over the line (ok); 40 m from it: ~25% (approximate)
    m_per_deg = 111_320 * math.cos(math.radians(40.005))
    for gap_m, status in ((90, "ok"), (40, "approximate")):
        lon = -99.99 - gap_m / m_per_deg
        r = lookup_shape(toy, Shape.circle(lon, 40.005, 100), call_type="trespass", at=TUESDAY_NOON)
        want = expected_circle(beats_utm, lon, 40.005, 100)
        assert_shares(got_shares(r), want)
        assert (want["11"] >= OK_SHARE) == (status == "ok")
        assert r["status"] == status, r["reason"]
    r = lookup_shape(toy, Shape.circle(-99.99 - 90 / m_per_deg, 40.005, 100), call_type="trespass",
                     at=TUESDAY_NOON)  # fmt: skip
    assert r["beat"] == "11" and r["programs"] == ["CRT"] and r["score"] >= OK_SHARE
    assert any("by beat: 11 9" in n and ", 12 " in n for n in r["notes"])


def test_ellipse_orientation_is_clockwise_from_north(toy, beats_utm):
    # centred on the corner where beats 11 (SW), 12 (SE), 21 (NW) and 22 (NE) meet
    for turn, big in ((45, {"22", "11"}), (135, {"12", "21"})):
        r = lookup_pidf(toy, doc(ellipse(40.01, -99.99, 400, 100, turn)))
        want = expected_ellipse(beats_utm, -99.99, 40.01, 400, 100, turn)
        assert_shares(got_shares(r), want)
        assert {b for b, s in got_shares(r).items() if s > 0.4} == big
        assert r["status"] == "approximate" and r["shape"]["kind"] == "ellipse"
        assert r["shape"]["orientation_deg"] == turn


def test_ellipse_along_a_beat_line_or_across_it(toy, beats_utm):
    lon = -99.99 - 80 / (111_320 * math.cos(math.radians(40.005)))
    north = lookup_pidf(toy, doc(ellipse(40.005, lon, 400, 60, 0)))  # along the line: beat 11
    assert north["status"] == "ok" and north["beat"] == "11"
    east = lookup_pidf(toy, doc(ellipse(40.005, lon, 400, 60, 90)))  # across it
    assert_shares(got_shares(east), expected_ellipse(beats_utm, lon, 40.005, 400, 60, 90))
    assert east["status"] == "approximate"


def test_polygon_shares(toy, beats_utm):
    import shapely

    ring = [(40.008, -99.998), (40.008, -99.994), (40.011, -99.994), (40.011, -99.998),
            (40.008, -99.998)]  # fmt: skip
    pos_list = " ".join(f"{lat} {lon}" for lat, lon in ring)
    xml = doc(
        '<gml:Polygon srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing>'
        f"<gml:posList>{pos_list}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>"
    )
    r = lookup_pidf(toy, xml)
    want = shares_of(beats_utm, shapely.Polygon([utm_point(lon, lat) for lat, lon in ring]))
    assert_shares(got_shares(r), want, tol=0.005)
    assert want["11"] == pytest.approx(2 / 3, abs=0.01)
    assert r["status"] == "approximate" and r["shape"]["kind"] == "polygon"
    # the same ring as gml:pos elements, 3D (lat lon height)
    pos = "".join(f"<gml:pos>{lat} {lon} 120</gml:pos>" for lat, lon in ring)
    xml3 = doc(
        f'<gml:Polygon srsName="{WGS84_3D}"><gml:exterior><gml:LinearRing>{pos}'
        "</gml:LinearRing></gml:exterior></gml:Polygon>"
    )
    assert_shares(got_shares(lookup_pidf(toy, xml3)), want, tol=0.005)


def test_axis_order_follows_the_crs(toy):
    lat_first = lookup_pidf(toy, doc(circle(40.005, -99.995, 50)))
    lon_first = lookup_pidf(toy, doc(circle(-99.995, 40.005, 50, srs="OGC:1.3:CRS84")))
    assert lat_first["beat"] == lon_first["beat"] == "11"
    assert lat_first["lon"] == pytest.approx(-99.995) and lat_first["lat"] == pytest.approx(40.005)
    # "lon lat" under EPSG::4326 reads -99.995 as a latitude: refused, naming the element
    with pytest.raises(InputError, match=r"gml:pos position -99\.995 40\.005 is out of range read as lat lon"):
        lookup_pidf(toy, doc(circle(-99.995, 40.005, 50)))


def test_uom_feet_is_converted_and_an_unknown_unit_refused(toy):
    metres = lookup_pidf(toy, doc(circle(40.005, -99.99, 250)))
    feet = lookup_pidf(
        toy, doc(circle(40.005, -99.99, 250 / 0.3048, uom="urn:ogc:def:uom:EPSG::9002"))
    )
    assert feet["shape"]["radius_m"] == pytest.approx(250)
    assert got_shares(feet) == pytest.approx(got_shares(metres), abs=1e-6)
    with pytest.raises(InputError, match=r"gs:radius uom 'urn:ogc:def:uom:EPSG::9093'"):
        lookup_pidf(toy, doc(circle(40.005, -99.99, 1, uom="urn:ogc:def:uom:EPSG::9093")))


def test_wholly_outside_is_outside_and_partly_outside_is_approximate(toy):
    far = lookup_shape(toy, Shape.circle(-99.95, 40.005, 200))
    assert far["status"] == "outside" and far["in_service_area"] is False
    assert far["nearest_beat"] == "22" and far["distance_m"] > 1500
    assert "lies wholly outside every beat" in far["reason"]
    # a circle over the town's west edge (lon -100.0), 40 m inside it
    lon = -100.0 + 40 / (111_320 * math.cos(math.radians(40.005)))
    edge = lookup_shape(toy, Shape.circle(lon, 40.005, 200), call_type="trespass", at=TUESDAY_NOON)
    assert edge["status"] == "approximate" and edge["in_service_area"] is None
    assert 0.3 < edge["shape"]["outside_share"] < 0.5
    assert "may be outside" in edge["notes"][0] and "outside every beat" in edge["notes"][0]
    assert "where it lies outside every beat" in edge["reasons"]["CRT"]


def test_radius_zero_is_a_plain_point(toy):
    r = lookup_shape(toy, Shape.circle(-99.995, 40.005, 0))
    assert r["status"] == "ok" and r["beat"] == "11" and r["shape"]["kind"] == "point"


# ----------------------------------------------------------------------------- civic addresses
def test_civic_fields_make_the_address_line():
    assert civic_text({"HNO": "200", "HNS": "A", "PRD": "N", "RD": "Oak", "STS": "St",
                       "POD": "SW", "A3": "Toyville", "A1": "TX", "PC": "75001",
                       "LOC": "Apt 3", "NAM": "Flats"}) == \
        "200A N Oak St SW, Toyville, TX 75001"  # fmt: skip
    assert civic_text({"NAM": "City Hall"}) is None


def test_civic_address_is_looked_up(toy):
    r = lookup_pidf(toy, doc(CIVIC), call_type="trespass", at=TUESDAY_NOON)
    assert r["status"] == "ok" and r["beat"] == "11" and r["matched_address"] == "200 OAK ST"
    assert r["pidf"]["used"] == "civic" and r["pidf"]["civic_text"] == "200 OAK ST, Toyville, TX"
    assert "caller's location detail (LOC): Apt 3" in r["notes"]


def test_civic_and_geodetic_answer_from_the_shape_and_check_the_address(toy):
    r = lookup_pidf(toy, doc(CIVIC + circle(40.005, -99.985, 50)))
    assert r["beat"] == "12" and r["pidf"]["used"] == "geodetic"
    note = next(n for n in r["notes"] if n.startswith("answered from the geodetic shape"))
    assert "'200 OAK ST, Toyville, TX' is in beat 11, NOT among the shape's beats" in note


# ----------------------------------------------------------------------------- malformed documents
@pytest.mark.parametrize(
    ("location", "message"),
    [
        ('<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>40.005 -99.99</gml:pos>'
         "</gs:Circle>", "PIDF-LO: gs:Circle has no gs:radius"),
        ('<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>40.005 -99.99</gml:pos>'
         "<gs:radius>10</gs:radius></gs:Circle>", "PIDF-LO: gs:radius has no uom"),
        ("<gs:Circle><gml:pos>40.005 -99.99</gml:pos></gs:Circle>",
         "PIDF-LO: gs:Circle has no srsName"),
        ('<gml:Point srsName="EPSG:2264"><gml:pos>1 2</gml:pos></gml:Point>',
         "PIDF-LO: gml:Point srsName 'EPSG:2264' is not supported"),
        ('<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>40.005 -99.99 12</gml:pos>'
         "</gml:Point>", "PIDF-LO: gml:pos has 3 numbers"),
        ('<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>north</gml:pos></gml:Point>',
         "PIDF-LO: gml:pos 'north' is not a list of numbers"),
        (ellipse(40.005, -99.99, 100, 300, 0).replace("gs:orientation", "gs:x"),
         "PIDF-LO: gs:Ellipse has no gs:orientation"),
        (ellipse(40.005, -99.99, 100, 300, 0),
         "PIDF-LO: gs:Ellipse gs:semiMinorAxis .300 m. is longer than gs:semiMajorAxis"),
        ('<gml:Polygon srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing>'
         "<gml:posList>40 -99 40.1 -99 40 -99</gml:posList></gml:LinearRing></gml:exterior>"
         "</gml:Polygon>", "PIDF-LO: gml:LinearRing has 3 positions"),
        ('<gml:Polygon srsName="urn:ogc:def:crs:EPSG::4326"></gml:Polygon>',
         "PIDF-LO: gml:Polygon has no gml:exterior"),
        ('<gs:ArcBand srsName="urn:ogc:def:crs:EPSG::4326"/>',
         "PIDF-LO: gs:ArcBand is not a shape this reads"),
        ("", "PIDF-LO: gp:location-info has neither a ca:civicAddress nor a shape"),
    ],
)  # fmt: skip
def test_malformed_documents_name_the_element(toy, location, message):
    with pytest.raises(InputError, match=message) as info:
        lookup_pidf(toy, doc(location))
    assert "\n" not in str(info.value)


def test_not_a_pidf_document():
    with pytest.raises(InputError, match="PIDF-LO: not well-formed XML"):
        parse_pidf("<presence")
    with pytest.raises(InputError, match="PIDF-LO: the root element is gml:Point, not presence"):
        parse_pidf('<gml:Point xmlns:gml="http://www.opengis.net/gml"/>')
    with pytest.raises(InputError, match="PIDF-LO: no gp:location-info element"):
        parse_pidf('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b"/>')
    with pytest.raises(InputError, match="PIDF-LO: the document is empty"):
        parse_pidf(b"  ")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE presence [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<presence xmlns="urn:ietf:params:xml:ns:pidf">&c;</presence>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE presence [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<presence xmlns="urn:ietf:params:xml:ns:pidf">&secret;</presence>"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entities_and_dtds_are_refused(text):
    with pytest.raises(InputError, match="PIDF-LO: refused: DTDForbidden"):
        parse_pidf(text)


def test_oversize_document_is_refused_before_parsing():
    big = doc(circle(40.005, -99.99, 10) + "<!--" + "x" * MAX_PIDF_BYTES + "-->")
    with pytest.raises(InputError, match=r"over the 65,536-byte limit"):
        parse_pidf(big)


def test_area_lookup_takes_pidf_and_radius(toy, tmp_path):
    path = tmp_path / "caller.xml"
    path.write_text(doc(circle(40.005, -99.99, 250)), encoding="utf-8")
    by_file = toy.lookup(pidf=path)
    by_text = toy.lookup(pidf=path.read_text())
    by_radius = toy.lookup(lon=-99.99, lat=40.005, radius_m=250)
    assert by_file.status == by_text.status == by_radius.status == "approximate"
    assert by_file.shape.shares == by_radius.shape.shares
    assert {s.beat for s in by_file.shape.shares} == {"11", "12"}
    with pytest.raises(InputError, match="radius_m needs lon and lat"):
        toy.lookup(radius_m=10)


def test_ok_share_is_an_area_setting(toy_dir, tmp_path):
    from geo_heart.area import Area

    text = (toy_dir / "toy.toml").read_text(encoding="utf-8")
    path = tmp_path / "toy.toml"
    path.write_text(text + "\n[caller_location]\nok_share = 0.6\n", encoding="utf-8")
    area = Area.load(path, data_dir=toy_dir, cache_dir=tmp_path / "cache")
    assert area.config.shape_ok_share == 0.6
    lon = -99.99 - 40 / (111_320 * math.cos(math.radians(40.005)))  # ~75% in beat 11
    r = lookup_shape(area, Shape.circle(lon, 40.005, 100))
    assert r["status"] == "ok" and r["beat"] == "11" and r["shape"]["ok_share"] == 0.6
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "\n[caller_location]\nok_share = 0.3\n", encoding="utf-8")
    from geo_heart.errors import ConfigError

    with pytest.raises(ConfigError, match="ok_share"):
        Area.load(bad, data_dir=toy_dir, cache_dir=tmp_path / "cache")
