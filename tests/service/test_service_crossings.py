"""The service makes the crossing table in the background once it is up (issue 31: a first run
builds only what an address lookup needs; the table is made beside the first requests)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from service_support import serve_in_thread

from geo_heart.area import Area

TOY = Path(__file__).resolve().parent.parent / "data" / "toy"


def test_the_crossing_table_is_made_beside_the_first_requests(tmp_path):
    from geo_heart.geocode.match import geocoder_for
    from geo_heart.service.app import create_app

    area = Area.load(TOY / "toy.toml", data_dir=TOY, cache_dir=tmp_path / "cache")
    app = create_app(area)
    idx = geocoder_for(area).index  # the service's own geocoder's index
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        r = client.get("/lookup", params={"address": "100 OAK ST"})
        assert r.status_code == 200 and r.json()["beat"] == "11"
        # no crossing was asked for, yet the table is made (by the background thread)
        for t in [t for t in threading.enumerate() if t.name == "geo-heart-crossings"]:
            t.join(timeout=30)
        deadline = time.monotonic() + 30
        while idx.crossings is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert idx.paths_ready and ("ELM AVE", "OAK ST") in idx.crossings
        assert len(list((tmp_path / "cache").glob("geocode-crossings-*.pkl"))) == 1
        r = client.get("/lookup", params={"address": "OAK ST & ELM AVE"})
        assert r.status_code == 200 and r.json()["beat"] == "12"
