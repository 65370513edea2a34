"""Next year's eligible demand: monthly forecasts per program, citywide or by beat, with intervals.

``geo-heart forecast`` and :meth:`geo_heart.area.Area.forecast` run :func:`forecast_calls`.

**What is counted (the basis).** For each program, the calls (for Durham: police incident
reports) whose *call type* is eligible (its call types, with the weapon/violence rule) and whose
beat is in the program's service area **under today's rules**, at any hour, per calendar month
(local time). Every month of the table is counted by that one definition, so a change of service
area or hours (Durham: the 12-beat pilot, then citywide from 2023-10-23) does not break the series:
history is restated under today's rules rather than the rule change modelled. Hours are not
applied (staffing applies them). Only full months are used.

One more break is checked in the data: a CAD *program prefix* that implies a weapon or violence
(Durham: ``COR - …`` since 2022-06-28) changes which reports are type-eligible from the day it
appears. When such reports make up at least :data:`PREFIX_SHARE` of a program's eligible reports
in the last 12 months, that program's series starts at the first full month in which the prefix
was in regular use (months before it recorded the same calls differently); the basis says so.

**Models.** statsforecast's AutoETS, AutoARIMA and SeasonalNaive (lag 12) are scored per program
by rolling-origin cross-validation (``StatsForecast.cross_validation``, mean absolute error) on the
months before the forecast; the lowest score forecasts, with 80% and 95% intervals. Counts are
never negative: means and lower bounds are clipped at 0. The 12-month total's interval comes from
simulated sample paths of the chosen model (``StatsForecast.simulate``, centred on the point
forecast), so the months' errors add up as the model says rather than as if independent.

**Beats (top-down).** The city forecast is split between beats in proportion to each beat's share
of the program's eligible calls in the last 12 months used, so beat means add up to the city's
exactly. Beat intervals come from the same sample paths split by a multinomial draw with shares
drawn from a Dirichlet on those counts (the split's own noise and its uncertainty).

**Backtest.** ``backtest=DATE`` fits on the months before ``DATE`` (everything above: window,
model choice, shares, using only those months) and forecasts the months after it, up to
``horizon``; ``relative_mae`` is the forecast's mean absolute error divided by that of the same
month a year earlier (seasonal naive, lag 12, from the fitted months only), with the share of
months inside the 80% and 95% intervals.
"""

from __future__ import annotations

import logging
import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.errors import InputError

log = logging.getLogger(__name__)

#: the models scored by cross-validation, in order of preference on a tie
MODEL_NAMES = ("AutoETS", "AutoARIMA", "SeasonalNaive")
#: interval levels (percent)
LEVELS = (80, 95)
#: a risk-implying prefix that decides at least this share of recent eligible calls breaks the series
PREFIX_SHARE = 0.10
#: fewest months a series needs before it is forecast (one season)
MIN_MONTHS = 12
#: programs averaging fewer eligible calls a month than this are not forecast (noted instead)
MIN_PER_MONTH = 1.0
SEASON = 12
TABLE_COLUMNS = ["month", "program", "beat", "mean", "lo80", "hi80", "lo95", "hi95", "model"]


# --------------------------------------------------------------------------------- the result
@dataclass
class Backtest:
    """A backtest: fitted on the months before ``start``, scored on those from it."""

    start: str
    #: program → {months, mae, mae_seasonal_naive, relative_mae, coverage80, coverage95}
    programs: dict[str, dict[str, Any]]
    #: month, program, beat, actual, mean, lo80 … hi95, model, seasonal_naive
    table: pd.DataFrame
    #: the same figures pooled over beats (``by="beat"``), else None
    beats: dict[str, Any] | None = None

    @property
    def relative_mae(self) -> float | None:
        """All programs' absolute errors pooled ÷ the seasonal naive's pooled (city level)."""
        t = self.table[self.table["beat"] == "city"]
        naive = float((t["actual"] - t["seasonal_naive"]).abs().sum())
        fc = float((t["actual"] - t["mean"]).abs().sum())
        return fc / naive if naive > 0 else None

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {
            "start": self.start,
            "relative_mae": _round(self.relative_mae),
            "programs": self.programs,
            "beats": self.beats,
        }


