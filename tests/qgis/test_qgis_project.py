"""The QGIS project ``map`` writes: relative GeoPackage layers, styled; opened by headless QGIS."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from qgis_support import system_python_with_qgis


@pytest.fixture(scope="module")
def toy_maps(toy, tmp_path_factory):
    """beats.gpkg as ``map`` writes it (demand by beat and hot spots, styled) and the project."""
    import pandas as pd

    from geo_heart.io.vector import write_beat_layers
    from geo_heart.render.qgis_project import write_qgis_project
    from geo_heart.render.styles import beat_layer_styles

    out = tmp_path_factory.mktemp("maps")
    beats = toy.beat_index.beats
    table = pd.DataFrame(
        {"beat": beats, "eligible_any": [10.0 * (i + 1) for i in range(len(beats))]}
    )
    hot = table[["beat"]].assign(hotspot=["hot 95%"] + ["not significant"] * (len(table) - 1))
    tables = {"demand_by_beat": table, "hotspots_beats": hot}
    styles = beat_layer_styles(toy, tables, metric="count")
    write_beat_layers(toy, tables, out / "beats.gpkg", styles=styles)
    return out, write_qgis_project(toy, out, styles=styles)


def test_project_xml_references_layers_beside_it(toy_maps):
    out, qgz = toy_maps
    assert qgz == out / "geo_heart.qgz"
    with zipfile.ZipFile(qgz) as z:
        assert z.namelist() == ["geo_heart.qgs"]
        root = ElementTree.fromstring(z.read("geo_heart.qgs"))
    sources = [e.text for e in root.iter("datasource")]
    assert sources == [
        "./beats.gpkg|layername=service_areas",
        "./beats.gpkg|layername=beats",
        "./beats.gpkg|layername=demand_by_beat",
        "./beats.gpkg|layername=hotspots_beats",
    ]
    assert root.find("properties/Paths/Absolute").text == "false"
    kinds = [e.get("type") for e in root.iter("renderer-v2")]
    assert kinds[:4] == ["RuleRenderer", "singleSymbol", "graduatedSymbol", "categorizedSymbol"]
    assert root.find("projectCrs/spatialrefsys/authid").text == "EPSG:32614"
    import geopandas as gpd

    sa = gpd.read_file(out / "beats.gpkg", layer="service_areas")
    assert sorted(sa["key"]) == ["citywide", "pilot"]
    assert sa.set_index("key").loc["pilot", "beats"] == 1  # the toy pilot is beat 11


@pytest.mark.slow
def test_project_opens_and_renders_in_qgis(toy_maps, qgis_home, tmp_path):
    py = system_python_with_qgis()
    if py is None:
        pytest.skip("python3-qgis is not installed (make qgis)")
    out, qgz = toy_maps
    moved = tmp_path / "moved"  # relative paths: the folder moves whole
    moved.mkdir()
    for name in ("geo_heart.qgz", "beats.gpkg"):
        (moved / name).write_bytes((out / name).read_bytes())
    png = tmp_path / "project.png"
    run = subprocess.run(
        [py, str(Path(__file__).with_name("render_qgz.py")), str(moved / "geo_heart.qgz"),
         str(png)],
        env=qgis_home["env"], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["read"] is True and got["crs"] == "EPSG:32614"
    layers = got["layers"]
    assert list(layers) == ["Service areas", "Beats", "Eligible demand by beat", "Hot spots (Gi*)"]
    for v in layers.values():
        assert v["valid"] and v["source"].startswith(str(moved))
    assert layers["Beats"]["features"] == 5
    assert layers["Eligible demand by beat"]["renderer"] == "graduatedSymbol"
    assert layers["Hot spots (Gi*)"]["visible"] is False
    x0, y0, x1, y1 = got["view"]
    assert x1 > x0 and y1 > y0 and 400_000 < x0 < 500_000  # UTM 14N metres around -100°
    from PIL import Image

    img = Image.open(png).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20)
    drawn = sum(n for n, c in colours if c != (255, 255, 255))
    assert drawn > 0.2 * img.width * img.height  # the beats fill the view
    assert len({c for n, c in colours if n > 200}) >= 3  # classes in several colours
