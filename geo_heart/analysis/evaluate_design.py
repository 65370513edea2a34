"""The design of a pilot evaluation: who is treated from when, the outcome counts, the panel.

:func:`design_from_area` reads the default design from the area file's rule timeline (treated: the
pilot rule set's service area for the program, from its ``effective_from``; controls: every other
city beat; the window ends the day before the next rule set starts) and applies the user's
overrides. :func:`outcome_masks` says which call rows are *targeted* (the program's eligible call
types) and which are *placebo* (``[evaluation] placebo_codes``). :func:`beat_month_panel` counts
them by beat and month, and :func:`window_panel` keeps the months fully before the start
(pre-period) and fully inside the window (post-period), refusing in one line when the data cannot
answer (no pre- or post-period, fewer than 2 treated or control beats).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from geo_heart.config.areafile import AreaConfig, normalize_code
from geo_heart.errors import InputError

log = logging.getLogger(__name__)

#: months of data needed on each side of a start date before anything is estimated
MIN_PRE_MONTHS = 3
MIN_POST_MONTHS = 3
#: an edge month with fewer incidents than this share of the median month is partial (dropped)
PARTIAL_MONTH_SHARE = 0.5


@dataclass
class Design:
    """Who is treated, from when, and what is counted.

    Attributes
    ----------
    program
        The program whose effect is measured.
    treated, controls
        Beat codes (sorted).
    start, end
        First and last local day of the treated window (``end`` inclusive).
    source
        ``"rule timeline"`` (from the area file) or ``"given"`` (overrides).
    later_start
        When the controls were treated in turn (the next rule set, e.g. citywide), for the
        staggered design; None when unknown or not applicable.
    targeted_types, targeted_source
        Canonical call types counted as targeted and where they come from.
    placebo_codes, placebo_label, placebo_source
        Raw codes counted as placebo.
    notes
        Plain statements about choices made.
    """

    program: str
    treated: list[str]
    controls: list[str]
    start: date
    end: date
    source: str
    later_start: date | None = None
    #: beat → the first day the program served it (the staggered design; from the pilot on)
    adoption: dict[str, date] = field(default_factory=dict)
    targeted_types: list[str] = field(default_factory=list)
    targeted_source: str = ""
    risk_excluded: bool = False
    placebo_codes: list[str] = field(default_factory=list)
    placebo_label: str = "placebo types"
    placebo_source: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready design facts."""
        return {
            "program": self.program,
            "treated": list(self.treated),
            "controls": list(self.controls),
            "n_treated": len(self.treated),
            "n_controls": len(self.controls),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "source": self.source,
            "later_start": None if self.later_start is None else self.later_start.isoformat(),
            "adoption_cohorts": self.cohorts(),
        }

    def cohorts(self) -> dict[str, int]:
        """Adoption date → number of beats (the staggered design's cohorts)."""
        out: dict[str, int] = {}
        for d in sorted(self.adoption.values()):
            out[d.isoformat()] = out.get(d.isoformat(), 0) + 1
        return out


def city_beats(area: AreaConfig, beats: list[str]) -> list[str]:
    """The beats of the layer that are ordinary city beats (``[beats.special]`` codes left out)."""
    special = set(area.beats.special)
    return sorted(b for b in beats if b not in special)


