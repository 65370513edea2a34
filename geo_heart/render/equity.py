"""Equity outputs: the tract choropleth of unmet eligible demand, the group chart, the tables.

Builders return matplotlib ``Figure`` objects and never save; :func:`write_equity` writes the
files of ``geo-heart equity -o DIR``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo_heart.render.maps import NO_DATA_COLOR, PILOT_COLOR, class_breaks, class_colors, color_for

if TYPE_CHECKING:  # pragma: no cover
    from geo_heart.analysis.equity import EquityResult

#: rounding of the written tract table (counts apportioned by area are fractional)
ROUND = {"residents": 1, "eligible_calls": 1, "covered_calls": 1, "expected_answered": 1}


def tracts_geodataframe(ws, result: EquityResult):
    """The tract table joined to the tract polygons (EPSG:4326), small call counts suppressed."""
    import geopandas as gpd

    from geo_heart.analysis.equity import suppress_counts, tract_layer

    shapes = tract_layer(ws)[["tract_geoid", "geometry"]].to_crs(4326)
    t = suppress_counts(
        public_tracts(result.tracts, result.meta.get("fields", ())), result.meta.get("min_count", 5)
    )
    return gpd.GeoDataFrame(t.merge(shapes, on="tract_geoid", how="left"), crs="EPSG:4326")


def public_tracts(t: pd.DataFrame, keep: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """The table rounded for output (counts to 0.1, shares and rates to 4 decimals; ``keep``
    columns, the census fields copied as they are, untouched)."""
    out = t.copy()
    for c in out.columns:
        if c in keep or c == "tract_geoid" or not pd.api.types.is_float_dtype(out[c]):
            continue
        share = c.endswith("share") or c.endswith("per_1000")
        out[c] = out[c].round(4 if share else 1)
    return out


def service_outline(ws, beats: list[str]):
    """The beats dissolved to one outline (GeoDataFrame, EPSG:4326; empty when no beats)."""
    import geopandas as gpd

    from geo_heart.geo.outlines import beats_outline

    geom = beats_outline(ws, beats)  # cached on disk: the citywide dissolve took ~0.25 s
    return gpd.GeoDataFrame({"name": ["service area"]}, geometry=[geom], crs="EPSG:4326")


def unmet_map(
    ws, result: EquityResult, *, column: str = "unmet_per_1000", title: str | None = None
):
    """Tract choropleth of ``column`` (default: unmet eligible calls per 1,000 residents) with the
    rule set's service area outlined; tracts without residents or with suppressed counts grey."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from geo_heart.render.static import (
        _base_figure,
        add_north_arrow,
        add_scale_bar,
        class_legend_handles,
    )

    crs = ws.config.projected_crs
    gdf = tracts_geodataframe(ws, result).to_crs(crs)
    values = pd.to_numeric(gdf[column], errors="coerce").to_numpy(dtype=float).copy()
    values[gdf["residents"].to_numpy(dtype=float) <= 0] = np.nan
    breaks = class_breaks(values)
    colors = class_colors(len(breaks))
    gdf["_color"] = [color_for(v, breaks, colors) for v in values]
    rules = result.rules.get("label") or result.rules.get("name")
    fig, ax = _base_figure(
        title or f"Unmet eligible calls per 1,000 residents by census tract, {ws.config.name}"
    )
    gdf.plot(ax=ax, color=gdf["_color"], edgecolor="#777777", linewidth=0.4)
    outline = service_outline(ws, result.service_beats).to_crs(crs)
    if not outline.geometry.iloc[0].is_empty:
        outline.boundary.plot(ax=ax, color=PILOT_COLOR, linewidth=2.2, linestyle="--")
    handles = class_legend_handles(breaks, colors, edgecolor="#777777")
    handles.append(
        Patch(facecolor=NO_DATA_COLOR, edgecolor="#777777", label="no city residents / suppressed")
    )
    handles.append(
        Line2D(
            [0],
            [0],
            color=PILOT_COLOR,
            lw=2.2,
            ls="--",
            label=f"service area ({result.service_area or 'none'})",
        )
    )
    ax.legend(
        handles=handles,
        title="per 1,000 residents",
        loc="upper left",
        bbox_to_anchor=(1.0, 0.6),
        fontsize=8,
        title_fontsize=9,
    )
    add_scale_bar(ax, ws)
    add_north_arrow(ax)
    fig.text(
        0.01,
        0.01,
        f"Rules: {rules}. Unmet = eligible by call type but outside the service area or hours. "
        "Incident reports (undercount behavioural-health calls); ACS tract estimates. "
        f"Quantile classes. CRS {crs}.",
        fontsize=7,
        color="#444444",
    )
    return fig


