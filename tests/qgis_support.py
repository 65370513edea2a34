"""Finding Debian's QGIS for the QGIS tests (a plain module: ``conftest`` names clash across
folders when imported by name)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


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
