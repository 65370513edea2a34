"""The council pages of the planner report: a first page with one figure per label, "Did the pilot
work?" and "Next year".

Every figure here is computed from the calls, the area file, the pilot evaluation
(``Area.evaluate``) or the demand forecast (``Area.forecast``), each with its basis named. When an
estimate cannot be made (too little data, a city whose calls do not span its rollout, a missing
extra), the page says so with the reason, as an :class:`Unavailable`: it never shows a number
that was not computed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unavailable:
    """An estimate the report could not make, and why (shown in plain words)."""

    what: str
    reason: str

    def sentence(self) -> str:
        """``The pilot's effect is not estimated: <reason>.``"""
        reason = self.reason.rstrip(".")
        return f"{self.what} is not estimated: {reason}."


def _pct(x: float | None, digits: int = 1) -> str:
    return "not judged" if x is None or x != x else f"{100 * x:.{digits}f}%"


def _signed_pct(x: float) -> str:
    return f"{100 * x:+.0f}%".replace("-", "−")


# ---------------------------------------------------------------------------------------- coverage


def covered_any_share(frame: pd.DataFrame, programs: list[str]) -> tuple[float | None, int]:
    """Of the calls eligible by type for at least one program, the share covered (inside the area
    and hours) by at least one, and their number: the one definition of "the service covered X%"
    (a call two programs take counts once)."""
    progs = [p for p in programs if f"{p}_type" in frame.columns]
    typ = frame[[f"{p}_type" for p in progs]].to_numpy(bool).any(axis=1)
    covered = frame[progs].to_numpy(bool).any(axis=1) & typ
    n = int(typ.sum())
    return (float(covered.sum() / n) if n else None), n


def coverage_today(ws, data) -> dict[str, Any]:
    """Coverage under today's rules, with its basis: the calls since today's rules took effect when
    the table reaches them, else (a what-if) every call judged under today's rules.

    Returns ``{"share", "in_area", "eligible", "basis", "hours_judged", "by_program"}``; ``share``
    is ``None`` when hours are not judged (calls with a date but no time).
    """
    from geo_heart.dispatch.eligibility import eligibility_for_calls

    f = data.frame
    rs = ws.config.rule_set()
    period = None
    if "rules" in f.columns:
        sel = (f["rules"] == rs.name) & f["local_time"].notna()
        if sel.any():
            g = f[sel]
            period = (g["local_time"].min(), g["local_time"].max())
            elig = g
    if period is None:  # the calls predate today's rules: apply them to every call (what-if)
        from geo_heart.analysis.coverage import resolve_what_ifs

        wi = resolve_what_ifs(ws, scenarios=[])[0]
        elig = eligibility_for_calls(wi.area, f, programs=wi.programs)
        basis = (
            f"a what-if: today's {rs.label} rules applied to every call of the table (the calls "
            "predate them)"
        )
    else:
        basis = (
            f"calls of {period[0]:%d %b %Y} to {period[1]:%d %b %Y} under the {rs.label} rules "
            "then in force"
        )
    progs = [p for p in data.programs if f"{p}_type" in elig.columns]
    area = (
        elig[[f"{p}_type" for p in progs]].to_numpy(bool)
        & elig[[f"{p}_area" for p in progs]].to_numpy(bool)
    ).any(axis=1)
    share, n = covered_any_share(elig, progs)
    judged = bool(data.hours_judged)
    by_program = {}
    for p in progs:
        t = elig[f"{p}_type"].to_numpy(bool)
        k = int(t.sum())
        if k:
            by_program[p] = {
                "eligible": k,
                "share": float(elig[p].to_numpy(bool).sum() / k) if judged else None,
            }
    return {
        "share": share if judged else None,
        "in_area": float(area.sum() / n) if n else None,
        "eligible": n,
        "basis": basis,
        "hours_judged": judged,
        "by_program": by_program,
        "rules": rs.label,
    }


def coverage_row(ws, cov: dict) -> dict[str, str]:
    """The first page's coverage line."""
    sn = ws.config.service_name
    if not cov["eligible"]:
        value = "no call in the table is eligible by type"
    elif cov["share"] is None:
        value = (
            f"hours not judged; {_pct(cov['in_area'])} of the {cov['eligible']:,} calls eligible by "
            "type were inside the service area"
        )
    else:
        value = f"{_pct(cov['share'])} of {cov['eligible']:,} calls eligible by type"
    return {
        "label": f"Coverage today: eligible calls inside a {sn} program's area and hours",
        "value": value,
        "caveat": cov["basis"]
        + ("" if cov["hours_judged"] else "; the calls have a date but no time of day"),
    }


