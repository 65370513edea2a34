"""Static figures: choropleth PNG maps (scale bar, north arrow) and demand charts.

Builders return matplotlib ``Figure`` objects and never save. Every figure names its period and
source where the caller gives them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_heart.config.schedule import DAY_NAMES
from geo_heart.geo.workspace import Workspace
from geo_heart.io.files import crs_unit_to_m
from geo_heart.render.maps import (
    HOT_COLORS,
    NO_DATA_COLOR,
    PILOT_COLOR,
    _beats_with,
    class_breaks,
    class_colors,
    color_for,
    metric_classes,
    pilot_outline,
)


# ---------------------------------------------------------------------------- static
def tight_layout_once(fig, **kwargs) -> None:
    """``fig.tight_layout(**kwargs)``, then no layout engine on the figure.

    ``Figure.tight_layout`` leaves a placeholder layout engine behind, and ``savefig`` then draws
    the whole figure once more before the real draw (a third of its time); the layout is already
    fixed, so the saved image is byte-for-byte the same without that extra pass.
    """
    fig.tight_layout(**kwargs)
    fig.set_layout_engine(None)


def _projected(gdf, ws: Workspace):
    return gdf.to_crs(ws.config.projected_crs)


def _unit_to_m(ws: Workspace) -> float:

    return crs_unit_to_m(ws.config.projected_crs)


def class_legend_handles(breaks, colors, *, edgecolor: str | None = None) -> list:
    """Legend patches for quantile classes: "≤ b1", "b1 – b2", … (one per class colour)."""
    from matplotlib.patches import Patch

    handles, lo = [], None
    for b, c in zip(breaks, colors, strict=True):
        label = f"≤ {b:,.1f}" if lo is None else f"{lo:,.1f} – {b:,.1f}"
        handles.append(Patch(facecolor=c, edgecolor=edgecolor, label=label))
        lo = b
    return handles


def add_scale_bar(ax, ws: Workspace, *, miles: float | None = None) -> None:
    """A scale bar in miles at the lower right of an axes drawn in the projected CRS."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    units_per_mile = 1609.344 / _unit_to_m(ws)
    if miles is None:
        span = (x1 - x0) / units_per_mile
        miles = next(v for v in (0.5, 1, 2, 5, 10, 20, 50) if v >= span / 6)
    length = miles * units_per_mile
    xs = x1 - (x1 - x0) * 0.05 - length
    ys = y0 + (y1 - y0) * 0.05
    h = (y1 - y0) * 0.008
    ax.add_patch(_rect(xs, ys, length / 2, h, "black"))
    ax.add_patch(_rect(xs + length / 2, ys, length / 2, h, "white"))
    ax.text(xs, ys + 2.5 * h, "0", ha="center", fontsize=8)
    ax.text(xs + length, ys + 2.5 * h, f"{miles:g} mi", ha="center", fontsize=8)


def _rect(x, y, w, h, color):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=color, edgecolor="black", linewidth=0.8)


def add_north_arrow(ax) -> None:
    """A north arrow at the upper right (the projected CRS has grid north up)."""
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.85),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 12},
    )


def _base_figure(title: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 9), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title, fontsize=13)
    ax.set_axis_off()
    fig.subplots_adjust(left=0.02, right=0.75, top=0.93, bottom=0.04)
    return fig, ax


def _finish(fig, ax, ws: Workspace, note: str) -> None:
    pilot = _projected(pilot_outline(ws), ws)
    pilot.boundary.plot(ax=ax, color=PILOT_COLOR, linewidth=2.2, linestyle="--")
    add_scale_bar(ax, ws)
    add_north_arrow(ax)
    fig.text(0.01, 0.01, note, fontsize=7, color="#444444")


