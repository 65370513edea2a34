"""``geocode`` and ``assign`` on a dask cluster: one output file, or a partitioned GeoParquet dataset.

Each partition runs the local engine's unit of work (:func:`geo_heart.geocode.batch.geocode_chunk`,
:func:`geo_heart.geo.assign.assign_chunk`) on a worker against the area shipped once. With one
output file the results come back here in input order and are written as the local engine writes
them (part files joined, then streamed into the format); with an output folder every worker writes
its own partitions as ``part-NNNNNN.parquet`` (GeoParquet, numbered in input order, readable with
``dask_geopandas.read_parquet`` or ``geopandas.read_parquet``) and only the counts come back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geo_heart.errors import DataSourceError, InputError
from geo_heart.io.vector import OutputSpec, check_crs, check_output
from geo_heart.scale.partitions import (
    expand_inputs,
    iter_partitions,
    materialize,
    rows_per_partition,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetTarget:
    """An output folder: a GeoParquet dataset of one file per partition, in input order."""

    path: Path
    crs: str = "EPSG:4326"
    fmt: str = "parquet dataset"


def check_output_target(
    input_path: str | Path,
    output_path: str | Path,
    *,
    fmt: str | None = None,
    crs: str | None = None,
) -> OutputSpec | DatasetTarget:
    """Check an output before any work: a folder (existing, or named with a trailing ``/``) is a
    partitioned GeoParquet dataset; anything else is checked as the local engine checks it."""
    from geo_heart.io.files import refuse_same_file

    text = str(output_path)
    p = Path(text)
    files = expand_inputs(input_path)
    if p.is_dir() or text.endswith(("/", "\\")):
        if fmt not in (None, "parquet"):
            raise InputError(
                f"output {text!r} is a folder: a GeoParquet dataset, not --format {fmt}"
            )
        for f in files:
            if p.resolve() in f.resolve().parents:
                raise InputError(f"output folder {text!r} holds the input {str(f)!r}")
        if p.is_dir() and any(p.iterdir()):
            raise InputError(f"output folder {text!r} is not empty; give a new or empty folder")
        if not p.parent.is_dir():
            raise InputError(f"output folder {str(p.parent)!r} does not exist; create it first")
        return DatasetTarget(p, check_crs(crs))
    for f in files:
        refuse_same_file(f, p)
    return check_output(p, fmt=fmt, crs=crs)


@contextmanager
def dask_executor(
    ws,
    *,
    needs: Iterable[str],
    scheduler: str | None = None,
    workers: int | None = None,
    processes: bool = True,
) -> Iterator[Any]:
    """A :class:`~geo_heart.scale.cluster.DaskExecutor` on a started or named cluster."""
    from geo_heart.scale.cluster import DaskExecutor, dask_client

    with dask_client(scheduler, workers=workers, processes=processes) as client:
        ex = DaskExecutor(client, ws, needs=needs)
        try:
            yield ex
        finally:
            ex.close()


# ----------------------------------------------------------------------------- per-partition tasks
def _geocode_part(area, chunk: pd.DataFrame, **options) -> tuple[pd.DataFrame, dict]:
    from geo_heart.geocode.batch import geocode_chunk, result_column_names, summarize

    out = geocode_chunk(area, chunk, census=True, **options)
    return out, summarize(out, result_column_names(chunk.columns, source=options["source"]))


def _assign_part(area, chunk: pd.DataFrame, **options) -> tuple[pd.DataFrame, dict]:
    from geo_heart.geo.assign import assign_chunk

    return assign_chunk(area, chunk, **options)


def _task(area, item, *, work, work_options, folder=None, points=None, crs="EPSG:4326"):
    """Read one partition, run ``work`` on it; write it into ``folder`` or hand it back."""
    index, part = item
    frame = materialize(part)
    out, summary = work(area, frame, **work_options)
    if folder is None:
        return out, summary
    from geo_heart.scale.partitions import ParquetPart

    given = part.read_arrow() if isinstance(part, ParquetPart) else None
    _write_dataset_part(out, Path(folder) / f"part-{index:06d}.parquet", points, crs, given)
    return None, summary


def _write_dataset_part(
    out: pd.DataFrame, path: Path, points: tuple[str, str], crs: str, given=None
) -> None:
    """One GeoParquet partition, atomically (a rerun of a lost task rewrites the same file).
    ``given``: the partition's rows as the Parquet input holds them (``pyarrow.Table``): the
    user's columns are written from it with their Arrow types (:mod:`geo_heart.io.arrowtypes`)."""
    from geo_heart.io.arrowtypes import with_source_columns
    from geo_heart.io.files import atomic_write
    from geo_heart.io.vector import _writable, to_geodataframe, write_failure

    gdf = _writable(to_geodataframe(out, lon_column=points[0], lat_column=points[1], crs=crs))
    geom = gdf.geometry.name
    for c in gdf.columns:  # one schema for every partition: a text column all empty here stays
        # text (not Arrow's null type); any other column keeps its type as the input had it
        if c != geom and gdf[c].dtype == object and gdf[c].isna().all():
            gdf[c] = gdf[c].astype("string")
    if given is not None and given.num_rows == len(gdf):
        keep = [c for c in given.column_names if c in gdf.columns and c != geom]
        gdf = with_source_columns(gdf, given.select(keep).replace_schema_metadata(None),
                                  "parquet")  # fmt: skip
    try:
        with atomic_write(path) as tmp:
            gdf.to_parquet(tmp, index=False)
            if given is not None:
                from geo_heart.io.vector import drop_pandas_metadata

                drop_pandas_metadata(tmp)
    except Exception as exc:
        raise write_failure(path, exc) from None


