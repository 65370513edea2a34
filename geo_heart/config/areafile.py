"""Area configuration: beats layer, service areas, programs, hours, call types and dated rules.

An area is one TOML file in ``boundaries/`` (Durham's is ``boundaries/durham.toml``, documented inline).
:func:`load_area` reads it, validates its form with the pydantic models of
:mod:`geo_heart.config.schema` and cross-checks it (a program naming an unknown service area or call
type, duplicate codes, rule sets out of order …). Every problem is reported at once in one
:class:`~geo_heart.errors.ConfigError`, one problem a line, each naming the file and key path::

    boundaries/x.toml: 2 problems
      boundaries/x.toml: programs.CoR.risk_route_too: unknown key
      boundaries/x.toml: programs.CRT.hours[0].start = '25:00': time '25:00' is out of range 00:00-24:00

The output is the frozen dataclasses below (:class:`AreaConfig`, :class:`Program` …), which the rest
of the toolkit uses; the pydantic models stay inside the config package.

Beats are identified by strings (``"111"``) everywhere, whatever type the layer stores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo_heart.config.rules import RulePeriod, RuleSet, RuleTimeline
from geo_heart.config.schedule import WeeklySchedule
from geo_heart.errors import ConfigError


@dataclass(frozen=True)
class SpecialBeat:
    """A code in the beats layer that is not an ordinary beat (e.g. ``999`` Sheriff territory)."""

    code: str
    label: str
    outside_city: bool = False


@dataclass(frozen=True)
class BeatsLayer:
    """Where the beats come from and which fields hold beat and district."""

    file: str
    id_field: str
    district_field: str | None
    source_url: str | None = None
    special: Mapping[str, SpecialBeat] = field(default_factory=dict)
    #: what a unit and a group of units are called ("beat" / "district")
    unit_name: str = "beat"
    unit_plural: str = "beats"
    group_name: str = "district"
    group_plural: str = "districts"

    @property
    def labels(self) -> dict[str, str]:
        """The unit words for outputs and the page (``{"unit": "beat", "units": "beats",
        "group": "district", "groups": "districts"}``)."""
        return {
            "unit": self.unit_name,
            "units": self.unit_plural,
            "group": self.group_name,
            "groups": self.group_plural,
        }


@dataclass(frozen=True)
class ServiceArea:
    """A named set of beats. ``all_beats`` means every beat of the layer but ``exclude_beats``."""

    key: str
    label: str
    beats: frozenset[str] = frozenset()
    all_beats: bool = False
    exclude_beats: frozenset[str] = frozenset()

    def contains(self, beat: str | None) -> bool:
        """True if ``beat`` belongs to this area."""
        if beat is None or beat == "":
            return False
        if self.all_beats:
            return beat not in self.exclude_beats
        return beat in self.beats

    def resolve(self, all_layer_beats: list[str]) -> list[str]:
        """The explicit, sorted list of beats in this area, given every beat in the layer."""
        return sorted(b for b in all_layer_beats if self.contains(b))


@dataclass(frozen=True)
class AddressRules:
    """``[addresses]``: which places an address text may name (upper-case, spaces folded)."""

    #: the area's own postal cities and ZIP codes, and its states (empty: not checked)
    cities: frozenset[str] = frozenset()
    zip_codes: frozenset[str] = frozenset()
    states: frozenset[str] = frozenset()
    #: neighbouring places (answered ``outside``) and words naming a place outside (``PIA``)
    outside_cities: frozenset[str] = frozenset()
    outside_words: frozenset[str] = frozenset()
    #: another spelling → the city's name
    city_aliases: Mapping[str, str] = field(default_factory=dict)
    #: a neighbouring place or ZIP → the units its part of the area lies in
    edge_units: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.cities or self.zip_codes or self.states or self.outside_cities
                    or self.outside_words)  # fmt: skip


@dataclass(frozen=True)
class Program:
    """One response program (CCD, CRT, CoR, CN …)."""

    code: str
    name: str
    description: str
    service_area: str
    hours: WeeklySchedule
    call_types: frozenset[str]
    risk_call_types: frozenset[str] = frozenset()
    risk: str = "allow"  # "allow" or "exclude"
    risk_route_to: str | None = None
    follows_up: tuple[str, ...] = ()
    #: False for a program that takes no new calls (it follows up earlier contacts): eligible
    #: only for its own call types, never for a new call or one whose type is not given
    new_calls: bool = True
    #: False when the program does not operate under the rules in force (e.g. before its launch)
    active: bool = True
    #: why not, when ``active`` is False ("HEART did not exist before 2022-06-27")
    inactive_reason: str = ""


@dataclass(frozen=True)
class CallType:
    """A canonical call type and the raw CAD codes that mean it."""

    key: str
    label: str
    codes: tuple[str, ...] = ()
    risk_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallTypePrefix:
    """A program prefix seen on CAD codes (``"CRT - "``)."""

    prefix: str
    program: str | None
    implies_risk: bool = False


@dataclass(frozen=True)
class Scenario:
    """A what-if: programs given another service area and/or hours."""

    key: str
    label: str
    programs: tuple[str, ...]
    service_area: str | None
    hours: WeeklySchedule | None


@dataclass(frozen=True)
class AreaConfig:
    """A validated area configuration."""

    path: Path
    name: str
    timezone: str
    projected_crs: str
    beats: BeatsLayer
    service_areas: Mapping[str, ServiceArea]
    default_service_area: str
    programs: Mapping[str, Program]
    call_types: Mapping[str, CallType]
    prefixes: tuple[CallTypePrefix, ...]
    scenarios: Mapping[str, Scenario]
    layers: Mapping[str, Mapping[str, Any]]
    rules: RuleTimeline | None = None
    service_name: str = "the service"
    #: the area file's default data folder as written (``[area] data_dir``), None if not given
    data_dir: str | None = None
    places_file: Path | None = None
    #: ``[calibration] file``: the geocoder's fitted confidence table (None: raw numbers)
    calibration_file: Path | None = None
    staffing: Mapping[str, Any] = field(default_factory=dict)
    #: ``[addresses]``: ``outside_cities`` and ``outside_words`` (upper-case, spaces folded)
    outside_cities: frozenset[str] = frozenset()
    outside_words: frozenset[str] = frozenset()
    #: ``[addresses]``: the area's postal cities, ZIPs and states, neighbours, aliases, edges
    address_rules: AddressRules = field(default_factory=AddressRules)
    #: ``[addresses] confident_min_score`` (None: every located answer is ``ok``)
    confident_min_score: float | None = None
    #: ``[addresses] point_crossings_confident``
    point_crossings_confident: bool = True
    #: ``[equity]`` (groups, fields, need measure; empty when the file has none)
    equity: Mapping[str, Any] = field(default_factory=dict)
    #: ``[evaluation]`` (program, outcomes, published dose figures; empty when the file has none)
    evaluation: Mapping[str, Any] = field(default_factory=dict)
    #: ``[costs]`` (team-hour cost assumptions; empty when the file has none: no budget)
    costs: Mapping[str, Any] = field(default_factory=dict)
    #: ``[forecast]`` (units word, staffing quantile; empty when the file has none)
    forecast: Mapping[str, Any] = field(default_factory=dict)
    #: ``[caller_location] ok_share``: one unit's share of a caller shape for a firm ``ok``
    shape_ok_share: float = 0.95

    def own_words(self, text: str) -> str:
        """``text`` written with the default unit words (beat, district) in this area's words,
        leaving the area file's own labels (service areas, rules, programs …) untouched."""
        return relabel_text(text, self.beats.labels, keep=self._own_labels())

    def _own_labels(self) -> tuple[str, ...]:
        got = self.__dict__.get("_own_labels_cache")
        if got is None:
            texts = [self.name]
            texts += [sa.label for sa in self.service_areas.values()]
            texts += [p.name for p in self.programs.values()]
            texts += [p.description for p in self.programs.values()]
            texts += [ct.label for ct in self.call_types.values()]
            texts += [sp.label for sp in self.beats.special.values()]
            texts += [sc.label for sc in self.scenarios.values()]
            if self.rules is not None:
                for rs in self.rules.rule_sets:
                    texts += [rs.label, rs.note or "", rs.source or ""]
            got = tuple(t for t in texts if t)
            object.__setattr__(self, "_own_labels_cache", got)
        return got

    # ------------------------------------------------------------------ rules over time
    @property
    def timeline(self) -> RuleTimeline:
        """The dated rule sets as periods (one undated period when the file has no ``[[rules]]``)."""
        assert self.rules is not None
        return self.rules

    def rules_at(self, moment: datetime | date) -> RulePeriod:
        """The rule period in force at a naive local datetime (or on a local date)."""
        return self.timeline.at(moment)

    def rule_set(self, name: str | None = None) -> RuleSet:
        """The rule set called ``name`` (default: the latest).

        Raises
        ------
        InputError
            Naming the known rule sets when ``name`` is not one.
        """
        from geo_heart.errors import InputError

        if name is None:
            return self.timeline.latest
        try:
            return self.timeline.named(name)
        except KeyError:
            known = [r.name for r in self.timeline.rule_sets if not r.synthetic]
            raise InputError(
                f"unknown rule set {name!r}; rule sets in {self.path}: {known}"
            ) from None

    def programs_under(self, rules: RuleSet | RulePeriod | str | None = None) -> dict[str, Program]:
        """Programs as a rule set (or period) defines them; default: the latest rule set."""
        if isinstance(rules, RulePeriod):
            return dict(rules.programs)
        rs = rules if isinstance(rules, RuleSet) else self.rule_set(rules)
        return dict(self.timeline.full_programs(rs))

    def service_area_under(self, rule_set: RuleSet) -> ServiceArea | None:
        """The service area a lookup reports under ``rule_set`` (None: no program in force)."""
        if rule_set.synthetic:
            return None
        return self.service_areas[rule_set.service_area or self.default_service_area]

    @property
    def service_area(self) -> ServiceArea:
        """The default service area (the outline maps and beat tables draw)."""
        return self.service_areas[self.default_service_area]

    def service_area_now(self) -> ServiceArea | None:
        """The service area under the rules in force today (area time zone); ``None`` when no
        program is in force. Batch outputs without a time column judge ``in_service_area`` by it."""
        from geo_heart.config.clock import now_local

        today = now_local(self.timezone)
        return self.service_area_under(self.rules_at(today).rule_set)

    def layer(self, role: str) -> Mapping[str, Any]:
        """Return the ``[layers.<role>]`` table or raise a ConfigError naming it."""
        if role not in self.layers:
            raise ConfigError(
                f"{self.path}: no [layers.{role}] table; known layers: {sorted(self.layers)}"
            )
        return self.layers[role]

    def layer_value(self, role: str, key: str, default: Any = ...) -> Any:
        """Return ``layers.<role>.<key>``, or ``default``, or raise a ConfigError naming it."""
        table = self.layer(role)
        if key in table:
            return table[key]
        if default is not ...:
            return default
        raise ConfigError(f"{self.path}: layers.{role} has no key {key!r}")


