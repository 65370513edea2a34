"""Maps of eligible demand: an interactive folium map and static matplotlib figures.

Builders return objects and never save: :func:`demand_map` returns a ``folium.Map``,
:func:`static_beat_map` and friends return matplotlib ``Figure`` objects. The CLI writes them
(:func:`html_from_map` renders a map to one HTML string, optionally with Leaflet inlined so the file
works without network).

Privacy: layers aggregate by default (beats, H3 hexagons, a heat layer weighted by hexagon totals).
Call points are drawn only with ``points=True`` (``--points``) and only when the calls carry
coordinates.

Offline: the map has no tile layer unless ``tiles`` is given; the beat outlines are the base. With
``inline_assets=True`` :func:`html_from_map` sets folium's asset lists to local copies (Leaflet from
``xstatic-leaflet``, folium's bundled heat plugin; :mod:`geo_heart.render.assets`), so the HTML is
self-contained.
"""

from __future__ import annotations

import html
import logging

import numpy as np
import pandas as pd

from geo_heart.errors import InputError
from geo_heart.geo.workspace import Workspace
from geo_heart.render.tables import relabel

log = logging.getLogger(__name__)

METRICS = {
    "rate": ("eligible_per_1000", "Eligible calls per 1,000 residents"),
    "count": ("eligible_any", "Eligible calls"),
    "density": ("eligible_per_sq_mi", "Eligible calls per sq mi"),
}
HOT_COLORS = {
    "hot 99%": "#b2182b",
    "hot 95%": "#ef8a62",
    "hot 90%": "#fddbc7",
    "not significant": "#f7f7f7",
    "cold 90%": "#d1e5f0",
    "cold 95%": "#67a9cf",
    "cold 99%": "#2166ac",
}
PILOT_COLOR = "#1b1b1b"
NO_DATA_COLOR = "#bdbdbd"
SIMPLIFY_FT = 40.0
N_CLASSES = 5
#: counts below this are shown as "<N" on sensitive layers (``--min-count``)
MIN_COUNT = 5


# ---------------------------------------------------------------------------- helpers
def metric_column(metric: str) -> tuple[str, str]:
    """Column of the per-beat table and its caption for ``rate``, ``count`` or ``density``."""
    if metric not in METRICS:
        raise InputError(f"map metric {metric!r}: use one of {sorted(METRICS)}")
    return METRICS[metric]


def class_breaks(values: np.ndarray, *, k: int = N_CLASSES) -> np.ndarray:
    """Upper bounds of ``k`` quantile classes, for map colours and legends.

    The bins of ``mapclassify.Quantiles(values, k=k)``: the scores at the ``100/k`` percentiles
    with fractional interpolation between order statistics (as ``scipy.stats.scoreatpercentile``
    computes them), ties collapsed, so many ties give fewer classes. Computed here rather than
    through mapclassify, whose import (scikit-learn, scipy.stats, and an eager numba compile when
    numba is installed) took 2.5–4 s of every map run.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.array([0.0])
    uniq = np.unique(v)
    if len(uniq) <= k:
        return uniq
    ordered = np.sort(v)
    step = 100.0 / k
    pcts = np.arange(step, 100 + step, step)
    pcts[-1] = min(pcts[-1], 100.0)
    scores = []
    for pct in pcts:
        idx = pct / 100.0 * (len(ordered) - 1)
        i = int(idx)
        if i == idx:
            scores.append(ordered[i])
        else:  # weights (i + 1 - idx, idx - i) on the two neighbouring order statistics
            w_lo, w_hi = (i + 1) - idx, idx - i
            scores.append((ordered[i] * w_lo + ordered[i + 1] * w_hi) / (w_lo + w_hi))
    return np.unique(np.array(scores, dtype=float))


def class_colors(n: int, cmap: str = "YlOrRd") -> list[str]:
    """``n`` hex colours from a matplotlib colour map."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cm = colormaps[cmap]
    return [to_hex(cm(x)) for x in np.linspace(0.15, 0.95, max(n, 1))]


def color_for(value: float, breaks: np.ndarray, colors: list[str]) -> str:
    """Colour of the class holding ``value``; the "no data" grey for missing values."""
    if value is None or not np.isfinite(value):
        return NO_DATA_COLOR
    i = int(np.searchsorted(breaks, value, side="left"))
    return colors[min(i, len(colors) - 1)]


