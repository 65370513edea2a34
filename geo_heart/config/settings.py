"""Settings: where data, area configuration and caches live.

Every setting has a default, an environment variable and (in the CLI) an option; the option wins over
the environment variable, which wins over the default.

========================  ==========================  =================================================
setting                   environment variable        default
========================  ==========================  =================================================
data folder               ``GEO_HEART_DATA``          the area file's ``[area] data_dir`` if that
                                                      folder exists (see below), else ``./data``
area configuration        ``GEO_HEART_AREA``          ``durham`` (the area file shipped in the package)
your own areas folder     ``GEO_HEART_AREAS``         none (``GEO_HEART_BOUNDARIES`` is an older name)
cache folder              ``GEO_HEART_CACHE``         ``$XDG_CACHE_HOME/geo-heart`` (``~/.cache/geo-heart``)
map output folder         ``GEO_HEART_MAPS``          ``maps``
========================  ==========================  =================================================

``--area`` takes either a name or a path to a TOML file, so another city brings its own configuration
without touching code. A name is looked up as ``<name>.toml`` in, first to last: your own areas folder
(``--areas-dir`` / ``GEO_HEART_AREAS``), the ``boundaries/`` folder of a source checkout, and the area
files shipped inside the installed package (``geo_heart/areas/``, copied from ``boundaries/`` when the
wheel is built), so ``--area durham`` works from any folder.

**The data folder, in order:** ``--data`` (or ``Settings(data_dir=...)``), then ``GEO_HEART_DATA``,
then the area file's own default ``[area] data_dir`` when that folder exists, then ``./data``. A
relative ``data_dir`` is tried against (1) the working directory, (2) the folder above the area
file's folder (the project, when area files live in ``boundaries/``) and (3) the source checkout;
the first that exists wins. So ``--area portland`` alone finds ``../shared/data/portland``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from geo_heart.errors import ConfigError

#: The checkout root when geo-heart runs from source (``pip install -e .``).
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def area_data_dir(area_file: Path) -> Path | None:
    """The existing folder an area file names as its default data (``[area] data_dir``), or None.

    Only that one key is read (the file is validated elsewhere); a file that cannot be read
    gives None here and a clear error where it is loaded.
    """
    from geo_heart.config.safe_files import MAX_AREA_FILE_BYTES, read_limited
    from geo_heart.config.schema import tomllib

    try:
        data = read_limited(area_file, max_bytes=MAX_AREA_FILE_BYTES, what="area file")
        raw = tomllib.loads(data.decode("utf-8"))
    except (ConfigError, UnicodeDecodeError, RecursionError, ValueError):
        return None
    value = (raw.get("area") or {}).get("data_dir") if isinstance(raw.get("area"), dict) else None
    if not isinstance(value, str) or not value.strip():
        return None
    p = Path(value).expanduser()
    if p.is_absolute():
        return p if p.is_dir() else None
    for base in (Path.cwd(), Path(area_file).resolve().parent.parent, _SOURCE_ROOT):
        candidate = (base / p).resolve()
        if candidate.is_dir():
            return candidate
    return None


def default_data_dir(area: str | None = None, *, areas_dir: Path | None = None) -> Path:
    """Return the data folder when none is given (see module docstring)."""
    env = os.environ.get("GEO_HEART_DATA")
    if env:
        return Path(env).expanduser()
    if area is not None:
        try:
            found = area_data_dir(resolve_area_file(area, areas_dir=areas_dir))
        except ConfigError:
            found = None
        if found is not None:
            return found
    return Path.cwd() / "data"


def default_areas_dir() -> Path | None:
    """Your own folder of area files (``GEO_HEART_AREAS``, or its older name ``GEO_HEART_BOUNDARIES``)."""
    env = os.environ.get("GEO_HEART_AREAS") or os.environ.get("GEO_HEART_BOUNDARIES")
    return Path(env).expanduser() if env else None


def builtin_areas_dirs() -> list[Path]:
    """The folders of area files that come with geo-heart, first match wins.

    ``boundaries/`` of a source checkout (``pip install -e .`` or ``PYTHONPATH``), then
    ``geo_heart/areas/`` inside an installed wheel (the build copies ``boundaries/`` there).
    """
    dirs = [_SOURCE_ROOT / "boundaries", Path(__file__).resolve().parents[1] / "areas"]
    return [d for d in dirs if d.is_dir()]


def area_search_path(areas_dir: Path | None = None) -> list[Path]:
    """Where an area *name* is looked up, first to last (see the module docstring)."""
    own = areas_dir if areas_dir is not None else default_areas_dir()
    return ([own] if own is not None else []) + builtin_areas_dirs()


def default_cache_dir() -> Path:
    """Return the cache folder for precomputed indexes."""
    env = os.environ.get("GEO_HEART_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "geo-heart"


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one run.

    Parameters
    ----------
    data_dir
        Folder holding the area's data files (beats layer, address points, …).
    area
        Area name (``durham``) or a path to an area TOML file.
    cache_dir
        Folder for cached indexes; safe to delete.
    maps_dir
        Default output folder for generated maps.
    areas_dir
        Your own folder of area files, searched before the ones that come with geo-heart.
    """

    data_dir: Path = None  # type: ignore[assignment]  # resolved in __post_init__
    area: str = field(default_factory=lambda: os.environ.get("GEO_HEART_AREA", "durham"))
    cache_dir: Path = field(default_factory=default_cache_dir)
    maps_dir: Path = field(default_factory=lambda: Path(os.environ.get("GEO_HEART_MAPS", "maps")))
    areas_dir: Path | None = field(default_factory=default_areas_dir)
    #: True when ``data_dir`` was not given (it follows the area: env, area file, ``./data``)
    data_dir_default: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.areas_dir is not None:
            object.__setattr__(self, "areas_dir", Path(self.areas_dir).expanduser())
        if self.data_dir is None or self.data_dir_default:
            object.__setattr__(
                self, "data_dir", default_data_dir(self.area, areas_dir=self.areas_dir)
            )
            object.__setattr__(self, "data_dir_default", True)
        else:
            object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())

    def with_overrides(self, **kwargs: object) -> Settings:
        """Return a copy with every non-``None`` keyword applied (a new ``area`` without a
        ``data_dir`` brings its own default data folder)."""
        clean = {k: v for k, v in kwargs.items() if v is not None}
        for key in ("data_dir", "cache_dir", "maps_dir", "areas_dir"):
            if key in clean:
                clean[key] = Path(str(clean[key])).expanduser()
        if "data_dir" in clean:
            clean["data_dir_default"] = False
        return replace(self, **clean)

    @property
    def area_file(self) -> Path:
        """The area configuration file this run uses."""
        return resolve_area_file(self.area, areas_dir=self.areas_dir)

    def data_path(self, relative: str | os.PathLike[str]) -> Path:
        """Resolve a file named in the configuration against the data folder."""
        p = Path(relative).expanduser()
        return p if p.is_absolute() else self.data_dir / p


