"""A built wheel works outside the checkout: installed in a clean virtualenv and run from another
folder, it finds its default area (shipped inside the package) and answers a lookup.

Slow: builds the wheel (pip, build isolation) and a virtualenv. The virtualenv reuses this
interpreter's installed dependencies through a ``.pth`` line (so nothing is downloaded) and gets
the wheel itself with ``--no-deps``; the checkout is never on its path.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: what a source distribution of the project holds (the wheel is built from a copy of these)
SOURCES = (
    "geo_heart",
    "boundaries",
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "LICENSE",
    "README.md",
)


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert res.returncode == 0, f"{cmd}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def _has_build_backend() -> bool:
    """True when this environment has setuptools >= 77 (the backend pyproject.toml asks for)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        major = int(version("setuptools").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return False
    return major >= 77


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(p, src / name)
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)]
    if _has_build_backend():  # build offline with this environment's setuptools
        cmd.insert(4, "--no-build-isolation")
    _run(cmd)
    (whl,) = out.glob("geo_heart-*.whl")
    return whl


def test_wheel_ships_area_files_licence_and_extras(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = z.read(meta).decode()
    shipped = {Path(n).name for n in names if n.startswith("geo_heart/areas/")}
    expected = {p.name for p in (ROOT / "boundaries").iterdir() if not p.name.startswith(".")}
    assert "durham.toml" in expected and expected <= shipped
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in metadata
    for extra in ("service", "planning", "maps", "dask", "test"):
        assert f"Provides-Extra: {extra}" in metadata
    core = [
        line
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    for planner in ("fastapi", "folium", "pulp", "libpysal", "esda", "simpy", "matplotlib"):
        assert not any(planner in line for line in core), planner


def test_installed_wheel_answers_a_lookup_from_another_folder(wheel, data_dir, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    purelib = _run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip()
    # the dependencies come from this interpreter's site-packages (a plain path: its .pth files,
    # such as an editable install of the checkout, are not run)
    Path(purelib, "_geo_heart_test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            # the checkout's editable install is on the borrowed path: pip would call the
            # wheel already installed and skip it
            "--ignore-installed",
            str(wheel),
        ]
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GEO_HEART_"))}
    env.update(GEO_HEART_DATA=str(data_dir), GEO_HEART_CACHE=str(tmp_path / "cache"))
    where = _run(
        [str(py), "-c", "import geo_heart; print(geo_heart.__file__)"], cwd=elsewhere, env=env
    )
    assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout

    exe = env_dir / ("Scripts" if os.name == "nt" else "bin") / "geo-heart"
    res = _run(
        [
            str(exe),
            "lookup",
            "--lon",
            "-78.8898",
            "--lat",
            "35.9892",
            "--call-type",
            "MENTAL HE",
            "--at",
            "2024-06-03T10:00",
            "--json",
        ],
        cwd=elsewhere,
        env=env,
    )
    answer = json.loads(res.stdout)
    assert answer["beat"] == "513"
    assert answer["programs"] == ["CCD", "CRT"] and answer["in_service_area"] is True
    assert not (elsewhere / "boundaries").exists()
