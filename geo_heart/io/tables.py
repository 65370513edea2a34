"""Reading and writing user tables (CSV, Parquet, GeoJSON/GeoPackage/Shapefile) at the edges.

CSV files are read with every column as text (``dtype=str``, empty cells stay empty strings) so that
a batch command writes back exactly what it read, plus its own columns.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from geo_heart.errors import DataSourceError, InputError
from geo_heart.io.files import atomic_write, note_input, output_lock

log = logging.getLogger(__name__)

TABLE_SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
GEO_SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".fgb": "FlatGeobuf",
}


def table_kind(path: str | Path) -> str:
    """``"csv"``, ``"tsv"``, ``"parquet"`` or ``"geo"`` from a file name; InputError otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return TABLE_SUFFIXES[suffix]
    if suffix in GEO_SUFFIXES:
        return "geo"
    known = sorted(set(TABLE_SUFFIXES) | set(GEO_SUFFIXES))
    raise InputError(
        f"{str(path)!r}: unsupported file type {suffix or '(none)'!r}; use one of {known}"
    )


#: Byte-order marks and the codec that reads a file starting with them.
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def text_encoding(path: str | Path, encoding: str | None = None) -> str:
    """The codec to read a text table with: ``encoding`` if given, else from its BOM, else UTF-8.

    UTF-8 with or without a BOM and UTF-16 with a BOM are recognised; anything else must be named
    (``--encoding``), because guessing silently rewrites text.
    """
    if encoding:
        import codecs

        try:
            return codecs.lookup(encoding).name
        except LookupError:
            raise InputError(
                f"unknown encoding {encoding!r} (--encoding); e.g. utf-8, cp1252, latin-1, utf-16"
            ) from None
    with open(path, "rb") as f:
        head = f.read(4)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    return "utf-8"


def _decode_error(p: Path, exc: UnicodeDecodeError, codec: str) -> DataSourceError:
    bad = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
    return DataSourceError(
        f"input file {str(p)!r} is not valid {codec} (byte 0x{bad}); "
        "name its encoding with --encoding (e.g. --encoding cp1252 or --encoding latin-1)"
    )


def _check_path(p: Path) -> None:
    note_input(p)  # no command may write over a file it read (io.files.guard_output)
    if not p.exists():
        raise DataSourceError(f"input file {str(p)!r} does not exist")
    if p.is_dir():
        raise DataSourceError(f"input {str(p)!r} is a folder, not a file")
    if not p.is_file():
        # a FIFO, device or socket: it would be read more than once (header, encoding, rows)
        # and hang or give different bytes each time
        raise DataSourceError(
            f"input {str(p)!r} is not a regular file (a pipe, device or socket); save it to a "
            "file first"
        )


def _frame_with_header(raw: pd.DataFrame, header: list[str]) -> pd.DataFrame:
    """Data rows of a ``header=None`` read, labelled with the header exactly as read."""
    raw = raw.fillna("")  # short rows and blank lines: empty cells, as in the file
    raw.columns = pd.Index(header, dtype=object)
    return raw


def _header_of(raw: pd.DataFrame) -> list[str]:
    return ["" if pd.isna(v) else str(v) for v in raw.iloc[0].tolist()]


def _has_nul(p: Path, codec: str) -> bool:
    """True when a (non UTF-16) text file holds a NUL byte: pandas' C parser would end the cell
    there, so such a file is read by the Python parser, which keeps it."""
    if codec.lower().replace("_", "-").startswith("utf-16"):
        return False
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            if b"\x00" in block:
                return True
    return False


def _csv_kwargs(kind: str, codec: str, path: Path | None = None) -> dict:
    extra = {"engine": "python"} if path is not None and _has_nul(path, codec) else {}
    return {
        **extra,
        "header": None,
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "skip_blank_lines": False,
        "sep": "\t" if kind == "tsv" else ",",
        "encoding": codec,
        "encoding_errors": "strict",
    }


