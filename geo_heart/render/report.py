"""A one-page HTML report for planners: headline numbers, coverage, tables and maps.

:func:`planner_report_html` returns one self-contained HTML string (static figures embedded as PNG
data URIs, so the file can be mailed or printed); it links the interactive map by a relative name.
Only aggregates appear (beats, hours, months): no call-level rows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from geo_heart.analysis.calls import CallData
from geo_heart.geo.workspace import Workspace
from geo_heart.render.report_sections import (  # noqa: F401 (png_bytes_from_figure: public)
    _data_uri,
    _expansion_summary,
    _pct,
    _periods_section,
    _today_section,
    png_bytes_from_figure,
)

log = logging.getLogger(__name__)


def render_report(context: dict) -> str:
    """Render ``templates/report.html.j2`` with ``context`` (autoescaped)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("geo_heart.render", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**context)


def planner_report_html(ws: Workspace, data: CallData, **kwargs) -> str:
    """The planner report as one self-contained HTML page with a print stylesheet (the context
    of :func:`planner_report_context`, rendered)."""
    return render_report(planner_report_context(ws, data, **kwargs))


def planner_report_context(
    ws: Workspace,
    data: CallData,
    *,
    beat_table: pd.DataFrame,
    coverage: pd.DataFrame,
    images: dict[str, bytes],
    map_href: str | None = "demand_map.html",
    top_n: int = 12,
    hot=None,
    expansion: dict | None = None,
    extra_sections: list[dict] | None = None,
    period: dict | None = None,
    council: dict | None = None,
) -> dict:
    """The planner report's content (title, first page, summary, sections …), in the area's
    unit words: rendered as HTML by :func:`planner_report_html`, as PDF by
    :func:`geo_heart.render.pdf.report_pdf`.

    Parameters
    ----------
    beat_table
        :func:`geo_heart.analysis.demand.beat_demand` output.
    coverage
        :func:`geo_heart.analysis.coverage.coverage_table` output (one or more scenarios).
    images
        Key → PNG bytes. Known keys: ``beat_map``, ``hour``, ``month``, ``hotspots``,
        ``hexagons``; each is placed in its section.
    hot
        :class:`~geo_heart.analysis.hotspots.HotSpots` for the hot-spot section.
    expansion
        ``{"beats": [...], "before": share, "after": share, "added_calls": n, "label": str,
        "png": bytes}`` for the expansion section, or ``None``.
    extra_sections
        More sections (e.g. coverage over time, staffing), each a dict with ``title`` and any of
        ``intro`` (text), ``html`` (trusted HTML), ``tables`` (list of {html, note}),
        ``figures`` (list of {caption, png or src}), ``notices`` (list of text).
    period
        :func:`geo_heart.render.tables.data_period` output (computed when missing).
    council
        :func:`geo_heart.render.council.council_pages` output: the first page (``first_page``,
        one figure per label) and the "Did the pilot work?" and "Next year" sections
        (``sections``), placed before the others.
    """
    from geo_heart.analysis.coverage import hours_not_judged
    from geo_heart.render.tables import data_period, display_table

    period = period or data_period(data)
    s = data.summary()
    # text is written with the default unit words (beat, district): relabel_all turns them into
    # the area's own words once ([beats] unit_name/group_name)
    sn = ws.config.service_name
    sa_key = ws.config.default_service_area
    sa_label = ws.config.service_area.label
    has_population = "population" in ws.config.layers
    in_sa = beat_table[f"in_{sa_key}"].astype(bool)
    city_elig = int(beat_table["eligible_any"].sum())
    sa_elig = int(beat_table.loc[in_sa, "eligible_any"].sum())
    per_year = city_elig / (period["weeks"] / 52.18) if period["weeks"] == period["weeks"] else 0
    src_name = Path(str(s["source"])).name
    source = f"{src_name} ({s['rows']:,} records)"
    coverage = hours_not_judged(coverage, data)
    top = beat_table.sort_values("eligible_any", ascending=False).head(top_n)
    summary = [
        f"Between {period['text']}, {city_elig:,} calls in {src_name} placed in a beat had a "
        f"call type that a {sn} program takes (about {per_year:,.0f} a year).",
        f"{sa_elig:,} of them ({_pct(sa_elig, city_elig)}) were in the {sa_label}.",
        "The beats with the most eligible calls were "
        + ", ".join(f"{r.beat} ({int(r.eligible_any):,})" for r in top.head(3).itertuples())
        + ".",
    ]
    if expansion:
        summary.append(
            f"Adding beats {', '.join(expansion['beats'])} would raise the share of eligible "
            f"calls within hours in the service area from {expansion['before']:.1%} to "
            f"{expansion['after']:.1%}."
        )
    summary.append(
        "These records are a proxy for demand (reports or police calls, not every call a crisis "
        "team could take): read the counts as an estimate, not a census of demand."
    )
    summary.extend([*data.time_notes, *data.notes])
    headline = [
        {"label": "Data period (local dates)", "value": period["text"], "caveat": ""},
        {"label": "Records read", "value": f"{s['rows']:,}", "caveat": f"source: {src_name}"},
        {
            "label": "Calls placed in a beat and eligible by type for any program",
            "value": f"{city_elig:,}",
            "caveat": "any time of day",
        },
        {
            "label": f"…of which in the {sa_label}",
            "value": f"{sa_elig:,} ({_pct(sa_elig, city_elig)})",
            "caveat": "by the beat of the record's location",
        },
        {
            "label": "Call codes not in the call-type table",
            "value": f"{s['unknown_calls']:,} records, {s['unknown_distinct_codes']} codes",
            "caveat": "not counted as eligible; listed in unknown_call_types.csv",
        },
        {
            "label": "Records that could not be placed in a beat",
            "value": f"{s['unplaced']:,}",
            "caveat": "counted in the program table, left out of the beat tables",
        },
    ]
    f = data.frame
    sa_beats = f["beat"].isin(list(beat_table.loc[in_sa, "beat"]))
    per_prog = pd.DataFrame(
        {
            "program": [f"{p} – {ws.config.programs[p].name}" for p in data.programs],
            "eligible": [int(f[f"{p}_type"].sum()) for p in data.programs],
            "placed": [int((f[f"{p}_type"] & f["beat"].notna()).sum()) for p in data.programs],
            "eligible_in_area": [int((f[f"{p}_type"] & sa_beats).sum()) for p in data.programs],
            "covered": [int(f[p].sum()) if data.hours_judged else None for p in data.programs],
        }
    )
    prog_html = display_table(
        per_prog,
        ints=("eligible", "placed", "eligible_in_area", "covered"),
        headers={
            "program": "Program",
            "eligible": "Eligible calls (by type)",
            "placed": "…placed in a beat",
            "eligible_in_area": f"…in the {sa_key} beats",
            "covered": "Covered (area and hours, each call under the rules of its date)",
        },
    )
    if not data.hours_judged:
        prog_html.iloc[:, -1] = "not judged"
    prog_html = prog_html.to_html(index=False, border=0)
    top_cols = [
        "beat",
        "district",
        f"in_{sa_key}",
        "eligible_any",
        *(["eligible_per_1000"] if has_population else []),
        "eligible_per_sq_mi",
        "share_of_city_eligible",
    ]
    top_cols = [c for c in top_cols if c in beat_table.columns]
    top_html = display_table(
        top[[c for c in top_cols if c in top.columns]],
        pct=("share_of_city_eligible",),
        ints=("eligible_any",),
        headers={f"in_{sa_key}": f"In {sa_key}"},
    ).to_html(index=False, border=0)
    fig = _figs(images)
    sections = [
        {
            "title": "Where and when eligible demand is",
            "major": False,
            "tables": [
                {
                    "html": f"<table><caption>Eligible calls per program, {period['text']}</caption>"
                    + prog_html.split(">", 1)[1]
                },
                {
                    "html": f"<table><caption>The {top_n} beats with the most eligible calls</caption>"
                    + top_html.split(">", 1)[1],
                    "note": "Per 1,000 residents: census-tract population apportioned to beats by area."
                    if has_population
                    else "",
                },
            ],
            "figures": fig("beat_map", "hour", "month"),
        },
        {
            "title": "Coverage: eligible calls inside the service area and hours",
            "major": True,
            "intro": "What-if comparison: every call of the data period "
            f"({period['text']}) judged under today's rules and under each scenario of the area "
            "file: of the calls eligible by type, the share inside each program's area, inside "
            "its hours, and inside both (covered). These are not the coverage the calls had at "
            "their own dates (see 'Rules over time').",
            "tables": [{"html": _coverage_html(coverage, data.hours_judged)}],
        },
    ]
    if hot is not None:
        notices = []
        if hot.hex_note:
            notices.append(hot.hex_note[:1].upper() + hot.hex_note[1:] + ".")
        nsig = int((hot.beats["hotspot"] != "not significant").sum())
        hex_sig = (
            int((hot.hexagons["hotspot"] != "not significant").sum())
            if hot.hexagons is not None
            else 0
        )
        if nsig or hex_sig:
            sections.append(
                {
                    "title": "Hot spots of eligible demand",
                    "major": True,
                    "intro": f"Getis-Ord Gi* by beat with a false-discovery-rate correction: "
                    f"{nsig} of {len(hot.beats)} beats are significant hot or cold spots.",
                    "figures": fig("hotspots", "hexagons"),
                    "notices": notices,
                }
            )
        else:  # an empty map is not worth a page: one line says so
            sections.append(
                {
                    "title": "Hot spots of eligible demand",
                    "intro": f"No significant hot or cold spots: Getis-Ord Gi* by beat with a "
                    f"false-discovery-rate correction finds none of the {len(hot.beats)} beats "
                    "significant.",
                    "notices": notices,
                }
            )
    if expansion:
        sections.append(
            {
                "title": "Which beats to add next",
                "major": True,
                "intro": f"Best {len(expansion['beats'])} beats to add to the "
                f"{expansion['label']} (eligible calls within program hours, contiguous): "
                f"{', '.join(expansion['beats'])}; {expansion['added_calls']:,.0f} more calls in "
                f"the data period ({expansion['before']:.1%} → {expansion['after']:.1%}). "
                "Details: geo-heart expand.",
                "figures": [{"caption": "Recommended beats", "src": _data_uri(expansion["png"])}]
                if expansion.get("png")
                else [],
            }
        )
    rules_section = _periods_section(ws, data)
    if rules_section is not None:
        sections.append(rules_section)
        summary.append(rules_section["intro"])
    today = _today_section(ws, data)
    if today is not None:
        sections.append(today)
    sections.extend(_with_srcs(e) for e in extra_sections or [])
    # the council pages first: "Did the pilot work?", "Next year"
    sections[:0] = [_with_srcs(e) for e in (council or {}).get("sections", [])]
    notes = [
        f"Call codes are classified with the call-type table of {ws.config.path.name}; "
        '"eligible" means the call type (with the weapon/violence rule) is one the program '
        "takes, at any time and place.",
        '"Covered" means eligible and inside the program\'s service area and weekly hours.',
        (
            f"Residents per beat: census-tract population apportioned to beats by overlapping "
            f"area in {ws.config.projected_crs}."
            if "population" in ws.config.layers
            else "No population layer is configured ([layers.population]): per-capita figures "
            "are left out."
        ),
        "Hourly figures are averages per week over the data period; partial months at the start "
        "or end of the data are marked and not joined to the monthly line.",
        "Hot spots: Getis-Ord Gi* (esda), Queen contiguity of beats, 999 permutations, "
        "Benjamini–Hochberg false-discovery-rate correction; special beat codes left out.",
        "Incident reports undercount behavioral-health calls that produce no report.",
        "Only aggregates are shown (beats, hours, months); counts below the suppression threshold "
        'are shown as "<N" on the interactive map.',
    ]
    from geo_heart.render.tables import relabel_all

    return relabel_all(
        {
            "title": f"{ws.config.service_name}: coverage, the pilot's effect and next year — "
            f"{ws.config.name}",
            "area": ws.config.name,
            "period": period["text"],
            "generated": datetime.now(timezone.utc).strftime("%d %b %Y"),
            "summary": summary,
            "first_page": (council or {}).get("first_page", []),
            "headline": headline,
            "sections": sections,
            "map_href": map_href,
            "notes": notes,
            "source": source,
        },
        ws.config,
    )