def group_chart(result: EquityResult):
    """Two panels per group: share living in the service area, and the disparity ratios (with
    bootstrap intervals) of each measure against all residents."""
    from matplotlib.figure import Figure

    g = result.groups
    fig = Figure(figsize=(11, 4.8), dpi=110)
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    ys = np.arange(len(g))[::-1]
    ax1.barh(ys, g["in_service_area_share"].to_numpy(dtype=float) * 100, color="#2166ac")
    for y, v in zip(ys, g["in_service_area_share"], strict=True):
        ax1.text(v * 100 + 1, y, f"{v:.0%}", va="center", fontsize=8)
    ax1.set_yticks(ys, g["label"])
    ax1.set_xlim(0, 110)
    ax1.set_xlabel("% living in the service area")
    ax1.set_title(f"Service area: {result.service_area or 'none'}", fontsize=10)
    measures = [
        m
        for m in ("in_service_area_share", "eligible_per_1000", "unmet_per_1000")
        if f"{m}_ratio" in g.columns
    ]
    names = {
        "in_service_area_share": "in service area",
        "eligible_per_1000": "eligible /1,000",
        "unmet_per_1000": "unmet /1,000",
    }
    h = 0.8 / max(len(measures), 1)
    for j, m in enumerate(measures):
        r = g[f"{m}_ratio"].to_numpy(dtype=float)
        lo = r - g[f"{m}_ratio_low"].to_numpy(dtype=float)
        hi = g[f"{m}_ratio_high"].to_numpy(dtype=float) - r
        err = np.nan_to_num(np.vstack([lo, hi]).clip(min=0))
        ax2.errorbar(
            r,
            ys + (j - (len(measures) - 1) / 2) * h,
            xerr=err,
            fmt="o",
            ms=4,
            capsize=2,
            label=names[m],
        )
    ax2.axvline(1.0, color="#444444", lw=0.8)
    ax2.set_yticks(ys, g["label"])
    ax2.set_xlabel("ratio to all residents (95% bootstrap interval)")
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    ax2.set_title("Disparity ratios", fontsize=10)
    fig.suptitle(f"Who the service reaches, rules: {result.rules.get('label')}", fontsize=11)
    from geo_heart.render.static import tight_layout_once

    tight_layout_once(fig, rect=(0, 0, 1, 0.94))
    return fig


