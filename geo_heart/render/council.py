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
    typ = elig[[f"{p}_type" for p in progs]].to_numpy(bool).any(axis=1)
    area = (
        elig[[f"{p}_type" for p in progs]].to_numpy(bool)
        & elig[[f"{p}_area" for p in progs]].to_numpy(bool)
    ).any(axis=1)
    covered = elig[progs].to_numpy(bool).any(axis=1)
    n = int(typ.sum())
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
        "share": (float(covered.sum() / n) if n else None) if judged else None,
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
    e, (lo, hi) = float(d["effect"]), (float(d["ci95"][0]), float(d["ci95"][1]))
    if lo <= 0 <= hi:
        verdict = "the interval includes no change, so the data cannot tell this from no effect"
    elif hi < 0:
        verdict = "the whole interval is a fall"
    else:
        verdict = "the whole interval is a rise"
    return f"{_signed_pct(e)} (95% interval {_signed_pct(lo)} to {_signed_pct(hi)}): {verdict}"


def pilot_row(ws, evaluation) -> dict[str, str]:
    """The first page's line on the pilot's estimated effect."""
    label = "The pilot's estimated effect on the reports it targets"
    if isinstance(evaluation, Unavailable) or evaluation is None:
        reason = evaluation.sentence() if evaluation is not None else "not estimated."
        return {"label": label, "value": "not estimated", "caveat": reason}
    d = evaluation.to_dict()
    return {
        "label": label,
        "value": effect_in_words(d),
        "caveat": f"{d.get('method', '')}; targeted incident types in the treated "
        f"beats against the others (section 'Did the pilot work?')",
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
    if d.get("method"):
        rows.append(("Method", str(d["method"])))
    if d.get("mde") is not None:
        mde = d["mde"]
        val = mde.get("effect", mde.get("relative")) if isinstance(mde, dict) else mde
        if val is not None:
            rows.append(
                (
                    "Smallest effect this design detects (80% power)",
                    f"{_signed_pct(-abs(float(val)))} or larger",
                )
            )
    if d.get("pre_trend_p") is not None:
        p = float(d["pre_trend_p"])
        rows.append(
            (
                "Pre-trend test (joint, leads)",
                f"p = {p:.3f}: "
                + ("no sign" if p >= 0.05 else "a sign")
                + " that the treated and control areas differed before the pilot",
            )
        )
    dose = d.get("dose")
    if isinstance(dose, dict) and dose:
        text = dose.get("text") or dose.get("summary")
        if text:
            rows.append(("Dose check", str(text)))
    table = pd.DataFrame(rows, columns=["", "Estimate"]).to_html(index=False, classes="t", border=0)
    summary = evaluation.summary() if hasattr(evaluation, "summary") else ""
    section = {
        "title": title,
        "major": True,
        "intro": summary if isinstance(summary, str) else "",
        "tables": [{"html": table}],
    }
    png = event_study_png(d.get("event_study"))
    if png is not None:
        section["figures"] = [
            {
                "caption": "Event study: change in targeted reports by month relative to the "
                "pilot's start (95% intervals); months before it test the design",
                "png": png,
            }
        ]
    return section


def event_study_png(rows) -> bytes | None:
    """An event-study chart from ``[{"rel", "effect", "low", "high"}, …]`` (None without rows)."""
    if not rows:
        return None
    es = pd.DataFrame(rows)
    x = next((c for c in ("rel", "event_time", "period", "k") if c in es.columns), None)
    y = next((c for c in ("effect", "estimate", "coef") if c in es.columns), None)
    if x is None or y is None or es.empty:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geo_heart.render.report import png_bytes_from_figure

    fig, ax = plt.subplots(figsize=(8, 3.2))
    lo = next((c for c in ("low", "ci_low", "lo") if c in es.columns), None)
    hi = next((c for c in ("high", "ci_high", "hi") if c in es.columns), None)
    xs, ys = es[x].astype(float), es[y].astype(float) * 100
    if lo and hi:
        ax.fill_between(xs, es[lo].astype(float) * 100, es[hi].astype(float) * 100,
                        color="#fdd0a2", alpha=0.8, lw=0)  # fmt: skip
    ax.plot(xs, ys, "o-", color="#d95f0e", ms=3)
    ax.axhline(0, color="#444", lw=0.8)
    ax.axvline(-0.5, color="#888", lw=0.8, ls="--")
    ax.set_xlabel("Months relative to the pilot's start")
    ax.set_ylabel("Change in targeted reports (%)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    png = png_bytes_from_figure(fig)
    plt.close(fig)
    return png


# ---------------------------------------------------------------------------------------- next year


def forecast_total(forecast) -> dict | None:
    """``{"total", "low80", "high80", "low95", "high95", "start", "end", "programs"}``: next
    12 months' eligible calls citywide, summed over the forecast's programs (None when absent)."""
    city = getattr(forecast, "city", None)
    if city is None or len(city) == 0:
        return None
    c = pd.DataFrame(city)
    mean = next((k for k in ("mean", "forecast", "yhat", "value") if k in c.columns), None)
    if mean is None:
        return None
    out = {"total": float(c[mean].sum())}
    for k in ("low80", "high80", "low95", "high95"):
        if k in c.columns:
            out[k] = float(c[k].sum())
    month = next((k for k in ("month", "ds", "date") if k in c.columns), None)
    if month is not None:
        out["start"], out["end"] = str(c[month].min())[:7], str(c[month].max())[:7]
    if "program" in c.columns:
        out["programs"] = list(dict.fromkeys(c["program"].astype(str)))
    return out


def demand_row(ws, forecast, total: dict | None) -> dict[str, str]:
    """The first page's line on next year's demand."""
    label = "Next year's demand: eligible calls in the next 12 months (forecast)"
    if isinstance(forecast, Unavailable) or forecast is None or total is None:
        why = (
            forecast.sentence()
            if isinstance(forecast, Unavailable)
            else "The forecast is not estimated."
        )
        return {"label": label, "value": "not estimated", "caveat": why}
    band = (
        f" (80% interval {total['low80']:,.0f}–{total['high80']:,.0f})"
        if "low80" in total and "high80" in total
        else ""
    )
    when = f"{total['start']} to {total['end']}" if "start" in total else "the next 12 months"
    basis = getattr(forecast, "basis", "")
    progs = ", ".join(total.get("programs", []))
    return {
        "label": label,
        "value": f"{total['total']:,.0f}{band}",
        "caveat": f"{when}; {progs + '; ' if progs else ''}{basis}",
    }


def teams_row(ws, plan: dict | Unavailable | None) -> dict[str, str]:
    """The first page's line on the teams next year's demand takes."""
    label = "Teams it takes: team-hours a week to answer 80% of in-hours calls"
    if plan is None or isinstance(plan, Unavailable):
        why = plan.sentence() if isinstance(plan, Unavailable) else "No staffing plan was run."
        return {"label": label, "value": "not estimated", "caveat": why}
    return {
        "label": label,
        "value": f"{plan['team_hours']:,} team-hours a week ({plan['program']}, at most "
        f"{plan['max_teams']} teams at once)",
        "caveat": plan["basis"],
    }


def next_year_section(ws, forecast, total: dict | None, plan) -> dict:
    """The "Next year" section: the forecast table and the staffing it implies."""
    title = "Next year"
    parts: dict[str, Any] = {"title": title, "major": True}
    if isinstance(forecast, Unavailable) or forecast is None or total is None:
        parts["intro"] = (
            forecast.sentence()
            if isinstance(forecast, Unavailable)
            else "The demand forecast is not estimated."
        )
    else:
        summary = forecast.summary() if hasattr(forecast, "summary") else ""
        parts["intro"] = summary if isinstance(summary, str) else ""
        table = getattr(forecast, "table", None)
        if table is not None and len(table):
            t = pd.DataFrame(table)
            parts["tables"] = [
                {
                    "html": t.to_html(
                        index=False, classes="t", border=0, float_format="{:,.0f}".format
                    ),
                    "note": f"Basis: {getattr(forecast, 'basis', '')}",
                }
            ]
    rows = [teams_row(ws, plan)]
    notices = [f"{r['label']}: {r['value']}. {r['caveat']}" for r in rows]
    parts["notices"] = notices
    return parts


def first_page(
    ws, data, *, cov: dict, evaluation, forecast, total, plan, reach: dict[str, str]
) -> list[dict[str, str]]:
    """The first page: one figure per label, each with its basis."""
    return [
        coverage_row(ws, cov),
        pilot_row(ws, evaluation),
        demand_row(ws, forecast, total),
        teams_row(ws, plan),
        reach,
    ]


def reach_row(ws, data) -> dict[str, str]:
    """Who the service reaches under today's rules: residents in the service area and the covered
    share of eligible calls where each group lives (all residents and the least-served group)."""
    label = "Who the service reaches (today's rules)"
    from geo_heart.analysis.equity import MissingLayerError, equity_analysis

    try:
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
    caveat = f"{result.rules.get('label', '')}; census tracts apportioned to beats"
    if "covered_share" in g.columns and data.hours_judged:
        cs = g["covered_share"].dropna()
        if len(cs):
            low = cs.idxmin()
            caveat += (
                f"; eligible calls covered where they live: {_pct(cs.loc[first])} for "
                f"{str(g.loc[first, 'label']).lower()}, lowest {_pct(cs.loc[low])} "
                f"({str(g.loc[low, 'label']).lower()})"
            )
    return {"label": label, "value": value, "caveat": caveat}


def staffing_plan(ws, data, total: dict | None, *, target: float = 0.8):
    """Team-hours a week for ``target`` answered at next year's forecast volume of the area's
    staffing program (the CLI's basis, ``--scale-to`` the forecast's share for that program);
    at the call table's own volume when there is no forecast. ``Unavailable`` when it cannot
    be planned (e.g. calls without a time of day)."""
    from geo_heart.errors import GeoHeartError
    from geo_heart.staffing.workflow import StaffingOptions, staffing_for_calls

    cfg = ws.config
    program = (getattr(cfg, "staffing", {}) or {}).get("program") or next(iter(cfg.programs))
    scale, how = None, "the call table's own count"
    if total is not None and total.get("by_program", {}).get(program):
        scale = float(total["by_program"][program])
        how = f"next year's forecast for {program} ({scale:,.0f} calls)"
    try:
        r = staffing_for_calls(
            ws, data, program, StaffingOptions(target=target, scale_to=scale, replications=0)
        )
    except GeoHeartError as exc:
        return Unavailable("The staffing plan", str(exc))
    b = r.basis
    return {
        "program": program,
        "team_hours": int(r.main.team_hours_per_week),
        "max_teams": int(r.main.max_teams),
        "basis": f"{b.describe()}; volume: {how}; same answer as `geo-heart staffing --program "
        f"{program} --target {target:g}`" + (f" --scale-to {scale:.0f}" if scale else ""),
    }


def council_pages(ws, data, *, evaluation=None, forecast=None) -> dict:
    """The first page (one figure per label) and the "Did the pilot work?" and "Next year"
    sections, from the calls and the evaluation/forecast results (or :class:`Unavailable`)."""
    cov = coverage_today(ws, data)
    total = (
        None if isinstance(forecast, Unavailable) or forecast is None else forecast_total(forecast)
    )
    if total is None and forecast is not None and not isinstance(forecast, Unavailable):
        forecast = Unavailable("Next year's demand", "the forecast returned no citywide months")
    if not data.hours_judged:
        plan = Unavailable(
            "The staffing plan",
            "the calls have a date but no time of day, so the hours a team is needed are not "
            "known (geo-heart staffing --hourly-profile FILE plans from a stated profile)",
        )
    else:
        plan = staffing_plan(ws, data, total)
    return {
        "first_page": first_page(
            ws,
            data,
            cov=cov,
            evaluation=evaluation,
            forecast=forecast,
            total=total,
            plan=plan,
            reach=reach_row(ws, data),
        ),
        "sections": [pilot_section(ws, evaluation), next_year_section(ws, forecast, total, plan)],
        "coverage_today": cov,
    }
