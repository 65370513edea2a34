"""The offline geocoder: synthetic references (centerlines, interpolation) and the Durham data."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geo_heart.area import Area
from geo_heart.config.settings import Settings
from geo_heart.geocode.match import RESULT_COLUMNS, geocoder_for
from geo_heart.io.tables import read_parquet


def _dist_m(lon1, lat1, lon2, lat2) -> float:
    kx = 111_320 * math.cos(math.radians(lat1))
    return math.hypot((lon2 - lon1) * kx, (lat2 - lat1) * 110_540)


@pytest.fixture(scope="session")
def geocoder(workspace):
    """The Durham geocoder, built once per session (from non-eval files only)."""
    return geocoder_for(workspace)


# --------------------------------------------------------------------------- synthetic references
# A straight street running east from (-78.9000, 35.9950) in downtown Durham, with known points at
# 100, 110, 140 (even side) and 101, 151 (odd side), and a centerline "TEST CENTER RD" with ranges.
X0, Y0 = -78.9000, 35.9950
DLON = 0.00001  # per house number


@pytest.fixture(scope="module")
def synthetic_ws(workspace, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("synthetic-geocode")
    pts = pd.DataFrame(
        {
            "house": [100, 110, 140, 101, 151, 300],
            "street": ["Test Synth Street"] * 5 + ["Other Synth Road"],
        }
    )
    pts["lon"] = X0 + DLON * pts["house"]
    pts["lat"] = [Y0] * 5 + [Y0 + 0.002]
    pts.to_csv(tmp / "points.csv", index=False)
    import geopandas as gpd
    from shapely.geometry import LineString

    cl = gpd.GeoDataFrame(
        {
            "FULLNAME": ["Test Center Rd", "Test Center Rd"],
            "LFROMADD": [101, 201],
            "LTOADD": [199, 299],
            "RFROMADD": [100, 200],
            "RTOADD": [198, 298],
        },
        geometry=[
            LineString([(X0, Y0 - 0.003), (X0 + 0.001, Y0 - 0.003)]),
            LineString([(X0 + 0.001, Y0 - 0.003), (X0 + 0.002, Y0 - 0.003)]),
        ],
        crs="EPSG:4326",
    )
    cl.to_file(tmp / "centerlines.geojson", driver="GeoJSON")
    layers = {
        "address_points": {
            "file": str(tmp / "points.csv"),
            "number_column": "house",
            "street_column": "street",
            "lon_column": "lon",
            "lat_column": "lat",
        },
        "centerlines": {"file": str(tmp / "centerlines.geojson")},
    }
    area = dataclasses.replace(workspace.config, layers=layers)
    settings = Settings(data_dir=workspace.settings.data_dir, cache_dir=tmp / "cache")
    return Area(settings=settings, config=area)


def test_synthetic_exact_and_parity_interpolation(synthetic_ws):
    g = geocoder_for(synthetic_ws)
    r = g.geocode_one("110 Test Synth St")
    assert r.match_type == "address_point" and r.score == 1.0
    assert r.lon == pytest.approx(X0 + 110 * DLON)
    # 120 is between the even 110 and 140: parity-aware interpolation
    r = g.geocode_one("120 test synth street")
    assert r.match_type == "interpolated"
    assert r.lon == pytest.approx(X0 + 120 * DLON, abs=1e-7)
    assert "110 and 140" in r.reason
    # 131 (odd) interpolates between the odd 101 and 151, not the even neighbours
    r = g.geocode_one("131 TEST SYNTH ST")
    assert "101 and 151" in r.reason
    assert r.beat is not None and r.status == "ok"


def test_synthetic_centerline_ranges(synthetic_ws):
    g = geocoder_for(synthetic_ws)
    r = g.geocode_one("150 Test Center Road")
    assert r.match_type == "range_interpolated"
    # right side 100..198 along the first segment: fraction (150-100)/98
    assert r.lon == pytest.approx(X0 + 0.001 * 50 / 98, abs=1e-7)
    assert r.lat == pytest.approx(Y0 - 0.003)
    r = g.geocode_one("251 Test Center Rd")
    assert r.match_type == "range_interpolated"
    assert r.lon == pytest.approx(X0 + 0.001 + 0.001 * 50 / 98, abs=1e-7)
    assert "left side" in r.reason


def test_synthetic_fuzzy_and_suffix(synthetic_ws):
    g = geocoder_for(synthetic_ws)
    r = g.geocode_one("110 Test Synht St")  # typo in the name
    assert r.matched_address == "110 TEST SYNTH ST"
    assert 0 < r.score < 1.0 and "spelled differently" in r.reason
    r = g.geocode_one("110 Test Synth Ave")  # wrong suffix
    assert r.matched_address == "110 TEST SYNTH ST" and r.score == pytest.approx(0.95)


def test_synthetic_index_is_cached(synthetic_ws):
    from geo_heart.geocode.reference import cache_path

    geocoder_for(synthetic_ws)
    assert cache_path(synthetic_ws).exists()


def test_eval_file_refused_as_history(workspace, tmp_path):
    from geo_heart.errors import ConfigError
    from geo_heart.geocode.reference import index_key

    layers = dict(workspace.config.layers)
    layers["history"] = {**layers["history"], "file": "incidents_2025_eval.csv"}
    area = dataclasses.replace(workspace.config, layers=layers)
    ws = Area(settings=workspace.settings, config=area)
    with pytest.raises(ConfigError, match="evaluation file"):
        index_key(ws)


# --------------------------------------------------------------------------- Durham data
def test_known_address_point(geocoder, data_dir):
    pts = pd.read_csv(data_dir / "address_points.csv", dtype=str, nrows=50)
    row = pts[pts["unit"].isna()].iloc[0]
    r = geocoder.geocode_one(row["address"])
    assert r.match_type == "address_point"
    assert _dist_m(r.lon, r.lat, float(row["lon"]), float(row["lat"])) < 1.0


def test_hundred_block_from_history(geocoder):
    r = geocoder.geocode_one("200 PACIFIC AVE")
    assert r.beat == "223" and r.district == "D2" and r.in_service_area
    assert r.match_type in ("block", "block_interpolated", "history_block")
    assert r.beat_source.startswith("history")
    # messy variants find the same block and beat
    for t in [
        "200 pacific av",
        "200 blk of Pacific Avenue",
        "200 Pacfic Ave",
        "200 PACIFIC AVE APT 4",
    ]:
        m = geocoder.geocode_one(t)
        assert m.beat == "223", t
        assert "PACIFIC AVE" in (m.matched_address or ""), t


def test_straddling_block_lists_both_beats(geocoder):
    r = geocoder.geocode_one("2100 N ROXBORO ST")
    assert r.straddle_beats is not None
    beats = r.straddle_beats.split(";")
    assert {"213", "214"} <= set(beats)
    assert r.beat in beats and "straddles" in r.reason


def test_intersections(geocoder):
    r = geocoder.geocode_one("GUESS RD/I85 N")
    assert r.match_type.endswith("intersection") and r.beat == "211"
    r = geocoder.geocode_one("3300 FAYETTEVILLE ST/E CORNWALLIS RD")
    assert r.beat in ("412", "414") and r.match_type.endswith("intersection")


def test_places_and_highways(geocoder):
    r = geocoder.geocode_one("Duke Park")
    assert r.match_type == "place" and r.beat == "212"
    for t in ["MLK Jr Pkwy", "US 15-501", "NC 55"]:
        r = geocoder.geocode_one(t)
        # the stated score is the calibrated probability that the beat is right
        assert r.match_type == "street" and 0 < r.score <= 1, t
        # a street with no number is approximate: one candidate per beat it crosses
        assert r.status == "approximate" and len(r.candidates) >= 2, t
        assert all(0 < c["share"] <= 1 for c in r.candidates), t
        assert all(c["lon"] is not None or c["beat"] for c in r.candidates)
        assert r.straddle_beats and len(r.straddle_beats.split(";")) >= 2


def test_bad_rows_get_status(geocoder):
    assert geocoder.geocode_one("PO Box 12").status == "invalid"
    assert geocoder.geocode_one("").status == "invalid"
    r = geocoder.geocode_one("999 Nowhere Imaginary Blvd")
    assert r.status == "unmatched" and r.match_type == "unmatched" and r.score == 0.0


def test_geocode_many_order_and_dedupe(geocoder):
    texts = ["200 PACIFIC AVE", None, "PO Box 3", "200 pacific ave", "GUESS RD/I85 N", ""]
    df = geocoder.geocode_many(texts)
    assert list(df.columns) == RESULT_COLUMNS and len(df) == len(texts)
    assert df["beat"].tolist()[0] == df["beat"].tolist()[3] == "223"
    assert df["status"].tolist()[1] == "invalid" and df["status"].tolist()[2] == "invalid"
    assert df["beat"].tolist()[4] == "211"
    one = geocoder.geocode_one("GUESS RD/I85 N")
    assert df.iloc[4]["score"] == one.score and df.iloc[4]["match_type"] == one.match_type


def test_lookup_address_contract(workspace):
    from geo_heart.dispatch.lookup import lookup_address, lookup_point

    r = lookup_address(workspace, "200 PACIFIC AVE", call_type="MENTAL HE", at="2023-06-03T11:00")
    base = lookup_point(workspace, -78.9, 35.99, call_type="MENTAL HE", at="2023-06-03T11:00")
    assert set(base) - {"nearest_beat", "distance_m"} <= set(r)
    for k in ("lon", "lat", "match_type", "score", "matched_address"):
        assert k in r
    assert r["beat"] == "223" and r["in_service_area"] and "CRT" in r["programs"]
    s = lookup_address(workspace, "2100 N ROXBORO ST")
    assert set(s["straddle_beats"]) >= {"213", "214"}
    assert any("straddles" in n for n in s["notes"])


def test_cli_lookup_address(cli_env):
    from geo_heart.cli.main import cli

    res = CliRunner().invoke(cli, ["lookup", "200 PACIFIC AVE", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["beat"] == "223" and data["matched_address"].endswith("PACIFIC AVE")
    res = CliRunner().invoke(cli, ["lookup", "200 PACIFIC AVE"])
    assert res.exit_code == 0 and "PACIFIC AVE" in res.output and "223" in res.output


def test_cli_index_build_and_info(cli_env):
    from geo_heart.cli.main import cli

    res = CliRunner().invoke(cli, ["index", "build"])
    assert res.exit_code == 0, res.output
    assert "streets" in res.output
    res = CliRunner().invoke(cli, ["index", "info", "--json"])
    data = json.loads(res.output)
    assert data["streets_with_points"] > 2000 and data["road_intersections"] > 500
    assert "_eval" not in json.dumps(data["sources"])


def test_cli_geocode_resumes_after_interruption(cli_env, tmp_path, monkeypatch, data_dir):
    from geo_heart.cli.main import cli
    from geo_heart.geocode.match import Geocoder

    src = pd.read_csv(data_dir / "incidents_2021_2024.csv", dtype=str, nrows=1000)
    src = src[["INCI_ID", "ADDRESS2", "BEAT"]]
    src.loc[5, "ADDRESS2"] = ""  # a bad row keeps its place
    inp = tmp_path / "in.csv"
    src.to_csv(inp, index=False)
    clean = tmp_path / "clean.csv"
    args = ["geocode", str(inp), "--address-column", "ADDRESS2", "--chunk-rows", "300"]
    res = CliRunner().invoke(cli, [*args, "-o", str(clean)])
    assert res.exit_code == 0, res.output
    expected = pd.read_csv(clean, dtype=str, keep_default_na=False)
    assert len(expected) == len(src)
    assert expected["INCI_ID"].tolist() == src["INCI_ID"].tolist()
    assert expected.loc[5, "status"] == "empty"  # issue 12 #9: blanks are `empty` rows
    assert (expected["gh_beat"] == expected["BEAT"]).mean() > 0.9
    assert "match types" in res.output

    # interrupt during the third chunk
    calls = {"n": 0}
    real = Geocoder.geocode_many

    def flaky(self, texts):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, texts)

    out = tmp_path / "out.parquet"
    monkeypatch.setattr(Geocoder, "geocode_many", flaky)
    res = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert res.exit_code != 0 and not out.exists()
    # Parquet and vector outputs geocode into a work file first, in a marked work folder
    work = tmp_path / ".out.parquet.geo-heart-work"
    marker = json.loads((work / "geocoded.parquet.parts" / "progress.json").read_text())
    assert marker["parts_done"] == 2
    # restart: only the remaining 2 chunks are geocoded
    calls["n"] = 100
    res = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert calls["n"] == 102 and "resumed after 600 rows" in res.output
    got = read_parquet(out)
    assert got["INCI_ID"].tolist() == src["INCI_ID"].tolist()
    assert got["gh_beat"].fillna("").tolist() == expected["gh_beat"].tolist()
    assert not (tmp_path / "out.parquet.parts").exists() and not work.exists()


def test_cli_geocode_min_score_and_bad_column(cli_env, tmp_path):
    from geo_heart.cli.main import cli

    inp = tmp_path / "in.csv"
    pd.DataFrame({"addr": ["200 PACIFIC AVE", "MLK Jr Pkwy"], "beat": ["x", "y"]}).to_csv(
        inp, index=False
    )
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(
        cli, ["geocode", str(inp), "-o", str(out), "--address-column", "addr", "--min-score", "0.5"]
    )
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["beat"].tolist() == ["x", "y"]  # the input's own column is kept
    assert got["gh_beat"].tolist()[0] == "223"
    # a street across several beats: approximate, no beat
    assert got["status"].tolist()[1] == "approximate" and got["gh_beat"].tolist()[1] == ""
    res = CliRunner().invoke(cli, ["geocode", str(inp), "-o", str(out), "--address-column", "nope"])
    # main() prints GeoHeartErrors as one "Error: ..." line with exit code 1
    from geo_heart.errors import InputError

    assert isinstance(res.exception, InputError) and "'nope'" in str(res.exception)
    assert "--address-column" in str(res.exception)


@pytest.mark.slow
def test_eval_beat_agreement(geocoder, data_dir):
    """Measure only: the 2025 incidents (never used to build anything)."""
    inc = pd.read_csv(data_dir / "incidents_2025_eval.csv", dtype=str, keep_default_na=False)
    res = geocoder.geocode_many(inc["ADDRESS2"])
    has = res["beat"].notna().to_numpy()
    agree = (res["beat"].to_numpy(object) == inc["BEAT"].str.strip().to_numpy(object))[has]
    assert has.mean() >= 0.97
    assert agree.mean() >= 0.95


@pytest.mark.slow
def test_eval_unseen_points(geocoder, workspace, data_dir):
    ev = pd.read_csv(data_dir / "address_points_eval.csv", dtype=str, keep_default_na=False)
    res = geocoder.geocode_many(ev["address"])
    has = res["lon"].notna().to_numpy()
    err = np.array(
        [
            _dist_m(a, b, float(c), float(d)) if h else np.nan
            for a, b, c, d, h in zip(res["lon"], res["lat"], ev["lon"], ev["lat"], has, strict=True)
        ]
    )
    assert has.mean() >= 0.80
    assert np.nanmedian(err) <= 60


def test_memo_is_bounded(workspace, monkeypatch):
    """A long-running service fed endless distinct addresses does not grow without limit."""
    import geo_heart.geocode.match as g

    geo = g.geocoder_for(workspace)
    monkeypatch.setattr(g, "MEMO_MAX_ENTRIES", 5)
    for n in range(20):
        geo.geocode_one(f"{100 + n} MORNING GLORY AVE")
    assert len(geo._memo) <= 5
    out = geo.geocode_many([f"{200 + n} MORNING GLORY AVE" for n in range(3)])
    assert len(out) == 3 and len(geo._memo) <= 5 + 3
    assert out["beat"].notna().all()