# ---------------------------------------------------------------------------------------- pilot


def effect_in_words(d: dict) -> str:
    """``Reports … changed by −5% (95% interval −15% to +6%)…`` from an evaluation's dict."""
    e = float(d["effect"])
    lo, hi = float(d["ci95"][0]), float(d["ci95"][1])
    if lo <= 0 <= hi:
        verdict = "the interval includes no change, so the data cannot tell this from no effect"
    elif hi < 0:
        verdict = "the whole interval is a fall"
    else:
        verdict = "the whole interval is a rise"
    return f"{_signed_pct(e)} (95% interval {_signed_pct(lo)} to {_signed_pct(hi)}): {verdict}"


def pilot_row(ws, evaluation) -> dict[str, str]:
    """The first page's line on the pilot's estimated effect."""
    label = "The pilot's estimated effect on the incident reports it targets"
    if isinstance(evaluation, Unavailable) or evaluation is None:
        reason = evaluation.sentence() if evaluation is not None else "Not estimated."
        return {"label": label, "value": "not estimated", "caveat": reason}
    d = evaluation.to_dict()
    design = d.get("design", {})
    ci = d.get("ci_method")
    words = effect_in_words(d)
    value, verdict = words.split(": ", 1)
    return {
        "label": label,
        "value": value,
        "caveat": f"{verdict[:1].upper()}{verdict[1:]}. "
        + ws.config.own_words(
            f"{d.get('program', '')}: {d.get('n_treated', '?')} pilot beats against "
            f"{len(d.get('controls', []))} other beats, "
        )
        + f"{design.get('start', '')} to {design.get('end', '')}; {d.get('method', '')}"
        + (f", interval by {ci}" if ci else "")
        + " (section 'Did the pilot work?')",
    }


def pilot_section(ws, evaluation) -> dict:
    """The "Did the pilot work?" section."""
    title = "Did the pilot work?"
    if isinstance(evaluation, Unavailable) or evaluation is None:
        text = evaluation.sentence() if evaluation is not None else "No evaluation was run."
        return {"title": title, "major": True, "intro": text}
    d = evaluation.to_dict()
    rows = [("Estimated effect (relative change)", effect_in_words(d))]
    if d.get("p_value") is not None:
        rows.append(("p-value", f"{float(d['p_value']):.3f}"))
    rows.append(
        (
            "Method",
            f"{d.get('method', '')}"
            + (f"; interval: {d['ci_method']}" if d.get("ci_method") else ""),
        )
    )
    if d.get("mde") is not None:
        rows.append(
            (
                "Smallest effect this design detects (80% power)",
                f"a change of {_signed_pct(float(d['mde']))} or larger",
            )
        )
    if d.get("pre_trend_p") is not None:
        p = float(d["pre_trend_p"])
        rows.append(
            (
                "Pre-trend test (joint, months before the start)",
                f"p = {p:.3f}: "
                + ("no sign" if p >= 0.05 else "a sign")
                + ws.config.own_words(" that pilot and other beats were already diverging"),
            )
        )
    placebo = d.get("placebo") or {}
    out = placebo.get("outcome") or {}
    if out.get("effect") is not None and out.get("ci95"):
        rows.append(
            (
                f"Placebo outcome: {out.get('label', 'types the program cannot touch')}",
                effect_in_words(out),
            )
        )
    for sd in placebo.get("start_dates") or []:
        if sd.get("effect") is not None and sd.get("ci95"):
            rows.append(
                (
                    f"Placebo start {sd.get('start')} ({sd.get('months_before')} months early)",
                    effect_in_words(sd),
                )
            )
    dose = d.get("dose") or {}
    if dose.get("prevented") is not None:
        lo, hi = (dose.get("prevented_ci95") or [None, None])[:2]
        band = (
            f" (95% interval {lo:,.0f} to {hi:,.0f})" if lo is not None and hi is not None else ""
        )
        ans = dose.get("answered_in_window")
        text = f"{dose['prevented']:,.0f} reports prevented{band}"
        if ans:
            text += f" against about {ans:,.0f} calls answered in the window"
        text += ": " + (
            "the estimate EXCEEDS what the program could have done (flagged)"
            if dose.get("exceeds")
            else "within what the program could have done"
        )
        rows.append(("Dose check", text))
    table = pd.DataFrame(rows, columns=["Question", "Estimate"]).to_html(
        index=False, classes="t", border=0
    )
    notes = [dose["note"]] if dose.get("note") else []
    section = {
        "title": title,
        "major": True,
        "intro": evaluation.summary(),
        "tables": [{"html": table, "note": " ".join([*notes, *d.get("notes", [])])}],
    }
    png = _event_study_png(evaluation)
    if png is not None:
        section["figures"] = [
            {
                "caption": "Event study: change in targeted reports by months from the pilot's "
                "start (95% intervals); the months before it test the design",
                "png": png,
            }
        ]
    return section


