"""Vector outputs written batch by batch: memory bounded by one batch, whatever the row count.

:func:`write_vector_from_parquet` reads a (work) Parquet table in batches and writes GeoPackage,
FlatGeobuf, Shapefile and GeoJSON through GDAL's Arrow stream interface (``pyogrio.write_arrow``
with a ``RecordBatchReader``), and GeoParquet with ``pyarrow``'s ``ParquetWriter`` and the ``geo``
metadata of GeoParquet 1.0. Points come from the WGS84 lon/lat columns (``None`` where missing),
transformed to the output CRS with ``always_xy=True``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from geo_heart.geo.coords import lonlat_from_columns
from geo_heart.io.files import atomic_write, atomic_write_set
from geo_heart.io.ogr import GPKG_RTREE_CONFIG, gdal_config
from geo_heart.io.textloss import enforce, name_losses
from geo_heart.io.vector import (
    FORMATS,
    SHAPEFILE_SIDECARS,
    OutputSpec,
    check_output,
    ogr_options,
    write_failure,
)

log = logging.getLogger(__name__)

#: Rows per batch read from the work file and written to the output.
BATCH_ROWS = 50_000
GEOMETRY = "geometry"
#: the column name GDAL's Arrow writer reads feature ids from (formats without a FID column)
ARROW_FID = "OGC_FID"


def _parquet(path: str | Path):
    """A Parquet file to read batch by batch in bounded memory: without ``pre_buffer`` (pyarrow's
    read-ahead of every row group held memory growing with the file: peak RSS 213 -> 276 MB
    reading 1M -> 5M rows of ``assign`` output, flat at 159 MB without it)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path, pre_buffer=False)


def _wkb_points(
    frame: pd.DataFrame, lon_column: str, lat_column: str, transformer, bounds: list | None = None
) -> np.ndarray:
    import shapely

    lon, lat, ok = lonlat_from_columns(frame, lon_column, lat_column)
    x, y = lon.copy(), lat.copy()
    if transformer is not None and ok.any():
        x[ok], y[ok] = transformer.transform(lon[ok], lat[ok])
    out = np.full(len(frame), None, dtype=object)
    if ok.any():
        out[ok] = shapely.to_wkb(shapely.points(x[ok], y[ok]))
        if bounds is not None:
            b = (x[ok].min(), y[ok].min(), x[ok].max(), y[ok].max())
            bounds[:] = (
                b if not bounds else [*map(min, bounds[:2], b[:2]), *map(max, bounds[2:], b[2:])]
            )
    return out


def _fix_shapefile_extent(shp: Path, bounds: list) -> None:
    """Write the extent of the located points into the .shp and .shx headers.

    GDAL counts rows without a point as (0, 0) in a Shapefile's header extent when they arrive
    through the Arrow stream; QGIS would then zoom to the Gulf of Guinea. The header's bounding
    box is four little-endian doubles at byte 36 of both files (ESRI Shapefile specification).
    """
    import struct

    if len(bounds) != 4:
        return
    for path in (shp, shp.with_suffix(".shx")):
        if path.exists():
            with open(path, "r+b") as fh:
                fh.seek(36)
                fh.write(struct.pack("<4d", *map(float, bounds)))


