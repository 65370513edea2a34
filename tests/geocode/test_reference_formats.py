"""Reference formats (issue 11 item 6): TIGER/Line ADDRFEAT and EDGES, OpenAddresses CSV, OSM.

Each test writes a tiny file in exactly the published schema into tmp_path, builds an index on the
toy area (beats 11/12 south, 21/22 north of lat 40.01; 11/21 west, 12/22 east of lon -99.99) and
checks interpolated points (side, parity, side offset) and beats.
"""

from __future__ import annotations

import dataclasses
import math
import zipfile

import pandas as pd
import pytest
from shapely.geometry import LineString

from geo_heart.area import Area
from geo_heart.config.settings import Settings
from geo_heart.geocode.match import geocoder_for

M_LAT = 110_540.0  # metres per degree of latitude
M_LON = 111_320.0 * math.cos(math.radians(40.0))


def _dist_m(lon1, lat1, lon2, lat2) -> float:
    return math.hypot((lon2 - lon1) * M_LON, (lat2 - lat1) * M_LAT)


def _area(toy, tmp_path, layers: dict) -> Area:
    """The toy area with these reference layers (absolute paths); the toy's cache folder (the
    beat grid is built once; each index is keyed by its files' contents)."""
    cfg = dataclasses.replace(toy.config, layers=layers, places_file=None)
    settings = Settings(data_dir=toy.settings.data_dir, cache_dir=toy.settings.cache_dir)
    return Area(settings=settings, config=cfg)


def _addrfeat(path) -> None:
    """Three ADDRFEAT records in the TIGER/Line field layout (numbers are text, NAD83)."""
    import geopandas as gpd

    base = {
        "TFIDL": [1, 2, 3], "TFIDR": [4, 5, 6], "ARIDL": ["a1", "a2", "a3"],
        "ARIDR": ["b1", "b2", None], "LINEARID": ["110", "110", "220"],
        "EDGE_MTFCC": ["S1400"] * 3, "ROAD_MTFCC": ["S1400"] * 3,
        "PLUS4L": [None] * 3, "PLUS4R": [None] * 3,
        "LFROMTYP": [None] * 3, "LTOTYP": [None] * 3, "RFROMTYP": [None] * 3,
        "RTOTYP": [None] * 3,
    }  # fmt: skip
    gdf = gpd.GeoDataFrame(
        {
            "TLID": [1001, 1002, 1003],
            "FULLNAME": ["Birch St", "Birch St", "Cedar Ave"],
            "LFROMHN": ["101", "201", "1000"],
            "LTOHN": ["199", "299", "1099"],
            "RFROMHN": ["100", "200", None],
            "RTOHN": ["198", "298", None],
            "ZIPL": ["99001", "99001", "99002"],
            "ZIPR": ["99001", "99001", None],
            "PARITYL": ["O", "O", "B"],
            "PARITYR": ["E", "E", None],
            "OFFSETL": ["N", "N", "Y"],
            "OFFSETR": ["N", "N", None],
            **base,
        },
        geometry=[
            # BIRCH ST runs west → east along lat 40.005 (left = north), beat 11 then 12
            LineString([(-99.998, 40.005), (-99.992, 40.005)]),
            LineString([(-99.992, 40.005), (-99.986, 40.005)]),
            # CEDAR AVE runs south → north along lon -99.985 (left = west), beat 12 then 22
            LineString([(-99.985, 40.002), (-99.985, 40.018)]),
        ],
        crs="EPSG:4269",
    )
    gdf.to_file(path, driver="ESRI Shapefile")


