"""Judge batch rows under the program rules in force at each row's own time (``--at-column``).

``assign`` and ``geocode`` add ``in_service_area``. Without a time column it is judged under the
rules in force today (:func:`rules_note` names them); with ``at_column`` each row is judged under
the rule set in force at its own local time, read exactly as the call loader reads times
(:func:`geo_heart.config.times.parse_local_times`: offsets honoured, naive times in ``time_zone``,
daylight-saving gaps shifted forward and repeated hours taken as the first). The rows are grouped
by rule period (a handful), so the work is vectorised.

Columns written with ``at_column`` (``gh_<name>`` where the input has the name):

``rules``
    The rule set in force at the row's time (``pilot``, ``citywide``; the synthetic ``none``
    before any program existed); empty when the time is unreadable (then nothing is judged).
``service_area``
    The key of that rule set's service area (empty when no program was in force).
``programs``
    Codes (comma-separated, configuration order) of the programs active at that time whose own
    service area holds the row's beat. Hours and call types are not judged here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.errors import InputError

log = logging.getLogger(__name__)

#: Columns added with ``at_column`` (after ``in_service_area``'s own column, which is replaced).
AT_COLUMNS = ("rules", "service_area", "programs")


def at_time_zone(config, time_zone: str | None = None) -> str:
    """The zone of naive times in an ``--at-column``: the one given, else ``[layers.calls]
    time_zone``, else the area's zone (as the call loader decides)."""
    if time_zone:
        return time_zone
    calls = (getattr(config, "layers", None) or {}).get("calls") or {}
    return calls.get("time_zone") or config.timezone


def check_time_zone(tz: str) -> None:
    """Refuse a time zone that is not an IANA region name, in one line."""
    from geo_heart.config.times import region_zone_problem

    problem = region_zone_problem(tz, allow_utc=True)
    if problem:
        raise InputError(f"--at-time-zone {tz!r}: {problem}")


@dataclass
class RulesJudged:
    """Per-row judgement under the rules at each row's time, and what happened to the times."""

    in_service_area: np.ndarray
    rules: np.ndarray
    service_area: np.ndarray
    programs: np.ndarray
    counts: dict[str, Any]


def judge_rows(config, beats, local_times: pd.Series) -> RulesJudged:
    """Judge each row's beat under the rule period in force at its naive local time.

    Parameters
    ----------
    config
        The :class:`~geo_heart.config.areafile.AreaConfig` (its rules timeline).
    beats
        Beat code per row (``None`` where the row has none).
    local_times
        Naive wall-clock times of the area's zone (``NaT``: not judged, empty ``rules``).
    """
    beats = np.asarray(list(beats), dtype=object)
    n = len(beats)
    local = pd.Series(pd.to_datetime(pd.Series(local_times).reset_index(drop=True)))
    known = local.notna().to_numpy()
    in_sa = np.zeros(n, dtype=bool)
    rules = np.full(n, "", dtype=object)
    sa_key = np.full(n, "", dtype=object)
    progs = np.full(n, "", dtype=object)
    tl = config.timeline
    period_of = np.full(n, -1, dtype=np.int64)
    if known.any():
        days = local[known].dt.floor("D").to_numpy().astype("datetime64[D]")
        period_of[known] = tl.index_of(days)
    by_rules: dict[str, int] = {}
    for i in np.unique(period_of[period_of >= 0]).tolist():
        rows = period_of == i
        period = tl.periods[i]
        rs = period.rule_set
        rules[rows] = rs.name
        by_rules[rs.name] = by_rules.get(rs.name, 0) + int(rows.sum())
        sa = config.service_area_under(rs)
        b = beats[rows]
        uniq = {x for x in b.tolist() if x is not None}
        if sa is not None:
            sa_key[rows] = sa.key
            members = {x for x in uniq if sa.contains(x)}
            in_sa[rows] = [x in members for x in b.tolist()]
        holders: dict[str, list[str]] = {x: [] for x in uniq}
        for code, p in period.programs.items():
            if not p.active:
                continue
            area = config.service_areas[p.service_area]
            for x in uniq:
                if area.contains(x):
                    holders[x].append(code)
        progs[rows] = [",".join(holders[x]) if x is not None else "" for x in b.tolist()]
    counts = {"by_rules": by_rules, "time_not_read": int((~known).sum())}
    return RulesJudged(in_sa, rules, sa_key, progs, counts)