def _parse_day(value: date | str | None, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def design_from_area(
    area: AreaConfig,
    beats: list[str],
    *,
    program: str | None = None,
    treated: list[str] | str | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
    data_end: date | None = None,
) -> Design:
    """The evaluation design: the area file's rule timeline, with any override applied.

    Parameters
    ----------
    area
        The area configuration.
    beats
        Every beat code of the beats layer.
    program
        Program code (default ``[evaluation] program``, else ``CRT`` if the area has it, else
        the first program served in a partial area under the pilot rules).
    treated
        Beat codes (a list or comma-separated text); default: the pilot rule set's service
        area for ``program``.
    start, end
        The window (``end`` inclusive). Default start: the pilot rule set's ``effective_from``
        (or the program's own ``starts``); default end: the day before the next rule set starting
        after ``start``, else the end of the data.
    data_end
        The last day of data (the end when no later rule set exists).
    """
    ev = dict(area.evaluation)
    timeline = area.timeline
    real = [r for r in timeline.rule_sets if not r.synthetic and r.effective_from is not None]
    pilot = None
    if ev.get("pilot_rules"):
        pilot = area.rule_set(ev["pilot_rules"])
    elif real:
        pilot = real[0]
    code = program or ev.get("program")
    if code is None:
        code = "CRT" if "CRT" in area.programs else next(iter(area.programs))
    if code not in area.programs:
        raise InputError(
            f"program {code!r} is not in {area.path}; known: {', '.join(area.programs)}"
        )
    city = city_beats(area, beats)
    notes: list[str] = []
    given = treated is not None or start is not None
    if isinstance(treated, str):
        treated = [t for t in re.split(r"[\s,;]+", treated) if t]
    start_d = _parse_day(start, "--start")
    end_d = _parse_day(end, "--end")
    progs = area.programs_under(pilot) if pilot is not None else dict(area.programs)
    prog = progs[code]
    if treated is None:
        if pilot is None:
            raise InputError(
                f"{area.path} has no dated [[rules]]: give --treated BEATS and --start DATE"
            )
        sa = area.service_areas[prog.service_area]
        treated = [b for b in city if sa.contains(b)]
        notes.append(
            f"treated: the {len(treated)} beats of {sa.label!r} where {code} served under the "
            f"{pilot.label!r} rules"
        )
    unknown = [b for b in treated if b not in set(beats)]
    if unknown:
        raise InputError(
            f"--treated: {', '.join(map(repr, unknown))} not a beat of the layer; beats: "
            f"{', '.join(city)}"
        )
    special = [b for b in treated if b not in set(city)]
    if special:
        raise InputError(
            f"--treated: {', '.join(map(repr, special))} is a special code ([beats.special]), "
            "not a city beat"
        )
    treated = sorted(set(treated))
    if start_d is None:
        if pilot is None:
            raise InputError("give --start DATE (the area file has no dated rule set)")
        own = pilot.programs.get(code)
        start_d = own.starts if own is not None and own.starts is not None else pilot.effective_from
    later = [r for r in real if r.effective_from is not None and r.effective_from > start_d]
    later_start = later[0].effective_from if later else None
    if end_d is None:
        if later_start is not None:
            end_d = later_start - timedelta(days=1)
            notes.append(f"window ends the day before the {later[0].label!r} rules ({later_start})")
        elif data_end is not None:
            end_d = data_end
            notes.append("window runs to the end of the data")
        else:
            raise InputError("give --end DATE (no later rule set and no data end)")
    if end_d < start_d:
        raise InputError(f"--end {end_d} is before --start {start_d}")
    controls = [b for b in city if b not in set(treated)]
    if len(treated) < 2 or len(controls) < 2:
        raise InputError(
            f"a comparison needs at least 2 treated and 2 control beats; got {len(treated)} "
            f"treated and {len(controls)} control (of {len(city)} city beats)"
        )
    targeted = ev.get("targeted_call_types")
    if targeted:
        t_source = (
            ev.get("targeted_source") or f"[evaluation] targeted_call_types of {area.path.name}"
        )
    else:
        targeted = sorted(prog.call_types)
        t_source = ev.get("targeted_source") or f"[programs.{code}] call_types of {area.path.name}"
    if not targeted:
        raise InputError(f"program {code!r} has no eligible call types to count as targeted")
    adoption: dict[str, date] = {}
    if not given and pilot is not None:
        for rs in [r for r in real if r.effective_from >= pilot.effective_from]:
            p = area.programs_under(rs).get(code)
            if p is None or not p.active:
                continue
            own = rs.programs.get(code)
            day = own.starts if own is not None and own.starts is not None else rs.effective_from
            sa = area.service_areas[p.service_area]
            for b in city:
                if b not in adoption and sa.contains(b):
                    adoption[b] = day
    return Design(
        program=code,
        adoption=adoption,
        treated=treated,
        controls=controls,
        start=start_d,
        end=end_d,
        source="given" if given or end is not None else "rule timeline",
        later_start=later_start if not given else None,
        targeted_types=list(targeted),
        targeted_source=t_source,
        risk_excluded=prog.risk == "exclude",
        placebo_codes=[normalize_code(c) for c in ev.get("placebo_codes", [])],
        placebo_label=ev.get("placebo_label", "placebo types"),
        placebo_source=ev.get("placebo_source") or "",
        notes=notes,
    )


def outcome_masks(
    area: AreaConfig, frame: pd.DataFrame, design: Design
) -> tuple[np.ndarray, np.ndarray]:
    """Row masks of a classified call frame: (targeted, placebo).

    Targeted: the call type is one of ``design.targeted_types`` (by call-type membership, not by
    the program's area or hours), without a weapon/violence flag when the program excludes those.
    Placebo: the raw code, upper-cased with spaces folded and any known program prefix removed,
    is one of ``design.placebo_codes``.
    """
    targeted = frame["call_type"].isin(design.targeted_types).to_numpy(dtype=bool, copy=True)
    if design.risk_excluded:
        targeted &= ~frame["risk"].fillna(False).to_numpy(dtype=bool)
    placebo = np.zeros(len(frame), dtype=bool)
    if design.placebo_codes:
        prefixes = [normalize_code(p.prefix) for p in area.prefixes]
        codes = set(design.placebo_codes)

        def norm(v: object) -> str:
            if v is None or v != v:
                return ""
            text = normalize_code(str(v))
            for p in prefixes:
                if p and text.startswith(p):
                    return text[len(p) :].strip()
            return text

        raw = frame["raw_call_type"].map(norm)
        placebo = raw.isin(codes).to_numpy(dtype=bool) & ~targeted
    return targeted, placebo


def beat_month_panel(
    frame: pd.DataFrame, beats: list[str], targeted: np.ndarray, placebo: np.ndarray
) -> tuple[pd.DataFrame, list[str]]:
    """Counts by beat and month (every beat × every month, zeros filled).

    Returns the panel (``beat``, ``month``, ``targeted``, ``placebo``, ``total``) and notes.
    Partial edge months (fewer incidents than half the median month, e.g. a month the export
    only touches) are dropped and named in the notes.
    """
    keep = frame["beat"].isin(beats).to_numpy() & frame["month"].notna().to_numpy()
    sub = pd.DataFrame(
        {
            "beat": frame["beat"].to_numpy()[keep],
            "month": frame["month"].to_numpy()[keep],
            "targeted": targeted[keep].astype(np.int64),
            "placebo": placebo[keep].astype(np.int64),
            "total": np.ones(int(keep.sum()), dtype=np.int64),
        }
    )
    if sub.empty:
        raise InputError("no call has both a city beat and a month: nothing to count")
    counts = sub.groupby(["beat", "month"])[["targeted", "placebo", "total"]].sum()
    first, last = pd.Period(sub["month"].min(), "M"), pd.Period(sub["month"].max(), "M")
    months = [str(p) for p in pd.period_range(first, last, freq="M")]
    idx = pd.MultiIndex.from_product([sorted(beats), months], names=["beat", "month"])
    panel = counts.reindex(idx, fill_value=0).reset_index()
    notes = []
    per_month = panel.groupby("month")["total"].sum()
    med = float(per_month.median())
    drop = []
    for m in (months[0], months[-1]):
        if per_month[m] < PARTIAL_MONTH_SHARE * med and m not in drop:
            drop.append(m)
    if drop:
        panel = panel[~panel["month"].isin(drop)]
        notes.append(
            "partial month(s) at the edge of the data left out: "
            + ", ".join(f"{m} ({int(per_month[m])} incidents)" for m in drop)
        )
    return panel.reset_index(drop=True), notes


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a ``YYYY-MM`` month."""
    p = pd.Period(month, "M")
    return p.start_time.date(), p.end_time.date()


def window_panel(
    panel: pd.DataFrame,
    design: Design,
    *,
    min_pre: int = MIN_PRE_MONTHS,
    min_post: int = MIN_POST_MONTHS,
    what: str = "the evaluation",
) -> tuple[pd.DataFrame, list[str]]:
    """The months of the design's window: those fully before ``start`` (pre) and fully inside
    ``[start, end]`` (post); a month the start or end cuts is left out (partly treated).

    Adds ``treated`` (bool), ``post`` (bool), ``D`` (treated × post, float) and ``rel``
    (event time in months: 0 the first full post month, -1 the last full pre month).

    Raises
    ------
    InputError
        One line saying what data the design needs, when the pre- or post-period is too short.
    """
    months = sorted(panel["month"].unique())
    pre, post, cut = [], [], []
    for m in months:
        a, b = month_bounds(m)
        if b < design.start:
            pre.append(m)
        elif a >= design.start and b <= design.end:
            post.append(m)
        elif a <= design.end:
            cut.append(m)
    span = f"{months[0]} to {months[-1]}" if months else "no months"
    first = pd.Period(design.start, "M")
    first = first if first.start_time.date() >= design.start else first + 1
    full = 0
    while (first + full).end_time.date() <= design.end:
        full += 1
    if full < min_post:
        raise InputError(
            f"{what}: the window {design.start} to {design.end} holds {full} full month(s); "
            f"at least {min_post} are needed (give a later --end; the calls cover {span})"
        )
    if len(pre) < min_pre or len(post) < min_post:
        need_post = (design.start.replace(day=1) + pd.DateOffset(months=min_post + 1)).date()
        raise InputError(
            f"{what} needs monthly counts from at least {min_pre} full months before "
            f"{design.start} and {min_post} full months from it (to {design.end}); the calls "
            f"cover {span} ({len(pre)} months before, {len(post)} inside): give a call table "
            f"spanning about {(design.start.replace(day=1) - pd.DateOffset(months=min_pre)).date()}"
            f" to {min(need_post, design.end)} or later"
        )
    notes = []
    if cut:
        notes.append(
            "month(s) cut by the start or end date left out (partly treated): " + ", ".join(cut)
        )
    out = panel[panel["month"].isin(pre + post)].copy()
    out["treated"] = out["beat"].isin(design.treated)
    out["post"] = out["month"].isin(post)
    out["D"] = (out["treated"] & out["post"]).astype(float)
    rel = {m: i - len(pre) for i, m in enumerate(pre)}
    rel.update({m: i for i, m in enumerate(post)})
    out["rel"] = out["month"].map(rel).astype(int)
    out = out[out["beat"].isin(design.treated + design.controls)]
    return out.reset_index(drop=True), notes
