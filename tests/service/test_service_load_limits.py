"""The service under load: JSON 503 with Retry-After, connection caps, slowloris, token (issue 20 #11-#13)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest

from geo_heart.service.hardening import ConcurrencyLimitMiddleware, server_options


def _call(app, path="/lookup"):
    """One ASGI request; returns (status, headers dict, body bytes)."""
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(msg):
        sent.append(msg)

    async def go():
        await app({"type": "http", "path": path, "headers": []}, receive, send)

    return go, sent


def test_over_the_limit_waits_then_gets_a_json_503_with_retry_after():
    release = asyncio.Event()

    async def slow(scope, receive, send):
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    mw = ConcurrencyLimitMiddleware(slow, limit=2, wait_s=0.2)

    async def main():
        calls = [_call(mw) for _ in range(4)]
        health = _call(mw, "/health")
        tasks = [asyncio.create_task(go()) for go, _ in calls]
        await asyncio.sleep(0.4)  # two hold the slots; two waited 0.2 s and were answered 503
        done_early = [sent for _go, sent in calls if sent]
        htask = asyncio.create_task(health[0]())  # probes are never held back
        release.set()
        await asyncio.gather(*tasks, htask)
        return calls, done_early, health[1]

    calls, early, health = asyncio.run(main())
    statuses = sorted(sent[0]["status"] for _go, sent in calls)
    assert statuses == [200, 200, 503, 503] and len(early) == 2
    for sent in early:
        head = dict(sent[0]["headers"])
        assert sent[0]["status"] == 503 and head[b"retry-after"] == b"1"
        assert head[b"content-type"] == b"application/json"
        assert "busy" in json.loads(sent[1]["body"])["error"]
    assert health[0]["status"] == 200
    assert mw.refused == 2


def _server(app, **opts):
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", **server_options(**opts))
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, sock, sock.getsockname()[1]


async def _tiny(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _get(port):
    with socket.create_connection(("127.0.0.1", port), timeout=3) as c:
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return c.recv(1000)


def test_idle_and_slow_connections_never_starve_real_requests():
    """uvicorn's limit_concurrency (200) counted idle connections: 210 slow clients made every answer 503."""
    server, thread, sock, port = _server(_tiny, header_timeout_s=30, keep_alive_s=5)
    slow = []
    try:
        for _ in range(210):
            c = socket.create_connection(("127.0.0.1", port))
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finishes its head
            slow.append(c)
        for _ in range(5):
            assert _get(port).startswith(b"HTTP/1.1 200")
    finally:
        for c in slow:
            c.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_per_client_connection_cap_answers_json_503_and_frees_up():
    server, thread, sock, port = _server(
        _tiny, header_timeout_s=30, keep_alive_s=5, max_connections_per_client=3
    )
    held = []
    try:
        for _ in range(3):
            held.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(0.2)
        answer = _get(port)
        assert answer.startswith(b"HTTP/1.1 503") and b"retry-after: 1" in answer.lower()
        assert b'{"error":' in answer and b"application/json" in answer
        held.pop().close()
        time.sleep(0.2)
        assert _get(port).startswith(b"HTTP/1.1 200")
    finally:
        for c in held:
            c.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_beyond_loopback_without_token_is_refused(toy_env, capsys, host, monkeypatch):
    import uvicorn

    from geo_heart.cli.main import main

    monkeypatch.delenv("GEO_HEART_TOKEN", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("served without a token"))
    with pytest.raises(SystemExit) as info:
        main(["serve", "--host", host, "--port", "0"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "--token" in err and "--insecure-no-token" in err
    ran = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: ran.append(k["host"]))
    with pytest.raises(SystemExit) as info:
        main(["serve", "--host", host, "--port", "0", "--insecure-no-token"])
    assert info.value.code == 0 and ran == [host]
    assert "NO authentication" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["serve", "--host", host, "--port", "0", "--token", "s3cret"])
    assert info.value.code == 0 and ran == [host, host]