# ----------------------------------------------------------------------------- driver
def run_partitions(
    executor,
    input_path: str | Path,
    target: OutputSpec | DatasetTarget,
    *,
    func: Callable,
    options: dict,
    points: Callable[[list[str]], tuple[str, str]],
    rows: int,
    encoding: str | None = None,
    add: Callable[[dict, dict], None],
    summary: dict,
    progress: Callable[[int], None] | None = None,
) -> dict[str, object]:
    """Run ``func`` over every partition of INPUT on ``executor`` and write ``target``.

    ``points(input_columns)`` names the lon/lat columns of a result; ``add(summary, part)`` folds a
    partition's counts into ``summary``. Returns what was written (``path``, ``format``, ``crs``,
    ``features``, ``partitions``).
    """
    files = expand_inputs(input_path)
    header = _first_columns(files, encoding)
    lonlat = points(header)
    items = enumerate(iter_partitions(files, rows=rows, encoding=encoding))
    if isinstance(target, DatasetTarget):
        folder = target.path
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from geo_heart.io.files import write_error

            raise write_error(folder, exc) from None
        n = 0
        for _none, part_summary in executor.map_ordered(
            _task, items, work=func, work_options=options, folder=str(folder),
            points=lonlat, crs=target.crs,
        ):  # fmt: skip
            add(summary, part_summary)
            n += 1
            if progress:
                progress(part_summary["rows"])
        return {"path": str(folder), "format": target.fmt, "crs": target.crs,
                "features": summary["rows"], "partitions": n}  # fmt: skip
    results = executor.map_ordered(_task, items, work=func, work_options=options)

    def frames() -> Iterator[pd.DataFrame]:
        for out, part_summary in results:
            add(summary, part_summary)
            if progress:
                progress(len(out))
            yield out

    return write_frames(
        frames(), target, lon_column=lonlat[0], lat_column=lonlat[1], input_columns=header,
        csv_input=_csv_input(files), source=files,
    )


def _csv_input(files: list[Path]) -> bool:
    """True when every input partition is CSV/TSV (an empty cell is a missing value there)."""
    from geo_heart.io.tables import table_kind

    return all(table_kind(f) in ("csv", "tsv") for f in files)


def _refuse_taken_names(ws, header: list[str], results, input_path, fmt: str) -> None:
    """Before any partition is read: every result column (census GEOIDs and the output's
    geometry too) must have a free name for the input's columns (``gh_<name>`` on a clash; a
    taken ``gh_`` name is refused)."""
    from geo_heart.geo.assign import result_column_names
    from geo_heart.geo.census import census_columns
    from geo_heart.io.ogr import format_columns

    results = (*results, *census_columns(ws.config))
    result_column_names(header, results, source=str(input_path))
    result_column_names(header, format_columns(fmt), source=str(input_path))


