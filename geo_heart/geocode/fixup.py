"""The geocoding fix-up loop: an overrides table, and re-running only the rows that failed.

An **overrides table** (CSV ``address,corrected_address,lon,lat,note``) maps address text as it
appears in the input to either a corrected address (geocoded instead of the original) or a point
(WGS84 lon/lat, used as is: its beat comes from the beat layer). Matching is on the address text
upper-cased with runs of spaces collapsed. Overrides are applied before matching; the output keeps
the user's original address text and adds ``override`` (``address``, ``point`` or empty) and
``override_note``.

:func:`retry_failed` takes a previous output of the same input, geocodes again only its rows whose
status is a failure (:data:`FAILED_STATUSES`), typically with a new overrides table, and returns
the merged table: one row per input row, in input order.

The matching itself is :func:`geo_heart.geocode.batch.geocode_frame`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.errors import InputError

log = logging.getLogger(__name__)

OVERRIDE_COLUMNS = ["address", "corrected_address", "lon", "lat", "note"]
#: statuses that count as "failed" for ``--retry-failed``
FAILED_STATUSES = ("unmatched", "invalid", "low_score")
OVERRIDE_MATCH_TYPE = "override_point"
#: columns the overrides add (``gh_``-prefixed where the input has the name, as every result)
OVERRIDE_RESULTS = ("override", "override_note")


def normalize_key(text) -> str:
    """The override key of an address: upper case, single spaces, trimmed."""
    return re.sub(r"\s+", " ", str(text or "")).strip().upper()


def result_names(columns) -> dict[str, str]:
    """Geocoder result column → output name (``gh_`` prefix when the input has the name)."""
    from geo_heart.geocode.batch import result_column_names

    return result_column_names(columns)


def override_names(columns, *, source: str = "input") -> dict[str, str]:
    """:data:`OVERRIDE_RESULTS` → output name for an input with ``columns`` (``gh_override``
    where the input has ``override``: :func:`geo_heart.geo.assign.result_column_names`)."""
    from geo_heart.geo.assign import result_column_names

    return result_column_names(columns, OVERRIDE_RESULTS, source=source)


def read_overrides(path: str | Path) -> pd.DataFrame:
    """Read and check an overrides table; one row per distinct address key.

    Raises
    ------
    InputError
        Missing ``address`` column, a row with neither a corrected address nor a valid point, a
        lon/lat outside WGS84 ranges, or the same address twice (each names the row).
    """
    from geo_heart.io.tables import read_table

    t = read_table(path)
    t = pd.DataFrame(
        t.drop(columns=getattr(t, "_geometry_column_name", None) or [], errors="ignore")
    )
    if "address" not in t.columns:
        raise InputError(
            f"overrides {str(path)!r} has no 'address' column; expected columns {OVERRIDE_COLUMNS}"
        )
    for c in OVERRIDE_COLUMNS:
        if c not in t.columns:
            t[c] = ""
    t = t.fillna("")
    t["line_no"] = np.arange(2, len(t) + 2)  # row 1 is the header
    if "candidates" in t.columns:  # a --review table: the lines not filled in are skipped
        filled = (t[["corrected_address", "lon", "lat"]].astype(str).apply(
            lambda c: c.str.strip()) != "").any(axis=1)  # fmt: skip
        log.info("overrides %s: %d review lines not filled in, skipped", path, int((~filled).sum()))
        t = t[filled.to_numpy()]
    t["key"] = t["address"].map(normalize_key)
    lon = pd.to_numeric(t["lon"].mask(t["lon"] == ""), errors="coerce")
    lat = pd.to_numeric(t["lat"].mask(t["lat"] == ""), errors="coerce")
    for i, r in enumerate(t.itertuples(index=False), start=2):
        where = f"overrides {str(path)!r} row {r.line_no}"
        if not r.key:
            raise InputError(f"{where}: empty address")
        has_text = str(r.corrected_address).strip() != ""
        has_lon, has_lat = str(r.lon).strip() != "", str(r.lat).strip() != ""
        if has_lon or has_lat:
            lo, la = lon.iloc[i - 2], lat.iloc[i - 2]
            if not (np.isfinite(lo) and np.isfinite(la) and abs(lo) <= 180 and abs(la) <= 90):
                raise InputError(f"{where}: lon={r.lon!r}, lat={r.lat!r} is not a WGS84 point")
        elif not has_text:
            raise InputError(f"{where}: give corrected_address or lon and lat for {r.address!r}")
    dup = t["key"].duplicated(keep=False)
    if dup.any():
        first = t.loc[dup, "address"].iloc[0]
        raise InputError(f"overrides {str(path)!r}: address {first!r} appears more than once")
    t["lon"], t["lat"] = lon, lat
    return t.set_index("key")


def geocode_with_overrides(
    ws,
    df: pd.DataFrame,
    *,
    address_column: str,
    overrides: pd.DataFrame | None = None,
    min_score: float = 0.0,
    source: str = "input",
) -> pd.DataFrame:
    """Geocode ``df`` with overrides applied first; one row per input row, in order.

    Returns the input columns (as they were), the geocoder's result columns, ``override`` and
    ``override_note`` (each ``gh_<name>`` where the input has the name).
    """
    from geo_heart.geocode.batch import geocode_frame
    from geo_heart.io.tables import require_columns

    require_columns(df, {"--address-column": address_column}, source)
    df = df.reset_index(drop=True)
    names = result_names(df.columns)
    ov_names = override_names(df.columns, source=source)
    kind = np.full(len(df), "", dtype=object)
    note = np.full(len(df), "", dtype=object)
    work = df.copy()
    point_rows = np.zeros(len(df), dtype=bool)
    if overrides is not None and len(overrides):
        keys = df[address_column].map(normalize_key)
        hit = keys.isin(overrides.index).to_numpy()
        ov = overrides.reindex(keys[hit])
        is_point = (ov["lon"].notna() & ov["lat"].notna()).to_numpy()
        idx = np.flatnonzero(hit)
        point_rows[idx[is_point]] = True
        text_idx = idx[~is_point]
        work.loc[text_idx, address_column] = ov.loc[~is_point, "corrected_address"].to_numpy()
        kind[idx] = np.where(is_point, "point", "address")
        note[idx] = ov["note"].astype(str).to_numpy()
    todo = np.flatnonzero(~point_rows)
    parts = []
    if len(todo):
        res = geocode_frame(
            ws,
            work.iloc[todo].reset_index(drop=True),
            address_column=address_column,
            min_score=min_score,
            source=source,
        )
        res.index = todo
        parts.append(res)
    if point_rows.any():
        parts.append(_point_results(ws, df, overrides, address_column, point_rows, names))
    if parts:
        # result columns joined as values, then typed once as a fresh run types them
        res_cols = [v for v in names.values() if v in parts[0].columns]
        out = pd.concat([p.astype(dict.fromkeys(res_cols, object)) for p in parts]).sort_index()
        out = restore_result_types(out, names, overrides=ov_names)
    else:
        out = df.assign(**{v: None for v in names.values()})
    out = out.reset_index(drop=True)
    out[address_column] = df[address_column].array  # the user's text (and type), not the correction
    out[ov_names["override"]] = kind
    out[ov_names["override_note"]] = note
    return out


def _point_results(ws, df, overrides, address_column, rows, names) -> pd.DataFrame:
    idx = np.flatnonzero(rows)
    keys = df[address_column].iloc[idx].map(normalize_key)
    ov = overrides.reindex(keys)
    lon = ov["lon"].to_numpy(dtype=float)
    lat = ov["lat"].to_numpy(dtype=float)
    res = ws.beat_index.assign(lon, lat)
    sa = ws.config.service_area
    beat = np.asarray(res["beat"], dtype=object)
    out = df.iloc[idx].copy()
    vals: dict[str, Any] = {
        "lon": lon,
        "lat": lat,
        "beat": beat,
        "district": np.asarray(res["district"], dtype=object),
        "in_service_area": np.array([b is not None and sa.contains(b) for b in beat], dtype=bool),
        "match_type": OVERRIDE_MATCH_TYPE,
        "score": 1.0,
        "matched_address": ov["corrected_address"].replace("", None).to_numpy(dtype=object),
        "status": np.asarray(res["status"], dtype=object),
        "reason": [
            ("point from the overrides table; " + str(r)).rstrip("; ") for r in res["reason"]
        ],
        "straddle_beats": None,
        "beat_source": "point",
    }
    for col, name in names.items():
        out[name] = vals.get(col)
    out.index = idx
    return out


def retry_failed(
    ws,
    df: pd.DataFrame,
    previous: pd.DataFrame,
    *,
    address_column: str,
    overrides: pd.DataFrame | None = None,
    min_score: float = 0.0,
    source: str = "input",
    previous_path: str | Path | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Geocode again only the rows of ``previous`` whose status failed; merge in input order.

    ``previous`` may come from any output format (CSV text, GeoPackage/FlatGeobuf/GeoParquet
    types, a Shapefile's cut names: :func:`previous_results`); the rows kept get the same values
    and types a fresh run gives them.

    Parameters
    ----------
    df
        The original input table.
    previous
        An earlier output of ``geocode`` for the same input (same rows, same order).

    Returns
    -------
    (DataFrame, dict)
        The merged output and ``{"retried": n, "fixed": m}`` (``fixed``: no longer failed).
    """
    df = df.reset_index(drop=True)
    names = result_names(df.columns)
    ov_names = override_names(df.columns, source=source)
    previous = previous_results(previous, names, path=previous_path, overrides=ov_names)
    status = names["status"]
    if len(previous) != len(df):
        raise InputError(
            f"--retry-failed: the previous output has {len(previous):,} rows, the input {len(df):,}; "
            "give the output of a run on this input"
        )
    for col in (address_column, status):
        if col not in previous.columns:
            raise InputError(f"--retry-failed: the previous output has no column {col!r}")
    # compared as text without outer spaces (a Shapefile keeps none)
    same = (
        previous[address_column].fillna("").astype(str).str.strip().to_numpy()
        == df[address_column].fillna("").astype(str).str.strip().to_numpy()
    )
    if not same.all():
        row = int(np.flatnonzero(~same)[0]) + 2
        raise InputError(
            f"--retry-failed: row {row} of the previous output has address "
            f"{previous[address_column].iloc[row - 2]!r}, the input {df[address_column].iloc[row - 2]!r}"
        )
    failed = previous[status].isin(FAILED_STATUSES).to_numpy()
    with_override = overrides is not None or ov_names["override"] in previous.columns
    cols = [*names.values(), *(ov_names.values() if with_override else ())]
    arrays = {
        c: (
            previous[c].to_numpy(dtype=object).copy()
            if c in previous.columns
            else np.full(len(df), "", dtype=object)
        )
        for c in cols
    }
    fixed = 0
    if failed.any():
        idx = np.flatnonzero(failed)
        new = geocode_with_overrides(
            ws,
            df.iloc[idx],
            address_column=address_column,
            overrides=overrides,
            min_score=min_score,
            source=source,
        )
        for c in cols:
            arrays[c][idx] = new[c].to_numpy(dtype=object)

        fixed = int((~new[status].isin(FAILED_STATUSES)).sum())
    merged = df.copy()
    for c in cols:
        merged[c] = pd.Series(arrays[c], dtype=object)
    merged = restore_result_types(merged, names, overrides=ov_names)
    return merged, {"retried": int(failed.sum()), "fixed": fixed}


