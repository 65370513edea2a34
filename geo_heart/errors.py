"""Exceptions raised by geo-heart.

One root exception, :class:`GeoHeartError`; each subclass also inherits the builtin it resembles so
callers may catch either. Messages name the bad value and what would be valid; the CLI turns any
``GeoHeartError`` into one line on stderr and exit code 1.
"""

from __future__ import annotations


class GeoHeartError(Exception):
    """Root of every error geo-heart raises on purpose."""


class ConfigError(GeoHeartError, ValueError):
    """An area configuration file is missing, malformed or inconsistent.

    The message names the file, the key and the offending value.
    """


class DataSourceError(GeoHeartError, OSError):
    """A data file cannot be found, read or understood."""


class CRSError(GeoHeartError, ValueError):
    """A layer has no coordinate reference system, or an unusable one."""


class InputError(GeoHeartError, ValueError):
    """A user-supplied value (coordinate, time, column name, call type …) is invalid."""


class AddressError(InputError):
    """An address cannot be parsed."""


class CallTypeError(InputError):
    """A call type is not known to the area's call-type table."""


#: optional module → the extra that installs it (``pip install 'geo-heart[EXTRA]'``)
EXTRA_FOR_MODULE = {
    "fastapi": "service",
    "uvicorn": "service",
    "starlette": "service",
    "fastapi_offline": "service",
    "folium": "maps",
    "branca": "maps",
    "jinja2": "maps",
    "matplotlib": "maps",
    "reportlab": "maps",
    "mapclassify": "maps",
    "xstatic": "maps",
    "scipy": "planning",
    "libpysal": "planning",
    "esda": "planning",
    "pulp": "planning",
    "simpy": "planning",
    "h3": "planning",
    "tobler": "planning",
    "pyfixest": "evaluation",
    "wildboottest": "evaluation",
    "statsforecast": "planning",
    "threadpoolctl": "planning",
    "dask": "dask",
    "distributed": "dask",
    "dask_geopandas": "dask",
}


class MissingExtraError(GeoHeartError, ImportError):
    """An optional feature needs a package that is not installed; the message names the extra."""


def require_extra(extra: str) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extra`` is importable.

    Called before work starts (a command that needs the planner stack fails at once, not after
    reading the call table).
    """
    import importlib.util

    for module, needed_by in EXTRA_FOR_MODULE.items():
        if needed_by == extra and importlib.util.find_spec(module) is None:
            raise MissingExtraError(
                f"this needs the optional package {module!r}, which is not installed: "
                f"pip install 'geo-heart[{extra}]'"
            )


def missing_extra(exc: ModuleNotFoundError) -> MissingExtraError | None:
    """The :class:`MissingExtraError` for a missing optional module, ``None`` for any other module."""
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_FOR_MODULE.get(top)
    if extra is None:
        return None
    return MissingExtraError(
        f"this needs the optional package {top!r}, which is not installed: "
        f"pip install 'geo-heart[{extra}]'"
    )
