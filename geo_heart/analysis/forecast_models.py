"""The statsforecast models of a demand forecast: rolling-origin cross-validation, the chosen
model's forecast with intervals and sample paths, the seasonal naive benchmark, and the top-down
split between beats (:mod:`geo_heart.analysis.forecast` describes the method)."""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.errors import InputError

log = logging.getLogger(__name__)

#: the models scored by cross-validation, in order of preference on a tie
MODEL_NAMES = ("AutoETS", "AutoARIMA", "SeasonalNaive")
#: interval levels (percent)
LEVELS = (80, 95)
#: fewest months a series needs before it is forecast, and a CV window is trained on (one season)
MIN_MONTHS = 12
SEASON = 12


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
    q = {f"lo{lv}": (100 - lv) / 200 for lv in LEVELS} | {
        f"hi{lv}": 1 - (100 - lv) / 200 for lv in LEVELS
    }
    for j, ds in enumerate(city["ds"]):
        mean_city = float(city["mean"].iat[j])
        qs = {k: np.quantile(draws[:, j, :], v, axis=0) for k, v in q.items()}
        for b, beat in enumerate(beats):
            rows.append(
                {"ds": ds, "beat": beat, "mean": mean_city * share[b]}
                | {k: float(v[b]) for k, v in qs.items()}
            )
    return pd.DataFrame(rows)
