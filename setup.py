"""Build hook: ship the area files of ``boundaries/`` inside the package as ``geo_heart/areas/``.

All metadata is in ``pyproject.toml``. ``boundaries/`` stays the one place area files are edited
(the README and the tests name ``boundaries/durham.toml``); building a wheel copies every file in
it (area files and the files they name beside them, such as a places list) into the package, so an
installed copy finds ``--area durham`` from any folder
(``geo_heart.config.settings.builtin_areas_dirs``). A source checkout reads ``boundaries/`` itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class build_py_with_areas(build_py):  # noqa: N801 (setuptools command naming)
    """``build_py`` that also copies ``boundaries/`` into ``<build>/geo_heart/areas/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads boundaries/ of the checkout directly
        source = ROOT / "boundaries"
        files = sorted(f for f in source.iterdir() if f.is_file() and not f.name.startswith("."))
        if not any(f.suffix == ".toml" for f in files):
            raise SystemExit(f"no area files in {source}: the wheel would have no default area")
        target = Path(self.build_lib) / "geo_heart" / "areas"
        target.mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copy2(f, target / f.name)


setup(cmdclass={"build_py": build_py_with_areas})