def _figs(images: dict[str, bytes]):
    captions = {
        "beat_map": "Eligible demand by police beat",
        "hour": "Average eligible calls per week in each hour of the week",
        "month": "Eligible calls by month",
        "hotspots": "Hot and cold spots by beat (Gi*, FDR-corrected)",
        "hexagons": "Eligible calls by H3 hexagon (from call points)",
    }

    def pick(*keys):
        return [
            {"caption": captions.get(k, k), "src": _data_uri(images[k])}
            for k in keys
            if k in images
        ]

    return pick


def _with_srcs(section: dict) -> dict:
    """A section whose figures carry PNG bytes, with data-URI ``src`` (the bytes kept for PDF)."""
    e = dict(section)
    e["figures"] = [{**f, "src": f.get("src") or _data_uri(f["png"])} for f in e.get("figures", [])]
    return e


def _coverage_html(coverage: pd.DataFrame, hours_judged: bool) -> str:
    """The what-if coverage table; hour-based shares read "not judged" when the calls have no
    time of day (never 0%)."""
    from geo_heart.render.tables import display_table

    label = "scenario_label" if "scenario_label" in coverage else "scenario"
    cols = [label, "program", "eligible", "share_in_area", "share_in_hours", "share_covered"]
    t = coverage[cols + ["hours"]].copy()
    t[label] = ["What-if: " + str(v) for v in t[label]]
    shown = display_table(
        t, pct=("share_in_area", "share_in_hours", "share_covered"), ints=("eligible",)
    )
    if not hours_judged:
        for c in ("share_in_hours", "share_covered"):
            shown[display_table(t[[c]]).columns[0]] = "not judged"
    return shown.to_html(index=False, border=0)


