"""Reading times: the one place that turns time text into local wall-clock times.

Every time geo-heart reads (a call export's time column, ``lookup --at``, the service's ``at``,
``--as-of``) goes through here, so the same rules hold everywhere:

* a value with a UTC offset (``2024-06-01T15:00Z``, ``2022/03/01 06:15:00+00``) names one instant;
  it is converted to the area's zone;
* a value without an offset is a wall-clock time in the given zone. Two wall-clock times are
  special on the days the clocks change:

  - **ambiguous** (the clocks go back; 01:30 happens twice): the **first** occurrence is taken
    (still daylight time);
  - **nonexistent** (the clocks go forward; 02:30 never happens): the time is **shifted forward**
    by the length of the gap (02:30 → 03:30 daylight time), as a clock that was not yet moved
    forward would have read it.

  Both are answers, not errors: they are counted apart (:attr:`ParsedTimes.ambiguous`,
  :attr:`ParsedTimes.nonexistent`) and a single lookup carries a note (:func:`dst_note`);
* a date outside what a timestamp can hold (years outside 1677–2262, e.g. the sentinels
  ``0001-01-01`` and ``9999-12-31``) is **out of range**: per row it is counted apart from
  unreadable text; for a single time it is an :class:`~geo_heart.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from geo_heart.errors import InputError

#: the instants a timestamp can hold (pandas nanoseconds), as naive datetimes
EARLIEST = datetime(1677, 9, 22)
LATEST = datetime(2262, 4, 10)
RANGE_TEXT = f"{EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"

_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "ISO8601", "%Y/%m/%d %H:%M:%S")
_OFFSET_RE = r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (InputError naming it when unknown)."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"time zone {name!r} is not an IANA zone name (e.g. UTC, America/New_York)"
        ) from None


#: the first part of an IANA region zone name (``America/New_York``); ``Etc/``, ``US/``, ``EST``,
#: ``EST5EDT``, ``GMT+5`` and the like are fixed offsets, abbreviations or legacy links
_REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
            "Indian", "Pacific")  # fmt: skip


def region_zone_problem(name: str, *, allow_utc: bool = False) -> str | None:
    """Why ``name`` is not a region time zone that follows local rules (``None`` when it is).

    Region zones (``America/New_York``, ``Europe/Berlin``) carry the place's daylight-saving
    history. Abbreviations and fixed offsets (``EST``, ``EST5EDT``, ``GMT+5``, ``Etc/GMT+5``,
    ``-05:00``) never change with the seasons, so every summer answer would be an hour off.
    ``allow_utc`` accepts ``UTC`` (a call export may be written in UTC).
    """
    text = str(name).strip()
    if allow_utc and text in ("UTC", "Etc/UTC", "Z"):
        return None
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{text!r} is not an IANA time zone; use a region zone such as 'America/New_York'"
    if text.split("/", 1)[0] not in _REGIONS or "/" not in text:
        fixed = ZoneInfo(text).utcoffset(datetime(2024, 1, 15)) == ZoneInfo(text).utcoffset(
            datetime(2024, 7, 15)
        )
        kind = (
            "a fixed offset that never observes daylight time"
            if fixed
            else "an abbreviation or legacy name, not a region"
        )
        return (
            f"{text!r} is {kind}; use the region zone of the place, such as "
            "'America/New_York' or 'America/Los_Angeles'"
        )
    return None


def wall_time_kind(wall: datetime, tz: str | ZoneInfo) -> str | None:
    """``"ambiguous"``, ``"nonexistent"`` or ``None`` for a naive wall-clock time in ``tz``."""
    z = tz if isinstance(tz, ZoneInfo) else zone(tz)
    first = wall.replace(tzinfo=z, fold=0)
    second = wall.replace(tzinfo=z, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    back = first.astimezone(timezone.utc).astimezone(z).replace(tzinfo=None)
    return "ambiguous" if back == wall else "nonexistent"


def resolve_wall_time(wall: datetime, tz: str | ZoneInfo) -> tuple[datetime, str | None]:
    """A naive wall-clock time in ``tz`` → (the wall time used, its kind or ``None``).

    Ambiguous: the first occurrence (the same wall time, daylight offset). Nonexistent: shifted
    forward by the gap.
    """
    z = tz if isinstance(tz, ZoneInfo) else zone(tz)
    kind = wall_time_kind(wall, z)
    if kind == "nonexistent":
        # fold=0 reads the wall time with the offset in force before the gap: shifted forward
        moment = wall.replace(tzinfo=z, fold=0).astimezone(timezone.utc).astimezone(z)
        return moment.replace(tzinfo=None), kind
    return wall, kind


def dst_note(wall: datetime, used: datetime, kind: str | None, tz: str | ZoneInfo) -> str | None:
    """The note a lookup at a daylight-saving wall time carries (``None`` for other times)."""
    if kind is None:
        return None
    z = tz if isinstance(tz, ZoneInfo) else zone(tz)
    name = used.replace(tzinfo=z, fold=0).tzname()
    if kind == "ambiguous":
        return (
            f"{wall:%Y-%m-%d %H:%M} happens twice in {z.key} (the clocks go back); "
            f"taken as the first, {name}"
        )
    return (
        f"{wall:%Y-%m-%d %H:%M} does not exist in {z.key} (the clocks go forward); "
        f"taken as {used:%H:%M} {name}"
    )


def _check_range(moment: datetime, raw: str) -> None:
    naive = (
        moment.astimezone(timezone.utc).replace(tzinfo=None)
        if moment.tzinfo is not None and EARLIEST.year < moment.year < LATEST.year
        else moment.replace(tzinfo=None)
    )
    if not (EARLIEST <= naive <= LATEST):
        raise InputError(f"time {raw!r} is out of range; times from {RANGE_TEXT} are supported")


def parse_iso(text: str) -> datetime:
    """Parse one ISO 8601 time (naive or with an offset), checking its range.

    Raises
    ------
    InputError
        Not ISO 8601, or out of range (years outside 1677–2262) — never ``OverflowError``.
    """
    raw = str(text).strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(
            f"time {raw!r} is not ISO 8601; use e.g. 2024-06-01T11:00 (local time) or "
            "2024-06-01T15:00Z"
        ) from None
    _check_range(moment, raw)
    return moment


def parse_wall_time(text: str, tz: str) -> datetime:
    """Parse one ISO 8601 time into a naive wall-clock time of ``tz``, not yet resolved.

    A value with an offset is converted to ``tz``; a naive one is returned as written (a
    daylight-saving wall time is resolved, with a note, by :func:`to_wall_time`).
    """
    moment = parse_iso(text)
    return to_wall_time(moment, tz)[0] if moment.tzinfo is not None else moment


def parse_moment(text: str, tz: str) -> tuple[datetime, str | None]:
    """Parse one ISO 8601 time into a naive local wall-clock time of ``tz``, and a DST note.

    A value with an offset (``...Z``, ``...-04:00``) is converted to ``tz``; a naive one is a wall
    time in ``tz`` (resolved by :func:`resolve_wall_time`; the note says how).
    """
    return to_wall_time(parse_iso(text), tz)


def to_wall_time(moment: datetime, tz: str) -> tuple[datetime, str | None]:
    """A datetime → (naive wall-clock time of ``tz``, DST note or ``None``).

    Aware: converted. Naive: taken as a wall time in ``tz`` and resolved (first occurrence /
    shifted forward).
    """
    z = zone(tz)
    _check_range(moment, moment.isoformat())
    if moment.tzinfo is not None:
        try:
            local = moment.astimezone(z)
        except (OverflowError, OSError):
            raise InputError(
                f"time {moment.isoformat()!r} is out of range; times from {RANGE_TEXT} are "
                "supported"
            ) from None
        wall = local.replace(tzinfo=None)
        note = None
        if wall_time_kind(wall, z) == "ambiguous":
            # the offset names one of the two: say which, never "taken as the first"
            which = "second" if local.fold else "first"
            note = (
                f"{wall:%Y-%m-%d %H:%M} happens twice in {z.key} (the clocks go back); the "
                f"offset given names the {which}, {local.tzname()}"
            )
        return wall, note
    used, kind = resolve_wall_time(moment, z)
    return used, dst_note(moment, used, kind, z)


@dataclass
class ParsedTimes:
    """Times read from a column, and what happened to each row.

    Attributes
    ----------
    local
        Naive wall-clock times of the area's zone (``NaT`` where unreadable or out of range).
    unreadable, out_of_range
        Rows whose text is not a time / is a date outside 1677–2262 (``NaT`` in :attr:`local`).
    ambiguous, nonexistent
        Rows whose naive wall time falls in a daylight-saving change: taken as the first
        occurrence / shifted forward (they have a time).
    with_offset, offsets
        Rows whose text states a UTC offset; ``"honour"`` (converted) or ``"local"`` (the offset
        dropped, the clock read as a wall time of the area's zone).
    """

    local: pd.Series
    unreadable: np.ndarray
    out_of_range: np.ndarray
    ambiguous: np.ndarray
    nonexistent: np.ndarray
    #: rows whose text states a UTC offset, and how the offsets were read (``honour``/``local``)
    with_offset: np.ndarray | None = None
    offsets: str = "honour"

    @property
    def dst_changes(self) -> int:
        """Rows resolved at a daylight-saving change."""
        return int(self.ambiguous.sum() + self.nonexistent.sum())

    def counts(self) -> dict[str, int]:
        """JSON-ready counts."""
        return {
            "unreadable": int(self.unreadable.sum()),
            "out_of_range": int(self.out_of_range.sum()),
            "dst_ambiguous_first": int(self.ambiguous.sum()),
            "dst_nonexistent_shifted": int(self.nonexistent.sum()),
        }


def _parse_series(s: pd.Series, *, utc: bool) -> pd.Series:
    """``pd.to_datetime`` trying the known formats first, then any format (bad → NaT).

    Times outside :data:`EARLIEST`..:data:`LATEST` (which pandas may hold at a coarser unit)
    become ``NaT`` too, so every later step works in nanoseconds.
    """
    for fmt in _TIME_FORMATS:
        try:
            return _in_range(pd.to_datetime(s, format=fmt, utc=utc))
        except (ValueError, TypeError, OverflowError):
            continue
    try:
        return _in_range(pd.to_datetime(s, format="mixed", errors="coerce", utc=utc))
    except (ValueError, OverflowError):  # offsets mixed with naive times
        return _in_range(pd.to_datetime(s, format="mixed", errors="coerce", utc=True))


def _in_range(parsed: pd.Series) -> pd.Series:
    if not pd.api.types.is_datetime64_any_dtype(parsed.dtype):
        return parsed
    lo, hi = pd.Timestamp(EARLIEST), pd.Timestamp(LATEST)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        lo, hi = lo.tz_localize("UTC"), hi.tz_localize("UTC")
    beyond = (parsed < lo) | (parsed > hi)
    if beyond.any():
        parsed = parsed.where(~beyond)
    unit = "ns"
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.astype(pd.DatetimeTZDtype(unit, parsed.dtype.tz))
    return parsed.astype(f"datetime64[{unit}]")


def _beyond_range(text: str) -> bool:
    """True when ``text`` is a real date that a timestamp cannot hold (e.g. ``9999-12-31``)."""
    from dateutil import parser

    try:
        moment = parser.parse(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, TypeError):
        return False
    naive = moment.replace(tzinfo=None)
    return not (EARLIEST <= naive <= LATEST)


def _localize(wall: pd.Series, tz: str, area_zone: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Naive wall times of ``tz`` → naive wall times of ``area_zone``, with the DST rows."""
    local = wall.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    missed = (local.isna() & wall.notna()).to_numpy()
    ambiguous = np.zeros(len(wall), dtype=bool)
    nonexistent = np.zeros(len(wall), dtype=bool)
    if missed.any():  # the few wall times at a clock change: resolved one by one
        z = zone(tz)
        fixed = []
        for pos in np.flatnonzero(missed):
            w = wall.iloc[pos].to_pydatetime()
            kind = wall_time_kind(w, z)
            (ambiguous if kind == "ambiguous" else nonexistent)[pos] = True
            fixed.append(pd.Timestamp(w.replace(tzinfo=z, fold=0)).tz_convert(z))
        local = local.astype(object)
        local.iloc[np.flatnonzero(missed)] = fixed
        local = pd.to_datetime(local, utc=True).dt.tz_convert(tz)
    out = local.dt.tz_convert(area_zone).dt.tz_localize(None).astype("datetime64[ns]")
    return out, ambiguous, nonexistent


#: how a stated UTC offset is read: ``honour`` (the value names one instant) or ``local`` (the
#: offset is dropped and the clock read as a wall time of the area's zone)
OFFSET_MODES = ("honour", "local")
_OFFSET_SUFFIX_RE = r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_CLOCK_RE = r"(?:^|[T\s])(\d{1,2}):\d{2}"


def check_offset_mode(offsets: str) -> str:
    """``offsets`` when it is one of :data:`OFFSET_MODES` (InputError naming it otherwise)."""
    if offsets not in OFFSET_MODES:
        raise InputError(f"offsets {offsets!r} is not one of {', '.join(OFFSET_MODES)}")
    return offsets


def written_clock_hours(values: pd.Series) -> pd.Series:
    """The clock hour as written in time text (``2022/04/15 09:15:00+00`` → 9), whatever the
    offset says; ``NaN`` where no clock is written."""
    text = values.astype(object).map(lambda v: "" if v is None or v != v else str(v).strip())
    return pd.to_numeric(text.str.extract(_CLOCK_RE, expand=False), errors="coerce")


def hours_from_column(values: pd.Series) -> pd.Series:
    """Clock hours from an hour column: ``"0915"``/``915`` (HHMM), ``"9"``, ``"09:15"`` → 9;
    ``NaN`` where unreadable or not 0–23."""
    text = values.astype(object).map(lambda v: "" if v is None or v != v else str(v).strip())
    text = text.str.replace(r"\.0$", "", regex=True)
    colon = text.str.extract(r"^(\d{1,2}):\d{2}", expand=False)
    digits = text.where(text.str.fullmatch(r"\d{1,4}").fillna(False))
    num = pd.to_numeric(digits, errors="coerce")
    hhmm = digits.str.len() > 2
    hour = num.where(~hhmm.fillna(False), num // 100)
    hour = hour.where(colon.isna(), pd.to_numeric(colon, errors="coerce"))
    return hour.where((hour >= 0) & (hour <= 23))


def parse_local_times(
    values: pd.Series, *, time_zone: str, area_zone: str, offsets: str = "honour"
) -> ParsedTimes:
    """Parse a column of time text into naive wall-clock times of ``area_zone``.

    Values with an offset are honoured (through UTC, so an export whose offsets change at a
    daylight-saving switch works); naive values are wall times in ``time_zone``. With
    ``offsets="local"`` a stated offset is dropped and the clock read as a wall time of
    ``area_zone`` (for exports that stamp local wall-clock times with a wrong ``+00``), under the
    same daylight-saving rules as naive values. See the module text for daylight-saving and
    out-of-range values. Never raises for a bad value.
    """
    zone(time_zone), zone(area_zone)
    check_offset_mode(offsets)
    s = values.astype(object).where(values.notna(), None)
    s = s.map(lambda v: None if v is None or str(v).strip() == "" else str(v).strip())
    s = s.reset_index(drop=True)
    n = len(s)
    has_offset = s.str.contains(_OFFSET_RE, regex=True, na=False).to_numpy(dtype=bool)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    ambiguous = np.zeros(n, dtype=bool)
    nonexistent = np.zeros(n, dtype=bool)
    if has_offset.any() and offsets == "local":
        stripped = s[has_offset].str.replace(_OFFSET_SUFFIX_RE, "", regex=True)
        parsed = _parse_series(stripped, utc=False)
        local, amb, non = _localize(pd.to_datetime(parsed, errors="coerce"), area_zone, area_zone)
        idx = np.flatnonzero(has_offset)
        ambiguous[idx], nonexistent[idx] = amb, non
        out[has_offset] = local.to_numpy()
    elif has_offset.any():
        aware = _parse_series(s[has_offset], utc=True)
        out[has_offset] = (
            aware.dt.tz_convert(area_zone).dt.tz_localize(None).astype("datetime64[ns]")
        )
    naive_mask = ~has_offset
    if naive_mask.any():
        parsed = _parse_series(s[naive_mask], utc=False)
        if parsed.dtype == object:  # aware objects the offset test missed: through UTC
            parsed = pd.to_datetime(s[naive_mask], format="mixed", errors="coerce", utc=True)
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            local = parsed.dt.tz_convert(area_zone).dt.tz_localize(None).astype("datetime64[ns]")
        else:
            local, amb, non = _localize(parsed, time_zone, area_zone)
            idx = np.flatnonzero(naive_mask)
            ambiguous[idx], nonexistent[idx] = amb, non
        out[naive_mask] = local.to_numpy()
    given = s.notna().to_numpy()
    failed = out.isna().to_numpy() & given
    out_of_range = np.zeros(n, dtype=bool)
    for pos in np.flatnonzero(failed):
        out_of_range[pos] = _beyond_range(s.iloc[pos])
    unreadable = failed & ~out_of_range
    out.index = values.index
    return ParsedTimes(
        out, unreadable | ~given, out_of_range, ambiguous, nonexistent, has_offset, offsets
    )


def _hhmm_minutes(values: pd.Series) -> pd.Series:
    """Minutes past midnight from an hour column (HHMM or H or HH:MM); NaN where unreadable."""
    text = values.astype(object).map(lambda v: "" if v is None or v != v else str(v).strip())
    text = text.str.replace(r"\.0$", "", regex=True)
    m = text.str.extract(r"^(\d{1,2}):(\d{2})", expand=True)
    digits = text.where(text.str.fullmatch(r"\d{1,4}").fillna(False))
    num = pd.to_numeric(digits, errors="coerce")
    long = (digits.str.len() > 2).fillna(False)
    minutes = (num // 100 * 60 + num % 100).where(long, num * 60)
    colon = pd.to_numeric(m[0], errors="coerce") * 60 + pd.to_numeric(m[1], errors="coerce")
    minutes = minutes.where(colon.isna(), colon)
    return minutes.where((minutes >= 0) & (minutes < 1440))


@dataclass
class ClockCheck:
    """What an hour column says about a time column (:func:`clock_check`).

    Attributes
    ----------
    local
        The times, with date-only stamps (clock ``00:00:00`` where the hour column says another
        time) given the hour column's time of day.
    filled
        Rows whose time of day came from the hour column.
    written_agree, converted_agree
        Share of rows with both a clock and an hour whose clock hour as written / as read
        equals the hour column (``None`` without such rows).
    notes
        Plain sentences for the load notes.
    suspicious
        True when offsets were honoured but the written clock agrees far better with the hour
        column than the converted one (the offsets look wrong).
    """

    local: pd.Series
    filled: np.ndarray
    written_agree: float | None
    converted_agree: float | None
    notes: list[str]
    suspicious: bool = False
    #: ``its clock hour equals HOUR_REPT in 96.8% of … rows`` (``None`` without rows to compare)
    agreement: str | None = None
    #: what the sentences are built from (:func:`clock_sentences`): ``rows``, ``written_match``,
    #: ``converted_match``, ``filled``
    counts: dict[str, int] = field(default_factory=dict)


def offset_tokens(values: pd.Series, parsed: ParsedTimes) -> list[str]:
    """The distinct offsets the values state (``+00``, ``Z`` …), sorted; ``[]`` for none."""
    if parsed.with_offset is None or not parsed.with_offset.any():
        return []
    text = values.astype(object).reset_index(drop=True)[parsed.with_offset].astype(str)
    found = text.str.extract(r"(Z|[+-]\d{2}(?::?\d{2})?)\s*$", expand=False).dropna().unique()
    return sorted(found)


def offsets_note(
    values: pd.Series, parsed: ParsedTimes, *, column: str, area_zone: str
) -> str | None:
    """A sentence on how stated offsets were read (``None`` when no value states one)."""
    if parsed.with_offset is None or not parsed.with_offset.any():
        return None
    return offsets_sentence(offset_tokens(values, parsed), parsed.offsets, column, area_zone)


def offsets_sentence(tokens, offsets: str, column: str, area_zone: str) -> str:
    """:func:`offsets_note`'s sentence from the offsets found (any table's, or partitions')."""
    shown = ", ".join(sorted(tokens)[:3]) or "UTC"
    if offsets == "local":
        return (
            f"{column}: {shown} offsets read as local wall time in {area_zone} (offsets = 'local')"
        )
    return (
        f"{column}: {shown} offsets honoured: times converted to {area_zone} (offsets = 'honour')"
    )


def clock_check(
    values: pd.Series,
    parsed: ParsedTimes,
    hour_values: pd.Series,
    *,
    column: str,
    hour_column: str,
    area_zone: str,
) -> ClockCheck:
    """Compare a time column's clock with the source's own hour column.

    The clock hour as written (whatever its offset) and the hour as read (after honouring or
    dropping the offset) are each compared with ``hour_values`` (``HHMM``, ``H`` or ``HH:MM``). A
    value written at exactly ``00:00:00`` whose hour column names another time is a date-only
    stamp: it takes the hour column's time of day on its written date (wall time in
    ``area_zone``).
    """
    v = values.astype(object).reset_index(drop=True)
    text = v.map(lambda x: "" if x is None or x != x else str(x).strip())
    written = written_clock_hours(v)
    hour = hours_from_column(hour_values.reset_index(drop=True))
    minutes = _hhmm_minutes(hour_values.reset_index(drop=True))
    local = parsed.local.reset_index(drop=True).copy()
    converted = local.dt.hour
    both = written.notna() & hour.notna() & converted.notna()
    w_agree = float((written[both] == hour[both]).mean()) if both.any() else None
    c_agree = float((converted[both] == hour[both]).mean()) if both.any() else None
    midnight = text.str.contains(
        r"(?:^|[T\s])0?0:00(?::00(?:\.0+)?)?(?:\s*(?:Z|[+-]\d{2}(?::?\d{2})?))?$"
    )
    filled = (midnight & minutes.notna() & (minutes > 0)).to_numpy(dtype=bool)
    if filled.any():
        day = pd.to_datetime(
            text[filled]
            .str.extract(r"^(\d{4}[-/]\d{1,2}[-/]\d{1,2})", expand=False)
            .str.replace("/", "-"),
            errors="coerce",
        )
        wall = day + pd.to_timedelta(minutes[filled], unit="min")
        fixed, _amb, _non = _localize(wall, area_zone, area_zone)
        local[filled] = fixed.to_numpy()
        filled &= local.notna().to_numpy()
    counts = {
        "rows": int(both.sum()),
        "written_match": int((written[both] == hour[both]).sum()),
        "converted_match": int((converted[both] == hour[both]).sum()),
        "filled": int(filled.sum()),
    }
    offsets_stated = parsed.with_offset is not None and bool(parsed.with_offset.any())
    agreement, notes, suspicious = clock_sentences(
        counts, parsed.offsets, offsets_stated, column=column, hour_column=hour_column
    )
    local.index = parsed.local.index
    return ClockCheck(local, filled, w_agree, c_agree, notes, bool(suspicious), agreement, counts)


def clock_sentences(
    counts: dict[str, int], offsets: str, offsets_stated: bool, *, column: str, hour_column: str
) -> tuple[str | None, list[str], bool]:
    """(agreement, notes, suspicious) of :func:`clock_check` from its counts (``rows`` with
    both a clock and an hour, ``written_match``, ``converted_match``, ``filled``): the same
    sentences for one table or for partitions' summed counts."""
    rows = int(counts.get("rows", 0))
    w_agree = counts["written_match"] / rows if rows else None
    c_agree = counts["converted_match"] / rows if rows else None
    filled = int(counts.get("filled", 0))
    notes = []
    how = "as read " if offsets == "honour" else ""
    agreement = None
    if c_agree is not None:
        agreement = (
            f"its clock hour {how}equals {hour_column} in {c_agree:.1%} of {rows:,} rows"
            + (f" (as written: {w_agree:.1%})" if offsets == "honour" else "")
        )
    suspicious = (
        w_agree is not None
        and c_agree is not None
        and offsets == "honour"
        and offsets_stated
        and w_agree >= 0.8
        and w_agree - c_agree >= 0.3
    )
    if suspicious:
        notes.append(
            f"WARNING: {column}'s offsets look wrong: the clock as written agrees with "
            f"{hour_column} ({w_agree:.1%}) far better than the converted time ({c_agree:.1%}); "
            "if the times are local wall-clock, set offsets = 'local' in [layers.calls] "
            "(or --offsets local)"
        )
    if filled:
        notes.append(
            f"{filled:,} {column} values stamped 00:00:00 took their time of day from "
            f"{hour_column} (a date-only stamp)"
        )
    return agreement, notes, bool(suspicious)


def time_read_notes(basis: dict) -> list[str]:
    """The load notes on how a time column was read, from :func:`time_read_basis`'s counts
    (one table's, or partitions' merged with :func:`merge_time_basis`): how stated offsets
    were read, the agreement with the hour column, a warning when the offsets look wrong,
    date-only stamps given the hour column's time."""
    if not basis:
        return []
    column, zone, offsets = basis["column"], basis["area_zone"], basis["offsets"]
    how = (
        offsets_sentence(basis["offset_tokens"], offsets, column, zone)
        if basis.get("offsets_stated")
        else None
    )
    notes: list[str] = []
    if basis.get("hour_column"):
        agreement, notes, _sus = clock_sentences(
            basis["clock"], offsets, bool(basis.get("offsets_stated")), column=column,
            hour_column=basis["hour_column"],
        )  # fmt: skip
        if agreement:
            how = f"{how}; {agreement}" if how else f"{column}: {agreement}"
    return ([how] if how else []) + list(notes)


def time_read_basis(
    values: pd.Series, parsed: ParsedTimes, check: ClockCheck | None, *, column: str,
    area_zone: str, hour_column: str | None = None,
) -> dict:  # fmt: skip
    """The counts behind :func:`time_read_notes` (JSON-ready; summed across partitions)."""
    return {
        "column": column,
        "area_zone": area_zone,
        "offsets": parsed.offsets,
        "offsets_stated": parsed.with_offset is not None and bool(parsed.with_offset.any()),
        "offset_tokens": offset_tokens(values, parsed),
        "hour_column": hour_column if check is not None else None,
        "clock": dict(check.counts) if check is not None else {},
    }


def merge_time_basis(a: dict, b: dict) -> dict:
    """Two partitions' :func:`time_read_basis` as one table's (counts summed, offsets united)."""
    if not a:
        return dict(b)
    if not b:
        return dict(a)
    clock = {k: int(a["clock"].get(k, 0)) + int(b["clock"].get(k, 0))
             for k in {*a["clock"], *b["clock"]}}  # fmt: skip
    return {
        **a,
        "offsets_stated": bool(a.get("offsets_stated") or b.get("offsets_stated")),
        "offset_tokens": sorted({*a["offset_tokens"], *b["offset_tokens"]}),
        "clock": clock,
    }
