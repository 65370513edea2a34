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

**Models.** statsforecast's AutoETS, AutoARIMA and SeasonalNaive (lag 12), and their
combination (the mean of the three forecasts), are scored per program by rolling-origin
cross-validation (``StatsForecast.cross_validation``, mean absolute error) on the months before
the forecast; the lowest score forecasts, with 80% and 95% intervals (the combination's: the mean
of the members' bounds), each widened where needed to at least the forecast ± the split-conformal
half-width of the chosen model's CV errors at that level. Counts are never negative: means and
lower bounds are clipped at 0. The 12-month total's interval comes from simulated sample paths of
the chosen model (``StatsForecast.simulate``, centred on the point forecast, stretched as the
interval was), so the months' errors add up as the model says rather than as if independent.

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
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.analysis.forecast_models import (  # noqa: F401 - the module's surface
    LEVELS,
    MIN_MONTHS,
    MODEL_NAMES,
    SEASON,
    choose_model,
    cross_validate,
    cv_halfwidths,
    cv_plan,
    fit_forecast,
    seasonal_naive,
    split_to_beats,
    widen_to_cv,
)
from geo_heart.analysis.forecast_models import _model as _check_model
from geo_heart.analysis.forecast_series import (  # noqa: F401 - the module's surface
    PREFIX_SHARE,
    Series,
    describe_basis,
    forecast_units,
    full_months,
    monthly_series,
)
from geo_heart.errors import InputError

log = logging.getLogger(__name__)

#: programs averaging fewer eligible calls a month than this are not forecast (noted instead)
MIN_PER_MONTH = 1.0
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


# --------------------------------------------------------------------------------- the verb
def check_backtest(backtest: str | date | None) -> pd.Timestamp | None:
    """``backtest`` as the first day of a month (``None`` stays ``None``); one-line
    :class:`~geo_heart.errors.InputError` naming the value otherwise (the CLI checks it before
    loading any calls)."""
    if backtest is None:
        return None
    try:
        cut = pd.Timestamp(str(backtest))
    except (ValueError, TypeError, OverflowError):
        cut = pd.NaT
    if pd.isna(cut) or cut.tzinfo is not None or cut != cut.to_period("M").to_timestamp():
        raise InputError(
            f"--backtest {backtest!r}: give a date, the first day of a month (e.g. 2024-01-01)"
        )
    return cut


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
    calibrate: bool = True,
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
    calibrate
        Widen each month's interval to at least the chosen model's cross-validation errors at
        that level (split-conformal, :func:`cv_halfwidths`); ``False``: the model's own intervals.

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
        _check_model(m)
    cut = check_backtest(backtest)
    explicit = programs is not None
    series = monthly_series(ws, data, programs=programs, before=cut)
    full = monthly_series(ws, data, programs=programs) if cut is not None else series
    if cut is not None and not (full.city.index >= cut).any():
        last = f"{full.city.index[-1]:%Y-%m}" if len(full.city.index) else "none"
        raise InputError(
            f"--backtest {cut:%Y-%m-%d}: no full month of calls from that date to score "
            f"(the last full month is {last})"
        )
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
                f"{p} not forecast: {int(y.sum())} {units} in {len(y)} months (fewer than "
                f"{MIN_PER_MONTH:g} a month)"
            )
            continue
        errors: dict[str, np.ndarray] = {}
        scores = cross_validate(y, horizon, models, errors=errors)
        model = choose_model(scores, models)
        fc, paths = fit_forecast(y, model, horizon, n_paths=n_paths, seed=seed)
        half = cv_halfwidths(errors[model]) if calibrate and model in errors else {}
        fc, paths = widen_to_cv(fc, paths, half)
        starts[p] = f"{y.index[0]:%Y-%m}"
        models_used[p] = model
        cv_all[p] = {k: _round(v) if k in models else v for k, v in scores.items()}
        cv_all[p] |= {f"halfwidth{lv}": _round(v) for lv, v in half.items()}
        sums = paths.sum(axis=1)
        totals[p] = (
            {"mean": float(fc["mean"].sum())}
            | {f"lo{lv}": float(np.quantile(sums, (100 - lv) / 200)) for lv in LEVELS}
            | {f"hi{lv}": float(np.quantile(sums, 1 - (100 - lv) / 200)) for lv in LEVELS}
        )
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
            back = _score_backtest(
                p, y, fc, full, series, by, beat_rows[-1] if by == "beat" else None
            )
            back_rows.append(back[0])
            back_prog[p] = back[1]
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
        bt["seasonal_naive"] = [float(sb.get((d - pd.DateOffset(years=1), b), 0.0)) for d, b in key]
        bt = bt[pd.to_datetime(bt["ds"]).isin(months[have])]
        rows.append(bt.assign(month=pd.to_datetime(bt["ds"]).dt.strftime("%Y-%m")))
    out = pd.concat(rows, ignore_index=True).assign(program=p)
    cols = [
        "month",
        "program",
        "beat",
        "actual",
        "mean",
        "lo80",
        "hi80",
        "lo95",
        "hi95",
        "seasonal_naive",
        "model",
    ]
    out["model"] = fc["model"].iat[0]
    return out[cols], fig


def _scores(t: pd.DataFrame) -> dict[str, Any]:
    a = t["actual"].to_numpy(dtype=float)
    mae = float(np.mean(np.abs(a - t["mean"].to_numpy(dtype=float)))) if len(a) else float("nan")
    naive = t["seasonal_naive"].to_numpy(dtype=float)
    mae_n = (
        float(np.mean(np.abs(a - naive))) if len(a) and np.isfinite(naive).all() else float("nan")
    )
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
