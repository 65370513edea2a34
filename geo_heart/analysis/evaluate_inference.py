"""Estimators and inference for a pilot evaluation, all fitted with pyfixest.

* :func:`ppml` — Poisson pseudo-maximum likelihood with beat and month fixed effects
  (``pyfixest.fepois``), standard errors clustered by beat; the interval uses Student's t with
  G-1 degrees of freedom (G = beats), the usual small-cluster correction.
* :func:`randomization` — randomization inference: the same fit with the treatment given to random
  sets of as many beats (seeded). The p-value tests "no effect anywhere" on the data as they are;
  the interval inverts the test under a constant multiplicative effect, approximated by permuting
  the data with the estimated effect removed (``y·exp(-b·D)``) and reading the spread of the
  permuted estimates around zero.
* :func:`wild_bootstrap` — a wild cluster bootstrap (Rademacher weights by beat, ``wildboottest``
  through pyfixest) of the log-linear model ``log(1 + y) ~ D | beat + month``. What is bootstrapped
  is that linear model, not the Poisson one: its p-value tests the same null (no effect); its
  interval is on the log(1+count) scale.
* :func:`event_study` — leads and lags (one coefficient per month relative to the start, the last
  pre-period month the reference) by PPML, and the joint Wald test that every lead is zero.
* :func:`staggered` — Gardner's two-stage difference-in-differences (``pyfixest.did2s``): unit and
  month effects fitted on untreated beat-months only, then the treatment effect on the residuals;
  robust to effects that differ between the adoption cohorts (pilot beats, then the rest).
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

Z80 = 0.8416212335729143  # standard normal quantile for 80% power
Z975 = 1.959963984540054


def _pf():
    import pyfixest as pf

    return pf


def _ids(panel: pd.DataFrame) -> pd.DataFrame:
    """Integer beat and month ids (wildboottest needs numeric cluster ids)."""
    out = panel.copy()
    out["beat_id"] = pd.factorize(out["beat"], sort=True)[0]
    out["month_id"] = pd.factorize(out["month"], sort=True)[0]
    return out


def t_crit(n_clusters: int) -> float:
    """The two-sided 95% critical value of Student's t with ``n_clusters - 1`` df."""
    from scipy.stats import t

    return float(t.ppf(0.975, max(n_clusters - 1, 1)))


def _quiet():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")
    return ctx


def fit_fepois(panel: pd.DataFrame, y: str, regressors: str = "D", *, vcov: Any = None):
    """``pyfixest.fepois(y ~ regressors | beat_id + month_id)``, clustered by beat (``vcov``
    overrides it: ``"iid"`` where only the coefficient is read, which is faster)."""
    pf = _pf()
    ctx = _quiet()
    try:
        return pf.fepois(
            f"{y} ~ {regressors} | beat_id + month_id",
            data=panel,
            vcov=vcov if vcov is not None else {"CRV1": "beat_id"},
        )
    finally:
        ctx.__exit__(None, None, None)


def _coef_se(model, name: str = "D") -> tuple[float, float]:
    return float(model.coef()[name]), float(model.se()[name])


def ppml(panel: pd.DataFrame, y: str = "targeted") -> dict:
    """Poisson with beat and month fixed effects; cluster-robust (by beat) t interval.

    Returns ``coef``, ``se``, ``ci_coef`` (log scale), ``p_value`` (t, G-1 df), ``effect`` and
    ``ci95`` (relative change: exp(·) - 1), ``n_obs``.
    """
    from scipy.stats import t as tdist

    data = _ids(panel)
    if float(data.loc[data["D"] > 0, y].sum()) == 0 and float(data[y].sum()) == 0:
        raise ValueError("no counts")
    m = fit_fepois(data, y)
    b, se = _coef_se(m)
    g = data["beat_id"].nunique()
    c = t_crit(g)
    lo, hi = b - c * se, b + c * se
    p = float(2 * tdist.sf(abs(b / se), g - 1)) if se > 0 else float("nan")
    return {
        "coef": b,
        "se": se,
        "ci_coef": [lo, hi],
        "p_value": p,
        "effect": math.expm1(b),
        "ci95": [math.expm1(lo), math.expm1(hi)],
        "n_obs": int(m._N),
        "n_clusters": int(g),
    }


