"""A typed input's columns in each output format: kept where the format holds the type, else
written in a documented text form and said in the run's summary; never changed silently.

A batch run's work file is written from pandas frames, which change some Arrow types (an
integer column with nulls becomes float, a decimal or a list becomes Python objects, a
dictionary's index type may change). When the input is a Parquet file, the writers therefore
take the user's columns from the input itself, row-aligned with the work file
(:class:`SourceColumns`: one output row per input row, in input order), and fit each to the
output format (:func:`fit_type`, :func:`fit_array`):

=================== ============ ================ ============ ============ ==============
input type          GeoParquet   GeoPackage       FlatGeobuf   GeoJSON      Shapefile
=================== ============ ================ ============ ============ ==============
binary              kept         BLOB             binary       hex text     hex text
date                kept         date             date [1]_    date         date
timestamp           kept         date-time [2]_   date-time    date-time    ISO 8601 text
timestamp + zone    kept         UTC [3]_         UTC [3]_     UTC [3]_     ISO 8601 text
decimal             kept         real [4]_        real [4]_    real [4]_    real [4]_
dictionary          kept         its values       its values   its values   its values
list, struct, map   kept         JSON text        JSON text    JSON text    JSON text
time of day         kept         ISO 8601 text    ISO text     ISO text     ISO text
=================== ============ ================ ============ ============ ==============

.. [1] GDAL reads a FlatGeobuf date back as a date-time at midnight.
.. [2] GDAL keeps milliseconds: finer parts are a loss (``--on-loss``); a GeoPackage reader
   takes a date-time without a zone as UTC (GeoPackage's rule).
.. [3] The same instants in UTC: GDAL's writer keeps a fixed offset or UTC, not a zone name
   such as ``America/New_York`` (a note; the instant is recoverable).
.. [4] Real numbers when the decimal has at most 15 digits (every value comes back rounding to
   its scale); exact text otherwise.

CSV and TSV have only text: binary is hexadecimal (:data:`HEX`), dates and date-times are ISO
8601 (with the offset of a zone-aware column, in its zone), lists/structs/maps are JSON, decimals
their exact digits. A change that keeps every value recoverable is a note in the summary
(``notes``); one that does not is a :class:`geo_heart.io.textloss.Loss` (refused or warned by
``--on-loss``).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from geo_heart.io.textloss import DBF_TEXT_BYTES, Loss

log = logging.getLogger(__name__)

#: the text form of binary values (CSV/TSV, GeoJSON, Shapefile): as GDAL writes a BLOB as text
HEX = "hexadecimal text (two upper-case digits per byte, no prefix)"
#: formats written through GDAL
OGR = ("gpkg", "fgb", "shp", "geojson")
#: formats that hold binary values
BINARY_OK = ("parquet", "gpkg", "fgb")
#: digits a double holds exactly (a decimal of at most this many digits survives as a real)
REAL_DIGITS = 15
_FIXED_ZONE = re.compile(r"^(UTC|Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)


def _pa():
    import pyarrow as pa

    return pa


def _nested(t) -> bool:
    pa = _pa()
    return (
        pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
        or pa.types.is_struct(t) or pa.types.is_map(t)
        or getattr(pa.types, "is_list_view", lambda _t: False)(t)
    )  # fmt: skip


def _binary(t) -> bool:
    pa = _pa()
    return pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)


def _text_type(t) -> bool:
    pa = _pa()
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def fit_type(t, fmt: str):
    """The Arrow type a column of type ``t`` is written as in ``fmt``, and a note (None when the
    type is kept, or held as the same values under a wider type of its kind)."""
    pa = _pa()
    if fmt == "parquet":
        return t, None
    if pa.types.is_dictionary(t):
        inner, note = fit_type(t.value_type, fmt)
        return inner, note or "categorical: written as its values"
    if _text_type(t):
        return pa.string(), None
    if pa.types.is_null(t):
        return pa.string(), None
    if pa.types.is_boolean(t) or pa.types.is_floating(t) and t != pa.float16():
        return t, None
    if t == pa.float16():
        return pa.float32(), None
    if pa.types.is_integer(t):
        if t == pa.uint64():
            return pa.string(), "unsigned 64-bit integers: written as their digits (text)"
        return t, None
    if _binary(t):
        if fmt in BINARY_OK:
            return pa.binary(), None
        return pa.string(), f"binary: written as {HEX}"
    if pa.types.is_date(t):
        if fmt in OGR:
            return pa.date32(), None
        return pa.string(), "dates: written as ISO 8601 text (YYYY-MM-DD)"
    if pa.types.is_timestamp(t):
        if fmt == "shp" or fmt not in OGR:
            return pa.string(), "date-times: written as ISO 8601 text" + (
                f" with the offset in {t.tz}" if t.tz else ""
            )
        if t.tz and not _FIXED_ZONE.match(t.tz):
            return pa.timestamp(t.unit, tz="UTC"), (
                f"date-times in {t.tz}: written in UTC (the same instants; the zone name is "
                "not kept)"
            )
        return t, None
    if pa.types.is_decimal(t):
        if t.precision <= REAL_DIGITS:
            return pa.float64(), (
                f"decimal({t.precision}, {t.scale}): written as real numbers (each comes back "
                f"rounding to {t.scale} decimals)"
            )
        return pa.string(), f"decimal({t.precision}, {t.scale}): written as its exact digits (text)"
    if _nested(t):
        return pa.string(), "lists/structs: written as JSON text"
    if pa.types.is_time(t):
        return pa.string(), "times of day: written as ISO 8601 text"
    return pa.string(), f"{t}: written as text"


def _hex(arr):
    pa = _pa()
    return pa.array(
        [None if v is None else v.hex().upper() for v in arr.to_pylist()], type=pa.string()
    )


def _json_default(v):
    if isinstance(v, bytes | bytearray):
        return v.hex().upper()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _json(arr):
    pa = _pa()
    return pa.array(
        [None if v is None else json.dumps(v, default=_json_default, ensure_ascii=False)
         for v in arr.to_pylist()],
        type=pa.string(),
    )  # fmt: skip


def iso_text(arr):
    """Dates, date-times (with the offset of a zone-aware column, in its zone) and times as
    ISO 8601 text."""
    import pyarrow.compute as pc

    pa = _pa()
    t = arr.type
    if pa.types.is_timestamp(t):
        text = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S" + ("%Ez" if t.tz else ""))
        # a fraction of zeros says nothing: 03:04:05.000000 -> 03:04:05
        return pc.replace_substring_regex(text, pattern=r"\.0+($|[+-])", replacement=r"\1")
    if pa.types.is_date(t):
        return pc.strftime(arr.cast(pa.date32()), format="%Y-%m-%d")
    return arr.cast(pa.string())


def text_form(arr):
    """One column as its documented text form (a string array)."""
    pa = _pa()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        return text_form(arr.dictionary_decode())
    if _text_type(t):
        return arr.cast(pa.string())
    if _binary(t):
        return _hex(arr)
    if pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t):
        return iso_text(arr)
    if _nested(t):
        return _json(arr)
    try:
        return arr.cast(pa.string())
    except Exception:  # noqa: BLE001 - a type without a cast: its Python text
        return pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string())


def fit_array(arr, fmt: str):
    """``arr`` converted to :func:`fit_type`'s type for ``fmt``."""
    pa = _pa()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    target, _note = fit_type(arr.type, fmt)
    if arr.type == target:
        return arr
    if pa.types.is_dictionary(arr.type):
        return fit_array(arr.dictionary_decode(), fmt)
    if pa.types.is_string(target):
        return text_form(arr)
    if pa.types.is_decimal(arr.type):  # through its digits: the nearest double (Arrow's own
        # decimal-to-double cast gives 4.5600000000000005 for 4.56)
        return arr.cast(pa.string()).cast(target)
    return arr.cast(target)


