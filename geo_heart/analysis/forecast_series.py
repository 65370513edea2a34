"""The monthly series a forecast is fitted on: eligible calls per program (and beat) per full
month, counted under today's rules, with a CAD recording change found and restated
(:mod:`geo_heart.analysis.forecast` describes the basis)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_heart.errors import InputError

#: a risk-implying prefix that decides at least this share of recent eligible calls breaks the series
PREFIX_SHARE = 0.10


def forecast_units(config) -> str:
    """What a counted row is called (``[forecast] units``; default ``eligible calls``)."""
    section = getattr(config, "forecast", None) or {}
    return str(section.get("units") or "eligible calls")


def _latest_programs(config):
    """The programs under the rule set in force today (``RuleSet``, programs)."""
    from geo_heart.config.clock import today_local
    from geo_heart.dispatch.eligibility import programs_for

    today = today_local(config.timezone)
    rs = config.rules_at(today).rule_set
    if getattr(rs, "synthetic", False):  # today is before every rule set: the latest
        rs = config.rule_set(None)
    return rs, programs_for(config, None, rules=rs)


def _code_only_risk(config, frame: pd.DataFrame) -> np.ndarray:
    """The weapon/violence flag each call's code carries by itself (a risk-implying program
    prefix ignored)."""
    from geo_heart.config.areafile import normalize_code
    from geo_heart.config.calltypes import call_type_table

    risk = frame["risk"].to_numpy(dtype=bool).copy()
    implying = [p.prefix for p in config.prefixes if p.implies_risk]
    if not implying or "raw_call_type" not in frame.columns:
        return risk
    table = call_type_table(config)
    raw = frame["raw_call_type"].astype(object)
    prefixed = frame["prefix_program"].notna().to_numpy() & risk
    memo: dict[str, bool] = {}
    for i in np.flatnonzero(prefixed):
        text = raw.iat[i]
        key = "" if text is None or text != text else str(text)
        if key not in memo:
            code = normalize_code(key)
            hit = next((p for p in implying if code.startswith(p) or code + " " == p), None)
            memo[key] = (
                bool(table.classify(code[len(hit) :].strip()).risk) if hit is not None else True
            )
        risk[i] = memo[key]
    return risk


def full_months(times: pd.Series) -> list[pd.Timestamp]:
    """Month starts the call times cover in full (the first and last month only when the data
    reach their first and last day)."""
    t = times.dropna()
    if t.empty:
        return []
    first, last = t.min(), t.max()
    start = first.to_period("M").to_timestamp()
    if first.normalize() > start:
        start = start + pd.offsets.MonthBegin(1)
    end = last.to_period("M").to_timestamp()
    if last.normalize() < end + pd.offsets.MonthEnd(0):
        end = end - pd.offsets.MonthBegin(1)
    if end < start:
        return []
    return list(pd.date_range(start, end, freq="MS"))


@dataclass
class Series:
    """Monthly eligible counts under today's rules (what the forecast is fitted on)."""

    #: month start × program (city totals), full months only (level shifts applied)
    city: pd.DataFrame
    #: the same, as counted (no level shift)
    observed: pd.DataFrame
    #: ``beats`` as counted
    beats_observed: pd.DataFrame
    #: program → (first month of the new recording, factor applied to the months before it)
    adjust: dict[str, tuple[pd.Timestamp, float]]
    #: (month start, beat) × program, full months only
    beats: pd.DataFrame
    #: program → month start (Timestamp) of its first comparable month
    starts: dict[str, pd.Timestamp]
    #: program → why its series starts later than the table (empty when it does not)
    start_reasons: dict[str, str]
    rules_label: str
    area_label: dict[str, str]


