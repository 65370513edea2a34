"""A one-page HTML report for planners: headline numbers, coverage, tables and maps.

:func:`planner_report_html` returns one self-contained HTML string (static figures embedded as PNG
data URIs, so the file can be mailed or printed); it links the interactive map by a relative name.
Only aggregates appear (beats, hours, months): no call-level rows.
"""

from __future__ import annotations

import base64
import html
import io
import logging
from datetime import datetime, timezone

import pandas as pd

from geo_heart.analysis.calls import CallData
from geo_heart.area import Area

log = logging.getLogger(__name__)


def png_bytes_from_figure(fig, *, dpi: int = 110) -> bytes:
    """Render a matplotlib figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(df: pd.DataFrame, *, pct: tuple[str, ...] = ()) -> str:
    out = df.copy()
    for c in pct:
        if c in out.columns:
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
    return out.to_html(
        index=False, border=0, classes="t", na_rep="", float_format=lambda v: f"{v:,.1f}"
    )


def planner_report_html(
    ws: Area,
    data: CallData,
    *,
    beat_table: pd.DataFrame,
    coverage: pd.DataFrame,
    images: dict[str, bytes],
    map_href: str | None = "demand_map.html",
    top_n: int = 12,
) -> str:
    """The planner report.

    Parameters
    ----------
    beat_table
        :func:`geo_heart.analysis.demand.beat_demand` output.
    coverage
        :func:`geo_heart.analysis.coverage.coverage_table` output (one or more scenarios).
    images
        Title → PNG bytes (maps and charts) to embed, in order.
    map_href
        Relative link to the interactive map, or ``None``.
    """
    s = data.summary()
    sa_key = ws.config.default_service_area
    sa_label = ws.config.service_area.label
    in_sa = beat_table[f"in_{sa_key}"]
    city_elig = int(beat_table["eligible_any"].sum())
    sa_elig = int(beat_table.loc[in_sa, "eligible_any"].sum())
    months = data.frame["month"].dropna()
    period = f"{months.min()} to {months.max()}" if len(months) else "unknown period"
    headline = [
        ("Calls read", f"{s['rows']:,}"),
        ("Period (local time)", period),
        ("Calls eligible by type for any program", f"{city_elig:,} (placed in a beat)"),
        (
            f"…of which in the {sa_label}",
            f"{sa_elig:,} ({sa_elig / city_elig:.1%})" if city_elig else "0",
        ),
        (
            "Call codes not in the call-type table",
            f"{s['unknown_calls']:,} calls, {s['unknown_distinct_codes']} codes",
        ),
        ("Calls that could not be placed in a beat", f"{s['unplaced']:,}"),
    ]
    per_prog = pd.DataFrame(
        {
            "program": data.programs,
            "name": [ws.config.programs[p].name for p in data.programs],
            "eligible citywide (placed)": [
                int(beat_table[f"eligible_{p}"].sum()) for p in data.programs
            ],
            f"eligible in {sa_key}": [
                int(beat_table.loc[in_sa, f"eligible_{p}"].sum()) for p in data.programs
            ],
            "covered today": [int(beat_table[f"covered_{p}"].sum()) for p in data.programs],
        }
    )
    cov = coverage[
        [
            "scenario",
            "program",
            "eligible",
            "share_in_area",
            "share_in_hours",
            "share_covered",
            "hours",
        ]
    ]
    top = beat_table.sort_values("eligible_any", ascending=False).head(top_n)
    top = top[
        [
            "beat",
            "district",
            f"in_{sa_key}",
            "eligible_any",
            "eligible_per_1000",
            "eligible_per_sq_mi",
            "share_of_city_eligible",
        ]
    ]
    figs = "\n".join(
        f"<figure>{_img(png, title)}<figcaption>{html.escape(title)}</figcaption></figure>"
        for title, png in images.items()
    )
    link = (
        f'<p>Interactive map (layers, tooltips): <a href="{html.escape(map_href)}">{html.escape(map_href)}</a></p>'
        if map_href
        else ""
    )
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in headline
    )
    periods_html = _periods_section(ws, data)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>HEART demand and coverage — {html.escape(ws.config.name)}</title>
<style>
body {{font: 14px/1.4 system-ui, sans-serif; max-width: 1100px; margin: 1.5em auto; color: #222;}}
h1 {{font-size: 22px; margin-bottom: 0}} h2 {{font-size: 17px; border-bottom: 1px solid #ccc;}}
table.t, table.h {{border-collapse: collapse; font-size: 12.5px; margin: .5em 0;}}
table.t th, table.t td, table.h th, table.h td {{padding: 3px 8px; border-bottom: 1px solid #e3e3e3; text-align: right}}
table.h th {{text-align: left}} figure {{margin: 1em 0}} img {{max-width: 100%}}
figcaption {{font-size: 12px; color: #555}} .note {{font-size: 12px; color: #555}}
.grid {{display: grid; grid-template-columns: 1fr 1fr; gap: 1em}}
</style></head><body>
<h1>HEART demand and coverage — {html.escape(ws.config.name)}</h1>
<p class="note">Source: {html.escape(s["source"])}. Generated {stamp} by geo-heart.
Only aggregates are shown (beats, hexagons, hours, months).</p>
<h2>Headline</h2>
<table class="h">{rows}</table>
<h2>Eligible calls per program</h2>
{_table(per_prog)}
<h2>Coverage: of the calls eligible by type, the share inside the service area, inside the hours, and both</h2>
{_table(cov, pct=("share_in_area", "share_in_hours", "share_covered"))}
{periods_html}
<h2>Beats with the most eligible calls</h2>
{_table(top, pct=("share_of_city_eligible",))}
<h2>Maps and charts</h2>
{link}
{figs}
<h2>Method notes</h2>
<ul class="note">
<li>Call codes are classified with the call-type table of {html.escape(str(ws.config.path.name))};
"eligible" means the call type (with the weapon/violence rule) is one the program takes.</li>
<li>Residents per beat: census-tract population apportioned to beats by overlapping area in
{html.escape(ws.config.projected_crs)}.</li>
<li>Hot spots: Getis-Ord Gi* (esda), Queen contiguity of beats and H3 hexagon adjacency, 999 permutations.</li>
<li>Incident reports undercount behavioral-health calls that produce no report.</li>
</ul>
</body></html>
"""


