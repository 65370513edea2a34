"""The planner report's helpers and its rules-over-time, today's-gaps and what-to-add sections.

Private to :mod:`geo_heart.render.report` (and the equity and council pages, which embed figures
the same way): figures become PNG data URIs; each section builder returns a dict for the template,
or ``None`` when it has nothing to say.
"""

from __future__ import annotations

import base64
import io

import pandas as pd

from geo_heart.analysis.calls import CallData
from geo_heart.geo.workspace import Workspace


def png_bytes_from_figure(fig, *, dpi: int = 110) -> bytes:
    """Render a matplotlib figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "–"


def _periods_section(ws: Workspace, data: CallData) -> dict | None:
    """Rules over time: each call under the rules of its own time; one sentence naming the
    periods, the table and the before/after chart (None when the calls carry no rule periods)."""
    if "rules" not in data.frame.columns:
        return None
    from geo_heart.analysis.coverage import hours_not_judged, rules_coverage_table
    from geo_heart.render.periods import period_png, periods_sentence

    raw = rules_coverage_table(data, ws.config)
    if raw.empty:
        return None
    judged = data.hours_judged
    table = hours_not_judged(raw, data)
    figures = []
    if judged and raw["covered"].sum() > 0:  # an empty chart is left out
        png = period_png(ws, raw)
        figures.append(
            {
                "caption": "Share of type-eligible calls covered under each period's rules",
                "src": _data_uri(png),
            }
        )
    if not judged:
        intro = (
            "Each call under the rules of its own date: the calls have a date but no time of "
            "day, so program hours are not judged (only the service area is)."
        )
    elif raw["covered"].sum() == 0:
        intro = f"No call in the table fell in a period when {ws.config.service_name} operated."
    else:
        from geo_heart.render.council import covered_any_share

        f = data.frame
        overall = {
            name: covered_any_share(f[f["rules"] == name], data.programs)[0]
            for name in raw["rules"].unique()
        }
        intro = periods_sentence(raw, ws.config.service_name, overall)
    cols = ["label", "program", "eligible", "share_in_area", "share_in_hours", "share_covered"]
    shown = table[cols].copy()
    synthetic = {rs.name for rs in ws.config.timeline.rule_sets if rs.synthetic}
    before = table["rules"].isin(synthetic).to_numpy()
    for c in ("share_in_area", "share_in_hours", "share_covered"):
        hours_col = c != "share_in_area"
        shown[c] = [
            "no program"
            if b
            else (
                f"{v:.1%}"
                if v is not None and v == v
                else ("not judged" if hours_col and not judged else "–")
            )
            for v, b in zip(shown[c], before, strict=True)
        ]
    shown["eligible"] = [f"{int(v):,}" for v in shown["eligible"]]
    shown = shown.rename(
        columns={
            "label": "Rules",
            "program": "Program",
            "eligible": "Eligible calls (by type)",
            "share_in_area": "Inside the service area",
            "share_in_hours": "Inside the hours",
            "share_covered": "Covered (area and hours)",
        }
    )
    return {
        "title": "Rules over time: each call under the rules of its own date",
        "major": True,
        "intro": intro,
        "tables": [
            {
                "html": shown.to_html(index=False, classes="t", border=0),
                "note": "Each call judged under the rules in force at its local time "
                "(boundaries: [[rules]] of the area file; geo-heart rules).",
            }
        ],
        "figures": figures,
    }


def _today_section(ws: Workspace, data: CallData) -> dict | None:
    """Expansion from today's rules (hours, county, call types) when every program is citywide."""
    import geo_heart.expansion as ex

    rs = ws.config.rule_set()
    if ex.partial_coverage(ws.config, rs):
        return None
    table = ex.today_candidates(ws, data)
    top = pd.concat([g.head(5) for _k, g in table.groupby("kind", sort=False)])
    top = ex.with_equity_text(top)
    from geo_heart.render.tables import display_table

    top = display_table(
        top,
        ints=tuple(c for c in ("adds_calls", "adds_per_year") if c in top.columns),
        headers={
            "kind": "Kind",
            "candidate": "What to add",
            "program": "Program",
            "adds_calls": "Eligible calls it adds (whole period)",
            "adds_per_year": "A year",
            "detail": "Detail",
            "equity": "Equity effect (geo-heart equity)",
        },
    )
    return {
        "title": "What to add next, from today's rules",
        "major": True,
        "intro": f"Under the {rs.label} rules every program serves the whole city; the open "
        "questions are hours, county areas outside the city and call types. Calls each would add "
        "(all calls judged under today's rules; details: geo-heart expand).",
        "tables": [{"html": top.to_html(index=False, classes="t", border=0)}],
    }


def _expansion_summary(ws: Workspace, data: CallData, k: int) -> dict | None:
    """The best ``k`` contiguous beats to add (for the report), or ``None`` without candidates."""
    import geo_heart.expansion as ex
    from geo_heart.render.expansion import recommended_beats_png

    if not ex.partial_coverage(ws.config, ws.config.rule_set()):
        return None  # every program serves the whole area: see _today_section
    problem = ex.ExpansionProblem.from_calls(ws, data)
    if not problem.candidates or not problem.total:
        return None
    result = ex.optimal_selection(problem, k=min(k, len(problem.candidates)), contiguous=True)
    if not result.feasible:
        return None
    return {
        "beats": list(result.beats),
        "before": result.base_covered / problem.total,
        "after": result.coverage,
        "added_calls": result.covered - result.base_covered,
        "label": problem.label,
        "png": recommended_beats_png(ws, problem, result),
    }