@dataclass
class ForecastResult:
    """A demand forecast (what :func:`forecast_calls` returns).

    Attributes
    ----------
    table
        One row per month, program and beat (``beat = "city"`` for citywide rows; ``by="beat"``:
        the beat rows): ``month`` (``YYYY-MM``), ``program``, ``beat``, ``mean``, ``lo80``,
        ``hi80``, ``lo95``, ``hi95``, ``model``.
    city
        The citywide rows (same columns), whatever ``by`` was.
    history
        The observed monthly counts the models were fitted on: ``month``, ``program``, ``count``.
    basis
        What was counted and which months were used, in words.
    models
        Program → the chosen model.
    cv
        Program → model → cross-validated mean absolute error (``None``: the model could not
        be fitted), plus ``h``/``windows``/``step``.
    totals
        Program → the forecast's total over its months: ``mean``, ``lo80`` … ``hi95`` and
        ``months`` (from sample paths).
    by, horizon
        ``"city"`` or ``"beat"``; months forecast.
    backtest
        The :class:`Backtest`, when one was run.
    notes
        Programs not forecast and why, and other plain statements.
    units
        What one counted row is (``"eligible reports"`` for an incident table).
    """

    table: pd.DataFrame
    city: pd.DataFrame
    history: pd.DataFrame
    basis: str
    models: dict[str, str]
    cv: dict[str, dict[str, Any]]
    totals: dict[str, dict[str, float]]
    by: str = "city"
    horizon: int = 12
    backtest: Backtest | None = None
    notes: list[str] = field(default_factory=list)
    units: str = "eligible calls"
    #: program → first month of its series (``YYYY-MM``)
    starts: dict[str, str] = field(default_factory=dict)
    #: program → sample paths of the city forecast (paths × months), for quantiles of sums
    paths: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def programs(self) -> list[str]:
        """Programs forecast, in configuration order."""
        return list(self.models)

    @property
    def months(self) -> list[str]:
        """The months forecast (``YYYY-MM``)."""
        return sorted(self.city["month"].unique().tolist())

    def total(self, program: str, quantile: float = 0.5) -> float:
        """The forecast total over the forecast months for ``program`` at ``quantile`` (0–1),
        from the sample paths (never below 0)."""
        if program not in self.paths:
            raise InputError(
                f"no forecast for {program!r}; forecast: {', '.join(self.programs) or 'none'}"
            )
        if not 0 < quantile < 1:
            raise InputError(f"quantile {quantile!r}: give a share between 0 and 1, e.g. 0.8")
        return float(max(np.quantile(self.paths[program].sum(axis=1), quantile), 0.0))

    def summary(self) -> str:
        """One sentence: ``next 12 months: about N eligible reports for CRT (80% interval a–b), …``."""
        if not self.totals:
            return "No forecast: " + ("; ".join(self.notes) or "no program had enough data")
        parts = []
        for i, (p, t) in enumerate(self.totals.items()):
            what = f" {self.units}" if i == 0 else ""
            parts.append(
                f"{_round_words(t['mean'])}{what} for {p} (80% interval "
                f"{_round_words(t['lo80'])}–{_round_words(t['hi80'])})"
            )
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        first, last = self.months[0], self.months[-1]
        return f"Next {self.horizon} months ({first} to {last}): about {joined}."

    def to_dict(self) -> dict:
        """JSON-ready: basis, models, CV scores, totals, the table and the backtest."""

        def rows(t: pd.DataFrame) -> list[dict]:
            out = []
            for r in t.to_dict(orient="records"):
                out.append({k: _round(v) if isinstance(v, float) else v for k, v in r.items()})
            return out

        d = {
            "basis": self.basis,
            "units": self.units,
            "by": self.by,
            "horizon": self.horizon,
            "months": self.months,
            "starts": self.starts,
            "models": self.models,
            "cv": self.cv,
            "totals": {p: {k: _round(v) for k, v in t.items()} for p, t in self.totals.items()},
            "summary": self.summary(),
            "notes": self.notes,
            "forecast": rows(self.table),
        }
        if self.by == "beat":
            d["city"] = rows(self.city)
        if self.backtest is not None:
            d["backtest"] = self.backtest.to_dict()
            d["relative_mae"] = d["backtest"]["relative_mae"]
        return d


def _round(x: Any, nd: int = 4) -> Any:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, nd)


def _round_words(x: float) -> str:
    """A count as a reader says it: 2 significant figures above 100 (``3,900``), else whole."""
    x = float(x)
    if x >= 100:
        digits = int(math.floor(math.log10(x))) - 1
        x = round(x, -digits)
    return f"{x:,.0f}"


