"""Shared fixtures.

Two kinds of test:

- **unit tests** use the toy area in ``tests/data/toy`` (four synthetic beats, a few dozen address
  points and calls, its own ``toy.toml``) or data made inside the test; they run in seconds;
- **integration tests** read the real Durham files from ``../shared/data/durham`` (never copied). Any
  test that uses the ``data_dir``, ``settings``, ``workspace`` or ``cli_env`` fixture is marked
  ``integration`` and ``slow`` automatically, so ``pytest -m "not slow and not browser"`` is the fast
  unit subset.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("GEO_HEART_TEST_DATA", ROOT.parent / "shared" / "data" / "durham"))
if not DATA_DIR.is_dir() and os.environ.get("GEO_HEART_DATA"):  # e.g. a git worktree elsewhere
    DATA_DIR = Path(os.environ["GEO_HEART_DATA"])
TOY_DIR = Path(__file__).resolve().parent / "data" / "toy"

#: fixtures that read the real Durham data
DURHAM_FIXTURES = {"data_dir", "settings", "workspace", "cli_env"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if DURHAM_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The Durham data folder; the suite fails loudly if it is missing (CI has it beside the repo)."""
    assert DATA_DIR.is_dir(), f"expected the Durham data in {DATA_DIR}"
    return DATA_DIR


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """One cache folder for the whole test session (indexes are built once)."""
    return tmp_path_factory.mktemp("geo-heart-cache")


@pytest.fixture(scope="session")
def settings(data_dir, cache_dir):
    from geo_heart.config.settings import Settings

    return Settings(data_dir=data_dir, area="durham", cache_dir=cache_dir)


@pytest.fixture(scope="session")
def workspace(settings):
    """The Durham area (configuration + indexes), shared by the session."""
    from geo_heart.area import Area

    return Area.from_settings(settings)


@pytest.fixture()
def cli_env(data_dir, cache_dir, monkeypatch):
    """Environment for CliRunner invocations against the Durham data."""
    monkeypatch.setenv("GEO_HEART_DATA", str(data_dir))
    monkeypatch.setenv("GEO_HEART_CACHE", str(cache_dir))
    monkeypatch.delenv("GEO_HEART_AREA", raising=False)
    return {"GEO_HEART_DATA": str(data_dir), "GEO_HEART_CACHE": str(cache_dir)}


# ---------------------------------------------------------------------------------------- toy area
@pytest.fixture(scope="session")
def toy_dir() -> Path:
    """Folder of the toy area: ``toy.toml`` and its synthetic data files."""
    return TOY_DIR


@pytest.fixture(scope="session")
def toy(tmp_path_factory):
    """The toy area (``tests/data/toy/toy.toml``) with its own cache folder."""
    from geo_heart.area import Area

    return Area.load(
        TOY_DIR / "toy.toml", data_dir=TOY_DIR, cache_dir=tmp_path_factory.mktemp("toy-cache")
    )


@pytest.fixture()
def toy_env(toy, monkeypatch):
    """Environment for CliRunner invocations against the toy area."""
    env = {
        "GEO_HEART_DATA": str(TOY_DIR),
        "GEO_HEART_AREA": str(TOY_DIR / "toy.toml"),
        "GEO_HEART_CACHE": str(toy.settings.cache_dir),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


# ------------------------------------------------------------------- toy area with census tracts
EQUITY_TOML = """
[layers.population]
file = "tracts.geojson"
population_field = "pop"

[layers.tracts]
file = "tracts.geojson"
geoid_field = "GEOID"

[equity]
fields = ["median_income"]
need_field = "pct_poor"
bootstrap = 200

[equity.groups.all]
field = "pop"

[equity.groups.black]
label = "Black residents"
field = "black"

[equity.groups.hh_no_car]
field = "hh_no_car"
universe = "households"
"""


def _square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _tracts() -> dict:
    # Tract A covers beat 11, 21, the left half of the Sheriff's beat 99 and half of 12 and 22;
    # tract B the rest, including land outside every beat (x > -99.975 or beside beat 22's tail).
    feats = [
        ("A", _square(-100.0, 39.99, -99.985, 40.02), 3000, 1000, 90, 40000, 10.0),
        ("B", _square(-99.985, 39.99, -99.975, 40.02), 1000, 100, 10, 60000, 4.0),
    ]
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "GEOID": g,
                    "pop": p,
                    "black": b,
                    "hh_no_car": h,
                    "median_income": m,
                    "pct_poor": n,
                },
                "geometry": geom,
            }
            for g, geom, p, b, h, m, n in feats
        ],
    }


@pytest.fixture(scope="session")
def town(toy_dir, tmp_path_factory):
    """The toy area plus two census tracts (A, B) and an [equity] section (tests of equity)."""
    import json
    import shutil

    from geo_heart.area import Area

    d = tmp_path_factory.mktemp("equity-town")
    for f in toy_dir.iterdir():
        if f.is_file():
            shutil.copy(f, d / f.name)
    (d / "toy.toml").write_text((toy_dir / "toy.toml").read_text() + EQUITY_TOML)
    (d / "tracts.geojson").write_text(json.dumps(_tracts()))
    return Area.load(d / "toy.toml", data_dir=d, cache_dir=d / "cache")


# ------------------------------------------------------------------------------------ browser tests
#: Debian's headless Chromium (a test-only package; ``make test`` installs it)
CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).exists()),
    None,
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """A Playwright Chromium browser per test module (skips when Chromium is not installed)."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary (apt-get install -y chromium) - browser test not run")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
