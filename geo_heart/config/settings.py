"""Settings: where data, area configuration and caches live.

Every setting has a default, an environment variable and (in the CLI) an option; the option wins over
the environment variable, which wins over the default.

========================  ==========================  =================================================
setting                   environment variable        default
========================  ==========================  =================================================
data folder               ``GEO_HEART_DATA``          the area file's ``[area] data_dir`` if that
                                                      folder exists (see below), else ``./data``
area configuration        ``GEO_HEART_AREA``          ``durham`` (``boundaries/durham.toml``)
boundaries folder         ``GEO_HEART_BOUNDARIES``    ``boundaries/`` of the source checkout, else the
                                                      working directory's ``boundaries/``
cache folder              ``GEO_HEART_CACHE``         ``$XDG_CACHE_HOME/geo-heart`` (``~/.cache/geo-heart``)
map output folder         ``GEO_HEART_MAPS``          ``maps``
========================  ==========================  =================================================

``--area`` takes either a name (looked up as ``<boundaries>/<name>.toml``) or a path to a TOML file, so
another city brings its own configuration without touching code.

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
    from geo_heart.config.schema import tomllib

    try:
        raw = tomllib.loads(Path(area_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
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


def default_data_dir(area: str | None = None) -> Path:
    """Return the data folder when none is given (see module docstring)."""
    env = os.environ.get("GEO_HEART_DATA")
    if env:
        return Path(env).expanduser()
    if area is not None:
        try:
            found = area_data_dir(resolve_area_file(area))
        except ConfigError:
            found = None
        if found is not None:
            return found
    return Path.cwd() / "data"


def default_boundaries_dir() -> Path:
    """Return the folder holding area configuration files."""
    env = os.environ.get("GEO_HEART_BOUNDARIES")
    if env:
        return Path(env).expanduser()
    for base in (_SOURCE_ROOT, Path.cwd()):
        candidate = base / "boundaries"
        if candidate.is_dir():
            return candidate
    return Path.cwd() / "boundaries"


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
    """

    data_dir: Path = None  # type: ignore[assignment]  # resolved in __post_init__
    area: str = field(default_factory=lambda: os.environ.get("GEO_HEART_AREA", "durham"))
    cache_dir: Path = field(default_factory=default_cache_dir)
    maps_dir: Path = field(default_factory=lambda: Path(os.environ.get("GEO_HEART_MAPS", "maps")))
    #: True when ``data_dir`` was not given (it follows the area: env, area file, ``./data``)
    data_dir_default: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.data_dir is None or self.data_dir_default:
            object.__setattr__(self, "data_dir", default_data_dir(self.area))
            object.__setattr__(self, "data_dir_default", True)
        else:
            object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())

    def with_overrides(self, **kwargs: object) -> Settings:
        """Return a copy with every non-``None`` keyword applied (a new ``area`` without a
        ``data_dir`` brings its own default data folder)."""
        clean = {k: v for k, v in kwargs.items() if v is not None}
        for key in ("data_dir", "cache_dir", "maps_dir"):
            if key in clean:
                clean[key] = Path(str(clean[key])).expanduser()
        if "data_dir" in clean:
            clean["data_dir_default"] = False
        return replace(self, **clean)

    @property
    def area_file(self) -> Path:
        """The area configuration file this run uses."""
        return resolve_area_file(self.area)

    def data_path(self, relative: str | os.PathLike[str]) -> Path:
        """Resolve a file named in the configuration against the data folder."""
        p = Path(relative).expanduser()
        return p if p.is_absolute() else self.data_dir / p


def resolve_area_file(area: str) -> Path:
    """Turn ``--area`` (a name or a path) into an existing TOML file.

    Raises
    ------
    ConfigError
        If neither a file of that path nor ``<boundaries>/<area>.toml`` exists.
    """
    p = Path(area).expanduser()
    if p.suffix.lower() == ".toml" or os.sep in area or "/" in area:
        if p.is_file():
            return p
        raise ConfigError(f"area configuration file {str(p)!r} does not exist")
    bdir = default_boundaries_dir()
    candidate = bdir / f"{area}.toml"
    if candidate.is_file():
        return candidate
    known = sorted(x.stem for x in bdir.glob("*.toml")) if bdir.is_dir() else []
    raise ConfigError(
        f"unknown area {area!r}: no file {str(candidate)!r}; known areas: {known or 'none'} "
        "(or pass a path to a .toml file)"
    )
