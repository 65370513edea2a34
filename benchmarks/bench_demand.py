"""Benchmark: demand tables + all maps + report for the 125k-row Durham incident file.

Targets (issue 3): everything in <= 20 s, interactive HTML <= 5 MB. Issue 31: ``geo-heart map``
(and the report it writes) <= 5 s wall in a fresh process when warm (call cache, indexes and
per-area constants in the cache folder): timed last, as ``geo-heart -q map -o DIR`` once on an empty
cache folder (cold, the peer) and ``--warm-runs`` times on the filled one (best, median, CPU time),
with the load average before and after.

Peers measured in the same run:
* tables — a plain pandas groupby of eligible calls per beat on the already classified frame
  (the least work possible for one table);
* interactive map — ``GeoDataFrame.explore()`` (geopandas' folium map) of the same beat
  choropleth, unsimplified: time and HTML size.

Run: ``.venv/bin/python benchmarks/bench_demand.py [--out DIR] [--warm-runs N] [--compare-with SRC]``
(the Durham data next to the repo; ``--compare-with`` times another source tree's warm ``map``
alternately with this one's, e.g. the commit before a change).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="Output folder (default: a temp dir)"
    )
    parser.add_argument(
        "--warm-runs", type=int, default=3, help="Warm `geo-heart map` runs timed (default 3)"
    )
    parser.add_argument(
        "--compare-with",
        type=Path,
        default=None,
        help="Another source tree of geo-heart (e.g. `git archive <commit> | tar -x -C DIR`): its "
        "warm `map` timed alternately with this one's on the same cache folder and load",
    )
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="geo-heart-bench-"))

    t_all = time.perf_counter()
    from geo_heart.analysis.calls import load_calls
    from geo_heart.area import Area
    from geo_heart.config.settings import Settings
    from geo_heart.render.report import write_planner_outputs

    ws = Area.from_settings(Settings())
    ws.beat_index  # noqa: B018  (build/load the index outside the timed stages)
    t0 = time.perf_counter()
    data = load_calls(ws)
    t_load = time.perf_counter() - t0

    t0 = time.perf_counter()
    written = write_planner_outputs(ws, data, out)
    t_outputs = time.perf_counter() - t0
    total = time.perf_counter() - t_all
    html_mb = written["html_bytes"] / 1e6

    # ---- peers
    f = data.frame
    t0 = time.perf_counter()
    type_cols = [f"{p}_type" for p in data.programs]
    peer_table = f[f["beat"].notna()].groupby("beat")[type_cols].sum()
    t_peer_table = time.perf_counter() - t0
    from geo_heart.analysis.demand import beat_demand

    t0 = time.perf_counter()
    bt = beat_demand(ws, data)
    t_table = time.perf_counter() - t0
    assert (
        peer_table["CRT_type"].reindex(bt["beat"]).fillna(0).to_numpy() == bt["eligible_CRT"]
    ).all()

    t0 = time.perf_counter()
    gdf = ws.beat_index.to_geodataframe().merge(bt.drop(columns="district"), on="beat")
    m = gdf.explore(column="eligible_per_1000", tiles=None)
    peer_html = m.get_root().render()
    t_peer_map = time.perf_counter() - t0

    print(f"calls: {data.rows:,} rows from {data.source}")
    print(
        f"load + classify + place + eligibility: {t_load:6.2f} s ({data.rows / t_load:,.0f} rows/s)"
    )
    print(f"tables + coverage + hot spots + interactive map + 5 PNGs + report: {t_outputs:6.2f} s")
    print(
        f"TOTAL (imports included): {total:6.2f} s   target <= 20 s   {'OK' if total <= 20 else 'OVER'}"
    )
    print(
        f"interactive HTML: {html_mb:.2f} MB   target <= 5 MB   {'OK' if html_mb <= 5 else 'OVER'}"
    )
    print(
        f"per-beat table: {t_table * 1000:.0f} ms vs plain pandas groupby {t_peer_table * 1000:.0f} ms "
        f"(ratio {t_table / t_peer_table:.1f}x; ours adds population, areas, rates, shares)"
    )
    print(
        f"peer GeoDataFrame.explore() beat choropleth: {t_peer_map:.2f} s, "
        f"{len(peer_html.encode()) / 1e6:.2f} MB (ours, all layers + inlined Leaflet: {html_mb:.2f} MB, "
        f"ratio {html_mb / (len(peer_html.encode()) / 1e6):.2f}x)"
    )
    print(f"outputs in {out}")

    # ---- `geo-heart map` in fresh processes: cold (an empty cache folder: the call table, beat
    # index and per-area constants are built) against warm (the same folder, filled)
    import resource

    cmd = [sys.executable, "-c", "from geo_heart.cli.main import main; main()", "-q", "map", "-o"]
    env = {**os.environ, "GEO_HEART_CACHE": tempfile.mkdtemp(prefix="geo-heart-bench-cache-")}

    def run(name: str, source: Path | None = None) -> tuple[float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        e = env if source is None else {**env, "PYTHONPATH": str(source)}
        subprocess.run([*cmd, str(out / name)], check=True, capture_output=True, env=e, cwd=source)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu

    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cold, cold_cpu = run("map-cold")
    warm = [run(f"map-warm{i}") for i in range(args.warm_runs)]
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    walls = sorted(w for w, _ in warm)
    best, median = walls[0], walls[len(walls) // 2]
    cpu = sorted(c for _, c in warm)[len(warm) // 2]
    print(
        f"geo-heart map, fresh process, Durham {data.rows:,} calls: warm best {best:.2f} s, "
        f"median {median:.2f} s of {len(warm)} (CPU {cpu:.2f} s) vs cold (empty cache folder) "
        f"{cold:.2f} s (CPU {cold_cpu:.2f} s): warm/cold {median / cold:.2f}x; target <= 5 s "
        f"{'OK' if median <= 5 else 'OVER'}; load average {load0:.1f} -> {load1:.1f}"
    )
    if args.compare_with is not None:
        other = args.compare_with.resolve()
        run("map-other-first", other)  # fills any cache entry of its own
        ours, theirs = [], []
        for i in range(args.warm_runs):
            theirs.append(run(f"map-other{i}", other))
            ours.append(run(f"map-this{i}"))
        load2 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

        def med(v):
            return sorted(v)[len(v) // 2]

        ow, oc = med([w for w, _ in ours]), med([c for _, c in ours])
        tw, tc = med([w for w, _ in theirs]), med([c for _, c in theirs])
        print(
            f"alternating warm runs, this tree vs {other}: wall {ow:.2f} s vs {tw:.2f} s "
            f"({ow / tw:.2f}x), CPU {oc:.2f} s vs {tc:.2f} s ({oc / tc:.2f}x), medians of "
            f"{args.warm_runs}; load average {load1:.1f} -> {load2:.1f}"
        )


if __name__ == "__main__":
    main()
