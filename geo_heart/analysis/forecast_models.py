"""The statsforecast models of a demand forecast: rolling-origin cross-validation, the chosen
model's forecast with intervals and sample paths, the seasonal naive benchmark, and the top-down
split between beats (:mod:`geo_heart.analysis.forecast` describes the method)."""

from __future__ import annotations

import logging
import math
import warnings
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.errors import InputError

log = logging.getLogger(__name__)

#: the models scored by cross-validation, in order of preference on a tie
MODEL_NAMES = ("AutoETS", "AutoARIMA", "SeasonalNaive", "Combination")
#: the statsforecast models whose forecasts ``Combination`` averages (those among the candidates)
COMBINATION = "Combination"
BASE_MODELS = ("AutoETS", "AutoARIMA", "SeasonalNaive")
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
    if name == COMBINATION:
        return None  # the mean of the base models' forecasts (members(), fit_forecast)
    raise InputError(f"model {name!r}: known {', '.join(MODEL_NAMES)}")


def members(models=MODEL_NAMES) -> tuple[str, ...]:
    """The statsforecast models fitted for ``models``: the base models named, and every base
    model when the combination is a candidate (it averages them all)."""
    if COMBINATION in models:
        return BASE_MODELS
    return tuple(m for m in models if m != COMBINATION)


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


def cross_validate(
    y: pd.Series, horizon: int, models=MODEL_NAMES, *, errors: dict | None = None
) -> dict[str, Any]:
    """Rolling-origin mean absolute error of each model on ``y`` (monthly, month-start index).

    The base models are fitted together on every window (one ``cross_validation`` call);
    ``Combination`` is scored on the mean of their forecasts in the same windows. Returns
    ``{model: MAE or None, "h": …, "windows": …, "step": …}``; a model that cannot be fitted on
    the windows scores ``None`` (and so does the combination). ``errors``, when given, receives
    each model's absolute errors (an array over windows × horizon months).
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
    fitted = members(models)
    cv = None
    try:
        with _quiet():
            cv = StatsForecast(models=[_model(m) for m in fitted], freq="MS").cross_validation(
                h=h, df=df, n_windows=k, step_size=step
            )
    except Exception as exc:  # statsforecast raises plain exceptions on tiny windows
        log.debug("cross-validation failed together (%s); one model at a time", exc)
    for name in models:
        try:
            if name == COMBINATION:
                if cv is None or any(m not in cv.columns for m in fitted):
                    raise ValueError("a member could not be cross-validated")
                pred = cv[list(fitted)].mean(axis=1)
            else:
                if cv is None:
                    with _quiet():
                        one = StatsForecast(models=[_model(name)], freq="MS").cross_validation(
                            h=h, df=df, n_windows=k, step_size=step
                        )
                    pred, truth = one[name], one["y"]
                else:
                    pred = cv[name]
            truth = cv["y"] if cv is not None else truth
            err = (truth - pred).abs()
            out[name] = float(err.mean()) if err.notna().all() else None
            if errors is not None and out[name] is not None:
                errors[name] = err.to_numpy(dtype=float)
        except Exception as exc:
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
    ``hi95``; clipped at 0) and sample paths (``n_paths`` × ``horizon``, clipped at 0).

    ``Combination``: the mean of the base models' forecasts; each interval bound the mean of
    theirs (quantile averaging); its sample paths are the members' paths pooled (an equal share
    from each), each recentred on the combined forecast.
    """
    from statsforecast import StatsForecast

    fitted = BASE_MODELS if model == COMBINATION else (model,)
    df = _frame(y)
    with _quiet():
        sf = StatsForecast(models=[_model(m) for m in fitted], freq="MS")
        fc = sf.forecast(h=horizon, df=df, level=list(LEVELS))
        sim = StatsForecast(models=[_model(m) for m in fitted], freq="MS").simulate(
            h=horizon, df=df, n_paths=n_paths, seed=seed
        )
    out = pd.DataFrame({"ds": pd.to_datetime(fc["ds"]).to_numpy()})
    out["mean"] = np.mean([fc[m].to_numpy(dtype=float) for m in fitted], axis=0)
    for lv in LEVELS:
        for side in ("lo", "hi"):
            cols = [fc[f"{m}-{side}-{lv}"].to_numpy(dtype=float) for m in fitted]
            out[f"{side}{lv}"] = np.mean(cols, axis=0)
    num = ["mean", *[f"{s}{lv}" for lv in LEVELS for s in ("lo", "hi")]]
    out[num] = out[num].clip(lower=0.0)
    sim = sim.sort_values(["sample_id", "ds"])
    centre = np.mean([fc[m].to_numpy(dtype=float) for m in fitted], axis=0)
    pooled = np.empty((n_paths, horizon))
    for i, m in enumerate(fitted):
        paths = sim[m].to_numpy(dtype=float).reshape(n_paths, horizon)
        # the paths give the spread (and how the months' errors go together); they are centred
        # on the point forecast so that totals agree with the table
        paths = paths + (centre - paths.mean(axis=0))
        pooled[i :: len(fitted)] = paths[i :: len(fitted)]
    return out, np.clip(pooled, 0.0, None)


def cv_halfwidths(errors: np.ndarray) -> dict[int, float]:
    """Split-conformal half-widths from cross-validation's absolute errors: for each level L,
    the ``ceil((n + 1) L)``-th smallest of the ``n`` errors (the largest when that rank passes
    ``n``), pooled over windows and horizon months."""
    e = np.sort(np.asarray(errors, dtype=float))
    e = e[np.isfinite(e)]
    if not len(e):
        return {}
    n = len(e)
    return {lv: float(e[min(n, math.ceil((n + 1) * lv / 100)) - 1]) for lv in LEVELS}


def widen_to_cv(
    fc: pd.DataFrame, paths: np.ndarray, half: dict[int, float]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Each month's interval at least ``mean ± half[L]`` (the model's own interval where it is
    wider), and the sample paths' spread around the mean stretched month by month by the 80%
    interval's widening (so totals and beat intervals widen alike). Lower bounds stay >= 0."""
    if not half:
        return fc, paths
    out = fc.copy()
    old80 = (fc["hi80"] - fc["lo80"]).to_numpy(dtype=float)
    for lv in LEVELS:
        if lv not in half:
            continue
        out[f"lo{lv}"] = np.minimum(fc[f"lo{lv}"], (fc["mean"] - half[lv]).clip(lower=0.0))
        out[f"hi{lv}"] = np.maximum(fc[f"hi{lv}"], fc["mean"] + half[lv])
    new80 = (out["hi80"] - out["lo80"]).to_numpy(dtype=float)
    factor = np.where(old80 > 0, new80 / np.where(old80 > 0, old80, 1.0), 1.0)
    factor = np.maximum(factor, 1.0)
    centre = paths.mean(axis=0)
    stretched = centre + (paths - centre) * factor
    return out, np.clip(stretched, 0.0, None)


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
