"""The lookup service under load, on loopback: many keep-alive clients, a fixed rate, a slowloris.

Run by hand (not in CI):

    .venv/bin/python benchmarks/bench_service_load.py [--scenario all|keepalive|rate|slowloris|slowbody]
        [--clients 500] [--seconds 60] [--rate 200] [--slow-clients 200]

Load generator: this script's own asyncio HTTP/1.1 client (stdlib ``asyncio`` streams, raw
keep-alive requests; no third-party tool), run in a separate process from ``geo-heart serve``
(started as a subprocess on 127.0.0.1, a free port, with its defaults). Every figure comes from
the same run; nothing leaves the machine; client counts and durations are capped.

Scenarios

* **keepalive** — ``--clients`` keep-alive connections for ``--seconds``, each sending point
  lookups back to back (closed loop). Every answer is classified: 200, the documented busy answer
  (503, JSON ``{"error": ...}``, ``Retry-After``; the client then waits as told), or a failure (any
  other status, a plain-text 503, a refused or reset connection). Target (issue 20): no failures.
* **rate** — ``--rate`` requests/s of address lookups, then of point lookups, open loop over 16
  connections (``bench_service.py``'s generator): p50/p99 from the moment each request was due.
  Target: p99 ≤ 25 ms for both.
* **slowloris** — ``--slow-clients`` connections that send a request head one header line per
  second and never finish it, reconnecting whenever the server closes them, while real clients
  send point lookups at 50/s. Reports the real lookups answered, their p99 and failures, and how
  often the slow clients were cut off (header timeout). Target: every real lookup answered.
* **slowbody** — the same with ``--slow-clients`` connections that send a complete
  ``POST /lookup/batch`` head with ``Content-Length: 100000`` and then one body byte every 2 s
  (issue 30 #9), reconnecting when answered. Reports the real lookups answered and the slow
  clients' answers (the body timeout's JSON 408). Target: every real lookup answered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_service as base  # noqa: E402 - the server start/stop and request sets

MAX_CLIENTS = 2000
MAX_SECONDS = 300


async def _read_answer(reader) -> tuple[int, dict, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower()] = v.strip()
    body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return status, headers, body


def _documented_busy(status: int, headers: dict, body: bytes) -> bool:
    if status != 503 or b"retry-after" not in headers:
        return False
    try:
        return "error" in json.loads(body)
    except ValueError:
        return False


async def _keepalive_client(port, paths, stop_at, tally, lat_ms) -> None:
    reader = writer = None
    i = 0
    while time.perf_counter() < stop_at:
        path = paths[i % len(paths)]
        i += 1
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            t = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            await writer.drain()
            status, headers, body = await _read_answer(reader)
            lat_ms.append((time.perf_counter() - t) * 1000)
            if status == 200:
                tally["ok"] += 1
            elif _documented_busy(status, headers, body):
                tally["busy_503"] += 1
                await asyncio.sleep(float(headers[b"retry-after"]))
            else:
                tally["failed"] += 1
                tally.setdefault("examples", []).append(f"HTTP {status}: {body[:80]!r}")
            if headers.get(b"connection", b"").lower() == b"close":
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            tally["failed"] += 1
            tally.setdefault("examples", []).append(f"{type(exc).__name__}: {exc}")
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


async def _keepalive(port: int, paths: list[str], clients: int, seconds: float) -> dict:
    tally = {"ok": 0, "busy_503": 0, "failed": 0}
    lat_ms: list[float] = []
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(
        *(
            _keepalive_client(port, paths[k::clients] or paths, stop_at, tally, lat_ms)
            for k in range(clients)
        )  # fmt: skip
    )
    tally["latency_ms"] = lat_ms
    return tally


async def _slow_client(port: int, stop_at: float, counts: dict) -> None:
    while time.perf_counter() < stop_at:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts["connect_failed"] += 1
            await asyncio.sleep(0.2)
            continue
        counts["connections"] += 1
        try:
            writer.write(b"GET /lookup?lon=-78.9&lat=36.0 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            await writer.drain()
            k = 0
            while time.perf_counter() < stop_at:
                await asyncio.sleep(1.0)
                writer.write(f"X-Slow-{k}: a\r\n".encode())  # one more header line, never the end
                await writer.drain()
                k += 1
                if reader.at_eof():
                    break
                try:  # closed by the server?
                    if await asyncio.wait_for(reader.read(1), timeout=0.01) == b"":
                        break
                except asyncio.TimeoutError:
                    pass
            counts["cut_off"] += 1
        except (OSError, asyncio.IncompleteReadError):
            counts["cut_off"] += 1
        finally:
            writer.close()


async def _slow_body_client(port: int, stop_at: float, counts: dict) -> None:
    while time.perf_counter() < stop_at:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts["connect_failed"] += 1
            await asyncio.sleep(0.2)
            continue
        counts["connections"] += 1
        try:
            writer.write(
                b"POST /lookup/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            )
            await writer.drain()
            while time.perf_counter() < stop_at:
                writer.write(b" ")  # one body byte every 2 s
                await writer.drain()
                try:
                    status, _h, _b = await asyncio.wait_for(_read_answer(reader), timeout=2.0)
                except asyncio.TimeoutError:
                    continue
                counts[f"answered {status}"] = counts.get(f"answered {status}", 0) + 1
                break
            counts["cut_off"] += 1
        except (OSError, asyncio.IncompleteReadError):
            counts["cut_off"] += 1
        finally:
            writer.close()


async def _slowloris(
    port: int, real_paths: list[str], slow: int, seconds: float, client=_slow_client
) -> dict:
    counts = {"connections": 0, "cut_off": 0, "connect_failed": 0}
    stop_at = time.perf_counter() + seconds
    slow_tasks = [asyncio.create_task(client(port, stop_at, counts)) for _ in range(slow)]
    await asyncio.sleep(2.0)  # the slow clients hold their connections first
    rate = len(real_paths) / max(seconds - 3.0, 1.0)
    real = await base._drive(port, real_paths, rate, 16)
    await asyncio.gather(*slow_tasks)
    return {"slow": counts, "real": real, "rate": rate}


def _pct(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--scenario", choices=["all", "keepalive", "rate", "slowloris", "slowbody"], default="all"
    )
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--rate-seconds", type=float, default=20.0)
    ap.add_argument("--slow-clients", type=int, default=200)
    ap.add_argument("--slow-seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "durham"))
    ap.add_argument("--cache", default=None, help="cache folder (default: the usual one)")
    args = ap.parse_args()
    clients = min(args.clients, MAX_CLIENTS)
    seconds = min(args.seconds, MAX_SECONDS)

    from geo_heart.config.settings import Settings

    data = Path(args.data)
    settings = Settings(data_dir=data).with_overrides(cache_dir=args.cache)
    env = {**os.environ, "GEO_HEART_DATA": str(data), "GEO_HEART_CACHE": str(settings.cache_dir)}
    env.pop("GEO_HEART_AREA", None)
    print(
        f"geo-heart service under load: {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.2f}; load generator: this script's asyncio HTTP/1.1 client "
        "(stdlib streams), server: geo-heart serve with its defaults, loopback only"
    )
    pts = [base._path(r) for r in base.point_requests(data, 20_000, args.seed)]
    proc, port, warm_s = base.start_server(env, "/lookup?lon=-78.9016&lat=35.996")
    try:
        if args.scenario in ("all", "keepalive"):
            t = asyncio.run(_keepalive(port, pts, clients, seconds))
            lat = t.pop("latency_ms")
            total = t["ok"] + t["busy_503"] + t["failed"]
            print(f"\nkeepalive: {clients} keep-alive clients, closed loop, {seconds:g} s")
            print(
                f"  requests {total:,} ({total / seconds:,.0f}/s): 200 {t['ok']:,}, documented "
                f"JSON 503 + Retry-After {t['busy_503']:,}, failed {t['failed']:,}"
                + (f"  e.g. {t.get('examples', [])[:3]}" if t["failed"] else "")
            )
            print(f"  latency  p50 {_pct(lat, 50):.1f} ms  p99 {_pct(lat, 99):.1f} ms")
        if args.scenario in ("all", "rate"):
            n = min(int(args.rate * args.rate_seconds), base.MAX_REQUESTS)
            for name, reqs in (
                ("address lookups", base.address_requests(data, n, args.seed)),
                ("point lookups", base.point_requests(data, n, args.seed)),
            ):
                res = base.run_load(port, reqs, args.rate, 16)
                lat = res["latency_ms"]
                print(
                    f"\nrate, {name}: {n:,} at {args.rate:g}/s over 16 connections: p50 "
                    f"{_pct(lat, 50):.2f} ms  p99 {_pct(lat, 99):.2f} ms  max {max(lat):.1f} ms  "
                    f"errors {len(res['errors'])}"
                )
        if args.scenario in ("all", "slowloris"):
            real = pts[: int(50 * (args.slow_seconds - 3))]
            r = asyncio.run(_slowloris(port, real, args.slow_clients, args.slow_seconds))
            lat = r["real"]["latency_ms"]
            print(
                f"\nslowloris: {args.slow_clients} slow-header clients (reconnecting) for "
                f"{args.slow_seconds:g} s beside real point lookups at {r['rate']:.0f}/s"
            )
            print(
                f"  real lookups answered {len(lat):,} of {len(real):,}, failed "
                f"{len(r['real']['errors'])}, p50 {_pct(lat, 50):.2f} ms, p99 {_pct(lat, 99):.2f} ms"
            )
            s = r["slow"]
            print(
                f"  slow clients: {s['connections']:,} connections opened, {s['cut_off']:,} cut "
                f"off by the server, {s['connect_failed']:,} connects refused"
            )
        if args.scenario in ("all", "slowbody"):
            real = pts[: int(10 * (args.slow_seconds - 3))]
            r = asyncio.run(
                _slowloris(port, real, args.slow_clients, args.slow_seconds, _slow_body_client)
            )
            lat = r["real"]["latency_ms"]
            print(
                f"\nslowbody: {args.slow_clients} clients sending POST /lookup/batch bodies one "
                f"byte every 2 s (Content-Length 100000) for {args.slow_seconds:g} s beside real "
                f"point lookups at {r['rate']:.0f}/s"
            )
            print(
                f"  real lookups answered {len(lat):,} of {len(real):,}, failed "
                f"{len(r['real']['errors'])}, p50 {_pct(lat, 50):.2f} ms, p99 {_pct(lat, 99):.2f} ms"
            )
            s = r["slow"]
            answers = ", ".join(f"{k} {v:,}" for k, v in s.items() if k.startswith("answered"))
            print(
                f"  slow clients: {s['connections']:,} connections opened; {answers or 'no answers'}"
            )
    finally:
        base.stop_server(proc)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
