"""``demand --engine dask``: the local demand tables, counted per partition and summed exactly.

Each partition is classified, placed and judged by the local engine
(:func:`geo_heart.analysis.calls.calls_from_frame`: every call under the rule set in force at its
own local time) and reduced to the local tables' counts (:func:`~geo_heart.analysis.demand.beat_demand`,
:func:`~geo_heart.analysis.demand.hour_of_week_demand`, :func:`~geo_heart.analysis.demand.monthly_demand`)
plus what cannot be summed directly: the first call of each (month, rule set) — which orders a
month's rule sets — each rule set's first and last call and its months, and the unknown codes in
first-seen order. Counts are integers, so the sums equal the local engine's tables exactly; the
derived columns (shares, rates, per-month figures) are computed once from the sums.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.analysis.calls import CallData, calls_from_frame, calls_path
from geo_heart.analysis.demand import (
    beat_demand,
    hour_of_week_demand,
    monthly_demand,
    population_by_beat,
    with_beat_rates,
)
from geo_heart.config.times import merge_time_basis, time_read_notes
from geo_heart.dispatch.eligibility import program_counts
from geo_heart.scale.partitions import (
    expand_inputs,
    iter_partitions,
    materialize,
    rows_per_partition,
)

_COUNTS = ("eligible", "in_area", "in_hours", "covered")


def _counts(table: pd.DataFrame) -> list[str]:
    return [
        c for c in table.columns if c == "total_calls" or c.startswith(("eligible_", "covered_"))
    ]


def demand_part(ws, item, *, options: dict) -> dict[str, Any]:
    """One partition's counts (runs on a worker against the shipped area)."""
    part = materialize(item)
    data = calls_from_frame(ws, part, **options)
    f = data.frame
    timed = f[f["month"].notna()]
    beat = beat_demand(ws, data, population=False)
    out: dict[str, Any] = {
        "beat": beat,
        # notes the beat table adds to the calls' own (e.g. no per-capita columns)
        "beat_notes": [
            n for n in beat.attrs.get("notes", []) if n not in data.summary()["notes"]
        ],
        "hour": hour_of_week_demand(ws, data),
        "month": monthly_demand(data).drop(columns=["rules", "rule_change"], errors="ignore"),
        "start": timed["local_time"].min() if len(timed) else None,
        "end": timed["local_time"].max() if len(timed) else None,
        "summary": data.summary(),
        "programs": data.programs,
        # how the times were read, as counts: summed, they give the local engine's load notes
        "time_basis": data.time_basis,
    }
    raw = f.loc[f["call_type"].isna(), "raw_call_type"]
    out["unknown"] = list(
        Counter(raw.map(lambda v: "" if v is None or v != v else str(v).strip())).items()
    )
    if "rules" in f.columns:
        out["firsts"] = timed.groupby(["month", "rules"])["local_time"].min()
        periods = {}
        for name, g in f.groupby("rules", sort=False):
            periods[name] = {
                "first": g["local_time"].min(),
                "last": g["local_time"].max(),
                "months": set(g["month"].dropna()),
                **{p: {k: program_counts(g, p)[k] for k in _COUNTS} for p in data.programs},
            }
        out["periods"] = periods
    return out


def fold(acc: dict[str, Any] | None, part: dict[str, Any]) -> dict[str, Any]:
    """Two partitions' counts as one partition's (so a run keeps one running total, not a list)."""
    if acc is None:
        return part
    out = dict(acc)
    for key in ("beat", "hour"):
        table = acc[key].copy()
        for c in _counts(table):
            table[c] = table[c].to_numpy() + part[key][c].to_numpy()
        out[key] = table
    counts = _counts(acc["month"])
    both = pd.concat([acc["month"], part["month"]], ignore_index=True)
    out["month"] = both.groupby("month", sort=True)[counts].sum().reset_index()
    for key, pick in (("start", min), ("end", max)):
        vals = [v for v in (acc[key], part[key]) if v is not None]
        out[key] = pick(vals) if vals else None
    out["summary"] = _summary([acc, part], Counter())
    out["time_basis"] = merge_time_basis(acc.get("time_basis", {}), part.get("time_basis", {}))
    unknown = Counter(dict(acc["unknown"]))
    unknown.update(dict(part["unknown"]))
    out["unknown"] = list(unknown.items())
    if "firsts" in acc:
        out["firsts"] = pd.concat([acc["firsts"], part["firsts"]]).groupby(level=[0, 1]).min()
        periods = {k: dict(v) for k, v in acc["periods"].items()}
        for name, p in part["periods"].items():
            q = periods.get(name)
            if q is None:
                periods[name] = p
                continue
            q["first"], q["last"] = min(q["first"], p["first"]), max(q["last"], p["last"])
            q["months"] = q["months"] | p["months"]
            for code in part["programs"]:
                q[code] = {c: q[code][c] + p[code][c] for c in _COUNTS}
        out["periods"] = periods
    return out