def _event_study_png(evaluation) -> bytes | None:
    """The evaluation's event-study chart as PNG bytes (None when it cannot be drawn)."""
    import tempfile
    from pathlib import Path

    from geo_heart.render.evaluation import event_study_chart

    if getattr(evaluation, "event_table", None) is None or not len(evaluation.event_table):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        return event_study_chart(evaluation, Path(tmp) / "es.png").read_bytes()


# ---------------------------------------------------------------------------------------- next year


def staffing_program(ws) -> str:
    """The program the staffing answers plan (``[staffing] program``, else the first)."""
    cfg = ws.config
    return (getattr(cfg, "staffing", {}) or {}).get("program") or next(iter(cfg.programs))


def _about(x: float) -> str:
    """A forecast count as a reader says it (2 significant figures above 100)."""
    import math

    if x >= 100:
        x = round(x, -(int(math.floor(math.log10(x))) - 1))
    return f"{x:,.0f}"


def demand_row(ws, forecast) -> dict[str, str]:
    """The first page's line on next year's demand (the staffing program's forecast total)."""
    program = staffing_program(ws)
    label = f"Next year's demand: {_units(forecast)} for {program} in the next 12 months"
    if isinstance(forecast, Unavailable) or forecast is None:
        why = forecast.sentence() if forecast is not None else "The forecast was not run."
        return {"label": label, "value": "not estimated", "caveat": why}
    t = forecast.totals.get(program)
    if t is None:
        return {
            "label": label,
            "value": "not estimated",
            "caveat": f"no forecast for {program}: " + "; ".join(forecast.notes),
        }
    months = forecast.months
    others = ", ".join(
        f"{p} about {_about(v['mean'])}" for p, v in forecast.totals.items() if p != program
    )
    return {
        "label": label,
        "value": f"about {_about(t['mean'])} (80% interval {_about(t['lo80'])}–"
        f"{_about(t['hi80'])})",
        "caveat": f"{months[0]} to {months[-1]}; model {forecast.models.get(program, '')}"
        + (f"; other programs: {others}" if others else "")
        + "; basis in 'Next year'",
    }


def _units(forecast) -> str:
    return getattr(forecast, "units", None) or "eligible calls"


def teams_row(ws, plan: dict | Unavailable | None) -> dict[str, str]:
    """The first page's line on the teams next year's demand takes."""
    label = "Teams it takes: team-hours a week to answer 80% of the calls in service hours"
    if plan is None or isinstance(plan, Unavailable):
        why = plan.sentence() if isinstance(plan, Unavailable) else "No staffing plan was run."
        return {"label": label, "value": "not estimated", "caveat": why}
    return {
        "label": label,
        "value": f"{plan['team_hours']:,} team-hours a week ({plan['program']}; at most "
        f"{plan['max_teams']} {'team' if plan['max_teams'] == 1 else 'teams'} at once)",
        "caveat": plan["basis"] + (f"; {plan['cost']}" if plan.get("cost") else ""),
    }