def fit_notes(schema, fmt: str, columns=None) -> list[str]:
    """One note per column of ``schema`` (``columns`` of it) that ``fmt`` writes in another form."""
    out = []
    for f in schema:
        if columns is not None and f.name not in columns:
            continue
        _t, note = fit_type(f.type, fmt)
        if note:
            out.append(f"column {f.name!r}: {note}")
    return out


# ------------------------------------------------------------------------ the input's columns
def parquet_source(path, columns):
    """The input's Arrow schema of ``columns`` when ``path`` is a Parquet file (or a list of
    them, in order) holding them all, else None (a CSV's cells are text already)."""
    import pyarrow.parquet as pq

    paths = [Path(p) for p in (path if isinstance(path, list | tuple) else [path])]
    if not paths or any(p.suffix.lower() not in (".parquet", ".pq") or not p.is_file()
                        for p in paths):  # fmt: skip
        return None
    try:
        schema = pq.read_schema(paths[0]).remove_metadata()
    except Exception:  # noqa: BLE001 - not readable here: the work file's types are used
        return None
    names = [c for c in columns if c in schema.names]
    if not names or len(set(schema.names)) != len(schema.names):
        return None
    return pa_schema_of(schema, names)


def pa_schema_of(schema, names):
    pa = _pa()
    return pa.schema([schema.field(n) for n in names])


