"""Vector outputs for GIS staff: GeoPackage, GeoParquet, FlatGeobuf, Shapefile, GeoJSON.

A table with lon/lat columns (WGS84) or a geometry column becomes a layer with one feature per
row, in row order; rows without a location stay as features with an empty (``None``) geometry and
all their attributes. The output CRS is EPSG:4326 unless ``crs`` says otherwise (coordinates are
transformed with ``always_xy``).

The format comes from ``fmt`` or the file's extension:

=========== ============== ===========================================================
format      extensions     notes
=========== ============== ===========================================================
``gpkg``    .gpkg          several layers per file (``layer=``)
``parquet`` .parquet, .pq  GeoParquet: ``geo`` metadata written by geopandas
``fgb``     .fgb           FlatGeobuf
``shp``     .shp           field widths from the data; booleans and numbers typed; names over
                           10 characters, values over 254 bytes, NUL bytes and spaces around
                           a value refused (``on_loss="warn"``: written changed, with a
                           warning; the name map is ``<name>.columns.csv``)
``geojson`` .geojson       always EPSG:4326 (RFC 7946); ``crs`` other than 4326 refused
``csv``     .csv, .tsv     plain table (not a vector format; no geometry column)
=========== ============== ===========================================================

:func:`check_output` validates a path and format before any work starts (fail fast).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo_heart.errors import CRSError, DataSourceError, InputError
from geo_heart.geo.coords import lonlat_from_columns
from geo_heart.geo.names import INPUT_COLUMNS_ATTR
from geo_heart.io.ogr import (  # noqa: F401  (re-exported: the writers' one set of options)
    GPKG_DATASET_OPTIONS,
    SHAPEFILE_SIDECARS,
    gpkg_version,
    ogr_options,
    write_ogr,
)
from geo_heart.io.ogr import writable as _writable

log = logging.getLogger(__name__)

#: format → (extensions, OGR driver or None for non-OGR writers)

FORMATS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "gpkg": ((".gpkg",), "GPKG"),
    "parquet": ((".parquet", ".pq"), None),
    "fgb": ((".fgb",), "FlatGeobuf"),
    "shp": ((".shp",), "ESRI Shapefile"),
    "geojson": ((".geojson", ".json"), "GeoJSON"),
    "csv": ((".csv", ".txt"), None),
    "tsv": ((".tsv",), None),
}
VECTOR_FORMATS = ("gpkg", "parquet", "fgb", "shp", "geojson")
SHAPEFILE_NAME_CHARS = 10


@dataclass(frozen=True)
class OutputSpec:
    """A checked output: where, in which format, in which CRS."""

    path: Path
    fmt: str
    crs: str = "EPSG:4326"
    layer: str | None = None

    @property
    def is_vector(self) -> bool:
        """True for formats that carry geometry."""
        return self.fmt in VECTOR_FORMATS

    @property
    def layer_name(self) -> str:
        """The layer's name: ``--layer``, else the file's stem (``geocoded.gpkg`` → ``geocoded``)."""
        return self.layer or self.path.stem


def check_layer_name(layer: str | None, fmt: str) -> str | None:
    """A ``--layer`` name, checked: GeoPackage only, not empty, not a reserved ``gpkg_`` or
    ``rtree_`` table name."""
    if layer is None:
        return None
    name = str(layer).strip()
    if fmt != "gpkg":
        raise InputError(
            f"--layer {layer!r}: only a GeoPackage holds named layers; a {fmt} file's layer is "
            "named after the file"
        )
    if not name or name.lower().startswith(("gpkg_", "rtree_", "sqlite_")):
        raise InputError(
            f"--layer {layer!r}: give a name that is not empty and does not start with gpkg_, "
            "rtree_ or sqlite_ (reserved in a GeoPackage)"
        )
    return name


def format_from_path(path: str | Path) -> str:
    """The format key for a file name's extension; InputError naming the choices otherwise."""
    suffix = Path(path).suffix.lower()
    for fmt, (exts, _driver) in FORMATS.items():
        if suffix in exts:
            return fmt
    known = sorted(e for exts, _d in FORMATS.values() for e in exts)
    raise InputError(
        f"{str(path)!r}: unknown output type {suffix or '(none)'!r}; use one of {known}"
    )