def _display_geoms(gdf, ws: Workspace, *, tolerance_ft: float = SIMPLIFY_FT):
    """Simplify in the projected CRS (keeps the HTML small), back to WGS84, 5-decimal grid
    (cached with the area's geometry: :func:`geo_heart.geo.outlines.display_geometries`)."""
    from geo_heart.geo.outlines import display_geometries

    geoms = display_geometries(
        ws,
        gdf.to_crs("EPSG:4326").geometry.values,
        tolerance=tolerance_ft,
        crs=ws.config.projected_crs,
    )
    return gdf.to_crs("EPSG:4326").set_geometry(geoms)


def _beats_with(ws: Workspace, beat_table: pd.DataFrame):
    gdf = ws.beat_index.to_geodataframe()
    cols = [c for c in beat_table.columns if c != "district"]
    return gdf.merge(beat_table[cols], on="beat", how="left")


def no_data_mask(ws: Workspace, beats, col: str) -> np.ndarray:
    """Beats drawn as "no data": special codes (e.g. 999, 299), missing values, and for a
    per-resident rate, beats without residents."""
    special = set(getattr(ws.config.beats, "special", {}) or {})
    v = pd.to_numeric(beats[col], errors="coerce").to_numpy(dtype=float)
    mask = beats["beat"].astype(str).isin(special).to_numpy() | ~np.isfinite(v)
    if col == "eligible_per_1000" and "population" in beats.columns:
        pop = pd.to_numeric(beats["population"], errors="coerce").fillna(0).to_numpy(dtype=float)
        mask |= pop <= 0
    return mask


def metric_classes(ws: Workspace, beat_table: pd.DataFrame, metric: str = "rate"):
    """The beat choropleth's classes, shared by the HTML map, the static map and the QGIS styles.

    Returns
    -------
    tuple
        ``(column, caption, breaks, colours, no_data_mask)``: quantile upper bounds of the
        metric over the beats with data (:func:`class_breaks`), one colour per class
        (:func:`class_colors`), and the beats drawn as "no data" (:func:`no_data_mask`).
    """
    col, caption = metric_column(metric)
    nodata = no_data_mask(ws, beat_table, col)
    values = pd.to_numeric(beat_table[col], errors="coerce").to_numpy(dtype=float).copy()
    values[nodata] = np.nan
    breaks = class_breaks(values)
    return col, caption, breaks, class_colors(len(breaks)), nodata


def suppressed(value, min_count: int = MIN_COUNT) -> str:
    """A count as text for a sensitive layer: whole number, or ``"<min_count"`` below it."""
    if value is None or not np.isfinite(float(value)):
        return ""
    v = float(value)
    if 0 < v < min_count:
        return f"<{min_count}"
    return f"{v:,.0f}"


def _fmt_num(v, decimals: int = 1) -> str:
    return "" if v is None or not np.isfinite(float(v)) else f"{float(v):,.{decimals}f}"


def _fmt_pct(v) -> str:
    return "" if v is None or not np.isfinite(float(v)) else f"{100 * float(v):.1f}%"


def road_layer(ws: Workspace, *, tolerance_ft: float = 30.0):
    """The area's road lines ([layers.roads]) simplified for display (EPSG:4326), or ``None``."""
    import geopandas as gpd
    import shapely

    from geo_heart.errors import ConfigError, DataSourceError

    try:
        path = ws.layer_path("roads")
    except ConfigError:
        return None
    if not path.exists():
        raise DataSourceError(f"road layer {str(path)!r} ([layers.roads]) does not exist")
    roads = gpd.read_file(path, columns=[])
    proj = roads.to_crs(ws.config.projected_crs)
    simple = shapely.simplify(proj.geometry.values, tolerance_ft)
    out = proj.set_geometry(list(simple)).to_crs("EPSG:4326")
    out = out.set_geometry(list(shapely.set_precision(out.geometry.values, 1e-5)))
    return out[~out.geometry.is_empty]