def _as_bool(v):
    """True / False / None from a bool, a number (1.0), or text (``True``, ``1``, ``''``)."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return bool(v)
    t = str(v).strip().lower()
    if t in ("true", "t", "1", "1.0", "yes", "y"):
        return True
    if t in ("false", "f", "0", "0.0", "no", "n"):
        return False
    return None


def _as_text(v):
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        v = int(v)  # a beat code a float column holds (511.0 -> '511')
    t = str(v)
    return t if t != "" else None


#: result columns by type, as the geocoder gives them (docs/outputs.md)
NUMBER_RESULTS = ("lon", "lat", "score", "uncertainty_m")
BOOLEAN_RESULTS = ("in_service_area",)


def restore_result_types(
    out: pd.DataFrame, names: dict[str, str], *, overrides: dict[str, str] | None = None
) -> pd.DataFrame:
    """The result columns with the types a fresh run gives them, whatever format they were
    read from: numbers as floats (NaN when empty), ``in_service_area`` True/False/None, text
    as text (None when empty). ``names`` (and ``overrides``, the output names of
    :data:`OVERRIDE_RESULTS`, when the table has them) are the result columns: no other
    column (the input's) is touched."""
    out = out.copy()
    for key, col in names.items():
        if col not in out.columns:
            continue
        s = out[col]
        if key in NUMBER_RESULTS:
            t = s if pd.api.types.is_numeric_dtype(s) else s.astype(object).where(s != "")
            out[col] = pd.to_numeric(t, errors="coerce").astype(float)
        elif key in BOOLEAN_RESULTS:
            out[col] = pd.Series([_as_bool(v) for v in s], index=out.index, dtype=object)
        else:
            # status, match_type and reason are never null ('' for no reason); others may be
            blank = "" if key in ("status", "match_type", "reason") else None
            out[col] = pd.Series(
                [blank if (t := _as_text(v)) is None else t for v in s], index=out.index,
                dtype=object,
            )  # fmt: skip
    for c in (overrides or {}).values():
        if c in out.columns:
            out[c] = out[c].map(lambda v: "" if _as_text(v) is None else str(v))
    return out


def previous_results(
    previous: pd.DataFrame,
    names: dict[str, str],
    *,
    path: str | Path | None = None,
    overrides: dict[str, str] | None = None,
) -> pd.DataFrame:
    """An earlier output, read from any format, as a plain table with the output's own column
    names: the geometry dropped, a Shapefile's field names mapped back and its split values
    joined (:func:`geo_heart.io.shapefile.fields_back`), result types restored."""
    frame = pd.DataFrame(
        previous.drop(
            columns=getattr(previous, "_geometry_column_name", None) or [], errors="ignore"
        )
    ).reset_index(drop=True)
    if path is not None and Path(path).suffix.lower() == ".shp":
        from geo_heart.io.shapefile import fields_back

        ov = overrides or {c: c for c in OVERRIDE_RESULTS}
        frame = fields_back(frame, path, [*names.values(), *ov.values()])
    return restore_result_types(frame, names, overrides=overrides)


def summarize(
    out: pd.DataFrame, names: dict[str, str], *, override_column: str = "override"
) -> dict[str, Any]:
    """Counts by match type and status, and the main rates (JSON-ready); ``override_column``:
    the output name of ``override`` (``gh_override`` where the input has the name)."""
    return {
        "rows": len(out),
        "with_coordinates": int(out[names["lon"]].notna().sum()),
        "with_beat": int(out[names["beat"]].notna().sum()),
        "in_service_area": int(out[names["in_service_area"]].astype(bool).sum()),
        "match_types": {str(k): int(v) for k, v in out[names["match_type"]].value_counts().items()},
        "status": {str(k): int(v) for k, v in out[names["status"]].value_counts().items()},
        "overrides_applied": int((out.get(override_column, pd.Series(dtype=str)) != "").sum()),
    }
