"""Weekly service hours in local time.

One hours syntax serves the area file and every CLI option: a window is the text
``"Mon-Fri 09:00-17:00"`` (days, then start-end), windows are joined by ``;`` on the command line
or listed in the file (``hours = ["Mon-Thu 09:00-17:00", "Thu-Sun 18:00-02:30"]``); ``"24/7"`` is
every hour. The older table form ``{days = "Mon-Fri", start = "09:00", end = "17:00"}`` is still
read. ``end`` is exclusive and ``end = "24:00"`` means midnight.

**Windows across midnight.** An ``end`` earlier than ``start`` runs into the next day, and the
whole window belongs to the day it starts: ``"Sun 18:00-02:30"`` covers Monday 01:30, and under
dated rules the night is judged by the rules of the day the shift started
(:meth:`WeeklySchedule.split_masks` keeps the part after midnight apart for that).

**Wall-clock time.** Windows are local wall-clock times in the area's time zone, so they hold through
DST changes: on the night the clocks go back, 01:00-02:00 happens twice and both are inside a
``18:00-02:30`` shift (a shift that night lasts one hour longer in elapsed time). Times are turned
into local wall-clock times by :mod:`geo_heart.config.times` (an ambiguous time is its first
occurrence, a skipped one is shifted forward). Two windows may not share an hour, and a window may
not have zero length (``09:00-09:00``; a whole day is ``00:00-24:00``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time

import numpy as np

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {d.lower(): i for i, d in enumerate(DAY_NAMES)}
_DAY_INDEX.update(
    {
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    }
)


def parse_days(spec: str | Iterable[str]) -> tuple[int, ...]:
    """Parse ``"Mon-Fri"``, ``"Sat,Sun"`` or ``["Mon", "Wed"]`` into weekday numbers (Mon = 0).

    Raises
    ------
    ValueError
        Naming the day that is not understood.
    """
    parts: list[str] = []
    if isinstance(spec, str):
        parts = [p.strip() for p in spec.split(",") if p.strip()]
    else:
        parts = [str(p).strip() for p in spec]
    if not parts:
        raise ValueError("empty list of days")
    out: list[int] = []
    for part in parts:
        if "-" in part:
            a, b = (x.strip().lower() for x in part.split("-", 1))
            if a not in _DAY_INDEX or b not in _DAY_INDEX:
                raise ValueError(f"day range {part!r}: days are {', '.join(DAY_NAMES)}")
            i, j = _DAY_INDEX[a], _DAY_INDEX[b]
            k = i
            while True:
                out.append(k)
                if k == j:
                    break
                k = (k + 1) % 7
        else:
            key = part.lower()
            if key not in _DAY_INDEX:
                raise ValueError(f"day {part!r}: days are {', '.join(DAY_NAMES)}")
            out.append(_DAY_INDEX[key])
    return tuple(sorted(set(out)))


def parse_clock(value: str) -> int:
    """Parse ``"HH:MM"`` into minutes after midnight (``"24:00"`` → 1440)."""
    text = str(value).strip()
    try:
        hh, mm = text.split(":")
        h, m = int(hh), int(mm)
    except ValueError:
        raise ValueError(f"time {value!r} is not HH:MM") from None
    if not (0 <= m < 60 and (0 <= h < 24 or (h == 24 and m == 0))):
        raise ValueError(f"time {value!r} is out of range 00:00-24:00")
    return h * 60 + m


def parse_window_text(text: str) -> dict[str, str]:
    """``"Mon-Fri 09:00-17:00"`` → ``{"days": "Mon-Fri", "start": "09:00", "end": "17:00"}``.

    Raises
    ------
    ValueError
        Naming the window and the expected form.
    """
    part = str(text).strip()
    bits = part.rsplit(None, 1)
    example = "expected DAYS START-END, e.g. 'Mon-Fri 09:00-17:00' or 'Sun 18:00-02:30'"
    if len(bits) != 2 or bits[1].count("-") != 1:
        raise ValueError(example)
    start, _, end = bits[1].partition("-")
    try:
        parse_days(bits[0])
        parse_clock(start)
        parse_clock(end)
    except ValueError as exc:
        raise ValueError(f"{exc} ({example})") from None
    return {"days": bits[0].strip(), "start": start, "end": end}


def parse_hours(text: str) -> WeeklySchedule:
    """Parse the hours syntax: ``"Mon-Thu 09:00-17:00; Thu-Sun 18:00-02:30"`` or ``"24/7"``.

    Raises
    ------
    ValueError
        Naming the window that is not understood.
    """
    spec = str(text).strip()
    if spec.lower() in ("24/7", "always"):
        return WeeklySchedule.always()
    parts = [p.strip() for p in spec.split(";") if p.strip()]
    if not parts:
        raise ValueError("no window given; e.g. 'Mon-Sun 08:00-20:00'")
    return WeeklySchedule.from_config(parts)


@dataclass(frozen=True)
class Window:
    """One weekly window: on ``days``, from ``start_min`` (inclusive) for ``length_min`` minutes."""

    days: tuple[int, ...]
    start_min: int
    length_min: int

    def describe(self) -> str:
        """Human form, e.g. ``Mon-Fri 09:00-17:00``."""
        end = (self.start_min + self.length_min) % 1440
        return f"{_days_text(self.days)} {_hhmm(self.start_min)}-{_hhmm(end) if end else '24:00'}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days_text(days: tuple[int, ...]) -> str:
    if days == tuple(range(7)):
        return "Mon-Sun"
    if len(days) > 2 and days == tuple(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]}"
    return ",".join(DAY_NAMES[d] for d in days)


def _refuse_overlaps(windows: list[Window]) -> None:
    """ValueError naming two windows that share a minute of the week (and the first such minute)."""
    owner = np.full(7 * 1440, -1, dtype=np.int64)
    for i, w in enumerate(windows):
        for d in w.days:
            idx = np.arange(d * 1440 + w.start_min, d * 1440 + w.start_min + w.length_min) % (
                7 * 1440
            )
            taken = owner[idx]
            if (taken >= 0).any():
                j = int(taken[taken >= 0][0])
                m = int(idx[np.flatnonzero(taken >= 0)[0]])
                raise ValueError(
                    f"windows {windows[j].describe()!r} and {w.describe()!r} overlap (both open "
                    f"{DAY_NAMES[m // 1440]} {_hhmm(m % 1440)}); give each hour once"
                )
            owner[idx] = i


@dataclass(frozen=True)
class WeeklySchedule:
    """A set of weekly windows; answers "open at this local time?" singly or vectorised."""

    windows: tuple[Window, ...]

    @classmethod
    def from_config(cls, items: Iterable[Mapping[str, object]]) -> WeeklySchedule:
        """Build from the file form: a list of ``"Mon-Fri 09:00-17:00"`` texts or ``{days, start,
        end}`` tables (``"24/7"`` allowed as a text).

        Raises ``ValueError`` / ``KeyError`` naming the bad entry; :mod:`geo_heart.config.areafile` wraps
        these with the file and key.
        """
        windows = []
        for i, item in enumerate(items):
            if isinstance(item, str):
                if item.strip().lower() in ("24/7", "always"):
                    windows.extend(cls.always().windows)
                    continue
                item = parse_window_text(item)
            if not isinstance(item, Mapping):
                raise ValueError(f"entry {i} is {item!r}, expected a table {{days, start, end}}")
            for key in ("days", "start", "end"):
                if key not in item:
                    raise ValueError(f"entry {i} has no {key!r}")
            days = parse_days(item["days"])  # type: ignore[arg-type]
            start = parse_clock(str(item["start"]))
            end = parse_clock(str(item["end"]))
            if start % 1440 == end % 1440 and not (start == 0 and end == 1440):
                raise ValueError(
                    f"entry {i} ({_days_text(days)} {_hhmm(start)}-{_hhmm(end)}): start = end is "
                    "a zero-length window; for a whole day write 00:00-24:00"
                )
            length = end - start if end > start else end + 1440 - start
            windows.append(Window(days, start, length))
        _refuse_overlaps(windows)
        return cls(tuple(windows))

    @classmethod
    def always(cls) -> WeeklySchedule:
        """Open 24/7."""
        return cls((Window(tuple(range(7)), 0, 1440),))

    def describe(self) -> str:
        """Human form of all windows, e.g. ``Mon-Fri 09:00-17:00``."""
        return "; ".join(w.describe() for w in self.windows) or "never"

    def minute_mask(self) -> np.ndarray:
        """Boolean array of the 10,080 minutes of the week (Mon 00:00 = 0), True when open."""
        mask = np.zeros(7 * 1440, dtype=bool)
        for w in self.windows:
            for d in w.days:
                s = d * 1440 + w.start_min
                idx = np.arange(s, s + w.length_min) % (7 * 1440)
                mask[idx] = True
        return mask

    def split_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """The minute mask in two parts: minutes of windows on the day they start, and the part
        of windows that runs past midnight into the next day (``Sun 18:00-02:30`` → Monday
        00:00-02:30 in the second). Under dated rules the second part is judged by the rules of
        the day before."""
        same = np.zeros(7 * 1440, dtype=bool)
        spill = np.zeros(7 * 1440, dtype=bool)
        for w in self.windows:
            for d in w.days:
                s = d * 1440 + w.start_min
                first = min(w.length_min, 1440 - w.start_min)
                same[np.arange(s, s + first) % (7 * 1440)] = True
                if w.length_min > first:
                    spill[np.arange(s + first, s + w.length_min) % (7 * 1440)] = True
        return same, spill

    def split_masks_cached(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`split_masks`, computed once per schedule."""
        cached = _SPLIT.get(self)
        if cached is None:
            cached = _SPLIT[self] = self.split_masks()
        return cached

    def hours_per_week(self) -> float:
        """Open hours in a week (windows across midnight counted in full)."""
        return float(self.minute_mask_cached().sum()) / 60.0

    def hour_mask(self) -> np.ndarray:
        """Share of each of the 168 hours of the week (Mon 00 = 0) that is open, 0..1."""
        return self.minute_mask().reshape(168, 60).mean(axis=1)

    def is_open(self, local: datetime | time | None = None, *, weekday: int | None = None) -> bool:
        """True if open at a local wall-clock time.

        Parameters
        ----------
        local
            A naive local datetime (its weekday is used), or a ``time`` with ``weekday`` given.
        """
        if isinstance(local, datetime):
            weekday = local.weekday()
            minute = local.hour * 60 + local.minute
        elif isinstance(local, time) and weekday is not None:
            minute = local.hour * 60 + local.minute
        else:
            raise TypeError("is_open needs a datetime, or a time and weekday=")
        return bool(self.minute_mask_cached()[weekday * 1440 + minute])

    def is_open_minutes(self, minute_of_week: np.ndarray) -> np.ndarray:
        """Vectorised: minute-of-week integers (Mon 00:00 = 0) → boolean array."""
        m = np.asarray(minute_of_week, dtype=np.int64)
        return self.minute_mask_cached()[m % (7 * 1440)]

    def minute_mask_cached(self) -> np.ndarray:
        cached = _MASKS.get(self)
        if cached is None:
            cached = self.minute_mask()
            _MASKS[self] = cached
        return cached


_MASKS: dict[WeeklySchedule, np.ndarray] = {}
_SPLIT: dict[WeeklySchedule, tuple[np.ndarray, np.ndarray]] = {}
