"""The equity effect of expansion options, and demand weighted by need.

Every option ``geo-heart expand`` ranks gets an equity effect from the census tracts of
``[equity]`` (:mod:`geo_heart.analysis.equity`):

* **beats** — the residents of each group the beat brings into the service area, and each group's
  share in the service area after adding it (``share_after_<group>``); the selection as a whole
  gets a sentence;
* **hours, call types, county areas** — where the calls an option adds come from: the added calls
  per 1,000 residents of each group where they live (``adds_per_1000_<group>``) and its ratio to
  all residents (``ratio_<group>``: above 1, the option's gain falls more where that group
  lives);
* **county areas** — the residents of each group outside the city it would reach: the tract parts
  in the beats flagged ``outside_city`` and, inside the county outline, outside every beat
  (``residents_<group>``).

``objective = "need"`` weights each call by the need measure of where it is (``[equity].need_field``
of its beat's tracts, residents-weighted, divided by the city's mean: 1 = average need), so beats and
options are ranked by need-weighted calls instead of calls.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from geo_heart.analysis.equity import (
    REFERENCE_GROUP,
    MissingLayerError,
    calls_by_tract,
    equity_groups,
    equity_settings,
    tract_layer,
    tract_pieces,
)

log = logging.getLogger(__name__)

OBJECTIVES = ("calls", "need")

#: the today-candidates label of county land outside every beat
OUTSIDE_BEATS = "county outside every beat"


def _city(ws, pieces: pd.DataFrame) -> pd.Series:
    outside = {c for c, s in ws.config.beats.special.items() if s.outside_city}
    return ~pieces["beat"].isin(outside)


def group_residents_by_beat(ws) -> pd.DataFrame:
    """Residents of each group per beat (index beat, one column per group key)."""
    pieces = tract_pieces(ws)
    keys = [g.key for g in equity_groups(ws.config)]
    return pieces.groupby("beat")[keys].sum().reindex(ws.beat_index.beats, fill_value=0.0)


def beat_effects(ws, base: Iterable[str], candidates: Iterable[str]) -> pd.DataFrame:
    """Per candidate beat: residents it adds per group and each group's share after adding it.

    Columns: beat, adds_residents (all), adds_<group>, share_after_<group> (share of the
    group's city residents in the service area with the beat added).
    """
    pieces = tract_pieces(ws)
    by_beat = group_residents_by_beat(ws)
    city_total = pieces.loc[_city(ws, pieces), by_beat.columns].sum()
    base = [b for b in base if b in by_beat.index]
    in_base = by_beat.loc[base].sum()
    rows = []
    for b in candidates:
        add = by_beat.loc[b] if b in by_beat.index else by_beat.iloc[0] * 0
        row = {"beat": b}
        for k in by_beat.columns:
            row["adds_residents" if k == REFERENCE_GROUP else f"adds_{k}"] = round(add[k], 1)
        for k in by_beat.columns:
            total = city_total[k]
            row[f"share_after_{k}"] = round((in_base[k] + add[k]) / total, 4) if total else None
        rows.append(row)
    return pd.DataFrame(rows)


def selection_sentence(ws, base: Iterable[str], selected: Iterable[str]) -> str:
    """ "Adding 121, 123 puts 27% of residents in the service area (was 20%): Black residents
    31% (24%), …"."""
    base, selected = list(base), list(selected)
    before = beat_effects(ws, base, ["__none__"]).iloc[0]
    after = beat_effects(ws, base + selected, ["__none__"]).iloc[0]
    groups = equity_groups(ws.config)
    parts = [
        f"{g.label} {after[f'share_after_{g.key}']:.0%} (was {before[f'share_after_{g.key}']:.0%})"
        for g in groups
        if g.key != REFERENCE_GROUP
    ]
    ref = REFERENCE_GROUP
    return (
        f"Equity: adding {', '.join(selected) or 'nothing'} puts "
        f"{after[f'share_after_{ref}']:.0%} of residents in the service area (was "
        f"{before[f'share_after_{ref}']:.0%}): " + "; ".join(parts) + "."
    )


def need_by_beat(ws) -> pd.Series:
    """Need index per beat: ``[equity].need_field`` of its tracts weighted by the beat's residents
    in each, over the residents-weighted city mean (1 = average; beats without residents 1)."""
    eq = equity_settings(ws.config)
    field = eq.get("need_field")
    if not field:
        raise MissingLayerError(
            f"{ws.config.path}: [equity] has no need_field: the need objective needs one"
        )
    tracts = tract_layer(ws).set_index("tract_geoid")
    need = pd.to_numeric(tracts[field], errors="coerce")
    pieces = tract_pieces(ws)
    p = pieces[["beat", "tract_geoid", REFERENCE_GROUP]].copy()
    p["need"] = need.reindex(p["tract_geoid"]).to_numpy()
    p = p[np.isfinite(p["need"].to_numpy(dtype=float))]
    w = p[REFERENCE_GROUP]
    city = _city(ws, p)
    mean = float((p.loc[city, "need"] * w[city]).sum() / w[city].sum()) if w[city].sum() else 0.0
    num = (p["need"] * w).groupby(p["beat"]).sum()
    den = w.groupby(p["beat"]).sum()
    idx = (num / den.where(den > 0)) / mean if mean else num * 0 + 1.0
    return idx.reindex(ws.beat_index.beats).fillna(1.0).rename("need_index")


def call_effects(ws, frame: pd.DataFrame, masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Where each option's added calls come from, by group.

    ``masks`` maps an option id to a boolean array over ``frame`` (the calls it adds). Returns one
    row per option id (index) with ``adds_per_1000_<group>`` (added calls per 1,000 residents of
    the group where they live) and ``ratio_<group>`` (to all residents).
    """
    pieces = tract_pieces(ws)
    geoids = list(dict.fromkeys(pieces["tract_geoid"]))
    calls, _how = calls_by_tract(ws, frame, masks, pieces, geoids)
    groups = equity_groups(ws.config)
    keys = [g.key for g in groups]
    in_tract = pieces.groupby("tract_geoid")[keys].sum().reindex(geoids, fill_value=0.0)
    pop = in_tract[REFERENCE_GROUP].to_numpy(dtype=float)
    rows = {}
    for opt in masks:
        added = calls[opt].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(pop > 0, added / pop * 1000.0, 0.0)
        row = {}
        ref = None
        for k in keys:
            g = in_tract[k].to_numpy(dtype=float)
            v = float((g * rate).sum() / g.sum()) if g.sum() else float("nan")
            ref = v if k == REFERENCE_GROUP else ref
            row[f"adds_per_1000_{k}"] = round(v, 3)
            if k != REFERENCE_GROUP:
                row[f"ratio_{k}"] = round(v / ref, 3) if ref else None
        rows[opt] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def county_residents(ws, beats: Iterable[str] = (), *, outside_every_beat: bool = False) -> dict:
    """Residents of each group in the given (outside-city) beats, or with ``outside_every_beat``
    in the tract parts outside every beat (county land beyond the beats layer)."""
    pieces = tract_pieces(ws)
    keys = [g.key for g in equity_groups(ws.config)]
    if not outside_every_beat:
        got = pieces.loc[pieces["beat"].isin(set(beats)), keys].sum()
        return {k: round(float(got[k]), 1) for k in keys}
    fields = {g.key: g.field for g in equity_groups(ws.config)}
    tracts = tract_layer(ws).set_index("tract_geoid")
    in_beats = pieces.groupby("tract_geoid")[keys].sum()
    out = {}
    for k in keys:
        total = pd.to_numeric(tracts[fields[k]], errors="coerce").fillna(0.0)
        rest = (total - in_beats[k].reindex(total.index, fill_value=0.0)).clip(lower=0)
        out[k] = round(float(rest.sum()), 1)
    return out


def add_equity_to_options(
    ws, data, table: pd.DataFrame, masks: list[np.ndarray], *, objective: str = "calls"
) -> pd.DataFrame:
    """Equity columns (and, for ``objective="need"``, ``need_weighted_adds`` and the order) for
    the hours, county and call-type options of :func:`geo_heart.expansion.today.today_candidates`;
    ``masks[i]`` holds the calls row ``i`` adds. The table comes back unchanged (with a log
    line) when the area has no census tracts for ``[equity]``."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    try:
        eff = call_effects(ws, data.frame, {str(i): m for i, m in enumerate(masks)})
    except MissingLayerError as exc:
        if objective == "need":
            raise
        log.info("no equity effect: %s", exc)
        return table
    out = table.copy()
    eff.index = eff.index.astype(int)
    for c in eff.columns:
        out[c] = eff[c].reindex(range(len(out))).to_numpy()
    keys = [g.key for g in equity_groups(ws.config)]
    for c in (f"residents_{k}" for k in keys):
        out[c] = np.nan
    specials = {c for c, s in ws.config.beats.special.items() if s.outside_city}
    if (
        "county" in ws.config.layers
        and not ((out["kind"] == "county") & (out["candidate"] == OUTSIDE_BEATS)).any()
    ):
        extra = {c: np.nan for c in out.columns}
        extra.update(
            kind="county",
            candidate=OUTSIDE_BEATS,
            program="any",
            detail="residents of county tracts outside every beat; their calls are not located "
            "(the call table has no coordinates there)",
        )
        out = pd.concat([out, pd.DataFrame([extra])], ignore_index=True)
        masks = [*masks, np.zeros(len(data.frame), dtype=bool)]
    for i, r in out.iterrows():
        if r["kind"] != "county":
            continue
        code = str(r["candidate"]).removeprefix("beat ")
        reach = (
            county_residents(ws, [code])
            if code in specials
            else county_residents(ws, outside_every_beat=True)
        )
        for k, v in reach.items():
            out.loc[i, f"residents_{k}"] = v
    if objective == "need":
        need = need_by_beat(ws)
        beat_need = data.frame["beat"].map(need).fillna(1.0).to_numpy(dtype=float)
        out["need_weighted_adds"] = [round(float(beat_need[m].sum()), 1) for m in masks]
    return out


def weight_problem(problem, weights: pd.Series):
    """The expansion problem with each beat's demand multiplied by ``weights`` (need index)."""
    from dataclasses import replace

    w = weights.reindex(problem.beats).fillna(1.0).to_numpy(dtype=float)
    demand = problem.demand.mul(w, axis=0)
    shift = problem.shift_demand * w[:, None] if problem.shift_demand is not None else None
    return replace(problem, demand=demand, shift_demand=shift)