def monthly_series(ws, data, *, programs: list[str] | None = None, before=None) -> Series:
    """Eligible calls per program per full month (and per beat), under today's rules.

    Parameters
    ----------
    ws
        The workspace (its area configuration).
    data
        Classified calls (:class:`~geo_heart.analysis.calls.CallData`).
    programs
        Programs to count (default: all).
    before
        Use only months before this date (a backtest's cut): the comparable-window rule reads
        these months only.
    """
    from geo_heart.dispatch.eligibility import eligibility_for_calls

    config = ws.config
    f = data.frame
    progs_all = list(data.programs)
    programs = progs_all if programs is None else programs
    unknown = [p for p in programs if p not in progs_all]
    if unknown:
        raise InputError(f"--program {unknown[0]!r}: known {', '.join(progs_all)}")
    rs, progs = _latest_programs(config)
    elig = eligibility_for_calls(config, f, programs=progs)
    unflagged = eligibility_frame_code_risk(config, f, progs)
    months = full_months(f["local_time"])
    if before is not None:
        cut = pd.Timestamp(before).to_period("M").to_timestamp()
        if pd.Timestamp(before) != cut:
            raise InputError(
                f"--backtest {before}: give the first day of a month (e.g. 2024-01-01)"
            )
        months = [m for m in months if m < cut]
    if not months:
        raise InputError(f"no full month of calls with a readable time in {data.source}")
    month = f["local_time"].dt.to_period("M").dt.to_timestamp()
    in_months = month.isin(months).to_numpy()
    beat = f["beat"].astype(object)
    city_cols, beat_cols, starts, reasons, area_label = {}, {}, {}, {}, {}
    adjust: dict[str, tuple[pd.Timestamp, float]] = {}
    idx = pd.DatetimeIndex(months, name="month")
    for p in programs:
        ok = (elig[f"{p}_type"] & elig[f"{p}_area"]).to_numpy(dtype=bool) & in_months
        counts = pd.Series(1, index=month[ok]).groupby(level=0).sum()
        city_cols[p] = counts.reindex(idx, fill_value=0).astype(float)
        by_beat = pd.DataFrame({"month": month[ok].to_numpy(), "beat": beat[ok].to_numpy()})
        beat_cols[p] = by_beat.groupby(["month", "beat"]).size().astype(float)
        sa = config.service_areas[progs[p].service_area]
        area_label[p] = sa.label or sa.key
        # a risk-implying prefix that decides eligibility: the months before it are not comparable
        changed = (
            elig[f"{p}_type"].to_numpy(dtype=bool) != unflagged[f"{p}_type"].to_numpy(dtype=bool)
        ) & ok
        start = months[0]
        last12 = month >= months[max(0, len(months) - 12)]
        recent = ok & last12.to_numpy()
        share = changed[recent].sum() / recent.sum() if recent.sum() else 0.0
        if share >= PREFIX_SHARE:
            ch = pd.Series(changed, index=month).groupby(level=0).sum().reindex(idx, fill_value=0)
            tot = city_cols[p].replace(0, np.nan)
            monthly_share = (ch / tot).fillna(0.0)
            regular = monthly_share[monthly_share >= share / 2]
            if len(regular):
                brk = regular.index[0]
                first_day = f.loc[changed, "local_time"].min()
                why = (
                    f"a CAD program prefix that implies a weapon or violence flag (first seen "
                    f"{first_day:%Y-%m-%d}) decides the eligibility of {share:.0%} of {p}'s "
                    "eligible calls in the last 12 months; the months before it recorded the "
                    "same calls without the flag"
                )
                y = city_cols[p]
                before_12 = y[(y.index < brk) & (y.index >= brk - pd.DateOffset(months=12))]
                after_12 = y[(y.index >= brk) & (y.index < brk + pd.DateOffset(months=12))]
                if len(before_12) == 12 and len(after_12) == 12 and before_12.sum() > 0:
                    ratio = float(after_12.sum() / before_12.sum())
                    adjust[p] = (brk, ratio)
                    reasons[p] = (
                        f"{p}: {why}, so the change is modelled as a level shift: months before "
                        f"{brk:%Y-%m} are scaled by {ratio:.2f}, the ratio of the 12 months from "
                        "it to the 12 months before it (the same calendar months, so the season "
                        "cancels)"
                    )
                else:
                    start = brk
                    reasons[p] = (
                        f"{p} from {brk:%Y-%m} only: {why} (too few months either side to model "
                        "the change)"
                    )
        starts[p] = start
    beats_frame = pd.DataFrame(beat_cols).fillna(0.0) if beat_cols else pd.DataFrame()
    observed = pd.DataFrame(city_cols, index=idx)
    beats_observed = beats_frame.copy()
    city = observed.copy()
    for p, (brk, ratio) in adjust.items():
        city.loc[city.index < brk, p] *= ratio
        if p in beats_frame.columns:
            pre = beats_frame.index.get_level_values(0) < brk
            beats_frame.loc[pre, p] *= ratio
    return Series(
        city=city,
        observed=observed,
        beats_observed=beats_observed,
        adjust=adjust,
        beats=beats_frame,
        starts=starts,
        start_reasons=reasons,
        rules_label=rs.label,
        area_label=area_label,
    )


def eligibility_frame_code_risk(config, frame: pd.DataFrame, progs) -> pd.DataFrame:
    """Eligibility under ``progs`` with each call's risk flag from its code alone."""
    from geo_heart.dispatch.eligibility import eligibility_frame

    return eligibility_frame(
        config,
        beats=frame["beat"],
        call_types=frame["call_type"],
        risk=_code_only_risk(config, frame),
        minute_of_week=frame["minute_of_week"],
        programs=progs,
    )


def describe_basis(ws, data, series: Series, starts: dict[str, str], units: str) -> str:
    """The forecast's basis in words (what was counted, which months, which rule)."""
    idx = series.city.index
    first, last = (f"{idx[0]:%Y-%m}", f"{idx[-1]:%Y-%m}") if len(idx) else ("", "")
    areas = "; ".join(f"{p}: {label}" for p, label in series.area_label.items())
    text = (
        f"Monthly counts of {units} in {data.source}: rows whose call type is eligible for the "
        f"program (its call types, with the weapon/violence rule) and whose beat is in its service "
        f"area under today's rules ({series.rules_label}; {areas}), at any hour. Every month is "
        "counted by this one definition, so earlier changes of service area and hours do not "
        "break the series (history is restated under today's rules rather than the rule change "
        f"modelled). Full months {first} to {last}"
    )
    late = {p: s for p, s in starts.items() if s != first}
    if late:
        text += " (" + "; ".join(f"{p} from {s}" for p, s in late.items()) + ")"
    text += "."
    for p, why in series.start_reasons.items():
        if p in starts:
            text += f" {why[0].upper()}{why[1:]}."
    own = getattr(ws.config, "own_words", None)
    return own(text) if own is not None else text
