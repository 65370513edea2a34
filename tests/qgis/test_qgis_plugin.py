"""The QGIS Processing provider: install, list, and ``geo_heart:assign`` = the CLI's beats."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from qgis_support import qgis_process_bin

from geo_heart.cli.qgis import PLUGIN, install_plugin, set_ini

ALGORITHMS = ["assign", "coverage", "demand", "equity", "geocode", "lookup"]


def test_set_ini_keeps_other_lines():
    text = (
        "[General]\na=1\n\n[PythonPlugins]\nprocessing=true\ngeo_heart_provider=false\n\n[X]\nb=2\n"
    )
    got = set_ini(text, "PythonPlugins", "geo_heart_provider", "true")
    assert "geo_heart_provider=true" in got and "geo_heart_provider=false" not in got
    assert "processing=true" in got and "[X]\nb=2" in got and "[General]\na=1" in got
    new = set_ini("", "Processing", "Configuration\\GEO_HEART_EXECUTABLE", "/x/geo-heart")
    assert new == "[Processing]\nConfiguration\\GEO_HEART_EXECUTABLE=/x/geo-heart\n"
    added = set_ini("[PythonPlugins]\nprocessing=true\n\n[X]\nb=2\n", "PythonPlugins", "k", "v")
    assert added.splitlines()[:3] == ["[PythonPlugins]", "processing=true", "k=v"]


def test_install_copies_plugin_and_enables_it(tmp_path, capsys):
    from geo_heart.cli.main import main

    profile = tmp_path / "profile"
    with pytest.raises(SystemExit) as info:
        main(["qgis", "install", "--profile", str(profile), "--executable", "/opt/gh", "--json"])
    assert info.value.code == 0, capsys.readouterr().err
    done = json.loads(capsys.readouterr().out)
    plugin = profile / "python" / "plugins" / PLUGIN
    assert done["plugin"] == str(plugin)
    assert (plugin / "metadata.txt").read_text().count("hasProcessingProvider=yes") == 1
    assert {p.name for p in plugin.glob("*.py")} >= {"__init__.py", "provider.py", "algorithms.py"}
    assert (plugin / "styles" / "batch_points.qml").is_file()
    ini = (profile / "QGIS" / "QGIS3.ini").read_text()
    assert "[PythonPlugins]\ngeo_heart_provider=true" in ini
    assert "Configuration\\GEO_HEART_EXECUTABLE=/opt/gh" in ini
    install_plugin(profile, None)  # again: replaced, still one line
    assert (profile / "QGIS" / "QGIS3.ini").read_text().count("geo_heart_provider=true") == 1


def _qgis(env, *args, timeout=600):
    exe = qgis_process_bin()
    return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_qgis_process_lists_and_assigns_like_the_cli(qgis_home, toy_dir, toy, tmp_path):
    if qgis_process_bin() is None:
        pytest.skip("QGIS is not installed (make qgis)")
    env = qgis_home["env"]
    install_plugin(qgis_home["profile"], qgis_home["exe"])
    listed = _qgis(env, "list")
    assert listed.returncode == 0, listed.stderr
    for name in ALGORITHMS:
        assert f"geo_heart:{name}" in listed.stdout
    # points over the toy town (and one outside it, one invalid)
    rng = np.random.default_rng(7)
    n = 40
    pts = pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "lon": np.round(rng.uniform(-100.001, -99.974, n), 6).astype(str).astype(object),
            "lat": np.round(rng.uniform(39.989, 40.021, n), 6),
        }
    )
    pts.loc[n - 1, "lon"] = "x"
    src = tmp_path / "pts.csv"
    pts.to_csv(src, index=False)
    area = ["AREA=" + str(toy_dir / "toy.toml"), "DATA=" + str(toy_dir)]
    out = tmp_path / "q.gpkg"
    run = _qgis(env, "run", "geo_heart:assign", "--", f"INPUT={src}", f"OUTPUT={out}", *area)
    assert run.returncode == 0, run.stdout + run.stderr
    import geopandas as gpd

    got = gpd.read_file(out)
    cli = toy.assign(pd.read_csv(src, dtype=str), census=False)
    assert len(got) == n
    assert got["id"].tolist() == pts["id"].tolist()
    assert got["beat"].tolist() == cli["beat"].tolist()
    assert got["status"].tolist() == cli["status"].tolist()
    assert got["beat"].notna().sum() >= 20 and got["beat"].nunique() >= 4
    # a point layer in: the geometry is used, same beats
    layer = tmp_path / "pts.gpkg"
    good = pts.iloc[: n - 1].astype({"lon": float, "lat": float})
    gpd.GeoDataFrame(
        good[["id"]], geometry=gpd.points_from_xy(good.lon, good.lat), crs="EPSG:4326"
    ).to_crs("EPSG:32614").to_file(layer)
    out2 = tmp_path / "q2.gpkg"
    run = _qgis(env, "run", "geo_heart:assign", "--", f"INPUT={layer}", f"OUTPUT={out2}", *area)
    assert run.returncode == 0, run.stdout + run.stderr
    assert gpd.read_file(out2)["beat"].tolist() == cli["beat"].tolist()[: n - 1]
    # lookup of a point (given in the layer's CRS, here UTM 14N): the answer as a one-feature layer
    import pyproj

    x, y = pyproj.Transformer.from_crs(4326, 32614, always_xy=True).transform(-99.995, 40.005)
    out3 = tmp_path / "answer.gpkg"
    run = _qgis(env, "run", "geo_heart:lookup", "--", f"POINT={x},{y} [EPSG:32614]",
                "CALL_TYPE=TRESPASS", f"OUTPUT={out3}", *area)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    answer = gpd.read_file(out3)
    assert answer["beat"].tolist() == ["11"] and answer["status"].tolist() == ["ok"]
    assert abs(answer.geometry.x[0] + 99.995) < 1e-6 and abs(answer.geometry.y[0] - 40.005) < 1e-6
