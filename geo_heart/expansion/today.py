"""Expansion from where the program is today: hours, county areas and call types.

Once every program serves the whole city (Durham since 2023-10-23), beats are no longer the open
question. The candidates become:

* **hours** — each hour of the day a program is closed, with the calls it would add (calls the
  program takes by type, in its area, at that hour); "overnight" is the block of closed hours;
* **county** — areas outside the city: special beats flagged ``outside_city`` (Durham: ``999``,
  Sheriff territory) and, for calls with coordinates, points outside every beat but inside the
  ``[layers.county]`` outline;
* **call types** — types in the call-type table no program takes, with the calls each program
  would add by taking them (in its area and hours).

Every call is judged under one rule set (default: the latest), whatever its date, and counts are
also given per year of data (``per_year``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo_heart.errors import InputError

log = logging.getLogger(__name__)


def _years(frame: pd.DataFrame) -> float:
    t = frame["local_time"].dropna()
    if t.empty:
        return 1.0
    return max((t.max() - t.min()).total_seconds() / (365.25 * 86400), 1 / 12)


def _county_outside_beats(ws, frame: pd.DataFrame) -> np.ndarray:
    """True for calls with coordinates, in no beat, inside the ``[layers.county]`` outline."""
    out = np.zeros(len(frame), dtype=bool)
    if "county" not in ws.config.layers or "lon" not in frame.columns:
        return out
    path = ws.layer_path("county")
    if not path.exists():
        log.warning(
            "county outline %s does not exist; county calls outside beats not counted", path
        )
        return out
    import shapely

    from geo_heart.io.tables import read_table

    outline = read_table(path)
    if getattr(outline, "crs", None) is None:
        raise InputError(f"county outline {str(path)!r} has no CRS")
    geom = shapely.union_all(outline.to_crs("EPSG:4326").geometry.values)
    shapely.prepare(geom)
    lon = frame["lon"].to_numpy(dtype=float)
    lat = frame["lat"].to_numpy(dtype=float)
    cand = frame["beat"].isna().to_numpy() & np.isfinite(lon) & np.isfinite(lat)
    if cand.any():
        out[cand] = shapely.contains_xy(geom, lon[cand], lat[cand])
    return out


def _closed_every_day(progs) -> list[int]:
    """Hours of the day (0-23) in which no program is open on any day of the week."""
    if not progs:
        return []
    open_any = np.zeros((7, 24), dtype=bool)
    for p in progs.values():
        open_any |= np.asarray(p.hours.hour_mask()).reshape(7, 24) > 0
    return [h for h in range(24) if not open_any[:, h].any()]


def _hours_span(hours: list[int]) -> str:
    """``[22, 23, 0, …, 7]`` → ``22:00-08:00`` (the closed block, across midnight when it wraps)."""
    hs = set(hours)
    start = next((h for h in hours if (h - 1) % 24 not in hs), hours[0])
    end = start
    while (end + 1) % 24 in hs and (end + 1) % 24 != start:
        end = (end + 1) % 24
    return f"{start:02d}:00-{(end + 1) % 24:02d}:00"


def today_candidates(
    ws, data, *, rules: str | None = None, objective: str = "calls"
) -> pd.DataFrame:
    """Hours, county areas and call types to add, each with the eligible calls it adds.

    Parameters
    ----------
    ws
        The :class:`~geo_heart.area.Area`.
    data
        :class:`~geo_heart.analysis.calls.CallData` (any period: every call is judged under
        ``rules``).
    rules
        Rule-set name (default: the latest).
    objective
        ``calls``, or ``need``: also rank by need-weighted calls (``need_weighted_adds``,
        :mod:`geo_heart.expansion.equity`).

    Returns
    -------
    pandas.DataFrame
        kind (``hours``/``county``/``call_type``), candidate, program (``any`` for a call that
        any program would take), adds_calls, adds_per_year, detail; sorted by kind, then calls;
        with census tracts in ``[equity]`` also the equity effect of each option
        (:func:`geo_heart.expansion.equity.add_equity_to_options`).
    """
    from geo_heart.dispatch.eligibility import eligibility_for_calls

    area = ws.config
    if data.rows == 0:
        raise InputError(
            f"{data.source}: the call file has no rows (only a header); nothing to plan"
        )
    rule_set = area.rule_set(rules)
    progs = {c: p for c, p in area.programs_under(rule_set).items() if p.active}
    f = data.frame
    elig = eligibility_for_calls(
        area,
        f,
        programs=progs,
    )
    years = _years(f)
    rows: list[dict] = []
    masks: list[np.ndarray] = []

    def add(kind, cand, prog, mask, detail):
        masks.append(np.asarray(mask, dtype=bool))
        n = int(np.asarray(mask).sum())
        rows.append(
            {
                "kind": kind,
                "candidate": cand,
                "program": prog,
                "adds_calls": n,
                "adds_per_year": round(n / years, 1),
                "detail": detail,
            }
        )

    # ---- hours: closed hours of the day, per program, with the calls they add
    judged = getattr(data, "hours_judged", True)
    mow = f["minute_of_week"].to_numpy()
    hour = np.where(mow >= 0, (mow // 60) % 24, -1)
    any_gain = np.zeros(len(f), dtype=bool)
    if not judged:
        rows.append(
            {
                "kind": "hours",
                "candidate": "hours not judged",
                "program": "any",
                "adds_calls": None,
                "adds_per_year": None,
                "detail": "the calls have a date but no time of day: the hours to add cannot "
                "be judged from them (call types and areas below are counted at any hour)",
            }
        )
    for code, p in progs.items() if judged else ():
        gain = (
            (elig[f"{code}_type"] & elig[f"{code}_area"] & ~elig[f"{code}_hours"]).to_numpy().copy()
        )
        gain &= hour >= 0
        any_gain |= gain
        closed = sorted({int(h) for h in np.unique(hour[gain])})
        for h in closed:
            add("hours", f"{h:02d}:00-{(h + 1) % 24:02d}:00", code, gain & (hour == h),
                f"{code} hours are {p.hours.describe()}")  # fmt: skip
        add(
            "hours", "all closed hours (24/7)", code, gain, f"{code} hours are {p.hours.describe()}"
        )
    night_hours = _closed_every_day(progs)
    if judged and night_hours:
        night = np.isin(hour, night_hours)
        add(
            "hours",
            f"overnight {_hours_span(night_hours)}",
            "any",
            any_gain & night,
            "hours of the day no program is open on any day; calls any program takes by type "
            "and area",
        )
    # ---- county: outside the city
    any_type = np.zeros(len(f), dtype=bool)
    any_type_hours = np.zeros(len(f), dtype=bool)
    for code in progs:
        any_type |= elig[f"{code}_type"].to_numpy()
        in_hours = elig[f"{code}_hours"] if judged else True
        any_type_hours |= (elig[f"{code}_type"] & in_hours).to_numpy()
    for code, special in area.beats.special.items():
        if special.outside_city:
            in_beat = (f["beat"] == code).to_numpy()
            add("county", f"beat {code}", "any", in_beat & any_type_hours,
                f"{special.label}; within program hours")  # fmt: skip
    outside = _county_outside_beats(ws, f)
    if outside.any():
        add("county", "county outside every beat", "any", outside & any_type_hours,
            "calls with coordinates outside every beat, inside the county outline")  # fmt: skip
    # ---- call types no program takes
    taken = set()
    for p in progs.values():
        taken |= set(p.call_types) | set(p.risk_call_types)
    for ct in area.call_types:
        if ct in taken:
            continue
        is_type = (f["call_type"] == ct).to_numpy()
        if not is_type.any():
            continue
        for code, p in progs.items():
            if p.follows_up:
                continue
            ok = is_type & elig[f"{code}_area"].to_numpy()
            if judged:
                ok &= elig[f"{code}_hours"].to_numpy()
            add("call_type", ct, code, ok, f"{area.call_types[ct].label}: no program takes it")
    out = pd.DataFrame(
        rows, columns=["kind", "candidate", "program", "adds_calls", "adds_per_year", "detail"]
    )
    if area.equity:
        from geo_heart.expansion.equity import add_equity_to_options

        out = add_equity_to_options(ws, data, out, masks, objective=objective)
    elif objective != "calls":
        raise InputError(f"objective {objective!r} needs [equity] with a need_field in {area.path}")
    order = {"hours": 0, "county": 1, "call_type": 2}
    key = "need_weighted_adds" if objective == "need" else "adds_calls"
    out = out.sort_values(
        ["kind", key],
        key=lambda s: s.map(order) if s.name == "kind" else -s.fillna(-1),
        kind="stable",
    )
    return out.reset_index(drop=True)


def partial_coverage(area, rule_set) -> bool:
    """True when some active program serves only part of the beats under ``rule_set``."""
    progs = area.programs_under(rule_set)
    return any(
        p.active and not area.service_areas[p.service_area].all_beats for p in progs.values()
    )


def today_text(table: pd.DataFrame, rule_set) -> str:
    """Readable summary of :func:`today_candidates`."""
    lines = [
        f"Under the {rule_set.label} rules ({rule_set.span()}) every program serves the whole "
        "city; candidates to add, with the eligible calls each adds (all calls judged under these "
        "rules):"
    ]
    titles = {
        "hours": "Hours",
        "county": "County areas outside the city",
        "call_type": "Call types",
    }
    for kind, g in table.groupby("kind", sort=False):
        lines.append("")
        lines.append(titles.get(kind, kind))
        if kind == "hours":
            g = pd.concat(
                [
                    g[~g["candidate"].str.contains(":00-")],
                    g[g["candidate"].str.contains(":00-")].head(8),
                ]
            )
        for r in g.head(14).itertuples():
            calls = (
                "      - calls" if r.adds_calls != r.adds_calls else f"{r.adds_calls:>7,.0f} calls"
            )
            per_year = (
                "" if r.adds_per_year != r.adds_per_year else f"({r.adds_per_year:,.0f}/year)"
            )
            need = getattr(r, "need_weighted_adds", None)
            need = f" [need-weighted {need:,.0f}]" if need is not None and need == need else ""
            lines.append(f"  {r.candidate:<28} {r.program:<5} {calls} {per_year}{need}  {r.detail}")
            eq = equity_text(r._asdict())
            if eq:
                lines.append(f"  {'':<28} {'':<5} {eq}")
    if any(c.startswith("ratio_") for c in table.columns):
        lines += [
            "",
            "Equity: 'where they live' compares the added calls per 1,000 residents of each group "
            "(tracts weighted by the group's residents) with all residents; county rows give the "
            "residents the option would reach (geo-heart equity).",
        ]
    return "\n".join(lines)


def equity_text(row: dict) -> str:
    """The equity effect of one option row as a short line ("" when the table has none)."""
    ratios = {k.removeprefix("ratio_"): v for k, v in row.items() if k.startswith("ratio_")}
    reach = {
        k.removeprefix("residents_"): v
        for k, v in row.items()
        if k.startswith("residents_") and v == v and v is not None
    }
    if reach:
        return "reaches residents: " + ", ".join(
            f"{k.replace('_', ' ')} {v:,.0f}" for k, v in reach.items()
        )
    shown = [f"{k.replace('_', ' ')} {v:.2f}" for k, v in ratios.items() if v == v and v is not None]
    return ("where they live, ratio to all: " + ", ".join(shown)) if shown else ""


@dataclass
class TodayPlan:
    """What to add next when every program already serves every beat (``geo-heart expand``).

    ``candidates`` is :func:`today_candidates`: one row per hour block, county area or call type
    to add, with the eligible calls it adds.
    """

    rule_set: Any
    candidates: pd.DataFrame

    def text(self) -> str:
        """The plain-text answer ``geo-heart expand`` prints."""
        return today_text(self.candidates, self.rule_set)

    def as_dict(self) -> dict[str, Any]:
        """One JSON-ready object (``geo-heart expand --json``)."""
        import json

        return {
            "rules": self.rule_set.as_dict(),
            "candidates": json.loads(self.candidates.to_json(orient="records")),
        }


#: prefixes of the equity columns :func:`today_candidates` adds
EQUITY_PREFIXES = ("adds_per_1000_", "ratio_", "residents_")


def with_equity_text(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its equity columns folded into one readable ``equity`` column."""
    cols = [c for c in table.columns if c.startswith(EQUITY_PREFIXES)]
    if not cols:
        return table
    out = table.drop(columns=cols)
    out["equity"] = [equity_text(r) for r in table.to_dict(orient="records")]
    return out
