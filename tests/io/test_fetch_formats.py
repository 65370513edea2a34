"""`data fetch` for the optional reference layers (TIGER/Line, OSM) from a loopback HTTP server;
what an area file names is not trusted (issue 30 #12)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from http_support import serve_folder

from geo_heart.cli.main import cli
from geo_heart.config.areafile import load_area
from geo_heart.io.fetch import download_url

REPO = Path(__file__).resolve().parents[2]


def test_durham_knows_the_official_reference_urls():
    layers = load_area(REPO / "boundaries" / "durham.toml").layers
    want = {
        "tiger_addrfeat": "https://www2.census.gov/geo/tiger/TIGER2024/ADDRFEAT/tl_2024_37063_addrfeat.zip",
        "tiger_edges": "https://www2.census.gov/geo/tiger/TIGER2024/EDGES/tl_2024_37063_edges.zip",
        "osm": "https://download.geofabrik.de/north-america/us/north-carolina-latest.osm.pbf",
    }
    for role, url in want.items():
        assert layers[role]["optional"] is True
        assert download_url(layers[role]) == url
    # a source_url that is a portal page is documentation, not a download address
    assert download_url(layers["address_points"]) is None
    assert download_url(layers["population"]) is None


def test_fetch_optional_layers_from_http_urls(tmp_path, toy_dir):
    official = tmp_path / "official"
    official.mkdir()
    (official / "tl_2024_99001_edges.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (official / "toy-latest.osm.pbf").write_bytes(b"\0\0\0\x0dsome pbf bytes")
    with serve_folder(official) as url:
        _fetch_optional(tmp_path, toy_dir, official, url)


def _fetch_optional(tmp_path, toy_dir, official, url):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(toy_dir / "beats.geojson", data / "beats.geojson")
    shutil.copy(toy_dir / "address_points.csv", data / "address_points.csv")
    area = tmp_path / "area.toml"
    text = (toy_dir / "toy.toml").read_text(encoding="utf-8")
    text = (
        text.split("[layers.calls]")[0]
        + f"""
[layers.tiger_edges]
file = "tl_2024_99001_edges.zip"
source_url = "{url}/tl_2024_99001_edges.zip"
optional = true

[layers.osm]
file = "toy-latest.osm.pbf"
source_url = "{url}/toy-latest.osm.pbf"
optional = true
"""
    )
    area.write_text(text, encoding="utf-8")
    base = ["--data", str(data), "--area", str(area), "--cache", str(tmp_path / "c")]
    # absent optional layers do not make `data check` fail
    r = CliRunner().invoke(cli, [*base, "data", "check", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["missing"] == 0 and out["optional_missing"] == 2
    # a plain fetch leaves the optional layers alone; --layer or --all downloads them
    r = CliRunner().invoke(cli, [*base, "data", "fetch"])
    assert r.exit_code == 0, r.output
    assert "optional (not asked for)" in r.output and not (data / "toy-latest.osm.pbf").exists()
    r = CliRunner().invoke(cli, [*base, "data", "fetch", "--layer", "tiger_edges"])
    assert r.exit_code == 0 and "downloaded" in r.output
    assert (data / "tl_2024_99001_edges.zip").read_bytes() == (
        official / "tl_2024_99001_edges.zip"
    ).read_bytes()
    r = CliRunner().invoke(cli, [*base, "data", "fetch", "--all", "--json"])
    outcomes = {d["role"]: d["outcome"] for d in json.loads(r.output)["layers"]}
    assert outcomes["osm"] == "downloaded" and outcomes["tiger_edges"] == "present"
    assert (data / "toy-latest.osm.pbf").stat().st_size > 0
