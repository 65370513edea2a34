"""Shared fixtures. The real Durham files are read from ../shared/data/durham (never copied)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("GEO_HEART_TEST_DATA", ROOT.parent / "shared" / "data" / "durham"))


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
    """The Durham workspace (area config + beat index), shared by the session."""
    from geo_heart.area import Area

    return Area.from_settings(settings)


@pytest.fixture()
def cli_env(data_dir, cache_dir, monkeypatch):
    """Environment for CliRunner invocations against the Durham data."""
    monkeypatch.setenv("GEO_HEART_DATA", str(data_dir))
    monkeypatch.setenv("GEO_HEART_CACHE", str(cache_dir))
    monkeypatch.delenv("GEO_HEART_AREA", raising=False)
    return {"GEO_HEART_DATA": str(data_dir), "GEO_HEART_CACHE": str(cache_dir)}
