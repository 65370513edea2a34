"""Batch geocoding of a table file, resumable after an interruption.

The input is processed in chunks of rows. Each finished chunk is written to a part file in a
sidecar folder ``<OUTPUT>.parts/`` and a progress marker (``progress.json``) records how many rows
are done, for which input file (content hash) and which options. A restarted run with the same
input and options skips the rows already written; at the end the parts are joined into OUTPUT (one
row per input row, in input order) and the folder is removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from geo_heart.errors import InputError
from geo_heart.geocode.match import RESULT_COLUMNS, geocoder_for
from geo_heart.io.tables import read_table, require_columns, write_table

log = logging.getLogger(__name__)

#: Rows per chunk (a progress marker is written after each).
CHUNK_ROWS = 50_000


def _file_sha1(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def result_column_names(columns) -> dict[str, str]:
    """Result column → output name (prefixed ``geocode_`` where the input already has the name)."""
    taken = set(map(str, columns))
    return {c: (f"geocode_{c}" if c in taken else c) for c in RESULT_COLUMNS}


def geocode_frame(
    ws, df: pd.DataFrame, *, address_column: str, min_score: float = 0.0, source: str = "input"
) -> pd.DataFrame:
    """Original columns + result columns, one row per input row, in order.

    Rows scoring below ``min_score`` keep their match type and score but lose coordinates and beat,
    with ``status="low_score"`` and a reason.
    """
    require_columns(df, {"--address-column": address_column}, source)
    res = geocoder_for(ws).geocode_many(df[address_column].reset_index(drop=True))
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
    names = result_column_names(df.columns)
    res = res.rename(columns=names)
    out = pd.concat([df.reset_index(drop=True), res], axis=1)
    return out


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
        "match_types": out[names["match_type"]].value_counts().to_dict(),
        "status": out[names["status"]].value_counts().to_dict(),
    }


def geocode_file(
    ws,
    input_path: str | Path,
    output_path: str | Path,
    *,
    address_column: str,
    min_score: float = 0.0,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Geocode INPUT's ``address_column`` into OUTPUT, resuming an interrupted run.

    Parameters
    ----------
    progress
        Called with the number of rows finished after each chunk (e.g. a tqdm ``update``).
    on_total
        Called once with the number of input rows, before any work.

    Returns
    -------
    dict
        The :func:`summarize` figures, plus ``resumed_rows`` (rows skipped as already done).
    """
    if chunk_rows < 1:
        raise InputError(f"chunk size must be at least 1, got {chunk_rows!r}")
    inp, outp = Path(input_path), Path(output_path)
    df = read_table(inp)
    require_columns(df, {"--address-column": address_column}, inp)
    names = result_column_names(df.columns)
    if on_total:
        on_total(len(df))
    parts = outp.with_name(outp.name + ".parts")
    marker = parts / "progress.json"
    want = {
        "input": str(inp.resolve()),
        "input_sha1": _file_sha1(inp),
        "address_column": address_column,
        "min_score": min_score,
        "chunk_rows": chunk_rows,
        "rows": len(df),
    }
    done_parts = 0
    if marker.exists():
        try:
            state = json.loads(marker.read_text())
        except (OSError, ValueError):
            state = {}
        if {k: state.get(k) for k in want} == want:
            done_parts = int(state.get("parts_done", 0))
            log.info("resuming %s: %d rows already done", outp, done_parts * chunk_rows)
        else:
            log.warning("%s holds another run's progress; starting over", parts)
            shutil.rmtree(parts)
    parts.mkdir(parents=True, exist_ok=True)
    resumed = min(done_parts * chunk_rows, len(df))
    if progress and resumed:
        progress(resumed)
    n_parts = max(1, -(-len(df) // chunk_rows))
    for i in range(done_parts, n_parts):
        chunk = df.iloc[i * chunk_rows : (i + 1) * chunk_rows]
        out = geocode_frame(
            ws, chunk, address_column=address_column, min_score=min_score, source=str(inp)
        )
        part = parts / f"part-{i:06d}.parquet"
        tmp = part.with_suffix(".tmp")
        out.to_parquet(tmp, index=False)
        tmp.replace(part)
        state = {**want, "parts_done": i + 1}
        tmp_m = marker.with_suffix(".tmp")
        tmp_m.write_text(json.dumps(state))
        tmp_m.replace(marker)
        if progress:
            progress(len(chunk))
    frames = [pd.read_parquet(parts / f"part-{i:06d}.parquet") for i in range(n_parts)]
    full = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(full) != len(df):
        raise InputError(
            f"internal: {len(full)} output rows for {len(df)} input rows; delete {parts} and rerun"
        )
    write_table(full, outp)
    shutil.rmtree(parts, ignore_errors=True)
    summary = summarize(full, names)
    summary["resumed_rows"] = resumed
    return summary