def next_year_section(ws, forecast, plan) -> dict:
    """The "Next year" section: the forecast by program, its chart, and the staffing it takes."""
    parts: dict[str, Any] = {"title": "Next year", "major": True}
    if isinstance(forecast, Unavailable) or forecast is None:
        parts["intro"] = (
            forecast.sentence() if forecast is not None else "The forecast was not run."
        )
    else:
        parts["intro"] = forecast.summary()
        rows = []
        for p, t in forecast.totals.items():
            rows.append(
                {
                    "Program": p,
                    f"Next 12 months ({_units(forecast)})": f"{t['mean']:,.0f}",
                    "80% interval": f"{t['lo80']:,.0f}–{t['hi80']:,.0f}",
                    "95% interval": f"{t['lo95']:,.0f}–{t['hi95']:,.0f}",
                    "Model (chosen by rolling-origin CV)": forecast.models.get(p, ""),
                }
            )
        if rows:
            parts["tables"] = [
                {
                    "html": pd.DataFrame(rows).to_html(index=False, classes="t", border=0),
                    "note": "Basis: " + forecast.basis + " " + " ".join(forecast.notes),
                }
            ]
        from geo_heart.render.forecast import forecast_chart
        from geo_heart.render.report import png_bytes_from_figure

        if forecast.totals:
            parts["figures"] = [
                {
                    "caption": "Monthly counts and the forecast with its 80% and 95% intervals "
                    "(citywide)",
                    "png": png_bytes_from_figure(forecast_chart(forecast)),
                }
            ]
    row = teams_row(ws, plan)
    parts["notices"] = [f"{row['label']}: {row['value']}. {row['caveat'].rstrip('.')}."]
    if isinstance(plan, dict) and plan.get("budget_html"):
        parts.setdefault("tables", []).append(
            {"html": plan["budget_html"], "note": plan.get("budget_note", "")}
        )
    return parts


def first_page(ws, data, *, cov: dict, evaluation, forecast, plan, reach) -> list[dict]:
    """The first page: one figure per label, each with its basis."""
    return [
        coverage_row(ws, cov),
        pilot_row(ws, evaluation),
        demand_row(ws, forecast),
        teams_row(ws, plan),
        reach,
    ]


def reach_row(ws, data, *, result=None) -> dict[str, str]:
    """Who the service reaches under today's rules: residents in the service area and the covered
    share of eligible calls where each group lives (all residents and the least-served group).

    ``result``: the :func:`~geo_heart.analysis.equity.equity_analysis` of ``data`` under today's
    rules when the caller has it (the row reads only its point estimates)."""
    label = "Who the service reaches (today's rules)"
    from geo_heart.analysis.equity import MissingLayerError, equity_analysis

    try:
        if result is None:
            result = equity_analysis(ws, data, bootstrap=0)
    except MissingLayerError as exc:
        return {"label": label, "value": "not measured", "caveat": str(exc)}
    g = result.groups
    if g is None or g.empty:
        return {
            "label": label,
            "value": "not measured",
            "caveat": "the area file has no census layer with residents ([equity], [layers.tracts])",
        }
    g = g.set_index("group")
    first = g.index[0]
    share = g.loc[first, "in_service_area_share"]
    value = f"{_pct(share)} of {str(g.loc[first, 'label']).lower()} live in the service area"
    caveat = ws.config.own_words(
        f"{result.rules.get('label', '')} rules; census tracts apportioned to beats"
    )
    if "unmet_per_1000_ratio" in g.columns and data.hours_judged:
        ratio = g["unmet_per_1000_ratio"].drop(index=first, errors="ignore").dropna()
        if len(ratio):
            top = ratio.idxmax()
            caveat += (
                f"; eligible calls the service misses (outside its area or hours) per 1,000 "
                f"residents are highest where {str(g.loc[top, 'label']).lower()} live: "
                f"{ratio.loc[top]:.2f}× the rate for {str(g.loc[first, 'label']).lower()} "
                "('Who the service reaches')"
            )
    return {"label": label, "value": value, "caveat": caveat}


