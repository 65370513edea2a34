"""Speed of the offline geocoder as users get it, against usaddress (parse only), same process.

    .venv/bin/python benchmarks/bench_geocode.py [--data ../shared/data/durham] [--n 10000]
        [--rounds 5] [--write-answers FILE] [--check-answers FILE]

The geocoder is built exactly as ``geo-heart geocode`` and ``Area.geocode`` build it
(:func:`geo_heart.geocode.match.geocoder_for`: the area file's ``[addresses]`` options and its
fitted calibration table, ``boundaries/durham_calibration.json``); the script prints which table
it loaded.

Prints:
- distinct texts/s end-to-end through ``Area.geocode`` (parse → match → beat → calibrated score
  → result GeoDataFrame) on ``--n`` distinct ``ADDRESS2`` values of incidents_2021_2024.csv (a
  seeded sample; never an ``*_eval`` file), and ``usaddress.tag`` texts/s (parse only) on the
  same texts **in the same process**. Each round runs two **fresh Python processes** on a
  temporary copy of the cache folder (links to the index files) without the crossing records
  (``geocode-crossrecords-<key>.pkl``): **fresh**, the first process on a new cache, computes
  the crossings its texts need (and keeps them in that folder); **warm**, a later process,
  reads them. Each loads the area and the geocoder's index from the cache folder (as any new
  process does; timed apart, and printed with it too), then geocodes the texts once (the first
  pass: every memo and parse cache empty, nothing warmed by an earlier pass) and parses them
  with usaddress (the order alternates between rounds). The ratio of each round, and per kind
  the best and the median, are printed (target >= 3x);
- rows/s on the whole 125k-row file (repeated addresses; cold memo and warm);
- single lookup latency: warm (memo hit), uncached (memo cleared each time), and the full
  dispatch ``lookup_address`` (geocode + eligibility).

``--write-answers FILE`` writes each sampled text's status, beat, point and score (CSV);
``--check-answers FILE`` compares this run's answers with such a file and fails on any
difference (a speed change must leave every answer as it was); it is checked in the fresh and
in the warm process of the first round.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
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


def sample_texts(data: Path, n: int) -> tuple[pd.Series, list[str]]:
    """The incident table's ``ADDRESS2`` column and a seeded sample of ``n`` distinct texts."""
    rows = pd.read_csv(
        data / "incidents_2021_2024.csv", dtype=str, keep_default_na=False, usecols=["ADDRESS2"]
    )["ADDRESS2"]
    distinct = sorted(set(rows))
    rng = np.random.default_rng(31)
    pick = np.sort(rng.choice(len(distinct), size=min(n, len(distinct)), replace=False))
    return rows, [distinct[i] for i in pick]


def area_from(args) -> Area:
    kw = {"data_dir": Path(args.data), "area": "durham"}
    if args.cache:
        kw["cache_dir"] = Path(args.cache)
    return Area.from_settings(Settings(**kw))


