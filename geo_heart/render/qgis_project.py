"""A QGIS project (``.qgz``) beside the map outputs, so a planner opens one file in QGIS.

The project is written without QGIS: a ``.qgz`` is a zip holding one ``.qgs`` XML file. Its
layers are the GeoPackage layers written beside it (``beats.gpkg``), referenced by **relative**
paths, so the folder can be moved or shared whole:

* ``service_areas`` — one outline per service area of the area file, the one in force today drawn
  bold (the others dashed);
* ``beats`` — every beat's outline, labelled with its code;
* ``demand_by_beat`` — the map metric in the very classes and colours of the HTML and PNG maps
  (:func:`geo_heart.render.styles.beat_layer_styles`);
* ``hotspots_beats`` — the Gi* classes (hidden at first).

The project's CRS is the area's projected CRS (``[area] projected_crs``), and the view opens on the
beats.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from geo_heart.render.styles import OUTLINE, _rgba

#: layer name → title in QGIS's layer panel, in panel order (top first)
TITLES = {
    "service_areas": "Service areas",
    "beats": "Beats",
    "demand_by_beat": "Eligible demand by beat",
    "hotspots_beats": "Hot spots (Gi*)",
}
#: layers shown when the project opens
VISIBLE = ("service_areas", "beats", "demand_by_beat")


def _line_fill(name: str, color: str, width: float, *, dash: bool = False) -> str:
    """A fill symbol with no fill: only an outline."""
    opts = {
        "color": "0,0,0,0",
        "style": "no",
        "outline_color": _rgba(color),
        "outline_width": f"{width}",
        "outline_width_unit": "MM",
        "outline_style": "dash" if dash else "solid",
    }
    body = "".join(f'<Option name="{k}" type="QString" value="{v}"/>' for k, v in opts.items())
    props = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in opts.items())
    return (
        f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" pass="0" locked="0">'
        f'<Option type="Map">{body}</Option>{props}</layer></symbol>'
    )


def service_area_renderer(today_color: str = "#00605f") -> str:
    """Rule-based: the service area in force today bold, the others dashed grey."""
    return (
        '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
        '<rules key="root">'
        '<rule key="today" symbol="0" filter="&quot;in_force_today&quot;" '
        'label="Service area in force today"/>'
        '<rule key="other" symbol="1" filter="ELSE" label="Other service areas"/>'
        "</rules><symbols>"
        f"{_line_fill('0', today_color, 1.2)}{_line_fill('1', '#3d3d3d', 0.7, dash=True)}"
        "</symbols></renderer-v2>"
    )


def beats_renderer() -> str:
    """Thin outlines of every beat."""
    return (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{_line_fill('0', OUTLINE, 0.2)}</symbols></renderer-v2>"
    )


def beat_labels(field: str = "beat") -> str:
    """Simple labels of the beat code at each beat's inside point."""
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(field)} fontSize="7" fontSizeUnit="Point" '
        'textColor="60,60,60,255" textOpacity="1" isExpression="0" fontFamily="Sans Serif">'
        '<text-buffer bufferDraw="1" bufferSize="0.6" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.8"/></text-style>'
        '<placement placement="1" fitInPolygonOnly="0" centroidInside="1"/>'
        '<rendering scaleVisibility="0" obstacle="0" drawLabels="1" fontLimitPixelSize="0"/>'
        "</settings></labeling>"
    )


def renderer_of(qml: str) -> str:
    """The ``<renderer-v2>`` element of a QML style text."""
    start = qml.index("<renderer-v2")
    return qml[start : qml.index("</renderer-v2>", start) + len("</renderer-v2>")]


def _srs(crs) -> str:
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    auth = c.to_authority()
    authid = f"{auth[0]}:{auth[1]}" if auth else ""
    return (
        f"<spatialrefsys><wkt>{escape(c.to_wkt())}</wkt><authid>{escape(authid)}</authid>"
        f"<description>{escape(c.name)}</description></spatialrefsys>"
    )


