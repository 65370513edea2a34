"""Bulk beat assignment: geo-heart's grid index vs geopandas.sjoin, in the same process.

Run by hand (not in CI):

    .venv/bin/python benchmarks/bench_assign.py [--points 1000000] [--seed 0] [--rounds 7]

Prints points/second for ``BeatIndex.locate_many`` and for ``geopandas.sjoin`` on the same seeded
random points in the beats' bounding box, their ratio, whether every beat agrees (sjoin rows for
points on a shared edge are reduced with geo-heart's documented rule: first beat by id), the median
warm single-point lookup time, and a fresh-process ``geo-heart lookup`` wall time (cache warm).
Then the public ``Area.assign`` on a DataFrame and on a GeoDataFrame of the same points against
``locate_many`` (interleaved rounds), and with census tracts and block groups against
``geopandas.sjoin(polygons, points, predicate="contains")`` on the same three layers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds for Area.assign")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "durham"))
    args = ap.parse_args()

    import geopandas as gpd

    from geo_heart.area import Area
    from geo_heart.config.settings import Settings

    cache = Path(tempfile.mkdtemp(prefix="gh-bench-"))
    settings = Settings(data_dir=Path(args.data), cache_dir=cache)
    t = time.perf_counter()
    idx = Area.from_settings(settings).beat_index
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    Area.from_settings(settings).beat_index  # noqa: B018 - second start reads the cache
    load_s = time.perf_counter() - t

    rng = np.random.default_rng(args.seed)
    x0, y0, x1, y1 = shapely.total_bounds(idx.geoms)
    lon = rng.uniform(x0, x1, args.points)
    lat = rng.uniform(y0, y1, args.points)

    idx.locate_many(lon[:1000], lat[:1000])  # warm
    t = time.perf_counter()
    pos = idx.locate_many(lon, lat)
    ours_s = time.perf_counter() - t

    beats = idx.to_geodataframe()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    t = time.perf_counter()
    joined = gpd.sjoin(pts, beats, how="left", predicate="intersects")
    sjoin_s = time.perf_counter() - t

    order = {b: i for i, b in enumerate(idx.beats)}
    joined["rank"] = joined["beat"].map(order).fillna(len(order))
    first = joined.sort_values("rank", kind="stable")
    first = first[~first.index.duplicated(keep="first")].sort_index()
    ref = first["rank"].to_numpy().astype(int)
    ref[ref == len(order)] = -1
    mine = np.where(pos >= 0, pos, -1)
    agree = int((ref == mine).sum())

    def time_single(points, **kw):
        out = []
        for x, y in points:
            idx.locate(x, y, **kw)
        for x, y in points:
            t = time.perf_counter_ns()
            idx.locate(x, y, **kw)
            out.append(time.perf_counter_ns() - t)
        return np.array(out) / 1000

    sample = list(zip(lon[:5000].tolist(), lat[:5000].tolist(), strict=True))
    single = time_single(sample)
    inside = [(x, y) for (x, y), p in zip(sample, pos[:5000], strict=True) if p >= 0]
    single_in = time_single(inside)
    outside = [(x, y) for (x, y), p in zip(sample, pos[:5000], strict=True) if p == -1][:500]
    single_near = time_single(outside, nearest=True)

    # the public path: Area.assign on a DataFrame and on a GeoDataFrame of the same points
    # (beats, then with tracts and block groups), against the kernel and against polygon-left
    # geopandas.sjoin on the same three layers. Timings are interleaved rounds (the machine is
    # shared): each ratio is the median over rounds of that round's ratio.
    import pandas as pd

    from geo_heart.geo.census import geoids_for_points

    area = Area.from_settings(settings)
    frame = pd.DataFrame({"lon": lon, "lat": lat})
    area.assign(frame.head(1000))  # warm: census layers read and indexed

    def timed(fn):
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    runs: dict[str, list[float]] = {k: [] for k in ("kernel", "df", "gdf", "df_geom", "points")}
    for _ in range(args.rounds):
        runs["kernel"].append(timed(lambda: idx.locate_many(lon, lat)))
        runs["df"].append(timed(lambda: area.assign(frame, census=False)))
        runs["gdf"].append(timed(lambda: area.assign(pts, census=False)))
        runs["df_geom"].append(timed(lambda: area.assign(frame, census=False, geometry=True)))
        runs["points"].append(timed(lambda: shapely.points(lon, lat)))
    med = {k: float(np.median(v)) for k, v in runs.items()}
    ratio = {
        k: float(np.median(np.array(runs[k]) / np.array(runs["kernel"])))
        for k in ("df", "gdf", "df_geom", "points")
    }
    census_runs: dict[str, list[float]] = {"df": [], "gdf": []}
    for _ in range(max(1, args.rounds // 2)):
        census_runs["df"].append(timed(lambda: area.assign(frame)))
        census_runs["gdf"].append(timed(lambda: area.assign(pts)))
    assign_census_s = float(np.median(census_runs["df"]))
    assign_census_gdf_s = float(np.median(census_runs["gdf"]))
    assigned = area.assign(frame)
    census_layers = {
        role: gpd.read_file(area.layer_path(role), columns=["GEOID"]).to_crs(4326)
        for role in ("tracts", "blockgroups")
    }
    t = time.perf_counter()
    gpd.sjoin(beats, pts, predicate="contains")
    peer = {
        role: gpd.sjoin(layer, pts, predicate="contains") for role, layer in census_layers.items()
    }
    sjoin3_s = time.perf_counter() - t
    tract_ref = np.full(n := args.points, None, dtype=object)
    j = peer["tracts"]
    tract_ref[j["index_right"].to_numpy()] = j["GEOID"].to_numpy()
    tract_agree = int((assigned["tract_geoid"].to_numpy() == tract_ref).sum())
    bg_ref = np.full(n, None, dtype=object)
    j = peer["blockgroups"]
    bg_ref[j["index_right"].to_numpy()] = j["GEOID"].to_numpy()
    bg_agree = int((assigned["blockgroup_geoid"].to_numpy() == bg_ref).sum())
    tract_s = timed(lambda: geoids_for_points(area, "tracts", lon, lat))

    exe = Path(sys.executable).with_name("geo-heart")
    env = dict(os.environ, GEO_HEART_CACHE=str(cache), GEO_HEART_DATA=args.data)
    walls = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [str(exe), "lookup", "--lon", "-78.9016", "--lat", "35.996", "--json"],
            env=env,
            check=True,
            capture_output=True,
        )
        walls.append(time.perf_counter() - t)

    print(
        f"points                      {n:,} (seed {args.seed}, {int((pos >= 0).sum()):,} inside a beat)"
    )
    print(f"index build / cached load   {build_s:.2f} s / {load_s * 1000:.0f} ms")
    print(f"geo-heart locate_many       {n / ours_s:,.0f} points/s ({ours_s:.3f} s)")
    print(f"geopandas.sjoin             {n / sjoin_s:,.0f} points/s ({sjoin_s:.3f} s)")
    print(f"ratio (geo-heart / sjoin)   {sjoin_s / ours_s:.1f}x   (target >= 10x)")
    print(
        f"beats agree                 {agree:,}/{n:,} {'IDENTICAL' if agree == n else 'DIFFERENT'}"
    )
    print(
        f"Area.assign(census=False), {args.rounds} interleaved rounds (medians; ratio = median "
        "of each round's ratio to locate_many in the same round):"
    )
    print(f"  locate_many (the kernel)  {med['kernel']:.3f} s")
    print(
        f"  DataFrame in -> DataFrame {med['df']:.3f} s, {ratio['df']:.1f}x locate_many "
        "(target <= 3x)"
    )
    print(
        f"  GeoDataFrame in -> GDF    {med['gdf']:.3f} s, {ratio['gdf']:.1f}x locate_many "
        "(target <= 3x; its geometry reused)"
    )
    print(
        f"  DataFrame, geometry=True  {med['df_geom']:.3f} s, {ratio['df_geom']:.1f}x "
        f"(builds {n:,} shapely points: shapely.points alone {med['points']:.3f} s, "
        f"{ratio['points']:.1f}x)"
    )
    print(
        f"Area.assign + tracts + bgs  DataFrame {assign_census_s:.3f} s, "
        f"GeoDataFrame {assign_census_gdf_s:.3f} s"
    )
    print(
        f"sjoin(polygons, points) x3  {sjoin3_s:.3f} s (beats, tracts, block groups, "
        "predicate='contains', polygons on the left)"
    )
    print(
        f"ratio (sjoin x3 / Area.assign with census) DataFrame {sjoin3_s / assign_census_s:.1f}x, "
        f"GeoDataFrame {sjoin3_s / assign_census_gdf_s:.1f}x faster (target > 1x)"
    )
    print(
        f"tract GEOIDs alone          {n / tract_s:,.0f} points/s; agree with sjoin: tracts "
        f"{tract_agree:,}/{n:,}, block groups {bg_agree:,}/{n:,}"
    )
    print(
        f"single warm lookup          median {np.median(single):.1f} us, p99 {np.percentile(single, 99):.1f} us over 5,000 random points (target <= 20 us)"
    )
    print(
        f"  points inside a beat      median {np.median(single_in):.1f} us, p99 {np.percentile(single_in, 99):.1f} us"
    )
    print(
        f"  outside, with nearest=True median {np.median(single_near):.1f} us (dispatch lookups ask for the nearest beat)"
    )
    print(
        f"fresh `geo-heart lookup`    {min(walls):.2f} s best, {max(walls):.2f} s worst of 3 (cache warm, target <= 1.5 s)"
    )


if __name__ == "__main__":
    main()