def check_crs(crs: str | int | None) -> str:
    """Return a CRS as ``AUTHORITY:CODE`` text after checking pyproj knows it."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    if crs is None or crs == "":
        return "EPSG:4326"
    try:
        c = CRS.from_user_input(crs)
    except ProjCRSError:
        raise CRSError(
            f"--crs {crs!r} is not a CRS pyproj knows (e.g. EPSG:4326, EPSG:2264)"
        ) from None
    auth = c.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else c.to_wkt()


def check_output(
    path: str | Path,
    *,
    fmt: str | None = None,
    crs: str | None = None,
    vector_only: bool = False,
    layer: str | None = None,
) -> OutputSpec:
    """Validate an output path before work starts.

    Parameters
    ----------
    path
        The output file; its folder must exist.
    fmt
        A key of :data:`FORMATS`; default from the extension.
    crs
        Output CRS (default EPSG:4326); GeoJSON accepts only EPSG:4326.
    vector_only
        Refuse CSV/TSV.
    layer
        The layer's name in a GeoPackage (default: the file's stem).

    Raises
    ------
    InputError
        Unknown format, missing folder, a path that is a folder, or GeoJSON in another CRS.
    """
    p = Path(path)
    if fmt is not None:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise InputError(f"--format {fmt!r}: use one of {sorted(FORMATS)}")
    else:
        fmt = format_from_path(p)
    if vector_only and fmt not in VECTOR_FORMATS:
        raise InputError(f"{str(p)!r}: a layer needs one of {list(VECTOR_FORMATS)}, not {fmt!r}")
    if p.is_dir():
        raise InputError(f"output {str(p)!r} is a folder; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"output folder {str(parent)!r} does not exist; create it first")
    out_crs = check_crs(crs)
    if fmt == "geojson" and out_crs != "EPSG:4326":
        raise InputError(f"GeoJSON output is always EPSG:4326 (RFC 7946), not --crs {crs!r}")
    return OutputSpec(p, fmt, out_crs, check_layer_name(layer, fmt))


def to_geodataframe(
    df: pd.DataFrame,
    *,
    lon_column: str = "lon",
    lat_column: str = "lat",
    crs: str = "EPSG:4326",
):
    """A GeoDataFrame with one point (or ``None``) per row, in ``crs``.

    A GeoDataFrame is reprojected; otherwise points come from the WGS84 lon/lat columns, and rows
    whose lon or lat is missing or not a number get ``None``.
    """
    import geopandas as gpd

    if isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df.columns:
        if df.crs is None:
            raise CRSError("table has geometries but no CRS; assign one before writing")
        return df.to_crs(crs) if str(df.crs) != crs else df
    if lon_column not in df.columns or lat_column not in df.columns:
        raise InputError(
            f"a layer needs {lon_column!r} and {lat_column!r} columns; columns are {list(df.columns)}"
        )
    lon, lat, ok = lonlat_from_columns(df, lon_column, lat_column)
    if crs != "EPSG:4326" and ok.any():
        from pyproj import Transformer

        tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x, y = lon.copy(), lat.copy()
        x[ok], y[ok] = tr.transform(lon[ok], lat[ok])
    else:
        x, y = lon, lat
    geom = np.full(len(df), None, dtype=object)
    if ok.any():
        geom[ok] = gpd.points_from_xy(x[ok], y[ok])
    from geo_heart.io.ogr import free_name

    frame = df.reset_index(drop=True)  # a copy: the caller's table is left as it was
    name = free_name("geometry", frame.columns)  # gh_geometry where the table has a geometry
    frame[name] = gpd.GeoSeries(geom, crs=crs)
    return gpd.GeoDataFrame(frame, geometry=name, crs=crs)


def shapefile_names(columns, reserved=()) -> dict[str, str]:
    """Column → a unique name of at most 10 characters (Shapefile's dBASE limit), never one of
    ``reserved`` (:func:`geo_heart.io.shapefile.cut_names`)."""
    from geo_heart.io.shapefile import cut_names

    return cut_names(columns, reserved)


def write_failure(path: Path, exc: Exception) -> Exception:
    """A one-line :class:`DataSourceError` for an OS, GDAL or Arrow failure writing ``path``;
    any other exception (a bug) is returned unchanged to be raised as it is."""
    if isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in ("pyogrio", "pyarrow"):
        return DataSourceError(f"cannot write {str(path)!r}: {exc}")
    return exc


def write_vector(
    df: pd.DataFrame,
    spec: OutputSpec | str | Path,
    *,
    lon_column: str = "lon",
    lat_column: str = "lat",
    layer: str | None = None,
    kinds: dict[str, str] | None = None,
    on_loss: str = "refuse",
    input_columns=None,
    csv_input: bool = False,
    source=None,
) -> dict[str, object]:
    """Write ``df`` as ``spec`` (an :class:`OutputSpec` or a path) and return what was written.

    ``kinds`` types text columns (``--types auto``: :func:`geo_heart.io.coltypes.infer_kinds`).
    ``on_loss``: text the format cannot hold exactly (a NUL byte, a Shapefile's 254 bytes, 10-
    character names, spaces; :mod:`geo_heart.io.textloss`) is refused (``refuse``) or written
    changed with a warning naming column and count (``warn``); never silently.
    One feature per row, in row order, in every format. ``layer`` adds or replaces one layer of
    an existing GeoPackage. ``input_columns``: the input's columns; every other column that is a
    geo-heart result gets its fixed Shapefile field name and its long values split
    (:mod:`geo_heart.io.shapefile`); ``None``: those recorded in ``df.attrs``
    (:data:`INPUT_COLUMNS_ATTR`, as ``Area.assign`` and ``Area.geocode`` record them), else
    every column follows ``on_loss``. ``csv_input``:
    the table was read from a CSV/TSV, where an empty cell is the missing value (CSV has no
    null), so a Shapefile writing it as null loses nothing (an all-space value is still a loss).
    ``source``: the input file; when it is Parquet, the input's columns are written from it
    (row-aligned) with their own types as far as the format holds them, the rest in a text form
    named in ``notes`` (:mod:`geo_heart.io.arrowtypes`).

    Returns
    -------
    dict
        ``path``, ``format``, ``crs``, ``features``, ``located`` and, for Shapefile,
        ``columns_map`` (the ``original,shapefile,part`` CSV), ``aliases`` (the QGIS ``.qml``),
        ``fields`` (column → field names) and ``renamed`` (columns whose field differs).
    """
    if not isinstance(spec, OutputSpec):
        spec = check_output(spec)
    if input_columns is None:
        input_columns = df.attrs.get(INPUT_COLUMNS_ATTR)
    p = spec.path
    info: dict[str, object] = {"path": str(p), "format": spec.fmt, "crs": spec.crs}
    from geo_heart.io import arrowtypes

    typed = None
    if source is not None and input_columns is not None:
        wanted = [c for c in map(str, input_columns) if c in df.columns and c not in (kinds or {})]
        typed = arrowtypes.read_source(source, wanted, len(df))
    if not spec.is_vector:
        from geo_heart.io.tables import write_table

        plain = pd.DataFrame(
            df.drop(columns=getattr(df, "_geometry_column_name", None) or [], errors="ignore")
        )
        if typed is not None:
            plain = arrowtypes.with_source_columns(plain, typed, "parquet")
        plain, notes = arrowtypes.csv_ready(plain)
        write_table(plain, p)
        info.update(features=len(plain), located=None, **({"notes": notes} if notes else {}))
        return info
    gdf = to_geodataframe(df, lon_column=lon_column, lat_column=lat_column, crs=spec.crs)
    if kinds:
        from geo_heart.io.coltypes import apply_kinds

        gdf = apply_kinds(gdf, kinds)
    gdf = _writable(gdf)
    from geo_heart.io.shapefile import own_columns
    from geo_heart.io.textloss import enforce, text_losses

    own = own_columns(gdf.columns.drop(gdf.geometry.name), input_columns)
    empty_ok = [c for c in gdf.columns if c not in own] if csv_input else []
    found, arrow = [], False
    if typed is not None:
        # the input's own columns and types, through GDAL's Arrow writer; that writer takes a
        # column named OGC_FID as the feature ids, so such a table goes through the row writer
        # with the input's other types in their text forms
        arrow = spec.fmt == "parquet" or "OGC_FID" not in gdf.columns
        fit = spec.fmt if arrow else "text"
        gdf = arrowtypes.with_source_columns(gdf, typed, fit, arrow=arrow)
        found += arrowtypes.type_losses(source, typed.schema, fit)
        notes = arrowtypes.fit_notes(typed.schema, fit)
        if notes:
            info["notes"] = notes
    found = text_losses(gdf, spec.fmt, skip=(gdf.geometry.name,), own=own,
                        empty_ok=empty_ok) + found  # fmt: skip
    losses = enforce(found, p, spec.fmt, on_loss)
    if losses:
        info["losses"] = [str(x) for x in losses]
    info["features"] = len(gdf)
    info["located"] = int((~(gdf.geometry.isna() | gdf.geometry.is_empty)).sum())
    try:
        if spec.fmt == "parquet":
            from geo_heart.io.files import atomic_write

            with atomic_write(p) as tmp:
                gdf.to_parquet(tmp, index=False)
                if arrow:
                    drop_pandas_metadata(tmp)
        elif spec.fmt == "shp":
            info.update(_write_shapefile(gdf, p, own, input_columns, arrow=arrow))
        else:
            # the layer is named for the output, never for the temporary file written first
            info["layer"] = layer or spec.layer_name
            write_ogr(gdf, p, spec.fmt, layer=info["layer"], keep_layers=layer is not None,
                      arrow=arrow)  # fmt: skip
    except Exception as exc:
        raise write_failure(p, exc) from None
    log.info("wrote %s (%s, %d features)", p, spec.fmt, info["features"])
    return info


def drop_pandas_metadata(path: Path) -> None:
    """Rewrite a GeoParquet file without pandas' metadata: the input's columns are Arrow-backed
    in the frame, and pandas would read them back as such; without it, a reader gets them as
    it gets the input's (the streamed writer writes no pandas metadata either)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = {k: v for k, v in (table.schema.metadata or {}).items() if k != b"pandas"}
    pq.write_table(table.replace_schema_metadata(meta), path)


def _write_shapefile(
    gdf, p: Path, own: list[str], input_columns, *, arrow: bool = False
) -> dict[str, object]:
    """Write ``gdf`` as a Shapefile: own results under their fixed fields, long own values split,
    the user's long names and values cut (reached only with ``on_loss="warn"``), sidecars."""
    import geopandas as gpd

    from geo_heart.io.shapefile import parts_of, plan_fields, split_column, write_field_sidecars
    from geo_heart.io.textloss import cut_to_bytes

    geom = gdf.geometry.name
    cols = [str(c) for c in gdf.columns if c != geom]
    # text columns: object, or pandas 3's default string dtype
    text = {c for c in cols if gdf[c].dtype == object or isinstance(gdf[c].dtype, pd.StringDtype)}
    parts = {c: parts_of(gdf[c])[0] for c in own if c in text}
    fields = plan_fields(cols, input_columns=input_columns, parts=parts, source=p)
    data: dict[str, object] = {}
    for c in cols:
        names = fields[c]
        if len(names) > 1:
            data.update(zip(names, split_column(gdf[c].tolist(), len(names)), strict=True))
        elif c in text:
            data[names[0]] = gdf[c].map(cut_to_bytes)  # only with --on-loss warn: else refused
        else:
            data[names[0]] = gdf[c]
    frame = pd.DataFrame(data, index=gdf.index)
    from geo_heart.io.ogr import free_name

    geom_name = free_name("geometry", frame.columns)  # a field named geometry stays a field
    frame[geom_name] = gpd.GeoSeries(gdf.geometry.values, index=gdf.index, crs=gdf.crs)
    out = gpd.GeoDataFrame(frame, geometry=geom_name, crs=gdf.crs)
    write_ogr(out, p, "shp", arrow=arrow)
    written = write_field_sidecars(p, fields)
    renamed = {c: f[0] for c, f in fields.items() if f != [c]}
    return {**written, "fields": fields, "renamed": renamed}


_LAYER_STYLES_DDL = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""


def write_layer_styles(path: str | Path, styles: dict[str, str]) -> list[str]:
    """Store QGIS styles (QML text per layer) as the layers' default styles in a GeoPackage's
    ``layer_styles`` table, the table QGIS reads when it opens a layer; a layer's earlier
    geo-heart style is replaced. Returns the styled layer names."""
    import sqlite3

    if not styles:
        return []
    p = Path(path)
    try:
        con = sqlite3.connect(p)
        try:
            with con:
                con.execute(_LAYER_STYLES_DDL)
                con.execute(
                    "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                    "description) VALUES ('layer_styles', 'attributes', 'layer_styles', "
                    "'QGIS layer styles')"
                )
                for layer, qml in styles.items():
                    row = con.execute(
                        "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                        (layer,),
                    ).fetchone()
                    geom = row[0] if row else "geom"
                    con.execute(
                        "DELETE FROM layer_styles WHERE f_table_name = ? AND styleName = ?",
                        (layer, f"geo-heart {layer}"),
                    )
                    con.execute(
                        "UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?", (layer,)
                    )
                    con.execute(
                        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                        "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                        "description, owner, ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
                        (
                            layer,
                            geom,
                            f"geo-heart {layer}",
                            qml,
                            "classes and colours of the geo-heart maps",
                        ),
                    )
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise DataSourceError(f"cannot write layer styles into {str(p)!r}: {exc}") from None
    return list(styles)


def write_beat_layers(
    ws, tables: dict[str, pd.DataFrame], path: str | Path, *, styles: dict[str, str] | None = None
) -> dict[str, object]:
    """Write per-beat tables as layers of one GeoPackage (beat polygons, EPSG:4326).

    Each table needs a ``beat`` column; it is joined to the beat layer's polygons (beats missing
    from the layer keep an empty geometry). ``styles`` (QML per layer name, e.g. from
    :func:`geo_heart.render.styles.beat_layer_styles`) become the layers' default QGIS styles. Other layers of an existing file are kept, so commands
    writing to the same folder fill one GeoPackage; a layer of the same name is replaced.
    """
    import geopandas as gpd

    p = Path(path)
    shapes = ws.beat_index.to_geodataframe()[["beat", "geometry"]]
    frames = {}
    for name, table in tables.items():
        t = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
        if "beat" not in t.columns:
            raise InputError(f"table {name!r} has no 'beat' column for a beat layer")
        t["beat"] = t["beat"].astype(str)
        g = t.merge(shapes, on="beat", how="left")
        frames[name] = _writable(gpd.GeoDataFrame(g, geometry="geometry", crs="EPSG:4326"))
    chosen = {k: v for k, v in (styles or {}).items() if k in frames}
    styled: list[str] = []

    if not frames:
        return {"path": str(p), "layers": {}, "styled": []}
    first, *rest = frames

    def add_layers(tmp: Path) -> None:
        # the other layers and the styles go into the same temp copy, moved over the file once
        for name in rest:
            frames[name].to_file(tmp, driver="GPKG", layer=name, engine="pyogrio")
        styled.extend(write_layer_styles(tmp, chosen))

    try:
        write_ogr(frames[first], p, "gpkg", layer=first, keep_layers=True, after=add_layers)
    except Exception as exc:
        raise write_failure(p, exc) from None
    return {"path": str(p), "layers": {k: len(v) for k, v in frames.items()}, "styled": styled}