def _random_sets(beats: list[str], k: int, draws: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [sorted(rng.choice(beats, size=k, replace=False).tolist()) for _ in range(draws)]


def _fit_set(data: pd.DataFrame, y: str, treated: list[str]) -> float:
    d = data.assign(D=(data["beat"].isin(treated) & data["post"]).astype(float))
    m = fit_fepois(d, y, vcov="iid")  # only the coefficient is read
    return float(m.coef()["D"])


def randomization(
    panel: pd.DataFrame, coef: float, *, y: str = "targeted", draws: int = 199, seed: int = 0
) -> dict:
    """Randomization inference over random sets of as many beats as are treated.

    Returns ``p_value`` (two-sided, ``(1 + #|b*| >= |b|) / (1 + draws)`` on the data as they are),
    ``ci_coef``/``ci95`` (test inversion under a constant effect: ``b - q97.5``, ``b - q2.5`` of
    the estimates on random sets after removing the estimated effect), ``se_null`` (their
    standard deviation), the quantiles of the null distribution, and ``draws``.
    """
    data = _ids(panel)
    beats = sorted(data["beat"].unique())
    treated = sorted(data.loc[data["treated"], "beat"].unique())
    sets = _random_sets(beats, len(treated), draws, seed)
    null = np.array([_fit_set(data, y, s) for s in sets])
    # the estimated effect removed from the treated beats' post-period counts
    adjusted = data.assign(**{y: data[y] * np.exp(-coef * data["D"])})
    null_adj = np.array([_fit_set(adjusted, y, s) for s in sets])
    ok = np.isfinite(null)
    p = (1 + int(np.sum(np.abs(null[ok]) >= abs(coef) - 1e-12))) / (1 + int(ok.sum()))
    ok_a = null_adj[np.isfinite(null_adj)]
    q_lo, q_hi = np.quantile(ok_a, [0.025, 0.975])
    lo, hi = coef - q_hi, coef - q_lo
    return {
        "p_value": float(p),
        "ci_coef": [float(lo), float(hi)],
        "ci95": [math.expm1(lo), math.expm1(hi)],
        "se_null": float(np.std(ok_a, ddof=1)),
        "null_quantiles": {
            "q2.5": float(np.quantile(null[ok], 0.025)),
            "q50": float(np.quantile(null[ok], 0.5)),
            "q97.5": float(np.quantile(null[ok], 0.975)),
        },
        "draws": int(ok.sum()),
        "seed": seed,
    }


def wild_bootstrap(
    panel: pd.DataFrame, *, y: str = "targeted", reps: int = 999, seed: int = 0
) -> dict:
    """Wild cluster bootstrap (Rademacher, by beat) of ``log(1 + y) ~ D | beat + month``.

    ``p_value``: WCR (null imposed) bootstrap-t; ``ci_coef``: WCU bootstrap-t percentile interval
    ``b - q97.5·se, b - q2.5·se`` on the log(1+count) scale; ``ci95`` its exp(·) - 1.
    """
    pf = _pf()
    data = _ids(panel)
    data["log1p_y"] = np.log1p(data[y].astype(float))
    ctx = _quiet()
    try:
        m = pf.feols("log1p_y ~ D | beat_id + month_id", data=data, vcov={"CRV1": "beat_id"})
        b, se = _coef_se(m)
        wcr = m.wildboottest(reps=reps, param="D", seed=seed, impose_null=True)
        _res, tstats = m.wildboottest(
            reps=reps,
            param="D",
            seed=seed,
            impose_null=False,
            return_bootstrapped_t_stats=True,
        )
    finally:
        ctx.__exit__(None, None, None)
    tstats = np.asarray(tstats, dtype=float)
    q_lo, q_hi = np.quantile(tstats, [0.025, 0.975])
    lo, hi = b - q_hi * se, b - q_lo * se
    return {
        "model": "log(1 + count) ~ D | beat + month (OLS), Rademacher weights by beat",
        "coef": b,
        "se": se,
        "p_value": float(wcr["Pr(>|t|)"]),
        "ci_coef": [float(lo), float(hi)],
        "ci95": [math.expm1(lo), math.expm1(hi)],
        "reps": int(reps),
        "seed": seed,
        "scale": "log(1 + count): not the Poisson effect's scale; its p-value tests the same null",
    }


def event_study(
    panel: pd.DataFrame,
    *,
    y: str = "targeted",
    bin_months: int = 3,
    min_bin: int = -4,
    max_bin: int = 6,
) -> dict:
    """PPML event study with leads and lags, and a joint pre-trend test.

    Event time is counted in bins of ``bin_months`` months relative to the start (bin 0: the
    first ``bin_months`` full months of the window; bin -1: the last ones before it, the
    reference); bins beyond ``min_bin``/``max_bin`` are pooled into the end bins. Monthly bins on
    sparse counts make the single reference month's noise every coefficient's noise; quarters do
    not. The pre-trend test is the joint Wald test that every lead (bin <= -2) is zero, read as
    F(q, G-1) (G = beats).
    """
    from scipy.stats import f as fdist

    data = _ids(panel)
    ebin = np.floor_divide(data["rel"], bin_months).clip(lower=min_bin, upper=max_bin)
    ks = sorted(k for k in ebin[data["treated"]].unique() if k != -1)
    names = []
    for k in ks:
        name = f"es_m{-k}" if k < 0 else f"es_p{k}"
        data[name] = ((ebin == k) & data["treated"]).astype(float)
        names.append(name)
    m = fit_fepois(data, y, " + ".join(names))
    coef, se = m.coef(), m.se()
    g = data["beat_id"].nunique()
    c = t_crit(g)

    def row(k: int, b: float, s: float) -> dict:
        lo_m, hi_m = int(k * bin_months), int(k * bin_months + bin_months - 1)
        return {
            "event_time": int(k),
            "rel_month": lo_m,
            "months": [lo_m, hi_m],
            "pooled": bool(k in (min_bin, max_bin)),
            "effect": math.expm1(b),
            "ci95": [math.expm1(b - c * s), math.expm1(b + c * s)],
            "coef": b,
            "se": s,
        }

    rows = [row(-1, 0.0, 0.0)]
    for k, name in zip(ks, names, strict=True):
        if name in coef.index:
            rows.append(row(k, float(coef[name]), float(se[name])))
    rows.sort(key=lambda r: r["event_time"])
    leads = [n for k, n in zip(ks, names, strict=True) if k <= -2 and n in coef.index]
    pre_p = None
    if leads:
        cols = list(coef.index)
        R = np.zeros((len(leads), len(cols)))
        for i, n in enumerate(leads):
            R[i, cols.index(n)] = 1.0
        ctx = _quiet()
        try:
            w = m.wald_test(R=R, distribution="chi2")
        finally:
            ctx.__exit__(None, None, None)
        q = len(leads)
        pre_p = float(fdist.sf(float(w["statistic"]) / q, q, max(g - 1, 1)))
    return {
        "rows": rows,
        "pre_trend_p": pre_p,
        "n_leads": len(leads),
        "bin_months": bin_months,
        "test": "joint Wald test of the leads, cluster-robust, F(q, G-1)",
    }


def staggered(panel: pd.DataFrame, adoption: dict[str, str], *, y: str = "targeted") -> dict:
    """Gardner's two-stage DiD (``pyfixest.did2s``) for adoption months per beat.

    ``adoption`` maps beat → first treated month (``YYYY-MM``). The effect is in counts per
    beat-month; ``effect``/``ci95`` divide it by the treated beat-months' mean counterfactual
    count (observed minus effect), a relative change.
    """
    pf = _pf()
    data = _ids(panel)
    first = data["beat"].map(adoption)
    data["treat"] = (data["month"] >= first).astype(bool)
    # month effects are identified only while some beat is untreated: with no never-treated
    # beats the months from the last adoption on say nothing (left out, and said)
    last = max(adoption.values())
    if (data.groupby("month")["treat"].all()).any():
        data = data[data["month"] < last]
    if not data["treat"].any() or data["treat"].all():
        raise ValueError("no untreated or no treated beat-months")
    ctx = _quiet()
    try:
        m = pf.did2s(
            data,
            yname=y,
            first_stage="~ 0 | beat_id + month_id",
            second_stage="~ treat",
            treatment="treat",
            cluster="beat_id",
        )
    finally:
        ctx.__exit__(None, None, None)
    coef, se = m.coef(), m.se()
    name = next(n for n in coef.index if "treat" in n)
    b, s = float(coef[name]), float(se[name])
    g = data["beat_id"].nunique()
    c = t_crit(g)
    observed = float(data.loc[data["treat"], y].mean())
    cf = observed - b
    rel = b / cf if cf > 0 else float("nan")
    return {
        "estimator": "Gardner two-stage DiD (pyfixest.did2s), clustered by beat",
        "att_per_beat_month": b,
        "se": s,
        "ci_att": [b - c * s, b + c * s],
        "counterfactual_mean": cf,
        "effect": rel,
        "ci95": [(b - c * s) / cf, (b + c * s) / cf] if cf > 0 else [None, None],
        "p_value": float(m.pvalue()[name]),
        "n_obs": int(len(data)),
        "months_used": [str(data["month"].min()), str(data["month"].max())],
    }


def mde_from_se(se: float) -> dict:
    """Minimum detectable effect at 80% power, two-sided 5%: ``(1.96 + 0.84)·se`` on the log
    scale, as relative changes (a drop and a rise)."""
    k = (Z975 + Z80) * se
    return {"drop": math.expm1(-k), "rise": math.expm1(k), "log_scale": k, "se": se}