def _text_schema(schema, fmt: str = "gpkg"):
    """The work file's columns as written: integers as int64, floats, booleans and text kept,
    other types as ``fmt`` holds them (:func:`geo_heart.io.arrowtypes.fit_type`)."""
    import pyarrow as pa

    from geo_heart.io.arrowtypes import fit_type

    fields = []
    for f in schema:
        t = f.type
        if pa.types.is_integer(t) and t != pa.uint64():
            fields.append(pa.field(f.name, pa.int64()))
        elif pa.types.is_floating(t) or pa.types.is_boolean(t):
            fields.append(pa.field(f.name, t))
        elif pa.types.is_null(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
            fields.append(pa.field(f.name, pa.string()))
        else:
            fields.append(pa.field(f.name, fit_type(t, fmt)[0]))
    return pa.schema(fields)


def _arrow_type(kind: str):
    import pyarrow as pa

    return {
        "int": pa.int64(),
        "float": pa.float64(),
        "date": pa.date32(),
        "datetime": pa.timestamp("ms"),
        "datetime_utc": pa.timestamp("ms", tz="UTC"),
    }[kind]


def parquet_losses(
    work: str | Path, fmt: str, *, skip=(), own=(), parts=None, empty_ok=()
) -> list:
    """:func:`geo_heart.io.textloss.text_losses` of a Parquet file, batch by batch (memory bounded
    by one batch), with Arrow's string kernels. ``own``: geo-heart's result columns with fixed
    Shapefile names; ``parts`` (a dict) receives how many fields each of their values needs;
    ``empty_ok``: columns whose empty text is a missing value (read from a CSV)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from geo_heart.io.shapefile import parts_of
    from geo_heart.io.textloss import ALL_SPACE, DBF_TEXT_BYTES, OGR_FORMATS, UNSPLITTABLE, Loss

    schema = pq.read_schema(work)
    own = set(own) if fmt == "shp" else set()
    empty_ok = set(empty_ok)
    cols = [n for n in schema.names if n not in skip]
    out = name_losses([c for c in [*cols, *skip] if c not in own], fmt)
    parts = parts if parts is not None else {}
    texts = [
        c for c in cols if pa.types.is_string(schema.field(c).type)
        or pa.types.is_large_string(schema.field(c).type)
    ]  # fmt: skip
    if fmt not in OGR_FORMATS or not texts:
        return out
    what = {"nul": "values holding a NUL byte (cut there)",
            "long": f"values longer than {DBF_TEXT_BYTES} bytes (cut)",
            "empty": "empty or all-space values (read back as null)",
            "spaces": "values with spaces around them (stripped)",
            "unsplit": UNSPLITTABLE, "blank": ALL_SPACE}  # fmt: skip
    counts = {(c, k): 0 for c in texts for k in what}
    for rb in _parquet(work).iter_batches(batch_size=BATCH_ROWS, columns=texts):
        for c in texts:
            col = rb.column(rb.schema.get_field_index(c))
            counts[(c, "nul")] += pc.sum(pc.match_substring(col, "\x00")).as_py() or 0
            if fmt == "shp":
                long = pc.greater(pc.binary_length(col), DBF_TEXT_BYTES)
                if c in own:  # split into continuation fields: a loss only where it cannot be
                    most, bad = parts_of(pc.filter(col, long).to_pylist())
                    parts[c] = max(parts.get(c, 1), most)
                    counts[(c, "unsplit")] += bad
                else:
                    counts[(c, "long")] += pc.sum(long).as_py() or 0
                stripped = pc.utf8_trim(col, " ")
                empty = pc.equal(stripped, "")
                if c in empty_ok and c not in own:  # a CSV's empty cell is a missing value
                    blank = pc.and_(empty, pc.not_equal(col, ""))
                    counts[(c, "blank")] += pc.sum(blank).as_py() or 0
                elif c not in own:  # an own result's empty text is its documented null
                    counts[(c, "empty")] += pc.sum(empty).as_py() or 0
                padded = pc.and_(pc.not_equal(stripped, col), pc.invert(empty))
                counts[(c, "spaces")] += pc.sum(padded).as_py() or 0
    for c in texts:
        for k, label in what.items():
            if counts[(c, k)]:
                out.append(Loss(c, label, int(counts[(c, k)])))
    return out


def infer_parquet_kinds(work: str | Path, columns, *, keep_text=()) -> dict[str, str]:
    """``--types auto`` kinds of the named text columns of a Parquet file, one column at a time
    (the whole column decides: :mod:`geo_heart.io.coltypes`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from geo_heart.io.coltypes import column_kind, identifier_like

    schema = pq.read_schema(work)
    out = {}
    keep = {str(k).lower() for k in keep_text}
    for c in columns:
        if identifier_like(c) or str(c).lower() in keep:
            continue
        t = schema.field(c).type if c in schema.names else None
        if t is not None and (pa.types.is_string(t) or pa.types.is_large_string(t)):
            k = column_kind(pq.read_table(work, columns=[c]).column(0).to_pandas())
            if k != "text":
                out[c] = k
    return out


def _batches(
    work: Path, spec: OutputSpec, lon_column: str, lat_column: str, fields=None, kinds=None,
    source=None,
):
    """Arrow schema and a generator of record batches (columns + WKB geometry) from ``work``.

    ``fields`` (Shapefile): column → its field names (several: a split result column).
    ``source``: a :class:`geo_heart.io.arrowtypes.SourceColumns` whose columns replace the work
    file's (the input's own values and types, fitted to the format)."""
    import pyarrow as pa
    from pyproj import Transformer

    from geo_heart.io.arrowtypes import fit_array, fit_type
    from geo_heart.io.shapefile import split_column
    from geo_heart.io.textloss import cut_to_bytes

    pf = _parquet(work)
    kinds = dict(kinds or {})
    restored = {}
    if source is not None:
        restored = {c: fit_type(source.schema.field(c).type, spec.fmt)[0] for c in source.columns}
    base = _text_schema(pf.schema_arrow.remove_metadata(), spec.fmt)
    base = pa.schema(
        [pa.field(f.name, _arrow_type(kinds[f.name])) if f.name in kinds
         else pa.field(f.name, restored[f.name]) if f.name in restored else f for f in base]
    )  # fmt: skip
    fields = fields or {f.name: [f.name] for f in base}
    schema = pa.schema(
        [pa.field(n, f.type) for f in base for n in fields[f.name]]
        + [pa.field(geometry_column([f.name for f in base]), pa.binary())]
    )
    shp = spec.fmt == "shp"
    tr = (
        None
        if spec.crs == "EPSG:4326"
        else Transformer.from_crs("EPSG:4326", spec.crs, always_xy=True)
    )
    counts = {"features": 0, "located": 0}
    bounds: list = []

    def gen() -> Iterator:
        for rb in pf.iter_batches(batch_size=BATCH_ROWS):
            src = source.take(rb.num_rows) if restored else None
            cols = []
            for f in base:
                if f.name in restored:
                    c = fit_array(src.column(f.name), spec.fmt)
                else:
                    c = rb.column(rb.schema.get_field_index(f.name))
                if f.name in kinds:
                    from geo_heart.io.coltypes import convert

                    values = convert(c.to_pandas(), kinds[f.name])
                    cols.append(pa.array(values, type=f.type, from_pandas=True))
                    continue
                if pa.types.is_null(c.type):
                    c = pa.nulls(len(c), f.type)
                elif c.type != f.type and f.name not in restored:
                    c = fit_array(c, spec.fmt)
                c = c.cast(f.type)
                if shp and len(fields[f.name]) > 1:
                    # an own result's long values: split into continuation fields, losslessly
                    split = split_column(c.to_pylist(), len(fields[f.name]))
                    cols.extend(pa.array(v, type=pa.string()) for v in split)
                    continue
                if shp and pa.types.is_string(f.type):
                    # a dBASE text field holds 254 bytes: cut here on a character boundary
                    # (reached only with on_loss="warn": else refused before writing)
                    c = pa.array([cut_to_bytes(v) for v in c.to_pylist()], type=pa.string())
                cols.append(c)
            frame = pa.Table.from_batches([rb]).select([lon_column, lat_column]).to_pandas()
            geom = _wkb_points(frame, lon_column, lat_column, tr, bounds)
            counts["features"] += len(geom)
            counts["located"] += int(sum(g is not None for g in geom))
            yield pa.RecordBatch.from_arrays(
                cols + [pa.array(geom, type=pa.binary())], schema=schema
            )

    return schema, gen(), counts, bounds


def _typed_source(source, work, input_columns, kinds):
    """A :class:`geo_heart.io.arrowtypes.SourceColumns` of the Parquet input's columns (not the
    ``--types auto`` ones), row-aligned with ``work``; None for another input."""
    import pyarrow.parquet as pq

    from geo_heart.io.arrowtypes import SourceColumns, parquet_source

    if source is None or not input_columns:
        return None
    names = pq.read_schema(work).names
    wanted = [c for c in map(str, input_columns) if c in names and c not in (kinds or {})]
    schema = parquet_source(source, wanted)
    if schema is None:
        return None
    src = SourceColumns(source, schema.names, rows=pq.ParquetFile(work).metadata.num_rows,
                        batch_rows=BATCH_ROWS)  # fmt: skip
    return src if src.ok else None


def _type_notes(typed, work, fmt: str, kinds) -> list[str]:
    """What ``fmt`` writes in another form: the input's typed columns (``typed``) or, without
    them, the work file's columns that are neither text, numbers nor booleans."""
    import pyarrow.parquet as pq

    from geo_heart.io.arrowtypes import fit_notes

    if typed is not None:
        return fit_notes(typed.schema, fmt)
    schema = pq.read_schema(work).remove_metadata()
    return fit_notes(schema, fmt, [n for n in schema.names if n not in (kinds or {})])


def geometry_column(columns) -> str:
    """The output's geometry column: ``geometry``, ``gh_geometry`` where the table has one."""
    from geo_heart.io.ogr import free_name

    return free_name(GEOMETRY, columns)


def _geo_metadata(crs: str, geometry: str = GEOMETRY) -> bytes:
    from pyproj import CRS

    return json.dumps(
        {
            "version": "1.0.0",
            "primary_column": geometry,
            "columns": {
                geometry: {
                    "encoding": "WKB",
                    "geometry_types": ["Point"],
                    "crs": CRS.from_user_input(crs).to_json_dict(),
                }
            },
        }
    ).encode()


def write_vector_from_parquet(
    work: str | Path,
    spec: OutputSpec | str | Path,
    *,
    lon_column: str = "lon",
    lat_column: str = "lat",
    kinds: dict[str, str] | None = None,
    on_loss: str = "refuse",
    input_columns=None,
    csv_input: bool = False,
    source=None,
) -> dict[str, object]:
    """Write the table in Parquet file ``work`` as ``spec``, one batch at a time.

    ``kinds`` types text columns (``--types auto``: :func:`infer_parquet_kinds`); ``on_loss``,
    ``input_columns`` and ``csv_input`` as in :func:`geo_heart.io.vector.write_vector` (checked,
    column by column, before writing). ``source``: the input file (or its parts, in order); when
    it is Parquet, the input's columns are written from it, row-aligned, with their own types as
    far as the format holds them (:mod:`geo_heart.io.arrowtypes`; what it cannot hold is a note
    in ``notes`` or, where values would change, a loss under ``on_loss``).

    Returns the same facts as :func:`geo_heart.io.vector.write_vector`: ``path``, ``format``,
    ``crs``, ``features``, ``located`` (and the Shapefile column map).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyogrio

    if not isinstance(spec, OutputSpec):
        spec = check_output(spec)
    work, p = Path(work), spec.path
    columns = pq.read_schema(work).names
    if spec.fmt in ("fgb", "shp", "geojson") and ARROW_FID in columns:
        # GDAL's Arrow writer takes a column of this name as the feature ids (an integer column
        # would vanish, a text one fail): the user's column is written row by row instead
        from geo_heart.io.vector import write_vector

        log.info("a column is named %s: %s written from memory, not streamed", ARROW_FID, p)
        frame = pq.read_table(work).to_pandas()
        return write_vector(
            frame, spec, lon_column=lon_column, lat_column=lat_column, kinds=kinds,
            on_loss=on_loss, input_columns=input_columns, csv_input=csv_input, source=source,
        )  # fmt: skip
    info: dict[str, object] = {"path": str(p), "format": spec.fmt, "crs": spec.crs}
    from geo_heart.io.shapefile import own_columns, plan_fields

    fields = None
    own = own_columns(columns, input_columns) if spec.fmt == "shp" else []
    parts: dict[str, int] = {}
    empty_ok = [c for c in columns if c not in own] if csv_input else []
    found = parquet_losses(work, spec.fmt, skip=(lon_column, lat_column), own=own, parts=parts,
                           empty_ok=empty_ok)  # fmt: skip
    typed = _typed_source(source, work, input_columns, kinds)
    if typed is not None:
        from geo_heart.io.arrowtypes import type_losses

        found += type_losses(typed.paths, typed.schema, spec.fmt)
    losses = enforce(found, p, spec.fmt, on_loss)
    if losses:
        info["losses"] = [str(x) for x in losses]
    notes = _type_notes(typed, work, spec.fmt, kinds)
    if notes:
        info["notes"] = notes
        for note in notes:
            log.info("%s: %s", p, note)
    if spec.fmt == "shp":
        fields = plan_fields(columns, input_columns=input_columns, parts=parts, source=p)
    schema, batches, counts, bounds = _batches(work, spec, lon_column, lat_column, fields, kinds,
                                               typed)  # fmt: skip
    geom_name = schema.names[-1]  # gh_geometry where the table has a geometry column
    try:
        if spec.fmt == "parquet":
            meta_schema = schema.with_metadata({b"geo": _geo_metadata(spec.crs, geom_name)})
            with atomic_write(p) as tmp, pq.ParquetWriter(tmp, meta_schema) as writer:
                for rb in batches:
                    writer.write_batch(rb)
        else:
            driver = FORMATS[spec.fmt][1]
            sidecars = SHAPEFILE_SIDECARS if spec.fmt == "shp" else ()
            reader = pa.RecordBatchReader.from_batches(schema, batches)
            info["layer"] = spec.layer_name
            config = GPKG_RTREE_CONFIG if spec.fmt == "gpkg" else {}
            with atomic_write_set(p, sidecars) as tmp, gdal_config(config):
                pyogrio.write_arrow(
                    reader,
                    tmp,
                    layer=spec.layer_name,
                    driver=driver,
                    geometry_name=geom_name,
                    geometry_type="Point",
                    crs=spec.crs,
                    **ogr_options(spec.fmt, columns=[f.name for f in schema][:-1]),
                )
                if spec.fmt == "shp":
                    _fix_shapefile_extent(tmp, bounds)
        if fields is not None:
            from geo_heart.io.shapefile import write_field_sidecars

            info.update(write_field_sidecars(p, fields), fields=fields,
                        renamed={c: f[0] for c, f in fields.items() if f != [c]})  # fmt: skip
    except Exception as exc:
        raise write_failure(p, exc) from None
    info.update(counts)
    log.info("wrote %s (%s, %d features, streamed)", p, spec.fmt, counts["features"])
    return info