# --------------------------------------------------------------------------------- the series
def forecast_units(config) -> str:
    """What a counted row is called (``[forecast] units``; default ``eligible calls``)."""
    section = getattr(config, "forecast", None) or {}
    return str(section.get("units") or "eligible calls")


def _latest_programs(config):
    """The programs under the rule set in force today (``RuleSet``, programs)."""
    from zoneinfo import ZoneInfo

    from geo_heart.dispatch.eligibility import programs_for

    today = pd.Timestamp.now(tz=ZoneInfo(config.timezone)).date()
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
            raise InputError(f"--backtest {before}: give the first day of a month (e.g. 2024-01-01)")
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
            (elig[f"{p}_type"].to_numpy(dtype=bool) != unflagged[f"{p}_type"].to_numpy(dtype=bool))
            & ok
        )
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


# --------------------------------------------------------------------------------- the models
@contextmanager
def _quiet():
    """statsforecast's numeric warnings (a zero-variance fit) are not the user's concern."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="statsforecast.*")
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        yield


def _model(name: str):
    from statsforecast import models as m

    if name == "AutoETS":
        return m.AutoETS(season_length=SEASON)
    if name == "AutoARIMA":
        return m.AutoARIMA(season_length=SEASON)
    if name == "SeasonalNaive":
        return m.SeasonalNaive(season_length=SEASON)
    raise InputError(f"model {name!r}: known {', '.join(MODEL_NAMES)}")


def _frame(y: pd.Series, uid: str = "s") -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": y.index, "y": y.to_numpy(dtype=float)})


def cv_plan(n: int, horizon: int, windows: int = 3) -> tuple[int, int, int] | None:
    """Rolling-origin plan ``(h, n_windows, step)`` for ``n`` months: each window's training
    months at least :data:`MIN_MONTHS`; ``None`` when the series is too short."""
    room = n - MIN_MONTHS
    if room < 2:
        return None
    h = max(1, min(horizon, room // 2))
    k = max(1, min(windows, room - h + 1))
    step = max(1, (room - h) // max(1, k - 1)) if k > 1 else 1
    step = min(step, h)
    while k > 1 and n - h - (k - 1) * step < MIN_MONTHS:
        k -= 1
    return h, k, step


def cross_validate(y: pd.Series, horizon: int, models=MODEL_NAMES) -> dict[str, Any]:
    """Rolling-origin mean absolute error of each model on ``y`` (monthly, month-start index).

    Returns ``{model: MAE or None, "h": …, "windows": …, "step": …}``; a model that cannot be
    fitted on the windows scores ``None``.
    """
    from statsforecast import StatsForecast

    plan = cv_plan(len(y), horizon)
    out: dict[str, Any] = {}
    if plan is None:
        out.update({m: None for m in models})
        out.update({"h": 0, "windows": 0, "step": 0})
        return out
    h, k, step = plan
    df = _frame(y)
    for name in models:
        try:
            with _quiet():
                cv = StatsForecast(models=[_model(name)], freq="MS").cross_validation(
                    h=h, df=df, n_windows=k, step_size=step
                )
            err = (cv["y"] - cv[name]).abs()
            out[name] = float(err.mean()) if err.notna().all() else None
        except Exception as exc:  # statsforecast raises plain exceptions on tiny windows
            log.debug("cross-validation of %s failed: %s", name, exc)
            out[name] = None
    out.update({"h": h, "windows": k, "step": step})
    return out


def choose_model(scores: dict[str, Any], models=MODEL_NAMES) -> str:
    """The lowest cross-validated MAE (ties: the order of ``models``); AutoETS without scores."""
    ok = [(scores[m], i, m) for i, m in enumerate(models) if scores.get(m) is not None]
    if not ok:
        return "AutoETS" if "AutoETS" in models else models[0]
    return min(ok)[2]


def fit_forecast(
    y: pd.Series, model: str, horizon: int, *, n_paths: int = 1000, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Forecast ``horizon`` months of ``y`` with ``model``: a frame (``ds``, ``mean``, ``lo80`` …
    ``hi95``; clipped at 0) and sample paths (``n_paths`` × ``horizon``, clipped at 0)."""
    from statsforecast import StatsForecast

    df = _frame(y)
    with _quiet():
        sf = StatsForecast(models=[_model(model)], freq="MS")
        fc = sf.forecast(h=horizon, df=df, level=list(LEVELS))
        sim = StatsForecast(models=[_model(model)], freq="MS").simulate(
            h=horizon, df=df, n_paths=n_paths, seed=seed
        )
    out = pd.DataFrame({"ds": pd.to_datetime(fc["ds"]).to_numpy()})
    out["mean"] = fc[model].to_numpy(dtype=float)
    for lv in LEVELS:
        out[f"lo{lv}"] = fc[f"{model}-lo-{lv}"].to_numpy(dtype=float)
        out[f"hi{lv}"] = fc[f"{model}-hi-{lv}"].to_numpy(dtype=float)
    num = ["mean", *[f"{s}{lv}" for lv in LEVELS for s in ("lo", "hi")]]
    out[num] = out[num].clip(lower=0.0)
    sim = sim.sort_values(["sample_id", "ds"])
    paths = sim[model].to_numpy(dtype=float).reshape(n_paths, horizon)
    # the paths give the spread (and how the months' errors go together); they are centred on
    # the point forecast so that totals agree with the table
    paths = paths + (fc[model].to_numpy(dtype=float) - paths.mean(axis=0))
    return out, np.clip(paths, 0.0, None)


