"""Service-area outlines and display-simplified beats kept in the cache folder (issue 31 item 4):
a cached answer is exactly the computed one, and a changed beats file is never answered from the
old entry."""

from __future__ import annotations

import json
import shutil

import numpy as np
import shapely

from geo_heart.area import Area


def _copy_toy(toy_dir, tmp_path):
    d = tmp_path / "area"
    shutil.copytree(toy_dir, d, ignore=shutil.ignore_patterns("cache"))
    return d


def _load(d, cache):
    return Area.load(d / "toy.toml", data_dir=d, cache_dir=cache)


def _wkb(g) -> bytes:
    return shapely.to_wkb(g)


def test_outline_is_the_union_and_is_read_back_from_disk(toy_dir, tmp_path, monkeypatch):
    from geo_heart.geo.outlines import beats_outline

    d = _copy_toy(toy_dir, tmp_path)
    area = _load(d, tmp_path / "cache")
    ids = ["11", "12", "21"]
    first = beats_outline(area, ids)
    expected = shapely.union_all([area.beat_index.geometry_of(b) for b in ids])
    assert _wkb(first) == _wkb(expected)
    assert first.area > area.beat_index.geometry_of("11").area
    assert len(list((tmp_path / "cache").glob("outline-*.npz"))) == 1
    # unknown ids are skipped; none known: an empty geometry
    only_11 = beats_outline(area, ["11", "nope"])
    assert _wkb(only_11) == _wkb(shapely.union_all([area.beat_index.geometry_of("11")]))
    assert beats_outline(area, ["nope"]).is_empty

    def fail(*a, **k):
        raise AssertionError("dissolved again despite the cache folder")

    monkeypatch.setattr(shapely, "union_all", fail)
    again = beats_outline(_load(d, tmp_path / "cache"), ids)  # nothing in memory
    assert _wkb(again) == _wkb(first)


def test_changed_beats_file_is_not_answered_from_the_old_entry(toy_dir, tmp_path):
    from geo_heart.geo.outlines import beats_outline

    d = _copy_toy(toy_dir, tmp_path)
    cache = tmp_path / "cache"
    before = beats_outline(_load(d, cache), ["11", "12"])
    layer = json.loads((d / "beats.geojson").read_text())
    for f in layer["features"]:
        if str(f["properties"]["BEAT"]) == "11":  # beat 11 moved a little west
            f["geometry"]["coordinates"] = (
                np.asarray(f["geometry"]["coordinates"], dtype=float) - [0.002, 0.0]
            ).tolist()
    (d / "beats.geojson").write_text(json.dumps(layer))
    moved = _load(d, cache)
    after = beats_outline(moved, ["11", "12"])
    assert _wkb(after) != _wkb(before)
    fresh = shapely.union_all([moved.beat_index.geometry_of(b) for b in ("11", "12")])
    assert _wkb(after) == _wkb(fresh)
    assert len(list(cache.glob("outline-*.npz"))) == 2


def test_display_geometries_cached_equal_the_direct_simplification(toy_dir, tmp_path):
    import geopandas as gpd

    from geo_heart.geo.outlines import display_geometries

    d = _copy_toy(toy_dir, tmp_path)
    area = _load(d, tmp_path / "cache")
    crs = area.config.projected_crs
    geoms = area.beat_index.to_geodataframe().geometry.values
    proj = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(crs)
    simple = shapely.simplify(proj.values, 40.0, preserve_topology=True)
    direct = shapely.set_precision(
        gpd.GeoSeries(list(simple), crs=crs).to_crs("EPSG:4326").values, 1e-5
    )
    first = display_geometries(area, geoms, tolerance=40.0, crs=crs)
    again = display_geometries(_load(d, tmp_path / "cache"), geoms, tolerance=40.0, crs=crs)
    assert [_wkb(g) for g in first] == [_wkb(g) for g in direct] == [_wkb(g) for g in again]
    # another tolerance is another entry
    coarse = display_geometries(area, geoms, tolerance=400.0, crs=crs)
    assert len(list((tmp_path / "cache").glob("display-*.npz"))) == 2
    assert sum(shapely.get_num_coordinates(coarse)) <= sum(shapely.get_num_coordinates(first))


def test_damaged_entry_is_rebuilt(toy_dir, tmp_path):
    from geo_heart.geo.outlines import beats_outline

    d = _copy_toy(toy_dir, tmp_path)
    cache = tmp_path / "cache"
    good = beats_outline(_load(d, cache), ["11", "21"])
    (entry,) = cache.glob("outline-*.npz")
    entry.write_bytes(b"not an npz")
    again = beats_outline(_load(d, cache), ["11", "21"])
    assert _wkb(again) == _wkb(good)
