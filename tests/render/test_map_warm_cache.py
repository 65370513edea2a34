"""`map` from a warm cache folder writes what a cold run writes, and a changed input file is never
answered from the old entries (issue 31 item 4: per-area constants cached with the index).

Toy town with census tracts (population, equity pieces, contiguity, outlines and display beats
all go through the cache folder)."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np

from geo_heart.area import Area

#: the per-area constants a map run keeps in the cache folder
CACHED = ("population-", "equity-pieces-", "queen-", "outline-", "display-")


def _run(d, cache, out):
    from geo_heart.render.report import write_planner_outputs

    area = Area.load(d / "toy.toml", data_dir=d, cache_dir=cache)
    data = area.load_calls(cache=False)
    write_planner_outputs(area, data, out, expansion_k=None)
    return out


def _contents(out) -> dict[str, bytes]:
    """Every output file; the interactive map with folium's random element ids and the report's
    generation date made neutral (the only parts that differ between two identical runs)."""
    got = {}
    for f in sorted(out.iterdir()):
        if f.suffix in (".gpkg", ".qgz"):  # GDAL/QGIS stamp times inside; checked by layer below
            continue
        b = f.read_bytes()
        if f.suffix == ".html":
            t = re.sub(r"[0-9a-f]{32}", "ID", b.decode())
            b = re.sub(r"generated \d\d \w{3} \d{4}", "generated DATE", t).encode()
        got[f.name] = b
    return got


def _layers(path) -> dict:
    import pyogrio

    return {
        name: pyogrio.read_dataframe(path, layer=name).drop(columns="update_time", errors="ignore")
        for name, _ in pyogrio.list_layers(path)
    }


def test_warm_run_writes_what_a_cold_run_writes_and_a_changed_input_is_recomputed(town, tmp_path):
    d = tmp_path / "town"
    shutil.copytree(town.settings.data_dir, d, ignore=shutil.ignore_patterns("cache"))
    cache = tmp_path / "cache"
    cold = _contents(_run(d, cache, tmp_path / "cold"))
    entries = sorted(p.name for p in cache.iterdir() if p.name.startswith(CACHED))
    for prefix in CACHED:
        assert any(e.startswith(prefix) for e in entries), prefix
    assert {"report.html", "demand_map.html", "demand_by_beat.csv", "demand_by_beat.png"} <= set(
        cold
    )

    warm_dir = _run(d, cache, tmp_path / "warm")
    assert _contents(warm_dir) == cold
    assert sorted(p.name for p in cache.iterdir() if p.name.startswith(CACHED)) == entries
    a, b = _layers(tmp_path / "cold" / "beats.gpkg"), _layers(warm_dir / "beats.gpkg")
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].equals(b[name]), name

    # beat 11 drawn a little larger: every constant built from the beats is rebuilt, and the warm
    # cache folder then gives exactly what an empty one gives
    layer = json.loads((d / "beats.geojson").read_text())
    for f in layer["features"]:
        if str(f["properties"]["BEAT"]) == "11":
            ring = np.asarray(f["geometry"]["coordinates"][0], dtype=float)
            ring[ring[:, 0] == ring[:, 0].min(), 0] -= 0.003
            f["geometry"]["coordinates"] = [ring.tolist()]
    (d / "beats.geojson").write_text(json.dumps(layer))
    changed_warm = _contents(_run(d, cache, tmp_path / "changed-warm"))
    changed_cold = _contents(_run(d, tmp_path / "empty-cache", tmp_path / "changed-cold"))
    assert changed_warm == changed_cold
    assert changed_warm["demand_map.html"] != cold["demand_map.html"]
    assert changed_warm["demand_by_beat.csv"] != cold["demand_by_beat.csv"]  # population moved
    after = sorted(p.name for p in cache.iterdir() if p.name.startswith(CACHED))
    for prefix in ("population-", "equity-pieces-", "outline-", "display-"):
        assert sum(e.startswith(prefix) for e in after) > sum(
            e.startswith(prefix) for e in entries
        ), prefix
