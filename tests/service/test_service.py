"""The dispatch lookup service over real HTTP (uvicorn on a free loopback port, Durham data)."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from click.testing import CliRunner
from service_support import serve_in_thread

# 200 Pacific Ave area, downtown Durham: beat 512 (district D5), in the HEART pilot
PILOT = {"lon": -78.9016, "lat": 35.9960}
# Southpoint area: beat 422 (district D4), a city beat outside the pilot
CITY = {"lon": -78.9381, "lat": 35.9017}
# Raleigh: in no Durham beat
AWAY = {"lon": -78.64, "lat": 35.78}
SATURDAY_11 = "2023-06-03T11:00"
TUESDAY_11 = "2023-06-06T11:00"


@pytest.fixture(scope="module")
def app(workspace):
    from geo_heart.service.app import create_app

    return create_app(workspace)


@pytest.fixture(scope="module")
def client(app):
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as c:
        yield c


def _error(r: httpx.Response, status: int = 422) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert isinstance(body["error"], str) and body["error"]
    return body["error"]


# ------------------------------------------------------------------ coordinate lookups
def test_point_in_pilot_beat(client):
    r = client.get("/lookup", params={**PILOT, "call_type": "trespass", "at": SATURDAY_11})
    assert r.status_code == 200
    body = r.json()
    assert body["beat"] == "512"
    assert body["district"] == "D5"
    assert body["status"] == "ok"
    assert body["in_service_area"] is True
    assert body["programs"] == ["CRT"]
    assert body["local_time"] == SATURDAY_11
    assert body["call_type"]["canonical"] == "trespass"
    assert set(body["reasons"]) == {"CCD", "CoR", "CN"}
    assert "outside CoR hours" in body["reasons"]["CoR"]


def test_raw_cad_code_and_weapon_route_to_co_response(client):
    r = client.get(
        "/lookup",
        params={**PILOT, "call_type": "CRT - TRESPASS", "at": TUESDAY_11, "weapon": "true"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["programs"] == ["CoR"]
    assert "weapon or violence flagged" in body["reasons"]["CRT"]
    assert body["call_type"]["risk"] is True
    assert body["call_type"]["prefix_program"] == "CRT"


def test_point_in_city_beat_outside_pilot(client):
    r = client.get(
        "/lookup", params={**CITY, "call_type": "mental_health_crisis", "at": TUESDAY_11}
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["beat"], body["district"]) == ("422", "D4")
    assert body["in_service_area"] is False
    # CCD (clinicians by phone) is citywide; CRT is not
    assert body["programs"] == ["CCD"]
    assert "beat 422 was not one of them" in body["reasons"]["CRT"]


def test_point_outside_every_beat(client, workspace):
    r = client.get("/lookup", params=AWAY)
    assert r.status_code == 200
    body = r.json()
    assert body["beat"] is None
    assert body["status"] == "outside"
    assert body["programs"] == []
    assert body["nearest_beat"] in workspace.beat_index.beats
    assert body["distance_m"] > 10_000
    assert "no call type given" in body["notes"][0]


def test_aware_time_is_converted_to_area_time(client):
    # 15:00 UTC on 1 June 2024 is 11:00 in Durham (EDT)
    r = client.get("/lookup", params={**PILOT, "at": "2023-06-03T15:00Z"})
    assert r.status_code == 200
    assert r.json()["local_time"] == SATURDAY_11


# ------------------------------------------------------------------ invalid input → 4xx that says why
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"lon": 999, "lat": 36}, "lon"),
        ({"lon": -78.9, "lat": -91}, "lat"),
        ({"lon": "east", "lat": 36}, "lon"),
        ({"lon": "nan", "lat": 36}, "finite"),
        ({"lon": -78.9}, "both lon and lat"),
        ({}, "give an address"),
        ({"address": "200 PACIFIC AVE", **PILOT}, "not both"),
        ({"address": "x" * 201}, "address"),
        ({**PILOT, "at": "next tuesday"}, "not ISO 8601"),
        ({**PILOT, "at": "9999-12-31T23:59-12:00"}, "out of range"),
        ({**PILOT, "weapon": "maybe"}, "weapon"),
        ({**PILOT, "scenario": "nope"}, "unknown scenario"),
        ({**PILOT, "call_type": "C" * 81}, "call_type"),
    ],
)
def test_invalid_lookups_are_422_and_say_why(client, params, expected):
    message = _error(client.get("/lookup", params=params))
    assert expected in message


def test_unknown_call_type_is_answered_no_program(client, workspace):
    r = client.get("/lookup", params={**PILOT, "call_type": "TRESPASING ON LAND"})
    assert r.status_code == 200
    d = r.json()
    assert d["programs"] == [] and d["beat"] == "512"
    assert set(d["reasons"]) == set(workspace.config.programs)
    assert all("no program takes this call type" in v for v in d["reasons"].values())
    assert d["call_type"]["canonical"] is None and d["call_type"]["matched_by"] == "unknown"
    # the code is named, with how to add it; a likely match is suggested, never applied
    assert any("'TRESPASING ON LAND'" in n and "[call_types." in n for n in d["notes"])
    assert d["call_type"]["suggestion"] == "Trespass"
    assert any("did you mean 'Trespass'" in n and "not applied" in n for n in d["notes"])


def test_truncated_call_type_says_what_it_was_read_as(client):
    d = client.get("/lookup", params={**PILOT, "call_type": "TRESPAS"}).json()
    assert d["call_type"]["canonical"] == "trespass"
    assert d["call_type"]["matched_by"] == "truncation"
    assert any("read as 'Trespass'" in n for n in d["notes"])


# ------------------------------------------------------------------ batch
def test_batch_answers_in_order_with_ids(client):
    items = [
        {"id": "a", **PILOT},
        {"id": "b", **CITY, "call_type": "trespass"},
        {"id": "c", **AWAY},
        {"id": "d", "lon": 500.0, "lat": 2.0},
        {"id": "e", **PILOT, "call_type": "ALIEN ABDUCTION"},
        {"id": "f", **PILOT, "address": "200 PACIFIC AVE"},
    ]
    r = client.post("/lookup/batch", json={"items": items, "at": SATURDAY_11})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 6
    rows = body["results"]
    assert [row["id"] for row in rows] == list("abcdef")
    assert [row["index"] for row in rows] == list(range(6))
    assert [row["beat"] for row in rows[:4]] == ["512", "422", None, None]
    assert [row["status"] for row in rows] == ["ok", "ok", "outside", "invalid", "ok", "error"]
    assert rows[0]["local_time"] == SATURDAY_11
    assert rows[1]["call_type"]["canonical"] == "trespass"
    # a call type missing from the table is answered: no program takes it
    assert rows[4]["programs"] == [] and rows[4]["call_type"]["canonical"] is None
    assert all("no program takes" in v for v in rows[4]["reasons"].values())
    assert "not both" in rows[5]["reason"]
    assert (body["ok"], body["errors"]) == (3, 1)


def test_batch_item_settings_override_defaults(client):
    items = [{**PILOT}, {**PILOT, "at": TUESDAY_11, "weapon": True}]
    r = client.post(
        "/lookup/batch", json={"items": items, "call_type": "trespass", "at": SATURDAY_11}
    )
    assert r.status_code == 200
    a, b = r.json()["results"]
    assert a["programs"] == ["CRT"]
    assert b["programs"] == ["CoR"]


def test_batch_limits(client):
    from geo_heart.service.models import MAX_BATCH

    ok = client.post("/lookup/batch", json={"items": [PILOT] * MAX_BATCH})
    assert ok.status_code == 200
    assert ok.json()["count"] == MAX_BATCH
    assert all(row["beat"] == "512" for row in ok.json()["results"])
    assert "items" in _error(
        client.post("/lookup/batch", json={"items": [PILOT] * (MAX_BATCH + 1)})
    )
    assert "items" in _error(client.post("/lookup/batch", json={"items": []}))
    assert "Extra inputs" in _error(
        client.post("/lookup/batch", json={"items": [{**PILOT, "x": 1}]})
    )
    assert "lon" in _error(client.post("/lookup/batch", json={"items": [{"lon": "a", "lat": 1}]}))
    bad_json = client.post(
        "/lookup/batch", content=b"{not json", headers={"content-type": "application/json"}
    )
    _error(bad_json, 400)  # as documented (issue 12 #13)
    # JSON allows no NaN, Python's parser does: it must not reach the lookup
    nan = client.post(
        "/lookup/batch",
        content=b'{"items": [{"lon": NaN, "lat": 36}]}',
        headers={"content-type": "application/json"},
    )
    assert "finite" in _error(nan)


# ------------------------------------------------------------------ reference routes
def test_beats_geojson(client, workspace):
    r = client.get("/beats")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    gj = r.json()
    assert gj["type"] == "FeatureCollection"
    props = {f["properties"]["beat"]: f["properties"] for f in gj["features"]}
    assert len(props) == 37
    # in_service_area: the service area in force today (citywide: every beat but 999)
    now = {b for b, p in props.items() if p["in_service_area"]}
    assert now == set(props) - {"999"}
    # membership of every configured service area is still listed per beat
    pilot = {b for b, p in props.items() if "pilot" in p["service_areas"]}
    assert pilot == set(workspace.config.service_areas["pilot"].beats)
    assert props["512"]["district"] == "D5"
    assert props["512"]["programs"] == ["CCD", "CRT", "CoR", "CN"]
    assert props["422"]["programs"] == ["CCD"]
    assert props["999"]["programs"] == []
    assert "Sheriff" in props["999"]["special"]
    assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"} for f in gj["features"])
    x0, y0, x1, y1 = gj["bbox"]
    assert x0 < PILOT["lon"] < x1 and y0 < PILOT["lat"] < y1

    small = client.get("/beats", params={"simplify_m": 50})
    assert small.status_code == 200
    assert len(small.content) < len(r.content) / 3
    assert len(small.json()["features"]) == 37
    assert "simplify_m" in _error(client.get("/beats", params={"simplify_m": -1}))
    assert "simplify_m" in _error(client.get("/beats", params={"simplify_m": 10**6}))
    assert "one of [0, 5, 15, 50, 150]" in _error(client.get("/beats", params={"simplify_m": 7}))


def test_health_and_area(client, workspace):
    h = client.get("/health").json()
    assert h["status"] == "ok"
    assert h["beats"] == 37
    assert h["area"] == "Durham, NC"
    assert h["geocoder"] is True
    area = client.get("/area").json()
    assert area["default_service_area"] == "pilot"
    assert len(area["service_areas"]["pilot"]["beats"]) == 12
    assert [p["code"] for p in area["programs"]] == ["CCD", "CRT", "CoR", "CN"]
    assert {c["key"] for c in area["call_types"]} == set(workspace.config.call_types)


def test_openapi_document(client):
    doc = client.get("/openapi.json").json()
    assert {"/lookup", "/lookup/batch", "/beats", "/health", "/area"} <= set(doc["paths"])
    params = {p["name"]: p for p in doc["paths"]["/lookup"]["get"]["parameters"]}
    assert {"address", "lon", "lat", "call_type", "at", "weapon", "scenario"} <= set(params)
    assert params["address"]["schema"]["anyOf"][0]["maxLength"] == 200
    err = doc["paths"]["/lookup"]["get"]["responses"]["422"]
    assert err["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorAnswer")
    assert client.get("/docs").status_code == 200


def test_page_and_static_files(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="lookup-form"' in page.text and 'aria-live="polite"' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from a CDN
    assert "default-src 'self'" in page.headers["content-security-policy"]
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "fetch(" in js.text
    assert client.get("/static/app.css").status_code == 200
    # only those files: no traversal, no other names
    for path in ("/static/../service.py", "/static/%2e%2e/service.py", "/static/index.html.bak"):
        assert client.get(path).status_code == 404
    assert client.get("/etc/passwd").status_code == 404


def test_unexpected_error_is_a_logged_500_without_details(client, app, monkeypatch, caplog):
    def boom(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(app.state.service, "lookup", boom)
    with caplog.at_level(logging.ERROR, logger="geo_heart.service.app"):
        r = client.get("/lookup", params=PILOT)
    assert r.status_code == 500
    assert r.json() == {"error": "internal error (logged)"}
    assert "secret" not in r.text
    assert any("unhandled error" in rec.getMessage() for rec in caplog.records)


def test_json_answers_never_carry_nan():
    from geo_heart.service.models import JSONAnswer

    body = JSONAnswer({"a": float("nan"), "b": [1.5, float("inf")], "c": "x"}).body
    assert json.loads(body) == {"a": None, "b": [1.5, None], "c": "x"}


def test_serve_command_help(cli_env):
    from geo_heart.cli.main import cli

    r = CliRunner().invoke(cli, ["serve", "--help"])
    assert r.exit_code == 0
    assert "--port" in r.output and "127.0.0.1" in r.output
    bad = CliRunner().invoke(cli, ["serve", "--port", "70000"])
    assert bad.exit_code == 2


# ------------------------------------------------------------------ address lookups (geocoder)
def test_address_lookup(client, workspace):
    r = client.get(
        "/lookup", params={"address": "200 s mangum st", "call_type": "trespass", "at": SATURDAY_11}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["beat"], body["district"]) == ("512", "D5")
    assert body["in_service_area"] is True
    assert body["programs"] == ["CRT"]
    assert body["matched_address"] == "200 block of S MANGUM ST"
    assert body["match_type"] == "block"
    # the score is the calibrated probability that the beat is right (the area's table)
    from geo_heart.geocode.calibration import load_calibration, score_family

    cal = load_calibration(workspace.config.calibration_file)
    assert body["score"] == cal.probability(score_family("block", body["beat_source"]), 0.8)
    assert 0.8 < body["score"] < 1
    assert -78.91 < body["lon"] < -78.89 and 35.98 < body["lat"] < 36.0


def test_address_known_only_from_history(client):
    body = client.get("/lookup", params={"address": "200 PACIFIC AVE"}).json()
    assert body["beat"] == "223"
    assert body["in_service_area"] is True
    assert body["lon"] is None and body["match_type"] == "history_block"


def test_address_that_matches_nothing_is_an_answer_not_an_error(client):
    r = client.get("/lookup", params={"address": "99999 NOWHERE IMAGINARY BLVD"})
    assert r.status_code == 200
    body = r.json()
    assert body["beat"] is None
    assert body["match_type"] == "unmatched"
    assert body["status"] in {"unknown", "invalid"}
    assert body["in_service_area"] is None  # unknown location: neither in nor out
    assert body["programs"] == []


def test_blank_address_is_422(client):
    assert "address is empty" in _error(client.get("/lookup", params={"address": "   "}))
    assert "address" in _error(client.get("/lookup", params={"address": ""}))


def test_batch_of_addresses(client):
    items = [
        {"id": "1", "address": "200 S MANGUM ST"},
        {"id": "2", "address": "500 FOSTER ST"},
        {"id": "3", "address": "99999 NOWHERE IMAGINARY BLVD"},
        {"id": "4", **CITY},
    ]
    r = client.post("/lookup/batch", json={"items": items, "call_type": "trespass"})
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [row["beat"] for row in rows] == ["512", "512", None, "422"]
    assert rows[0]["match_type"] == "block"
    assert rows[3]["match_type"] is None  # a point lookup: no match


def test_geo_heart_serve_runs_and_stops(cli_env):
    """The real command in its own process: loopback, a free port, answers, stops on SIGTERM."""
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "geo_heart.cli.main", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--no-access-log", "--log-level", "warning"],
        env={**os.environ, **cli_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/lookup", params=PILOT, timeout=2)
                body = r.json()
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert body is not None, proc.stderr.read().decode() if proc.poll() is not None else ""
        assert body["beat"] == "512"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert f"serving Durham, NC on http://127.0.0.1:{port}/" in err
    assert "Traceback" not in err
