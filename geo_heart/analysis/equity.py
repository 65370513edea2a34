"""Equity and access: who a rule set's service area reaches, by census tract and resident group.

Inputs come from the area file: ``[equity]`` names the census layer (``layer``, default
``tracts``: ``[layers.tracts]`` with its ``geoid_field``), the resident groups
(``[equity.groups.<key>]``: a count column and its universe, persons or households), fields copied
as they are (``fields``: rates, medians) and a need measure (``need_field``). Counts are apportioned
from tracts to the pieces tract ∩ beat with ``tobler`` (:func:`geo_heart.geo.interpolate.apportion`,
by area or dasymetrically by address points). The **police territory** is every beat not flagged
``outside_city``; its residents are the ``residents``; residents of tracts in the outside beats are
``county_residents`` (part of the county-expansion answer).

Under one rule set (``rules`` or ``as_of``), every call is judged whatever its date:
``eligible_calls`` are the calls of a type some program takes then, wherever they are; ``covered``
those also inside the program's area and hours. Calls are placed in tracts by their points when
they have them, else each beat's calls are spread over its tracts in proportion to its residents.

Per group: residents, the share living in the service area, eligible calls per 1,000 residents
where they live (a tract's rate weighted by the group's residents there), covered share and unmet
calls per 1,000 where they live, and the ratio of each to the ``all`` group with a bootstrap
interval over tracts (tracts resampled with replacement).

Caveats the outputs carry: incident data undercount behavioural-health calls; tract figures are
ACS estimates with margins of error; area weighting assumes residents spread evenly in a tract;
differences between groups describe where people live, not why (correlation is not cause).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo_heart.errors import ConfigError, DataSourceError, InputError

if TYPE_CHECKING:  # pragma: no cover
    from geo_heart.analysis.calls import CallData

log = logging.getLogger(__name__)

#: the disparity ratios' reference group
REFERENCE_GROUP = "all"

#: per-group measures: name -> (numerator, denominator) builders over tract arrays
MEASURES = ("in_service_area_share", "eligible_per_1000", "covered_share", "unmet_per_1000")

CAVEATS = (
    "Incident reports undercount behavioural-health calls: calls that produce no report are "
    "missing, so eligible demand is understated everywhere and perhaps unevenly.",
    "Tract figures are American Community Survey estimates with margins of error; small groups in "
    "small tracts are the least certain. Residents are apportioned to beats by {weights}.",
    "Differences between groups describe where people live and where calls come from; they do not "
    "show why (correlation is not cause).",
)


class MissingLayerError(DataSourceError):
    """The census layer equity needs is not configured or not in the data folder."""


@dataclass(frozen=True)
class EquityGroup:
    """A resident group: ``field`` counts it in each tract; ``universe`` persons or households."""

    key: str
    label: str
    field: str
    universe: str = "persons"


def equity_settings(area) -> dict[str, Any]:
    """``[equity]`` of the area file (with defaults); ``MissingLayerError`` when absent."""
    eq = dict(area.equity or {})
    if not eq:
        raise MissingLayerError(
            f"{area.path}: no [equity] section (census tracts with resident groups); equity "
            "needs a census tract layer ([layers.tracts]) and [equity.groups.*]"
        )
    eq.setdefault("layer", "tracts")
    eq.setdefault("fields", [])
    eq.setdefault("groups", {})
    eq.setdefault("weights", "area")
    eq.setdefault("min_count", 5)
    eq.setdefault("bootstrap", 1000)
    eq.setdefault("seed", 2024)
    return eq


def equity_groups(area) -> list[EquityGroup]:
    """The configured groups, ``all`` first (``[equity.groups.*]``)."""
    eq = equity_settings(area)
    groups = [
        EquityGroup(k, g.get("label") or k, g["field"], g.get("universe", "persons"))
        for k, g in eq["groups"].items()
    ]
    if not groups:
        raise ConfigError(f"{area.path}: [equity] names no groups ([equity.groups.<key>])")
    groups.sort(key=lambda g: g.key != REFERENCE_GROUP)
    if groups[0].key != REFERENCE_GROUP:
        raise ConfigError(
            f"{area.path}: [equity.groups] needs a group {REFERENCE_GROUP!r} (all residents): the "
            "disparity ratios compare every group with it"
        )
    return groups


# ------------------------------------------------------------------------ tracts and pieces
def tract_layer(ws):
    """The equity census layer as a GeoDataFrame (``tract_geoid`` + its columns), cached on the area.

    Raises
    ------
    MissingLayerError
        Naming the missing ``[layers.<role>]`` table or file.
    """
    eq = equity_settings(ws.config)
    role = eq["layer"]
    if role not in ws.config.layers:
        raise MissingLayerError(
            f"{ws.config.path}: no [layers.{role}] (census tracts) for [equity]: add the layer to "
            "the area file"
        )
    path = ws.layer_path(role)
    if not path.exists():
        raise MissingLayerError(
            f"census tract layer {str(path)!r} ([layers.{role}]) is not in the data folder"
        )
    geoid = ws.config.layer_value(role, "geoid_field", "GEOID")

    def build():
        import geopandas as gpd

        gdf = gpd.read_file(path)
        if gdf.crs is None:
            raise DataSourceError(f"census tract layer {str(path)!r} has no CRS")
        need = [geoid] + [g.field for g in equity_groups(ws.config)] + list(eq["fields"])
        need += [eq["need_field"]] if eq.get("need_field") else []
        missing = [c for c in dict.fromkeys(need) if c not in gdf.columns]
        if missing:
            raise DataSourceError(
                f"census tract layer {str(path)!r} has no column(s) {missing} (named in [equity] "
                f"or layers.{role}.geoid_field)"
            )
        gdf = gdf.rename(columns={geoid: "tract_geoid"}) if geoid != "tract_geoid" else gdf
        gdf["tract_geoid"] = gdf["tract_geoid"].astype(str)
        return gdf

    return ws.cached(("equity_tracts", str(path), path.stat().st_mtime), build)


def _address_points_xy(ws) -> np.ndarray | None:
    if "address_points" not in ws.config.layers:
        raise MissingLayerError(
            f"{ws.config.path}: [equity] weights = 'address_points' needs [layers.address_points]"
        )
    from geo_heart.io.tables import read_table

    lay = ws.config.layers["address_points"]
    df = read_table(ws.layer_path("address_points"))
    lon = pd.to_numeric(df[lay.get("lon_column", "lon")], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(df[lay.get("lat_column", "lat")], errors="coerce").to_numpy(dtype=float)
    return np.column_stack([lon, lat])


def tract_pieces(ws, *, weights: str | None = None) -> pd.DataFrame:
    """Group counts apportioned to the pieces tract ∩ beat (cached on the area).

    Columns: ``tract_geoid``, ``beat``, ``piece_area``, ``weight`` and one column per group key.
    """
    import geopandas as gpd

    from geo_heart.geo.interpolate import apportion

    eq = equity_settings(ws.config)
    weights = weights or eq["weights"]
    tracts = tract_layer(ws)
    groups = equity_groups(ws.config)

    def build():
        fields = list(dict.fromkeys(g.field for g in groups))
        beats = ws.beat_index.to_geodataframe()
        bt = gpd.GeoDataFrame(
            {"beat": beats["beat"].astype(str).to_numpy()},
            geometry=beats.geometry.to_numpy(),
            crs="EPSG:4326",
        )
        points = _address_points_xy(ws) if weights == "address_points" else None
        pieces = apportion(
            tracts,
            bt,
            fields,
            crs=ws.config.projected_crs,
            source_id="tract_geoid",
            target_id="beat",
            weights=weights,
            points_xy=points,
        )
        out = pieces[["tract_geoid", "beat", "piece_area", "weight"]].copy()
        for g in groups:
            out[g.key] = pieces[g.field].to_numpy()
        return out

    return ws.cached(
        ("equity_pieces", weights, id(tracts)), lambda: _pieces_on_disk(ws, weights, groups, build)
    ).copy()


PIECES_CACHE_FORMAT = 1


def _pieces_on_disk(ws, weights: str, groups, build) -> pd.DataFrame:
    """``build()`` (the tract ∩ beat pieces), kept in the cache folder as
    ``equity-pieces-<key>.parquet``.

    The key is the SHA-1 of the tract layer file, the beats (ids and WKB geometries), the group
    fields, the GEOID field, the weights (and the address-point file when they weight), the
    projected CRS and the cache format, so an entry is never used for other inputs. A warm run
    then neither apportions nor imports tobler (~0.6 s of every ``map`` run).
    """
    import hashlib
    import json
    from pathlib import Path

    import shapely

    from geo_heart.io.files import atomic_write, file_sha1

    role = equity_settings(ws.config)["layer"]
    h = hashlib.sha1(f"equity pieces v{PIECES_CACHE_FORMAT}".encode())
    h.update(file_sha1(ws.layer_path(role)).encode())
    beats = ws.beat_index.to_geodataframe()
    h.update(
        json.dumps(
            [
                weights,
                ws.config.projected_crs,
                ws.config.layer_value(role, "geoid_field", "GEOID"),
                [(g.key, g.field) for g in groups],
                [str(b) for b in beats["beat"]],
            ]
        ).encode()
    )
    for wkb in shapely.to_wkb(np.asarray(beats.geometry.values, dtype=object)):
        h.update(wkb)
    if weights == "address_points":
        lay = ws.config.layers["address_points"]
        h.update(file_sha1(ws.layer_path("address_points")).encode())
        h.update(json.dumps([lay.get("lon_column", "lon"), lay.get("lat_column", "lat")]).encode())
    cache = Path(ws.settings.cache_dir) / f"equity-pieces-{h.hexdigest()[:24]}.parquet"
    if cache.exists():
        try:
            from geo_heart.io.tables import read_parquet

            return read_parquet(cache)
        except Exception as exc:  # a damaged entry is rebuilt
            log.warning("ignoring unreadable equity cache %s: %s", cache, exc)
    out = build()
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(cache) as tmp:
            out.to_parquet(tmp)
    except Exception as exc:  # e.g. a read-only cache folder: the pieces are still returned
        log.warning("could not cache the equity pieces in %s: %s", cache, exc)
    return out


# ------------------------------------------------------------------------ calls in tracts
def calls_by_tract(
    ws, frame: pd.DataFrame, flags: Mapping[str, np.ndarray], pieces: pd.DataFrame, geoids
) -> tuple[pd.DataFrame, str]:
    """Sum call ``flags`` (booleans or weights) per tract: by each call's point when it has one, else spread
    over its beat's tracts in proportion to the beat's residents (by area where it has none).

    Returns the table (index ``geoids``, one column per flag) and how calls were placed.
    """
    from geo_heart.geo.census import geoids_for_points

    n = len(frame)
    out = pd.DataFrame(0.0, index=pd.Index(list(geoids), name="tract_geoid"), columns=list(flags))
    by_point = np.zeros(n, dtype=bool)
    role = equity_settings(ws.config)["layer"]
    if "lon" in frame.columns and frame["lon"].notna().any():
        lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
        tract = geoids_for_points(ws, role, lon, lat)
        by_point = np.array([t is not None for t in tract], dtype=bool)
        for name, flag in flags.items():
            w = np.where(by_point, np.asarray(flag, dtype=float), 0.0)
            sums = pd.Series(w[by_point]).groupby(tract[by_point]).sum()
            out[name] += sums.reindex(out.index, fill_value=0.0).to_numpy(dtype=float)
    rest = ~by_point & frame["beat"].notna().to_numpy()
    if rest.any():
        share = _beat_to_tract_shares(pieces)
        beats = frame["beat"].astype(object).to_numpy()
        for name, flag in flags.items():
            w = np.asarray(flag, dtype=float)
            sel = rest & (w != 0)
            per_beat = pd.Series(w[sel]).groupby(beats[sel]).sum()
            s = share.merge(per_beat.rename("calls"), left_on="beat", right_index=True)
            spread = (s["share"] * s["calls"]).groupby(s["tract_geoid"]).sum()
            out[name] += spread.reindex(out.index, fill_value=0.0).to_numpy()
    how = (
        "points"
        if not rest.any()
        else ("beats (spread by residents)" if not by_point.any() else "points and beats")
    )
    return out, how


def _beat_to_tract_shares(pieces: pd.DataFrame) -> pd.DataFrame:
    """(beat, tract_geoid, share): each beat's share in each tract by residents (area if none)."""
    p = pieces[["beat", "tract_geoid", REFERENCE_GROUP, "piece_area"]].copy()
    pop = p.groupby("beat")[REFERENCE_GROUP].transform("sum")
    area = p.groupby("beat")["piece_area"].transform("sum")
    p["share"] = np.where(
        pop > 0, p[REFERENCE_GROUP] / pop.where(pop > 0, 1.0), p["piece_area"] / area
    )
    return p[["beat", "tract_geoid", "share"]]