def one_round(args) -> None:
    """One round in this (fresh) process: load, then time ``Area.geocode`` and ``usaddress.tag``
    on the same texts; print the figures as one JSON line."""
    import gc

    import usaddress

    t = time.perf_counter()
    ws = area_from(args)
    geocoder_for(ws)  # the index, read from the cache folder
    load = time.perf_counter() - t
    _, texts = sample_texts(Path(args.data), args.n)
    # Fairness: move everything loaded so far (the index, the data) out of the garbage collector's
    # reach, so that neither contender pays for scanning the other's objects.
    gc.collect()
    gc.freeze()

    def run_usaddress() -> float:
        t = time.perf_counter()
        for s in texts:
            try:
                usaddress.tag(s)
            except usaddress.RepeatedLabelError:
                pass
        return time.perf_counter() - t

    def run_geocode() -> float:
        t = time.perf_counter()
        out = ws.geocode(texts)
        took = time.perf_counter() - t
        assert len(out) == len(texts)
        if args.write_answers:
            out[ANSWER_COLUMNS].to_csv(args.write_answers, index=False)
        if args.check_answers:
            check_answers(out, args.check_answers)
        return took

    if args.child % 2:
        u = run_usaddress()
        g = run_geocode()
    else:
        g = run_geocode()
        u = run_usaddress()
    print(json.dumps({"n": len(texts), "load": load, "geocode": g, "usaddress": u}))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "durham"))
    ap.add_argument("--cache", default=None)
    ap.add_argument("--n", type=int, default=10_000, help="distinct texts measured")
    ap.add_argument("--rounds", type=int, default=5, help="fresh processes, one round each")
    ap.add_argument("--write-answers", type=Path, default=None)
    ap.add_argument("--check-answers", type=Path, default=None)
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        one_round(args)
        return
    ws = area_from(args)
    t = time.perf_counter()
    g = geocoder_for(ws)
    print(f"index load/build: {time.perf_counter() - t:.2f} s (then cached)")
    cal = getattr(ws.config, "calibration_file", None)
    if g.calibration is IDENTITY:
        print("geocoder: as shipped, no calibration table configured (raw numbers)")
    else:
        print(f"geocoder: as shipped (geocoder_for), calibration table {Path(cal).name}")
    rows, texts = sample_texts(Path(args.data), args.n)
    distinct = set(rows)
    print(f"input: {len(rows):,} rows, {len(distinct):,} distinct texts, {len(texts):,} measured")

    print(
        "\n== distinct texts/s: Area.geocode as shipped (calibration and all) vs usaddress.tag, "
        "same process =="
    )
    print(
        "each round two fresh processes on a copy of the cache folder without crossing records"
        " (fresh: computes and keeps them; warm: a later process, reads them); each loads the"
        " area and index (timed apart), then makes the first pass over the texts (every memo"
        " empty)"
    )
    base = [sys.executable, str(Path(__file__).resolve()), "--data", args.data, "--n", str(args.n)]
    cache = Path(args.cache) if args.cache else ws.settings.cache_dir
    results: dict[str, list[dict]] = {"fresh": [], "warm": []}
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-geocode-") as tmp:
            # a cache folder holding the index (links to the real files) but no crossing records:
            # the "fresh" process computes the crossings its texts need and keeps them there; the
            # "warm" one, a later process, reads them
            for f in cache.iterdir():
                if f.is_file() and not f.name.startswith("geocode-crossrecords-"):
                    (Path(tmp) / f.name).symlink_to(f.resolve())
            for kind in ("fresh", "warm"):
                cmd = [*base, "--cache", tmp, "--child", str(r)]
                if r == 0 and args.write_answers and kind == "fresh":
                    cmd += ["--write-answers", str(args.write_answers)]
                if r == 0 and args.check_answers:
                    cmd += ["--check-answers", str(args.check_answers)]
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"round {r + 1} ({kind}) failed:\n{done.stdout}{done.stderr}")
                lines = done.stdout.strip().splitlines()
                for line in lines[:-1]:
                    print(line)
                res = json.loads(lines[-1])
                results[kind].append(res)
                n = res["n"]
                print(
                    f"round {r + 1} {kind:5}: Area.geocode {n / res['geocode']:9,.0f} /s   "
                    f"usaddress.tag {n / res['usaddress']:9,.0f} /s   ratio "
                    f"{res['usaddress'] / res['geocode']:.2f}x   (area + index load "
                    f"{res['load']:.2f} s; with it: "
                    f"{res['usaddress'] / (res['geocode'] + res['load']):.2f}x)"
                )
    for kind, what in (
        ("fresh", "no crossing records on disk yet (the first process on a new cache)"),
        ("warm", "crossing records on disk (any later process)"),
    ):
        got = results[kind]
        ratios = [x["usaddress"] / x["geocode"] for x in got]
        with_load = [x["usaddress"] / (x["geocode"] + x["load"]) for x in got]
        n = got[0]["n"]
        best_g = min(x["geocode"] for x in got)
        best_u = min(x["usaddress"] for x in got)
        print(f"-- {kind}: {what}")
        print(
            f"   geo-heart Area.geocode (parse+match+beat+table), best round: {n / best_g:10,.0f} /s"
        )
        print(
            f"   usaddress.tag (parse only), best round:                     {n / best_u:10,.0f} /s"
        )
        print(
            f"   ratio: median of rounds {statistics.median(ratios):.2f}x, best round "
            f"{max(ratios):.2f}x, worst {min(ratios):.2f}x   (target >= 3x); with the area and "
            f"index load: median {statistics.median(with_load):.2f}x"
        )

    print("\n== rows/s on the full file (repeated addresses) ==")
    import gc

    gc.collect()
    gc.freeze()
    g3 = fresh(ws)
    t = time.perf_counter()
    g3.geocode_many(rows)
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
