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
    ws, problem, result=None, *, bases: pd.DataFrame | None = None, simplify_deg: float = 1e-4
):
    """A folium map: demand per beat (eligible calls within hours), the current area and the
    proposed beats. Returns the map; never saves."""
    import branca.colormap as cm
    import folium

    gdf = ws.beat_index.to_geodataframe()
    gdf = gdf[gdf["beat"].isin(problem.beats)].copy()
    # ~10 m simplification keeps the page small; the map is for reading, not for measuring
    gdf["geometry"] = gdf.geometry.simplify(simplify_deg, preserve_topology=True)
    d = problem.demand.reindex(gdf["beat"])
    gdf["eligible_any"] = d["eligible_any"].to_numpy()
    for p in problem.programs:
        gdf[f"eligible_{p}"] = d[f"eligible_{p}"].to_numpy()
    proposed = set(result.beats) if result is not None else set()
    gdf["status"] = [
        "current area" if b in problem.base else ("proposed" if b in proposed else "candidate")
        for b in gdf["beat"]
    ]
    vmax = float(max(gdf["eligible_any"].max(), 1))
    cmap = cm.LinearColormap(["#fff7ec", "#fc8d59", "#7f0000"], vmin=0, vmax=vmax)
    cmap.caption = "Eligible calls within hours (per beat)"
    minx, miny, maxx, maxy = gdf.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11, tiles=None)
    folium.TileLayer("OpenStreetMap", name="Base map").add_to(m)
    fields = ["beat", "status", "eligible_any"] + [f"eligible_{p}" for p in problem.programs]
    folium.GeoJson(
        gdf[fields + ["geometry"]].to_json(),
        name="Demand",
        style_function=lambda f: {
            "fillColor": cmap(f["properties"]["eligible_any"]),
            "color": "#555555",
            "weight": 0.6,
            "fillOpacity": 0.65,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields),
    ).add_to(m)
    for status, color, name in (
        ("current area", CURRENT_COLOR, problem.label),
        ("proposed", PROPOSED_COLOR, "Proposed beats"),
    ):
        part = gdf[gdf["status"] == status]
        if part.empty:
            continue
        folium.GeoJson(
            part[["beat", "geometry"]].to_json(),
            name=name,
            style_function=lambda f, c=color: {"fillOpacity": 0, "color": c, "weight": 3},
        ).add_to(m)
    if bases is not None:
        for row in bases.itertuples():
            folium.Marker([row.lat, row.lon], tooltip=f"Team base: {row.name}").add_to(m)
    cmap.add_to(m)
    folium.LayerControl().add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


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
    fig.tight_layout()
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
    title: str = "Expansion planning",
) -> str:
    """A short, self-contained HTML planner report (plot embedded)."""
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
    rows.append(
        f"<tr><th>any</th><th>{total:,.0f}</th><th>{base_any:,.0f} ({_pct(base_any, total)})</th>"
        f"<th>{_any_after(problem, result):,.0f} ({_pct(_any_after(problem, result), total)})</th></tr>"
    )
    img = base64.b64encode(png).decode("ascii")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;"
        "text-align:right}caption{text-align:left;font-weight:bold;margin:.5em 0}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>Current area: <b>{esc(problem.label)}</b> ({len(problem.base)} beats). "
        f"Candidates: {len(problem.candidates)} beats. Programs: {esc(', '.join(problem.programs))}.</p>",
        f"<h2>Recommendation</h2><p>Add <b>{esc(', '.join(result.beats) or 'nothing')}</b> "
        f"(solver status {esc(result.status)}, proven optimal: {result.optimal}, "
        f"{result.solve_time_s:.2f} s).</p>",
        "<table><caption>Eligible calls within hours covered</caption>"
        "<tr><th>program</th><th>all beats</th><th>today</th><th>with the proposal</th></tr>",
        *rows,
        "</table>",
        f"<h2>Coverage curve</h2><img alt='coverage curve' src='data:image/png;base64,{img}'>",
    ]
    if compare is not None and len(compare):
        parts.append("<h2>Greedy versus optimal</h2>")
        parts.append(compare.to_html(index=False, border=0))
    parts.append("<h2>Candidates</h2>")
    parts.append(candidates.to_html(index=False, border=0, na_rep=""))
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
