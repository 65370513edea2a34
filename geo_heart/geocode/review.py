"""The review table of a geocoding run, and representative points for rows known only by beat.

**Review table** (``geocode --review FILE``): one line per distinct address text (compared as the
overrides table compares them, :func:`geo_heart.geocode.fixup.normalize_key`) among the rows that
failed (:data:`geo_heart.geocode.fixup.FAILED_STATUSES`) or are not sure
(:data:`UNSURE_STATUSES`, or a score below ``min_score``). Its first columns are those of an
overrides file (``address,corrected_address,lon,lat,note``: the address as written, the rest
empty, ready to fill in), then what the run found: ``status``, ``reason``, ``match_type``,
``score``, ``beat``, ``candidates`` (the places that fit, best first: ``matched address [beat
B, share S%] (lon, lat)`` joined by `` | ``), ``rows`` (input rows with that text) and
``first_row`` (the first, counting data rows from 1). Most-frequent first. Filled in, the
file is the ``--overrides`` of the next run (``--retry-failed``); lines left empty are ignored
there.

**Representative points** (``--point-for-beat-only``): a row whose beat is known from past
records but has no point (``status = beat_only``) gets the point-on-surface of its beat's polygon
(a point inside the beat, never on its edge), flagged ``point_kind = beat_point``; ``point_kind``
is ``match`` for the geocoder's own points and empty without a point. Such a point says only
"somewhere in this beat": census GEOIDs are not given for it.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: statuses a geocoded row may have that are worth a person's look, besides the failed ones
UNSURE_STATUSES = ("ambiguous", "approximate")
#: columns after the overrides file's own
REVIEW_EXTRA = ("status", "reason", "match_type", "score", "beat", "candidates", "rows",
                "first_row")  # fmt: skip
#: the flag column of ``--point-for-beat-only`` and its values
POINT_KIND = "point_kind"
BEAT_POINT = "beat_point"


def review_rows(frame: pd.DataFrame, names: dict[str, str], *, min_score: float | None = None):
    """Boolean mask of the rows a review table lists."""
    from geo_heart.geocode.fixup import FAILED_STATUSES

    status = frame[names["status"]].astype(str)
    mask = status.isin(FAILED_STATUSES + UNSURE_STATUSES)
    if min_score is not None:
        score = pd.to_numeric(frame[names["score"]], errors="coerce")
        located = status.isin(["ok", "beat_only"])
        mask |= located & (score < min_score)
    return mask.to_numpy(dtype=bool)


def _candidates_text(cands) -> str:
    parts = []
    for c in cands or ():
        bits = [f"beat {c.get('beat')}"] if c.get("beat") else []
        if c.get("share") is not None:
            bits.append(f"share {100 * float(c['share']):.0f}%")
        where = ""
        if c.get("lon") is not None and c.get("lat") is not None:
            where = f" ({float(c['lon']):.6f}, {float(c['lat']):.6f})"
        head = c.get("matched_address") or "?"
        parts.append(f"{head} [{', '.join(bits)}]{where}" if bits else f"{head}{where}")
    return " | ".join(parts)


def review_table(
    ws,
    frame: pd.DataFrame,
    *,
    address_column: str,
    names: dict[str, str],
    min_score: float | None = None,
) -> pd.DataFrame:
    """The review table of a geocoded ``frame`` (the input's columns plus the result columns).

    ``names`` maps result columns to their output names (``gh_`` prefixed where the input has
    them). The candidates come from the geocoder (its memo makes this cheap after a run).
    """
    from geo_heart.geocode.fixup import OVERRIDE_COLUMNS, normalize_key
    from geo_heart.geocode.match import geocoder_for

    cols = [*OVERRIDE_COLUMNS, *REVIEW_EXTRA]
    mask = review_rows(frame, names, min_score=min_score)
    if not mask.any():
        return pd.DataFrame(columns=cols)
    sub = frame.loc[mask].copy()
    sub["_row"] = np.flatnonzero(mask) + 1
    text = sub[address_column].astype(object).where(sub[address_column].notna(), "")
    sub["_key"] = text.map(normalize_key)
    sub = sub[sub["_key"] != ""]
    counts = sub.groupby("_key", sort=False).size()
    first = sub.drop_duplicates("_key").set_index("_key")
    geocoder = geocoder_for(ws)
    out = pd.DataFrame(
        {
            "address": first[address_column].astype(str).to_numpy(),
            "corrected_address": "",
            "lon": "",
            "lat": "",
            "note": "",
            "status": first[names["status"]].to_numpy(),
            "reason": first[names["reason"]].to_numpy(),
            "match_type": first[names["match_type"]].to_numpy(),
            "score": pd.to_numeric(first[names["score"]], errors="coerce").round(3).to_numpy(),
            "beat": first[names["beat"]].to_numpy(),
            "candidates": [
                _candidates_text(geocoder.geocode_one(t).candidates)
                for t in first[address_column].astype(str)
            ],
            "rows": counts.reindex(first.index).to_numpy(),
            "first_row": first["_row"].to_numpy(),
        }
    )
    out = out.sort_values(["rows", "first_row"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)[cols]


def write_review(ws, frame, path, *, address_column: str, names: dict[str, str],
                 min_score: float | None = None) -> dict[str, Any]:  # fmt: skip
    """Write :func:`review_table` as CSV (atomically); returns its path and counts."""
    from geo_heart.io.tables import write_table

    table = review_table(ws, frame, address_column=address_column, names=names,
                         min_score=min_score)  # fmt: skip
    write_table(table, path)
    return {"path": str(path), "addresses": len(table), "rows": int(table["rows"].sum())}


def beat_points(ws) -> dict[str, tuple[float, float]]:
    """Beat → (lon, lat) of its polygon's point-on-surface (WGS84), cached on the workspace."""

    def build() -> dict[str, tuple[float, float]]:
        import shapely

        idx = ws.beat_index
        pts = shapely.point_on_surface(np.asarray(idx.geoms))
        return {
            b: (float(x), float(y))
            for b, x, y in zip(idx.beats, shapely.get_x(pts), shapely.get_y(pts), strict=True)
        }

    return ws.cached(("beat_points",), build)


def add_beat_points(
    ws, frame: pd.DataFrame, names: dict[str, str], *, input_columns=None
) -> tuple[pd.DataFrame, int]:
    """Give ``beat_only`` rows their beat's representative point and add :data:`POINT_KIND`
    (``gh_point_kind`` where the input, ``input_columns``, has the name: :func:`point_kind_name`).

    Returns the frame (same rows, order) and how many rows got a beat point.
    """
    kind_name = point_kind_name(frame.columns if input_columns is None else input_columns, names)
    pts = beat_points(ws)
    out = frame.copy()
    # writable copies (pandas 3 copy-on-write hands out read-only views)
    lon = pd.to_numeric(out[names["lon"]], errors="coerce").to_numpy(dtype=float, copy=True)
    lat = pd.to_numeric(out[names["lat"]], errors="coerce").to_numpy(dtype=float, copy=True)
    beat = out[names["beat"]].astype(object).to_numpy()
    status = out[names["status"]].astype(str).to_numpy()
    has = np.isfinite(lon) & np.isfinite(lat)
    kind = np.where(has, "match", "").astype(object)
    want = (~has) & (status == "beat_only")
    want &= np.array([b in pts for b in beat.tolist()], dtype=bool)
    for i in np.flatnonzero(want):
        lon[i], lat[i] = pts[beat[i]]
    kind[want] = BEAT_POINT
    out[names["lon"]] = lon
    out[names["lat"]] = lat
    out[kind_name] = kind
    return out, int(want.sum())


def point_kind_name(columns, names: dict[str, str], *, source: str = "input") -> str:
    """Output name of :data:`POINT_KIND`: ``gh_point_kind`` when the input's ``columns`` have
    the name (the rule of every result, :func:`geo_heart.geo.assign.result_column_names`; the
    result columns ``names`` among ``columns`` are not the input's)."""
    from geo_heart.geo.assign import result_column_names

    results = set(names.values())
    own = [c for c in map(str, columns) if c not in results]
    return result_column_names(own, (POINT_KIND,), source=source)[POINT_KIND]


class BeatPointHook:
    """A ``chunk_hook`` for :func:`geo_heart.geocode.batch.geocode_file` adding beat points."""

    __qualname__ = "BeatPointHook"

    def __init__(self, ws, then=None, *, input_columns=None) -> None:
        self.ws = ws
        self.then = then
        self.input_columns = None if input_columns is None else list(input_columns)
        self.count = 0
        inner = getattr(then, "__qualname__", None)
        self.__qualname__ = f"BeatPointHook+{inner}" if inner else "BeatPointHook"

    def __call__(self, out: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
        if self.then is not None:
            out = self.then(out, names)
        out, n = add_beat_points(self.ws, out, names, input_columns=self.input_columns)
        self.count += n
        return out
