"""``--types auto``: give input columns of text their number or date type, losing nothing.

By default geo-heart writes every input column back as the text it read (a ZIP code ``02134``,
a beat ``0412`` or an hour ``0500`` survive). With ``--types auto`` a column becomes

* **integer** when every non-empty value is an integer written without a leading zero;
* **real** when every non-empty value is a decimal number without a leading zero
  (``0.5`` is fine, ``007.5`` is not);
* **date** when every non-empty value is ``YYYY-MM-DD`` or ``YYYY/MM/DD``;
* **date-time** when every non-empty value is a date with a time (``2021/01/01 05:00:00+00``,
  ISO 8601); with UTC offsets on every value it is stored in UTC, with none as local time;

and stays text otherwise. One value with a leading zero keeps the whole column as text, so no
zero is ever lost. Empty cells become nulls in typed columns.
"""

from __future__ import annotations

import re

import pandas as pd

TYPES = ("text", "auto")
_INT = re.compile(r"[+-]?\d{1,18}")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_LEADING_ZERO = re.compile(r"[+-]?0\d")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}/\d{2}/\d{2}")
_DATETIME = re.compile(
    r"\d{4}[-/]\d{2}[-/]\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?"
)


def _texts(values: pd.Series) -> pd.Series:
    s = values.astype(object)
    s = s[s.notna()].map(lambda v: str(v).strip())
    return s[s != ""]


def column_kind(values: pd.Series) -> str:
    """``text``, ``int``, ``float``, ``date``, ``datetime`` or ``datetime_utc`` for a column of
    text (see the module doc)."""
    s = _texts(values)
    if (
        s.empty
        or not pd.api.types.is_object_dtype(values.dtype)
        and not isinstance(values.dtype, pd.StringDtype)
    ):
        return "text"
    if s.str.match(_LEADING_ZERO).any():
        return "text"
    if s.str.fullmatch(_INT).all():
        return "int"
    if s.str.fullmatch(_FLOAT).all():
        return "float"
    if s.str.fullmatch(_DATE).all():
        return "date" if _parses(s, "date") else "text"
    m = s.str.fullmatch(_DATETIME)
    if m.all():
        tz = s.str.extract(_DATETIME)["tz"]
        if tz.notna().all():
            return "datetime_utc" if _parses(s, "datetime_utc") else "text"
        if tz.isna().all():
            return "datetime" if _parses(s, "datetime") else "text"
    return "text"


def _parses(s: pd.Series, kind: str) -> bool:
    try:
        convert(s, kind)
    except (ValueError, OverflowError, TypeError):
        return False
    return True


def _clean(v):
    if v is None or (isinstance(v, float) and v != v):
        return None
    t = str(v).strip()
    return t or None


def convert(values: pd.Series, kind: str) -> pd.Series:
    """``values`` (text) as ``kind``; empty cells → null."""
    s = pd.Series([_clean(v) for v in values.astype(object)], index=values.index, dtype=object)
    if kind == "int":
        return pd.Series(
            pd.array([None if v is None else int(v) for v in s], dtype="Int64"), index=values.index
        )
    if kind == "float":
        return pd.Series(pd.to_numeric(s, errors="raise"), index=values.index, dtype="float64")
    if kind in ("date", "datetime", "datetime_utc"):
        text = s.str.replace("/", "-", n=2, regex=False)
        out = pd.to_datetime(text, format="ISO8601", utc=kind == "datetime_utc", errors="raise")
        return out.dt.date if kind == "date" else out
    return values


def infer_kinds(frame: pd.DataFrame, columns) -> dict[str, str]:
    """Column → kind for the named columns of ``frame`` (text columns that stay text are left out)."""
    out = {}
    for c in columns:
        if c in frame.columns:
            k = column_kind(frame[c])
            if k != "text":
                out[c] = k
    return out


def apply_kinds(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """``frame`` with the columns of ``kinds`` converted."""
    if not kinds:
        return frame
    out = frame.copy()
    for c, k in kinds.items():
        # a date column is written as a date-time at midnight (what every OGR driver stores)
        out[c] = convert(out[c], "datetime" if k == "date" else k)
    return out
