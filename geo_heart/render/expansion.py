"""Map, coverage-curve plot and planner report for :mod:`geo_heart.expansion`.

Everything here is aggregated by beat: no call locations are drawn or written.
"""

from __future__ import annotations

import base64
import html
import io
import logging

import pandas as pd

log = logging.getLogger(__name__)

CURRENT_COLOR = "#2b6cb0"
PROPOSED_COLOR = "#dd6b20"


def expansion_map(
    ws,
    problem,
    result=None,
    *,
    bases: pd.DataFrame | None = None,
    basemap: str | None = None,
    simplify_deg: float = 1e-4,
):
    """A folium map: demand per beat (eligible calls within hours), the current area and the
    proposed beats. Works offline (no web tiles; write it with
    :func:`geo_heart.render.maps.html_from_map`). Returns the map; never saves."""
    import folium

    from geo_heart.render.maps import (
        _class_rows,
        add_basemap,
        class_breaks,
        class_colors,
        color_for,
        legend_html,
        legend_script,
    )

    gdf = ws.beat_index.to_geodataframe()
    gdf = gdf[gdf["beat"].isin(problem.beats)].copy()
    # ~10 m simplification keeps the page small; the map is for reading, not for measuring
    gdf["geometry"] = gdf.geometry.simplify(simplify_deg, preserve_topology=True)
    d = problem.demand.reindex(gdf["beat"])
    vals = d["eligible_any"].to_numpy(dtype=float)
    proposed = set(result.beats) if result is not None else set()
    gdf["status"] = [
        "current area" if b in problem.base else ("recommended" if b in proposed else "candidate")
        for b in gdf["beat"]
    ]
    total = float(problem.total or 0)
    gdf["eligible calls within hours"] = [f"{v:,.0f}" for v in vals]
    gdf["share of all"] = [f"{100 * v / total:.1f}%" if total else "" for v in vals]
    for p in problem.programs:
        gdf[f"{p} (within hours)"] = [f"{v:,.0f}" for v in d[f"eligible_{p}"].to_numpy(dtype=float)]
    breaks = class_breaks(vals)
    colors = class_colors(len(breaks), "OrRd")
    gdf["_color"] = [color_for(v, breaks, colors) for v in vals]
    minx, miny, maxx, maxy = gdf.total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=11,
        tiles=None,
        control_scale=True,
    )
    add_basemap(m, ws, basemap)
    fields = ["beat", "status", "eligible calls within hours", "share of all"] + [
        f"{p} (within hours)" for p in problem.programs
    ]
    demand_layer = folium.GeoJson(
        gdf[fields + ["_color", "geometry"]],
        name="Eligible calls within hours, by beat",
        style_function=lambda f: {
            "fillColor": f["properties"]["_color"],
            "color": "#555555",
            "weight": 0.6,
            "fillOpacity": 0.7,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields),
    ).add_to(m)
    sections = [
        (
            demand_layer,
            "<div><b>Eligible calls within hours</b> (quantiles)</div>"
            + _class_rows(breaks, colors, decimals=0),
        )
    ]
    for status, color, name in (
        ("current area", CURRENT_COLOR, f"{problem.label} (starting area)"),
        ("recommended", PROPOSED_COLOR, "Recommended beats"),
    ):
        part = gdf[gdf["status"] == status]
        if part.empty:
            continue
        layer = folium.GeoJson(
            part[["beat", "geometry"]],
            name=name,
            style_function=lambda f, c=color: {"fillOpacity": 0, "color": c, "weight": 3},
        ).add_to(m)
        sections.append(
            (
                layer,
                f'<div><span class="gh-sw" style="background:none;border:3px solid {color}">'
                f"</span>{html.escape(name)}</div>",
            )
        )
    if bases is not None:
        for row in bases.itertuples():
            folium.CircleMarker(
                [row.lat, row.lon],
                radius=6,
                color="#000",
                fill=True,
                fill_color="#ffd400",
                fill_opacity=1,
                tooltip=f"Team base: {row.name}",
            ).add_to(m)
    m.get_root().html.add_child(folium.Element(legend_html(sections, title="Expansion")))
    m.get_root().html.add_child(folium.Element(legend_script(m)))
    folium.LayerControl(collapsed=False).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def recommended_beats_figure(ws, problem, result, *, title: str | None = None):
    """Static map: current area, recommended beats (labelled) and other candidates."""
    from matplotlib.patches import Patch

    from geo_heart.render.static import _base_figure, add_north_arrow, add_scale_bar

    gdf = ws.beat_index.to_geodataframe()
    gdf = gdf[gdf["beat"].isin(problem.beats)].to_crs(ws.config.projected_crs)
    rec = set(result.beats) if result is not None else set()
    colors = {"current": CURRENT_COLOR, "recommended": PROPOSED_COLOR, "other": "#eeeeee"}
    kind = [
        "current" if b in problem.base else "recommended" if b in rec else "other"
        for b in gdf["beat"]
    ]
    fig, ax = _base_figure(title or f"Recommended beats to add to the {problem.label}")
    gdf.plot(ax=ax, color=[colors[k] for k in kind], edgecolor="#666666", linewidth=0.5, alpha=0.85)
    for (_, r), k in zip(gdf.iterrows(), kind, strict=True):
        pt = r.geometry.representative_point()
        ax.text(
            pt.x,
            pt.y,
            r["beat"],
            fontsize=7 if k != "other" else 5.5,
            ha="center",
            va="center",
            color="white" if k != "other" else "#555555",
            fontweight="bold" if k == "recommended" else "normal",
        )
    ax.legend(
        handles=[
            Patch(facecolor=CURRENT_COLOR, label=f"{problem.label} (starting area)"),
            Patch(facecolor=PROPOSED_COLOR, label="recommended to add"),
            Patch(facecolor="#eeeeee", edgecolor="#666666", label="other beats"),
        ],
        loc="upper left",
        bbox_to_anchor=(1.0, 0.6),
        fontsize=8,
    )
    add_scale_bar(ax, ws)
    add_north_arrow(ax)
    fig.text(
        0.01, 0.01, f"Police beats; CRS {ws.config.projected_crs}.", fontsize=7, color="#444444"
    )
    return fig


