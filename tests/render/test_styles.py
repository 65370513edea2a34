"""QGIS styles in beats.gpkg carry the maps' classes and colours (toy area, fast)."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import pandas as pd


def _table(toy):
    beats = toy.beat_index.beats
    return pd.DataFrame(
        {"beat": beats, "eligible_any": [float(10 * (i + 1)) for i in range(len(beats))]}
    )


def test_demand_style_has_the_map_breaks_and_colours(toy, tmp_path):
    from geo_heart.io.vector import write_beat_layers
    from geo_heart.render.maps import metric_classes
    from geo_heart.render.styles import beat_layer_styles

    table = _table(toy)
    hot = table.assign(hotspot=["hot 95%", "not significant", "cold 90%"] + [
        "not significant"] * (len(table) - 3))  # fmt: skip
    styles = beat_layer_styles(
        toy, {"demand_by_beat": table, "hotspots_beats": hot}, metric="count"
    )
    col, _cap, breaks, colors, _nd = metric_classes(toy, table, "count")
    root = ET.fromstring(styles["demand_by_beat"])
    r = root.find("renderer-v2")
    assert r.get("type") == "graduatedSymbol" and r.get("attr") == col == "eligible_any"
    uppers = [float(x.get("upper")) for x in r.iter("range")]
    assert uppers == [float(b) for b in breaks]
    fills = [
        o.get("value")
        for s in r.iter("symbol")
        for o in s.iter("Option")
        if o.get("name") == "color"
    ]
    want = [",".join(str(int(c[i : i + 2], 16)) for i in (1, 3, 5)) + ",255" for c in colors]
    assert fills == want
    out = write_beat_layers(
        toy, {"demand_by_beat": table, "hotspots_beats": hot}, tmp_path / "beats.gpkg",
        styles=styles,
    )  # fmt: skip
    assert sorted(out["styled"]) == ["demand_by_beat", "hotspots_beats"]
    con = sqlite3.connect(tmp_path / "beats.gpkg")
    rows = con.execute(
        "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles"
    ).fetchall()
    con.close()
    assert {(t, g, d) for t, g, d, _q in rows} == {
        ("demand_by_beat", "geom", 1),
        ("hotspots_beats", "geom", 1),
    }
    # written again (a second command on the same folder): still one default style per layer
    write_beat_layers(toy, {"demand_by_beat": table}, tmp_path / "beats.gpkg", styles=styles)
    con = sqlite3.connect(tmp_path / "beats.gpkg")
    n = con.execute("SELECT count(*) FROM layer_styles WHERE useAsDefault = 1").fetchone()[0]
    con.close()
    assert n == 2
    import pyogrio

    assert {"demand_by_beat", "hotspots_beats"} <= set(
        pyogrio.list_layers(tmp_path / "beats.gpkg")[:, 0]
    )


def test_hotspot_style_uses_the_map_colours():
    from geo_heart.render.maps import HOT_COLORS
    from geo_heart.render.styles import qml_categorized

    root = ET.fromstring(qml_categorized("hotspot", dict(HOT_COLORS)))
    cats = [c.get("value") for c in root.iter("category")]
    assert cats == list(HOT_COLORS)