def seasonal_naive(y: pd.Series, horizon: int) -> np.ndarray:
    """The same month a year earlier (the last 12 observed months repeated), ``horizon`` values."""
    last = y.to_numpy(dtype=float)[-SEASON:]
    if len(last) < SEASON:
        return np.full(horizon, np.nan)
    return np.array([last[i % SEASON] for i in range(horizon)])


# --------------------------------------------------------------------------------- beats
def split_to_beats(
    city: pd.DataFrame,
    paths: np.ndarray,
    recent: pd.Series,
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """Top-down: each beat's share of ``recent`` (counts by beat) times the city forecast.

    Means add up to the city's exactly; each beat's interval comes from the city's sample paths
    split multinomially with Dirichlet-drawn shares. Returns ``ds``, ``beat``, ``mean``,
    ``lo80`` … ``hi95``.
    """
    counts = recent[recent > 0].astype(float)
    if counts.empty:
        return pd.DataFrame(columns=["ds", "beat", "mean", "lo80", "hi80", "lo95", "hi95"])
    beats = [str(b) for b in counts.index]
    share = (counts / counts.sum()).to_numpy()
    rng = np.random.default_rng(seed)
    n_paths, h = paths.shape
    pvals = rng.dirichlet(counts.to_numpy() + 0.5, size=n_paths)  # paths × beats
    totals = np.rint(paths).astype(np.int64)  # paths × months
    draws = np.empty((n_paths, h, len(beats)))
    for j in range(h):
        draws[:, j, :] = rng.multinomial(totals[:, j], pvals)
    rows = []
    q = {f"lo{lv}": (100 - lv) / 200 for lv in LEVELS} | {f"hi{lv}": 1 - (100 - lv) / 200 for lv in LEVELS}
    for j, ds in enumerate(city["ds"]):
        mean_city = float(city["mean"].iat[j])
        qs = {k: np.quantile(draws[:, j, :], v, axis=0) for k, v in q.items()}
        for b, beat in enumerate(beats):
            rows.append(
                {"ds": ds, "beat": beat, "mean": mean_city * share[b]}
                | {k: float(v[b]) for k, v in qs.items()}
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------- the verb
def forecast_calls(
    ws,
    data,
    *,
    horizon: int = 12,
    by: str = "city",
    backtest: str | date | None = None,
    programs: list[str] | None = None,
    models: tuple[str, ...] | list[str] | None = None,
    n_paths: int = 1000,
    seed: int = 0,
) -> ForecastResult:
    """Forecast each program's eligible calls for the next ``horizon`` months.

    Parameters
    ----------
    ws
        The workspace (area configuration).
    data
        Classified calls (:func:`geo_heart.analysis.calls.load_calls`).
    horizon
        Months to forecast (1–36).
    by
        ``"city"`` (one series per program) or ``"beat"`` (the city forecast split between beats).
    backtest
        A month's first day: fit on the months before it, forecast and score those after.
    programs
        Programs to forecast (default: every program with at least :data:`MIN_PER_MONTH`
        eligible calls a month).
    models
        The candidate models (default :data:`MODEL_NAMES`).
    n_paths, seed
        Sample paths for totals and beat intervals, and their random seed.

    Returns
    -------
    ForecastResult
    """
    if by not in ("city", "beat"):
        raise InputError(f"--by {by!r}: 'city' or 'beat'")
    if not 1 <= int(horizon) <= 36:
        raise InputError(f"--horizon {horizon!r}: give 1 to 36 months")
    models = tuple(models or MODEL_NAMES)
    for m in models:
        _model(m)
    cut = None
    if backtest is not None:
        try:
            cut = pd.Timestamp(str(backtest))
        except (ValueError, TypeError):
            raise InputError(
                f"--backtest {backtest!r}: give a date, the first day of a month (e.g. 2024-01-01)"
            ) from None
    explicit = programs is not None
    series = monthly_series(ws, data, programs=programs, before=cut)
    full = monthly_series(ws, data, programs=programs) if cut is not None else series
    units = forecast_units(ws.config)
    notes: list[str] = []
    starts, models_used, cv_all, totals, paths_all = {}, {}, {}, {}, {}
    city_rows, beat_rows, back_rows, back_prog = [], [], [], {}
    for p in series.city.columns:
        y = series.city[p]
        y = y[y.index >= series.starts[p]]
        if len(y) < MIN_MONTHS:
            notes.append(
                f"{p} not forecast: {len(y)} comparable months before "
                f"{'the backtest date' if cut is not None else 'the end of the data'} "
                f"(at least {MIN_MONTHS} needed)"
            )
            continue
        if y.mean() < MIN_PER_MONTH and not (explicit and y.sum() > 0):
            notes.append(
                f"{p} not forecast: {int(y.sum())} eligible calls in {len(y)} months (fewer than "
                f"{MIN_PER_MONTH:g} a month)"
            )
            continue
        scores = cross_validate(y, horizon, models)
        model = choose_model(scores, models)
        fc, paths = fit_forecast(y, model, horizon, n_paths=n_paths, seed=seed)
        starts[p] = f"{y.index[0]:%Y-%m}"
        models_used[p] = model
        cv_all[p] = {k: _round(v) if k in models else v for k, v in scores.items()}
        sums = paths.sum(axis=1)
        totals[p] = {"mean": float(fc["mean"].sum())} | {
            f"lo{lv}": float(np.quantile(sums, (100 - lv) / 200)) for lv in LEVELS
        } | {f"hi{lv}": float(np.quantile(sums, 1 - (100 - lv) / 200)) for lv in LEVELS}
        totals[p]["months"] = float(horizon)
        paths_all[p] = paths
        fc = fc.assign(program=p, beat="city", model=model)
        city_rows.append(fc)
        if by == "beat":
            b = series.beats[p] if p in series.beats.columns else pd.Series(dtype=float)
            last = y.index[-SEASON:]
            recent = (
                b[b.index.get_level_values(0).isin(last)].groupby(level=1).sum()
                if len(b)
                else pd.Series(dtype=float)
            )
            split = split_to_beats(fc, paths, recent, seed=seed + 1)
            beat_rows.append(split.assign(program=p, model=model))
        if cut is not None:
            back = _score_backtest(p, y, fc, full, series, by, beat_rows[-1] if by == "beat" else None)
            back_rows.append(back[0])
            back_prog[p] = back[1]
    if series.start_reasons:
        notes.extend(r for p, r in series.start_reasons.items() if p in models_used)
    city = _to_table(city_rows)
    table = _to_table(beat_rows) if by == "beat" else city
    basis = describe_basis(ws, data, series, starts, units)
    bt = None
    if cut is not None:
        bt_table = pd.concat(back_rows, ignore_index=True) if back_rows else pd.DataFrame()
        bt = Backtest(
            start=f"{cut:%Y-%m-%d}",
            programs=back_prog,
            table=bt_table,
            beats=_pooled_beats(bt_table) if by == "beat" and len(bt_table) else None,
        )
    return ForecastResult(
        table=table,
        city=city,
        history=_history(series, starts),
        basis=basis,
        models=models_used,
        cv=cv_all,
        totals=totals,
        by=by,
        horizon=int(horizon),
        backtest=bt,
        notes=notes,
        units=units,
        starts=starts,
        paths=paths_all,
    )


def _to_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    t = pd.concat(parts, ignore_index=True)
    t["month"] = pd.to_datetime(t["ds"]).dt.strftime("%Y-%m")
    return t[TABLE_COLUMNS].reset_index(drop=True)


def _history(series: Series, starts: dict[str, str]) -> pd.DataFrame:
    """``month``, ``program``, ``observed`` (as counted) and ``count`` (what the model was
    fitted on: the observed count, times the level-shift factor before a recording change)."""
    rows = []
    for p, start in starts.items():
        keep = series.city.index >= pd.Timestamp(start + "-01")
        y = series.city.loc[keep, p]
        rows.append(
            pd.DataFrame(
                {
                    "month": y.index.strftime("%Y-%m"),
                    "program": p,
                    "observed": series.observed.loc[keep, p].to_numpy(),
                    "count": y.to_numpy(),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["month", "program", "observed", "count"])
    return pd.concat(rows, ignore_index=True)


def _score_backtest(p, y, fc, full: Series, series: Series, by, beats_fc):
    """Rows (city and, by beat, each beat) of actual vs forecast, and the program's figures."""
    months = pd.DatetimeIndex(fc["ds"])
    actual = full.observed[p].reindex(months)
    have = actual.notna().to_numpy()
    naive = seasonal_naive(y, len(months))
    t = fc.copy()
    t["actual"] = actual.to_numpy()
    t["seasonal_naive"] = naive
    t = t[have]
    fig = _scores(t)
    fig["months"] = int(have.sum())
    rows = [t.assign(month=pd.to_datetime(t["ds"]).dt.strftime("%Y-%m"))]
    if by == "beat" and beats_fc is not None and len(beats_fc):
        fb = full.beats_observed[p] if p in full.beats.columns else pd.Series(dtype=float)
        sb = series.beats[p] if p in series.beats.columns else pd.Series(dtype=float)
        bt = beats_fc.copy()
        key = list(zip(pd.to_datetime(bt["ds"]), bt["beat"], strict=True))
        bt["actual"] = [float(fb.get(k, 0.0)) for k in key]
        # the beat's same month a year earlier (0 where the beat had none)
        bt["seasonal_naive"] = [
            float(sb.get((d - pd.DateOffset(years=1), b), 0.0)) for d, b in key
        ]
        bt = bt[pd.to_datetime(bt["ds"]).isin(months[have])]
        rows.append(bt.assign(month=pd.to_datetime(bt["ds"]).dt.strftime("%Y-%m")))
    out = pd.concat(rows, ignore_index=True).assign(program=p)
    cols = ["month", "program", "beat", "actual", "mean", "lo80", "hi80", "lo95", "hi95",
            "seasonal_naive", "model"]
    out["model"] = fc["model"].iat[0]
    return out[cols], fig


def _scores(t: pd.DataFrame) -> dict[str, Any]:
    a = t["actual"].to_numpy(dtype=float)
    mae = float(np.mean(np.abs(a - t["mean"].to_numpy(dtype=float)))) if len(a) else float("nan")
    naive = t["seasonal_naive"].to_numpy(dtype=float)
    mae_n = float(np.mean(np.abs(a - naive))) if len(a) and np.isfinite(naive).all() else float("nan")
    out = {
        "mae": _round(mae),
        "mae_seasonal_naive": _round(mae_n),
        "relative_mae": _round(mae / mae_n) if mae_n and mae_n == mae_n else None,
    }
    for lv in LEVELS:
        inside = (a >= t[f"lo{lv}"].to_numpy()) & (a <= t[f"hi{lv}"].to_numpy())
        out[f"coverage{lv}"] = _round(float(inside.mean())) if len(a) else None
    return out


def _pooled_beats(t: pd.DataFrame) -> dict[str, Any]:
    b = t[t["beat"] != "city"]
    if b.empty:
        return {}
    out = _scores(b)
    out["rows"] = len(b)
    return out


def describe_basis(ws, data, series: Series, starts: dict[str, str], units: str) -> str:
    """The forecast's basis in words (what was counted, which months, which rule)."""
    idx = series.city.index
    first, last = (f"{idx[0]:%Y-%m}", f"{idx[-1]:%Y-%m}") if len(idx) else ("", "")
    areas = "; ".join(f"{p}: {series.area_label.get(p, '')}" for p in starts)
    text = (
        f"Monthly counts of {units} in {data.source}: calls whose call type is eligible for the "
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
    return text
