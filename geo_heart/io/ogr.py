"""GDAL writes with one set of creation options and one atomic scheme, for every vector output.

:func:`write_ogr` writes a GeoDataFrame into a marked temp beside the output and moves it (with a
Shapefile's sidecars) over the output only when the whole write succeeded. :func:`ogr_options`
are the creation options every write uses: GeoPackage 1.2, FlatGeobuf without a spatial index
(row order kept), Shapefile fields as wide as their data.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: GeoPackage 1.2: what QGIS and GDAL before 3.7 read without a "partially supported" warning
GPKG_DATASET_OPTIONS = {"VERSION": "1.2"}
#: GDAL settings while a GeoPackage's R-tree is built, so memory does not grow with the row count:
#: GDAL's threaded build keeps the whole tree in an in-memory database, and its bulk loader keeps
#: every feature's box up to ``OGR_GPKG_MAX_RAM_USAGE_RTREE`` (by default a share of the
#: machine's RAM). With these, boxes beyond 128 MiB go to the file as the tree is built.
#: Measured: 1M -> 5M points written from a stream, peak RSS 222 -> 310 MB (GDAL's defaults:
#: 234 -> 377 MB), 5M written in 48 s (default 48 s, threaded build off 33 s).
GPKG_RTREE_CONFIG = {
    "OGR_GPKG_ALLOW_THREADED_RTREE": "NO",
    "OGR_GPKG_MAX_RAM_USAGE_RTREE": str(128 * 1024 * 1024),
}
#: OGR driver of each vector format
DRIVERS = {"gpkg": "GPKG", "fgb": "FlatGeobuf", "shp": "ESRI Shapefile", "geojson": "GeoJSON"}


def _is_bool(v) -> bool:
    return isinstance(v, (bool, np.bool_))


def _text(v):
    """A value as text: None for a missing one, bytes as upper-case hexadecimal (the text form
    of :mod:`geo_heart.io.arrowtypes`; never Python's ``b'...'``)."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, bytes | bytearray):
        return v.hex().upper()
    return str(v)


def writable(gdf):
    """Object columns become text (or None) so every driver can store them; a column of
    True/False (and None) becomes a boolean column (a GeoPackage/Shapefile logical field, never
    the text ``'True'``)."""
    out = gdf.copy()
    geom = out.geometry.name
    for col in out.columns:
        if col == geom:
            continue
        s = out[col]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            present = s[s.notna()]
            if len(present) and present.map(_is_bool).all():
                out[col] = s.astype("boolean")
                continue
            out[col] = s.map(_text)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(str)
    return out


#: a Shapefile's other files, moved into place with the ``.shp`` (io.files.atomic_write_set)
SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


#: prefix of a name geo-heart gives its own column when a user's column has the plain name
PREFIX = "gh_"
#: the geometry column of a written table or layer (``gh_geometry`` where the table has one)
GEOMETRY = "geometry"


def free_name(name: str, columns, *, source: str = "the table") -> str:
    """``name``, or ``gh_<name>`` where one of ``columns`` already has it (ignoring case, as
    GeoPackage, GDAL and dBASE compare names): the batch rule of every column geo-heart adds
    (:func:`geo_heart.geo.assign.result_column_names`), here for the columns a format adds.

    Raises
    ------
    InputError
        Both ``name`` and ``gh_<name>`` are taken (one line naming both).
    """
    from geo_heart.errors import InputError

    def clash(n: str) -> str | None:
        low = n.lower()
        return next((str(c) for c in columns if str(c).lower() in (low,)
                     or str(c).lower()[:10] == low[:10]), None)  # fmt: skip

    mine = clash(name)
    if mine is None:
        return name
    other = clash(f"{PREFIX}{name}")
    if other is not None:
        raise InputError(
            f"{str(source)!r} has both {mine!r} and {other!r} columns, so the output's "
            f"{name!r} column has no free name (names are compared ignoring case and on their "
            "first 10 characters); rename one of them"
        )
    return f"{PREFIX}{name}"


def format_columns(fmt: str) -> tuple[str, ...]:
    """The columns an output format adds beside the table's (named by :func:`free_name`): a
    vector format's ``geometry``; a GeoPackage's GDAL ``geom`` and ``fid`` too."""
    if fmt not in ("gpkg", "parquet", "fgb", "shp", "geojson", "parquet dataset"):
        return ()
    return (GEOMETRY, "geom", "fid") if fmt == "gpkg" else (GEOMETRY,)


def ogr_options(fmt: str, *, new_file: bool = True, columns=()) -> dict[str, dict[str, str]]:
    """The GDAL creation options every geo-heart write of ``fmt`` uses.

    * GeoPackage: ``VERSION=1.2`` for a new file (GDAL 3.6 / QGIS 3.22 read it without the
      "partially supported" warning 1.4 gives); where one of ``columns`` (the fields to write)
      is named like GDAL's geometry column ``geom`` or feature id ``fid``, those are named
      ``gh_geom``/``gh_fid`` (:func:`free_name`), so the user's column is written as it is;
    * FlatGeobuf: ``SPATIAL_INDEX=NO``, so features stay in row order (the index sorts them);
    * Shapefile: ``RESIZE=YES``, so each field is as wide as its longest value.
    """
    if fmt == "gpkg":
        kw: dict[str, dict[str, str]] = (
            {"dataset_options": dict(GPKG_DATASET_OPTIONS)} if new_file else {}
        )
        layer = {}
        for option, name in (("GEOMETRY_NAME", "geom"), ("FID", "fid")):
            free = free_name(name, columns)
            if free != name:
                layer[option] = free
        if layer:
            kw["layer_options"] = layer
        return kw
    if fmt == "fgb":
        return {"layer_options": {"SPATIAL_INDEX": "NO"}}
    if fmt == "shp":
        return {"layer_options": {"RESIZE": "YES"}}
    return {}


@contextmanager
def gdal_config(options: dict[str, str]) -> Iterator[None]:
    """GDAL configuration ``options`` for the duration of a write, the previous values restored
    after (GDAL's configuration is process-wide)."""
    import pyogrio

    before = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def gpkg_version(path: str | Path) -> int | None:
    """A GeoPackage's ``user_version`` header field (10200 = GeoPackage 1.2), None if unreadable."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError:
        return None
    if len(head) < 100 or head[68:72] != b"GPKG":
        return None
    return int.from_bytes(head[60:64], "big")


def write_ogr(
    gdf,
    path: str | Path,
    fmt: str,
    *,
    layer: str | None = None,
    keep_layers=False,
    after=None,
    arrow: bool = False,
) -> None:
    """Write ``gdf`` with GDAL, atomically: into a marked temp beside ``path``, then moved over it
    with its sidecars (a failed write keeps the old output whole).

    ``keep_layers`` (GeoPackage): the other layers of an existing GeoPackage 1.2 file are kept and
    a layer of the same name replaced. ``after(tmp)`` runs on the written temp before the move.

    A GeoPackage temp is written without SQLite's flush to disk after every transaction
    (:func:`no_sqlite_sync`): it becomes the output only when whole, as every geo-heart output
    does, and the flushes took most of a ``map`` run's GeoPackage time on a busy disk.
    ``arrow``: through GDAL's Arrow writer (pyogrio's ``use_arrow``), for Arrow-backed columns
    whose types (binary, dates, date-times with a zone) the row writer would not keep.
    """  # fmt: skip
    import shutil

    from geo_heart.io.files import atomic_write_set

    p = Path(path)
    with (
        atomic_write_set(p, SHAPEFILE_SIDECARS if fmt == "shp" else ()) as tmp,
        no_sqlite_sync() if fmt == "gpkg" else contextlib.nullcontext(),
    ):
        if keep_layers and p.exists():
            if gpkg_version(p) == 10200:
                shutil.copyfile(p, tmp)
            else:
                log.warning("%s is not a GeoPackage 1.2 file: written anew", p)
        fields = [c for c in gdf.columns if c != gdf.geometry.name]
        kw = ogr_options(fmt, new_file=not tmp.exists(), columns=fields)
        if fmt != "shp":
            kw["layer"] = layer or p.stem
        if arrow:
            kw["use_arrow"] = True
        with warnings.catch_warnings():
            # the Shapefile field names are planned already (io.shapefile); the geometry
            # column's name (gh_geometry) is no field
            warnings.filterwarnings("ignore", "Column names longer than 10", UserWarning)
            gdf.to_file(tmp, driver=DRIVERS[fmt], engine="pyogrio", **kw)
        if after is not None:
            after(tmp)


@contextlib.contextmanager
def no_sqlite_sync():
    """GDAL's SQLite-based drivers (GeoPackage) write without ``fsync`` inside this block
    (``OGR_SQLITE_SYNCHRONOUS=OFF``; the previous setting is restored after). Only for files
    written to a temp and moved into place when complete (:func:`write_ogr`)."""
    import pyogrio

    key = "OGR_SQLITE_SYNCHRONOUS"
    before = pyogrio.get_gdal_config_option(key)
    pyogrio.set_gdal_config_options({key: "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({key: before})