def add_basemap(m, ws: Workspace, basemap: str | None):
    """Add an offline base map layer: ``"roads"`` draws the area's road layer; ``None``/``"none"``
    adds nothing (the beat outlines are the base)."""
    import folium

    if basemap in (None, "none"):
        return m
    if basemap != "roads":
        raise InputError(f"basemap {basemap!r}: use 'none' or 'roads'")
    roads = road_layer(ws)
    if roads is None:
        raise InputError("--basemap roads needs a [layers.roads] table in the area file")
    folium.GeoJson(
        roads[["geometry"]],
        name="Roads (offline base map)",
        style_function=lambda f: {"color": "#9a9a9a", "weight": 1.2, "opacity": 0.9},
        interactive=False,
    ).add_to(m)
    return m


def legend_html(sections: list[tuple[object | None, str]], *, title: str | None = None) -> str:
    """A fixed legend whose sections follow the layers shown.

    ``sections`` are (folium layer or ``None`` for always shown, inner HTML). A section tied to
    a layer is visible only while that layer is on the map (script on overlayadd/overlayremove).
    """
    parts = []
    for layer, inner in sections:
        attr = f' data-layer="{layer.get_name()}"' if layer is not None else ""
        parts.append(f'<div class="gh-sec"{attr}>{inner}</div>')
    head = f"<div style='font-size:14px'><b>{html.escape(title)}</b></div>" if title else ""
    return f"""
<style>
.gh-legend {{position: fixed; bottom: 24px; left: 12px; z-index: 9999; background: white;
  padding: 8px 10px; border: 1px solid #999; border-radius: 4px; font: 12px sans-serif;
  max-height: 70vh; overflow-y: auto;}}
.gh-sw {{display:inline-block; width:14px; height:12px; margin-right:6px; border:1px solid #777;
  vertical-align: middle;}}
.gh-sec + .gh-sec {{margin-top: 5px}}
</style>
<div class="gh-legend" id="geo-heart-legend">{head}{"".join(parts)}</div>"""


def legend_script(m) -> str:
    """Script that shows a legend section only while its layer is on the map."""
    name = m.get_name()
    return f"""
<script>
window.addEventListener("load", function () {{
  var map = window["{name}"];
  if (!map) return;
  function sync() {{
    document.querySelectorAll("#geo-heart-legend .gh-sec[data-layer]").forEach(function (el) {{
      var layer = window[el.getAttribute("data-layer")];
      el.style.display = layer && map.hasLayer(layer) ? "" : "none";
    }});
  }}
  map.on("overlayadd overlayremove layeradd layerremove", sync);
  sync();
}});
</script>"""


def _class_rows(breaks, colors, *, decimals: int = 1, no_data: str | None = None) -> str:
    rows = []
    lo = None
    for b, c in zip(breaks, colors, strict=True):
        label = f"≤ {b:,.{decimals}f}" if lo is None else f"{lo:,.{decimals}f} – {b:,.{decimals}f}"
        rows.append(f'<div><span class="gh-sw" style="background:{c}"></span>{label}</div>')
        lo = b
    if no_data:
        rows.append(
            f'<div><span class="gh-sw" style="background:{NO_DATA_COLOR}"></span>'
            f"{html.escape(no_data)}</div>"
        )
    return "".join(rows)


def pilot_outline(ws: Workspace):
    """The default service area dissolved to one outline (GeoDataFrame, EPSG:4326)."""
    import geopandas as gpd

    from geo_heart.geo.outlines import beats_outline

    sa = ws.config.service_area
    geom = beats_outline(ws, [b for b in ws.beat_index.beats if sa.contains(b)])
    return gpd.GeoDataFrame({"name": [sa.label]}, geometry=[geom], crs="EPSG:4326")


def _json_safe(gdf):
    out = gdf.copy()
    for c in out.columns:
        if c == out.geometry.name:
            continue
        if out[c].dtype == bool:
            out[c] = out[c].map({True: "yes", False: "no"})
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(3).astype(object).where(out[c].notna(), None)
    return out