def resolve_area_file(area: str, *, areas_dir: Path | None = None) -> Path:
    """Turn ``--area`` (a name or a path) into an existing TOML file.

    A name is looked up in :func:`area_search_path` (``areas_dir`` first, default
    ``GEO_HEART_AREAS``); a value ending in ``.toml`` or holding a path separator is a path.

    Raises
    ------
    ConfigError
        If neither a file of that path nor ``<name>.toml`` in a searched folder exists.
    """
    p = Path(area).expanduser()
    if p.suffix.lower() == ".toml" or os.sep in area or "/" in area:
        if p.is_file():
            return p
        raise ConfigError(f"area configuration file {str(p)!r} does not exist")
    own = Path(areas_dir) if areas_dir is not None else default_areas_dir()
    if own is not None and not own.is_dir():
        raise ConfigError(
            f"areas folder {str(own)!r} (--areas-dir / GEO_HEART_AREAS) does not exist"
        )
    search = area_search_path(own)
    for folder in search:
        candidate = folder / f"{area}.toml"
        if candidate.is_file():
            return candidate
    known = sorted({x.stem for folder in search for x in folder.glob("*.toml")})
    where = ", ".join(repr(str(f)) for f in search) or "no areas folder"
    raise ConfigError(
        f"unknown area {area!r}: no {area}.toml in {where}; known areas: {known or 'none'} "
        "(or pass a path to a .toml file, or set --areas-dir / GEO_HEART_AREAS)"
    )