def _periods_section(ws: Area, data: CallData) -> str:
    """Rules over time: one sentence naming the periods, the table and the before/after chart."""
    if "rules" not in data.frame.columns:
        return ""
    from geo_heart.analysis.coverage import rules_coverage_table
    from geo_heart.render.periods import period_chart, periods_sentence

    table = rules_coverage_table(data, ws.config)
    if table.empty:
        return ""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        png = period_chart(table, Path(tmp) / "p.png").read_bytes()
    cols = ["label", "program", "eligible", "share_in_area", "share_in_hours", "share_covered"]
    return (
        "<h2>Rules over time: each call under the rules in force at its time</h2>\n"
        f"<p>{html.escape(periods_sentence(table, ws.config.service_name))}</p>\n"
        + _table(table[cols], pct=("share_in_area", "share_in_hours", "share_covered"))
        + f"<figure>{_img(png, 'coverage by rule period')}<figcaption>Share of type-eligible "
        "calls covered under each period's rules</figcaption></figure>"
    )


def write_planner_outputs(
    ws: Area,
    data: CallData,
    out_dir,
    *,
    metric: str = "rate",
    points: bool = False,
    tiles: str | None = None,
    inline_assets: bool = True,
    what_ifs=None,
    progress: bool = False,
) -> dict[str, object]:
    """Write demand tables, coverage, hot spots, the interactive map, static PNGs and the report.

    Files in ``out_dir``: ``demand_by_beat.csv``, ``demand_by_hour.csv``, ``demand_by_month.csv``,
    ``unknown_call_types.csv``, ``coverage.csv``, ``hotspots_beats.csv``,
    ``hotspots_hexagons.csv``, ``demand_map.html``, ``demand_by_beat.png``,
    ``demand_by_hexagon.png``, ``hotspots_beats.png``, ``demand_by_hour.png``,
    ``demand_by_month.png``, ``report.html``.

    Returns
    -------
    dict
        Output name → path, plus ``html_bytes`` (size of the interactive map).
    """
    from pathlib import Path

    from tqdm import tqdm

    from geo_heart.analysis import coverage as cov_mod
    from geo_heart.analysis import demand, hotspots
    from geo_heart.io.tables import write_table
    from geo_heart.render import maps

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps = tqdm(total=6, desc="maps", unit="step", disable=not progress, leave=False)
    written: dict[str, object] = {}
    steps.set_postfix_str("tables")
    beat_t = demand.beat_demand(ws, data)
    hour_t = demand.hour_of_week_demand(ws, data)
    month_t = demand.monthly_demand(data)
    written.update(demand.write_demand_tables(ws, data, out, tables=(beat_t, hour_t, month_t)))
    wis = what_ifs if what_ifs is not None else cov_mod.resolve_what_ifs(ws, scenarios=["all"])
    cov = cov_mod.coverage_table(data, wis)
    written["coverage"] = write_table(cov, out / "coverage.csv")
    steps.update()
    steps.set_postfix_str("hot spots")
    hot = hotspots.hotspots(ws, data)
    written["hotspots_beats"] = write_table(
        hot.beats.drop(columns="geometry"), out / "hotspots_beats.csv"
    )
    written["hotspots_hexagons"] = write_table(
        hot.hexagons.drop(columns="geometry"), out / "hotspots_hexagons.csv"
    )
    steps.update()
    steps.set_postfix_str("interactive map")
    m = maps.demand_map(
        ws,
        beat_t,
        metric=metric,
        hot=hot,
        data=data,
        points=points,
        tiles=tiles,
        title=f"HEART-eligible demand, {ws.config.name}",
    )
    text = maps.html_from_map(m, inline_assets=inline_assets)
    map_path = out / "demand_map.html"
    map_path.write_text(text, encoding="utf-8")
    written["map"] = map_path
    written["html_bytes"] = map_path.stat().st_size
    steps.update()
    steps.set_postfix_str("static maps")
    figures = {
        f"{maps.metric_column(metric)[1]} by beat": (
            "demand_by_beat.png",
            maps.static_beat_map(ws, beat_t, metric=metric),
        ),
        "Eligible calls by H3 hexagon": ("demand_by_hexagon.png", maps.static_hex_map(ws, hot)),
        "Gi* hot and cold spots by beat": ("hotspots_beats.png", maps.static_hotspot_map(ws, hot)),
        "Eligible calls by hour of the week": (
            "demand_by_hour.png",
            maps.hour_of_week_figure(hour_t, programs=data.programs),
        ),
        "Eligible calls by month": (
            "demand_by_month.png",
            maps.monthly_figure(month_t, programs=data.programs),
        ),
    }
    images: dict[str, bytes] = {}
    for title, (name, fig) in figures.items():
        png = png_bytes_from_figure(fig)
        (out / name).write_bytes(png)
        written[name.removesuffix(".png") + "_png"] = out / name
        images[title] = png
    steps.update()
    steps.set_postfix_str("report")
    report = planner_report_html(
        ws, data, beat_table=beat_t, coverage=cov, images=images, map_href=map_path.name
    )
    (out / "report.html").write_text(report, encoding="utf-8")
    written["report"] = out / "report.html"
    steps.update(2)
    steps.close()
    return written
