"""From a classified call table and the area file to the model's inputs.

All data loading of the staffing model is in :func:`arrivals_from_calls` (one small function, so
that a change of eligibility rules — e.g. rules dated by period — only needs it adapted) and
the configuration readers below (``[staffing]`` table, ``--hours`` text, ``--shifts`` file).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from geo_heart.config.schedule import (
    DAY_NAMES,
    WeeklySchedule,
    parse_clock,
    parse_days,
    parse_hours,
)
from geo_heart.errors import InputError
from geo_heart.staffing.erlang import HOURS, HourlyDemand, ServiceTime
from geo_heart.staffing.limits import MAX_TEAMS, check_teams

log = logging.getLogger(__name__)


def arrivals_from_calls(
    data,
    program: str,
    *,
    fallback_hours: WeeklySchedule | None = None,
    year: int | None = None,
    period: tuple | None = None,
    profile: np.ndarray | None = None,
) -> HourlyDemand:
    """Eligible arrivals by hour of the week and the program's service hours, from call data.

    Parameters
    ----------
    data
        :class:`~geo_heart.analysis.calls.CallData` (``frame`` with ``minute_of_week``, ``local_time`` and
        the eligibility columns ``P_type``, ``P_area``, ``P_hours``).
    program
        Program code, e.g. ``CRT``.
    fallback_hours
        Program hours for hours of the week with no timed call in the data.
    year
        Use only calls of this (local) calendar year.
    profile
        A stated hourly profile (168 shares summing to 1, Mon 00 = 0; :func:`read_hourly_profile`)
        spreading calls that have a date but no time of day over the week. Without one, such
        calls cannot be used: hours are never invented.
    period
        Use only calls of local dates ``[start, end)`` (either may be ``None``): the range of a
        :func:`geo_heart.staffing.basis.choose_basis`.

    Returns
    -------
    HourlyDemand
        Arrivals = calls eligible by **type and area** (in every hour, whatever the program hours)
        divided by the number of times each hour of the week occurs in the data period (first to
        last calendar day). Service hours = hours of the week in which at least half of the timed
        calls fall inside the program hours **in force** (the ``P_hours`` column), so dated rules
        and scenarios already applied to the eligibility columns carry through.

    Raises
    ------
    InputError
        Unknown program, or no timed calls in the period.
    """
    f = data.frame
    if program not in data.programs or f"{program}_type" not in f.columns:
        raise InputError(
            f"program {program!r} is not in the data; known: {', '.join(data.programs)}"
        )
    timed = (f["minute_of_week"] >= 0).to_numpy().copy()
    rows = np.ones(len(f), dtype=bool)
    if year is not None:
        rows &= (f["local_time"].dt.year == int(year)).fillna(False).to_numpy(dtype=bool)
    if period is not None:
        from geo_heart.staffing.basis import day_mask

        rows &= day_mask(f["local_time"], period[0], period[1]).to_numpy(dtype=bool)
    timed &= rows
    if profile is not None:
        return _profile_arrivals(data, program, profile, rows, fallback_hours)
    if not timed.any() and getattr(data, "date_only", 0):
        raise InputError(
            f"the calls in {data.source} have a date but no time of day: give --hourly-profile "
            "FILE (the share of calls in each hour of the week) to plan staffing; hours are never "
            "invented"
        )
    if not timed.any():
        raise InputError(
            f"no calls with a readable time{'' if year is None else f' in {year}'} in {data.source}"
        )
    hour = (f["minute_of_week"].to_numpy() // 60)[timed]
    eligible = (f[f"{program}_type"] & f[f"{program}_area"]).to_numpy(dtype=bool)[timed]
    counts = np.bincount(hour[eligible], minlength=HOURS).astype(float)
    times = f["local_time"][timed]
    first, last = times.min().normalize(), times.max().normalize() + pd.Timedelta(days=1)
    span = pd.date_range(first, last, freq="h", inclusive="left")
    occurrences = np.bincount(span.day_of_week * 24 + span.hour, minlength=HOURS).astype(float)
    in_hours = np.bincount(
        hour, weights=f[f"{program}_hours"].to_numpy(dtype=float)[timed], minlength=HOURS
    )
    seen = np.bincount(hour, minlength=HOURS)
    fallback = (
        fallback_hours.hour_mask() if fallback_hours is not None else np.zeros(HOURS, dtype=float)
    )
    share_open = np.where(seen > 0, in_hours / np.maximum(seen, 1), fallback)
    period = f"{first:%Y-%m-%d} to {(last - pd.Timedelta(days=1)):%Y-%m-%d}"
    demand = HourlyDemand(
        arrivals_per_week=counts / np.maximum(occurrences, 1),
        service_hours=share_open >= 0.5,
        program=program,
        source=f"{data.source}, {period}",
        calls=int(eligible.sum()),
        weeks=len(span) / HOURS,
    )
    log.info(
        "%s: %s calls eligible by type and area over %.1f weeks (%.0f a year), %d service hours",
        program,
        f"{demand.calls:,}",
        demand.weeks,
        demand.calls_per_year,
        int(demand.service_hours.sum()),
    )
    return demand


def _profile_arrivals(data, program, profile, rows, fallback_hours) -> HourlyDemand:
    """Arrivals from calls with a date (time of day or not) spread by a stated hourly profile."""
    f = data.frame
    dated = rows & f["local_time"].notna().to_numpy(dtype=bool)
    if not dated.any():
        raise InputError(f"no calls with a readable date in {data.source}")
    eligible = (f[f"{program}_type"] & f[f"{program}_area"]).to_numpy(dtype=bool) & dated
    days = f["local_time"][dated].dt.normalize()
    first, last = days.min(), days.max()
    weeks = ((last - first).days + 1) / 7.0
    per_week = eligible.sum() / weeks
    hours = fallback_hours.hour_mask() if fallback_hours is not None else np.zeros(HOURS)
    return HourlyDemand(
        arrivals_per_week=per_week * np.asarray(profile, dtype=float),
        service_hours=hours >= 0.5,
        program=program,
        source=(
            f"{data.source}, {first:%Y-%m-%d} to {last:%Y-%m-%d}; calls by date spread over the "
            "week by the stated hourly profile (--hourly-profile), not by their own times"
        ),
        calls=int(eligible.sum()),
        weeks=weeks,
    )


def read_hourly_profile(path: str | Path) -> np.ndarray:
    """A stated hourly profile: 168 shares of calls by hour of the week (Mon 00 = 0), sum 1.

    The CSV has columns ``day,hour,weight`` (``day`` Mon..Sun, ``hour`` 0..23) or
    ``hour_of_week,weight`` (0..167); missing hours weigh 0; weights are scaled to sum to 1.

    Raises
    ------
    InputError
        Naming the file, row and value that are not understood.
    """
    p = Path(path)
    try:
        df = pd.read_csv(p, dtype=str, skipinitialspace=True).fillna("")
    except FileNotFoundError:
        raise InputError(f"--hourly-profile {str(p)!r}: file does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"--hourly-profile {str(p)!r}: not a CSV file ({exc})") from None
    cols = {c.strip().lower(): c for c in df.columns}
    if "weight" not in cols or not ({"day", "hour"} <= set(cols) or "hour_of_week" in cols):
        raise InputError(
            f"--hourly-profile {str(p)!r}: needs columns day,hour,weight or hour_of_week,weight; "
            f"has {', '.join(df.columns)}"
        )
    out = np.zeros(HOURS, dtype=float)
    for i, row in enumerate(df.to_dict("records"), start=2):
        try:
            if "hour_of_week" in cols:
                h = int(row[cols["hour_of_week"]])
            else:
                (d,) = parse_days(row[cols["day"]])
                hour = int(row[cols["hour"]])
                if not 0 <= hour < 24:
                    raise ValueError(f"hour {hour} is not 0-23")
                h = d * 24 + hour
            w = float(row[cols["weight"]])
            if not (0 <= h < HOURS) or not (w >= 0 and np.isfinite(w)):
                raise ValueError("out of range")
        except ValueError as exc:
            raise InputError(
                f"--hourly-profile {str(p)!r} row {i}: {row!r} is not understood ({exc})"
            ) from None
        out[h] += w
    if out.sum() <= 0:
        raise InputError(f"--hourly-profile {str(p)!r}: the weights sum to 0")
    return out / out.sum()


def schedule_from_text(text: str) -> WeeklySchedule:
    """Parse ``--hours`` in the hours syntax (:func:`geo_heart.config.schedule.parse_hours`).

    Raises
    ------
    InputError
        Naming the window that is not understood.
    """
    try:
        return parse_hours(text)
    except ValueError as exc:
        raise InputError(f"--hours {text!r}: {exc}") from None


def mask_from_schedule(schedule: WeeklySchedule) -> np.ndarray:
    """168 booleans: hours at least half inside the schedule."""
    return schedule.hour_mask() >= 0.5


def read_shifts(path: str | Path) -> np.ndarray:
    """Teams on duty by hour of the week from a CSV file.

    Two forms are accepted:

    * **rows** with columns ``day,start,end,teams`` — ``day`` a day or range (``Mon-Fri``),
      ``start``/``end`` whole hours ``HH:00`` (end exclusive, ``24:00`` allowed, an end before the
      start runs past midnight); overlapping rows add up;
    * a **7 × 24 grid** — 7 rows (Mon..Sun) of 24 integers (hours 0..23), with an optional first
      column of day names and an optional header row.

    Raises
    ------
    InputError
        Naming the file, row and value that are not understood.
    """
    p = Path(path)
    try:
        df = pd.read_csv(p, dtype=str, header=None, skipinitialspace=True)
    except FileNotFoundError:
        raise InputError(f"--shifts {str(p)!r}: file does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"--shifts {str(p)!r}: not a CSV file ({exc})") from None
    df = df.fillna("").apply(lambda c: c.str.strip())
    header = [c.lower() for c in df.iloc[0]]
    if {"day", "start", "end", "teams"} <= set(header):
        return _shift_rows(df.iloc[1:].set_axis(header, axis=1), p)
    return _shift_grid(df, p)


def _shift_rows(df: pd.DataFrame, p: Path) -> np.ndarray:
    teams = np.zeros(HOURS, dtype=np.int64)
    for i, row in enumerate(df.itertuples(index=False), start=2):
        r = row._asdict()
        try:
            days = parse_days(r["day"])
            start, end = parse_clock(r["start"]), parse_clock(r["end"])
            n = int(r["teams"])
        except ValueError as exc:
            raise InputError(f"--shifts {str(p)!r} row {i}: {exc}") from None
        if start % 60 or end % 60 or not 0 <= n <= MAX_TEAMS:
            raise InputError(
                f"--shifts {str(p)!r} row {i}: start {r['start']!r}, end {r['end']!r}, teams "
                f"{r['teams']!r}: times must be whole hours and teams from 0 to {MAX_TEAMS}"
            )
        length = (end - start) // 60 if end > start else (end + 1440 - start) // 60
        for d in days:
            hours = (d * 24 + start // 60 + np.arange(length)) % HOURS
            teams[hours] += n
    check_teams(teams, f"--shifts {str(p)!r}")
    return teams


def _shift_grid(df: pd.DataFrame, p: Path) -> np.ndarray:
    rows = [list(r) for r in df.itertuples(index=False)]
    rows = [r for r in rows if any(x != "" for x in r)]
    days = {d.lower() for d in DAY_NAMES}
    if rows and (not _all_int(rows[0][-24:]) or not _all_int(rows[0][:1])):
        if rows[0][0].lower()[:3] not in days:
            rows = rows[1:]  # header row
    rows = [r[1:] if r and r[0].lower()[:3] in days else r for r in rows]
    rows = [[x for x in r if x != ""] for r in rows]
    if len(rows) != 7 or any(len(r) != 24 for r in rows):
        raise InputError(
            f"--shifts {str(p)!r}: expected columns day,start,end,teams or a grid of 7 rows × 24 "
            f"hours, got {len(rows)} rows of {sorted({len(r) for r in rows})} values"
        )
    try:
        values = [[int(x) for x in r] for r in rows]
        check_teams([max(r) for r in values], f"--shifts {str(p)!r}")
        grid = np.array(values, dtype=np.int64)
    except ValueError as exc:
        raise InputError(f"--shifts {str(p)!r}: {exc}") from None
    if (grid < 0).any():
        raise InputError(f"--shifts {str(p)!r}: team counts must be >= 0, got {grid.min()}")
    check_teams(grid, f"--shifts {str(p)!r}")
    return grid.ravel()


def _all_int(values) -> bool:
    try:
        [int(x) for x in values]
    except ValueError:
        return False
    return True


def staffing_config(area, program: str) -> dict:
    """The ``[staffing]`` table of the area file merged with ``[staffing.programs.<program>]``.

    Keys: ``service_minutes``, ``distribution``, ``lognormal_cv``, ``travel_minutes``, ``teams``,
    ``assumed``, ``source``, ``note``. Missing table → empty dict.

    Raises
    ------
    InputError
        Naming the file and key of a value of the wrong type.
    """
    raw = dict(getattr(area, "staffing", {}) or {})
    base = {k: v for k, v in raw.items() if k not in ("programs", "program")}
    per = dict((raw.get("programs") or {}).get(program, {}))
    out = {**base, **per}
    for key in ("service_minutes", "lognormal_cv", "travel_minutes", "teams"):
        if key in out and (
            isinstance(out[key], bool)
            or not isinstance(out[key], int | float)
            or not math.isfinite(out[key])
        ):
            raise InputError(f"{area.path}: staffing.{key} = {out[key]!r}: expected a number")
    return out


def service_from_config(
    cfg: dict,
    *,
    service_minutes: float | None = None,
    distribution: str | None = None,
    cv: float | None = None,
    travel_minutes: float | None = None,
) -> ServiceTime:
    """A :class:`ServiceTime` from options, falling back to the ``[staffing]`` table (60 min exp)."""
    return ServiceTime(
        mean_minutes=float(service_minutes or cfg.get("service_minutes", 60.0)),
        distribution=str(distribution or cfg.get("distribution", "exponential")),
        cv=float(cv if cv is not None else cfg.get("lognormal_cv", 1.0)),
        travel_minutes=float(
            travel_minutes if travel_minutes is not None else cfg.get("travel_minutes", 0.0)
        ),
    )
