"""Per-beat tables derived for outputs, and display formatting for reports.

:func:`coverage_by_beat` is the per-beat coverage layer written by ``geo-heart coverage -o``;
:func:`display_table` turns a result table into one a council member can read (human headers,
percentages like ``4.1%``, whole numbers with thousands separators).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from geo_heart.analysis.calls import CallData
    from geo_heart.geo.workspace import Workspace

#: column → human header (anything not here: underscores become spaces, first letter capital)
HEADERS = {
    "beat": "Beat",
    "district": "District",
    "area_sq_mi": "Area (sq mi)",
    "population": "Residents",
    "total_calls": "All calls",
    "eligible_any": "Eligible calls (any program)",
    "eligible_any_in_hours": "Eligible calls within hours",
    "eligible_per_1000": "Eligible per 1,000 residents",
    "eligible_per_sq_mi": "Eligible per sq mi",
    "share_of_city_eligible": "Share of city's eligible calls",
    "scenario": "Scenario",
    "scenario_label": "Scenario",
    "program": "Program",
    "eligible": "Eligible calls",
    "in_area": "In area",
    "in_hours": "In hours",
    "covered": "Covered",
    "share_in_area": "Share in area",
    "share_in_hours": "Share in hours",
    "share_covered": "Share covered",
    "hours": "Hours",
    "rank": "Rank",
    "touches_area": "Touches area",
    "selected": "Recommended",
    "greedy_step": "Greedy step",
    "distance_m": "Distance (m)",
    "hotspot": "Gi* class",
    "gi_z": "Gi* z",
    "p_sim": "Pseudo p",
    "p_fdr": "FDR-adjusted p",
    "value": "Value",
}


def header(col: str) -> str:
    """Human header of a column (``eligible_CRT`` → ``Eligible CRT``)."""
    if col in HEADERS:
        return HEADERS[col]
    for prefix, text in (
        ("eligible_", "Eligible "),
        ("covered_", "Covered "),
        ("share_covered_", "Share covered "),
        ("in_", "In "),
    ):
        if col.startswith(prefix):
            rest = col[len(prefix) :]
            return text + (rest.replace("_", " ") if rest.islower() else rest)
    t = col.replace("_", " ")
    return t[:1].upper() + t[1:]


def coverage_by_beat(beat_table: pd.DataFrame, programs: list[str]) -> pd.DataFrame:
    """Per beat: eligible and covered calls per program and the covered share.

    ``share_covered_P`` = ``covered_P / eligible_P`` (empty when the beat has no eligible call).
    """
    cols = ["beat", "district", "eligible_any"]
    out = beat_table[[c for c in cols if c in beat_table.columns]].copy()
    for p in programs:
        e = beat_table[f"eligible_{p}"].astype(float)
        c = beat_table[f"covered_{p}"].astype(float)
        out[f"eligible_{p}"] = beat_table[f"eligible_{p}"]
        out[f"covered_{p}"] = beat_table[f"covered_{p}"]
        out[f"share_covered_{p}"] = (c / e.where(e > 0)).round(4)
    return out


def display_table(
    df: pd.DataFrame,
    *,
    pct: tuple[str, ...] = (),
    ints: tuple[str, ...] = (),
    decimals: dict[str, int] | None = None,
    headers: dict[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``df`` with text cells: ``pct`` as ``4.1%``, ``ints`` as ``1,234``, other
    floats with ``decimals`` (default 1) and thousands separators, booleans as yes/no, and human
    headers."""
    decimals = decimals or {}
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        if c in pct:
            out[c] = s.map(lambda v: "" if pd.isna(v) else f"{100 * float(v):.1f}%")
        elif c in ints:
            out[c] = s.map(lambda v: "" if pd.isna(v) else f"{float(v):,.0f}")
        elif s.dtype == bool or (
            s.dtype == object and s.dropna().map(type).eq(bool).all() and len(s.dropna())
        ):
            out[c] = s.map(lambda v: "" if pd.isna(v) else ("yes" if v else "no"))
        elif pd.api.types.is_integer_dtype(s):
            out[c] = s.map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
        elif pd.api.types.is_float_dtype(s):
            d = decimals.get(c, 1)
            out[c] = s.map(lambda v, d=d: "" if not np.isfinite(v) else f"{v:,.{d}f}")
        else:
            out[c] = s.map(
                lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v)
            )
    names = {c: (headers or {}).get(c, header(c)) for c in df.columns}
    return out.rename(columns=names)


def data_period(data) -> dict:
    """First and last call (local time) and the number of weeks between them.

    Returns ``{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "weeks": float, "text": "..."}``.
    """
    t = pd.to_datetime(data.frame["local_time"], errors="coerce", utc=False).dropna()
    if t.empty:
        return period_between(None, None)
    return period_between(t.min(), t.max())


