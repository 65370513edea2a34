"""Load test of the dispatch lookup service on loopback, at a fixed request rate.

Run by hand (not in CI):

    .venv/bin/python benchmarks/bench_service.py [--rate 200] [--seconds 20] [--connections 16]

What it does

1. Starts ``geo-heart serve`` (a subprocess, 127.0.0.1, a free port) twice with the same cache
   folder and prints the time from process start to the first answered ``/lookup``: the first start
   may build the beat and geocoder caches, the second is the "warm cache" start-up figure.
2. From a second process (this script with ``--client``), sends ``rate × seconds`` requests at a
   fixed rate (open loop: request *i* is due at ``t0 + i/rate``) over keep-alive HTTP/1.1
   connections, and measures each latency from the moment the request was due (so a slow server
   cannot hide queueing). Two runs: **address lookups** drawn (seeded, with repeats as in real
   traffic) from the ``ADDRESS2`` values of ``incidents_2021_2024.csv`` with real call types, and
   **coordinate lookups** at address points of ``address_points.csv``. Never the ``*_eval`` files.
3. Prints throughput, p50/p90/p99/max latency and the error count (non-200 answers or failed
   connections), and, as the named peer measured in the same run, the same lookups as in-process
   calls of :func:`geo_heart.dispatch.lookup.lookup_address` / ``lookup_point`` (no HTTP), with the ratio.

Targets (issue 5): p99 ≤ 25 ms at 200 requests/s for address lookups on 2 cores, no errors;
start-up to first answer ≤ 3 s with a warm cache. All traffic goes to 127.0.0.1; request count and
duration are bounded by the arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_REQUESTS = 100_000  # hard bound, whatever the arguments say


# ---------------------------------------------------------------------------------------------
# client side (runs in its own process)
async def _one_connection(
    port: int, queue: asyncio.Queue, lat_ms: list, svc_ms: list, errors: list
) -> None:
    reader = writer = None
    while True:
        item = await queue.get()
        if item is None:
            break
        due, path = item
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            sent = time.perf_counter()
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n".encode()
            )
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            done = time.perf_counter()
            lat_ms.append((done - due) * 1000)
            svc_ms.append((done - sent) * 1000)
            if status != 200:
                errors.append(f"HTTP {status} for {path}")
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _drive(port: int, paths: list[str], rate: float, connections: int) -> dict:
    queue: asyncio.Queue = asyncio.Queue()
    lat_ms: list[float] = []
    svc_ms: list[float] = []
    errors: list[str] = []
    workers = [
        asyncio.create_task(_one_connection(port, queue, lat_ms, svc_ms, errors))
        for _ in range(connections)
    ]
    t0 = time.perf_counter() + 0.05
    for i, path in enumerate(paths):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((due, path))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - t0
    return {"latency_ms": lat_ms, "service_ms": svc_ms, "errors": errors, "elapsed_s": elapsed}


def client_main(spec_file: str) -> None:
    spec = json.loads(Path(spec_file).read_text())
    out = asyncio.run(_drive(spec["port"], spec["paths"], spec["rate"], spec["connections"]))
    print(json.dumps(out))


# ---------------------------------------------------------------------------------------------
# server side
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def start_server(
    env: dict, probe: str, timeout_s: float = 120.0
) -> tuple[subprocess.Popen, int, float]:
    """Start ``geo-heart serve`` on a free loopback port; return it, its port and the seconds to
    the first 200 answer to ``probe``."""
    port = _free_port()
    cmd = [sys.executable, "-m", "geo_heart.cli.main", "-q", "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        if time.perf_counter() - t0 > timeout_s:
            stop_server(proc)
            raise SystemExit("server did not answer in time")
        try:
            status, _ = _get(port, probe, timeout=2)
            if status == 200:
                return proc, port, time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.01)


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------------------------------------
# requests
def address_requests(data: Path, n: int, seed: int) -> list[dict]:
    """``n`` address lookups drawn from the 2021-2024 incidents (with their call codes)."""
    import pandas as pd

    df = pd.read_csv(
        data / "incidents_2021_2024.csv", usecols=["ADDRESS2", "CHRGDESC"], dtype=str
    ).dropna(subset=["ADDRESS2"])
    rng = np.random.default_rng(seed)
    rows = df.iloc[rng.integers(0, len(df), n)]
    cts = ["trespass", "mental_health_crisis", "welfare_check_urgent", "intoxicated_person", None]
    return [
        {"address": a, "call_type": cts[i % len(cts)]}
        for i, a in enumerate(rows["ADDRESS2"].tolist())
    ]


def point_requests(data: Path, n: int, seed: int) -> list[dict]:
    """``n`` coordinate lookups at address points (rounded to 6 decimals)."""
    import pandas as pd

    df = pd.read_csv(data / "address_points.csv", usecols=["lon", "lat"]).dropna()
    rng = np.random.default_rng(seed + 1)
    rows = df.iloc[rng.integers(0, len(df), n)]
    return [
        {"lon": round(x, 6), "lat": round(y, 6), "call_type": "trespass"}
        for x, y in zip(rows["lon"].tolist(), rows["lat"].tolist(), strict=True)
    ]


def _path(req: dict) -> str:
    return "/lookup?" + urlencode({k: v for k, v in req.items() if v is not None})


def run_load(port: int, reqs: list[dict], rate: float, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(
            {
                "port": port,
                "paths": [_path(r) for r in reqs],
                "rate": rate,
                "connections": connections,
            },
            f,
        )
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--client", f.name],
            capture_output=True,
            text=True,
            check=True,
            timeout=len(reqs) / rate + 120,
        )
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout)


def in_process_ms(settings, reqs: list[dict]) -> np.ndarray:
    """The peer: the same lookups as direct library calls in this process (fresh geocoder memo)."""
    from geo_heart.area import Area
    from geo_heart.dispatch.lookup import lookup_address, lookup_point

    ws = Area.from_settings(settings)
    ws.beat_index  # noqa: B018 - load before timing
    if any("address" in r for r in reqs):
        from geo_heart.geocode.match import geocoder_for

        geocoder_for(ws)
    times = []
    for r in reqs:
        t = time.perf_counter()
        if "address" in r:
            lookup_address(ws, r["address"], call_type=r["call_type"])
        else:
            lookup_point(ws, r["lon"], r["lat"], call_type=r["call_type"])
        times.append((time.perf_counter() - t) * 1000)
    return np.array(times)


def report(name: str, res: dict, n: int, rate: float, peer_ms: np.ndarray) -> None:
    lat = np.array(res["latency_ms"])
    p50, p90, p99 = np.percentile(lat, [50, 90, 99]) if len(lat) else (np.nan,) * 3
    print(f"\n{name}: {n} requests offered at {rate:g}/s")
    print(f"  throughput   {len(lat) / res['elapsed_s']:8.1f} answers/s  ({len(lat)} answered)")
    print(
        f"  latency      p50 {p50:6.2f} ms   p90 {p90:6.2f} ms   p99 {p99:6.2f} ms   "
        f"max {lat.max():6.2f} ms   (from the moment each request was due)"
    )
    svc = np.array(res["service_ms"])
    s50, s99 = np.percentile(svc, [50, 99])
    print(f"  on the wire  p50 {s50:6.2f} ms   p99 {s99:6.2f} ms   (from send to last byte)")
    print(
        f"  errors       {len(res['errors'])}"
        + (f"  e.g. {res['errors'][:3]}" if res["errors"] else "")
    )
    pp50, pp99 = np.percentile(peer_ms, [50, 99])
    print(
        f"  peer (in-process dispatch call, no HTTP): p50 {pp50:.3f} ms  p99 {pp99:.3f} ms  "
        f"→ on-the-wire/in-process p50 ratio {s50 / pp50:.1f}×"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=200.0, help="requests per second")
    ap.add_argument("--seconds", type=float, default=20.0, help="duration of each load run")
    ap.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "durham"))
    ap.add_argument("--cache", default=None, help="cache folder (default: the usual one)")
    ap.add_argument("--client", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        client_main(args.client)
        return

    from geo_heart.config.settings import Settings

    data = Path(args.data)
    settings = Settings(data_dir=data).with_overrides(cache_dir=args.cache)
    env = {**os.environ, "GEO_HEART_DATA": str(data), "GEO_HEART_CACHE": str(settings.cache_dir)}
    env.pop("GEO_HEART_AREA", None)
    n = min(int(args.rate * args.seconds), MAX_REQUESTS)
    print(
        f"geo-heart service load test: {os.cpu_count()} cores, cache {settings.cache_dir}, "
        f"load average {os.getloadavg()[0]:.2f} (other processes on the machine skew p99)"
    )

    probe = "/lookup?lon=-78.9016&lat=35.996"
    proc, port, first_s = start_server(env, probe)
    stop_server(proc)
    proc, port, warm_s = start_server(env, probe)
    try:
        status, body = _get(port, "/health")
        health = json.loads(body)
        print(f"start-up to first answer: first start {first_s:.2f} s, warm cache {warm_s:.2f} s")
        print(f"health: geocoder loaded = {health.get('geocoder')}")
        addr = address_requests(data, n, args.seed)
        pts = point_requests(data, n, args.seed)
        res_addr = run_load(port, addr, args.rate, args.connections)
        res_pts = run_load(port, pts, args.rate, args.connections)
    finally:
        stop_server(proc)
    report("address lookups", res_addr, n, args.rate, in_process_ms(settings, addr))
    report("coordinate lookups", res_pts, n, args.rate, in_process_ms(settings, pts))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
