"""Area files are found by name: your own folder first, then boundaries/ or the installed package."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from geo_heart.cli.main import cli
from geo_heart.config.settings import (
    Settings,
    area_search_path,
    builtin_areas_dirs,
    resolve_area_file,
)
from geo_heart.errors import ConfigError, MissingExtraError, missing_extra, require_extra


@pytest.fixture()
def own_areas(tmp_path, toy_dir, monkeypatch):
    """A user's own areas folder holding the toy area as ``toyville.toml``."""
    monkeypatch.delenv("GEO_HEART_AREAS", raising=False)
    monkeypatch.delenv("GEO_HEART_BOUNDARIES", raising=False)
    folder = tmp_path / "my_areas"
    folder.mkdir()
    shutil.copy(toy_dir / "toy.toml", folder / "toyville.toml")
    return folder


def test_the_default_area_comes_with_geo_heart(monkeypatch):
    monkeypatch.delenv("GEO_HEART_AREAS", raising=False)
    monkeypatch.delenv("GEO_HEART_BOUNDARIES", raising=False)
    builtin = builtin_areas_dirs()
    assert builtin, "no area folder shipped with the package or the checkout"
    found = resolve_area_file("durham")
    assert found.parent in builtin and found.name == "durham.toml"


def test_own_folder_is_searched_first_and_by_name(own_areas, monkeypatch):
    assert resolve_area_file("toyville", areas_dir=own_areas) == own_areas / "toyville.toml"
    assert Settings(area="toyville", areas_dir=own_areas).area_file == own_areas / "toyville.toml"
    # a file in the own folder shadows the shipped one of the same name
    shutil.copy(own_areas / "toyville.toml", own_areas / "durham.toml")
    assert resolve_area_file("durham", areas_dir=own_areas) == own_areas / "durham.toml"
    # the environment variable sets the same folder; the shipped areas are still found after it
    monkeypatch.setenv("GEO_HEART_AREAS", str(own_areas))
    assert area_search_path()[0] == own_areas
    assert Settings(area="toyville").area_file == own_areas / "toyville.toml"
    (own_areas / "durham.toml").unlink()
    assert resolve_area_file("durham").parent in builtin_areas_dirs()


def test_unknown_area_and_missing_folder_name_what_was_searched(own_areas, tmp_path):
    with pytest.raises(
        ConfigError, match=r"unknown area 'atlantis'.*known areas: .*'durham'.*'toyville'"
    ):
        resolve_area_file("atlantis", areas_dir=own_areas)
    with pytest.raises(ConfigError, match=r"areas folder .*nowhere.* does not exist"):
        resolve_area_file("durham", areas_dir=tmp_path / "nowhere")


def test_cli_areas_dir_option(own_areas, toy_dir, tmp_path):
    env = {"GEO_HEART_DATA": str(toy_dir), "GEO_HEART_CACHE": str(tmp_path / "cache")}
    res = CliRunner().invoke(
        cli, ["--areas-dir", str(own_areas), "--area", "toyville", "beats"], env=env
    )
    assert res.exit_code == 0, res.output
    res_env = CliRunner().invoke(
        cli, ["--area", "toyville", "beats"], env={**env, "GEO_HEART_AREAS": str(own_areas)}
    )
    assert res_env.exit_code == 0 and res_env.output == res.output


def test_missing_extra_is_named_in_one_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a, **k: None if name == "pulp" else real(name, *a, **k),
    )
    with pytest.raises(MissingExtraError, match=r"'pulp'.*pip install 'geo-heart\[planning\]'"):
        require_extra("planning")
    require_extra("maps")  # everything of [maps] is installed here
    err = missing_extra(ModuleNotFoundError("No module named 'folium'", name="folium"))
    assert "geo-heart[maps]" in str(err)
    assert missing_extra(ModuleNotFoundError("x", name="not_an_extra")) is None


def test_cli_command_without_its_extra_says_which_to_install(monkeypatch, tmp_path, capsys):
    import importlib.util

    from geo_heart.cli.main import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a, **k: None if name == "uvicorn" else real(name, *a, **k),
    )
    monkeypatch.setenv("GEO_HEART_CACHE", str(tmp_path))
    with pytest.raises(SystemExit) as exc:
        main(["serve"])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "Error: this needs the optional package 'uvicorn', which is not installed: "
        "pip install 'geo-heart[service]'"
    )
