"""Area configuration: beats layer, service areas, programs, hours and the call-type table.

An area is one TOML file in ``boundaries/`` (Durham's is ``boundaries/durham.toml``, documented inline).
:func:`load_area` reads and validates it; every problem is a :class:`~geo_heart.errors.ConfigError`
naming the file, the key and the value, e.g.::

    boundaries/durham.toml: programs.CRT.hours[0].start = '25:00': time '25:00' is out of range

Beats are identified by strings (``"111"``) everywhere, whatever type the layer stores.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geo_heart.config.schedule import WeeklySchedule
from geo_heart.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


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
    #: ``[places] file``: the named-places table (resolved against the area file's folder)
    places_file: Path | None = None

    @property
    def service_area(self) -> ServiceArea:
        """The default service area (``in_service_area`` in lookups)."""
        return self.service_areas[self.default_service_area]

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


class _Reader:
    """Small helper that turns type and presence problems into ConfigErrors naming file and key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, value: Any, why: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key} = {value!r}: {why}")

    def missing(self, key: str) -> ConfigError:
        return ConfigError(f"{self.path}: missing required key {key!r}")

    def table(self, data: Mapping[str, Any], key: str, where: str, required: bool = True) -> dict:
        full = f"{where}.{key}" if where else key
        if key not in data:
            if required:
                raise self.missing(full)
            return {}
        value = data[key]
        if not isinstance(value, Mapping):
            raise self.fail(full, value, "expected a table")
        return dict(value)

    def string(self, data: Mapping[str, Any], key: str, where: str, default: Any = ...) -> Any:
        full = f"{where}.{key}" if where else key
        if key not in data:
            if default is ...:
                raise self.missing(full)
            return default
        value = data[key]
        if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value).strip() == "":
            raise self.fail(full, value, "expected a non-empty string")
        return str(value).strip()

    def str_list(self, data: Mapping[str, Any], key: str, where: str) -> list[str]:
        full = f"{where}.{key}" if where else key
        value = data.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(v, (str, int)) and not isinstance(v, bool) for v in value
        ):
            raise self.fail(full, value, "expected a list of strings")
        return [str(v).strip() for v in value]

    def boolean(self, data: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", value, "expected true or false")
        return value

    def schedule(self, data: Mapping[str, Any], key: str, where: str) -> WeeklySchedule:
        full = f"{where}.{key}"
        if key not in data:
            raise self.missing(full)
        value = data[key]
        if not isinstance(value, list):
            raise self.fail(full, value, "expected a list of {days, start, end} tables")
        try:
            return WeeklySchedule.from_config(value)
        except ValueError as exc:
            raise self.fail(full, value, str(exc)) from None


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
        Naming the file, key and value of the first problem found.
    """
    return _load_area_cached(str(Path(path).resolve()))


@lru_cache(maxsize=16)
def _load_area_cached(path_text: str) -> AreaConfig:
    path = Path(path_text)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"area configuration file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    r = _Reader(path)

    area = r.table(raw, "area", "")
    name = r.string(area, "name", "area")
    tz = r.string(area, "timezone", "area")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail(
            "area.timezone", tz, "not an IANA time zone such as 'America/New_York'"
        ) from None
    projected_crs = r.string(area, "projected_crs", "area")
    try:
        from pyproj import CRS

        crs = CRS.from_user_input(projected_crs)
    except Exception:  # pyproj raises its own CRSError
        raise r.fail("area.projected_crs", projected_crs, "not a CRS pyproj understands") from None
    if not crs.is_projected:
        raise r.fail(
            "area.projected_crs", projected_crs, "must be a projected CRS (metres or feet)"
        )

    b = r.table(raw, "beats", "")
    special = {}
    for code, entry in r.table(b, "special", "beats", required=False).items():
        if not isinstance(entry, Mapping):
            raise r.fail(f"beats.special.{code}", entry, "expected a table {label, outside_city}")
        special[str(code)] = SpecialBeat(
            code=str(code),
            label=r.string(entry, "label", f"beats.special.{code}"),
            outside_city=r.boolean(entry, "outside_city", f"beats.special.{code}", False),
        )
    beats = BeatsLayer(
        file=r.string(b, "file", "beats"),
        id_field=r.string(b, "id_field", "beats"),
        district_field=r.string(b, "district_field", "beats", None),
        source_url=r.string(b, "source_url", "beats", None),
        special=special,
    )

    service_areas: dict[str, ServiceArea] = {}
    for key, entry in r.table(raw, "service_areas", "").items():
        where = f"service_areas.{key}"
        if not isinstance(entry, Mapping):
            raise r.fail(where, entry, "expected a table")
        all_beats = r.boolean(entry, "all_beats", where, False)
        beats_list = r.str_list(entry, "beats", where)
        if not all_beats and not beats_list:
            raise r.fail(where, dict(entry), "give `beats = [...]` or `all_beats = true`")
        service_areas[key] = ServiceArea(
            key=key,
            label=r.string(entry, "label", where, key),
            beats=frozenset(beats_list),
            all_beats=all_beats,
            exclude_beats=frozenset(r.str_list(entry, "exclude_beats", where)),
        )
    if not service_areas:
        raise r.missing("service_areas.<name>")
    defaults = r.table(raw, "defaults", "", required=False)
    default_sa = r.string(defaults, "service_area", "defaults", next(iter(service_areas)))
    if default_sa not in service_areas:
        raise r.fail("defaults.service_area", default_sa, f"known: {sorted(service_areas)}")

    call_types: dict[str, CallType] = {}
    for key, entry in r.table(raw, "call_types", "").items():
        where = f"call_types.{key}"
        if not isinstance(entry, Mapping):
            raise r.fail(where, entry, "expected a table {label, codes}")
        call_types[key] = CallType(
            key=key,
            label=r.string(entry, "label", where, key.replace("_", " ").capitalize()),
            codes=tuple(normalize_code(c) for c in r.str_list(entry, "codes", where)),
            risk_codes=tuple(normalize_code(c) for c in r.str_list(entry, "risk_codes", where)),
        )
    seen: dict[str, str] = {}
    for ct in call_types.values():
        for code in ct.codes + ct.risk_codes:
            if code in seen and seen[code] != ct.key:
                raise r.fail(
                    f"call_types.{ct.key}.codes", code, f"also listed under call_types.{seen[code]}"
                )
            seen[code] = ct.key

    programs: dict[str, Program] = {}
    for code, entry in r.table(raw, "programs", "").items():
        where = f"programs.{code}"
        if not isinstance(entry, Mapping):
            raise r.fail(where, entry, "expected a table")
        sa = r.string(entry, "service_area", where)
        if sa not in service_areas:
            raise r.fail(
                f"{where}.service_area", sa, f"known service areas: {sorted(service_areas)}"
            )
        cts = r.str_list(entry, "call_types", where)
        risk_cts = r.str_list(entry, "risk_call_types", where)
        for key_name, lst in (("call_types", cts), ("risk_call_types", risk_cts)):
            for ct in lst:
                if ct not in call_types:
                    raise r.fail(
                        f"{where}.{key_name}", ct, f"not a call type; known: {sorted(call_types)}"
                    )
        risk = r.string(entry, "risk", where, "allow")
        if risk not in ("allow", "exclude"):
            raise r.fail(f"{where}.risk", risk, "expected 'allow' or 'exclude'")
        programs[code] = Program(
            code=code,
            name=r.string(entry, "name", where, code),
            description=r.string(entry, "description", where, ""),
            service_area=sa,
            hours=r.schedule(entry, "hours", where),
            call_types=frozenset(cts),
            risk_call_types=frozenset(risk_cts),
            risk=risk,
            risk_route_to=r.string(entry, "risk_route_to", where, None),
            follows_up=tuple(r.str_list(entry, "follows_up", where)),
        )
    for p in programs.values():
        for other in (p.risk_route_to, *p.follows_up):
            if other is not None and other not in programs:
                raise r.fail(
                    f"programs.{p.code}", other, f"not a program; known: {sorted(programs)}"
                )

    prefixes = []
    for prefix, entry in r.table(raw, "call_type_prefixes", "", required=False).items():
        where = f"call_type_prefixes.{prefix!r}"
        if not isinstance(entry, Mapping):
            raise r.fail(where, entry, "expected a table {program, implies_risk}")
        prog = r.string(entry, "program", where, None)
        if prog is not None and prog not in programs:
            raise r.fail(f"{where}.program", prog, f"known programs: {sorted(programs)}")
        prefixes.append(
            CallTypePrefix(
                prefix=normalize_code(prefix) + " ",
                program=prog,
                implies_risk=r.boolean(entry, "implies_risk", where, False),
            )
        )

    scenarios: dict[str, Scenario] = {}
    for key, entry in r.table(raw, "scenarios", "", required=False).items():
        where = f"scenarios.{key}"
        if not isinstance(entry, Mapping):
            raise r.fail(where, entry, "expected a table")
        progs = r.str_list(entry, "programs", where) or list(programs)
        for p in progs:
            if p not in programs:
                raise r.fail(f"{where}.programs", p, f"known programs: {sorted(programs)}")
        sa = r.string(entry, "service_area", where, None)
        if sa is not None and sa not in service_areas:
            raise r.fail(
                f"{where}.service_area", sa, f"known service areas: {sorted(service_areas)}"
            )
        scenarios[key] = Scenario(
            key=key,
            label=r.string(entry, "label", where, key),
            programs=tuple(progs),
            service_area=sa,
            hours=r.schedule(entry, "hours", where) if "hours" in entry else None,
        )

    layers: dict[str, Mapping[str, Any]] = {}
    for role, entry in r.table(raw, "layers", "", required=False).items():
        if not isinstance(entry, Mapping):
            raise r.fail(f"layers.{role}", entry, "expected a table")
        r.string(entry, "file", f"layers.{role}")
        layers[role] = dict(entry)

    places_file = None
    places = r.table(raw, "places", "", required=False)
    if places:
        places_file = (path.parent / str(r.string(places, "file", "places"))).resolve()

    return AreaConfig(
        path=path,
        name=name,
        timezone=tz,
        projected_crs=projected_crs,
        beats=beats,
        service_areas=service_areas,
        default_service_area=default_sa,
        programs=programs,
        call_types=call_types,
        prefixes=tuple(prefixes),
        scenarios=scenarios,
        layers=layers,
        places_file=places_file,
    )