# ---------------------------------------------------------------------------- interactive
def demand_map(
    ws: Workspace,
    beat_table: pd.DataFrame,
    *,
    metric: str = "rate",
    hot=None,
    data=None,
    points: bool = False,
    tiles: str | None = None,
    basemap: str | None = None,
    min_count: int = MIN_COUNT,
    title: str | None = None,
):
    """Interactive map of eligible demand.

    Parameters
    ----------
    beat_table
        :func:`geo_heart.analysis.demand.beat_demand` output.
    metric
        ``rate`` (per 1,000 residents), ``count`` or ``density`` (per sq mi) for the choropleth.
        Special beat codes and (for ``rate``) beats without residents are drawn as "no data".
    hot
        :class:`geo_heart.analysis.hotspots.HotSpots` for the hot-spot layers; the hexagon and
        heat layers only when it holds hexagons (computed from call points).
    data
        :class:`geo_heart.analysis.calls.CallData`; needed only for ``points=True``.
    points
        Add a layer of eligible call points (privacy: explicit opt-in; needs coordinates).
    tiles
        A folium tile name or URL template for an optional web base map (needs network).
    basemap
        ``"roads"`` for an offline base map from the area's road layer; default none.
    min_count
        Counts of eligible calls below this are shown as ``"<min_count"`` in tooltips of the
        beat and hexagon layers (small-count suppression).

    Returns
    -------
    folium.Map
        Layers: beat choropleth, pilot outline, hexagons, heat, hot spots (beats and hexagons),
        optional points; a legend that follows the visible layers, and a layer control.
    """
    import folium

    col, caption = metric_column(metric)
    beats = _display_geoms(_beats_with(ws, beat_table), ws)
    minx, miny, maxx, maxy = beats.total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=11,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
    )
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    if tiles:
        folium.TileLayer(tiles, name="Base map (web tiles)", control=True).add_to(m)
    # offline base: a pale fill of every beat, always present
    folium.GeoJson(
        _json_safe(beats[["beat", "geometry"]]),
        name=relabel("Beat outlines (offline base)", ws.config.beats.labels),
        style_function=lambda f: {
            "color": "#888888",
            "weight": 0.6,
            "fillColor": "#f2f2f2",
            "fillOpacity": 1.0,
        },
        control=False,
        interactive=False,
    ).add_to(m)
    add_basemap(m, ws, basemap)

    _col, _caption, breaks, colors, nodata = metric_classes(ws, beats, metric)
    values = beats[col].to_numpy(dtype=float).copy()
    values[nodata] = np.nan
    beats["_color"] = [color_for(v, breaks, colors) for v in values]
    prog_cols = [
        c
        for c in beat_table.columns
        if c.startswith("eligible_")
        and c not in ("eligible_any", "eligible_per_1000", "eligible_per_sq_mi")
    ]
    sa_col = f"in_{ws.config.default_service_area}"
    special = getattr(ws.config.beats, "special", {}) or {}
    tip = pd.DataFrame(index=beats.index)
    tip["beat"] = [
        f"{b} ({special[b].label})" if b in special else b for b in beats["beat"].astype(str)
    ]
    if "district" in beats:
        tip["district"] = beats["district"].fillna("").astype(str)
    if sa_col in beats:
        tip[sa_col] = beats[sa_col].map({True: "yes", False: "no"}).fillna("")
    if "total_calls" in beats:
        tip["total_calls"] = beats["total_calls"].map(lambda v: _fmt_num(v, 0))
    for c in ["eligible_any", *prog_cols]:
        if c in beats:
            tip[c] = beats[c].map(lambda v: suppressed(v, min_count))
    if "population" in beats:
        tip["population"] = beats["population"].map(lambda v: _fmt_num(v, 0))
    for c in ("eligible_per_1000", "eligible_per_sq_mi"):
        if c in beats:
            tip[c] = [
                "no data" if nd else _fmt_num(v, 1)
                for v, nd in zip(
                    beats[c], nodata if c == col else np.zeros(len(beats), bool), strict=True
                )
            ]
    if "share_of_city_eligible" in beats:
        tip["share_of_city_eligible"] = beats["share_of_city_eligible"].map(_fmt_pct)
    fields = list(tip.columns)
    aliases = {
        "beat": ws.config.beats.unit_name,
        "district": ws.config.beats.group_name,
        sa_col: f"in {ws.config.service_area.label}",
        "total_calls": "all calls",
        "eligible_any": "eligible calls (any program)",
        "population": "residents (apportioned)",
        "eligible_per_1000": "eligible per 1,000 residents",
        "eligible_per_sq_mi": "eligible per sq mi",
        "share_of_city_eligible": "share of city's eligible calls",
    }
    import geopandas as gpd

    tip["_color"] = beats["_color"]
    tip_gdf = gpd.GeoDataFrame(tip, geometry=beats.geometry.values, crs="EPSG:4326")
    choropleth = folium.GeoJson(
        tip_gdf,
        name=f"Eligible demand by {ws.config.beats.unit_name} ({caption.lower()})",
        style_function=lambda f: {
            "color": "#555555",
            "weight": 0.8,
            "fillColor": f["properties"]["_color"],
            "fillOpacity": 0.8,
        },
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=fields, aliases=[aliases.get(f, f.replace("_", " ")) for f in fields]
        ),
    ).add_to(m)
    pilot_layer = folium.GeoJson(
        pilot_outline(ws),
        name=f"{ws.config.service_area.label} (outline)",
        style_function=lambda f: {
            "color": PILOT_COLOR,
            "weight": 3.5,
            "fill": False,
            "dashArray": "6 4",
        },
        tooltip=ws.config.service_area.label,
    ).add_to(m)
    no_data_text = "no data (special code" + (
        " or no residents)" if col == "eligible_per_1000" else ")"
    )
    sections: list[tuple[object | None, str]] = [
        (
            choropleth,
            f"<div><b>{html.escape(caption)}</b> (quantiles)</div>"
            + _class_rows(breaks, colors, no_data=no_data_text if nodata.any() else None),
        ),
        (
            pilot_layer,
            f'<div><span class="gh-sw" style="background:none;border:2px dashed {PILOT_COLOR}">'
            f"</span>{html.escape(ws.config.service_area.label)}</div>",
        ),
    ]

    if hot is not None and hot.hexagons is not None:
        hexes = hot.hexagons.copy()
        hv = hexes["value"].to_numpy(dtype=float)
        hex_breaks = class_breaks(hv[hv > 0])
        hcolors = class_colors(len(hex_breaks), "PuRd")
        hexes["_color"] = [color_for(v, hex_breaks, hcolors) if v > 0 else "#ffffff" for v in hv]
        hexes["calls"] = [suppressed(v, min_count) for v in hv]
        hexes["p"] = hexes.get("p_fdr", hexes["p_sim"]).map(lambda v: f"{v:.3f}")
        hexes["z"] = hexes["gi_z"].map(lambda v: f"{v:+.2f}")
        hex_layer = folium.GeoJson(
            hexes[["h3", "calls", "hotspot", "z", "p", "_color", "geometry"]],
            name="Eligible calls by H3 hexagon (call points)",
            style_function=lambda f: {
                "color": "#999999",
                "weight": 0.3,
                "fillColor": f["properties"]["_color"],
                "fillOpacity": 0.75,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["h3", "calls", "hotspot", "z", "p"],
                aliases=["hexagon", "eligible calls", "Gi* class", "Gi* z", "FDR-adjusted p"],
            ),
            show=False,
        ).add_to(m)
        sections.append(
            (
                hex_layer,
                "<div><b>Eligible calls per hexagon</b></div>"
                + _class_rows(hex_breaks, hcolors, decimals=0)
                + f"<div class='note'>counts below {min_count} shown as &lt;{min_count}</div>",
            )
        )
        from folium.plugins import HeatMap  # only with hexagons (~0.1 s of imports)

        cent = hexes.to_crs(ws.config.projected_crs).geometry.centroid.to_crs("EPSG:4326")
        heat = [
            [round(p.y, 5), round(p.x, 5), round(float(v), 2)]
            for p, v in zip(cent, hv, strict=True)
            if v >= min_count
        ]
        HeatMap(
            heat, name="Heat (hexagon totals)", radius=22, blur=18, min_opacity=0.3, show=False
        ).add_to(m)
        sig = hexes[hexes["hotspot"] != "not significant"]
    if hot is not None and hot.hexagons is not None and len(sig):
        hex_hot = folium.GeoJson(
            sig[["h3", "calls", "hotspot", "z", "p", "geometry"]],
            name="Hot and cold spots (hexagons, Gi*, FDR)",
            style_function=lambda f: {
                "color": HOT_COLORS.get(f["properties"]["hotspot"], "#999999"),
                "weight": 1,
                "fillColor": HOT_COLORS.get(f["properties"]["hotspot"], "#999999"),
                "fillOpacity": 0.6,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["h3", "hotspot", "calls", "z", "p"],
                aliases=["hexagon", "Gi* class", "eligible calls", "Gi* z", "FDR-adjusted p"],
            ),
            show=False,
        ).add_to(m)
        sections.append((hex_hot, _hot_rows("Gi* hot/cold spots (hexagons)")))
    if hot is not None and (hot.beats["hotspot"] != "not significant").any():
        hb = _display_geoms(hot.beats, ws)
        hb = hb[hb["hotspot"] != "not significant"].copy()
        hb["calls"] = hb["value"].map(lambda v: suppressed(v, min_count))
        hb["p"] = hb.get("p_fdr", hb["p_sim"]).map(lambda v: f"{v:.3f}")
        hb["z"] = hb["gi_z"].map(lambda v: f"{v:+.2f}")
        beat_hot = folium.GeoJson(
            hb[["beat", "hotspot", "calls", "z", "p", "geometry"]],
            name=f"Hot and cold spots ({ws.config.beats.unit_plural}, Gi*, FDR)",
            style_function=lambda f: {
                "color": HOT_COLORS.get(f["properties"]["hotspot"], "#999999"),
                "weight": 4,
                "fill": False,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["beat", "hotspot", "calls", "z", "p"],
                aliases=[
                    ws.config.beats.unit_name,
                    "Gi* class",
                    "eligible calls",
                    "Gi* z",
                    "FDR-adjusted p",
                ],
            ),
        ).add_to(m)
        sections.append(
            (beat_hot, _hot_rows(f"Gi* hot/cold spots ({ws.config.beats.unit_plural}, outline)"))
        )
    if points:
        if data is None or not data.has_points:
            raise InputError(
                "--points needs calls with coordinates (lon/lat columns, or --geocode to geocode "
                "the address column)"
            )
        import geopandas as gpd

        f = data.frame
        elig = f[[f"{p}_type" for p in data.programs]].any(axis=1) & f["lon"].notna()
        pts = gpd.GeoDataFrame(
            {"call_type": f.loc[elig, "label"].astype(str).to_numpy()},
            geometry=gpd.points_from_xy(f.loc[elig, "lon"].round(5), f.loc[elig, "lat"].round(5)),
            crs="EPSG:4326",
        )
        pts_layer = folium.GeoJson(
            pts,
            name="Eligible calls (points — sensitive)",
            marker=folium.CircleMarker(
                radius=2, weight=0, fill=True, fill_opacity=0.6, fill_color="#5e3c99"
            ),
            tooltip=folium.GeoJsonTooltip(fields=["call_type"], aliases=["call type"]),
            show=False,
        ).add_to(m)
        sections.append(
            (
                pts_layer,
                '<div><span class="gh-sw" style="background:#5e3c99;border-radius:7px"></span>'
                "eligible call (point)</div>",
            )
        )
    m.get_root().html.add_child(folium.Element(legend_html(sections, title=title)))
    m.get_root().html.add_child(folium.Element(legend_script(m)))
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _hot_rows(caption: str) -> str:
    return f"<div><b>{html.escape(caption)}</b></div>" + "".join(
        f'<div><span class="gh-sw" style="background:{c}"></span>{html.escape(k)}</div>'
        for k, c in HOT_COLORS.items()
        if k != "not significant"
    )


def html_from_map(m, *, inline_assets: bool = True) -> str:
    """Render a folium map to one HTML string.

    With ``inline_assets`` (the default) every script and stylesheet is a ``data:`` URL of a file
    from a pip dependency (:func:`geo_heart.render.assets.make_offline`), so the page works
    without network. ``inline_assets=False`` keeps folium's CDN links (smaller, needs network).
    """
    if inline_assets:
        from geo_heart.render.assets import make_offline

        make_offline(m)
    return m.get_root().render()


# static figures live in geo_heart.render.static; re-exported here (lazily) for existing callers
_STATIC = (
    "add_north_arrow",
    "add_scale_bar",
    "hour_of_week_figure",
    "monthly_figure",
    "static_beat_map",
    "static_hex_map",
    "static_hotspot_map",
)


def __getattr__(name: str):
    if name in _STATIC:
        from geo_heart.render import static

        return getattr(static, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