def staffing_plan(ws, data, forecast, *, target: float = 0.8, planned=None):
    """Team-hours a week for ``target`` answered next year: ``geo-heart staffing --target 0.8
    --forecast`` (the forecast's 12-month total at the area's ``[forecast] quantile`` scales the
    CLI's basis); on the call table's own count when there is no forecast. With the area's
    ``[costs]``, the budget. ``Unavailable`` when it cannot be planned.

    ``planned``: (program, target) → the :class:`~geo_heart.staffing.analysis.StaffingResult`
    of ``geo-heart staffing --program P --target T`` on the call table's own count (what the
    report's staffing section computed), used instead of planning again when there is no
    forecast."""
    from geo_heart.errors import GeoHeartError
    from geo_heart.staffing.workflow import StaffingOptions, staffing_for_calls

    program = staffing_program(ws)
    use = not isinstance(forecast, Unavailable) and forecast is not None
    use = use and program in getattr(forecast, "totals", {})
    q = float((getattr(ws.config, "forecast", {}) or {}).get("quantile", 0.8)) if use else None
    opts = StaffingOptions(
        target=target,
        forecast=forecast if use else None,
        forecast_quantile=q,
        replications=0,
    )
    r = None if use else (planned or {}).get((program, target))
    try:
        if r is None:
            r = staffing_for_calls(ws, data, program, opts)
    except GeoHeartError as exc:
        return Unavailable("The staffing plan", str(exc))
    cli = f"geo-heart staffing --program {program} --target {target:g}" + (
        f" --forecast --quantile {q:g}" if use else ""
    )
    out = {
        "program": program,
        "team_hours": int(r.main.team_hours_per_week),
        "max_teams": int(r.main.max_teams),
        "basis": _plan_basis(r.basis, forecast if use else None, q)
        + f"; the same answer as `{cli}`",
    }
    try:
        from geo_heart.staffing.budget import budget_table, money

        b = budget_table(ws, r)
    except GeoHeartError as exc:
        log.warning("no budget: %s", exc)
        return out
    if b.available and len(b.table):
        row = b.table.iloc[0]
        out["cost"] = (
            f"about {money(row['annual_cost'], b.currency)} a year "
            f"({'assumed costs' if b.assumed else 'costs'}: [costs] of the area file)"
        )
        shown = b.table[["program", "team_hours_per_week", "cost_per_team_hour", "annual_cost",
                         "answered_calls_per_year", "cost_per_answered_call"]].copy()  # fmt: skip
        shown.columns = ["Program", "Team-hours a week", "Cost a team-hour", "Annual cost",
                         "Answered calls a year (modelled)", "Cost per answered call"]  # fmt: skip
        for col in ("Cost a team-hour", "Annual cost", "Cost per answered call"):
            shown[col] = [money(v, b.currency) if v == v else "–" for v in shown[col]]
        for col in ("Team-hours a week", "Answered calls a year (modelled)"):
            shown[col] = [f"{v:,.0f}" if v == v else "–" for v in shown[col]]
        out["budget_html"] = (
            "<table><caption>Budget of next year's plan</caption>"
            + shown.to_html(index=False, border=0).split(">", 1)[1]
        )
        out["budget_note"] = " ".join([b.note, *b.notes])
    return out


def _plan_basis(b, forecast, q) -> str:
    """A short basis line: program, rules and hours, the calls' year and the volume."""
    when = ", ".join(map(str, b.years)) if b.years else f"{b.start} to {b.end}"
    text = f"{b.program} under the {b.rules_label} rules, {b.hours} ({b.hours_per_week} h a week)"
    if forecast is not None and b.scale_to:
        months = forecast.months
        return (
            f"{text}; the {when} calls' hours, scaled to {b.scale_to:,.0f} "
            f"{_units(forecast)} a year (the {months[0]} to {months[-1]} forecast at p{100 * q:g})"
        )
    if b.scale_to:
        return f"{text}; calls of {when} scaled to {b.scale_to:,.0f} a year ({b.scale_source})"
    return f"{text}; calls of {when}, the call table's own count"


def council_pages(ws, data, *, evaluation=None, forecast=None, equity=None, planned=None) -> dict:
    """The first page (one figure per label) and the "Did the pilot work?" and "Next year"
    sections, from the calls and the evaluation/forecast results (or :class:`Unavailable`).

    ``equity`` (today's :func:`~geo_heart.analysis.equity.equity_analysis` of the calls) and
    ``planned`` ((program, target) → staffing result, see :func:`staffing_plan`) are what the
    report has already computed; without them they are computed here."""
    cov = coverage_today(ws, data)
    if not data.hours_judged:
        plan = Unavailable(
            "The staffing plan",
            "the calls have a date but no time of day, so the hours a team is needed are not "
            "known (geo-heart staffing --hourly-profile FILE plans from a stated profile)",
        )
    else:
        plan = staffing_plan(ws, data, forecast, planned=planned)
    # every string here is already in the area's unit words (the evaluation and the forecast
    # write them; this module's own words go through own_words): never translated twice
    from geo_heart.render.tables import worded

    return worded(
        {
            "first_page": first_page(
                ws,
                data,
                cov=cov,
                evaluation=evaluation,
                forecast=forecast,
                plan=plan,
                reach=reach_row(ws, data, result=equity),
            ),
            "sections": [pilot_section(ws, evaluation), next_year_section(ws, forecast, plan)],
            "coverage_today": cov,
        }
    )
