"""Batch geocoding of a table file, resumable after an interruption.

The input is processed in chunks of rows. Each finished chunk is written to a part file in a
sidecar folder ``<OUTPUT>.parts/`` and a progress marker (``progress.json``) records how many rows
are done, for which input file (content hash) and which options. A restarted run with the same
input and options skips the rows already written; at the end the parts are joined into OUTPUT (one
row per input row, in input order) and the folder is removed.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.errors import DataSourceError, GeoHeartError, InputError
from geo_heart.geo.names import result_column_names as _names
from geo_heart.geocode.match import RESULT_COLUMNS, geocoder_for
from geo_heart.io.files import (
    atomic_write,
    file_sha1,
    is_marked_dir,
    make_marked_dir,
    output_lock,
    refuse_same_file,
    remove_marked_dir,
)
from geo_heart.io.tables import (
    count_rows,
    iter_table,
    join_parquet_parts,
    read_header,
    refuse_duplicate_names,
    require_columns,
    table_kind,
)

log = logging.getLogger(__name__)

#: Rows per chunk (a progress marker is written after each).
CHUNK_ROWS = 50_000


def result_column_names(columns, *, source: str = "input") -> dict[str, str]:
    """Result column → output name (prefixed ``gh_`` where the input already has the name,
    compared ignoring case and on 10 characters: :func:`geo_heart.geo.assign.result_column_names`).

    Raises InputError when the prefixed name is taken too (e.g. both ``lon`` and ``gh_lon``).
    """
    return _names(columns, RESULT_COLUMNS, source=source)


def layer_attributes(df: pd.DataFrame) -> pd.DataFrame:
    """A vector layer's attribute table: ``geocode`` places each row by its address, so the
    output's geometry is the geocoded point and the layer's own geometry is not carried (a plain
    table is returned as it is). ``assign`` is the command that keeps a layer's geometry."""
    geom = getattr(df, "_geometry_column_name", None)
    if geom is None or geom not in df.columns:
        return df
    return pd.DataFrame(df.drop(columns=geom))


def geocode_header(path, *, encoding: str | None = None) -> list[str]:
    """INPUT's columns as ``geocode`` keeps them: a vector layer's fields (not its geometry)."""
    header = read_header(path, encoding=encoding)
    if table_kind(path) == "geo" and header and header[-1] == "geometry":
        return header[:-1]
    return header


def geocode_frame(
    ws, df: pd.DataFrame, *, address_column: str, min_score: float = 0.0, source: str = "input"
) -> pd.DataFrame:
    """Original columns + result columns, one row per input row, in order.

    Rows scoring below ``min_score`` keep their match type and score but lose coordinates and beat,
    with ``status="low_score"`` and a reason.
    """
    require_columns(df, {"--address-column": address_column}, source)
    text = df[address_column].reset_index(drop=True)
    if text.dtype == object and pd.api.types.infer_dtype(text, skipna=True) != "string":
        nested = text.map(lambda v: isinstance(v, (list, tuple, dict, set, np.ndarray)))
        if nested.any():
            row = int(df.index[int(np.flatnonzero(nested.to_numpy())[0])]) + 1
            raise InputError(
                f"{source!r}: column {address_column!r} holds lists or records, not text "
                f"(data row {row}); give a column of address text"
            )
    res = geocoder_for(ws).geocode_many(text)
    if min_score > 0:
        low = (res["score"] < min_score) & res["status"].isin(["ok", "beat_only", "outside"])
        if low.any():
            for c in ("lon", "lat"):
                res.loc[low, c] = float("nan")
            for c in ("beat", "district", "straddle_beats", "beat_source"):
                res.loc[low, c] = None
            res.loc[low, "in_service_area"] = False
            res.loc[low, "reason"] = (
                res.loc[low, "reason"].fillna("").astype(str)
                + f"; score below --min-score {min_score:g}"
            ).str.lstrip("; ")
            res.loc[low, "status"] = "low_score"
    # a blank text is never read as an address (``invalid``): only those rows are looked at
    invalid = (res["status"] == "invalid").to_numpy()
    blank = np.zeros(len(text), dtype=bool)
    if invalid.any():
        t = text[invalid]
        blank[invalid] = (t.isna() | (t.astype(str).str.strip() == "")).to_numpy()
    if blank.any():  # a blank line or empty cell is a row too, reported as such
        res.loc[blank, "status"] = "empty"
        res.loc[blank, "reason"] = "no address given (empty cell or blank line)"
    names = result_column_names(df.columns, source=source)
    res = res.rename(columns=names)
    out = pd.concat([df.reset_index(drop=True), res], axis=1)
    return out