def static_beat_map(
    ws: Workspace, beat_table: pd.DataFrame, *, metric: str = "rate", title: str | None = None
):
    """Choropleth of a per-beat metric with the pilot outlined, legend, scale bar and north arrow."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    gdf = _projected(_beats_with(ws, beat_table), ws)
    col, caption, breaks, colors, nodata = metric_classes(ws, gdf, metric)
    values = gdf[col].to_numpy(dtype=float).copy()
    values[nodata] = np.nan
    gdf["_color"] = [color_for(v, breaks, colors) for v in values]
    fig, ax = _base_figure(
        title or f"{caption} by police {ws.config.beats.unit_name}, {ws.config.name}"
    )
    gdf.plot(ax=ax, color=gdf["_color"], edgecolor="#555555", linewidth=0.5)
    for _, r in gdf.iterrows():
        pt = r.geometry.representative_point()
        ax.text(pt.x, pt.y, r["beat"], fontsize=6, ha="center", va="center", color="#222222")
    handles = class_legend_handles(breaks, colors, edgecolor="#555555")
    if nodata.any():
        handles.append(
            Patch(
                facecolor=NO_DATA_COLOR,
                edgecolor="#555555",
                label="no data (special code"
                + (" or no residents)" if col == "eligible_per_1000" else ")"),
            )
        )
    handles.append(
        Line2D([0], [0], color=PILOT_COLOR, lw=2.2, ls="--", label=ws.config.service_area.label)
    )
    ax.legend(
        handles=handles,
        title=caption,
        loc="upper left",
        bbox_to_anchor=(1.0, 0.6),
        fontsize=8,
        title_fontsize=9,
        frameon=True,
    )
    _finish(
        fig,
        ax,
        ws,
        f"Eligible = call type eligible for a {ws.config.service_name} program. Quantile classes. "
        f"CRS {ws.config.projected_crs}.",
    )
    return fig


def static_hex_map(ws: Workspace, hot, *, title: str | None = None):
    """H3 hexagons of eligible demand (static)."""

    hexes = _projected(hot.hexagons, ws)
    hv = hexes["value"].to_numpy(dtype=float)
    breaks = class_breaks(hv[hv > 0])
    colors = class_colors(len(breaks), "PuRd")
    hexes["_color"] = [color_for(v, breaks, colors) if v > 0 else "#ffffff" for v in hv]
    fig, ax = _base_figure(title or f"Eligible calls by H3 hexagon ({hot.hex_source})")
    _projected(ws.beat_index.to_geodataframe(), ws).boundary.plot(
        ax=ax, color="#aaaaaa", linewidth=0.4
    )
    hexes.plot(ax=ax, color=hexes["_color"], edgecolor="#bbbbbb", linewidth=0.2, alpha=0.9)
    handles = class_legend_handles(breaks, colors)
    ax.legend(
        handles=handles,
        title="Eligible calls per hexagon",
        loc="upper left",
        bbox_to_anchor=(1.0, 0.6),
        fontsize=8,
    )
    import h3

    res = h3.get_resolution(hexes["h3"].iloc[0]) if len(hexes) else "-"
    _finish(fig, ax, ws, f"H3 resolution {res}; values {hot.hex_source}.")
    return fig


def static_hotspot_map(ws: Workspace, hot, *, title: str | None = None):
    """Gi* classes by beat (static)."""
    from matplotlib.patches import Patch

    gdf = _projected(hot.beats, ws)
    fig, ax = _base_figure(
        title
        or f"Hot and cold spots of eligible demand by {ws.config.beats.unit_name} (Getis-Ord Gi*)"
    )
    gdf.plot(
        ax=ax, color=[HOT_COLORS[h] for h in gdf["hotspot"]], edgecolor="#555555", linewidth=0.5
    )
    for _, r in gdf.iterrows():
        pt = r.geometry.representative_point()
        ax.text(pt.x, pt.y, r["beat"], fontsize=6, ha="center", va="center")
    handles = [Patch(facecolor=c, edgecolor="#555555", label=k) for k, c in HOT_COLORS.items()]
    ax.legend(
        handles=handles,
        title="Gi* class (pseudo p)",
        loc="upper left",
        bbox_to_anchor=(1.0, 0.6),
        fontsize=8,
    )
    _finish(
        fig,
        ax,
        ws,
        f"Queen contiguity, 999 permutations. Special {ws.config.beats.unit_name} codes left out.",
    )
    return fig


def hour_of_week_figure(
    hour_table: pd.DataFrame,
    *,
    programs: list[str],
    weeks: float | None = None,
    period: str = "",
    source: str = "",
):
    """Average eligible calls per week in each hour of the week, with program hours shaded.

    ``weeks`` is the length of the data period; without it the bars are totals (and say so).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.8), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    x = hour_table["hour_of_week"].to_numpy()
    y = hour_table["eligible_any"].to_numpy(dtype=float)
    if weeks and weeks == weeks:
        y = y / weeks
        ylabel = "average eligible calls\nper week in this hour"
    else:
        ylabel = "eligible calls (total)"
    ax.bar(x, y, width=1.0, color="#d95f0e", label="eligible calls (any program)")
    ymax = float(y.max() or 1)
    palette = ["#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"]
    for i, p in enumerate(programs):
        open_ = hour_table[f"open_{p}"].to_numpy() > 0
        band = ymax * (1.04 + 0.05 * i)
        ax.fill_between(
            x,
            band,
            band + ymax * 0.035,
            where=open_,
            step="mid",
            color=palette[i % len(palette)],
            label=f"{p} hours",
        )
    ax.set_xticks(np.arange(0, 168, 24), list(DAY_NAMES))
    ax.set_xlim(-0.5, 167.5)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(
        "Eligible calls by hour of the week (local time) and program hours"
        + (f", {period}" if period else ""),
        fontsize=10,
    )
    ax.legend(loc="upper left", fontsize=7, ncol=len(programs) + 1, bbox_to_anchor=(0, -0.12))
    if source:
        fig.text(0.01, 0.005, f"Source: {source}", fontsize=6.5, color="#555555")
    tight_layout_once(fig, rect=(0, 0.03, 1, 1))
    return fig


