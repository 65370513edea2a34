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
run; the ratio cold / warm has the target at most 2.5x. Also, in this process: ``Area(...).lookup`` on an empty cache folder
against a fresh ``Area`` on the filled folder (imports excluded on both sides, so this ratio is
larger than the command's). The addresses come from the areas' tests; nothing reads an ``*_eval``
file.
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


def in_process(area: str) -> tuple[float, float]:
    """``Area.lookup`` on an empty cache folder, then a fresh ``Area`` on the filled folder."""
    from geo_heart.area import Area
    from geo_heart.config.settings import Settings

    d = Path(tempfile.mkdtemp(prefix="gh-first-"))
    try:
        out = []
        for _ in range(2):
            t = time.perf_counter()
            Area.from_settings(Settings(area=area, cache_dir=d)).lookup(ADDRESS[area])
            out.append(time.perf_counter() - t)
        return out[0], out[1]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--areas", nargs="+", default=["durham", "portland"], choices=sorted(ADDRESS))
    ap.add_argument("--no-serve", action="store_true")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} (machine has {os.cpu_count()} cores)")
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
        ic, iw = in_process(area)
        print(
            f"in this process (imports excluded): cold {ic:.2f} s, warm {iw:.2f} s, {ic / iw:.1f}x"
        )


if __name__ == "__main__":
    main()