def geocode_chunk(
    ws,
    chunk: pd.DataFrame,
    *,
    address_column: str,
    min_score: float = 0.0,
    source: str = "input",
    census: bool = False,
    chunk_hook: Callable[[pd.DataFrame, dict[str, str]], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """One chunk of a batch run: :func:`geocode_frame`, then census GEOIDs and ``chunk_hook``."""
    out = geocode_frame(
        ws, chunk, address_column=address_column, min_score=min_score, source=source
    )
    if census or chunk_hook is not None:
        names = result_column_names(chunk.columns, source=source)
        if census:
            from geo_heart.geo.census import add_census_geoids

            out = add_census_geoids(
                ws, out, lon_column=names["lon"], lat_column=names["lat"],
                input_columns=chunk.columns, source=source,
            )  # fmt: skip
        if chunk_hook is not None:
            out = chunk_hook(out, names)
    return out


def _empty_summary() -> dict[str, Any]:
    return {
        "rows": 0,
        "with_coordinates": 0,
        "with_beat": 0,
        "in_service_area": 0,
        "match_types": {},
        "status": {},
    }


def _add_counts(total: dict[str, Any], part: dict[str, Any]) -> None:
    for k in ("rows", "with_coordinates", "with_beat", "in_service_area"):
        total[k] += part[k]
    for k in ("match_types", "status"):
        for name, v in part[k].items():
            total[k][name] = total[k].get(name, 0) + int(v)


def summarize(out: pd.DataFrame, names: dict[str, str]) -> dict[str, Any]:
    """Counts by match type and status, and the main rates."""
    n = len(out)
    has_xy = out[names["lon"]].notna()
    has_beat = out[names["beat"]].notna()
    return {
        "rows": n,
        "with_coordinates": int(has_xy.sum()),
        "with_beat": int(has_beat.sum()),
        "in_service_area": int(out[names["in_service_area"]].astype(bool).sum()),
        "match_types": {str(k): int(v) for k, v in out[names["match_type"]].value_counts().items()},
        "status": {str(k): int(v) for k, v in out[names["status"]].value_counts().items()},
    }


def _part_name(i: int) -> str:
    return f"part-{i:06d}.parquet"


def _done_parts(parts: Path, state: dict[str, Any], chunk_rows: int) -> int:
    """How many leading parts are present and whole (a missing or broken part is redone)."""
    import pyarrow.parquet as pq

    claimed = int(state.get("parts_done", 0))
    for i in range(claimed):
        path = parts / _part_name(i)
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
        except Exception:  # missing, truncated or not Parquet
            log.warning("%s is missing or unreadable; redoing from row %d", path, i * chunk_rows)
            return i
        if rows != chunk_rows:
            log.warning("%s holds %d rows, not %d; redoing from there", path, rows, chunk_rows)
            return i
    return claimed


def geocode_file(
    ws,
    input_path: str | Path,
    output_path: str | Path,
    *,
    address_column: str,
    min_score: float = 0.0,
    chunk_rows: int = CHUNK_ROWS,
    encoding: str | None = None,
    chunk_hook: Callable[[pd.DataFrame, dict[str, str]], pd.DataFrame] | None = None,
    census: bool = False,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    executor=None,
) -> dict[str, Any]:
    """Geocode INPUT's ``address_column`` into OUTPUT in chunks, resuming an interrupted run.

    The input is streamed ``chunk_rows`` rows at a time (CSV/TSV and Parquet), each chunk's
    result is written to a part file, and the parts are streamed into OUTPUT at the end, so
    memory stays bounded by the chunk size whatever the input's length. The run holds an advisory
    lock on OUTPUT (a second run writing it is refused) and never writes over INPUT.

    Parameters
    ----------
    encoding
        Text encoding of a CSV/TSV input (default: UTF-8 or UTF-16 by BOM).
    chunk_hook
        Called as ``chunk_hook(chunk_result, result_names)`` on each chunk's result before it is
        stored; returns the frame to store. Same rows, in order.
    census
        Add census tract and block-group GEOIDs to each chunk (where the area configures them).
    progress
        Called with the number of rows finished after each chunk (e.g. a tqdm ``update``).
    on_total
        Called once with the number of input rows when it is known up front (Parquet).
    executor
        Where the chunks are geocoded: ``None`` in this process, or an object whose
        ``map_ordered(func, chunks, **options)`` yields ``func(area, chunk, **options)`` for each
        chunk in input order, e.g. :class:`geo_heart.scale.cluster.DaskExecutor` (the reference
        index shipped to its workers once). Reading, resuming and writing stay here.

    Returns
    -------
    dict
        The :func:`summarize` figures, plus ``resumed_rows`` (rows skipped as already done).
    """
    if chunk_rows < 1:
        raise InputError(f"chunk size must be at least 1, got {chunk_rows!r}")
    inp, outp = Path(input_path), Path(output_path)
    refuse_same_file(inp, outp)
    table_kind(outp)
    with output_lock(outp):
        return _geocode_locked(
            ws,
            inp,
            outp,
            address_column=address_column,
            min_score=min_score,
            chunk_rows=chunk_rows,
            encoding=encoding,
            chunk_hook=chunk_hook,
            census=census,
            progress=progress,
            on_total=on_total,
            executor=executor,
        )


def resume_key(ws, inp: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Everything a geocoded row depends on, so a resumed run never mixes two kinds of answer.

    The input file (path and content hash), the area file's content hash, the reference index
    key (the content hashes of the address layers, beats and places it is built from), the
    data folder, the geo-heart version and the options.
    """
    from geo_heart import __version__
    from geo_heart.geocode.reference import index_key

    config = getattr(ws, "config", None)
    area_file = getattr(config, "path", None)
    settings = getattr(ws, "settings", None)
    return {
        "input": str(inp.resolve()),
        "input_sha1": file_sha1(inp),
        "area_sha1": file_sha1(area_file) if area_file and Path(area_file).is_file() else None,
        "index_key": index_key(ws) if config is not None else None,
        "data_dir": str(getattr(settings, "data_dir", "")) or None,
        "version": __version__,
        **options,
    }


def _differences(state: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """The keys of the resume key that differ between a saved run and this one."""
    return [k for k in want if state.get(k) != want[k]]


def _geocode_locked(
    ws,
    inp: Path,
    outp: Path,
    *,
    address_column,
    min_score,
    chunk_rows,
    encoding,
    chunk_hook,
    census,
    progress,
    on_total,
    executor,
) -> dict[str, Any]:
    if not inp.exists():
        raise DataSourceError(f"input file {str(inp)!r} does not exist")
    # every refusal the input's header allows is made here, before any work or any file
    header_names = geocode_header(inp, encoding=encoding)
    require_columns(pd.DataFrame(columns=header_names), {"--address-column": address_column}, inp)
    result_column_names(pd.Index(header_names, dtype=object), source=str(inp))
    if census:
        from geo_heart.geo.census import census_column_names

        census_column_names(ws.config, header_names, source=str(inp))
    refuse_duplicate_names(header_names, fmt=table_kind(outp), source=inp)
    total_rows = count_rows(inp)
    if on_total and total_rows is not None:
        on_total(total_rows)
    parts = outp.with_name(outp.name + ".parts")
    marker = parts / "progress.json"
    want = resume_key(
        ws,
        inp,
        {
            "address_column": address_column,
            "min_score": min_score,
            "chunk_rows": chunk_rows,
            "encoding": encoding,
            "chunk_hook": getattr(chunk_hook, "__qualname__", None),
            "census": census,
        },
    )
    state: dict[str, Any] = {}
    if marker.exists() and is_marked_dir(parts):
        try:
            state = json.loads(marker.read_text())
        except (OSError, ValueError):
            state = {}
        changed = _differences(state, want)
        if changed:
            log.warning(
                "%s holds the progress of a run with another %s; starting over",
                parts,
                ", ".join(_KEY_LABELS.get(k, k) for k in changed),
            )
            remove_marked_dir(parts)
            state = {}
    elif parts.exists() and not remove_marked_dir(parts):
        make_marked_dir(parts)  # refuses a folder of that name that is not ours
    resuming = bool(state)
    try:
        return _geocode_parts(
            ws, inp, outp, parts, marker, want, state,
            address_column=address_column, min_score=min_score, chunk_rows=chunk_rows,
            encoding=encoding, chunk_hook=chunk_hook, census=census, progress=progress,
            executor=executor,
        )  # fmt: skip
    except GeoHeartError:
        if not resuming:  # a refusal met on the way leaves no trace
            remove_marked_dir(parts)
        raise


#: resume-key entries, as the warning names them
_KEY_LABELS = {
    "input": "input file",
    "input_sha1": "input content",
    "area_sha1": "area file",
    "index_key": "reference data",
    "data_dir": "data folder",
    "version": "geo-heart version",
}


def _geocode_parts(
    ws,
    inp: Path,
    outp: Path,
    parts: Path,
    marker: Path,
    want: dict[str, Any],
    state: dict[str, Any],
    *,
    address_column,
    min_score,
    chunk_rows,
    encoding,
    chunk_hook,
    census,
    progress,
    executor,
) -> dict[str, Any]:
    done_parts = _done_parts(parts, state, chunk_rows) if state else 0
    make_marked_dir(parts)
    summary = _empty_summary()
    resumed = 0
    header: list[str] | None = state.get("header") if done_parts else None
    names: dict[str, str] | None = None
    n_parts = 0
    summaries: list = list((state.get("summaries") or [])[:done_parts])
    todo: deque[tuple[int, int]] = deque()  # (chunk number, rows) handed to the mapper

    def chunks() -> Iterator[pd.DataFrame]:
        nonlocal n_parts, names, resumed
        for i, chunk in enumerate(iter_table(inp, chunk_rows=chunk_rows, encoding=encoding)):
            chunk = layer_attributes(chunk)
            n_parts = i + 1
            if names is None:
                require_columns(chunk, {"--address-column": address_column}, inp)
                names = result_column_names(chunk.columns, source=str(inp))
            if i < done_parts:
                resumed += len(chunk)
                continue
            todo.append((i, len(chunk)))
            yield chunk

    work = {
        "address_column": address_column,
        "min_score": min_score,
        "source": str(inp),
        "census": census,
        "chunk_hook": chunk_hook,
    }
    results = (
        (geocode_chunk(ws, c, **work) for c in chunks())
        if executor is None
        else executor.map_ordered(geocode_chunk, chunks(), **work)
    )
    for out in results:
        i, n_rows = todo.popleft()
        assert names is not None
        header = [str(c) for c in out.columns]
        part_summary = summarize(out, names)
        _add_counts(summary, part_summary)
        summaries.append([i, part_summary])
        out.columns = [f"c{j}" for j in range(out.shape[1])]
        try:
            with atomic_write(parts / _part_name(i)) as tmp:
                out.to_parquet(tmp, index=False)
        except (ValueError, TypeError) as exc:
            raise DataSourceError(
                f"input file {str(inp)!r}: rows {i * chunk_rows + 1}-{i * chunk_rows + n_rows} "
                f"cannot be stored ({exc}); columns must hold plain values (text, numbers)"
            ) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] == "pyarrow":
                raise DataSourceError(
                    f"input file {str(inp)!r}: rows from {i * chunk_rows + 1} cannot be stored "
                    f"({exc}); columns must hold plain values (text, numbers)"
                ) from None
            raise
        with atomic_write(marker) as tmp:
            tmp.write_text(
                json.dumps({**want, "parts_done": i + 1, "header": header, "summaries": summaries})
            )
        if progress:
            progress(n_rows)
    if resumed:
        for _i, v in summaries[:done_parts]:
            _add_counts(summary, v)
        if progress:
            progress(resumed)
        log.info("resumed %s after %d rows", outp, resumed)
    if n_parts < done_parts:
        raise DataSourceError(
            f"{str(parts)!r} holds more parts than {str(inp)!r} has rows; delete it and rerun"
        )
    assert header is not None
    notes = join_parquet_parts([parts / _part_name(i) for i in range(n_parts)], header, outp,
                               source=inp)  # fmt: skip
    remove_marked_dir(parts)
    summary["resumed_rows"] = resumed
    if notes:
        summary["type_notes"] = notes
    return summary