def write_equity(ws, result: EquityResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``equity_by_tract.csv``, ``equity_groups.csv``, ``equity_by_beat.csv``,
    ``equity.json``, ``equity.gpkg`` (layer ``equity_by_tract``), ``equity_groups.png`` and
    ``equity_unmet_map.png`` (the last four only when the census layer is present)."""
    import json

    from geo_heart.analysis.equity import suppress_counts
    from geo_heart.io.files import save_figure, write_text_file
    from geo_heart.io.tables import write_table
    from geo_heart.io.vector import OutputSpec, write_vector

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    min_count = result.meta.get("min_count", 5)
    by_beat = suppress_counts(result.by_beat, min_count)
    written = {"by_beat": write_table(public_tracts(by_beat), out / "equity_by_beat.csv")}
    if result.tracts is not None:
        t = suppress_counts(public_tracts(result.tracts, result.meta.get("fields", ())), min_count)
        written["by_tract"] = write_table(t, out / "equity_by_tract.csv")
        written["groups"] = write_table(result.groups.round(4), out / "equity_groups.csv")
        gpkg = out / "equity.gpkg"
        write_vector(
            tracts_geodataframe(ws, result), OutputSpec(gpkg, "gpkg"), layer="equity_by_tract"
        )
        written["gpkg"] = gpkg
        fig = group_chart(result)
        save_figure(fig, out / "equity_groups.png")
        written["chart"] = out / "equity_groups.png"
        if "unmet_per_1000" in result.tracts.columns:
            save_figure(unmet_map(ws, result), out / "equity_unmet_map.png")
            written["map"] = out / "equity_unmet_map.png"
    write_text_file(out / "equity.json", json.dumps(result.to_json(), indent=2))
    written["json"] = out / "equity.json"
    return written


def _pct(v) -> str:
    return "–" if v is None or v != v else f"{v:.1%}"


def _ratio(v, lo, hi) -> str:
    if v is None or v != v:
        return "–"
    return f"{v:.2f} ({lo:.2f}–{hi:.2f})" if lo == lo and hi == hi else f"{v:.2f}"


def results_by_rule_set(ws, data) -> dict[str, EquityResult]:
    """:func:`~geo_heart.analysis.equity.equity_analysis` of ``data`` under each rule set that
    operated (the synthetic "before" set left out), by rule-set name, in time order: what the
    report's equity section shows, computed once per report and passed on (the first page's
    reach row reads today's)."""
    from geo_heart.analysis.equity import equity_analysis

    return {
        rs.name: equity_analysis(ws, data, rules=rs)
        for rs in ws.config.timeline.rule_sets
        if not rs.synthetic
    }


def report_section(ws, data, *, results: dict[str, EquityResult] | None = None) -> dict:
    """The planner report's "Who the service reaches" section.

    Each group's share living in the service area under every rule set (before the service,
    the pilot, citywide …); for each rule set that operated, the group table (residents, share in
    the service area, eligible and unmet calls per 1,000 where they live, disparity ratios with
    bootstrap intervals); the group chart and the tract map of unmet demand under today's rules;
    and the plain-language caveats.

    ``results`` are :func:`results_by_rule_set` of the same calls when the caller has them.

    Raises
    ------
    MissingLayerError
        The area has no census tract layer or no ``[equity]`` (the report leaves the section out).
    """
    from geo_heart.analysis.equity import CAVEATS, groups_by_rule_set, shares_sentence
    from geo_heart.render.report import _data_uri, png_bytes_from_figure

    periods = groups_by_rule_set(ws, bootstrap=0)
    wide = periods.pivot_table(
        index="group_label", columns="label", values="in_service_area_share", sort=False
    )
    wide = wide[list(dict.fromkeys(periods["label"]))]
    wide = wide.reindex(list(dict.fromkeys(periods["group_label"])))
    wide.columns.name = None
    shown = wide.map(_pct).reset_index().rename(columns={"group_label": "Residents"})
    tables = [
        {
            "html": "<table><caption>Share of each group living in the service area, by rule set"
            "</caption>" + shown.to_html(index=False, border=0).split(">", 1)[1],
            "note": "Residents of the city's police territory (every beat not outside the city), "
            "from census tracts apportioned to beats by area; households for vehicle access.",
        }
    ]
    figures = []
    latest = ws.config.rule_set()
    result = None
    if results is None:
        results = results_by_rule_set(ws, data)
    for rs in ws.config.timeline.rule_sets:
        if rs.synthetic:
            continue
        result = results[rs.name]
        g = result.groups
        rows = pd.DataFrame(
            {
                "Residents": g["label"],
                "Number": [f"{v:,.0f}" for v in g["residents"]],
                "In the service area": [_pct(v) for v in g["in_service_area_share"]],
                "Ratio to all (95% CI)": [
                    _ratio(
                        r.in_service_area_share_ratio,
                        r.in_service_area_share_ratio_low,
                        r.in_service_area_share_ratio_high,
                    )
                    for r in g.itertuples()
                ],
                "Eligible calls per 1,000 where they live": [
                    f"{v:,.1f}" for v in g["eligible_per_1000"]
                ],
                "Unmet per 1,000": [f"{v:,.1f}" for v in g["unmet_per_1000"]],
                "Unmet ratio to all (95% CI)": [
                    _ratio(
                        r.unmet_per_1000_ratio,
                        r.unmet_per_1000_ratio_low,
                        r.unmet_per_1000_ratio_high,
                    )
                    for r in g.itertuples()
                ],
            }
        )
        tables.append(
            {
                "html": f"<table><caption>{rs.label} rules ({rs.span()}): every call in the data "
                "judged under them</caption>"
                + rows.to_html(index=False, border=0).split(">", 1)[1],
                "note": "Unmet = eligible by call type but outside the service area or hours. "
                "Ratios compare each group with all residents; intervals: bootstrap over tracts.",
            }
        )
        figures.append(
            {
                "caption": f"Who the service reaches under the {rs.label} rules",
                "src": _data_uri(png_bytes_from_figure(group_chart(result))),
            }
        )
    if result is not None and result.rules.get("name") == latest.name:
        figures.append(
            {
                "caption": f"Unmet eligible calls per 1,000 residents by census tract, {latest.label} "
                "rules, service area outlined",
                "src": _data_uri(png_bytes_from_figure(unmet_map(ws, result))),
            }
        )
    caveats = [
        "Read with care. " + CAVEATS[0],
        CAVEATS[1].format(weights="area"),
        CAVEATS[2],
    ]
    return {
        "title": "Who the service reaches",
        "major": True,
        "intro": shares_sentence(periods),
        "tables": tables,
        "figures": figures,
        "notices": caveats,
    }