def service_areas_frame(ws):
    """One row per service area: ``key``, ``label``, ``in_force_today`` and the dissolved
    polygon of its beats (EPSG:4326)."""
    import geopandas as gpd

    from geo_heart.geo.outlines import beats_outline
    from geo_heart.geo.workspace import service_area_today

    today = service_area_today(ws.config)
    beats = ws.beat_index.to_geodataframe()
    rows = []
    for key, sa in ws.config.service_areas.items():
        members = beats[[sa.contains(b) for b in beats["beat"]]]
        if members.empty:
            continue
        rows.append(
            {
                "key": key,
                "label": sa.label,
                "in_force_today": key == getattr(today, "key", None),
                "beats": len(members),
                "geometry": beats_outline(ws, members["beat"].tolist()),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def write_qgis_project(
    ws, out_dir: str | Path, *, gpkg: str = "beats.gpkg", styles: dict[str, str] | None = None,
    name: str = "geo_heart",
) -> Path:  # fmt: skip
    """Write ``service_areas`` and ``beats`` into ``out_dir/gpkg`` and ``out_dir/<name>.qgz``
    with every layer of :data:`TITLES` present in the GeoPackage, styled.

    ``styles`` holds QML per layer (``demand_by_beat``, ``hotspots_beats``; as stored in the
    GeoPackage's ``layer_styles``). Returns the project's path.
    """
    import pyogrio
    from pyproj import Transformer

    from geo_heart.io.vector import OutputSpec, write_vector

    out = Path(out_dir)
    gpath = out / gpkg
    write_vector(service_areas_frame(ws), OutputSpec(gpath, "gpkg"), layer="service_areas")
    beats = ws.beat_index.to_geodataframe()
    write_vector(beats, OutputSpec(gpath, "gpkg"), layer="beats")
    present = {row[0]: row[1] for row in pyogrio.list_layers(gpath)}
    renderers = {
        "service_areas": service_area_renderer(),
        "beats": beats_renderer(),
        **{k: renderer_of(v) for k, v in (styles or {}).items()},
    }
    crs = ws.config.projected_crs or "EPSG:4326"
    x0, y0, x1, y1 = beats.total_bounds
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xs, ys = tr.transform([x0, x1, x0, x1], [y0, y0, y1, y1])
    extent = (min(xs), min(ys), max(xs), max(ys))
    tree, layers = [], []
    for layer, title in TITLES.items():
        if layer not in present:
            continue
        lid = f"{layer}_geo_heart"
        source = f"./{gpkg}|layername={layer}"
        checked = "Qt::Checked" if layer in VISIBLE else "Qt::Unchecked"
        tree.append(
            f"<layer-tree-layer id={quoteattr(lid)} name={quoteattr(title)} "
            f'source={quoteattr(source)} providerKey="ogr" checked="{checked}" '
            'expanded="1"><customproperties/></layer-tree-layer>'
        )
        renderer = renderers.get(layer, beats_renderer())
        labels = beat_labels() if layer == "beats" else ""
        layers.append(
            f'<maplayer type="vector" geometry="Polygon" wkbType="MultiPolygon" '
            f'styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0">'
            f"<id>{escape(lid)}</id><datasource>{escape(source)}</datasource>"
            f"<layername>{escape(title)}</layername>"
            f"<srs>{_srs('EPSG:4326')}</srs>"
            f'<provider encoding="UTF-8">ogr</provider>'
            f"{renderer}{labels}<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
            f"<layerOpacity>1</layerOpacity></maplayer>"
        )
    area_name = escape(f"{ws.config.service_name} demand, {ws.config.name}")
    qgs = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname="{area_name}" version="3.22.0-Białowieża">'
        f'<homePath path=""/><title>{area_name}</title>'
        f"<projectCrs>{_srs(crs)}</projectCrs>"
        f"<layer-tree-group><customproperties/>{''.join(tree)}</layer-tree-group>"
        '<mapcanvas annotationsVisible="1" name="theMapCanvas"><units>unknown</units>'
        f"<extent><xmin>{extent[0]!r}</xmin><ymin>{extent[1]!r}</ymin>"
        f"<xmax>{extent[2]!r}</xmax><ymax>{extent[3]!r}</ymax></extent><rotation>0</rotation>"
        f"<destinationsrs>{_srs(crs)}</destinationsrs><rendermaptile>0</rendermaptile>"
        "</mapcanvas>"
        '<ProjectViewSettings UseProjectScales="0"><Scales/>'
        f'<DefaultViewExtent xmin="{extent[0]!r}" ymin="{extent[1]!r}" xmax="{extent[2]!r}" '
        f'ymax="{extent[3]!r}">{_srs(crs)}</DefaultViewExtent></ProjectViewSettings>'
        f"<projectlayers>{''.join(layers)}</projectlayers>"
        '<properties><Paths><Absolute type="bool">false</Absolute></Paths>'
        '<SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled></SpatialRefSys>'
        "</properties>"
        "</qgis>\n"
    )
    target = out / f"{name}.qgz"
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{name}.qgs", qgs.encode("utf-8"))
    tmp.replace(target)
    return target