_UNIT_WORDS_RE = re.compile(r"\b(beats|beat|districts|district)\b", re.IGNORECASE)


def relabel_text(
    text: str, labels: Mapping[str, str] | None, *, keep: tuple[str, ...] = ()
) -> str:
    """Human text written with the default words (beat/beats, district/districts) in the area's
    own words (``[beats] unit_name``/``group_name``: Portland's "district"/"precinct"), in one
    pass so the two never collide; capitals kept. Parts of ``text`` equal to a string in ``keep``
    (labels from the area file, already in the area's words) are left as they are. Data keys
    (columns, JSON) are never renamed."""
    if not text or not labels or (labels.get("unit") == "beat" and labels.get("group") == "district"):
        return text
    words = {
        "beat": labels["unit"],
        "beats": labels["units"],
        "district": labels["group"],
        "districts": labels["groups"],
    }

    def swap(m: re.Match[str]) -> str:
        w = m.group(0)
        new = words[w.lower()]
        if w.isupper():
            return new.upper()
        return new[:1].upper() + new[1:] if w[:1].isupper() else new

    kept = sorted({k for k in keep if k and _UNIT_WORDS_RE.search(k)}, key=len, reverse=True)
    if not kept:
        return _UNIT_WORDS_RE.sub(swap, text)
    pattern = re.compile("(" + "|".join(re.escape(k) for k in kept) + ")")
    parts = pattern.split(text)
    # split() with one group: odd items are the kept strings
    return "".join(p if i % 2 else _UNIT_WORDS_RE.sub(swap, p) for i, p in enumerate(parts))


def normalize_code(text: str) -> str:
    """Upper-case and fold runs of white space: the form call codes are compared in."""
    return " ".join(str(text).upper().split())


def load_area(path: str | Path) -> AreaConfig:
    """Read and validate an area TOML file.

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    AreaConfig

    Raises
    ------
    ConfigError
        Listing every problem found (one a line), each naming the file and the key path.
    """
    return _load_area_cached(str(Path(path).resolve()))


@lru_cache(maxsize=16)
def _load_area_cached(path_text: str) -> AreaConfig:
    from geo_heart.config.build import build_area
    from geo_heart.config.schema import problems_error, read_toml, validate_area_dict

    path = Path(path_text)
    raw = read_toml(path)
    model, problems = validate_area_dict(raw, path)
    if model is None:
        raise problems_error(path, problems)
    area, problems = build_area(model, path)
    if problems:
        raise problems_error(path, problems)
    return area