# ------------------------------------------------------------------------ the tract table
def tract_table(
    ws,
    pieces: pd.DataFrame,
    service_beats: Iterable[str],
    calls: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per tract meeting the beats: residents in the police territory, in the service area,
    in the county (outside beats), per group; the configured fields; calls when given.
    """
    eq = equity_settings(ws.config)
    groups = equity_groups(ws.config)
    outside = {c for c, s in ws.config.beats.special.items() if s.outside_city}
    service = set(service_beats)
    keys = [g.key for g in groups]
    city = ~pieces["beat"].isin(outside)
    in_sa = pieces["beat"].isin(service) & city
    geoids = list(dict.fromkeys(pieces["tract_geoid"]))
    t = pd.DataFrame(index=pd.Index(geoids, name="tract_geoid"))

    def by_tract(sel) -> pd.DataFrame:
        return pieces.loc[sel].groupby("tract_geoid")[keys].sum().reindex(geoids, fill_value=0.0)

    c, s, o = by_tract(city), by_tract(in_sa), by_tract(~city)
    t["residents"] = c[REFERENCE_GROUP]
    t["residents_in_service_area"] = s[REFERENCE_GROUP]
    t["county_residents"] = o[REFERENCE_GROUP]
    for k in keys[1:]:
        t[k] = c[k]
        t[f"{k}_in_service_area"] = s[k]
        t[f"{k}_county"] = o[k]
    tracts = tract_layer(ws).set_index("tract_geoid")
    for f in eq["fields"] + ([eq["need_field"]] if eq.get("need_field") else []):
        if f not in t.columns:
            t[f] = pd.to_numeric(tracts[f], errors="coerce").reindex(geoids).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        t["in_service_area_share"] = np.where(
            t["residents"] > 0, t["residents_in_service_area"] / t["residents"], np.nan
        )
    if calls is not None:
        calls = calls.reindex(geoids, fill_value=0.0)
        pop = (t["residents"] + t["county_residents"]).to_numpy(dtype=float)
        elig = calls["eligible"].to_numpy(dtype=float)
        cov = calls["covered"].to_numpy(dtype=float)
        t["eligible_calls"] = elig
        t["covered_calls"] = cov
        with np.errstate(divide="ignore", invalid="ignore"):
            t["eligible_per_1000"] = np.where(pop > 0, elig / pop * 1000.0, np.nan)
            t["covered_share"] = np.where(elig > 0, cov / elig, np.nan)
            t["unmet_per_1000"] = np.where(pop > 0, (elig - cov) / pop * 1000.0, np.nan)
        if "answered" in calls.columns:
            t["expected_answered"] = calls["answered"].to_numpy(dtype=float)
    return t.reset_index()


# ------------------------------------------------------------------------ groups
def _measure_parts(t: pd.DataFrame, key: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-tract numerator and denominator of each measure for group ``key``."""
    g = t["residents" if key == REFERENCE_GROUP else key].to_numpy(dtype=float)
    sa_col = "residents_in_service_area" if key == REFERENCE_GROUP else f"{key}_in_service_area"
    parts = {"in_service_area_share": (t[sa_col].to_numpy(dtype=float), g)}
    if "eligible_per_1000" in t.columns:
        rate = np.nan_to_num(t["eligible_per_1000"].to_numpy(dtype=float))
        unmet = np.nan_to_num(t["unmet_per_1000"].to_numpy(dtype=float))
        cshare = t["covered_share"].to_numpy(dtype=float)
        has = np.isfinite(cshare)
        parts["eligible_per_1000"] = (g * rate, g)
        parts["covered_share"] = (g * np.nan_to_num(cshare), g * has)
        parts["unmet_per_1000"] = (g * unmet, g)
    return parts


#: Most bootstrap resamples (``--bootstrap``, ``[equity] bootstrap``).
MAX_BOOTSTRAP = 10_000


def group_table(
    t: pd.DataFrame,
    groups: list[EquityGroup],
    *,
    bootstrap: int = 1000,
    seed: int = 2024,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per group: residents, each measure, its ratio to ``all`` and a bootstrap interval.

    Columns: group, label, universe, residents, residents_in_service_area and per measure ``m``:
    ``m``, ``m_ratio``, ``m_ratio_low``, ``m_ratio_high`` (tracts resampled with replacement
    ``bootstrap`` times; the interval is the central ``level`` of the resampled ratios).
    """
    if isinstance(bootstrap, bool) or not 0 <= int(bootstrap) <= MAX_BOOTSTRAP:
        # the resampling weights are a bootstrap × tracts array: bounded (issue 30 #11)
        raise InputError(f"--bootstrap {bootstrap!r}: must be from 0 to {MAX_BOOTSTRAP:,}")
    n = len(t)
    rng = np.random.default_rng(seed)
    w = (
        rng.multinomial(n, np.full(n, 1.0 / n), size=bootstrap).astype(float)
        if bootstrap and n
        else None
    )
    ref = _measure_parts(t, REFERENCE_GROUP)
    lo_q, hi_q = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    rows = []

    def ratio(num, den):
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / den

    for g in groups:
        parts = _measure_parts(t, g.key)
        sa_num, den = parts["in_service_area_share"]
        row: dict[str, Any] = {
            "group": g.key,
            "label": g.label,
            "universe": g.universe,
            "residents": round(float(den.sum()), 1),
            "residents_in_service_area": round(float(sa_num.sum()), 1),
        }
        for m, (num, d) in parts.items():
            value = float(ratio(num.sum(), d.sum())) if d.sum() > 0 else float("nan")
            rnum, rden = ref[m]
            ref_value = ratio(rnum.sum(), rden.sum()) if rden.sum() > 0 else float("nan")
            row[m] = value
            row[f"{m}_ratio"] = float(ratio(value, ref_value)) if ref_value else float("nan")
            lo = hi = float("nan")
            if w is not None:
                boot = ratio(ratio(w @ num, w @ d), ratio(w @ rnum, w @ rden))
                boot = boot[np.isfinite(boot)]
                if len(boot):
                    lo, hi = (float(x) for x in np.percentile(boot, [lo_q, hi_q]))
            row[f"{m}_ratio_low"] = lo
            row[f"{m}_ratio_high"] = hi
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------ the analysis
@dataclass
class EquityResult:
    """What :func:`equity_analysis` found under one rule set."""

    as_of: str | None
    rules: dict[str, Any]
    service_area: str | None
    service_beats: list[str]
    tracts: pd.DataFrame | None
    groups: pd.DataFrame | None
    by_beat: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"as_of", "rules", "service_area", "groups": {key: {...}}, "totals", ...}``."""
        groups: dict[str, Any] = {}
        if self.groups is not None:
            for r in self.groups.to_dict(orient="records"):
                key = r.pop("group")
                groups[key] = {k: _clean(v) for k, v in r.items()}
        totals: dict[str, Any] = {}
        if self.tracts is not None:
            t = self.tracts
            totals = {
                "tracts": len(t),
                "residents": round(float(t["residents"].sum()), 1),
                "county_residents": round(float(t["county_residents"].sum()), 1),
            }
            for c in ("eligible_calls", "covered_calls", "expected_answered"):
                if c in t.columns:
                    totals[c] = round(float(t[c].sum()), 1)
        return {
            "as_of": self.as_of,
            "rules": self.rules,
            "service_area": self.service_area,
            "service_beats": self.service_beats,
            "groups": groups,
            "totals": totals,
            **self.meta,
        }


def _clean(v):
    if isinstance(v, float):
        return None if not np.isfinite(v) else round(v, 4)
    return v


def equity_analysis(
    ws,
    data: CallData | None = None,
    *,
    rules=None,
    as_of=None,
    service_beats: Iterable[str] | None = None,
    weights: str | None = None,
    bootstrap: int | None = None,
    seed: int | None = None,
    answered_share: Mapping[str, float] | None = None,
) -> EquityResult:
    """Who the service area under a rule set reaches (see the module docstring).

    Parameters
    ----------
    ws
        The area.
    data
        Calls (:func:`~geo_heart.analysis.calls.load_calls`); ``None``: residents only.
    rules, as_of
        The rule set (a ``[[rules]]`` name) or the date whose rules apply (default: the latest).
    service_beats
        Judge residents against these beats instead of the rule set's service area (what-ifs).
    weights
        ``area`` or ``address_points`` (default ``[equity].weights``).
    answered_share
        Program → share of its covered calls a team is free to answer (from the staffing model);
        adds ``expected_answered``.

    A missing census layer does not stop the calls part: the result then has ``tracts = None`` and
    ``meta["missing"]`` names the layer.
    """
    from geo_heart.dispatch.eligibility import eligibility_for_calls, programs_for, resolve_rules

    cfg = ws.config
    chosen = resolve_rules(cfg, rules, as_of)
    rs = getattr(chosen, "rule_set", chosen)
    sa = cfg.service_area_under(rs)
    all_beats = list(ws.beat_index.beats)
    if service_beats is None:
        service_beats = sa.resolve(all_beats) if sa is not None else []
    service_beats = sorted(set(service_beats))
    meta: dict[str, Any] = {}
    flags = None
    by_beat = pd.DataFrame({"beat": all_beats})
    by_beat["in_service_area"] = by_beat["beat"].isin(service_beats)
    if data is not None:
        progs = programs_for(cfg, rules=chosen)
        f = data.frame
        elig = eligibility_for_calls(cfg, f, programs=progs)
        eligible = elig[[f"{p}_type" for p in progs]].any(axis=1).to_numpy()
        covered = elig[list(progs)].any(axis=1).to_numpy()
        flags = {"eligible": eligible, "covered": covered}
        if answered_share:
            # a covered call goes to the first program with a staffing model covering it, and is
            # answered with that program's share; covered only by programs without one: answered
            ans = np.where(covered, 1.0, 0.0)
            done = np.zeros(len(f), dtype=bool)
            for p in progs:
                if p in answered_share:
                    take = elig[p].to_numpy() & ~done
                    ans[take] = answered_share[p]
                    done |= take
            flags["answered"] = ans
        for name, flag in flags.items():
            v = pd.Series(np.asarray(flag, dtype=float)).groupby(f["beat"].to_numpy()).sum()
            col = "expected_answered" if name == "answered" else f"{name}_calls"
            by_beat[col] = v.reindex(all_beats, fill_value=0.0).to_numpy()
        meta["calls"] = {
            "source": data.source,
            "rows": data.rows,
            "first": _day(f["local_time"].min()),
            "last": _day(f["local_time"].max()),
        }
    tracts = groups = None
    try:
        eq = equity_settings(cfg)
        pieces = tract_pieces(ws, weights=weights)
        calls = None
        if flags is not None:
            calls, how = calls_by_tract(
                ws, data.frame, flags, pieces, list(dict.fromkeys(pieces["tract_geoid"]))
            )
            meta["calls"]["placed_in_tracts_by"] = how
        tracts = tract_table(ws, pieces, service_beats, calls)
        groups = group_table(
            tracts,
            equity_groups(cfg),
            bootstrap=eq["bootstrap"] if bootstrap is None else bootstrap,
            seed=eq["seed"] if seed is None else seed,
        )
        w = weights or eq["weights"]
        meta["weights"] = w
        meta["caveats"] = [
            c.format(weights="area" if w == "area" else "address points") for c in CAVEATS
        ]
        meta["min_count"] = eq["min_count"]
        meta["fields"] = list(eq["fields"]) + ([eq["need_field"]] if eq.get("need_field") else [])
    except MissingLayerError as exc:
        meta["missing"] = str(exc)
        meta["caveats"] = [CAVEATS[0]]
    return EquityResult(
        as_of=None if as_of is None else str(as_of),
        rules=rs.as_dict(),
        service_area=None if sa is None else sa.label,
        service_beats=service_beats,
        tracts=tracts,
        groups=groups,
        by_beat=by_beat,
        meta=meta,
    )


def _day(ts) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


def suppress_counts(t: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """``t`` with call counts in (0, ``min_count``) blanked, and the rates that would reveal them,
    for tables that leave the analyst's hands (``calls_suppressed`` flags the rows)."""
    out = t.copy()
    if "eligible_calls" not in out.columns:
        out["calls_suppressed"] = False
        return out

    def small(values) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        return (v > 0) & (v < min_count)

    elig = out["eligible_calls"].to_numpy(dtype=float)
    cov = out["covered_calls"].to_numpy(dtype=float) if "covered_calls" in out else elig * 0
    rules = [
        (small(elig), ("eligible_calls", "eligible_per_1000", "covered_share", "unmet_per_1000")),
        (small(cov), ("covered_calls", "covered_share")),
        (small(elig - cov), ("unmet_per_1000", "covered_share")),
    ]
    if "expected_answered" in out.columns:
        rules.append((small(out["expected_answered"]), ("expected_answered",)))
    any_small = np.zeros(len(out), dtype=bool)
    for mask, cols in rules:
        any_small |= mask
        for c in cols:
            if c in out.columns:
                out.loc[mask, c] = np.nan
    out["calls_suppressed"] = any_small
    return out


def groups_by_rule_set(ws, *, bootstrap: int | None = None) -> pd.DataFrame:
    """Each group's residents in the service area under every rule set, in time order (before the
    first set: nobody). Columns: rules, label, span, service_area, group, group_label, residents,
    in_service_area_share, in_service_area_share_ratio and its ``_low``/``_high`` interval."""
    rows = []
    for rs in ws.config.timeline.rule_sets:
        r = equity_analysis(ws, None, rules=rs, bootstrap=bootstrap)
        if r.groups is None:
            raise MissingLayerError(r.meta["missing"])
        for g in r.groups.itertuples():
            rows.append(
                {
                    "rules": rs.name,
                    "label": rs.label,
                    "span": rs.span(),
                    "service_area": r.service_area,
                    "group": g.group,
                    "group_label": g.label,
                    "residents": g.residents,
                    "in_service_area_share": g.in_service_area_share,
                    "in_service_area_share_ratio": g.in_service_area_share_ratio,
                    "in_service_area_share_ratio_low": g.in_service_area_share_ratio_low,
                    "in_service_area_share_ratio_high": g.in_service_area_share_ratio_high,
                }
            )
    return pd.DataFrame(rows)


def shares_sentence(table: pd.DataFrame) -> str:
    """ "Under the HEART pilot rules 20% of residents lived in the service area: 24% of Black
    residents, …" for every rule set with a partial service area, then the ones reaching all."""
    parts = []
    for _name, g in table.groupby("rules", sort=False):
        share = g.set_index("group")["in_service_area_share"]
        label = g["label"].iloc[0]
        if not (share > 0).any():
            continue
        if (share > 0.999).all():
            parts.append(f"under the {label} rules every group lives in the service area")
            continue
        items = [
            f"{r.in_service_area_share:.0%} of {r.group_label}"
            for r in g.itertuples()
            if r.group != REFERENCE_GROUP
        ]
        others = ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1]
        parts.append(
            f"under the {label} rules {share[REFERENCE_GROUP]:.0%} of residents lived in the "
            f"service area, but {others}"
        )
    if not parts:
        return "No rule set's service area holds any residents."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
