"""Load a CAD/RMS call export and classify, place and time every call.

One row per input call comes out, in input order. Nothing is dropped silently:

* call codes not in the area's call-type table keep ``call_type = None`` and are counted and listed
  in :attr:`CallData.unknown_codes`;
* calls that cannot be placed in a beat keep ``beat = None``, ``placed_by = "unplaced"`` and a
  ``place_reason``; they are counted in :attr:`CallData.unplaced` (by reason in
  :attr:`CallData.unplaced_reasons`);
* calls whose time cannot be read keep ``local_time = NaT`` and ``minute_of_week = -1`` (never
  inside any program's hours) and are counted in :attr:`CallData.bad_times`; a date outside what a
  timestamp holds (``0001-01-01``, ``9999-12-31``) likewise, counted apart in
  :attr:`CallData.out_of_range_times`;
* local times at a daylight-saving change are read, never dropped (:mod:`geo_heart.config.times`:
  an ambiguous time is the first occurrence, a nonexistent one is shifted forward), and counted
  in :attr:`CallData.dst_times`.

Location, in order of preference: longitude/latitude columns (located with the beat index), a beat
column (validated against the beat layer), or an address column (geocoded with
:func:`geo_heart.geocode.match.geocoder_for`). Column names default to ``[layers.calls]`` of the area file.

>>> data = load_calls(ws)                      # doctest: +SKIP
>>> data.frame[["call_type", "beat", "CRT"]].head()   # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.config.calltypes import call_type_table
from geo_heart.config.schema import CallsLayer
from geo_heart.config.times import (
    check_offset_mode,
    clock_check,
    parse_local_times,
    region_zone_problem,
    time_read_basis,
    time_read_notes,
)
from geo_heart.dispatch.eligibility import eligibility_frame
from geo_heart.errors import InputError
from geo_heart.geo.coords import lonlat_from_columns
from geo_heart.geo.workspace import Workspace
from geo_heart.io.tables import read_table, require_columns

log = logging.getLogger(__name__)

#: keys of ``[layers.calls]`` read by :func:`load_calls` (the schema: :class:`CallsLayer`)
CALL_LAYER_KEYS = tuple(
    k for k in CallsLayer.model_fields if k not in ("source_url", "download_url")
)


@dataclass
class CallData:
    """Classified, placed and timed calls.

    Attributes
    ----------
    frame
        One row per input call (input order): ``call_id``, ``raw_call_type``, ``call_type``,
        ``label``, ``risk``, ``prefix_program``, ``local_time`` (naive, area time zone),
        ``minute_of_week`` (Mon 00:00 = 0; -1 when unknown), ``month`` (``YYYY-MM``), ``beat``,
        ``district``, ``placed_by`` (``coordinates``/``beat_column``/``geocoder``/``unplaced``),
        ``place_reason``, ``lon``/``lat`` when known, per program ``P_type``, ``P_area``,
        ``P_hours``, ``P_active`` and ``P`` (eligible) from
        :func:`~geo_heart.dispatch.eligibility.eligibility_frame`, and ``rules`` (the rule set each
        call was judged under: the one in force at its local time).
    source
        The file read.
    programs
        Program codes, in configuration order.
    unknown_codes
        Raw codes not in the call-type table → number of calls.
    unplaced
        Calls with no beat.
    unplaced_reasons
        Reason → number of calls.
    bad_times
        Calls whose time could not be read (empty or not a time).
    time_counts
        :meth:`geo_heart.config.times.ParsedTimes.counts`: unreadable, out of range, and the
        times resolved at a daylight-saving change.
    """

    frame: pd.DataFrame
    source: str
    programs: list[str]
    unknown_codes: dict[str, int] = field(default_factory=dict)
    unplaced: int = 0
    unplaced_reasons: dict[str, int] = field(default_factory=dict)
    bad_times: int = 0
    location_mode: str = ""
    #: calls whose time column holds a date without a time of day (hours not judged for them)
    date_only: int = 0
    #: the one rule set (or period) every call was judged under (``rules=``), else None
    judged_under: Any = None
    #: how the time column was read (offsets honoured or read as local; agreement with the
    #: source's hour column; warnings when the offsets look wrong)
    time_notes: list[str] = field(default_factory=list)
    #: the counts those notes come from (:func:`geo_heart.config.times.time_read_basis`)
    time_basis: dict[str, Any] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """Plain statements about what could not be judged (for outputs and the CLI)."""
        out = []
        if self.date_only:
            every = "All" if self.date_only == self.rows else f"{self.date_only:,} of the"
            out.append(
                f"{every} {self.rows:,} calls have a date but no time of day: program hours were "
                "NOT judged for them (they are counted by area and call type only, never as "
                "covered in hours), and hour-of-week tables leave them out"
            )
        return out

    @property
    def hours_judged(self) -> bool:
        """False when no call has a time of day (only dates)."""
        return self.date_only < self.rows - self.bad_times or self.rows == 0

    time_counts: dict[str, int] = field(default_factory=dict)

    @property
    def out_of_range_times(self) -> int:
        """Calls whose date is outside what a timestamp holds (e.g. ``0001-01-01``)."""
        return int(self.time_counts.get("out_of_range", 0))

    @property
    def dst_times(self) -> dict[str, int]:
        """Calls at a daylight-saving change: ``{"ambiguous": n, "nonexistent": n}``."""
        return {
            "ambiguous": int(self.time_counts.get("dst_ambiguous_first", 0)),
            "nonexistent": int(self.time_counts.get("dst_nonexistent_shifted", 0)),
        }

    @property
    def rows(self) -> int:
        """Number of calls read."""
        return len(self.frame)

    @property
    def unknown_calls(self) -> int:
        """Number of calls whose code is not in the call-type table."""
        return int(sum(self.unknown_codes.values()))

    @property
    def has_points(self) -> bool:
        """True when calls carry coordinates (from the file or the geocoder)."""
        return "lon" in self.frame.columns and bool(self.frame["lon"].notna().any())

    def summary(self) -> dict:
        """Counters as a JSON-ready dict."""
        eligible = {p: int(self.frame[p].sum()) for p in self.programs}
        return {
            "source": self.source,
            "rows": self.rows,
            "location_mode": self.location_mode,
            "classified": int(self.frame["call_type"].notna().sum()),
            "unknown_calls": self.unknown_calls,
            "unknown_distinct_codes": len(self.unknown_codes),
            "unplaced": self.unplaced,
            "unplaced_reasons": dict(self.unplaced_reasons),
            "bad_times": self.bad_times,
            "date_only": self.date_only,
            "out_of_range_times": self.out_of_range_times,
            "dst_times": self.dst_times,
            "eligible": eligible,
            # how the times were read (load notes), then what could not be judged
            "notes": [*self.time_notes, *self.notes],
        }

    def eligible_any(self) -> pd.Series:
        """True where at least one program may take the call."""
        return self.frame[self.programs].any(axis=1)


_DATE_ONLY_RE = r"\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}/\d{1,2}/\d{4}"


def date_only_mask(values: pd.Series) -> np.ndarray:
    """True where a time cell holds a date and no time of day (``2016-08-10``, ``8/10/2016``)."""
    s = values.astype(object).map(lambda v: "" if v is None or v != v else str(v).strip())
    return s.str.fullmatch(_DATE_ONLY_RE).fillna(False).to_numpy(dtype=bool)


def local_times_from_text(values: pd.Series, *, time_zone: str, area_zone: str) -> pd.Series:
    """Parse time text into naive local times of ``area_zone`` (see :mod:`geo_heart.config.times`).

    Unreadable and out-of-range values become ``NaT``.
    """
    return parse_local_times(values, time_zone=time_zone, area_zone=area_zone).local


def load_calls(
    ws: Workspace,
    path: str | Path | None = None,
    *,
    call_type_column: str | None = None,
    time_column: str | None = None,
    time_zone: str | None = None,
    beat_column: str | None = None,
    lon_column: str | None = None,
    lat_column: str | None = None,
    address_column: str | None = None,
    id_column: str | None = None,
    geocode: bool = False,
    scenario: str | None = None,
    rules: str | None = None,
    progress: bool = False,
    cache: bool = True,
    offsets: str | None = None,
    hour_column: str | None = None,
) -> CallData:
    """Read, classify, place and time a call table.

    Parameters
    ----------
    ws
        The workspace (area configuration and beat index).
    path
        CSV, Parquet or vector file; default: ``[layers.calls].file`` in the data folder.
    call_type_column, time_column, time_zone, beat_column, lon_column, lat_column, address_column,
    id_column
        Column names (default from ``[layers.calls]``). ``time_zone`` is the zone of naive times in
        the time column (default ``[layers.calls].time_zone``, else the area's zone). When
        ``path`` is given and differs from the configured file, only explicitly given location
        columns and the configured ones that exist in the file are used.
    offsets
        How a stated UTC offset in the time column is read: ``"honour"`` (converted to the area's
        zone) or ``"local"`` (dropped: the clock is a local wall time); default
        ``[layers.calls].offsets``, else ``"honour"``.
    hour_column
        The source's own hour column (default ``[layers.calls].hour_column`` when the file has
        it): the notes say how often the time column's clock hour agrees with it, warn when
        honoured offsets look wrong, and a ``00:00:00`` date-only stamp takes its time of day.
    geocode
        Also geocode the address column to get points (for hexagon and heat layers) when the
        location comes from a beat column.
    scenario
        Apply a what-if scenario to the eligibility columns (on top of the rules).
    rules
        Judge every call under this rule set (a name; default: each call under the rule set in
        force at its own local time, see :mod:`geo_heart.config.rules`).
    progress
        Show progress bars (stderr) for slow steps.
    cache
        Keep the result in the cache folder and reuse it while the calls file, the area file,
        the beats layer, the options and the version are unchanged
        (:mod:`geo_heart.analysis.calls_cache`; not with ``rules``).

    Returns
    -------
    CallData

    Raises
    ------
    DataSourceError
        The file is missing or unreadable.
    InputError
        A named column is missing, or no location column is available.
    """
    path = calls_path(ws, path)
    options = {
        "call_type_column": call_type_column,
        "time_column": time_column,
        "time_zone": time_zone,
        "beat_column": beat_column,
        "lon_column": lon_column,
        "lat_column": lat_column,
        "address_column": address_column,
        "id_column": id_column,
        "geocode": geocode,
        "scenario": scenario,
        "offsets": offsets,
        "hour_column": hour_column,
    }
    key = None
    if rules is None and cache and getattr(ws, "settings", None) is not None and path.is_file():
        from geo_heart.analysis import calls_cache

        key = calls_cache.cache_key(ws, path, {**options, "source": str(path)})
        hit = calls_cache.read_cached(ws, key)
        if hit is not None:
            return hit
    data = calls_from_frame(
        ws, read_table(path), source=path, rules=rules, progress=progress, **options
    )
    if key is not None:
        calls_cache.write_cached(ws, key, data)
    return data


def calls_path(ws: Workspace, path: str | Path | None = None) -> Path:
    """``path``, or the area's ``[layers.calls]`` file in the data folder when None."""
    if path is None:
        cfg = calls_layer(ws.config)
        if "file" not in cfg:
            raise InputError(f"no calls file given and {ws.config.path} has no [layers.calls] file")
        return ws.data_path(cfg["file"])
    return Path(path)