def _first_columns(files: list[Path], encoding: str | None) -> list[str]:
    from geo_heart.io.tables import iter_table

    for chunk in iter_table(files[0], chunk_rows=1, encoding=encoding):
        return [str(c) for c in chunk.columns]
    return []


def write_frames(
    frames: Iterable[pd.DataFrame],
    spec: OutputSpec,
    *,
    lon_column: str,
    lat_column: str,
    typed_columns=None,
    keep_text=(),
    on_loss: str = "refuse",
    input_columns=None,
    csv_input: bool = False,
    source=None,
) -> dict[str, object]:
    """Write result frames (in order, same columns) as one output file, one frame in memory at a
    time: part files joined like the local batch geocoder, then streamed into a vector format.
    ``typed_columns`` (``--types auto``) are typed where their whole column allows it;
    ``input_columns``: the input's (the others are results: Shapefile names by design);
    ``csv_input``: the input is CSV/TSV (an empty cell is a missing value); ``source``: the
    input file(s), in order (a Parquet input's columns are written from it with their types:
    :mod:`geo_heart.io.arrowtypes`)."""
    from geo_heart.geocode.batch import _part_name
    from geo_heart.io.files import atomic_write, temp_dir_for
    from geo_heart.io.tables import join_parquet_parts
    from geo_heart.io.vector_stream import write_vector_from_parquet

    p = spec.path
    # the parts live in a marked temp folder of this run (never a user's folder)
    with temp_dir_for(p) as parts:
        header: list[str] | None = None
        n = 0
        for i, out in enumerate(frames):
            header = [str(c) for c in out.columns]
            out = out.reset_index(drop=True)
            out.columns = [f"c{j}" for j in range(out.shape[1])]
            try:
                with atomic_write(parts / _part_name(i)) as tmp:
                    out.to_parquet(tmp, index=False)
            except (ValueError, TypeError) as exc:
                raise DataSourceError(
                    f"partition {i} cannot be stored ({exc}); columns must hold plain values"
                ) from None
            n = i + 1
        if header is None:
            raise DataSourceError("the input has no rows and no header")
        if spec.fmt in ("csv", "tsv"):
            notes = join_parquet_parts([parts / _part_name(i) for i in range(n)], header, p,
                                       source=source, input_columns=input_columns)  # fmt: skip
            return {"path": str(p), "format": spec.fmt, "crs": spec.crs, "features": None,
                    "located": None, **({"notes": notes} if notes else {})}  # fmt: skip
        work = parts / "all.parquet"
        join_parquet_parts([parts / _part_name(i) for i in range(n)], header, work)
        kinds = None
        if typed_columns:
            from geo_heart.io.vector_stream import infer_parquet_kinds

            kinds = infer_parquet_kinds(work, typed_columns, keep_text=keep_text)
        info = write_vector_from_parquet(
            work, spec, lon_column=lon_column, lat_column=lat_column, kinds=kinds,
            on_loss=on_loss, input_columns=input_columns, csv_input=csv_input, source=source,
        )  # fmt: skip
        if kinds:
            info["typed_columns"] = kinds
        return info