def test_tiger_addrfeat_sides_parity_offsets_and_beats(toy, tmp_path):
    _addrfeat(tmp_path / "tl_2024_99001_addrfeat.shp")
    ws = _area(
        toy, tmp_path, {"tiger_addrfeat": {"file": str(tmp_path / "tl_2024_99001_addrfeat.shp")}}
    )
    g = geocoder_for(ws)
    off = 10.0  # default side offset for TIGER ranges, metres
    # 150 is even: right side (south) of the first segment, 50/98 of the way along
    r = g.geocode_one("150 Birch St")
    assert r.match_type == "range_interpolated" and "right side" in r.reason
    assert _dist_m(r.lon, r.lat, -99.998 + 0.006 * 50 / 98, 40.005 - off / M_LAT) < 0.5
    assert r.beat == "11"
    # 151 is odd: left side (north), same place along the line
    r = g.geocode_one("151 BIRCH STREET")
    assert "left side" in r.reason
    assert _dist_m(r.lon, r.lat, -99.998 + 0.006 * 50 / 98, 40.005 + off / M_LAT) < 0.5
    # the second segment lies in beat 12
    r = g.geocode_one("250 Birch St")
    assert r.beat == "12"
    assert _dist_m(r.lon, r.lat, -99.992 + 0.006 * 50 / 98, 40.005 - off / M_LAT) < 0.5
    # parity B (both) on a left-only range: odd and even numbers both placed, on the west side
    r = g.geocode_one("1001 Cedar Ave")
    assert r.match_type == "range_interpolated" and r.beat == "12"
    assert _dist_m(r.lon, r.lat, -99.985 - off / M_LON, 40.002) < 0.5
    r = g.geocode_one("1090 cedar avenue")
    assert r.match_type == "range_interpolated" and r.beat == "22"
    assert _dist_m(r.lon, r.lat, -99.985 - off / M_LON, 40.002 + 0.016 * 90 / 98) < 0.5
    # numbers outside every range are not invented along the line
    assert g.geocode_one("5000 Birch St").match_type != "range_interpolated"
    info = g.index.sources["tiger_addrfeat"]
    assert info["records"] == 3 and info["range_sides"] == 5 and info["offset_flagged"] == 1


def test_tiger_addrfeat_side_offset_zero_puts_points_on_the_line(toy, tmp_path):
    _addrfeat(tmp_path / "a.shp")
    layer = {"file": str(tmp_path / "a.shp"), "side_offset_m": 0}
    g = geocoder_for(_area(toy, tmp_path, {"tiger_addrfeat": layer}))
    r = g.geocode_one("150 Birch St")
    assert r.lat == pytest.approx(40.005, abs=2e-7)
    assert r.lon == pytest.approx(-99.998 + 0.006 * 50 / 98, abs=2e-7)


def _edges_zip(tmp_path):
    """An EDGES file (All Lines: roads, a stream, a walkway) zipped as the Census ships it."""
    import geopandas as gpd

    n = 4
    gdf = gpd.GeoDataFrame(
        {
            "STATEFP": ["99"] * n,
            "COUNTYFP": ["001"] * n,
            "TLID": [2001, 2002, 2003, 2004],
            "TFIDL": [1] * n,
            "TFIDR": [2] * n,
            "MTFCC": ["S1400", "S1400", "H3010", "S1710"],
            "FULLNAME": ["Dogwood Dr", "Fir Ln", "Toy Crk", "Dogwood Trl"],
            "SMID": ["1"] * n,
            "LFROMADD": ["101", "201", None, "1"],
            "LTOADD": ["199", "299", None, "99"],
            "RFROMADD": ["100", "200", None, "2"],
            "RTOADD": ["198", "298", None, "98"],
            "ZIPL": ["99001"] * n,
            "ZIPR": ["99001"] * n,
            "FEATCAT": [None] * n,
            "HYDROFLG": ["N", "N", "Y", "N"],
            "RAILFLG": ["N"] * n,
            "ROADFLG": ["Y", "Y", "N", "Y"],
            "OLFFLG": ["N"] * n,
            "PASSFLG": [None] * n,
            "DIVROAD": [None] * n,
            "EXTTYP": ["N"] * n,
            "TTYP": [None] * n,
            "DECKEDROAD": ["N"] * n,
            "ARTPATH": [None] * n,
            "PERSIST": [None] * n,
            "GCSEFLG": ["N"] * n,
            "OFFSETL": ["N"] * n,
            "OFFSETR": ["N"] * n,
            "TNIDF": [1, 3, 5, 7],
            "TNIDT": [2, 4, 6, 8],
        },  # fmt: skip
        geometry=[
            LineString([(-99.995, 40.001), (-99.995, 40.009)]),  # DOGWOOD DR, south → north
            LineString([(-99.999, 40.003), (-99.981, 40.003)]),  # FIR LN, west → east
            LineString([(-99.999, 40.008), (-99.981, 40.008)]),  # a stream
            LineString([(-99.996, 40.012), (-99.996, 40.018)]),  # a walkway
        ],
        crs="EPSG:4269",
    )
    shp = tmp_path / "edges" / "tl_2024_99001_edges.shp"
    shp.parent.mkdir()
    gdf.to_file(shp, driver="ESRI Shapefile")
    zpath = tmp_path / "tl_2024_99001_edges.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in shp.parent.iterdir():
            z.write(f, f.name)
    return zpath


