"""Headless QGIS for the plugin and project tests (Debian's ``qgis`` and ``python3-qgis``;
``make qgis`` installs them). Tests skip when they are absent."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from qgis_support import qgis_process_bin, system_python_with_qgis  # noqa: F401

REPO = Path(__file__).resolve().parents[2]


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
