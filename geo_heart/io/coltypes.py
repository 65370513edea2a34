"""``--types auto``: give input columns of text their number or date type, losing nothing.

By default geo-heart writes every input column back as the text it read (a ZIP code ``02134``,
a beat ``0412`` or an hour ``0500`` survive). With ``--types auto`` a column becomes

* **integer** when every non-empty value is an integer in ASCII digits that reads back as the
  same text (no leading zero, no ``+``, within 64 bits: a 19-digit ID beyond that stays text);
* **real** when every non-empty value is a decimal number in ASCII digits whose shortest
  text as a 64-bit float is the value itself (``0.5`` is fine; ``35.9960``, ``007.5`` and a
  decimal longer than a double holds are not);
* **date** when every non-empty value is ``YYYY-MM-DD`` or ``YYYY/MM/DD``;
* **date-time** when every non-empty value is a date with a time (``2021/01/01 05:00:00+00``,
  ISO 8601); with UTC offsets on every value it is stored in UTC, with none as local time;

and stays text otherwise: a column is converted only when every value's text → number → text
round trip is exact, so no digit and no zero is ever lost; Arabic-Indic or other non-ASCII
digits stay text. Identifier-like columns always stay text, whatever they hold: a name with a
word such as ``id``, ``code``, ``beat``, ``dist``, ``zip`` or ``geoid`` (:func:`identifier_like`),
and every column the area file names as a unit or an identifier (the beat and district fields,
the calls' ``beat_column`` and ``id_column``: :func:`area_identifier_columns`), so DPD's ``BEAT``
compares with ``gh_beat`` without a cast. Empty cells become nulls in typed columns.
"""

from __future__ import annotations

import re

import pandas as pd

TYPES = ("text", "auto")
_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}/[0-9]{2}/[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?P<tz>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
_INT64 = (-(2**63), 2**63 - 1)
#: words that make a column name identifier-like (compared on the name's lower-case words)
IDENTIFIER_WORDS = frozenset(
    "id ids code codes beat beats dist district districts precinct zone ward zip zipcode "
    "postcode postal geoid fips tract blockgroup block pin parcel phone key ucr objectid fid "
    "gid uid uuid inci incident case number no num".split()
)
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


def identifier_like(name: str) -> bool:
    """True for a column name that reads as an identifier or a code (``INCI_ID``, ``BEAT``,
    ``DIST``, ``zip_code``, ``ObjectId``, ``GEOID``): such a column stays text."""
    text = str(name)
    words = [w.lower() for w in _WORDS.findall(text)]
    if any(w in IDENTIFIER_WORDS for w in words):
        return True
    low = text.lower()
    return low.endswith(("id", "_no", "code")) and len(low) > 2


def area_identifier_columns(config) -> frozenset[str]:
    """The columns an area file names as a unit or an identifier: the beats layer's id and
    district fields, and the ``beat_column`` / ``id_column`` of every ``[layers.*]`` table."""
    names: set[str] = set()
    beats = getattr(config, "beats", None)
    for attr in ("id_field", "district_field", "unit_name", "group_name"):
        v = getattr(beats, attr, None)
        if v:
            names.add(str(v))
    layers = getattr(config, "layers", None) or {}
    for layer in layers.values() if isinstance(layers, dict) else []:
        if isinstance(layer, dict):
            for key in ("beat_column", "id_column", "district_column", "unit_column"):
                if layer.get(key):
                    names.add(str(layer[key]))
    return frozenset(names)


def _exact_int(t: str) -> bool:
    try:
        v = int(t)
    except ValueError:
        return False
    return str(v) == t and _INT64[0] <= v <= _INT64[1]


def _exact_float(t: str) -> bool:
    if _INT.fullmatch(t):  # an integer in a real column: exact while a double holds it
        return _exact_int(t) and abs(int(t)) <= 2**53
    try:
        v = float(t)
    except ValueError:
        return False
    return v == v and v not in (float("inf"), float("-inf")) and repr(v) == t


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
        return "int" if s.map(_exact_int).all() else "text"
    if s.str.fullmatch(_FLOAT).all():
        return "float" if s.map(_exact_float).all() else "text"
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


def infer_kinds(frame: pd.DataFrame, columns, *, keep_text=()) -> dict[str, str]:
    """Column → kind for the named columns of ``frame`` (text columns that stay text are left
    out); identifier-like columns and those in ``keep_text`` always stay text."""
    out = {}
    keep = {str(k).lower() for k in keep_text}
    for c in columns:
        if identifier_like(c) or str(c).lower() in keep:
            continue
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