def combine(ws, parts: list[dict[str, Any]], *, population: bool | None = None) -> dict[str, Any]:
    """The local engine's tables and summary from the partitions' counts (``population``: as
    :func:`~geo_heart.analysis.demand.beat_demand`'s, default when the area has the layer)."""
    if population is None:
        population = "population" in ws.config.layers
    first = parts[0]
    programs = first["programs"]
    beat = first["beat"].drop(
        columns=["share_of_city_eligible", "eligible_per_1000", "eligible_per_sq_mi"],
        errors="ignore",
    )
    for c in _counts(beat):
        beat[c] = sum(p["beat"][c].to_numpy() for p in parts)
    if population:
        pop = population_by_beat(ws)
        beat.insert(3, "population", pop.reindex(beat["beat"]).fillna(0.0).round(1).to_numpy())
    beat = with_beat_rates(beat)
    hour = first["hour"].copy()
    for c in _counts(hour):
        hour[c] = sum(p["hour"][c].to_numpy() for p in parts)
    months = pd.concat([p["month"] for p in parts], ignore_index=True)
    month_counts = _counts(first["month"])
    month = months.groupby("month", sort=True)[month_counts].sum().reset_index()
    periods_table = None
    if "firsts" in first:
        firsts = pd.concat([p["firsts"] for p in parts]).groupby(level=[0, 1]).min()
        firsts = firsts.reset_index().sort_values(["month", "local_time"], kind="stable")
        names = firsts.groupby("month", sort=True)["rules"].agg("+".join)
        month.insert(1, "rules", names.reindex(month["month"]).to_numpy())
        month.insert(2, "rule_change", month["rules"].str.contains("+", regex=False))
        periods_table = _periods(ws, parts, programs)
    month = _month_columns(month)
    unknown: Counter = Counter()
    for p in parts:
        unknown.update(dict(p["unknown"]))
    unknown_table = pd.DataFrame(
        {
            "raw_call_type": [k for k, _ in unknown.most_common()],
            "calls": [v for _, v in unknown.most_common()],
        }  # fmt: skip
    )
    summary = _summary(parts, unknown)
    beat.attrs["notes"] = list(summary["notes"]) + ([] if population else first["beat_notes"])
    starts = [p["start"] for p in parts if p["start"] is not None]
    ends = [p["end"] for p in parts if p["end"] is not None]
    return {
        "beat": beat,
        "hour": hour,
        "month": month,
        "unknown": unknown_table,
        "periods": periods_table,
        "start": min(starts) if starts else None,
        "end": max(ends) if ends else None,
        "summary": summary,
    }


def _month_columns(month: pd.DataFrame) -> pd.DataFrame:
    """Column order of :func:`monthly_demand`: month, rules, rule_change, then the counts."""
    lead = [c for c in ("month", "rules", "rule_change") if c in month.columns]
    return month[lead + [c for c in month.columns if c not in lead]]