def test_tiger_edges_from_the_census_zip(toy, tmp_path):
    zpath = _edges_zip(tmp_path)
    g = geocoder_for(_area(toy, tmp_path, {"tiger_edges": {"file": str(zpath)}}))
    # left side of a south → north street is west
    r = g.geocode_one("151 Dogwood Dr")
    assert r.match_type == "range_interpolated" and "left side" in r.reason
    assert _dist_m(r.lon, r.lat, -99.995 - 10 / M_LON, 40.001 + 0.008 * 50 / 98) < 0.5
    assert r.beat == "11"
    r = g.geocode_one("290 Fir Ln")
    assert _dist_m(r.lon, r.lat, -99.999 + 0.018 * 90 / 98, 40.003 - 10 / M_LAT) < 0.5
    assert r.beat == "12"
    # road edges are street lines: their crossing is an intersection
    r = g.geocode_one("DOGWOOD DR & FIR LN")
    assert r.match_type == "intersection"
    assert _dist_m(r.lon, r.lat, -99.995, 40.003) < 1.0 and r.beat == "11"
    # two drawn lines that meet: a found crossing, ``ok`` under a policy that keeps ``ok`` for
    # such crossings (Durham's: ok_crossing_geometries = ["lines"]; a crossing estimated from
    # address points is approximate under it: tests/geocode/test_calibration.py)
    from geo_heart.geocode.calibration import Calibration
    from geo_heart.geocode.match import new_geocoder

    cal = Calibration(crossing_radius_m={"lines/*": 200.0, "points/*": 200.0},
                      ok_crossing_radius_m=450.0, ok_crossing_geometries=("lines",))  # fmt: skip
    area = _area(toy, tmp_path, {"tiger_edges": {"file": str(zpath)}})
    r = new_geocoder(area, calibration=cal).geocode_one("DOGWOOD DR & FIR LN")
    assert (r.status, r.beat, r.uncertainty_m) == ("ok", "11", 200.0)
    # the stream (ROADFLG N) and the walkway (MTFCC S1710) are not streets
    assert "TOY CRK" not in g.index.streets and "DOGWOOD TRL" not in g.index.streets
    assert g.index.sources["tiger_edges"]["road_edges"] == 2


def test_openaddresses_csv(toy, tmp_path):
    cols = ["LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "DISTRICT", "REGION", "POSTCODE",
            "ID", "HASH"]  # fmt: skip
    rows = []
    for i, n in enumerate(range(100, 1100, 100)):  # GROVE ST along lat 40.015, west → east
        lon = -99.998 + (n - 100) / 900 * 0.016
        unit = "2" if n == 500 else ""
        rows.append([f"{lon:.7f}", "40.0150000", str(n), "Grove Street", unit, "Toyville", "",
                     "TX", "99003", f"id{i}", f"{i:016x}"])  # fmt: skip
    path = tmp_path / "tx_toy-addresses-city.csv"
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False)
    g = geocoder_for(_area(toy, tmp_path, {"openaddresses": {"file": str(path)}}))
    r = g.geocode_one("300 GROVE ST")
    assert r.match_type == "address_point" and r.beat == "21"
    assert r.lon == pytest.approx(-99.998 + 200 / 900 * 0.016, abs=1e-7)
    r = g.geocode_one("850 Grove St")  # between 800 and 900: interpolated, east of -99.99
    assert r.match_type == "interpolated" and r.beat == "22"
    assert r.lon == pytest.approx(-99.998 + 750 / 900 * 0.016, abs=1e-6)
    assert g.index.sources["openaddresses"]["rows"] == 10


