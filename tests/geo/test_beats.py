"""The beat index: synthetic layers for the rules, the real Durham layer for real answers."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo_heart.errors import CRSError, DataSourceError
from geo_heart.geo.beats import BeatIndex


@pytest.fixture(scope="module")
def toy():
    # Beat "20" is two parts (dissolved); "10" and "20" share the edge x = 1; "30" is separate.
    geoms = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(1, 1, 2, 2), box(5, 5, 6, 6)]
    return BeatIndex.from_geometries(
        [10, 20, "20", 30.0], geoms, ["A", "B", "B", None], crs="EPSG:4326", grid_cells=16
    )


def test_dissolve_and_ids(toy):
    assert toy.beats == ["10", "20", "30"]
    assert toy.district_of("20") == "B"
    assert toy.district_of("30") is None
    assert toy.geometry_of("20").area == pytest.approx(2.0)


def test_interior_points(toy):
    assert toy.locate(0.5, 0.5).beat == "10"
    assert toy.locate(1.5, 1.5).beat == "20"
    assert toy.locate(5.5, 5.5).beat == "30"


def test_shared_boundary_goes_to_first_beat_by_id_and_says_so(toy):
    hit = toy.locate(1.0, 0.5)
    assert hit.beat == "10"
    assert hit.on_boundary and hit.covering == ("10", "20")
    assert "boundary" in hit.reason
    # the outer edge of a single beat is inside it (closed polygon), not a shared boundary
    edge = toy.locate(0.0, 0.5)
    assert edge.beat == "10" and not edge.on_boundary


def test_outside_and_invalid(toy):
    assert toy.locate(3.0, 3.0).nearest_beat is None  # only on request
    hit = toy.locate(3.0, 3.0, nearest=True)
    assert hit.beat is None and hit.status == "outside"
    assert hit.nearest_beat in ("20", "30") and hit.distance_m > 100_000
    assert toy.locate(float("nan"), 1).status == "invalid"
    assert toy.locate(200, 1).status == "invalid"
    assert toy.locate("abc", 1).status == "invalid"


def test_vectorised_agrees_with_single_and_with_shapely(toy):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 7, 5000)
    y = rng.uniform(-1, 7, 5000)
    x[:3] = [1.0, np.nan, 0.5]
    y[:3] = [0.5, 0.0, 0.5]
    pos = toy.locate_many(x, y)
    for i in range(0, 5000, 7):
        single = toy.locate(x[i], y[i]).beat
        assert (toy.beats[pos[i]] if pos[i] >= 0 else None) == single
    # brute force with shapely
    expected = np.full(len(x), -1)
    for b in reversed(range(len(toy.beats))):
        expected[shapely.intersects_xy(toy.geoms[b], x, y)] = b
    expected[1] = -2
    assert (pos == expected).all()
    cols = toy.assign(x[:3], y[:3])
    assert cols["beat"].tolist() == ["10", None, "10"]
    assert cols["status"].tolist() == ["ok", "invalid", "ok"]


def test_invalid_geometry_is_repaired():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    assert not bowtie.is_valid
    idx = BeatIndex.from_geometries(["1"], [bowtie], crs="EPSG:4326", grid_cells=8)
    assert idx.geoms[0].is_valid
    assert idx.locate(0.2, 1.0).beat == "1"  # left triangle
    assert idx.locate(1.8, 1.0).beat == "1"  # right triangle
    assert idx.locate(1.0, 0.2).beat is None  # the notch between them


def test_crs_is_required_and_respected(tmp_path):
    with pytest.raises(CRSError):
        BeatIndex.from_geometries(["1"], [box(0, 0, 1, 1)], crs=None)
    # a layer in NC State Plane feet, written to a GeoPackage, is transformed to lon/lat
    import geopandas as gpd

    square = gpd.GeoSeries([box(-78.91, 35.99, -78.89, 36.01)], crs=4326).to_crs(2264)
    gdf = gpd.GeoDataFrame({"BEAT": [7], "DIST": ["D9"]}, geometry=square, crs=2264)
    for name in ("beats.gpkg", "beats.shp"):
        path = tmp_path / name
        gdf.to_file(path)
        idx = BeatIndex.from_file(
            path, id_field="BEAT", district_field="DIST", cache_dir=tmp_path / "c"
        )
        assert idx.locate(-78.90, 36.00).beat == "7"
        assert idx.locate(-78.95, 36.00).beat is None


def test_missing_file_and_field(tmp_path, data_dir):
    with pytest.raises(DataSourceError, match="does not exist"):
        BeatIndex.from_file(tmp_path / "nope.geojson", id_field="X")
    with pytest.raises(DataSourceError, match="has no field 'NOPE'"):
        BeatIndex.from_file(data_dir / "police_beats.geojson", id_field="NOPE")


def test_cache_round_trip(tmp_path, data_dir):
    kw = dict(
        id_field="LAWBEAT", district_field="LAWDIST", projected_crs="EPSG:2264", cache_dir=tmp_path
    )
    a = BeatIndex.from_file(data_dir / "police_beats.geojson", **kw)
    assert len(list(tmp_path.glob("beats-*.npz"))) == 1
    b = BeatIndex.from_file(data_dir / "police_beats.geojson", **kw)
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = shapely.total_bounds(a.geoms)
    x, y = rng.uniform(x0, x1, 20000), rng.uniform(y0, y1, 20000)
    assert (a.locate_many(x, y) == b.locate_many(x, y)).all()
    assert b.beats == a.beats and b.district_of("111") == "D1"


# --------------------------------------------------------------------- the real Durham layer
def test_durham_beats(workspace):
    idx = workspace.beat_index
    assert len(idx.beats) == 37  # 35 beats + 999 Sheriff + 299 special area
    assert {"111", "999", "299", "513"} <= set(idx.beats)
    assert idx.district_of("214") == "D2" and idx.district_of("999") == "DSO"
    areas = idx.area_sq_mi()
    city = sum(v for k, v in areas.items() if k != "999")
    assert 100 < city < 140  # Durham's city police area is about 115 sq mi


@pytest.mark.parametrize(
    ("lon", "lat", "beat"),
    [
        # County address-point coordinates (address_points.csv) of addresses whose hundred-block
        # DPD assigns to exactly one beat in incidents_2021_2024.csv; expected = DPD's beat.
        (-78.88983930690928, 35.989206083070634, "111"),  # 914 MORNING GLORY AVE
        (-78.87432677248104, 36.01521380791474, "214"),  # 1517 CAMDEN AVE
        (-78.84927532622487, 35.8679120091815, "423"),  # 4104 SURLES CT
        (-78.89100122250699, 35.98329670041698, "513"),  # 1111 GILLETTE AVE
        (-78.80622804775017, 35.99586367208094, "121"),  # 12 LOST TREE CT
    ],
)
def test_known_points(workspace, lon, lat, beat):
    hit = workspace.beat_index.locate(lon, lat)
    assert hit.beat == beat and hit.status == "ok"
    assert hit.district == "D" + beat[0]


def test_durham_matches_sjoin_on_random_points(workspace):
    import geopandas as gpd

    idx = workspace.beat_index
    rng = np.random.default_rng(42)
    x0, y0, x1, y1 = shapely.total_bounds(idx.geoms)
    n = 50_000
    x, y = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    pos = idx.locate_many(x, y)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326)
    j = gpd.sjoin(pts, idx.to_geodataframe(), how="left", predicate="intersects")
    j = j.sort_values("beat", key=lambda s: s.fillna("zzz").map(lambda v: (len(v), v)))
    first = j[~j.index.duplicated(keep="first")].sort_index()
    ref = first["beat"].to_numpy(dtype=object)
    mine = np.array([idx.beats[p] if p >= 0 else None for p in pos], dtype=object)
    ref = np.array([None if (r is None or r != r) else r for r in ref], dtype=object)
    assert (mine == ref).all()
    assert (pos >= 0).sum() > n * 0.3
