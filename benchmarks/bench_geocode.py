"""Speed of the offline geocoder as users get it, against usaddress (parse only), same run.

    .venv/bin/python benchmarks/bench_geocode.py [--data ../shared/data/durham] [--n 10000]
        [--write-answers FILE] [--check-answers FILE]

The geocoder is built exactly as ``geo-heart geocode`` and ``Area.geocode`` build it
(:func:`geo_heart.geocode.match.geocoder_for`: the area file's ``[addresses]`` options and its
fitted calibration table, ``boundaries/durham_calibration.json``); the script prints which table
it loaded.

Prints:
- distinct texts/s end-to-end through ``Area.geocode`` (parse → match → beat → result table),
  cold memo and cold parse caches each round, on ``--n`` distinct ``ADDRESS2`` values of
  incidents_2021_2024.csv (a seeded sample; never an ``*_eval`` file), and ``usaddress.tag``
  texts/s (parse only) on the same texts, interleaved round by round, best round of each, with
  the ratio (target >= 3x);
- rows/s on the whole 125k-row file (repeated addresses; cold memo and warm);
- single lookup latency: warm (memo hit), uncached (memo cleared each time), and the full
  dispatch ``lookup_address`` (geocode + eligibility).

``--write-answers FILE`` writes each sampled text's status, beat, point and score (CSV);
``--check-answers FILE`` compares this run's answers with such a file and fails on any
difference (a speed change must leave every answer as it was).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_heart.area import Area  # noqa: E402
from geo_heart.config.settings import Settings  # noqa: E402
from geo_heart.dispatch.lookup import lookup_address  # noqa: E402
from geo_heart.geocode.address import clear_parse_caches  # noqa: E402
from geo_heart.geocode.calibration import IDENTITY  # noqa: E402
from geo_heart.geocode.match import Geocoder, geocoder_for  # noqa: E402

ANSWER_COLUMNS = ["address", "status", "beat", "lon", "lat", "score", "match_type"]


def fresh(ws: Area) -> Geocoder:
    """The area's geocoder as users get it, with empty memos and empty parse caches (the index
    is read from the cache folder, as a new process would)."""
    clear_parse_caches()
    ws.forget("geocoder")
    return geocoder_for(ws)


def check_answers(out: pd.DataFrame, path: Path) -> None:
    """Fail unless ``out`` gives every text the answer recorded in ``path``."""
    want = pd.read_csv(path, dtype=str, keep_default_na=False)
    got = out[ANSWER_COLUMNS].astype(str).reset_index(drop=True)
    got = got.replace({"nan": "", "None": "", "<NA>": ""})
    if list(want["address"]) != list(got["address"]):
        raise SystemExit(f"{path}: a different sample of texts; cannot compare")
    bad = (want != got).any(axis=1)
    if bad.any():
        print(pd.concat([want[bad].head(10), got[bad].head(10)], axis=1).to_string())
        raise SystemExit(f"answers differ from {path} for {int(bad.sum())} text(s)")
    print(f"answers identical to {path}: {len(want):,} texts (status, beat, point, score)")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "durham"))
    ap.add_argument("--cache", default=None)
    ap.add_argument("--n", type=int, default=10_000, help="distinct texts measured")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--write-answers", type=Path, default=None)
    ap.add_argument("--check-answers", type=Path, default=None)
    args = ap.parse_args()
    kw = {"data_dir": Path(args.data), "area": "durham"}
    if args.cache:
        kw["cache_dir"] = Path(args.cache)
    ws = Area.from_settings(Settings(**kw))
    t = time.perf_counter()
    g = geocoder_for(ws)
    print(f"index load/build: {time.perf_counter() - t:.2f} s (then cached)")
    cal = getattr(ws.config, "calibration_file", None)
    if g.calibration is IDENTITY:
        print("geocoder: as shipped, no calibration table configured (raw numbers)")
    else:
        print(f"geocoder: as shipped (geocoder_for), calibration table {Path(cal).name}")

    rows = pd.read_csv(
        Path(args.data) / "incidents_2021_2024.csv",
        dtype=str,
        keep_default_na=False,
        usecols=["ADDRESS2"],
    )["ADDRESS2"]
    distinct = sorted(set(rows))
    rng = np.random.default_rng(31)
    pick = np.sort(rng.choice(len(distinct), size=min(args.n, len(distinct)), replace=False))
    texts = [distinct[i] for i in pick]
    # Fairness: move everything loaded so far (the index, the data) out of the garbage collector's
    # reach, so that neither contender pays for scanning the other's objects.
    import gc

    gc.collect()
    gc.freeze()
    print(f"input: {len(rows):,} rows, {len(distinct):,} distinct texts, {len(texts):,} measured")

    # Distinct texts end-to-end (cold memo each time) and usaddress.tag on the same texts,
    # interleaved round by round so that both see the same machine load; best round of each.
    import usaddress

    def run_usaddress() -> None:
        for s in texts:
            try:
                usaddress.tag(s)
            except usaddress.RepeatedLabelError:
                pass

    best = best_u = float("inf")
    for _ in range(args.rounds):
        fresh(ws)
        t = time.perf_counter()
        out = ws.geocode(texts)
        best = min(best, time.perf_counter() - t)
        t = time.perf_counter()
        run_usaddress()
        best_u = min(best_u, time.perf_counter() - t)
    assert len(out) == len(texts)
    geo_rate = len(texts) / best
    usa_rate = len(texts) / best_u
    print("\n== distinct texts/s ==")
    print(f"geo-heart Area.geocode (parse+match+beat+table): {geo_rate:12,.0f} /s")
    print(f"usaddress.tag (parse only):                      {usa_rate:12,.0f} /s")
    print(f"ratio: {geo_rate / usa_rate:.2f}x   (target >= 3x)")
    if args.write_answers:
        out[ANSWER_COLUMNS].to_csv(args.write_answers, index=False)
        print(f"answers written to {args.write_answers}")
    if args.check_answers:
        check_answers(out, args.check_answers)

    print("\n== rows/s on the full file (repeated addresses) ==")
    g3 = fresh(ws)
    t = time.perf_counter()
    out = g3.geocode_many(rows)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    g3.geocode_many(rows)
    warm = time.perf_counter() - t
    print(f"cold memo: {len(rows) / cold:12,.0f} rows/s ({cold:.2f} s)   (target >= 100k)")
    print(f"warm memo: {len(rows) / warm:12,.0f} rows/s ({warm:.2f} s)")

    print("\n== single lookups ==")
    sample = texts[:2000]
    for s in sample:
        g3.geocode_one(s)
    lat = []
    for s in sample:
        t = time.perf_counter()
        g3.geocode_one(s)
        lat.append(time.perf_counter() - t)
    print(
        f"warm geocode_one: median {1e3 * statistics.median(lat):.4f} ms, max {1e3 * max(lat):.3f} ms"
    )
    lat = []
    for s in sample[:500]:
        g3._memo.clear()
        t = time.perf_counter()
        g3.geocode_one(s)
        lat.append(time.perf_counter() - t)
    lat.sort()
    print(
        f"uncached geocode_one: median {1e3 * statistics.median(lat):.3f} ms, "
        f"p99 {1e3 * lat[int(0.99 * len(lat))]:.3f} ms   (target <= 2 ms)"
    )
    lookup_address(ws, "200 PACIFIC AVE", call_type="MENTAL HE", at="2024-06-01T11:00")
    lat = []
    for s in sample[:500]:
        t = time.perf_counter()
        lookup_address(ws, s, call_type="MENTAL HE", at="2024-06-01T11:00")
        lat.append(time.perf_counter() - t)
    print(
        f"warm lookup_address (geocode + eligibility): median {1e3 * statistics.median(lat):.3f} ms"
    )


if __name__ == "__main__":
    main()