def test_openaddresses_missing_column_is_one_line(toy, tmp_path):
    from geo_heart.errors import InputError

    path = tmp_path / "oa.csv"
    pd.DataFrame({"LON": [1.0], "LAT": [2.0], "NUMBER": ["1"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="no column 'STREET'"):
        geocoder_for(_area(toy, tmp_path, {"openaddresses": {"file": str(path)}}))


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="geo-heart test">
  <node id="1" lat="40.0030" lon="-99.9980" version="1"/>
  <node id="2" lat="40.0030" lon="-99.9860" version="1"/>
  <node id="3" lat="40.0010" lon="-99.9940" version="1"/>
  <node id="4" lat="40.0180" lon="-99.9940" version="1"/>
  <node id="5" lat="40.0031" lon="-99.9960" version="1">
    <tag k="addr:housenumber" v="500"/><tag k="addr:street" v="Hazel Street"/></node>
  <node id="6" lat="40.0031" lon="-99.9900" version="1">
    <tag k="addr:housenumber" v="700"/><tag k="addr:street" v="Hazel Street"/></node>
  <node id="7" lat="40.0150" lon="-99.9970" version="1">
    <tag k="shop" v="convenience"/><tag k="name" v="Corner Store"/></node>
  <node id="11" lat="40.0120" lon="-99.9880" version="1"/>
  <node id="12" lat="40.0120" lon="-99.9860" version="1"/>
  <node id="13" lat="40.0140" lon="-99.9860" version="1"/>
  <node id="14" lat="40.0140" lon="-99.9880" version="1"/>
  <node id="21" lat="40.0050" lon="-99.9990" version="1"/>
  <node id="22" lat="40.0050" lon="-99.9810" version="1"/>
  <way id="100" version="1"><nd ref="1"/><nd ref="2"/>
    <tag k="highway" v="residential"/><tag k="name" v="Hazel Street"/></way>
  <way id="101" version="1"><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="tertiary"/><tag k="name" v="Ivy Road"/><tag k="ref" v="FM 99"/></way>
  <way id="102" version="1"><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="14"/><nd ref="11"/>
    <tag k="building" v="hospital"/><tag k="amenity" v="hospital"/>
    <tag k="name" v="Toyville General Hospital"/>
    <tag k="addr:housenumber" v="900"/><tag k="addr:street" v="Juniper Way"/></way>
  <way id="103" version="1"><nd ref="21"/><nd ref="22"/>
    <tag k="highway" v="footway"/><tag k="name" v="Hazel Trail"/></way>
</osm>
"""


def test_osm_extract_streets_addresses_places(toy, tmp_path):
    path = tmp_path / "toy.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    g = geocoder_for(_area(toy, tmp_path, {"osm": {"file": str(path)}}))
    # addr:housenumber + addr:street nodes are address points; 600 interpolates between them
    r = g.geocode_one("500 Hazel St")
    assert r.match_type == "address_point" and r.beat == "11"
    assert _dist_m(r.lon, r.lat, -99.996, 40.0031) < 0.5
    r = g.geocode_one("600 HAZEL ST")
    assert r.match_type == "interpolated"
    assert _dist_m(r.lon, r.lat, -99.993, 40.0031) < 0.5
    # highway ways with a name are street lines: the crossing of two of them
    r = g.geocode_one("HAZEL ST/IVY RD")
    assert r.match_type == "intersection" and r.beat == "11"
    assert _dist_m(r.lon, r.lat, -99.994, 40.003) < 1.0
    # a building with an address: its point is an address point too; named features are places
    r = g.geocode_one("900 Juniper Way")
    assert r.match_type == "address_point" and r.beat == "22"
    r = g.geocode_one("Toyville General Hospital")
    assert r.match_type == "place" and r.beat == "22"
    r = g.geocode_one("corner store")
    assert r.match_type == "place" and r.beat == "21"
    # a footway is not a street
    assert "HAZEL TRL" not in g.index.streets
    info = g.index.sources["osm"]
    assert info["street_lines"] == 2 and info["address_points"] == 3 and info["places"] == 2


def test_osm_clipped_to_the_beats(toy, tmp_path):
    far = OSM_XML.replace('lat="40.0031" lon="-99.9900"', 'lat="41.5" lon="-99.9900"')
    path = tmp_path / "far.osm"
    path.write_text(far, encoding="utf-8")
    g = geocoder_for(_area(toy, tmp_path, {"osm": {"file": str(path)}}))
    assert g.index.sources["osm"]["address_points"] == 2  # the point 160 km away is left out


def test_optional_layer_absent_is_skipped(toy, tmp_path):
    from geo_heart.geocode.reference import index_key

    layers = dict(toy.config.layers)
    layers["tiger_edges"] = {"file": str(tmp_path / "nope.zip"), "optional": True}
    ws = _area(toy, tmp_path, layers)
    assert index_key(ws) == index_key(_area(toy, tmp_path, dict(toy.config.layers)))
    g = geocoder_for(ws)
    assert "tiger_edges" not in g.index.sources
    assert g.geocode_one("100 OAK ST").match_type == "address_point"