def _periods(ws, parts: list[dict], programs: list[str]) -> pd.DataFrame:
    """:func:`geo_heart.analysis.coverage.rules_coverage_table` from the partitions' counts."""
    rows = []
    for rs in ws.config.timeline.rule_sets:
        got = [p["periods"][rs.name] for p in parts if rs.name in p["periods"]]
        if not got:
            continue
        months = len(set().union(*(g["months"] for g in got)))
        first = min(g["first"] for g in got)
        last = max(g["last"] for g in got)
        for code in programs:
            k = {c: int(sum(g[code][c] for g in got)) for c in _COUNTS}
            n = k["eligible"]
            for c in ("in_area", "in_hours", "covered"):
                k[f"share_{c}"] = round(k[c] / n, 4) if n else None
            rows.append(
                {
                    "rules": rs.name,
                    "label": rs.label,
                    "effective_from": rs.effective_from.isoformat() if rs.effective_from else None,
                    "effective_to": rs.effective_to.isoformat() if rs.effective_to else None,
                    "first_call": first.strftime("%Y-%m-%d"),
                    "last_call": last.strftime("%Y-%m-%d"),
                    "months": months,
                    "program": code,
                    **k,
                    "covered_per_month": round(k["covered"] / months, 1) if months else None,
                }
            )
    return pd.DataFrame(rows)


def _summary(parts: list[dict], unknown: Counter) -> dict[str, Any]:
    """:meth:`CallData.summary` of the whole table: counts summed (nested counts key by key),
    reasons most frequent first, the unknown-code figures from the merged codes."""
    out: dict[str, Any] = {}
    for key, first in parts[0]["summary"].items():
        values = [p["summary"][key] for p in parts]
        if key == "unplaced_reasons":
            reasons: Counter = Counter()
            for v in values:
                reasons.update(v)
            out[key] = dict(reasons.most_common())
        elif isinstance(first, dict):
            out[key] = {k: sum(int(v.get(k, 0)) for v in values) for k in first}
        elif isinstance(first, (int, np.integer)) and not isinstance(first, bool):
            out[key] = int(sum(values))
        else:  # source, location mode: the same for every partition
            out[key] = first
    out["unknown_calls"] = int(sum(unknown.values()))
    out["unknown_distinct_codes"] = len(unknown)
    if "notes" in out:  # the calls' notes, from the summed counts
        computed = CallData.notes.fget(SimpleNamespace(**out))
        # how the times were read: the load notes of the partitions' summed counts, word for
        # word the local engine's (offsets, the hour column's agreement, date-only stamps)
        basis: dict = {}
        for p in parts:
            basis = merge_time_basis(basis, p.get("time_basis", {}))
        out["notes"] = time_read_notes(basis) + computed
    return out


def _needs_geocoder(ws, first: Path, options: dict) -> bool:
    """True when the calls will be placed by geocoding their addresses (no lon/lat or beat
    column given or configured and present), so the reference index must ship too."""
    from geo_heart.analysis.calls import calls_layer
    from geo_heart.io.tables import read_header

    if options.get("lon_column") or options.get("beat_column"):
        return False
    if options.get("address_column"):
        return True
    cfg = calls_layer(ws.config)
    header = set(read_header(first))
    return not any(cfg.get(k) in header for k in ("lon_column", "beat_column") if cfg.get(k))


def demand_dask(
    ws,
    calls: str | Path | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    partitions: int | None = None,
    blocksize: str | None = None,
    chunk_rows: int = 200_000,
    processes: bool = True,
    population: bool | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Demand tables of CALLS (a file, folder or glob of partitions; default the area's calls)
    on a dask cluster: the dict of :func:`combine` (``beat``, ``hour``, ``month``, ``unknown``,
    ``periods``, ``start``, ``end``, ``summary``). ``options`` are :func:`load_calls`'s
    column options."""
    from geo_heart.scale.run import dask_executor

    source = calls if calls is not None else calls_path(ws)
    files = expand_inputs(source)
    rows = rows_per_partition(
        files, partitions=partitions, blocksize=blocksize, default_rows=chunk_rows
    )
    opts = {"source": str(source), **{k: v for k, v in options.items() if v is not None}}
    needs = ("beats", "geocoder") if _needs_geocoder(ws, files[0], options) else ("beats",)
    with dask_executor(
        ws, needs=needs, scheduler=scheduler, workers=workers, processes=processes
    ) as ex:
        total = None
        for part in ex.map_ordered(demand_part, iter_partitions(files, rows=rows), options=opts):
            total = fold(total, part)  # memory: one running total, whatever the row count
    return combine(ws, [total], population=population)