# ----------------------------------------------------------------------------- the commands
def geocode_dask(
    ws,
    input_path: str | Path,
    target: OutputSpec | DatasetTarget,
    *,
    address_column: str,
    min_score: float = 0.0,
    chunk_rows: int = 50_000,
    encoding: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    partitions: int | None = None,
    blocksize: str | None = None,
    processes: bool = True,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict, dict]:
    """Geocode INPUT (a file, folder or glob of partitions) into ``target`` on a dask cluster.

    Returns the :func:`geo_heart.geocode.batch.summarize` counts (plus ``resumed_rows``) and what
    was written. One file in, one file out goes through
    :func:`geo_heart.geocode.batch.geocode_file` (same part files, resumable).
    """
    from geo_heart.geocode.batch import _add_counts, _empty_summary, geocode_file
    from geo_heart.geocode.batch import result_column_names as names_of

    files = expand_inputs(input_path)
    rows = rows_per_partition(
        files, partitions=partitions, blocksize=blocksize, default_rows=chunk_rows
    )
    options = {"address_column": address_column, "min_score": min_score, "source": str(input_path)}
    _refuse_taken_names(ws, _first_columns(files, encoding), list(names_of([])), input_path,
                        target.fmt)  # fmt: skip

    def points(columns):
        n = names_of(columns, source=str(input_path))
        return n["lon"], n["lat"]

    with dask_executor(
        ws, needs=("geocoder", "census"), scheduler=scheduler, workers=workers, processes=processes
    ) as ex:
        if len(files) == 1 and isinstance(target, OutputSpec):
            streamed = target.fmt in ("csv", "tsv")
            work = (
                target.path
                if streamed
                else target.path.with_name(target.path.name + ".geocode.parquet")
            )
            s = geocode_file(
                ws, files[0], work, address_column=address_column, min_score=min_score,
                chunk_rows=rows, encoding=encoding, census=True, progress=progress, executor=ex,
            )  # fmt: skip
            if streamed:
                return s, {"path": str(target.path), "format": target.fmt, "crs": target.crs,
                           "features": s["rows"], "located": None}  # fmt: skip
            from geo_heart.io.vector_stream import write_vector_from_parquet

            header = _first_columns(files, encoding)
            lon, lat = points(header)
            info = write_vector_from_parquet(work, target, lon_column=lon, lat_column=lat,
                                             input_columns=header,
                                             csv_input=_csv_input(files),
                                             source=files[0])  # fmt: skip
            work.unlink()
            return s, info
        summary = _empty_summary()
        info = run_partitions(
            ex, input_path, target, func=_geocode_part, options=options,
            points=points, rows=rows,
            encoding=encoding, add=_add_counts, summary=summary, progress=progress,
        )  # fmt: skip
    summary["resumed_rows"] = 0
    return summary, info


def assign_dask(
    ws,
    input_path: str | Path,
    target: OutputSpec | DatasetTarget,
    *,
    lon_column: str = "lon",
    lat_column: str = "lat",
    input_crs: str | None = None,
    encoding: str | None = None,
    chunk_rows: int = 200_000,
    scheduler: str | None = None,
    workers: int | None = None,
    partitions: int | None = None,
    blocksize: str | None = None,
    processes: bool = True,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict, dict]:
    """Beats, districts, service area and census GEOIDs for INPUT's points on a dask cluster
    (``input_crs``: the two columns are x/y in that CRS, as with the local engine).

    Returns the summary of :func:`geo_heart.geo.assign.assign_table` (summed over partitions)
    and what was written.
    """
    from geo_heart.geo.assign import output_point_columns

    files = expand_inputs(input_path)
    rows = rows_per_partition(
        files, partitions=partitions, blocksize=blocksize, default_rows=chunk_rows
    )
    options = {"lon_column": lon_column, "lat_column": lat_column, "source": str(input_path),
               "input_crs": input_crs}  # fmt: skip
    from geo_heart.geo.assign import RESULT_COLUMNS, XY_COLUMNS, input_crs_of

    results = RESULT_COLUMNS + (XY_COLUMNS if input_crs_of(input_crs) else ())
    _refuse_taken_names(ws, _first_columns(files, encoding), results, input_path, target.fmt)
    summary = {"rows": 0, "ok": 0, "outside": 0, "invalid": 0, "invalid_projected": 0,
               "in_service_area": 0}  # fmt: skip

    def add(total: dict, part: dict) -> None:
        for k in total:
            total[k] += int(part[k])

    with dask_executor(
        ws, needs=("beats", "census"), scheduler=scheduler, workers=workers, processes=processes
    ) as ex:
        info = run_partitions(
            ex, input_path, target, func=_assign_part, options=options,
            points=lambda cols: output_point_columns(cols, lon_column=lon_column,
                                                     lat_column=lat_column, input_crs=input_crs),
            rows=rows, encoding=encoding,
            add=add, summary=summary, progress=progress,
        )  # fmt: skip
    if info.get("features") is None:
        info["features"] = summary["rows"]
    return summary, info
