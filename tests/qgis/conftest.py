"""Headless QGIS for the plugin and project tests (Debian's ``qgis`` and ``python3-qgis``;
``make qgis`` installs them). Tests skip when they are absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def qgis_process_bin() -> str | None:
    """``qgis_process.bin``: Debian's ``qgis_process`` wrapper adds ``--noversioncheck``, which
    qgis_process 3.22 refuses, so the binary itself is run."""
    return shutil.which("qgis_process.bin") or (
        "/usr/bin/qgis_process.bin" if os.path.exists("/usr/bin/qgis_process.bin") else None
    )


def system_python_with_qgis() -> str | None:
    """A Python that imports ``qgis.core`` (Debian's python3 with python3-qgis)."""
    for py in ("/usr/bin/python3", shutil.which("python3")):
        if py and os.path.exists(py):
            ok = subprocess.run(
                [py, "-c", "import qgis.core"], capture_output=True,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120,
            )  # fmt: skip
            if ok.returncode == 0:
                return py
    return None


@pytest.fixture()
def qgis_home(tmp_path):
    """A throw-away HOME (so a throw-away QGIS profile) and a ``geo-heart`` that runs this
    checkout's code with this interpreter."""
    home = tmp_path / "home"
    (home / ".local" / "share").mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "geo-heart"
    exe.write_text(
        f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" -m geo_heart.cli.main "$@"\n'
    )
    exe.chmod(0o755)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "QT_QPA_PLATFORM": "offscreen",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    (tmp_path / "run").mkdir(mode=0o700)
    env.pop("PYTHONPATH", None)
    profile = home / ".local" / "share" / "QGIS" / "QGIS3" / "profiles" / "default"
    return {"env": env, "exe": str(exe), "profile": profile, "tmp": tmp_path}