def recommended_beats_png(ws, problem, result) -> bytes:
    """PNG bytes of :func:`recommended_beats_figure`."""
    return figure_png(recommended_beats_figure(ws, problem, result))


def curve_figure(curve: pd.DataFrame, *, optimal: pd.DataFrame | None = None, title: str = ""):
    """Coverage share against beats added (greedy), with optimal points when given."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(curve["step"], curve["coverage"] * 100, marker="o", label="greedy (cumulative)")
    for _i, row in curve.iloc[1:].iterrows():
        ax.annotate(
            str(row["beat"]),
            (row["step"], row["coverage"] * 100),
            fontsize=7,
            xytext=(2, 4),
            textcoords="offset points",
        )
    if optimal is not None and len(optimal):
        ax.plot(
            optimal["k"],
            optimal["coverage"] * 100,
            "s",
            color=PROPOSED_COLOR,
            label="optimal for k",
        )
    ax.set_xlabel("beats added")
    ax.set_ylabel("eligible calls within hours covered (%)")
    ax.set_title(title or "Coverage curve")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    from geo_heart.render.static import tight_layout_once

    tight_layout_once(fig)
    return fig


def figure_png(fig) -> bytes:
    """PNG bytes of a matplotlib figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def report_html(
    problem,
    *,
    result,
    candidates: pd.DataFrame,
    curve: pd.DataFrame,
    compare: pd.DataFrame | None,
    png: bytes,
    notes: list[str],
    map_png: bytes | None = None,
    title: str = "Expansion planning",
) -> str:
    """A short, self-contained HTML planner report (plots embedded, print stylesheet)."""
    from geo_heart.render.tables import display_table

    esc = html.escape
    before = {
        p: problem.demand.loc[list(problem.base), f"eligible_{p}"].sum() for p in problem.programs
    }
    rows = []
    for p in problem.programs:
        tot = float(problem.demand[f"eligible_{p}"].sum())
        after = result.per_program.get(f"covered_{p}", float("nan"))
        rows.append(
            f"<tr><td>{esc(p)}</td><td>{tot:,.0f}</td><td>{before[p]:,.0f}"
            f" ({_pct(before[p], tot)})</td><td>{after:,.0f} ({_pct(after, tot)})</td></tr>"
        )
    total = problem.total
    base_any = float(problem.demand.loc[list(problem.base), "eligible_any"].sum())
    after_any = _any_after(problem, result)
    rows.append(
        f"<tr><th>any</th><th>{total:,.0f}</th><th>{base_any:,.0f} ({_pct(base_any, total)})</th>"
        f"<th>{after_any:,.0f} ({_pct(after_any, total)})</th></tr>"
    )
    img = base64.b64encode(png).decode("ascii")
    added = ", ".join(result.beats) or "nothing"
    summary = (
        f"Adding beats {esc(added)} to the {esc(problem.label)} would raise the share of eligible "
        f"calls within program hours that fall in the service area from {_pct(base_any, total)} "
        f"to {_pct(after_any, total)} ({after_any - base_any:,.0f} more calls in the data period)."
    )
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:12px;margin:.5em 0}td,th{border:1px solid #ccc;"
        "padding:3px 6px;text-align:right}th{background:#f3f3f3}caption{text-align:left;"
        "font-weight:bold;margin:.5em 0}img{max-width:100%}.lead{font-size:15px}"
        "@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}"
        "table,figure,img{break-inside:avoid}@page{size:A4;margin:14mm}}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p class='lead'>{summary}</p>",
        f"<p>Starting area: <b>{esc(problem.label)}</b> ({len(problem.base)} beats). "
        f"Candidates: {len(problem.candidates)} beats. Programs: {esc(', '.join(problem.programs))}.</p>",
        f"<h2>Recommendation</h2><p>Add <b>{esc(added)}</b> "
        f"(solver status {esc(result.status)}, proven optimal: {'yes' if result.optimal else 'no'}).</p>",
    ]
    if map_png:
        mp = base64.b64encode(map_png).decode("ascii")
        parts.append(
            f"<figure><img alt='map of the recommended beats' src='data:image/png;base64,{mp}'></figure>"
        )
    parts += [
        "<table><caption>Eligible calls within program hours in the service area</caption>"
        "<tr><th>program</th><th>all beats</th><th>starting area</th><th>with the proposal</th></tr>",
        *rows,
        "</table>",
        f"<h2>Coverage curve</h2><img alt='coverage curve' src='data:image/png;base64,{img}'>",
    ]
    if compare is not None and len(compare):
        parts.append("<h2>Step-by-step (greedy) versus best choice (optimal)</h2>")
        cmp_pct = tuple(c for c in compare.columns if "coverage" in c or c.startswith("share"))
        cmp_int = tuple(c for c in compare.columns if c.endswith("covered"))
        parts.append(
            display_table(compare, pct=cmp_pct, ints=cmp_int).to_html(index=False, border=0)
        )
    parts.append("<h2>Candidate beats</h2>")
    keep = [
        c
        for c in (
            "rank",
            "beat",
            "touches_area",
            "eligible_any_in_hours",
            "eligible_any",
            "eligible_per_1000",
            "distance_m",
            "greedy_step",
            "selected",
        )
        if c in candidates.columns
    ]
    keep += [
        c
        for c in candidates.columns
        if c.startswith("eligible_") and c.endswith("_in_hours") and c not in keep
    ]
    ints = tuple(c for c in keep if c.startswith("eligible_") and c != "eligible_per_1000")
    parts.append(
        display_table(candidates[keep], ints=ints + ("distance_m",)).to_html(
            index=False, border=0, na_rep=""
        )
    )
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _any_after(problem, result) -> float:
    sel = set(problem.base) | set(result.beats)
    return float(problem.demand.loc[[b for b in problem.beats if b in sel], "eligible_any"].sum())


