"""First run against warm run: a lookup (and ``serve``'s first answer) on an empty cache folder.

    .venv/bin/python benchmarks/bench_first_run.py [--rounds 3] [--no-serve] [--areas durham portland]

For each area (Durham: ``lookup "212 W MAIN ST"``; Portland: ``--area portland lookup
"3000 NE 181ST AVE, GRSM"``), each round:

1. **cold**: ``geo-heart --cache EMPTYDIR lookup ADDRESS`` in a fresh process (the geocoder index
   and the beat grid are built and written; the crossing table is not: only a lookup naming a
   crossing makes it, see docs/geocoder.md);
2. **warm**: the same command again, twice, in fresh processes (caches read);
3. ``serve`` (unless ``--no-serve``): a fresh ``geo-heart serve`` on another empty cache folder,
   time from process start to the first answered ``/lookup?address=...``, then the same again
   with that folder filled.

Cold and warm are measured back to back in each round so both see the same machine load; each
figure is the best round (as ``timeit`` reports: other jobs only ever add time), every round is
listed, and the median ratio is printed beside the best one. The same is printed for the
lookups' CPU time (user + system, from ``getrusage``), which other jobs on a loaded machine
disturb much less than the wall time. The peer of a first run is the warm
run; the ratio cold / warm has the target at most 2.5x. The addresses come from the areas'
tests; nothing reads an ``*_eval`` file.

``--in-process`` measures the same in ONE Python process, imports done before any timing (as an
outside check timing ``Area`` calls would)::

    .venv/bin/python benchmarks/bench_first_run.py --in-process [--rounds 7]

Each round, for each area: **cold** = ``Area.load(area, cache_dir=EMPTY)`` + ``lookup(ADDRESS)``
on a new empty cache folder; **warm** = a new ``Area.load`` on the now filled folder + the same
lookup (twice, the faster kept). Before each timed call the library's in-process memo between
loads (the parsed area file, ``load_area``'s cache) is dropped, so warm is what a second process
does after its imports: read the caches from disk and answer. Also printed: warm with that memo
kept (``memo kept``) and the same ``Area`` asked again (``reuse``: every index in memory).
Best round and median of the per-round ratios are printed (target cold <= 2.5x warm), for the
wall time and for this process's CPU time (which other jobs on a loaded machine disturb less).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

ADDRESS = {"durham": "212 W MAIN ST", "portland": "3000 NE 181ST AVE, GRSM"}


def _secs(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def _report(what: str, cold: list[float], warm: list[float]) -> None:
    c, w = min(cold), min(warm)
    per_round = statistics.median(a / b for a, b in zip(cold, warm, strict=True))
    print(f"{what} cold cache (fresh process): {c:6.2f} s   rounds {_secs(cold)}")
    print(f"{what} warm cache (fresh process): {w:6.2f} s   rounds {_secs(warm)}")
    print(
        f"{what} ratio cold / warm: {c / w:.2f}x best, {per_round:.2f}x median of rounds "
        "(target <= 2.5x)"
    )


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


#: CPU seconds (user + system) of each ``cli_lookup`` process, in call order
CPU: list[float] = []


def cli_lookup(area: str, cache: Path) -> float:
    """Seconds for one ``geo-heart lookup`` in a fresh process (its CPU seconds go to CPU)."""
    cmd = [sys.executable, "-m", "geo_heart.cli.main", "-q", "--cache", str(cache)]
    cmd += ["--area", area, "lookup", ADDRESS[area]]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        cmd, env=_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    secs = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    return secs


def serve_first_answer(area: str, cache: Path) -> float:
    """Seconds from starting ``geo-heart serve`` to its first answered address lookup."""
    from bench_service import start_server, stop_server

    env = _env()
    env["GEO_HEART_CACHE"] = str(cache)
    env["GEO_HEART_AREA"] = area
    probe = "/lookup?" + urlencode({"address": ADDRESS[area]})
    proc, _port, secs = start_server(env, probe)
    stop_server(proc)
    return secs


def _drop_memos() -> None:
    """Forget what the library keeps in this process between two ``Area.load`` calls."""
    from geo_heart.config.areafile import _load_area_cached

    _load_area_cached.cache_clear()


def _timed_load_lookup(area: str, cache: Path, *, drop: bool = True) -> tuple[float, float]:
    """Wall and CPU seconds of ``Area.load`` + ``lookup`` (CPU: this process, all threads)."""
    from geo_heart.area import Area

    if drop:
        _drop_memos()
    c, t = time.process_time(), time.perf_counter()
    a = Area.load(area, cache_dir=cache)
    a.lookup(ADDRESS[area])
    return time.perf_counter() - t, time.process_time() - c


def in_process_round(area: str) -> dict[str, tuple[float, float]]:
    """One round in this process: cold, warm (memo dropped / kept) and reuse, (wall, CPU) s."""
    from geo_heart.area import Area

    d = Path(tempfile.mkdtemp(prefix="gh-first-"))
    try:
        out = {"cold": _timed_load_lookup(area, d)}
        out["warm"] = min(_timed_load_lookup(area, d) for _ in range(2))
        out["warm, memo kept"] = min(_timed_load_lookup(area, d, drop=False) for _ in range(2))
        a = Area.load(area, cache_dir=d)
        a.lookup(ADDRESS[area])
        c, t = time.process_time(), time.perf_counter()
        a.lookup(ADDRESS[area])
        out["reuse"] = (time.perf_counter() - t, time.process_time() - c)
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def in_process(areas: list[str], rounds: int) -> None:
    """Cold against warm in this one process (see the module docstring)."""
    import geo_heart.area  # noqa: F401 - imports before any timing
    import geo_heart.dispatch.lookup  # noqa: F401
    import geo_heart.geocode.match  # noqa: F401

    for area in areas:  # one untimed run: every module the path imports is imported
        in_process_round(area)
    res: dict[str, list[dict[str, tuple[float, float]]]] = {a: [] for a in areas}
    for _ in range(rounds):
        for area in areas:
            res[area].append(in_process_round(area))
    for area in areas:
        rs = res[area]
        print(
            f"\n== {area} in one process: Area.load + lookup {ADDRESS[area]!r} ({rounds} rounds) =="
        )
        for k, clock in ((0, "wall"), (1, "CPU")):
            for what in ("cold", "warm", "warm, memo kept", "reuse"):
                vals = [r[what][k] for r in rs]
                print(f"{clock:4s} {what:16s} best {min(vals):6.3f} s  "
                      f"median {statistics.median(vals):6.3f} s  rounds {_secs(vals)}")  # fmt: skip
            for peer in ("warm", "warm, memo kept"):
                best = min(r["cold"][k] for r in rs) / min(r[peer][k] for r in rs)
                med = statistics.median(r["cold"][k] / r[peer][k] for r in rs)
                print(f"{clock:4s} ratio cold / {peer}: {best:.2f}x best, {med:.2f}x median of "
                      "rounds (target <= 2.5x)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--areas", nargs="+", default=["durham", "portland"], choices=sorted(ADDRESS))
    ap.add_argument("--no-serve", action="store_true")
    ap.add_argument(
        "--in-process", action="store_true", help="cold vs warm Area.load + lookup in this process"
    )
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} (machine has {os.cpu_count()} cores)")
    if args.in_process:
        in_process(args.areas, args.rounds)
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
        return
    for area in args.areas:
        cold, warm, s_cold, s_warm, c_cold, c_warm = [], [], [], [], [], []
        for _ in range(args.rounds):
            d = Path(tempfile.mkdtemp(prefix="gh-first-"))
            try:
                cold.append(cli_lookup(area, d))
                warm.append(min(cli_lookup(area, d), cli_lookup(area, d)))
                c_cold.append(CPU[-3])
                c_warm.append(min(CPU[-2:]))
            finally:
                shutil.rmtree(d, ignore_errors=True)
            if not args.no_serve:
                d = Path(tempfile.mkdtemp(prefix="gh-first-"))
                try:
                    s_cold.append(serve_first_answer(area, d))
                    s_warm.append(serve_first_answer(area, d))
                finally:
                    shutil.rmtree(d, ignore_errors=True)
        print(f"\n== {area}: lookup {ADDRESS[area]!r} ({args.rounds} rounds, best) ==")
        _report("lookup", cold, warm)
        _report("lookup CPU (user + system)", c_cold, c_warm)
        if s_cold:
            _report("serve, first answer,", s_cold, s_warm)


if __name__ == "__main__":
    main()
