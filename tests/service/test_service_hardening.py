"""Service hardening over real HTTP (issue 12 #5 #7 #12 #13 #17)."""

from __future__ import annotations

import logging
import socket
import threading
import time

import httpx
import pytest
from service_support import serve_in_thread

from geo_heart.service.hardening import (
    RedactingAccessFilter,
    is_loopback,
    scrub_paths,
    server_options,
)


@pytest.fixture(scope="module")
def app(workspace):
    from geo_heart.service.app import create_app

    return create_app(workspace, max_body_bytes=2_000, token="s3cret")


@pytest.fixture(scope="module")
def client(app):
    with (
        serve_in_thread(app) as base,
        httpx.Client(base_url=base, timeout=30, headers={"Authorization": "Bearer s3cret"}) as c,
    ):
        yield c


def test_token_required_except_health(client):
    base = str(client.base_url)
    assert httpx.get(base + "/lookup?lon=0&lat=0").status_code == 401
    bad = httpx.get(base + "/area", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(base + "/health").status_code == 200


@pytest.mark.parametrize("lon,lat", [(0, -90), (-180, -90), (180, 90), (-179, -89)])
def test_poles_and_antimeridian_answer(client, lon, lat):
    r = client.get("/lookup", params={"lon": lon, "lat": lat})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "outside" and body["distance_m"] <= 20_015_087
    b = client.post(
        "/lookup/batch", json={"items": [{"lon": lon, "lat": lat}, {"lon": -78.9, "lat": 36}]}
    )
    assert b.status_code == 200 and [x["status"] for x in b.json()["results"]][0] == "outside"


def test_body_limit_declared_and_streamed(client):
    r = client.post(
        "/lookup/batch", content=b"x" * 5_000, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and "limit" in r.json()["error"]

    def chunks():
        for _ in range(100):
            yield b"x" * 100

    r = client.post("/lookup/batch", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_malformed_json_is_400_and_booleans_are_not_coordinates(client):
    r = client.post(
        "/lookup/batch", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]
    r = client.post("/lookup/batch", json={"items": [{"lon": True, "lat": 35.99}]})
    assert r.status_code == 422 and "boolean" in r.json()["error"]
    r = client.post("/lookup/batch", json={"items": [{"lon": -78, "lat": 36}]})  # ints are fine
    assert r.status_code == 200


def test_no_paths_in_errors_and_no_host_reflection(client):
    r = client.get("/lookup", params={"lon": -78.9, "lat": 35.99, "call_type": "nope"})
    # an unknown call type is answered; its note names the area file, never a server path
    assert r.status_code == 200
    assert all("/work" not in n and "/tmp" not in n for n in r.json()["notes"])
    r = client.get("/lookup", params={"lon": -78.9, "lat": 35.99, "at": "yesterday"})
    assert r.status_code == 422 and "/work" not in r.json()["error"]
    r = client.get("/health/", headers={"Host": "evil.example.com"}, follow_redirects=False)
    assert r.status_code == 404 and "evil" not in r.headers.get("location", "")


def test_scrub_paths():
    assert scrub_paths("table of X (/work/a/b/durham.toml); e") == "table of X (durham.toml); e"
    assert scrub_paths("no path here 1/2") == "no path here 1/2"


def test_access_log_redacts_queries_and_clients():
    rec = logging.LogRecord(
        "uvicorn.access",
        20,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("10.1.2.3:5555", "GET", "/lookup?address=200+PACIFIC+AVE", "1.1", 200),
        None,
    )
    RedactingAccessFilter().filter(rec)
    text = rec.getMessage()
    assert "PACIFIC" not in text and "10.1.2.3" not in text and "/lookup?[redacted]" in text


def test_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0")


def test_slow_headers_are_cut_off():
    import uvicorn

    async def tiny(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    opts = server_options(header_timeout_s=0.3, keep_alive_s=1)
    server = uvicorn.Server(uvicorn.Config(tiny, log_level="warning", lifespan="off", **opts))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        with socket.create_connection(("127.0.0.1", port)) as c:
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finishes the head
            c.settimeout(3)
            t0 = time.monotonic()
            assert c.recv(100) == b""  # closed by the server
            assert time.monotonic() - t0 < 2
        with socket.create_connection(("127.0.0.1", port)) as c:  # a normal client still works
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            c.settimeout(3)
            assert b"200" in c.recv(100)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(
    params=st.dictionaries(
        st.sampled_from(["address", "lon", "lat", "call_type", "at", "weapon", "scenario"]),
        st.one_of(
            st.text(max_size=40), st.floats().map(repr), st.sampled_from(["-90", "180", "true"])
        ),
    )
)
def test_service_any_query_answers_or_says_why(client, params):
    r = client.get("/lookup", params=params)
    assert r.status_code in (200, 400, 422, 503), r.text
    body = r.json()
    if r.status_code != 200:
        assert isinstance(body["error"], str) and "\n" not in body["error"]
