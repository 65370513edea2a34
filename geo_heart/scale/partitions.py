"""Inputs and partitions for the dask engine: one file, a glob, or a folder of partitions.

A partition is what one task reads and processes. A Parquet file whose row groups are no larger
than a few partitions is read on the workers, a row group at a time (:class:`ParquetPart`); CSV/TSV
text (and Parquet written as one huge row group) is streamed here in partitions of rows with the
local engine's reader, so every cell is read exactly as the local engine reads it.
"""

from __future__ import annotations

import glob
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo_heart.errors import DataSourceError, InputError
from geo_heart.io.tables import iter_table, table_kind

#: Input kinds the dask engine reads (vector layers are read whole by the local engine).
PARTITION_KINDS = ("csv", "tsv", "parquet")


def expand_inputs(spec: str | Path) -> list[Path]:
    """The input files named by ``spec``: a file, a folder of partitions, or a glob, sorted.

    A folder's or glob's files are taken in name order (``part-0``, ``part-1`` …), which is the
    input order of the rows; they must all be CSV/TSV or all Parquet.
    """
    text = str(spec)
    p = Path(text)
    if p.is_dir():
        files = sorted(
            f
            for f in p.iterdir()
            if f.is_file() and f.suffix.lower() in (".csv", ".tsv", ".parquet")
        )
        what = f"folder {text!r}"
    elif glob.has_magic(text):
        files = sorted(Path(f) for f in glob.glob(text) if Path(f).is_file())
        what = f"pattern {text!r}"
    else:
        if not p.exists():
            raise DataSourceError(f"input file {text!r} does not exist")
        return [p]
    if not files:
        raise DataSourceError(f"{what} names no CSV, TSV or Parquet files")
    kinds = {table_kind(f) for f in files}
    if not (kinds <= {"csv", "tsv"} or kinds == {"parquet"}):
        raise InputError(f"{what} mixes {sorted(kinds)} files; give partitions of one format")
    return files


def parse_size(text: str) -> int:
    """Bytes in a size such as ``64MB``, ``1GiB`` or ``500000`` (dask's rules)."""
    from dask.utils import parse_bytes

    try:
        n = int(parse_bytes(text))
    except (ValueError, TypeError):
        raise InputError(f"--blocksize {text!r} is not a size such as 64MB or 1GiB") from None
    if n < 1:
        raise InputError(f"--blocksize {text!r} must be positive")
    return n


def _bytes_per_row(path: Path) -> float:
    """Average stored bytes per row (Parquet metadata; CSV from its first 256 kB)."""
    if table_kind(path) == "parquet":
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        return path.stat().st_size / max(meta.num_rows, 1)
    with open(path, "rb") as f:
        head = f.read(1 << 18)
    lines = head.count(b"\n")
    return len(head) / max(lines, 1)


def rows_per_partition(
    files: list[Path],
    *,
    partitions: int | None = None,
    blocksize: str | int | None = None,
    default_rows: int = 50_000,
) -> int:
    """Rows per partition: ``default_rows``, or from ``blocksize`` bytes, or so that all the
    input makes about ``partitions`` partitions."""
    if partitions is None and blocksize is None:
        return default_rows
    per_row = _bytes_per_row(files[0])
    if blocksize is not None:
        size = parse_size(blocksize) if isinstance(blocksize, str) else int(blocksize)
        return max(1, int(size / per_row))
    total = sum(f.stat().st_size for f in files) / per_row
    return max(1, math.ceil(total / partitions))


@dataclass(frozen=True)
class ParquetPart:
    """Row groups ``row_groups`` of a Parquet file, read by the worker that processes them."""

    path: str
    row_groups: tuple[int, ...]
    first_row: int

    def read(self) -> pd.DataFrame:
        """The rows, as :func:`geo_heart.io.tables.iter_table` reads them (index = row number)."""
        import pyarrow.parquet as pq

        try:
            frame = pq.ParquetFile(self.path).read_row_groups(list(self.row_groups)).to_pandas()
        except Exception as exc:
            if type(exc).__module__.split(".")[0] == "pyarrow":
                raise DataSourceError(f"input file {self.path!r} cannot be read: {exc}") from None
            raise
        frame.index += self.first_row
        return frame

    def read_arrow(self):
        """The rows as the input holds them (a ``pyarrow.Table``: the input's own types)."""
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.path).read_row_groups(list(self.row_groups))


def _parquet_parts(path: Path, rows: int) -> list[ParquetPart] | None:
    """Worker-readable partitions of whole row groups, or None when a row group is too large."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    if not sizes or max(sizes) > 4 * rows:
        return None
    parts, group, first, start = [], [], 0, 0
    for i, n in enumerate(sizes):
        if group and sum(sizes[g] for g in group) + n > rows:
            parts.append(ParquetPart(str(path), tuple(group), first))
            group, first = [], start
        group.append(i)
        start += n
    parts.append(ParquetPart(str(path), tuple(group), first))
    return parts


def iter_partitions(
    files: list[Path], *, rows: int, encoding: str | None = None
) -> Iterator[pd.DataFrame | ParquetPart]:
    """Partitions of ``files`` in input order: frames read here, or :class:`ParquetPart` to be
    read on a worker. Every file must have the first file's columns."""
    header: list[str] | None = None
    for f in files:
        parts = _parquet_parts(f, rows) if table_kind(f) == "parquet" else None
        if parts is not None:
            import pyarrow.parquet as pq

            cols = [str(c) for c in pq.read_schema(f).names if c != "__index_level_0__"]
            header = _same_header(header, cols, f, files[0])
            yield from parts
            continue
        for chunk in iter_table(f, chunk_rows=rows, encoding=encoding):
            header = _same_header(header, [str(c) for c in chunk.columns], f, files[0])
            yield chunk


def _same_header(header, cols, f: Path, first: Path) -> list[str]:
    if header is not None and cols != header:
        raise InputError(
            f"partition {str(f)!r} has columns {cols}, not those of {str(first)!r} ({header})"
        )
    return cols


def materialize(part: pd.DataFrame | ParquetPart) -> pd.DataFrame:
    """The rows of a partition (read on the worker when it is a :class:`ParquetPart`)."""
    return part.read() if isinstance(part, ParquetPart) else part
