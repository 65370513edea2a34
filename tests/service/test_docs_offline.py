"""``/docs`` serves Swagger UI from local files (fastapi-offline), never from a CDN (toy area)."""

from __future__ import annotations

import re

import httpx
import pytest
from service_support import serve_in_thread

NETWORK_REF = re.compile(r"""(?:src|href|url)\s*[=:(]\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def client(toy):
    from geo_heart.service.app import create_app

    with serve_in_thread(create_app(toy, warm=False)) as url, httpx.Client(base_url=url) as c:
        yield c


def test_docs_page_uses_local_swagger_assets(client):
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert not NETWORK_REF.search(r.text), NETWORK_REF.search(r.text)
    assert '"validatorUrl": null' in r.text  # the online validator badge would call out
    for asset in re.findall(r'(?:src|href)="(/docs/[^"]+)"', r.text):
        got = client.get(asset)
        assert got.status_code == 200 and len(got.content) > 100, asset
    js = client.get("/docs/swagger-ui-bundle.js")
    assert (
        js.headers["content-type"].startswith("text/javascript")
        and b"SwaggerUIBundle" in js.content
    )
    assert client.get("/redoc").status_code == 404  # FastAPI's CDN-based ReDoc is off
    assert client.get("/openapi.json").json()["info"]["title"]


def test_docs_off_without_fastapi_offline_says_so(toy, monkeypatch):
    from geo_heart.service import app as app_mod

    monkeypatch.setattr(app_mod, "_docs_bytes", lambda: {})
    app = app_mod.create_app(toy, warm=False)
    with serve_in_thread(app) as url, httpx.Client(base_url=url) as c:
        r = c.get("/docs")
    assert r.status_code == 200 and "/openapi.json" in r.text and "off" in r.text
