"""Validated area-file model → :class:`~geo_heart.config.areafile.AreaConfig`, with cross-checks.

The pydantic models (:mod:`geo_heart.config.schema`) check each table's form; the checks here span
tables: a program naming an unknown service area or call type, a code listed under two call types,
rule sets out of order or naming unknown programs. Every problem is collected, none stops the rest.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from geo_heart.config.areafile import (
    AddressRules,
    AreaConfig,
    BeatsLayer,
    CallType,
    CallTypePrefix,
    Program,
    Scenario,
    ServiceArea,
    SpecialBeat,
    normalize_code,
)
from geo_heart.config.rules import ProgramRule, RulePeriod, RuleSet, RuleTimeline
from geo_heart.config.schedule import WeeklySchedule
from geo_heart.config.schema import AreaFileModel


def schedule(windows: list[Any]) -> WeeklySchedule:
    """Hours windows (validated models) → :class:`WeeklySchedule`."""
    return WeeklySchedule.from_config(
        [w if isinstance(w, str) else w.model_dump() for w in windows]
    )


def build_area(m: AreaFileModel, path: Path) -> tuple[AreaConfig, list[str]]:
    """Build the dataclasses from a validated model; return them and every cross-check problem."""
    problems: list[str] = []

    def known(where: str, value: str, pool: Any, what: str) -> bool:
        if value in pool:
            return True
        problems.append(f"{where} = {value!r}: not a {what}; known: {sorted(pool)}")
        return False

    special = {
        str(c): SpecialBeat(str(c), s.label, s.outside_city) for c, s in m.beats.special.items()
    }
    beats = BeatsLayer(
        file=m.beats.file,
        id_field=m.beats.id_field,
        district_field=m.beats.district_field,
        source_url=m.beats.source_url,
        special=special,
        unit_name=m.beats.unit_name,
        unit_plural=m.beats.unit_plural or m.beats.unit_name + "s",
        group_name=m.beats.group_name,
        group_plural=m.beats.group_plural or m.beats.group_name + "s",
    )
    service_areas = {
        k: ServiceArea(
            key=k,
            label=sa.label or k,
            beats=frozenset(sa.beats),
            all_beats=sa.all_beats,
            exclude_beats=frozenset(sa.exclude_beats),
        )
        for k, sa in m.service_areas.items()
    }
    default_sa = m.defaults.service_area or next(iter(service_areas))
    known("defaults.service_area", default_sa, service_areas, "service area")
    if m.staffing.program is not None:
        known("staffing.program", m.staffing.program, m.programs, "program")

    call_types = {
        k: CallType(
            key=k,
            label=ct.label or k.replace("_", " ").capitalize(),
            codes=tuple(normalize_code(c) for c in ct.codes),
            risk_codes=tuple(normalize_code(c) for c in ct.risk_codes),
        )
        for k, ct in m.call_types.items()
    }
    seen: dict[str, str] = {}
    for ct in call_types.values():
        for code in ct.codes + ct.risk_codes:
            if code in seen and seen[code] != ct.key:
                problems.append(
                    f"call_types.{ct.key}.codes = {code!r}: also listed under call_types.{seen[code]}"
                )
            seen.setdefault(code, ct.key)

    programs: dict[str, Program] = {}
    for code, p in m.programs.items():
        where = f"programs.{code}"
        known(f"{where}.service_area", p.service_area, service_areas, "service area")
        for key in ("call_types", "risk_call_types"):
            for ct in getattr(p, key):
                known(f"{where}.{key}", ct, call_types, "call type")
        programs[code] = Program(
            code=code,
            name=p.name or code,
            description=p.description,
            service_area=p.service_area,
            hours=schedule(p.hours),
            call_types=frozenset(p.call_types),
            risk_call_types=frozenset(p.risk_call_types),
            risk=p.risk,
            risk_route_to=p.risk_route_to,
            follows_up=tuple(p.follows_up),
            new_calls=(not p.follows_up) if p.new_calls is None else p.new_calls,
        )
    for code, p in programs.items():
        if p.risk_route_to is not None:
            known(f"programs.{code}.risk_route_to", p.risk_route_to, programs, "program")
        for other in p.follows_up:
            known(f"programs.{code}.follows_up", other, programs, "program")

    prefixes = []
    for text, entry in m.call_type_prefixes.items():
        if entry.program is not None:
            known(f"call_type_prefixes.{text!r}.program", entry.program, programs, "program")
        prefixes.append(
            CallTypePrefix(normalize_code(text) + " ", entry.program, entry.implies_risk)
        )

    scenarios: dict[str, Scenario] = {}
    for key, sc in m.scenarios.items():
        where = f"scenarios.{key}"
        progs = list(sc.programs or programs)
        for p in progs:
            known(f"{where}.programs", p, programs, "program")
        sa_key = sc.service_area
        if sa_key is not None:
            known(f"{where}.service_area", sa_key, service_areas, "service area")
        elif sc.beats is not None:
            sa_key = f"scenario_{key}"
            service_areas[sa_key] = ServiceArea(
                key=sa_key,
                label=sc.label or f"{key} ({len(sc.beats)} beats)",
                beats=frozenset(sc.beats),
            )
        scenarios[key] = Scenario(
            key=key,
            label=sc.label or key,
            programs=tuple(progs),
            service_area=sa_key,
            hours=schedule(sc.hours) if sc.hours is not None else None,
        )

    layers = {
        role: table.model_dump(exclude_none=True) for role, table in m.layers if table is not None
    }

    # [equity]: its layer must be a configured layer
    if m.equity is not None and m.equity.layer not in layers:
        problems.append(
            f"equity.layer = {m.equity.layer!r}: no [layers.{m.equity.layer}] "
            f"table; known layers: {sorted(layers)}"
        )

    # [evaluation]: its program and call types must exist
    if m.evaluation is not None:
        if m.evaluation.program is not None:
            known("evaluation.program", m.evaluation.program, m.programs, "program")
        for ct in m.evaluation.targeted_call_types or []:
            known("evaluation.targeted_call_types", ct, m.call_types, "call type")
        for i, d in enumerate(m.evaluation.dose):
            for p in d.programs:
                known(f"evaluation.dose[{i}].programs", p, m.programs, "program")
            if d.end < d.start:
                problems.append(f"evaluation.dose[{i}]: end {d.end} is before start {d.start}")
    # [staffing]: typed by the schema; here only its program names are checked
    for key in m.staffing.programs:
        known(f"staffing.programs.{key}", key, programs, "program")
    for key in m.costs.programs if m.costs is not None else {}:
        known(f"costs.programs.{key}", key, programs, "program")

    rule_sets = _rule_sets(m, programs, service_areas, call_types, problems)
    service_name = m.area.service_name
    timeline = None
    if not problems:
        timeline = _timeline(rule_sets, programs, service_name)

    area = AreaConfig(
        path=path,
        name=m.area.name,
        timezone=m.area.timezone,
        projected_crs=m.area.projected_crs,
        beats=beats,
        service_areas=service_areas,
        default_service_area=default_sa,
        programs=programs,
        call_types=call_types,
        prefixes=tuple(prefixes),
        scenarios=scenarios,
        layers=layers,
        rules=timeline,
        service_name=service_name,
        data_dir=m.area.data_dir,
        places_file=(path.parent / m.places.file) if m.places is not None else None,
        calibration_file=(
            (path.parent / m.calibration.file) if m.calibration is not None else None
        ),
        staffing=m.staffing.model_dump(exclude_none=True),
        outside_cities=frozenset(normalize_code(c) for c in m.addresses.outside_cities),
        outside_words=frozenset(normalize_code(w) for w in m.addresses.outside_words),
        address_rules=_address_rules(m),
        confident_min_score=m.addresses.confident_min_score,
        point_crossings_confident=m.addresses.point_crossings_confident,
        equity=m.equity.model_dump(exclude_none=True) if m.equity is not None else {},
        evaluation=(
            m.evaluation.model_dump(exclude_none=True) if m.evaluation is not None else {}
        ),
        costs=m.costs.model_dump(exclude_none=True) if m.costs is not None else {},
        forecast=m.forecast.model_dump(exclude_none=True) if m.forecast is not None else {},
        shape_ok_share=m.caller_location.ok_share,
    )
    return area, problems


def _rule_sets(m, programs, service_areas, call_types, problems: list[str]) -> list[RuleSet]:
    """``[[rules]]`` → RuleSets, checking names, order, dates and every name they use."""
    out: list[RuleSet] = []
    names: set[str] = set()
    previous: date | None = None
    for i, r in enumerate(m.rules):
        where = f"rules[{i}]"
        if r.name in names:
            problems.append(f"{where}.name = {r.name!r}: another rule set has this name")
        names.add(r.name)
        if r.effective_from is None and i > 0:
            problems.append(
                f"{where}.effective_from: missing (only the first rule set may omit it)"
            )
        if r.effective_from is not None:
            if previous is not None and r.effective_from <= previous:
                problems.append(
                    f"{where}.effective_from = {r.effective_from.isoformat()!r}: rule sets must be "
                    f"listed in date order (after {previous.isoformat()})"
                )
            previous = r.effective_from
        if r.effective_to is not None and r.effective_from is not None:
            if r.effective_to <= r.effective_from:
                problems.append(
                    f"{where}.effective_to = {r.effective_to.isoformat()!r}: not after effective_from"
                )
        if r.service_area is not None and r.service_area not in service_areas:
            problems.append(
                f"{where}.service_area = {r.service_area!r}: not a service area; "
                f"known: {sorted(service_areas)}"
            )
        overrides = {}
        for code, pr in r.programs.items():
            pw = f"{where}.programs.{code}"
            if code not in programs:
                problems.append(f"{pw}: not a program; known: {sorted(programs)}")
                continue
            if pr.service_area is not None and pr.service_area not in service_areas:
                problems.append(
                    f"{pw}.service_area = {pr.service_area!r}: not a service area; "
                    f"known: {sorted(service_areas)}"
                )
            for key in ("call_types", "risk_call_types"):
                for ct in getattr(pr, key) or []:
                    if ct not in call_types:
                        problems.append(f"{pw}.{key} = {ct!r}: not a call type")
            if pr.starts is not None:
                lo, hi = r.effective_from, r.effective_to
                if (lo is not None and pr.starts <= lo) or (hi is not None and pr.starts >= hi):
                    problems.append(
                        f"{pw}.starts = {pr.starts.isoformat()!r}: must fall inside the rule set's dates"
                    )
            overrides[code] = ProgramRule(
                active=pr.active,
                starts=pr.starts,
                service_area=pr.service_area,
                hours=schedule(pr.hours) if pr.hours is not None else None,
                call_types=frozenset(pr.call_types) if pr.call_types is not None else None,
                risk_call_types=(
                    frozenset(pr.risk_call_types) if pr.risk_call_types is not None else None
                ),
                source=pr.source,
                assumed=pr.assumed,
                note=pr.note,
            )
        out.append(
            RuleSet(
                name=r.name,
                label=r.label,
                effective_from=r.effective_from,
                effective_to=r.effective_to,
                service_area=r.service_area,
                programs=overrides,
                source=r.source,
                assumed=r.assumed,
                note=r.note,
            )
        )
    for i, (a, b) in enumerate(zip(out, out[1:], strict=False)):
        if a.effective_to is not None and b.effective_from is not None:
            if a.effective_to > b.effective_from:
                problems.append(
                    f"rules[{i}].effective_to = {a.effective_to.isoformat()!r}: overlaps "
                    f"rules[{i + 1}] ({b.name}, from {b.effective_from.isoformat()})"
                )
    return out


def _inactive(programs: dict[str, Program], reason: str) -> dict[str, Program]:
    return {c: replace(p, active=False, inactive_reason=reason) for c, p in programs.items()}


def _timeline(
    rule_sets: list[RuleSet], programs: dict[str, Program], service_name: str
) -> RuleTimeline:
    """Flatten rule sets into consecutive periods (adding 'before' and 'gap' periods)."""
    if not rule_sets:
        rs = RuleSet(name="current", label="Current rules (undated)")
        return RuleTimeline((RulePeriod(rs, None, None, dict(programs)),), (rs,))
    # resolve each set's end: its own effective_to, else the next set's start
    resolved: list[RuleSet] = []
    for i, rs in enumerate(rule_sets):
        end = rs.effective_to
        if end is None and i + 1 < len(rule_sets):
            end = rule_sets[i + 1].effective_from
        resolved.append(replace(rs, effective_to=end))
    all_sets: list[RuleSet] = []
    first = resolved[0]
    if first.effective_from is not None:
        all_sets.append(
            RuleSet(
                name="none",
                label=f"Before {service_name}",
                effective_to=first.effective_from,
                note=f"{service_name} did not exist before {first.effective_from.isoformat()}",
                synthetic=True,
            )
        )
    for i, rs in enumerate(resolved):
        all_sets.append(rs)
        nxt = resolved[i + 1].effective_from if i + 1 < len(resolved) else None
        if rs.effective_to is not None and (nxt is None or rs.effective_to < nxt):
            all_sets.append(
                RuleSet(
                    name=f"after_{rs.name}",
                    label=f"No {service_name} rules in force",
                    effective_from=rs.effective_to,
                    effective_to=nxt,
                    note=f"no {service_name} rules are in force from {rs.effective_to.isoformat()}"
                    + (f" to {nxt.isoformat()}" if nxt else ""),
                    synthetic=True,
                )
            )
    periods: list[RulePeriod] = []
    for rs in all_sets:
        if rs.synthetic:
            periods.append(
                RulePeriod(
                    rs, rs.effective_from, rs.effective_to, _inactive(programs, rs.note or "")
                )
            )
            continue
        base = {}
        for code, p in programs.items():
            o = rs.programs.get(code)
            if o is not None:
                p = replace(
                    p,
                    service_area=o.service_area or p.service_area,
                    hours=o.hours if o.hours is not None else p.hours,
                    call_types=o.call_types if o.call_types is not None else p.call_types,
                    risk_call_types=(
                        o.risk_call_types if o.risk_call_types is not None else p.risk_call_types
                    ),
                )
                if not o.active:
                    p = replace(
                        p,
                        active=False,
                        inactive_reason=o.note
                        or f"{p.name} did not operate under the {rs.label} rules",
                    )
            base[code] = p
        cuts = sorted({o.starts for o in rs.programs.values() if o.starts is not None})
        bounds = [rs.effective_from, *cuts, rs.effective_to]
        for a, b in zip(bounds, bounds[1:], strict=False):
            progs = {}
            for code, p in base.items():
                o = rs.programs.get(code)
                if o is not None and o.starts is not None and (a is None or a < o.starts):
                    when = "an assumed date, " if o.assumed else ""
                    reason = f"{p.name} started on {o.starts.isoformat()} ({when}under the {rs.label} rules)"
                    p = replace(p, active=False, inactive_reason=reason)
                progs[code] = p
            periods.append(RulePeriod(rs, a, b, progs))
    return RuleTimeline(tuple(periods), tuple(all_sets))


def _address_rules(m: AreaFileModel) -> AddressRules:
    """``[addresses]`` as :class:`AddressRules`: names upper-case with spaces folded, aliases
    applied to the lists (so ``GRSM`` in ``outside_cities`` means Gresham)."""
    a = m.addresses
    alias = {normalize_code(k): normalize_code(v) for k, v in a.city_aliases.items()}

    def names(values) -> frozenset[str]:
        return frozenset(alias.get(normalize_code(v), normalize_code(v)) for v in values)

    return AddressRules(
        cities=names(a.cities),
        zip_codes=frozenset(a.zip_codes),
        states=frozenset(normalize_code(s) for s in a.states),
        outside_cities=names(a.outside_cities),
        outside_words=frozenset(normalize_code(w) for w in a.outside_words),
        city_aliases=alias,
        edge_units={
            alias.get(normalize_code(k), normalize_code(k)): frozenset(str(u) for u in v)
            for k, v in a.edge_units.items()
        },
    )
