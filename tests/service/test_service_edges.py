"""HTTP edges of the service (issue 30 #9, #14): slow bodies, JSON for the server's own errors,
head size, repeated query parameters, the Host allow-list, HEAD.

Every server here listens on 127.0.0.1 only, with a few connections and small timeouts.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from geo_heart.service.hardening import allowed_hosts_for, host_name, server_options


@pytest.fixture(scope="module")
def served(toy):
    """The toy area's real app behind the server `geo-heart serve` runs, small limits."""
    import uvicorn

    from geo_heart.service.app import create_app

    app = create_app(
        toy,
        limit_concurrency=3,
        body_timeout_s=1.5,
        allowed_hosts=allowed_hosts_for("127.0.0.1", ["dispatch.example.org"]),
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    opts = server_options(header_timeout_s=5, keep_alive_s=5)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", **opts))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _raw(port: int, data: bytes, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the answer to the end; (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
        c.sendall(data)
        chunks = []
        while True:
            b = c.recv(65536)
            if not b:
                break
            chunks.append(b)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return status, headers, body


def _get(port: int, target: str, host: str = "127.0.0.1", method: str = "GET"):
    return _raw(
        port, f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    )


def _json_error(status_headers_body) -> str:
    _status, headers, body = status_headers_body
    assert headers["content-type"] == "application/json", headers
    error = json.loads(body)["error"]
    assert isinstance(error, str) and "\n" not in error
    return error


def test_slow_bodies_never_take_the_request_slots(served):
    """More slow-body clients than slots (Content-Length 100000, then one byte): real lookups
    still answer 200 at once; the slow ones get a JSON 408 after the body timeout."""
    port = served
    slow = []
    try:
        for _ in range(6):  # twice the 3 slots
            c = socket.create_connection(("127.0.0.1", port), timeout=10)
            c.sendall(
                b"POST /lookup/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
            )
            slow.append(c)
        time.sleep(0.3)
        for _ in range(4):
            t0 = time.monotonic()
            status, _h, body = _get(port, "/lookup?lon=-78.9&lat=36.0")
            assert status == 200, body
            assert time.monotonic() - t0 < 1.0  # never queued behind the slow bodies
            assert "status" in json.loads(body)
        t0 = time.monotonic()
        answer = b""
        while chunk := slow[0].recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b"application/json" in answer and b"did not arrive within 1.5 s" in answer
        assert time.monotonic() - t0 < 3
    finally:
        for c in slow:
            c.close()


def test_a_complete_body_is_answered(served):
    body = json.dumps({"items": [{"lon": -78.9, "lat": 36.0}]}).encode()
    status, _h, answer = _raw(
        served,
        b"POST /lookup/batch HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body,
    )
    assert status == 200 and json.loads(answer)["count"] == 1


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Name: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
    ],
)
def test_malformed_requests_get_a_json_400(served, request_bytes):
    status, _h, _b = answer = _raw(served, request_bytes)
    assert status == 400
    assert _json_error(answer) == "malformed HTTP request"


@pytest.mark.parametrize("pieces", [1, 40])
def test_heads_over_16_kib_are_refused_with_json(served, pieces):
    """In one piece h11 would parse it whole; in pieces its buffer limit trips: 431 both ways."""
    head = (
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(20))
        + b"\r\n"
    )
    assert len(head) > 16 * 1024
    with socket.create_connection(("127.0.0.1", served), timeout=5) as c:
        step = -(-len(head) // pieces)
        for i in range(0, len(head), step):
            try:
                c.sendall(head[i : i + step])
            except OSError:  # closed after its answer
                break
            if pieces > 1:
                time.sleep(0.005)
        raw = b""
        while chunk := c.recv(65536):
            raw += chunk
    assert raw.startswith(b"HTTP/1.1 431"), raw[:200]
    assert b'{"error":"the request head is larger than 16,384 bytes"}' in raw
    # a head just under the limit is fine
    ok = _get(served, "/health?" + "a=1&" * 0 + "x=" + "b" * 8000)
    assert ok[0] == 200


def test_repeated_query_parameters_are_refused(served):
    status, _h, _b = answer = _get(served, "/lookup?lon=-78.9&lat=36.0&lon=-78.8")
    assert status == 400
    assert "'lon' is given more than once" in _json_error(answer)
    assert _get(served, "/lookup?lon=-78.9&lat=36.0")[0] == 200


@pytest.mark.parametrize(
    "host,expected",
    [
        ("127.0.0.1", 200),
        ("127.0.0.1:8080", 200),
        ("localhost:8080", 200),
        ("[::1]:8080", 200),
        ("DISPATCH.example.org", 200),
        ("evil.example.com", 400),
        ("evil.example.com:8080", 400),
        ("localhost.evil.example.com", 400),
        ("127.0.0.1.nip.io", 400),
    ],
)
def test_host_allow_list(served, host, expected):
    status, _h, _b = answer = _get(served, "/lookup?lon=-78.9&lat=36.0", host=host)
    assert status == expected
    if expected == 400:
        assert "does not answer to that Host" in _json_error(answer)


def test_head_health_is_200_without_a_body(served):
    status, headers, body = _get(served, "/health", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    assert _get(served, "/health", method="HEAD", host="evil.example.com")[0] == 400


def test_app_level_errors_are_json(served):
    for target, want in [("/nope", 404), ("/lookup?lon=999&lat=0", 422)]:
        status, _h, _b = answer = _get(served, target)
        assert status == want
        _json_error(answer)
    status, _h, _b = answer = _get(served, "/health", method="DELETE")
    assert status == 405
    _json_error(answer)


def test_allowed_hosts_for():
    assert host_name("[::1]:80") == "::1" and host_name("Example.ORG.:8080") == "example.org"
    assert allowed_hosts_for("127.0.0.1") == ("localhost", "127.0.0.1", "::1")
    assert allowed_hosts_for("10.0.0.5", ["a.example"]) == (
        "localhost",
        "127.0.0.1",
        "::1",
        "10.0.0.5",
        "a.example",
    )
    assert allowed_hosts_for("0.0.0.0") is None  # every address: a token guards it instead
    assert allowed_hosts_for("0.0.0.0", ["a.example"]) == (
        "localhost",
        "127.0.0.1",
        "::1",
        "a.example",
    )
    assert allowed_hosts_for("127.0.0.1", ["*"]) is None


def test_a_websocket_upgrade_is_answered_as_http_json(served):
    status, _h, _b = answer = _raw(
        served,
        b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, close\r\n"
        b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    assert status == 404
    _json_error(answer)
