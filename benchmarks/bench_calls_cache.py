"""The parsed, classified call table cache: load_calls parsing the file vs reading the cache.

Prints the time of both on the area's [layers.calls] table (Durham: 125,364 calls) in this process,
the ratio, and checks that the cached table equals the parsed one.

    .venv/bin/python benchmarks/bench_calls_cache.py
"""

from __future__ import annotations

import statistics
import tempfile
import time


def main() -> None:
    import pandas as pd

    from geo_heart.analysis.calls import load_calls
    from geo_heart.area import Area

    with tempfile.TemporaryDirectory() as cache:
        area = Area.load("durham", cache_dir=cache)
        area.beat_index  # noqa: B018 - build the index outside the timings
        parse, read = [], []
        for _ in range(3):
            t = time.perf_counter()
            fresh = load_calls(area, cache=False)
            parse.append(time.perf_counter() - t)
        load_calls(area)  # writes the cache entry
        for _ in range(3):
            t = time.perf_counter()
            cached = load_calls(area)
            read.append(time.perf_counter() - t)
        pd.testing.assert_frame_equal(fresh.frame, cached.frame)
        p, r = statistics.median(parse), statistics.median(read)
        print(f"calls: {fresh.rows:,} rows from {fresh.source}")
        print(f"parse + classify + place + time: {p:.2f} s (median of 3)")
        print(f"from the cache (Parquet):        {r:.2f} s (median of 3)")
        print(f"speed-up: {p / r:.1f}x; cached table identical: yes")


if __name__ == "__main__":
    main()
