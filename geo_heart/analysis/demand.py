"""Demand tables: eligible calls by beat, by hour of the week and by month.

"Eligible" here means **eligible by call type** (``P_type``: the call type, with the weapon/violence
flag, is one the program takes), wherever and whenever the call came in: that is the demand a program
could serve. ``covered_<P>`` counts the calls the program could take under the rules in force at the
call's own time (call type, service area and hours all satisfied, the program operating): zero
before the launch, the pilot's area and hours during the pilot, the citywide program after. The
coverage module explains the gap; :func:`rules_coverage_table` compares the periods.

Population per beat is apportioned from census tracts by area with ``tobler``
(:func:`geo_heart.geo.interpolate.apportion`): each tract's population is split among the beats it
overlaps in proportion to the overlapping area, computed in the area's projected CRS
(``[area].projected_crs``, EPSG:2264 for Durham). This assumes people are spread evenly within a
tract; tract parts outside every beat (county land outside the layer) are not counted.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from geo_heart.analysis.calls import CallData
from geo_heart.config.schedule import DAY_NAMES
from geo_heart.errors import ConfigError, DataSourceError
from geo_heart.geo.workspace import Workspace

log = logging.getLogger(__name__)

SQ_FT_PER_SQ_MI = 5280.0**2


def population_by_beat(ws: Workspace) -> pd.Series:
    """Residents per beat, apportioned from ``[layers.population]`` polygons by area.

    Returns
    -------
    pandas.Series
        Beat code → population (float), for every beat of the layer.

    Raises
    ------
    ConfigError
        The layer or its ``population_field`` is not configured.
    DataSourceError
        The file is missing, has no CRS or lacks the population field.
    """
    path = ws.layer_path("population")
    field = ws.config.layer_value("population", "population_field")
    if not isinstance(field, str) or not field:
        raise ConfigError(
            f"{ws.config.path}: layers.population.population_field must be a column name, got {field!r}"
        )
    key = (str(path), path.stat().st_mtime if path.exists() else 0, field, ws.config.projected_crs)
    beats = ws.beat_index.to_geodataframe()
    out = ws.cached(
        ("population", *key),
        lambda: _population_on_disk(
            ws, key, tuple(beats["beat"]), beats.geometry.values, path, field
        ),
    )
    return out.copy()


POPULATION_CACHE_FORMAT = 2


def _population_on_disk(ws: Workspace, key, beat_ids, beat_geoms, path: Path, field: str):
    """:func:`_population`, kept in the cache folder as ``population-<key>.json``.

    The key is the SHA-1 of the population file's content (a Shapefile's sidecar files too), the
    beats' ids and geometries (WKB), the field, the projected CRS and the cache format, so an entry
    can never be used for other inputs. The apportionment took ~2 s of every ``map`` run.
    """
    import hashlib
    import json

    import shapely

    from geo_heart.io.files import atomic_write, file_sha1

    if not path.exists():  # _population raises the clear error
        return _population(key, beat_ids, beat_geoms, path, field)
    h = hashlib.sha1(f"population v{POPULATION_CACHE_FORMAT}".encode())
    files = [path]
    if path.suffix.lower() == ".shp":
        files += [path.with_suffix(s) for s in (".dbf", ".shx", ".prj", ".cpg")]
    for f in files:
        if f.exists():
            h.update(f.name.encode() + file_sha1(f).encode())
    h.update(json.dumps([field, key[3], [str(b) for b in beat_ids]]).encode())
    for wkb in shapely.to_wkb(np.asarray(beat_geoms, dtype=object)):
        h.update(wkb)
    cache = Path(ws.settings.cache_dir) / f"population-{h.hexdigest()[:24]}.json"
    if cache.exists():
        try:
            saved = json.loads(cache.read_text(encoding="utf-8"))
            rows = saved["rows"]
            out = pd.Series(
                [float(v) for _, v in rows],
                index=pd.Index([b for b, _ in rows], name=saved["index_name"]),
            )
            if list(out.index) == list(beat_ids):
                out.name = "population"
                return out
        except Exception as exc:  # a damaged entry is rebuilt
            log.warning("ignoring unreadable population cache %s: %s", cache, exc)
    out = _population(key, beat_ids, beat_geoms, path, field)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(cache) as tmp:
            Path(tmp).write_text(
                json.dumps(
                    {
                        "index_name": out.index.name,
                        "rows": [[b, float(v)] for b, v in out.items()],
                    }
                ),
                encoding="utf-8",
            )
    except Exception as exc:  # e.g. a read-only cache folder: the value is still returned
        log.warning("could not cache population by beat in %s: %s", cache, exc)
    return out


def _population(key, beat_ids, beat_geoms, path: Path, field: str) -> pd.Series:
    import geopandas as gpd

    from geo_heart.io.tables import read_table

    tracts = read_table(path)
    if not isinstance(tracts, gpd.GeoDataFrame):
        raise DataSourceError(f"population layer {str(path)!r} has no geometries")
    if tracts.crs is None:
        raise DataSourceError(f"population layer {str(path)!r} has no CRS")
    if field not in tracts.columns:
        raise DataSourceError(
            f"population layer {str(path)!r} has no column {field!r} "
            "(layers.population.population_field)"
        )
    from geo_heart.geo.interpolate import apportion

    src = gpd.GeoDataFrame(
        {"_source": np.arange(len(tracts)).astype(str), "pop": tracts[field].to_numpy()},
        geometry=tracts.geometry.to_numpy(),
        crs=tracts.crs,
    )
    bt = gpd.GeoDataFrame({"beat": list(beat_ids)}, geometry=list(beat_geoms), crs="EPSG:4326")
    pieces = apportion(src, bt, ["pop"], crs=key[3], source_id="_source", target_id="beat")
    out = pieces.groupby("beat")["pop"].sum().reindex(list(beat_ids), fill_value=0.0)
    out.name = "population"
    return out


def beat_demand(ws: Workspace, data: CallData, *, population: bool | None = None) -> pd.DataFrame:
    """One row per beat of the layer: how much eligible demand it has.

    Columns
    -------
    beat, district, area_sq_mi, population, in_<service area> (default service area, e.g.
    ``in_pilot``), total_calls, eligible_any, eligible_<P> and covered_<P> for each program,
    share_of_city_eligible (eligible_any / citywide eligible_any placed in a beat),
    eligible_per_1000 (eligible_any per 1,000 residents; empty when population is 0),
    eligible_per_sq_mi.

    ``population`` (default: when ``[layers.population]`` is configured) false leaves the
    ``population`` and ``eligible_per_1000`` columns out, with a note in ``table.attrs["notes"]``.
    When some calls have a date but no time of day, ``eligible_in_area_<P>`` (eligible by type
    and inside the program's area under the rules of the call's date; hours not judged) is added.
    """
    if population is None:
        population = "population" in ws.config.layers
    notes = [*getattr(data, "time_notes", []), *data.notes]
    f = data.frame
    idx = ws.beat_index
    beats = idx.beats
    placed = f["beat"].notna()
    type_cols = [f"{p}_type" for p in data.programs]
    area_cols = [f"{p}_area" for p in data.programs] if data.date_only else []
    counted = [*type_cols, *data.programs, *area_cols]
    g = f.loc[placed, ["beat", *dict.fromkeys(counted)]]  # not a copy of the whole call table
    by_beat = g.groupby("beat")
    sums = by_beat[list(dict.fromkeys(counted))].sum()  # each flag counted per beat, one grouping
    table = pd.DataFrame({"beat": beats})
    table["district"] = [idx.district_of(b) for b in beats]
    areas = idx.area_sq_mi()
    table["area_sq_mi"] = [round(areas[b], 4) for b in beats]
    if population:
        pop = population_by_beat(ws)
        table["population"] = pop.reindex(beats).fillna(0.0).round(1).to_numpy()
    else:
        notes.append(
            "no population layer ([layers.population]) is configured: the per-capita columns "
            "(population, eligible_per_1000) are left out"
        )
    sa_key = ws.config.default_service_area
    sa = ws.config.service_areas[sa_key]
    table[f"in_{sa_key}"] = [sa.contains(b) for b in beats]
    counts = by_beat.size()
    table["total_calls"] = counts.reindex(beats, fill_value=0).astype(int).to_numpy()
    any_eligible = g[type_cols].any(axis=1)
    table["eligible_any"] = (
        any_eligible.groupby(g["beat"]).sum().reindex(beats, fill_value=0).astype(int).to_numpy()
    )

    def per_beat(col: str) -> np.ndarray:
        return sums[col].reindex(beats, fill_value=0).astype(int).to_numpy()

    for p in data.programs:
        table[f"eligible_{p}"] = per_beat(f"{p}_type")
        table[f"covered_{p}"] = per_beat(p)
        if data.date_only:
            in_area = g[f"{p}_type"] & g[f"{p}_area"]
            table[f"eligible_in_area_{p}"] = (
                in_area.groupby(g["beat"]).sum().reindex(beats, fill_value=0).astype(int).to_numpy()
            )
    table.attrs["notes"] = notes
    return with_beat_rates(table)


def with_beat_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Set the beat table's derived columns from its counts: ``share_of_city_eligible``,
    ``eligible_per_1000`` and ``eligible_per_sq_mi`` (also after summing partitions' counts)."""
    city = table["eligible_any"].sum()
    table["share_of_city_eligible"] = (table["eligible_any"] / city).round(5) if city else 0.0
    if "population" in table.columns:
        popv = table["population"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(popv > 0, table["eligible_any"].to_numpy() / popv * 1000.0, np.nan)
        table["eligible_per_1000"] = np.round(rate, 3)
    table["eligible_per_sq_mi"] = (table["eligible_any"] / table["area_sq_mi"]).round(3)
    return table


def hour_of_week_demand(
    ws: Workspace, data: CallData, *, scenario: str | None = None
) -> pd.DataFrame:
    """168 rows (Mon 00 = 0): calls and eligible calls per hour of the week, with program hours.

    Columns: hour_of_week, day, hour, total_calls, eligible_any, eligible_<P> per program and
    ``open_<P>`` (share of the hour the program is open, 0..1).
    """
    from geo_heart.dispatch.eligibility import programs_for

    f = data.frame
    ok = f["minute_of_week"] >= 0
    how = (f.loc[ok, "minute_of_week"] // 60).astype(int)
    hours = np.arange(168)
    table = pd.DataFrame(
        {"hour_of_week": hours, "day": [DAY_NAMES[h // 24] for h in hours], "hour": hours % 24}
    )
    table["total_calls"] = how.value_counts().reindex(hours, fill_value=0).to_numpy()
    type_cols = [f"{p}_type" for p in data.programs]
    anyv = f.loc[ok, type_cols].any(axis=1)
    table["eligible_any"] = (
        anyv.groupby(how).sum().reindex(hours, fill_value=0).astype(int).to_numpy()
    )
    progs = programs_for(ws.config, scenario)
    for p in data.programs:
        table[f"eligible_{p}"] = (
            f.loc[ok, f"{p}_type"]
            .groupby(how)
            .sum()
            .reindex(hours, fill_value=0)
            .astype(int)
            .to_numpy()
        )
    for p in data.programs:
        table[f"open_{p}"] = np.round(progs[p].hours.hour_mask(), 4)
    return table


def monthly_demand(data: CallData) -> pd.DataFrame:
    """One row per month: eligible and covered calls per program under each month's rules.

    Columns: month, rules (the rule set(s) the month's calls were judged under, ``+``-joined when
    the rules changed within the month), rule_change (True then), total_calls, eligible_any,
    eligible_<P>, covered_<P>. Partial months (data starting or ending inside them) are flagged by
    :func:`geo_heart.render.tables.with_partial_months`.
    """
    f = data.frame
    ok = f["month"].notna()
    type_cols = [f"{p}_type" for p in data.programs]
    # only the columns used (a copy of the whole call table cost more than the counting)
    cols = ["month", "local_time", "rules", *type_cols, *data.programs]
    g = f.loc[ok, [c for c in dict.fromkeys(cols) if c in f.columns]]
    months = sorted(g["month"].unique().tolist())
    table = pd.DataFrame({"month": months})
    if "rules" in g.columns:
        in_order = g[["month", "rules", "local_time"]].sort_values("local_time", kind="stable")
        names = in_order.groupby("month", sort=True)["rules"].agg(
            lambda s: "+".join(dict.fromkeys(s))
        )
        table["rules"] = names.reindex(months).to_numpy()
        table["rule_change"] = table["rules"].str.contains("+", regex=False)
    table["total_calls"] = g.groupby("month").size().reindex(months, fill_value=0).to_numpy()
    table["eligible_any"] = (
        g[type_cols]
        .any(axis=1)
        .groupby(g["month"])
        .sum()
        .reindex(months, fill_value=0)
        .astype(int)
        .to_numpy()
    )
    for p in data.programs:
        table[f"eligible_{p}"] = (
            g[f"{p}_type"]
            .groupby(g["month"])
            .sum()
            .reindex(months, fill_value=0)
            .astype(int)
            .to_numpy()
        )
        table[f"covered_{p}"] = (
            g[p].groupby(g["month"]).sum().reindex(months, fill_value=0).astype(int).to_numpy()
        )
    return table


def unknown_codes_table(data: CallData) -> pd.DataFrame:
    """Raw call codes not in the call-type table: ``raw_call_type``, ``calls``, most frequent first."""
    return pd.DataFrame(
        {"raw_call_type": list(data.unknown_codes), "calls": list(data.unknown_codes.values())}
    )
