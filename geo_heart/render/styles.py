"""QGIS styles for the beat layers, with the same classes and colours as the HTML maps.

:func:`beat_layer_styles` gives a QGIS style (QML text) per beat layer:

* ``demand_by_beat`` — graduated colours on the map metric's column, with the very breaks and
  colours of the interactive and static maps (:func:`geo_heart.render.maps.metric_classes`);
* ``hotspots_beats`` — categories of the Gi* class with the maps' :data:`HOT_COLORS`.

:func:`geo_heart.io.vector.write_layer_styles` stores them in a GeoPackage's ``layer_styles`` table
(QGIS applies the default style when the layer is opened); :func:`write_qml` writes a ``.qml``
beside a file of another format (QGIS loads ``<name>.qml`` beside ``<name>.shp``).
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

#: the outline of every beat, as on the maps
OUTLINE = "#555555"


def _rgba(hex_color: str, alpha: float = 1.0) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _fill_symbol(name: str, color: str, *, opacity: float) -> str:
    opts = {
        "color": _rgba(color),
        "outline_color": _rgba(OUTLINE),
        "outline_width": "0.26",
        "outline_width_unit": "MM",
        "style": "solid",
        "outline_style": "solid",
    }
    body = "".join(f'<Option name="{k}" type="QString" value="{v}"/>' for k, v in opts.items())
    props = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in opts.items())
    return (
        f'<symbol type="fill" name="{name}" alpha="{opacity}" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" pass="0" locked="0">'
        f'<Option type="Map">{body}</Option>{props}</layer></symbol>'
    )


def _qml(renderer: str) -> str:
    return f'<qgis version="3.28" styleCategories="Symbology">{renderer}</qgis>\n'


def qml_graduated(
    attr: str,
    breaks,
    colors: list[str],
    *,
    lowest: float,
    decimals: int = 1,
    opacity: float = 0.8,
) -> str:
    """A graduated-colour polygon style: class ``i`` is ``(breaks[i-1], breaks[i]]``, the first
    from ``lowest``; labels as in the maps' legends (``≤ b``, ``a – b``)."""
    ranges, symbols = [], []
    lo = float(lowest)
    for i, (b, c) in enumerate(zip(breaks, colors, strict=True)):
        label = f"≤ {b:,.{decimals}f}" if i == 0 else f"{lo:,.{decimals}f} – {b:,.{decimals}f}"
        ranges.append(
            f'<range lower="{lo!r}" upper="{float(b)!r}" symbol="{i}" '
            f'label={quoteattr(label)} render="true"/>'
        )
        symbols.append(_fill_symbol(str(i), c, opacity=opacity))
        lo = float(b)
    return _qml(
        f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(attr)} '
        'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<ranges>{''.join(ranges)}</ranges><symbols>{''.join(symbols)}</symbols>"
        "</renderer-v2>"
    )


def qml_categorized(attr: str, colors: dict[str, str], *, opacity: float = 0.8) -> str:
    """A categorised polygon style: one colour per value of ``attr``."""
    cats = "".join(
        f'<category value={quoteattr(v)} symbol="{i}" label={quoteattr(v)} render="true"/>'
        for i, v in enumerate(colors)
    )
    symbols = "".join(
        _fill_symbol(str(i), c, opacity=opacity) for i, c in enumerate(colors.values())
    )
    return _qml(
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0" '
        f'enableorderby="0" forceraster="0"><categories>{cats}</categories>'
        f"<symbols>{symbols}</symbols></renderer-v2>"
    )


def beat_layer_styles(ws, tables: dict[str, pd.DataFrame], *, metric: str = "rate") -> dict:
    """QML per beat layer name, for the layers the maps draw (others get none)."""
    from geo_heart.render.maps import HOT_COLORS, metric_classes

    out: dict[str, str] = {}
    table = tables.get("demand_by_beat")
    if table is not None:
        if metric == "rate" and "eligible_per_1000" not in table.columns:
            metric = "count"  # no population layer: the table has counts, not rates
        col, _caption, breaks, colors, nodata = metric_classes(ws, table, metric)
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
        ok = values[~nodata & np.isfinite(values)]
        if len(ok):
            out["demand_by_beat"] = qml_graduated(
                col, breaks, colors, lowest=float(min(ok.min(), breaks[0]))
            )
    if "hotspots_beats" in tables:
        out["hotspots_beats"] = qml_categorized("hotspot", dict(HOT_COLORS))
    return out


def write_qml(layer_file: str | Path, qml: str) -> Path:
    """Write ``qml`` as ``<layer file stem>.qml`` beside a non-GeoPackage layer file."""
    p = Path(layer_file)
    target = p.with_suffix(".qml")
    from geo_heart.io.files import write_text_file

    write_text_file(target, qml)
    return target