def judge_column(config, df: pd.DataFrame, beats, *, at_column: str, time_zone: str | None = None,
                 source: str = "input") -> RulesJudged:  # fmt: skip
    """:func:`judge_rows` for the times in ``df[at_column]`` (read like the call loader)."""
    from geo_heart.config.times import parse_local_times

    if at_column not in df.columns:
        raise InputError(
            f"{str(source)!r} has no --at-column {at_column!r}; columns: {list(map(str, df.columns))}"
        )
    tz = at_time_zone(config, time_zone)
    parsed = parse_local_times(
        df[at_column].reset_index(drop=True), time_zone=tz, area_zone=config.timezone
    )
    judged = judge_rows(config, beats, parsed.local)
    judged.counts.update(parsed.counts())
    return judged


def rules_at_names(columns, *, source: str = "input") -> dict[str, str]:
    """Output names of :data:`AT_COLUMNS` for an input with ``columns`` (``gh_`` on a clash)."""
    from geo_heart.geo.assign import result_column_names

    return result_column_names(columns, AT_COLUMNS, source=source)


def apply_rules_at(
    config,
    out: pd.DataFrame,
    *,
    input_columns,
    beat_column: str,
    in_service_column: str,
    at_column: str,
    time_zone: str | None = None,
    source: str = "input",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rewrite ``in_service_area`` of a result under each row's time and add :data:`AT_COLUMNS`.

    ``out`` is a result table (the input's columns plus result columns); its rows keep their
    order. Returns the table and the counts (rows by rule set, times not read, DST rows).
    """
    judged = judge_column(
        config, out, out[beat_column].tolist(), at_column=at_column, time_zone=time_zone,
        source=source,
    )  # fmt: skip
    names = rules_at_names(input_columns, source=source)
    out = out.copy()
    out[in_service_column] = judged.in_service_area
    out[names["rules"]] = judged.rules
    out[names["service_area"]] = judged.service_area
    out[names["programs"]] = judged.programs
    return out, judged.counts


def merge_counts(total: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """Add the counts of one chunk to a running total (in place; returned)."""
    for k, v in part.items():
        if isinstance(v, dict):
            sub = total.setdefault(k, {})
            for kk, vv in v.items():
                sub[kk] = sub.get(kk, 0) + int(vv)
        else:
            total[k] = total.get(k, 0) + int(v)
    return total


class RulesAtHook:
    """A ``chunk_hook`` for :func:`geo_heart.geocode.batch.geocode_file`: judges each geocoded
    chunk under its rows' own times. Its ``__qualname__`` names the column and zone, so a resumed
    run with another column starts over."""

    def __init__(self, config, *, input_columns, at_column: str, time_zone: str | None = None,
                 source: str = "input", then=None) -> None:  # fmt: skip
        self.config = config
        self.input_columns = list(input_columns)
        self.at_column = at_column
        self.time_zone = at_time_zone(config, time_zone)
        self.source = str(source)
        self.then = then
        self.counts: dict[str, Any] = {}
        self.__qualname__ = f"RulesAtHook({at_column!r}, {self.time_zone!r})"

    def __call__(self, out: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
        out, counts = apply_rules_at(
            self.config, out, input_columns=self.input_columns, beat_column=names["beat"],
            in_service_column=names["in_service_area"], at_column=self.at_column,
            time_zone=self.time_zone, source=self.source,
        )  # fmt: skip
        merge_counts(self.counts, counts)
        return self.then(out, names) if self.then is not None else out


def rules_note(config, *, at_column: str | None = None, time_zone: str | None = None,
               counts: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """What rules a batch output's ``in_service_area`` reflects, for the summary and metadata.

    Without ``at_column``: the rule set in force today (the area's zone) and its service area.
    With it: the column, the zone of its naive times and the rows judged under each rule set.
    """
    from geo_heart.config.clock import now_local

    if at_column:
        return {
            "judged": "at each row's time",
            "at_column": at_column,
            "time_zone": at_time_zone(config, time_zone),
            "area_time_zone": config.timezone,
            **(counts or {}),
        }
    now = now_local(config.timezone)
    rs = config.rules_at(now).rule_set
    sa = config.service_area_under(rs)
    return {
        "judged": "today",
        "date": now.date().isoformat(),
        "area_time_zone": config.timezone,
        "rules": rs.name,
        "rules_label": rs.label,
        "rules_span": rs.span(),
        "service_area": None if sa is None else sa.key,
        "service_area_label": None if sa is None else sa.label,
    }


def rules_sentence(note: dict[str, Any]) -> str:
    """One summary line naming the rules ``in_service_area`` reflects."""
    if note.get("judged") == "today":
        sa = note.get("service_area_label") or "no service area (no program in force)"
        return (
            f"in_service_area judged under the rules in force today ({note['date']}, "
            f"{note['area_time_zone']}): {note['rules']!r} ({note['rules_span']}), service area: "
            f"{sa}; give --at-column to judge each row at its own time"
        )
    by = ", ".join(f"{k} {v:,}" for k, v in (note.get("by_rules") or {}).items()) or "none"
    extra = ""
    if note.get("time_not_read"):
        extra += f"; {note['time_not_read']:,} rows with no readable time (not judged)"
    dst = int(note.get("dst_ambiguous_first", 0)) + int(note.get("dst_nonexistent_shifted", 0))
    if dst:
        extra += f"; {dst:,} times at a daylight-saving change resolved"
    return (
        f"in_service_area judged at each row's time in {note['at_column']!r} (naive times in "
        f"{note['time_zone']}); rows by rule set: {by}{extra}"
    )


def write_rules_metadata(path, fmt: str, note: dict[str, Any]) -> str | None:
    """Name the rules in the output file: a GeoPackage's dataset metadata (``gpkg_metadata``, as
    GDAL writes it; ``ogrinfo`` lists it), else a sidecar ``<output>.rules.json``.

    Returns the sidecar's path, or ``None`` when written inside the file.
    """
    import json
    from pathlib import Path

    path = Path(path)
    if fmt == "gpkg" and path.is_file():
        try:
            _gpkg_metadata(path, {f"geo_heart_rules_{k}": v for k, v in note.items()})
            return None
        except Exception as exc:  # a GeoPackage we cannot annotate: fall back to the sidecar
            log.warning("could not write rules metadata into %s (%s); writing a sidecar", path, exc)
    side = path.with_name(path.name + ".rules.json")
    side.write_text(json.dumps(note, indent=2, default=str) + "\n", encoding="utf-8")
    return str(side)


def _gpkg_metadata(path, items: dict[str, Any]) -> None:
    """Add (or replace) GDAL dataset metadata items in a GeoPackage through SQLite."""
    import json
    import sqlite3
    from xml.sax.saxutils import escape, quoteattr

    body = "".join(
        f"<MDI key={quoteattr(k)}>"
        f"{escape(v if isinstance(v, str) else json.dumps(v, default=str))}</MDI>"
        for k, v in items.items()
    )
    xml = f"<GDALMultiDomainMetadata><Metadata>{body}</Metadata></GDALMultiDomainMetadata>"
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY "
                "ASC NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT "
                "NULL, mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')"
            )
            con.execute(
                "CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (reference_scope TEXT NOT "
                "NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER, timestamp DATETIME "
                "NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT "
                "NULL, md_parent_id INTEGER, CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) "
                "REFERENCES gpkg_metadata(id), CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) "
                "REFERENCES gpkg_metadata(id))"
            )
            con.execute(
                "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
                "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
                "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
            )
            for table in ("gpkg_metadata", "gpkg_metadata_reference"):
                con.execute(
                    "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_metadata', "
                    "'http://www.geopackage.org/spec120/#extension_metadata', 'read-write')",
                    (table,),
                )
            old = con.execute(
                "SELECT m.id FROM gpkg_metadata m JOIN gpkg_metadata_reference r ON "
                "r.md_file_id = m.id WHERE r.reference_scope = 'geopackage' AND "
                "m.md_standard_uri = 'http://gdal.org' AND m.mime_type = 'text/xml'"
            ).fetchall()
            for (mid,) in old:
                con.execute("DELETE FROM gpkg_metadata_reference WHERE md_file_id = ?", (mid,))
                con.execute("DELETE FROM gpkg_metadata WHERE id = ?", (mid,))
            cur = con.execute(
                "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                "VALUES ('dataset', 'http://gdal.org', 'text/xml', ?)",
                (xml,),
            )
            con.execute(
                "INSERT INTO gpkg_metadata_reference (reference_scope, md_file_id) "
                "VALUES ('geopackage', ?)",
                (cur.lastrowid,),
            )
    finally:
        con.close()