def _pct(part: float, whole: float) -> str:
    if not whole or part != part:
        return "–"
    return f"{100.0 * part / whole:.1f}%"


def write_beat_plan(ws, plan, out_dir, *, with_map: bool = True, basemap=None, progress=None):
    """Write a :class:`~geo_heart.expansion.plan.BeatPlan`'s tables, map, chart and report.

    Files: ``expansion_candidates.csv``, ``expansion_curve.csv``, ``expansion_compare.csv``,
    ``beats.gpkg`` (layer ``expansion_candidates``) and, with the map, ``expansion_map.html``
    (offline), ``expansion_recommended.png``, ``expansion_curve.png`` and
    ``expansion_report.html``. Returns the paths written.
    """
    from pathlib import Path

    from geo_heart.io.tables import write_table
    from geo_heart.io.vector import write_beat_layers
    from geo_heart.render.maps import html_from_map

    out = Path(out_dir)
    problem, result = plan.problem, plan.result
    written = [
        write_table(plan.candidates, out / "expansion_candidates.csv"),
        write_table(plan.curve, out / "expansion_curve.csv"),
        write_table(plan.compare, out / "expansion_compare.csv"),
        Path(
            write_beat_layers(ws, {"expansion_candidates": plan.candidates}, out / "beats.gpkg")[
                "path"
            ]
        ),
    ]
    if progress is not None:
        progress.update()
    if not with_map:
        return written
    if progress is not None:
        progress.set_postfix_str("map")
    m = expansion_map(ws, problem, result, bases=plan.bases, basemap=basemap)
    from geo_heart.io.files import write_bytes_file, write_text_file

    write_text_file(out / "expansion_map.html", html_from_map(m))
    rec_png = recommended_beats_png(ws, problem, result)
    write_bytes_file(out / "expansion_recommended.png", rec_png)
    written += [out / "expansion_map.html", out / "expansion_recommended.png"]
    if progress is not None:
        progress.update()
        progress.set_postfix_str("report")
    opt_pts = plan.compare.assign(coverage=plan.compare["optimal_covered"] / problem.total)
    png = figure_png(
        curve_figure(plan.curve, optimal=opt_pts, title=f"Adding beats to {problem.label}")
    )
    write_bytes_file(out / "expansion_curve.png", png)
    write_text_file(
        out / "expansion_report.html",
        report_html(
            problem,
            result=result,
            candidates=plan.candidates,
            curve=plan.curve,
            compare=plan.compare,
            png=png,
            map_png=rec_png,
            notes=plan.notes,
        ),
    )
    written += [out / "expansion_curve.png", out / "expansion_report.html"]
    if progress is not None:
        progress.update()
    return written
