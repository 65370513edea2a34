"""``geo-heart qgis install``: copy the Processing provider plugin into a QGIS profile and enable it.

The plugin is the folder ``geo_heart/qgis_plugin/geo_heart_provider`` (found as package data;
never imported here). Enabling it is the line ``geo_heart_provider=true`` in the profile's
``QGIS/QGIS3.ini`` ``[PythonPlugins]`` section; the executable the plugin runs is written as its
Processing setting (``[Processing] Configuration\\GEO_HEART_EXECUTABLE``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from geo_heart.cli.options import emit_json, json_option, pass_ctx

PLUGIN = "geo_heart_provider"


def default_profile() -> Path:
    """QGIS 3's default profile folder on this platform."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "QGIS" / "QGIS3" / "profiles" / "default"


def plugin_source() -> Path:
    """The plugin folder inside the installed package (read as files, not imported)."""
    from importlib.resources import files

    return Path(str(files("geo_heart") / "qgis_plugin" / PLUGIN))


def set_ini(text: str, section: str, key: str, value: str) -> str:
    """``text`` (a Qt INI file) with ``key=value`` in ``[section]``; every other line kept."""
    lines = text.splitlines()
    head = f"[{section}]"
    try:
        start = next(i for i, ln in enumerate(lines) if ln.strip() == head)
    except StopIteration:
        if lines and lines[-1].strip():
            lines.append("")
        return "\n".join([*lines, head, f"{key}={value}"]) + "\n"
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("[")), len(lines)
    )
    for i in range(start + 1, end):
        if lines[i].split("=", 1)[0].strip() == key:
            lines[i] = f"{key}={value}"
            return "\n".join(lines) + "\n"
    at = end
    while at > start + 1 and not lines[at - 1].strip():
        at -= 1
    lines.insert(at, f"{key}={value}")
    return "\n".join(lines) + "\n"


def install_plugin(profile: Path, executable: str | None) -> dict:
    """Copy the plugin into ``profile`` and enable it; returns what was done."""
    import shutil

    src = plugin_source()
    if not (src / "metadata.txt").is_file():
        from geo_heart.errors import DataSourceError

        raise DataSourceError(f"the QGIS plugin is missing from this install ({src})")
    target = profile / "python" / "plugins" / PLUGIN
    try:
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        ini = profile / "QGIS" / "QGIS3.ini"
        ini.parent.mkdir(parents=True, exist_ok=True)
        text = ini.read_text(encoding="utf-8") if ini.is_file() else ""
        text = set_ini(text, "PythonPlugins", PLUGIN, "true")
        if executable:
            text = set_ini(text, "Processing", "Configuration\\GEO_HEART_EXECUTABLE", executable)
        ini.write_text(text, encoding="utf-8")
    except OSError as exc:
        from geo_heart.io.files import write_error

        raise write_error(profile, exc) from None
    return {"plugin": str(target), "ini": str(ini), "executable": executable}


def _this_executable() -> str | None:
    """The ``geo-heart`` script running now (its absolute path), else the one on PATH."""
    import shutil

    me = Path(sys.argv[0])
    if me.name.startswith("geo-heart") and me.is_file():
        return str(me.resolve())
    return shutil.which("geo-heart")


@click.group()
def qgis() -> None:
    """geo-heart inside QGIS: a Processing provider (docs/qgis.md)."""


@qgis.command()
@click.option(
    "--profile",
    type=click.Path(file_okay=False),
    help="QGIS profile folder (default: QGIS 3's 'default' profile of this user).",
)
@click.option(
    "--executable",
    metavar="PATH",
    help="geo-heart command the plugin runs (default: this geo-heart; a Processing setting).",
)
@json_option
@pass_ctx
def install(obj, profile, executable, as_json) -> None:
    """Copy the geo-heart Processing provider into a QGIS profile and enable it.

    Then QGIS's Processing Toolbox (and qgis_process list) shows geo_heart:geocode, assign,
    lookup, demand, coverage and equity. Restart QGIS after installing.

    \b
    Example:
      geo-heart qgis install
      geo-heart qgis install --profile ~/.local/share/QGIS/QGIS3/profiles/planning
    """
    where = Path(profile).expanduser() if profile else default_profile()
    done = install_plugin(where, executable or _this_executable())
    if as_json:
        emit_json(done)
        return
    obj.say(
        f"installed the geo-heart Processing provider in {done['plugin']} (enabled in {done['ini']})"
    )
    obj.say(f"it runs {done['executable'] or 'geo-heart (from PATH)'}; restart QGIS to load it")
