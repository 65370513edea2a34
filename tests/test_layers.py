"""The layers flow one way: the import-linter contract in pyproject.toml holds (as in ``make test``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    pytest.importorskip("importlinter")
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_import_contract_is_kept():
    res = _lint_imports(ROOT)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout and "KEPT" in res.stdout


def test_the_contract_orders_the_face_above_the_lower_layers():
    """The contract names the intended order, so an upward import (e.g. analysis → Area) breaks it."""
    text = (ROOT / "pyproject.toml").read_text()
    start = text.index("[[tool.importlinter.contracts]]")
    layers = [
        line.strip().strip('",')
        for line in text[start:].split("layers = [", 1)[1].split("]", 1)[0].splitlines()
        if line.strip()
    ]
    order = {name: i for i, layer in enumerate(layers) for name in layer.split(" | ")}
    face = order["geo_heart.area"]
    for lower in (
        "geo_heart.analysis",
        "geo_heart.dispatch",
        "geo_heart.geocode",
        "geo_heart.geo",
        "geo_heart.config",
    ):
        assert order[lower] > face, lower
    for upper in ("geo_heart.cli", "geo_heart.service"):
        assert order[upper] < face, upper


def test_an_upward_import_breaks_the_contract(tmp_path):
    """A lower layer importing the face (analysis → Area) is reported, naming the import."""
    import shutil

    shutil.copytree(
        ROOT / "geo_heart", tmp_path / "geo_heart", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    demand = tmp_path / "geo_heart" / "analysis" / "demand.py"
    demand.write_text(demand.read_text() + "\nfrom geo_heart.area import Area  # noqa: E402,F401\n")
    res = _lint_imports(tmp_path)
    assert res.returncode != 0
    assert "2 kept, 1 broken" in res.stdout
    assert "geo_heart.analysis.demand -> geo_heart.area" in res.stdout


def test_importing_the_qgis_plugin_breaks_a_contract(tmp_path):
    """geo_heart copies the QGIS plugin, never imports it (the plugin imports QGIS only)."""
    import shutil

    shutil.copytree(
        ROOT / "geo_heart", tmp_path / "geo_heart", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    cli = tmp_path / "geo_heart" / "cli" / "qgis.py"
    cli.write_text(
        cli.read_text()
        + "\nimport geo_heart.qgis_plugin.geo_heart_provider.provider  # noqa: E402,F401\n"
    )
    res = _lint_imports(tmp_path)
    assert res.returncode != 0
    assert "geo_heart never imports the QGIS plugin BROKEN" in res.stdout
