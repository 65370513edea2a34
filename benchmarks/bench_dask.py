"""The dask engine against the local engine on synthetic call tables made from real Durham text.

    .venv/bin/python benchmarks/bench_dask.py                       # quick: 200k rows
    .venv/bin/python benchmarks/bench_dask.py --sizes 1M,5M,20M     # the issue's sizes (long)
    .venv/bin/python benchmarks/bench_dask.py --sizes 2M --command assign

Builds ``calls_<N>.csv`` in ``--tmp`` (default /tmp/geo-heart-bench-dask; never in the repo):
rows drawn with a fixed seed from the real ``ADDRESS2``, ``REPORTEDAS`` and ``DATE_REPT`` of
``incidents_2021_2024.csv`` and the County's address-point texts, one in 500 left blank (a bad
row must come out, reported). For ``assign`` the table is random points over the beats' extent
(some outside every beat, one in 500 not a number).

Each engine runs as a ``geo-heart`` process started from this one (same process tree, same
machine, one after the other); while it runs the resident memory of that process and all its
children (the LocalCluster's scheduler, nannies and workers) is summed every 0.1 s. Prints per
size: rows/s (wall time including index load and cluster start), the ratio against the local
engine, the peak memory of the whole process tree, the dask engine with 1 and 2 workers
(scaling on this machine), and whether the outputs agree row for row (rid, lon, lat, beat,
status for geocode; pid, beat, status for assign).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "durham"


def parse_count(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if t[-1:] in "km" else t) * mult)


def make_calls(n: int, path: Path, data: Path, seed: int = 7, block: int = 500_000) -> None:
    """``rid, CALLTYPE, WHEN, ADDRESS`` rows from real Durham text, written block by block."""
    inc = pd.read_csv(
        data / "incidents_2021_2024.csv",
        dtype=str,
        keep_default_na=False,
        usecols=["REPORTEDAS", "DATE_REPT", "ADDRESS2"],
    )
    pts = pd.read_csv(data / "address_points.csv", dtype=str, keep_default_na=False)["address"]
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        for start in range(0, n, block):
            m = min(block, n - start)
            i = rng.integers(0, len(inc), m)
            addr = inc["ADDRESS2"].to_numpy()[i].copy()
            from_points = rng.random(m) < 0.3
            addr[from_points] = pts.to_numpy()[rng.integers(0, len(pts), int(from_points.sum()))]
            addr[rng.random(m) < 0.002] = ""
            frame = pd.DataFrame(
                {
                    "rid": np.arange(start, start + m),
                    "CALLTYPE": inc["REPORTEDAS"].to_numpy()[i],
                    "WHEN": inc["DATE_REPT"].to_numpy()[i],
                    "ADDRESS": addr,
                }
            )
            frame.to_csv(f, index=False, header=start == 0)
    tmp.replace(path)


def make_points(n: int, path: Path, data: Path, seed: int = 11, block: int = 1_000_000) -> None:
    """``pid, lon, lat`` random points over the beats' extent (+10%), a few not numbers."""
    import geopandas as gpd

    x0, y0, x1, y1 = gpd.read_file(data / "police_beats.geojson").to_crs(4326).total_bounds
    dx, dy = (x1 - x0) * 0.05, (y1 - y0) * 0.05
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        for start in range(0, n, block):
            m = min(block, n - start)
            lon = rng.uniform(x0 - dx, x1 + dx, m).round(6).astype(str)
            lat = rng.uniform(y0 - dy, y1 + dy, m).round(6).astype(str)
            lon[rng.random(m) < 0.002] = "n/a"
            pd.DataFrame({"pid": np.arange(start, start + m), "lon": lon, "lat": lat}).to_csv(
                f, index=False, header=start == 0
            )
    tmp.replace(path)


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for q in procs:
        try:
            total += q.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run(args: list[str], env: dict) -> tuple[float, int]:
    """Wall seconds and peak process-tree RSS of one ``geo-heart`` run."""
    cmd = [sys.executable, "-c", "from geo_heart.cli.main import main; main()", *args]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _out, err = proc.communicate()
    secs = time.perf_counter() - t
    th.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {err.decode(errors='replace')[-2000:]}")
    return secs, peak[0]


def digest(path: Path, columns: list[str]) -> str:
    """A hash of ``columns`` of a CSV output, row order included (read in chunks)."""
    h = hashlib.sha256()
    for chunk in pd.read_csv(
        path, dtype=str, keep_default_na=False, usecols=columns, chunksize=500_000
    ):
        h.update(pd.util.hash_pandas_object(chunk[columns], index=False).to_numpy().tobytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="200k", help="rows per table, e.g. 1M,5M,20M")
    ap.add_argument("--command", choices=["geocode", "assign"], default="geocode")
    ap.add_argument("--workers", default="1,2", help="dask worker counts to run")
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--tmp", default="/tmp/geo-heart-bench-dask")
    ap.add_argument("--cache", default=None, help="GEO_HEART_CACHE for the runs")
    ap.add_argument("--keep", action="store_true", help="keep the outputs")
    args = ap.parse_args()
    data, tmp = Path(args.data), Path(args.tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GEO_HEART_DATA": str(data)}
    env.pop("GEO_HEART_AREA", None)
    if args.cache:
        env["GEO_HEART_CACHE"] = args.cache
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    print(f"machine: {os.cpu_count()} cores; engines run one after the other as child processes")
    for n in (parse_count(s) for s in args.sizes.split(",") if s.strip()):
        if args.command == "geocode":
            src = tmp / f"calls_{n}.csv"
            if not src.exists():
                t = time.perf_counter()
                make_calls(n, src, data)
                print(f"made {src} ({time.perf_counter() - t:.0f} s)")
            extra = ["--address-column", "ADDRESS"]
            cols = ["rid", "lon", "lat", "beat", "status"]
        else:
            src = tmp / f"points_{n}.csv"
            if not src.exists():
                make_points(n, src, data)
                print(f"made {src}")
            extra = []
            cols = ["pid", "beat", "status"]
        runs = [("local", [])] + [
            (f"dask {w} worker{'s' if w > 1 else ''}", ["--engine", "dask", "--workers", str(w)])
            for w in workers
        ]
        base = None
        ref = None
        print(f"\n{args.command}, {n:,} rows ({src.stat().st_size / 1e6:.0f} MB CSV)")
        print(f"  {'engine':<16} {'rows/s':>10} {'vs local':>9} {'peak tree RSS':>14}  same rows")
        for label, opts in runs:
            out = tmp / f"out_{args.command}_{n}_{label.replace(' ', '_')}.csv"
            out.unlink(missing_ok=True)
            secs, peak = run(["-q", args.command, str(src), "-o", str(out), *extra, *opts], env)
            rate = n / secs
            base = base or rate
            d = digest(out, cols)
            ref = ref or d
            print(
                f"  {label:<16} {rate:>10,.0f} {rate / base:>8.2f}x {peak / 1e9:>11.2f} GB"
                f"  {'yes' if d == ref else 'NO'}"
            )
            if not args.keep:
                out.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
