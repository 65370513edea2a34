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


class MissingExtraError(GeoHeartError, ImportError):
    """An optional feature needs a package that is not installed; the message names the extra."""
