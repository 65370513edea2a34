"""Did the pilot change what happened where it ran? A difference-in-differences evaluation.

The outcome is the police incident table (``[layers.calls]``): reports of the call types a program
may take (*targeted*) should fall where its teams answer instead of officers; reports of types it
cannot touch (*placebo*, e.g. serious violent crime) should not. Counts by beat and month are
compared between the treated beats (the pilot service area, from the pilot's start) and every
other city beat, before and after (:mod:`geo_heart.analysis.evaluate_design`).

Estimators and inference (:mod:`geo_heart.analysis.evaluate_inference`, all fitted with pyfixest):
PPML with beat and month fixed effects, clustered by beat; randomization inference over random
sets of as many beats; a wild cluster bootstrap; an event study with a joint pre-trend test;
Gardner's two-stage estimator for the staggered design (pilot beats, then the rest of the city);
placebo outcomes and placebo start dates; the minimum detectable effect; and a dose check of the
reports the estimate says were prevented against the calls the programs answered.

>>> result = evaluate_calls(area, area.load_calls())      # doctest: +SKIP
>>> result.summary()                                      # doctest: +SKIP
>>> result.to_dict()["ci95"]                              # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.analysis import evaluate_inference as inf
from geo_heart.analysis.evaluate_design import (
    Design,
    beat_month_panel,
    design_from_area,
    month_bounds,
    outcome_masks,
    window_panel,
)
from geo_heart.errors import InputError

log = logging.getLogger(__name__)

METHODS = ("ppml", "staggered")


@dataclass
class EvaluationResult:
    """The effect of a program on the incident reports it should replace.

    ``effect`` and ``ci95`` are relative changes (-0.12 = 12% fewer reports); ``p_value`` tests no
    effect; ``ci_method`` names the interval (``randomization`` by default, else ``cluster``).
    ``panel`` (beat × month counts in the window) and ``event_table`` are DataFrames for the
    written tables; :meth:`to_dict` is the JSON answer and :meth:`summary` one sentence.
    """

    effect: float
    ci95: list[float]
    p_value: float
    method: str
    mde: float
    event_study: list[dict]
    pre_trend_p: float | None
    placebo: dict
    dose: dict
    design: Design
    outcome: dict
    estimates: dict
    inference: dict
    ci_method: str
    n_beats: int
    n_months: int
    months: list[str]
    staggered: dict | None = None
    notes: list[str] = field(default_factory=list)
    panel: pd.DataFrame | None = None
    all_months_panel: pd.DataFrame | None = None
    area_name: str = ""
    #: writes default unit words (beat, district) in the area's own words
    relabel: Any = None

    @property
    def event_table(self) -> pd.DataFrame:
        """The event study as a table: ``rel_month``, ``effect``, ``ci_low``, ``ci_high``."""
        return pd.DataFrame(
            [
                {
                    "event_time": r["event_time"],
                    "rel_month": r["rel_month"],
                    "effect": r["effect"],
                    "ci_low": r["ci95"][0],
                    "ci_high": r["ci95"][1],
                    "coef": r.get("coef"),
                    "se": r.get("se"),
                }
                for r in self.event_study
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready answer (keys: effect, ci95, p_value, method, mde, event_study,
        pre_trend_p, placebo, dose, and the design)."""
        d = self.design
        return {
            "effect": _r(self.effect),
            "ci95": [_r(x) for x in self.ci95],
            "p_value": _r(self.p_value),
            "method": self.method,
            "ci_method": self.ci_method,
            "mde": _r(self.mde),
            "event_study": [
                {
                    "event_time": r["event_time"],
                    "rel_month": r["rel_month"],
                    "months": r["months"],
                    "effect": _r(r["effect"]),
                    "ci95": [_r(x) for x in r["ci95"]],
                }
                for r in self.event_study
            ],
            "pre_trend_p": _r(self.pre_trend_p),
            "placebo": _rounded(self.placebo),
            "dose": _rounded(self.dose),
            "program": d.program,
            "treated": list(d.treated),
            "controls": list(d.controls),
            "start": d.start.isoformat(),
            "end": d.end.isoformat(),
            "n_beats": self.n_beats,
            "n_treated": len(d.treated),
            "n_months": self.n_months,
            "months": [self.months[0], self.months[-1]] if self.months else [],
            "design": d.to_dict(),
            "outcome": self.outcome,
            "estimates": _rounded(self.estimates),
            "inference": _rounded(self.inference),
            "staggered": _rounded(self.staggered),
            "summary": self.summary(),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """One sentence in words: the effect, its interval and whether it is news."""
        d = self.design
        lo, hi = self.ci95
        words = f"{_pct(self.effect)} (95% CI {_pct(lo)} to {_pct(hi)})"
        if lo > 0 or hi < 0:
            verdict = "distinguishable from no change" + (" (a drop)" if hi < 0 else " (a rise)")
        else:
            verdict = "not distinguishable from no change"
        what = (
            "staggered design"
            if self.method.startswith("staggered")
            else f"{len(d.treated)} treated beats"
        )
        text = (
            f"{d.program}, {what}, {d.start} to {d.end}: targeted incident reports changed by "
            f"{words}: {verdict}; p = {self.p_value:.2f}; the design detects a drop of "
            f"{abs(self.mde):.0%} or more (80% power)."
        )
        return self.relabel(text) if self.relabel is not None else text


def _pct(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    v = round(100 * x)
    return f"{'+' if v > 0 else '−' if v < 0 else ''}{abs(v)}%"


def _r(x: Any, nd: int = 4) -> Any:
    if x is None:
        return None
    if isinstance(x, (float, np.floating)):
        return round(float(x), nd) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def _rounded(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    return _r(obj)


def _first_full_month(day: date) -> str:
    """The first month that starts on or after ``day``."""
    p = pd.Period(day, "M")
    return str(p if p.start_time.date() >= day else p + 1)


def _design_and_outcomes(ws, data, program, treated, start, end):
    """(design, targeted mask, placebo mask, beats) of a call table under the options."""
    frame = data.frame
    lt = pd.to_datetime(frame["local_time"])
    data_end = lt.max().date() if lt.notna().any() else None
    design = design_from_area(
        ws.config,
        list(ws.beat_index.beats),
        program=program,
        treated=treated,
        start=start,
        end=end,
        data_end=data_end,
    )
    targeted, placebo = outcome_masks(ws.config, frame, design)
    return design, targeted, placebo, design.treated + design.controls


def evaluate_calls(
    ws,
    data,
    *,
    program: str | None = None,
    treated: list[str] | str | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
    method: str = "ppml",
    ri_draws: int = 199,
    boot_reps: int = 999,
    seed: int = 0,
    placebo_months: tuple[int, ...] = (6, 12),
) -> EvaluationResult:
    """Evaluate a program's effect on incident reports (see the module docstring).

    Parameters
    ----------
    ws
        The workspace (area configuration and beat index).
    data
        :class:`~geo_heart.analysis.calls.CallData` (classified, placed calls).
    program, treated, start, end
        Override the design of the area file's rule timeline
        (:func:`~geo_heart.analysis.evaluate_design.design_from_area`).
    method
        ``"ppml"`` (the headline is the single-date Poisson estimate) or ``"staggered"`` (the
        headline is Gardner's two-stage estimate over the pilot and the later, citywide start).
    ri_draws
        Random beat sets for randomization inference (0: none; the interval is then the
        cluster-robust one).
    boot_reps
        Wild cluster bootstrap replications (0: none).
    seed
        Seed of the random sets and the bootstrap.
    placebo_months
        Fake start dates this many months before the start, estimated on pre-period data only.

    Returns
    -------
    EvaluationResult

    Raises
    ------
    InputError
        A design the data cannot answer (one line saying what data it needs).
    """
    if method not in METHODS:
        raise InputError(f"method {method!r}: one of {', '.join(METHODS)}")
    area, frame = ws.config, data.frame
    design, targeted, placebo, beats = _design_and_outcomes(ws, data, program, treated, start, end)
    panel, notes = beat_month_panel(frame, beats, targeted, placebo)
    notes = list(design.notes) + notes
    try:
        win, wnotes = window_panel(panel, design)
    except InputError as exc:
        if len(set(design.adoption.values())) >= 2:
            stages = ", ".join(f"{d} ({n} beats)" for d, n in design.cohorts().items())
            raise InputError(
                area.own_words(
                    f"{exc}; the staged rollout ({stages}) needs counts from before its first "
                    "date to after its last"
                )
            ) from None
        raise InputError(area.own_words(str(exc))) from None
    notes += wnotes
    if win.loc[win["treated"], "targeted"].sum() == 0:
        raise InputError(
            f"no targeted report ({', '.join(design.targeted_types)}) in the treated beats in the "
            "window: nothing to estimate"
        )
    main = inf.ppml(win)
    ri = None
    if ri_draws > 0:
        ri = inf.randomization(win, main["coef"], draws=ri_draws, seed=seed)
    wild = None
    if boot_reps > 0:
        try:
            wild = inf.wild_bootstrap(win, reps=boot_reps, seed=seed)
        except ModuleNotFoundError as exc:  # wildboottest missing: said, not fatal
            notes.append(f"wild cluster bootstrap skipped: {exc.name} is not installed")
    es = inf.event_study(win)

    # ---- placebo outcome and placebo start dates
    placebo_out: dict[str, Any] = {"outcome": None, "start_dates": []}
    if design.placebo_codes and win["placebo"].sum() > 0:
        pl = inf.ppml(win, "placebo")
        placebo_out["outcome"] = {
            "label": design.placebo_label,
            "codes": design.placebo_codes,
            "source": design.placebo_source,
            "reports": int(win["placebo"].sum()),
            "effect": pl["effect"],
            "ci95": pl["ci95"],
            "p_value": pl["p_value"],
            "method": "ppml, clustered by beat",
        }
    elif not design.placebo_codes:
        notes.append("no placebo outcome: the area file's [evaluation] names no placebo_codes")
    pre_panel = panel[panel["month"].map(lambda m: month_bounds(m)[1] < design.start)]
    for months in placebo_months:
        fake = (pd.Timestamp(design.start) - pd.DateOffset(months=months)).date()
        fake_design = Design(
            **{**design.__dict__, "start": fake, "end": design.start - timedelta(days=1)}
        )
        entry: dict[str, Any] = {"months_before": months, "start": fake.isoformat()}
        try:
            fw, _ = window_panel(pre_panel, fake_design, what="a placebo start date")
            r = inf.ppml(fw)
            entry.update(effect=r["effect"], ci95=r["ci95"], p_value=r["p_value"])
        except (InputError, ValueError) as exc:
            entry["skipped"] = str(exc)
        placebo_out["start_dates"].append(entry)

    # ---- staggered design: every beat from the first day the program served it
    stag = None
    cohorts = sorted(set(design.adoption.values()))
    if len(cohorts) >= 2:
        adoption = {b: _first_full_month(d) for b, d in design.adoption.items()}
        cut = [str(pd.Period(d, "M")) for d in cohorts if d.day != 1]
        sp = panel[~panel["month"].isin(cut) & panel["beat"].isin(list(adoption))]
        try:
            stag = inf.staggered(sp, adoption)
            stag.update(cohorts=design.cohorts(), left_out_months=cut)
            if stag["months_used"][1] < str(sp["month"].max()):
                stag["note"] = (
                    f"no beat is untreated from {max(adoption.values())}: the last cohort's "
                    "effect is not identified (no never-treated beats), so the months from then "
                    "on are left out; the estimate pools the earlier cohorts' effects, robust to "
                    "effects that differ by cohort and over time"
                )
                notes.append("staggered design: " + stag["note"])
        except ValueError as exc:
            notes.append(f"staggered design not estimated: {exc}")
    elif method == "staggered":
        raise InputError(
            "the staggered design needs the area file's rule timeline (a later rule set that "
            "serves more beats); it is not defined for --treated/--start overrides"
        )

    # ---- headline
    if method == "staggered":
        assert stag is not None
        effect, ci95, p_value, ci_method = stag["effect"], stag["ci95"], stag["p_value"], "cluster"
        se_log = (stag["ci_att"][1] - stag["ci_att"][0]) / (2 * inf.t_crit(len(beats)))
        se_log = se_log / stag["counterfactual_mean"]
    else:
        effect = main["effect"]
        n_sets = math.comb(len(beats), len(design.treated))
        if ri is not None and ri["draws"] >= 99 and n_sets >= 100:
            ci95, p_value, ci_method = ri["ci95"], ri["p_value"], "randomization"
            se_log = ri["se_null"]
        else:
            ci95, p_value, ci_method = main["ci95"], main["p_value"], "cluster"
            se_log = main["se"]
    mde = inf.mde_from_se(se_log)
    if ri is not None and method != "staggered" and ci_method == "cluster":
        notes.append(
            f"randomization interval not used: only {math.comb(len(beats), len(design.treated))} "
            "distinct beat sets (or fewer than 99 draws)"
        )

    dose = _dose(area, design, win, main)
    if dose.get("exceeds"):
        notes.append(
            "the reports the estimate says were prevented exceed the calls the programs answered "
            "in the window: the estimate is not plausible as the programs' doing"
        )
    notes.append(
        "incident reports are a proxy: they record incidents with a police report, not every call "
        "for service, and undercount behavioral-health calls"
    )
    if len(design.treated) < 10:
        notes.append(
            f"few treated beats ({len(design.treated)}): read the randomization interval, not "
            "the cluster-robust one"
        )
    months = sorted(win["month"].unique())
    outcome = {
        "targeted": {
            "call_types": design.targeted_types,
            "source": design.targeted_source,
            "weapon_or_violence_excluded": design.risk_excluded,
            "reports_in_window": int(win["targeted"].sum()),
            "reports_treated_post": int(win.loc[win["D"] > 0, "targeted"].sum()),
        },
        "placebo": {
            "label": design.placebo_label,
            "codes": design.placebo_codes,
            "source": design.placebo_source,
        },
        "unit": "incident reports per beat and month",
    }
    inference = {
        "cluster": {
            "coef": main["coef"],
            "se": main["se"],
            "ci95": main["ci95"],
            "p_value": main["p_value"],
            "clusters": main["n_clusters"],
            "note": "PPML, standard errors clustered by beat, Student t with G-1 df",
        },
        "randomization": ri,
        "wild_bootstrap": wild,
        "mde": mde,
    }
    return EvaluationResult(
        effect=effect,
        ci95=list(ci95),
        p_value=p_value,
        method="staggered (Gardner two-stage, did2s)" if method == "staggered" else "ppml",
        mde=mde["drop"],
        event_study=es["rows"],
        pre_trend_p=es["pre_trend_p"],
        placebo=placebo_out,
        dose=dose,
        design=design,
        outcome=outcome,
        estimates={"ppml": main, "staggered": stag},
        inference=inference,
        ci_method=ci_method,
        n_beats=len(beats),
        n_months=len(months),
        months=months,
        staggered=stag,
        notes=notes,
        panel=win,
        all_months_panel=panel,
        area_name=area.name,
        relabel=area.own_words,
    )


def _dose(area, design: Design, win: pd.DataFrame, main: dict) -> dict:
    """Reports the estimate says were prevented against the calls the programs answered."""
    observed = float(win.loc[win["D"] > 0, "targeted"].sum())
    b, (lo, hi) = main["coef"], main["ci_coef"]
    prevented = observed * math.expm1(-b)
    out: dict[str, Any] = {
        "observed_treated_post": observed,
        "counterfactual": observed * math.exp(-b),
        "prevented": prevented,
        "prevented_ci95": [observed * math.expm1(-hi), observed * math.expm1(-lo)],
        "figures": [],
        "exceeds": None,
    }
    days = (design.end - design.start).days + 1
    best = None
    for fig in area.evaluation.get("dose", []):
        progs = list(fig.get("programs", []))
        applies = not progs or design.program in progs
        span = (fig["end"] - fig["start"]).days + 1
        answered = float(fig["calls"]) * days / span
        out["figures"].append(
            {
                "label": fig["label"],
                "published_calls": fig["calls"],
                "period": [fig["start"].isoformat(), fig["end"].isoformat()],
                "answered_in_window": answered,
                "applies_to_program": applies,
                "source": fig.get("source"),
                "assumed": bool(fig.get("assumed", False)),
            }
        )
        if applies and (best is None or answered > best):
            best = answered
    if best is not None:
        out["answered_in_window"] = best
        out["exceeds"] = bool(prevented > best)
        out["note"] = (
            "answered calls pro-rated to the window by days from the area file's published "
            "figures (all units: an upper bound for one program)"
        )
    else:
        out["note"] = "no published volume in [evaluation.dose] applies: dose not checked"
    return out


def targeted_rows(
    ws,
    data,
    *,
    program: str | None = None,
    treated: list[str] | str | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
    id_name: str = "call_id",
    in_window_only: bool = True,
) -> pd.DataFrame:
    """Every call row counted as targeted, for audit: a targeted type in a city beat, in a month
    the estimate uses (``in_window_only=False``: every month of the data). Their number is the
    JSON's ``outcome.targeted.reports_in_window``.

    Columns: ``id_name`` (the call table's id), ``beat``, ``month``, ``call_type``,
    ``raw_call_type``, ``treated`` (a treated beat) and ``in_window`` (a month the estimate uses:
    fully before the start or fully inside the window). Input order.
    """
    frame = data.frame
    design, targeted, placebo, beats = _design_and_outcomes(ws, data, program, treated, start, end)
    panel, _notes = beat_month_panel(frame, beats, targeted, placebo)
    months = set(panel["month"])
    keep = targeted & frame["beat"].isin(beats).to_numpy() & frame["month"].isin(months).to_numpy()
    sub = frame.loc[keep, ["call_id", "beat", "month", "call_type", "raw_call_type"]].copy()
    sub["treated"] = sub["beat"].isin(design.treated)

    def inside(m: str) -> bool:
        a, b = month_bounds(m)
        return b < design.start or (a >= design.start and b <= design.end)

    sub["in_window"] = sub["month"].map(inside).astype(bool)
    if in_window_only:
        sub = sub[sub["in_window"]]
    return sub.rename(columns={"call_id": id_name}).reset_index(drop=True)