class SourceColumns:
    """The input Parquet file's columns, read in slices aligned with the work file's batches.

    Parameters
    ----------
    path
        The input Parquet file, or a list of them (read in order).
    columns
        The input columns to read.
    rows
        The work file's row count: the input must have as many (else :attr:`ok` is False and
        nothing is taken from the input); None: not checked.
    """

    def __init__(self, path, columns, rows: int | None, batch_rows: int = 50_000) -> None:
        import pyarrow.parquet as pq

        self.paths = [Path(p) for p in (path if isinstance(path, list | tuple) else [path])]
        self.columns = list(columns)
        self.schema = pa_schema_of(pq.read_schema(self.paths[0]).remove_metadata(), self.columns)
        self.batch_rows = batch_rows
        n = sum(pq.ParquetFile(p).metadata.num_rows for p in self.paths)
        self.ok = rows is None or n == rows
        if not self.ok:
            log.warning("input %s has %d rows, the results %d: columns written as computed",
                        self.paths[0], n, rows)  # fmt: skip
        self._batches = self._read()
        self._buf = None

    def _read(self):
        import pyarrow.parquet as pq

        for p in self.paths:
            pf = pq.ParquetFile(p, pre_buffer=False)
            yield from pf.iter_batches(batch_size=self.batch_rows, columns=self.columns)

    def take(self, n: int):
        """The next ``n`` rows of the input's columns (a ``pyarrow.Table``)."""
        pa = _pa()
        while self._buf is None or self._buf.num_rows < n:
            rb = next(self._batches, None)
            if rb is None:
                raise ValueError("the input has fewer rows than the results")
            t = pa.Table.from_batches([rb])
            self._buf = t if self._buf is None else pa.concat_tables([self._buf, t])
        out, self._buf = self._buf.slice(0, n), self._buf.slice(n)
        return out.combine_chunks()

    def iter_tables(self):
        """Every slice as read (for a whole-input pass)."""
        pa = _pa()
        for rb in self._read():
            yield pa.Table.from_batches([rb])


def type_losses(path, schema, fmt: str) -> list[Loss]:
    """What ``fmt`` would lose of the input's typed columns: date-time parts finer than GDAL's
    milliseconds (GeoPackage, FlatGeobuf, GeoJSON); in a Shapefile, text forms longer than 254
    bytes (cut) or empty (read back as null)."""
    import pyarrow.compute as pc

    pa = _pa()
    if fmt not in OGR:
        return []
    fine = [f.name for f in schema if pa.types.is_timestamp(f.type) and f.type.unit in ("us", "ns")
            and fmt != "shp"]  # fmt: skip
    texts = [f.name for f in schema if fmt == "shp" and not _text_type(f.type)
             and pa.types.is_string(fit_type(f.type, fmt)[0])]  # fmt: skip
    if not fine and not texts:
        return []
    counts = {(c, k): 0 for c in fine for k in ("fine",)}
    counts.update({(c, k): 0 for c in texts for k in ("long", "empty")})
    src = SourceColumns(path, [*fine, *texts], rows=None)
    for t in src.iter_tables():
        for c in fine:
            col = t[c].combine_chunks()
            ms = col.cast(pa.timestamp("ms", tz=col.type.tz), safe=False)
            counts[(c, "fine")] += int(pc.sum(pc.not_equal(ms.cast(col.type), col)).as_py() or 0)
        for c in texts:
            text = text_form(t[c])
            long = pc.greater(pc.binary_length(text), DBF_TEXT_BYTES)
            counts[(c, "long")] += int(pc.sum(long).as_py() or 0)
            counts[(c, "empty")] += int(pc.sum(pc.equal(text, "")).as_py() or 0)
    what = {"fine": "date-times finer than a millisecond (rounded to milliseconds)",
            "long": f"values whose text form is longer than {DBF_TEXT_BYTES} bytes (cut)",
            "empty": "empty values (read back as null)"}  # fmt: skip
    return [Loss(c, what[k], n) for (c, k), n in counts.items() if n]