def period_between(start, end) -> dict:
    """:func:`data_period` from the first and last call's local time (None: unknown)."""
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return {"start": None, "end": None, "weeks": float("nan"), "text": "unknown period"}
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    weeks = max((end - start).total_seconds() / (7 * 86400), 1 / 7)
    text = f"{start:%d %b %Y} to {end:%d %b %Y} ({weeks:,.0f} weeks)"
    return {"start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}", "weeks": weeks, "text": text}


def with_weekly_averages(hour_table: pd.DataFrame, weeks: float) -> pd.DataFrame:
    """Add ``<col>_per_week`` (average per week of the period) for every count column."""
    out = hour_table.copy()
    counts = [c for c in out.columns if c == "total_calls" or c.startswith("eligible_")]
    for c in counts:
        out[f"{c}_per_week"] = (out[c] / weeks).round(3) if weeks and weeks == weeks else np.nan
    return out


def with_partial_months(month_table: pd.DataFrame, period: dict) -> pd.DataFrame:
    """Add ``partial`` (the data start or end inside the month: counts are not a full month)."""
    out = month_table.copy()
    out["partial"] = False
    if period.get("start") and len(out):
        start = pd.Timestamp(period["start"])
        end = pd.Timestamp(period["end"])
        first = out["month"] == f"{start:%Y-%m}"
        last = out["month"] == f"{end:%Y-%m}"
        if start.day > 1:
            out.loc[first, "partial"] = True
        if end.day < end.days_in_month:
            out.loc[last, "partial"] = True
    return out


def write_demand_tables(
    ws: Workspace,
    data: CallData | None,
    out_dir: str | Path,
    *,
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
    unknown: pd.DataFrame | None = None,
    periods: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write ``demand_by_beat.csv``, ``demand_by_hour.csv``, ``demand_by_month.csv``,
    ``unknown_call_types.csv`` and, when the calls were judged under the rules of their own time,
    ``coverage_by_period.csv`` and ``coverage_by_period.png`` (the before/after table and chart)
    into ``out_dir``; return name → path.

    ``tables`` reuses already computed (by beat, by hour, by month) tables; with ``data=None``
    (tables summed from partitions) ``tables``, ``unknown`` and ``periods`` (the
    :func:`~geo_heart.analysis.coverage.rules_coverage_table`, or None) are written as given.
    """
    from geo_heart.analysis.coverage import rules_coverage_table
    from geo_heart.analysis.demand import (
        beat_demand,
        hour_of_week_demand,
        monthly_demand,
        unknown_codes_table,
    )
    from geo_heart.io.files import write_bytes_file
    from geo_heart.io.tables import write_table
    from geo_heart.render.periods import period_png

    out = Path(out_dir)
    if tables is None:
        tables = (beat_demand(ws, data), hour_of_week_demand(ws, data), monthly_demand(data))
    by_beat, by_hour, by_month = tables
    written = {
        "by_beat": write_table(by_beat, out / "demand_by_beat.csv"),
        "by_hour": write_table(by_hour, out / "demand_by_hour.csv"),
        "by_month": write_table(by_month, out / "demand_by_month.csv"),
        "unknown": write_table(
            unknown_codes_table(data) if data is not None else unknown,
            out / "unknown_call_types.csv",
        ),
    }
    if data is not None and "rules" in data.frame.columns:
        periods = rules_coverage_table(data, ws.config)
    if periods is not None:
        written["by_period"] = write_table(periods, out / "coverage_by_period.csv")
        written["period_chart"] = write_bytes_file(
            out / "coverage_by_period.png", period_png(ws, periods)
        )
    return written


def relabel(text: str, labels: dict[str, str] | None) -> str:
    """Human text in the area's own unit words (:func:`geo_heart.config.areafile.relabel_text`)."""
    from geo_heart.config.areafile import relabel_text

    return relabel_text(text, labels)


class Worded(str):
    """Text already in the area's unit words (e.g. from ``Area.evaluate``, which writes them):
    :func:`relabel_all` leaves it as it is, so "district" never becomes "precinct"."""

    __slots__ = ()


def worded(value):
    """``value`` with every string marked :class:`Worded` (nested dicts/lists; bytes kept)."""
    if isinstance(value, str):
        return Worded(value)
    if isinstance(value, dict):
        return {k: worded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(worded(v) for v in value)
    return value


def relabel_all(value, config, *, skip: tuple[str, ...] = ("src", "png")):
    """Every string in nested dicts/lists in the area's unit words (``config.own_words``: the
    area file's own labels are kept as written); keys in ``skip`` and :class:`Worded` text
    left alone."""
    if isinstance(value, Worded):
        return value
    if isinstance(value, str):
        return config.own_words(value)
    if isinstance(value, dict):
        return {k: v if k in skip else relabel_all(v, config, skip=skip) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(relabel_all(v, config, skip=skip) for v in value)
    return value
