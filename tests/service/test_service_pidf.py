"""POST /lookup with a PIDF-LO body (application/pidf+xml) or JSON radius_m (toy area)."""

from __future__ import annotations

import httpx
import pytest
from dispatch.test_pidf import BILLION_LAUGHS, CIVIC, circle, doc
from service_support import serve_in_thread

PIDF = {"content-type": "application/pidf+xml"}


@pytest.fixture(scope="module")
def client(toy):
    from geo_heart.service.app import create_app

    with serve_in_thread(create_app(toy)) as base_url, httpx.Client(base_url=base_url) as c:
        yield c


def test_pidf_body_is_answered_with_beat_shares(client):
    r = client.post(
        "/lookup?call_type=trespass&at=2024-06-04T12:00",
        content=doc(circle(40.005, -99.99, 250)).encode(),
        headers=PIDF,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "approximate" and body["shape"]["kind"] == "circle"
    shares = {s["beat"]: s["share"] for s in body["shape"]["shares"]}
    assert set(shares) == {"11", "12"} and abs(shares["11"] - 0.5) < 0.01
    assert body["call_type"]["canonical"] == "trespass"
    assert body["shape"]["geometry"]["type"] == "Polygon"
    assert body["pidf"]["shape_element"] == "gs:Circle" and body["pidf"]["used"] == "geodetic"


def test_pidf_civic_body(client):
    r = client.post("/lookup", content=doc(CIVIC).encode(), headers=PIDF)
    assert r.status_code == 200 and r.json()["beat"] == "11"


def test_json_radius_m(client):
    r = client.post("/lookup", json={"lon": -99.99, "lat": 40.005, "radius_m": 250})
    assert r.status_code == 200 and r.json()["status"] == "approximate"
    got = client.get("/lookup", params={"lon": -99.99, "lat": 40.005, "radius_m": 250}).json()
    assert got["shape"]["shares"] == r.json()["shape"]["shares"]
    r = client.post("/lookup", json={"lon": -99.995, "lat": 40.005, "radius_m": 50})
    assert r.json()["status"] == "ok" and r.json()["beat"] == "11"


@pytest.mark.parametrize(
    ("content", "headers", "status", "error"),
    [
        (BILLION_LAUGHS.encode(), PIDF, 422, "PIDF-LO: refused: DTDForbidden"),
        (doc("<gs:Circle/>").encode(), PIDF, 422, "PIDF-LO: gs:Circle has no srsName"),
        (b"<presence", PIDF, 422, "PIDF-LO: not well-formed XML"),
        (b"hello", {"content-type": "text/plain"}, 415, "Content-Type 'text/plain' is not accepted"),
        (b'{"lon": 1', {"content-type": "application/json"}, 400, "not valid JSON"),
        (b'{"lon": 1, "lat": 2, "radius_m": -1}', {"content-type": "application/json"}, 422,
         "radius_m: Input should be greater than or equal to 0"),
        (b'{"radius": 1}', {"content-type": "application/json"}, 422, "radius: Extra inputs"),
    ],
)  # fmt: skip
def test_bad_bodies_get_one_line_errors(client, content, headers, status, error):
    r = client.post("/lookup", content=content, headers=headers)
    assert r.status_code == status, r.text
    assert error in r.json()["error"] and "\n" not in r.json()["error"]


def test_openapi_describes_both_bodies(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/lookup"]["post"]
    content = post["requestBody"]["content"]
    assert set(content) == {"application/json", "application/pidf+xml"}
    assert "radius_m" in content["application/json"]["schema"]["properties"]
    assert "gs:Circle" in content["application/pidf+xml"]["example"]
    assert "415" in post["responses"]
    assert "radius_m" in {p["name"] for p in spec["paths"]["/lookup"]["get"]["parameters"]}


def test_batch_items_take_radius_m(client):
    r = client.post(
        "/lookup/batch",
        json={"items": [{"id": "a", "lon": -99.99, "lat": 40.005, "radius_m": 250},
                        {"id": "b", "lon": -99.995, "lat": 40.005}]},
    )  # fmt: skip
    rows = r.json()["results"]
    assert [x["status"] for x in rows] == ["approximate", "ok"]
    assert {s["beat"] for s in rows[0]["shape"]["shares"]} == {"11", "12"}
    assert rows[1]["shape"] is None