def monthly_figure(
    month_table: pd.DataFrame, *, programs: list[str], period: str = "", source: str = ""
):
    """Eligible calls per month, per program; partial months (``partial`` column) are drawn as
    hollow markers and not joined to the line, so they do not read as a ramp."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.4), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(month_table))
    partial = (
        month_table["partial"].to_numpy(dtype=bool)
        if "partial" in month_table
        else np.zeros(len(x), dtype=bool)
    )
    full = ~partial
    for p in programs:
        if month_table[f"eligible_{p}"].sum() > 0:
            yv = month_table[f"eligible_{p}"].to_numpy(dtype=float)
            ax.plot(x[full], yv[full], label=f"{p} eligible", lw=1.5)
    ya = month_table["eligible_any"].to_numpy(dtype=float)
    ax.plot(x[full], ya[full], label="any program", color="black", lw=2)
    if partial.any():
        ax.plot(
            x[partial],
            ya[partial],
            "o",
            mfc="white",
            mec="black",
            label="partial month (not a full count)",
        )
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], month_table["month"].iloc[::step], rotation=45, fontsize=7)
    # a count axis starts at zero: a close-up of a narrow range reads as a big change
    ax.set_ylim(0, max(float(np.nanmax(ya)) if len(ya) else 0.0, 1.0) * 1.12)
    ax.set_ylabel("eligible calls per month")
    ax.set_title("Eligible calls by month" + (f", {period}" if period else ""), fontsize=10)
    ax.legend(fontsize=7, ncol=len(programs) + 2)
    if source:
        fig.text(0.01, 0.005, f"Source: {source}", fontsize=6.5, color="#555555")
    tight_layout_once(fig, rect=(0, 0.03, 1, 1))
    return fig