def csv_frame(table):
    """A pandas frame of ``table`` for a CSV/TSV writer: typed columns in their text forms,
    integers with nulls as integers (never ``1.0``)."""
    import pandas as pd

    pa = _pa()
    cols, notes = [], []
    for name, col in zip(table.column_names, table.columns, strict=True):
        t = col.type
        simple = (_text_type(t) or pa.types.is_boolean(t) or pa.types.is_floating(t)
                  or pa.types.is_integer(t) or pa.types.is_null(t))  # fmt: skip
        if not simple:
            _t, note = fit_type(t, "csv")
            if note and (_binary(t) or _nested(t)):  # other types' text is their usual text
                notes.append(f"column {name!r}: {note}")
            col = text_form(col)
        cols.append(col)
    mapping = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
               pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(),
               pa.uint16(): pd.UInt16Dtype(), pa.uint32(): pd.UInt32Dtype(),
               pa.uint64(): pd.UInt64Dtype()}  # fmt: skip
    t = pa.Table.from_arrays(cols, names=[f"c{i}" for i in range(len(cols))])
    frame = t.to_pandas(types_mapper=mapping.get)
    frame.columns = pd.Index(table.column_names, dtype=object)
    return frame, notes


def _simple(t) -> bool:
    pa = _pa()
    return (_text_type(t) or pa.types.is_boolean(t) or pa.types.is_floating(t)
            or pa.types.is_integer(t) or pa.types.is_null(t))  # fmt: skip


def read_source(source, columns, rows: int):
    """A Parquet input's ``columns`` (those it holds) as a ``pyarrow.Table``, or None when the
    input is not Parquet or has not got ``rows`` rows (for a table held in memory)."""
    import pyarrow.parquet as pq

    schema = parquet_source(source, list(map(str, columns)))
    if schema is None:
        return None
    paths = source if isinstance(source, list | tuple) else [source]
    table = _pa().concat_tables([pq.read_table(p, columns=schema.names) for p in paths])
    if table.num_rows != rows:
        log.warning("input %s has %d rows, the results %d: columns written as computed",
                    paths[0], table.num_rows, rows)  # fmt: skip
        return None
    return table.replace_schema_metadata(None)


def with_source_columns(frame, table, fmt: str, *, arrow: bool = True):
    """``frame`` with ``table``'s columns (the input's, row-aligned) fitted to ``fmt`` as pandas
    Arrow-backed columns (their Arrow types reach the writer; GDAL formats need pyogrio's
    ``use_arrow``), or, ``arrow=False``, as plain pandas columns (for GDAL's row writer: give
    ``fmt="text"``, so that only text, numbers and booleans remain). Outside GeoParquet a text
    column keeps the frame's values (the same text, so that the text-loss checks see it)."""
    import pandas as pd

    pa = _pa()
    out = frame.copy()
    for name in table.column_names:
        t = table.schema.field(name).type
        if fmt != "parquet" and _text_type(t) or not arrow and _simple(t):
            continue
        arr = fit_array(table[name], fmt)
        if not arrow:  # a text form, or real numbers (a decimal)
            out[name] = pd.Series(arr.to_pandas().to_numpy(), index=out.index)
            continue
        out[name] = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([arr])),
                              index=out.index)  # fmt: skip
    return out


def csv_ready(frame):
    """``frame`` for a CSV/TSV writer, and notes: Arrow-backed columns of other than text,
    numbers and booleans in their text forms, ``bytes`` values as hexadecimal (never a Python
    ``b'...'`` repr), date-times ISO 8601."""
    import pandas as pd

    pa = _pa()
    cols, notes = [], []
    for i in range(frame.shape[1]):
        s = frame.iloc[:, i]
        name = frame.columns[i]
        if isinstance(s.dtype, pd.ArrowDtype) and not _simple(s.dtype.pyarrow_dtype):
            t = s.dtype.pyarrow_dtype
            if _binary(t) or _nested(t):
                notes.append(f"column {name!r}: {fit_type(t, 'csv')[1]}")
            s = pd.Series(text_form(pa.array(s.array)).to_pylist(), index=s.index, dtype=object)
        elif s.dtype == object and s.map(lambda v: isinstance(v, bytes | bytearray)).any():
            notes.append(f"column {name!r}: binary: written as {HEX}")
            s = s.map(lambda v: v.hex().upper() if isinstance(v, bytes | bytearray) else v)
        elif isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s):
            s = pd.Series(iso_text(pa.array(s)).to_pylist(), index=s.index, dtype=object)
        cols.append(s.rename(i))
    if not cols:
        return frame, notes
    out = pd.concat(cols, axis=1)
    out.columns = frame.columns
    return out, notes
