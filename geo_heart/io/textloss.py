"""What an output format would change in a table's text, found before writing, never silently.

GDAL's drivers store text as C strings: a NUL byte (``\\x00``) ends the value in a GeoPackage,
GeoJSON, FlatGeobuf or Shapefile. A Shapefile's dBASE table also holds at most 254 bytes per
value, strips the spaces around a value, reads an empty or all-space value back as null, and
names a column in at most 10 characters. CSV, TSV and GeoParquet keep every text exactly.

:func:`text_losses` lists each change (column, what, count); :func:`enforce` refuses them with one
line (``on_loss="refuse"``, the default) or logs a warning naming each column and count and lets
the write go on (``on_loss="warn"``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from geo_heart.errors import InputError

log = logging.getLogger(__name__)

#: ``--on-loss`` choices
ON_LOSS = ("refuse", "warn")
#: bytes a dBASE (Shapefile) text field holds
DBF_TEXT_BYTES = 254
#: characters of a dBASE (Shapefile) column name
DBF_NAME_CHARS = 10
#: formats written through GDAL (text is a C string there)
OGR_FORMATS = ("gpkg", "fgb", "shp", "geojson")


@dataclass(frozen=True)
class Loss:
    """``count`` values of ``column`` that ``fmt`` would change, and how."""

    column: str
    what: str
    count: int

    def __str__(self) -> str:
        if self.what.startswith("name "):
            return f"column {self.column!r}: {self.what}"
        return f"column {self.column!r}: {self.count:,} {self.what}"


def _texts(s: pd.Series) -> pd.Series | None:
    """The non-null text values of a column (None for a column with no text)."""
    if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
        return None
    t = s[s.map(lambda v: isinstance(v, str))]
    return t.astype(str) if len(t) else None


#: what a Shapefile does to an own result's value it cannot split (:mod:`geo_heart.io.shapefile`)
UNSPLITTABLE = (
    f"values longer than {DBF_TEXT_BYTES} bytes that cannot be split without losing a space"
)


#: what a Shapefile does to an all-space value where an empty one is the CSV's missing value
ALL_SPACE = "all-space values (read back as null)"


def column_losses(
    name: str, s: pd.Series, fmt: str, *, own: bool = False, empty_ok: bool = False
) -> list[Loss]:
    """How ``fmt`` would change the text values of one column.

    ``own``: a geo-heart result column of a Shapefile (:mod:`geo_heart.io.shapefile`): a long
    value is split into continuation fields (a loss only where no split keeps it whole) and an
    empty value is its documented null. ``empty_ok``: a column of a CSV/TSV input, where an
    empty cell is the missing value (CSV has no null), so a Shapefile's null keeps it.
    """
    out: list[Loss] = []
    if fmt not in OGR_FORMATS:
        return out
    t = _texts(s)
    if t is None:
        return out
    n = int(t.str.contains("\x00", regex=False).sum())
    if n:
        out.append(Loss(name, "values holding a NUL byte (cut there)", n))
    if fmt == "shp":
        if own:
            from geo_heart.io.shapefile import parts_of

            n = parts_of(t)[1]
            if n:
                out.append(Loss(name, UNSPLITTABLE, n))
        else:
            n = int((t.map(lambda v: len(v.encode("utf-8"))) > DBF_TEXT_BYTES).sum())
            if n:
                out.append(Loss(name, f"values longer than {DBF_TEXT_BYTES} bytes (cut)", n))
        stripped = t.str.strip(" ")
        if empty_ok and not own:
            n = int(((stripped == "") & (t != "")).sum())
            if n:
                out.append(Loss(name, ALL_SPACE, n))
        elif not own:
            n = int((stripped == "").sum())
            if n:
                out.append(Loss(name, "empty or all-space values (read back as null)", n))
        n = int(((stripped != t) & (stripped != "")).sum())
        if n:
            out.append(Loss(name, "values with spaces around them (stripped)", n))
    return out


def name_losses(columns, fmt: str) -> list[Loss]:
    """Column names ``fmt`` cannot hold (a Shapefile's 10 characters)."""
    if fmt != "shp":
        return []
    return [
        Loss(str(c), f"name longer than {DBF_NAME_CHARS} characters (renamed)", 1)
        for c in columns
        if len(str(c)) > DBF_NAME_CHARS
    ]


def text_losses(frame: pd.DataFrame, fmt: str, *, skip=(), own=(), empty_ok=()) -> list[Loss]:
    """Every change ``fmt`` would make to ``frame``'s text and column names; ``own``: geo-heart's
    result columns with fixed Shapefile names (:func:`geo_heart.io.shapefile.own_columns`);
    ``empty_ok``: columns whose empty text is a missing value (read from a CSV)."""
    empty_ok = set(map(str, empty_ok))
    own = set(map(str, own)) if fmt == "shp" else set()
    cols = [c for c in frame.columns if c not in skip]
    out = name_losses([c for c in cols if str(c) not in own], fmt)
    for c in cols:
        out += column_losses(str(c), frame[c], fmt, own=str(c) in own, empty_ok=str(c) in empty_ok)
    return out


def check_on_loss(on_loss: str) -> str:
    """``on_loss``, checked against :data:`ON_LOSS`."""
    if on_loss not in ON_LOSS:
        raise InputError(f"--on-loss {on_loss!r}: use one of {list(ON_LOSS)}")
    return on_loss


def enforce(losses: list[Loss], path, fmt: str, on_loss: str = "refuse") -> list[Loss]:
    """Refuse ``losses`` in one line (``refuse``) or warn about each (``warn``); returns them."""
    check_on_loss(on_loss)
    if not losses:
        return losses
    listed = "; ".join(map(str, losses[:5])) + (
        f"; and {len(losses) - 5} more" if len(losses) > 5 else ""
    )
    if on_loss == "refuse":
        raise InputError(
            f"{str(path)!r}: a {fmt} file cannot hold this table exactly: {listed}. Write a "
            "GeoPackage/GeoParquet/CSV, or give --on-loss warn to write it changed"
        )
    for loss in losses:
        log.warning("%s: %s", path, loss)
    return losses


def cut_to_bytes(v, limit: int = DBF_TEXT_BYTES):
    """``v`` cut to at most ``limit`` UTF-8 bytes on a character boundary (text only)."""
    if not isinstance(v, str):
        return v
    b = v.encode("utf-8")
    if len(b) <= limit:
        return v
    return b[:limit].decode("utf-8", "ignore")