def write_planner_outputs(
    ws: Workspace,
    data: CallData,
    out_dir,
    *,
    metric: str = "rate",
    points: bool = False,
    tiles: str | None = None,
    inline_assets: bool = True,
    basemap: str | None = None,
    min_count: int = 5,
    what_ifs=None,
    expansion_k: int | None = 3,
    extra_sections: list[dict] | None = None,
    staffing: bool = True,
    progress: bool = False,
    evaluation=None,
    forecast=None,
    pdf: bool = False,
) -> dict[str, object]:
    """Write demand tables, coverage, hot spots, the interactive map, static PNGs and the report.

    ``evaluation`` / ``forecast`` are the pilot evaluation and the demand forecast (results with
    ``to_dict()``, or :class:`geo_heart.render.council.Unavailable` saying why not) for the first
    page and the "Did the pilot work?" / "Next year" sections; ``pdf`` also writes ``report.pdf``.

    Files in ``out_dir``: ``demand_by_beat.csv``, ``demand_by_hour.csv``, ``demand_by_month.csv``,
    ``unknown_call_types.csv``, ``coverage.csv``, ``hotspots_beats.csv``, ``beats.gpkg``
    (layers ``demand_by_beat`` and ``hotspots_beats``), ``demand_map.html``,
    ``demand_by_beat.png``, ``hotspots_beats.png``, ``demand_by_hour.png``,
    ``demand_by_month.png``, ``report.html``, ``geo_heart.qgz`` (a QGIS project of the
    ``beats.gpkg`` layers, styled: :mod:`geo_heart.render.qgis_project`); with call points also ``hotspots_hexagons.csv``
    and ``demand_by_hexagon.png``; with ``expansion_k`` also ``expansion_recommended.png``.

    Returns
    -------
    dict
        Output name → path, plus ``html_bytes`` (size of the interactive map).
    """
    from tqdm import tqdm

    from geo_heart.analysis import coverage as cov_mod
    from geo_heart.analysis import demand, hotspots
    from geo_heart.errors import GeoHeartError
    from geo_heart.io.files import write_bytes_file, write_text_file
    from geo_heart.io.tables import write_table
    from geo_heart.io.vector import write_beat_layers
    from geo_heart.render import maps, static
    from geo_heart.render.styles import beat_layer_styles
    from geo_heart.render.tables import (
        data_period,
        with_partial_months,
        with_weekly_averages,
        write_demand_tables,
    )

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps = tqdm(total=7, desc="maps", unit="step", disable=not progress, leave=False)
    written: dict[str, object] = {}
    steps.set_postfix_str("tables")
    period = data_period(data)
    beat_t = demand.beat_demand(ws, data)
    hour_t = with_weekly_averages(demand.hour_of_week_demand(ws, data), period["weeks"])
    month_t = with_partial_months(demand.monthly_demand(data), period)
    written.update(write_demand_tables(ws, data, out, tables=(beat_t, hour_t, month_t)))
    wis = what_ifs if what_ifs is not None else cov_mod.resolve_what_ifs(ws, scenarios=["all"])
    cov = cov_mod.coverage_table(data, wis)
    written["coverage"] = write_table(cov, out / "coverage.csv")
    steps.update()
    steps.set_postfix_str("hot spots")
    hot = hotspots.hotspots(ws, data)
    written["hotspots_beats"] = write_table(
        hot.beats.drop(columns="geometry"), out / "hotspots_beats.csv"
    )
    if hot.hexagons is not None:
        written["hotspots_hexagons"] = write_table(
            hot.hexagons.drop(columns="geometry"), out / "hotspots_hexagons.csv"
        )
    written["beats_gpkg"] = Path(
        write_beat_layers(
            ws,
            layer_tables := {"demand_by_beat": beat_t, "hotspots_beats": hot.beats},
            out / "beats.gpkg",
            styles=(layer_styles := beat_layer_styles(ws, layer_tables, metric=metric)),
        )["path"]
    )
    from geo_heart.render.qgis_project import write_qgis_project

    written["qgis_project"] = write_qgis_project(ws, out, styles=layer_styles)
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
        basemap=basemap,
        min_count=min_count,
        title=f"{ws.config.service_name}-eligible demand, {ws.config.name}",
    )
    text = maps.html_from_map(m, inline_assets=inline_assets)
    map_path = out / "demand_map.html"
    write_text_file(map_path, text)
    written["map"] = map_path
    written["html_bytes"] = map_path.stat().st_size
    steps.update()
    steps.set_postfix_str("static maps")
    src = Path(str(data.summary()["source"])).name
    figures = {
        "beat_map": ("demand_by_beat.png", static.static_beat_map(ws, beat_t, metric=metric)),
        "hotspots": ("hotspots_beats.png", static.static_hotspot_map(ws, hot)),
    }
    # empty charts are left out: no hour chart when no call has a time of day
    if data.hours_judged and float(hour_t["eligible_any"].sum()) > 0:
        figures["hour"] = (
            "demand_by_hour.png",
            static.hour_of_week_figure(
                hour_t,
                programs=data.programs,
                weeks=period["weeks"],
                period=period["text"],
                source=src,
            ),
        )
    if len(month_t) and float(month_t["eligible_any"].sum()) > 0:
        figures["month"] = (
            "demand_by_month.png",
            static.monthly_figure(
                month_t, programs=data.programs, period=period["text"], source=src
            ),
        )
    if hot.hexagons is not None:
        figures["hexagons"] = ("demand_by_hexagon.png", static.static_hex_map(ws, hot))
    images: dict[str, bytes] = {}
    for key, (name, fig) in figures.items():
        png = png_bytes_from_figure(fig)
        write_bytes_file(out / name, png)
        written[name.removesuffix(".png") + "_png"] = out / name
        images[key] = png
    steps.update()
    steps.set_postfix_str("expansion")
    expansion = None
    if expansion_k:
        try:
            expansion = _expansion_summary(ws, data, expansion_k)
        except GeoHeartError as exc:  # e.g. no candidates: the report says nothing about it
            log.warning("no expansion section: %s", exc)
        if expansion is not None:
            write_bytes_file(out / "expansion_recommended.png", expansion["png"])
            written["expansion_recommended_png"] = out / "expansion_recommended.png"
    steps.update()
    # what the sections compute once and the first page shows again: staffing plans, equity
    plans: dict = {}
    if staffing:
        steps.set_postfix_str("staffing")
        from geo_heart.staffing.workflow import report_section

        try:
            section = report_section(ws, data, plans=plans)
        except GeoHeartError as exc:
            log.warning("no staffing section: %s", exc)
            section = None
        if section is not None:
            extra_sections = [*(extra_sections or []), section]
    from geo_heart.analysis.equity import MissingLayerError
    from geo_heart.render.equity import report_section as equity_section
    from geo_heart.render.equity import results_by_rule_set

    today_equity = None
    try:
        equity = results_by_rule_set(ws, data)
        today_equity = equity.get(ws.config.rule_set().name)
        extra_sections = [*(extra_sections or []), equity_section(ws, data, results=equity)]
    except MissingLayerError as exc:
        log.warning("no equity section: %s", exc)
    steps.set_postfix_str("report")
    from geo_heart.render.council import council_pages

    context = planner_report_context(
        ws,
        data,
        council=council_pages(
            ws,
            data,
            evaluation=evaluation,
            forecast=forecast,
            equity=today_equity,
            planned=plans,
        ),
        beat_table=beat_t,
        coverage=cov,
        images=images,
        map_href=map_path.name,
        hot=hot,
        expansion=expansion,
        extra_sections=extra_sections,
        period=period,
    )
    write_text_file(out / "report.html", render_report(context))
    written["report"] = out / "report.html"
    if pdf:
        from geo_heart.render.pdf import report_pdf

        written["report_pdf"] = report_pdf(context, out / "report.pdf")
    steps.update(2)
    steps.close()
    return written