def read_parquet(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A Parquet file (or a folder of parts) as a DataFrame, read by its path.

    Use this, never ``pandas.read_parquet``: pandas opens a local file as a Python file object
    and hands it to pyarrow, whose I/O threads then call back into Python; such a process can
    abort at exit, after its work is done ("terminate called without an active exception",
    SIGABRT; apache/arrow#34314): 5 of 140 runs of a one-line ``pandas.read_parquet`` script here,
    42 of 160 with a file object given to pyarrow directly, 0 of 140 read by path
    (tests/io/test_parquet_exit.py).
    """
    import pyarrow.parquet as pq

    return pq.read_table(str(path), columns=columns).to_pandas()


def read_table(
    path: str | Path, *, columns: list[str] | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """Read a CSV/TSV/Parquet table or a vector layer (returned as a GeoDataFrame).

    CSV/TSV: every cell is text, blank lines are rows of empty cells, and the header is kept
    exactly as read (an empty name stays empty, duplicate names stay duplicate) so that a batch
    command writes back what it read. UTF-8 (with or without BOM) and UTF-16 (BOM) are detected;
    other encodings must be named with ``encoding``.

    Raises
    ------
    DataSourceError
        If the file is missing, empty, not in the expected encoding or cannot be parsed.
    """
    p = Path(path)
    _check_path(p)
    kind = table_kind(p)
    try:
        if kind in ("csv", "tsv"):
            codec = text_encoding(p, encoding)
            try:
                if columns is not None:
                    # only the named columns are parsed (a 125k-row table: 3-5x faster)
                    head = pd.read_csv(p, nrows=1, **_csv_kwargs(kind, codec, p))
                    header = _header_of(head)
                    require_columns(pd.DataFrame(columns=header), {c: c for c in columns}, p)
                    pos = sorted({header.index(c) for c in columns})
                    raw = pd.read_csv(p, usecols=pos, **_csv_kwargs(kind, codec, p))
                    df = _frame_with_header(
                        raw.iloc[1:].reset_index(drop=True), [header[i] for i in pos]
                    )
                    return df[columns]
                raw = pd.read_csv(p, **_csv_kwargs(kind, codec, p))
            except UnicodeDecodeError as exc:
                raise _decode_error(p, exc, codec) from None
            return _frame_with_header(raw.iloc[1:].reset_index(drop=True), _header_of(raw))
        if kind == "parquet":
            return read_parquet(p, columns=columns)
        import geopandas as gpd

        return gpd.read_file(p, columns=columns)
    except pd.errors.EmptyDataError:
        raise DataSourceError(f"input file {str(p)!r} is empty") from None
    except pd.errors.ParserError as exc:
        raise DataSourceError(f"input file {str(p)!r} cannot be parsed as {kind}: {exc}") from None
    except UnicodeError as exc:
        raise DataSourceError(f"input file {str(p)!r} cannot be decoded: {exc}") from None
    except ValueError as exc:  # e.g. columns naming a missing column
        if isinstance(exc, InputError):
            raise
        raise DataSourceError(f"input file {str(p)!r}: {exc}") from None
    except OSError as exc:
        if isinstance(exc, DataSourceError):
            raise
        raise DataSourceError(f"input file {str(p)!r} cannot be read: {exc}") from None
    except Exception as exc:  # pyogrio / pyarrow errors carry their own types
        if type(exc).__module__.split(".")[0] in ("pyogrio", "pyarrow"):
            raise DataSourceError(f"input file {str(p)!r} cannot be read: {exc}") from None
        raise


def read_columns(path: str | Path, columns: list[str]) -> pd.DataFrame | None:
    """Some columns of a CSV/TSV as text (as :func:`read_table` reads them), or None when the
    file has not got them.

    pyarrow's reader first (3-5x faster than pandas' on a 125k-row table; a blank line, a ragged
    row or any other trouble sends the file to :func:`read_table` instead).
    """
    path = Path(path)
    columns = list(dict.fromkeys(columns))
    try:
        return _csv_columns_arrow(path, columns).to_pandas()[columns]
    except Exception:  # noqa: BLE001 - any trouble: the reader the rest of the toolkit uses
        try:
            return read_table(path, columns=columns)
        except InputError:
            return None


def read_columns_arrow(path: str | Path, columns: list[str]):
    """:func:`read_columns`' pyarrow table (string columns, in ``columns``' order) before its
    conversion to pandas, or None on any trouble (then use :func:`read_columns`, which falls
    back to :func:`read_table`). For a caller that works on the columns in pyarrow."""
    columns = list(dict.fromkeys(columns))
    try:
        return _csv_columns_arrow(Path(path), columns).select(columns)
    except Exception:  # noqa: BLE001 - any trouble: the caller reads with read_columns
        return None


def _csv_columns_arrow(path: Path, columns: list[str]):
    import pyarrow.csv as pacsv

    codec = text_encoding(path, None)
    if _has_nul(path, codec):
        raise ValueError("NUL bytes: read_table's reader keeps them as read")
    # one thread: a few columns of a table this size parse in well under a second, and a fresh
    # process would first start pyarrow's thread pool (slower than the parse on a busy machine)
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=codec, use_threads=False),
        parse_options=pacsv.ParseOptions(
            delimiter="\t" if table_kind(path) == "tsv" else ",", ignore_empty_lines=False
        ),
        convert_options=pacsv.ConvertOptions(
            include_columns=columns,
            column_types=dict.fromkeys(columns, "string"),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _iter_text_table(p: Path, kind: str, codec: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """CSV/TSV rows in chunks, read with the standard library's ``csv`` reader.

    Rows come out as :func:`read_table` reads them (every cell text; a short row or a blank line
    gives empty cells; a row with more fields than the header is an error naming its line), but
    the file is read once, row by row: pandas' chunked C reader re-infers the field count at a
    chunk that starts with a blank line and fails, or silently drops a longer row's extra
    fields.
    """
    with open(p, newline="", encoding=codec, errors="strict") as fh:
        reader = csv.reader(fh, delimiter="\t" if kind == "tsv" else ",")
        header = next(reader, None)
        if header is None:
            raise DataSourceError(f"input file {str(p)!r} is empty")
        width = len(header)
        columns = pd.Index(header, dtype=object)
        start = 0
        rows: list[list[str]] = []

        def frame() -> pd.DataFrame:
            out = pd.DataFrame(rows, columns=columns, dtype=object) if rows else (
                pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
            )
            out.columns = columns
            out.index = pd.RangeIndex(start, start + len(rows))
            return out

        for row in reader:
            n = len(row)
            if n < width:
                row = row + [""] * (width - n)
            elif n > width:
                raise DataSourceError(
                    f"input file {str(p)!r} cannot be parsed as {kind}: line "
                    f"{reader.line_num} has {n} fields, the header {width}"
                )
            rows.append(row)
            if len(rows) >= chunk_rows:
                yield frame()
                start += len(rows)
                rows = []
        if rows or start == 0:
            yield frame()


def iter_table(
    path: str | Path, *, chunk_rows: int, encoding: str | None = None
) -> Iterator[pd.DataFrame]:
    """Read a table in chunks of ``chunk_rows`` rows (CSV/TSV streamed, Parquet by row groups).

    Each chunk is read exactly as :func:`read_table` would read those rows; the chunks' index
    counts rows from 0 across the file. Memory stays bounded by the chunk size for CSV, TSV and
    Parquet; vector layers are read whole.
    """
    p = Path(path)
    _check_path(p)
    kind = table_kind(p)
    if kind in ("csv", "tsv"):
        codec = text_encoding(p, encoding)
        try:
            yield from _iter_text_table(p, kind, codec, chunk_rows)
        except UnicodeDecodeError as exc:
            raise _decode_error(p, exc, codec) from None
        except csv.Error as exc:
            raise DataSourceError(f"input file {str(p)!r} cannot be parsed as {kind}: {exc}") from None
        return
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(p, pre_buffer=False)  # read-ahead grows with the file
            start = 0
            batches = pf.iter_batches(batch_size=chunk_rows)
            first = True
            for batch in batches:
                out = batch.to_pandas()
                out.index += start
                start += len(out)
                first = False
                yield out
            if first:
                yield pf.schema_arrow.empty_table().to_pandas()
        except Exception as exc:
            if type(exc).__module__.split(".")[0] == "pyarrow":
                raise DataSourceError(f"input file {str(p)!r} cannot be read: {exc}") from None
            raise
        return
    df = read_table(p)
    for i in range(0, max(len(df), 1), chunk_rows):
        yield df.iloc[i : i + chunk_rows]


def read_header(path: str | Path, *, encoding: str | None = None) -> list[str]:
    """A table's column names exactly as :func:`read_table` would label them, reading little.

    CSV/TSV: the first line; Parquet: the schema; a vector layer: its fields (and geometry).
    """
    p = Path(path)
    _check_path(p)
    kind = table_kind(p)
    if kind in ("csv", "tsv"):
        return [str(c) for c in next(iter(iter_table(p, chunk_rows=1, encoding=encoding))).columns]
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            return [str(n) for n in pq.read_schema(p).names]
        import pyogrio

        info = pyogrio.read_info(p)
        return [str(f) for f in info["fields"]] + (
            ["geometry"] if info.get("geometry_type") else []
        )
    except Exception as exc:
        if isinstance(exc, (DataSourceError, InputError)):
            raise
        raise DataSourceError(f"input file {str(p)!r} cannot be read: {exc}") from None


#: output kinds that store a column by its name, so two columns may not share one
_NAMED_KINDS = {"parquet": "Parquet", "geo": "a vector layer"}


def refuse_duplicate_names(columns, *, fmt: str, source: str | Path) -> None:
    """InputError, before any work, when INPUT's header repeats a name the output cannot repeat.

    CSV and TSV outputs write the header back exactly as read, so repeated names are fine there;
    Parquet, GeoPackage, Shapefile, FlatGeobuf and GeoJSON address a column by its name.
    ``fmt`` is a :func:`table_kind` or an output format name (``gpkg``, ``shp`` …).
    """
    if fmt in ("csv", "tsv"):
        return
    names = list(map(str, columns))
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        shown = ", ".join("(empty)" if c == "" else repr(c) for c in dup)
        what = _NAMED_KINDS.get(fmt, fmt)
        raise InputError(
            f"input file {str(source)!r}: column names {shown} appear more than once in its "
            f"header, which {what} output cannot store; rename them or write CSV"
        )


def count_rows(path: str | Path, *, encoding: str | None = None) -> int | None:
    """Number of data rows of a Parquet file (from its metadata); None for other formats."""
    if table_kind(path) == "parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception:
            return None
    return None


def require_columns(df: pd.DataFrame, columns: dict[str, str | None], source: str | Path) -> None:
    """Raise InputError if a configured column is missing, naming option, column and file."""
    names = list(map(str, df.columns))
    for option, col in columns.items():
        if col is not None and names.count(col) > 1:
            raise InputError(
                f"{str(source)!r} has {names.count(col)} columns named {col!r} (set with "
                f"{option}); the column to use must have a unique name"
            )
        if col is not None and col not in df.columns:
            raise InputError(
                f"{str(source)!r} has no column {col!r} (set with {option}); "
                f"columns are: {list(map(str, df.columns))}"
            )


def join_parquet_parts(
    paths: list[Path], header: list[str], outp: Path, *, source=None, input_columns=None
) -> list[str]:
    """Stream Parquet part files into OUTPUT (one part in memory at a time), atomically.

    The parts hold the same columns (named anything; ``header`` gives the output's names, which
    may repeat in CSV/TSV). CSV/TSV and Parquet outputs are written part by part; a vector
    output is written whole (:mod:`geo_heart.io.vector_stream` streams those instead).
    ``source``: the input file(s); a CSV/TSV output takes a Parquet input's ``input_columns``
    (default: the header's names the input holds) from it, row-aligned, in their text forms
    (:func:`geo_heart.io.arrowtypes.csv_frame`: binary as hexadecimal, dates ISO 8601, lists
    JSON). Returns the notes of what was written in another form.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    kind = table_kind(outp)
    if kind == "geo":  # vector outputs are written whole
        full = pd.concat([read_parquet(p) for p in paths], ignore_index=True)
        full.columns = pd.Index(header, dtype=object)
        write_table(full, outp)
        return []
    schemas = [pq.read_schema(p) for p in paths]
    schema = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    with atomic_write(outp) as tmp:
        if kind == "parquet":
            _check_unique_columns(pd.DataFrame(columns=header), outp)
            out_schema = pa.schema(
                [pa.field(name, f.type) for name, f in zip(header, schema, strict=True)]
            )
            with pq.ParquetWriter(tmp, out_schema) as writer:
                for p in paths:
                    t = pq.read_table(p).replace_schema_metadata(None).cast(schema)
                    writer.write_table(t.rename_columns(header).cast(out_schema))
            return []
        sep = "\t" if kind == "tsv" else ","
        from geo_heart.io.arrowtypes import csv_frame

        src = _source_columns(source, header, input_columns, paths)
        notes: list[str] = []
        # a bare CR in a cell is only quoted when CR is part of the line ending
        eol = "\r\n" if any(_has_cr(p) for p in paths) or any("\r" in h for h in header) else "\n"
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            for i, p in enumerate(paths):
                table = pq.read_table(p)
                if src is not None:  # the input's own values (an int with nulls stays an int)
                    given = src.take(table.num_rows)
                    for j, name in enumerate(header):
                        if name in src.columns:
                            table = table.set_column(j, table.column_names[j], given[name])
                frame, found = csv_frame(table.rename_columns([f"c{j}" for j in range(len(header))]))
                notes += [n for n in (_named(x, header) for x in found) if n not in notes]
                frame.columns = pd.Index(header, dtype=object)
                frame.to_csv(f, index=False, header=i == 0, sep=sep, lineterminator=eol)
        return notes
    return []


def _named(note: str, header: list[str]) -> str:
    """A :func:`geo_heart.io.arrowtypes.csv_frame` note about part column ``cN``, with its name."""
    import re

    m = re.match(r"column 'c(\d+)': ", note)
    return f"column {header[int(m.group(1))]!r}: {note[m.end():]}" if m else note


def _source_columns(source, header, input_columns, paths):
    """:class:`geo_heart.io.arrowtypes.SourceColumns` of a Parquet input, or None."""
    import pyarrow.parquet as pq

    from geo_heart.io.arrowtypes import SourceColumns, parquet_source

    if source is None:
        return None
    wanted = [c for c in (input_columns or header) if header.count(c) == 1]
    schema = parquet_source(source, wanted)
    if schema is None:
        return None
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    src = SourceColumns(source, schema.names, rows=rows)
    return src if src.ok else None


def _has_cr(path: Path) -> bool:
    """True when a text column of a part file holds a carriage return."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    cols = [
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    if not cols:
        return False
    table = pq.read_table(path, columns=cols)
    return any(pc.any(pc.match_substring(table[c], "\r")).as_py() for c in cols)


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table in the format its suffix names.

    Atomically (a temp file unique to this run, then a rename) and under the output's advisory
    lock (a concurrent run writing the same file is refused). Errors are one line naming the file.
    """
    p = Path(path)
    kind = table_kind(p)
    if kind == "geo":
        import geopandas as gpd

        from geo_heart.io.ogr import writable, write_ogr
        from geo_heart.io.textloss import enforce, text_losses

        if not isinstance(df, gpd.GeoDataFrame):
            raise InputError(f"{str(p)!r}: a vector output needs geometries; write CSV or Parquet")
        _check_unique_columns(df, p)
        fmt = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".fgb": "fgb",
               ".shp": "shp"}.get(p.suffix.lower(), "gpkg")  # fmt: skip
        out = writable(df)
        enforce(text_losses(out, fmt, skip=(out.geometry.name,)), p, fmt)
        with output_lock(p):
            try:
                write_ogr(out, p, fmt)
            except OSError:
                raise
            except Exception as exc:
                if type(exc).__module__.split(".")[0] in ("pyogrio", "pyarrow"):
                    raise DataSourceError(f"cannot write {str(p)!r} as {fmt}: {exc}") from None
                raise
        return p
    with output_lock(p), atomic_write(p) as tmp:
        try:
            if kind in ("csv", "tsv"):
                df.to_csv(
                    tmp, index=False, sep="\t" if kind == "tsv" else ",", lineterminator=_eol(df)
                )
            elif kind == "parquet":
                _check_unique_columns(df, p)
                _writable(df).to_parquet(tmp, index=False)
        except OSError:
            raise
        except (ValueError, TypeError) as exc:
            if isinstance(exc, InputError):
                raise
            raise DataSourceError(f"cannot write {str(p)!r} as {kind}: {exc}") from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("pyogrio", "pyarrow"):
                raise DataSourceError(f"cannot write {str(p)!r} as {kind}: {exc}") from None
            raise
    return p


def _eol(df: pd.DataFrame) -> str:
    """``\\r\\n`` when a text cell or name holds a bare CR (so that it gets quoted), else ``\\n``."""
    for i, col in enumerate(df.columns):
        if "\r" in str(col):
            return "\r\n"
        s = df.iloc[:, i]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            if s.astype(str).str.contains("\r", regex=False).any():
                return "\r\n"
    return "\n"


def _check_unique_columns(df: pd.DataFrame, p: Path) -> None:
    cols = list(map(str, df.columns))
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise InputError(
            f"{str(p)!r}: column names {dup} appear more than once, which this format cannot "
            "store; write CSV or rename them"
        )


def _writable(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed values become text so Parquet/OGR can store them."""
    out = df.copy()
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", None):
            continue
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None else str(v))
    return out