def calls_from_frame(
    ws: Workspace,
    df: pd.DataFrame,
    *,
    source: str | Path,
    call_type_column: str | None = None,
    time_column: str | None = None,
    time_zone: str | None = None,
    beat_column: str | None = None,
    lon_column: str | None = None,
    lat_column: str | None = None,
    address_column: str | None = None,
    id_column: str | None = None,
    geocode: bool = False,
    scenario: str | None = None,
    rules: str | None = None,
    progress: bool = False,
    offsets: str | None = None,
    hour_column: str | None = None,
) -> CallData:
    """:func:`load_calls` on a table already read (``source`` names it in messages); the unit
    of work of ``demand --engine dask``, one partition at a time."""
    area = ws.config
    cfg = calls_layer(area)
    path = Path(source)
    explicit_location = any(c is not None for c in (beat_column, lon_column, address_column))

    def pick(given: str | None, key: str) -> str | None:
        if given is not None:
            return given
        value = cfg.get(key)
        if value is None:
            return None
        if explicit_location and key in (
            "beat_column",
            "lon_column",
            "lat_column",
            "address_column",
        ):
            return None
        return (
            str(value)
            if str(value) in df.columns or key in ("call_type_column", "time_column")
            else None
        )

    ct_col = pick(call_type_column, "call_type_column")
    t_col = pick(time_column, "time_column")
    b_col = pick(beat_column, "beat_column")
    lon_col = pick(lon_column, "lon_column")
    lat_col = pick(lat_column, "lat_column")
    a_col = pick(address_column, "address_column")
    id_col = id_column if id_column is not None else cfg.get("id_column")
    if id_col is not None and id_col not in df.columns:
        id_col = None if id_column is None else id_col
    tz = time_zone or cfg.get("time_zone") or area.timezone
    # the area file's offsets rule describes its own export's time column: another column (a
    # user's own file) keeps the default unless --offsets says otherwise
    same_column = t_col is not None and t_col == cfg.get("time_column")
    offsets = check_offset_mode(offsets or (cfg.get("offsets") if same_column else None) or "honour")
    h_col = hour_column if hour_column is not None else cfg.get("hour_column")
    if hour_column is None and h_col is not None and h_col not in df.columns:
        h_col = None  # the configured column is not in this file
    if ct_col is None:
        raise InputError(f"{str(path)!r}: no call-type column; give --call-type-column")
    if t_col is None:
        raise InputError(f"{str(path)!r}: no time column; give --time-column")
    if (lon_col is None) != (lat_col is None):
        raise InputError(f"{str(path)!r}: give both a longitude and a latitude column")
    require_columns(
        df,
        {
            "--call-type-column": ct_col,
            "--time-column": t_col,
            "--beat-column": b_col,
            "--lon-column": lon_col,
            "--lat-column": lat_col,
            "--address-column": a_col,
            "--id-column": id_col,
            "--hour-column": h_col,
        },
        path,
    )
    if lon_col is None and b_col is None and a_col is None:
        raise InputError(
            f"{str(path)!r}: no location column; give --lon-column/--lat-column, --beat-column "
            "or --address-column"
        )
    problem = region_zone_problem(tz, allow_utc=True)
    if problem:
        raise InputError(f"time zone {tz!r} of {str(path)!r}: {problem}")

    n = len(df)
    log.info("read %s calls from %s", f"{n:,}", path)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["call_id"] = df[id_col].to_numpy() if id_col else np.arange(1, n + 1)
    out["raw_call_type"] = df[ct_col].astype(object).to_numpy()

    # ---- call types
    classes = call_type_table(area).classify_series(df[ct_col].reset_index(drop=True))
    for c in ("call_type", "label", "risk", "prefix_program"):
        out[c] = classes[c].to_numpy()
    unknown_mask = out["call_type"].isna()
    raw_text = out["raw_call_type"].map(lambda v: "" if v is None or v != v else str(v).strip())
    unknown_codes = dict(Counter(raw_text[unknown_mask].tolist()).most_common())

    # ---- times
    raw_times = df[t_col].reset_index(drop=True)
    times = parse_local_times(raw_times, time_zone=tz, area_zone=area.timezone, offsets=offsets)
    local = times.local
    filled = np.zeros(n, dtype=bool)
    check = None
    if h_col is not None:
        check = clock_check(
            raw_times,
            times,
            df[h_col],
            column=t_col,
            hour_column=h_col,
            area_zone=area.timezone,
        )
        local, filled = check.local, check.filled
        if check.suspicious:
            log.warning("%s", check.notes[0])
    # how the times were read, as counts (summed across partitions by --engine dask) and notes
    time_basis = time_read_basis(raw_times, times, check, column=t_col, area_zone=area.timezone,
                                 hour_column=h_col)  # fmt: skip
    time_notes = time_read_notes(time_basis)
    out["local_time"] = local.to_numpy()
    ok_t = local.notna().to_numpy()
    # a date without a time of day ("2016-08-10"): the date picks the rules, the hours are unknown
    dated = date_only_mask(raw_times) & ok_t & ~filled
    out["time_known"] = ok_t & ~dated
    mow = np.full(n, -1, dtype=np.int64)
    lt = local[ok_t]
    mow[ok_t] = (lt.dt.day_of_week * 1440 + lt.dt.hour * 60 + lt.dt.minute).to_numpy()
    mow[dated] = -1
    out["minute_of_week"] = mow
    month = np.full(n, None, dtype=object)
    month[ok_t] = lt.dt.strftime("%Y-%m").to_numpy()
    out["month"] = month
    bad_times = int(times.unreadable.sum())

    # ---- locations
    idx = ws.beat_index
    beat = np.full(n, None, dtype=object)
    district = np.full(n, None, dtype=object)
    placed = np.full(n, "unplaced", dtype=object)
    reason = np.full(n, "", dtype=object)
    lon = lat = None
    if lon_col is not None:
        mode = "coordinates"
        lon, lat, _valid = lonlat_from_columns(df, lon_col, lat_col)
        res = idx.assign(lon, lat)
        ok = res["status"] == "ok"
        beat[ok] = res["beat"][ok]
        district[ok] = res["district"][ok]
        placed[ok] = "coordinates"
        reason[~ok] = res["reason"][~ok]
    elif b_col is not None:
        mode = "beat_column"
        codes = df[b_col].map(_beat_text).to_numpy(dtype=object)
        known = set(idx.beats)
        is_known = np.array([c in known for c in codes], dtype=bool)
        blank = np.array([c == "" for c in codes], dtype=bool)
        beat[is_known] = codes[is_known]
        district[is_known] = [idx.district_of(c) for c in codes[is_known]]
        placed[is_known] = "beat_column"
        reason[blank] = f"empty {b_col}"
        bad = ~is_known & ~blank
        reason[bad] = [f"{b_col} {c!r} is not a beat of the layer" for c in codes[bad]]
        if a_col is not None and geocode:
            lon, lat, _g = _geocode(ws, df[a_col], progress=progress)
    else:
        mode = "geocoder"
        lon, lat, g = _geocode(ws, df[a_col], progress=progress)
        gb = g["beat"].to_numpy(dtype=object)
        ok = np.array([b is not None and b == b and str(b) != "" for b in gb], dtype=bool)
        beat[ok] = [str(b) for b in gb[ok]]
        district[ok] = [idx.district_of(str(b)) for b in gb[ok]]
        placed[ok] = "geocoder"
        if "reason" in g.columns:
            reason[~ok] = g["reason"].astype(object).to_numpy()[~ok]
        else:
            reason[~ok] = f"{a_col} could not be geocoded to a beat"
        reason[~ok] = [r if r else f"{a_col} could not be geocoded to a beat" for r in reason[~ok]]
    out["beat"] = beat
    out["district"] = district
    out["placed_by"] = placed
    out["place_reason"] = reason
    if lon is not None:
        out["lon"] = lon
        out["lat"] = lat

    # ---- eligibility
    elig = eligibility_frame(
        area,
        beats=out["beat"],
        call_types=out["call_type"],
        risk=out["risk"].to_numpy(dtype=bool),
        minute_of_week=out["minute_of_week"],
        local_time=out["local_time"] if rules is None else None,
        scenario=scenario,
        rules=rules,
    )
    out = pd.concat([out, elig.set_index(out.index)], axis=1)
    unplaced_mask = placed == "unplaced"
    if mode == "geocoder" and "status" in g.columns:
        classes = [
            f"geocoder status {s!r}" for s in g["status"].astype(str).to_numpy()[unplaced_mask]
        ]
    else:
        classes = [_reason_class(r) for r in reason[unplaced_mask]]
    reasons = dict(Counter(classes).most_common())
    data = CallData(
        frame=out,
        source=str(path),
        programs=list(area.programs),
        unknown_codes=unknown_codes,
        unplaced=int(unplaced_mask.sum()),
        unplaced_reasons=reasons,
        bad_times=bad_times,
        time_counts=times.counts(),
        location_mode=mode,
        date_only=int(dated.sum()),
        judged_under=rules,
        time_notes=time_notes,
        time_basis=time_basis,
    )
    log.info(
        "%s calls: %s unknown call types (%s distinct codes), %s unplaced, %s bad times",
        f"{n:,}",
        f"{data.unknown_calls:,}",
        len(unknown_codes),
        f"{data.unplaced:,}",
        f"{bad_times:,}",
    )
    return data


def calls_layer(area) -> dict:
    """The ``[layers.calls]`` table (validated by the area-file schema; empty when absent)."""
    return dict(area.layers.get("calls", {}))


def _beat_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def _reason_class(reason: str) -> str:
    """Group per-row reasons so that many distinct bad codes do not flood the summary."""
    if " is not a beat of the layer" in reason:
        return "beat code not in the layer"
    return reason or "unplaced"


def _geocode(ws: Workspace, addresses: pd.Series, *, progress: bool):
    """Geocode distinct addresses once; return lon, lat arrays and the per-row result frame."""
    from geo_heart.geocode.match import geocoder_for

    text = addresses.map(lambda v: "" if v is None or v != v else str(v).strip())
    uniq, inverse = np.unique(text.to_numpy(dtype=str), return_inverse=True)
    geocoder = geocoder_for(ws)
    try:
        result = geocoder.geocode_many(list(uniq), progress=progress)
    except TypeError:
        result = geocoder.geocode_many(list(uniq))
    result = result.reset_index(drop=True).iloc[inverse].reset_index(drop=True)
    lon = pd.to_numeric(result["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(result["lat"], errors="coerce").to_numpy(dtype=float)
    return lon, lat, result
