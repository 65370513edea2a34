"""The area file's schema: pydantic models that are both its documentation and its validator.

Every table forbids unknown keys (``extra="forbid"``), so a typo such as ``risk_route_too`` or
``call_typez`` is an error, not a silently ignored key. :func:`validate_area_dict` checks a parsed
TOML document and reports **every** problem at once, each with its key path::

    boundaries/x.toml: 2 problems
      boundaries/x.toml: programs.CoR.risk_route_too: unknown key
      boundaries/x.toml: programs.CRT.hours[0].start = '25:00': time '25:00' is out of range 00:00-24:00

The models here describe the *form* of the file; :mod:`geo_heart.config.areafile` turns a validated
model into the frozen dataclasses the rest of the toolkit uses and adds the cross-checks (a program
naming an unknown service area, duplicate codes, rule sets out of order …), again all at once.

The same :class:`ScenarioModel` serves ``[scenarios.<key>]`` in the area file and in scenario files
(``geo-heart coverage --scenario-file``).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from geo_heart.config.evaluation_schema import EvaluationSection
from geo_heart.config.layers_schema import (  # noqa: F401 - re-exported: the file's [layers]
    LAYER_MODELS,
    AddressPointsLayer,
    BoundaryLayer,
    CallsLayer,
    CensusLayer,
    CenterlinesLayer,
    HistoryLayer,
    LandmarksLayer,
    LayerModel,
    LayersSection,
    OpenAddressesLayer,
    OsmLayer,
    PopulationLayer,
    RoadsLayer,
    TigerAddrfeatLayer,
    TigerEdgesLayer,
)
from geo_heart.config.schedule import (
    WeeklySchedule,
    parse_clock,
    parse_days,
    parse_window_text,
)
from geo_heart.config.schema_base import Code, FileName, Text, _Model
from geo_heart.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "AreaFileModel",
    "ScenarioModel",
    "ScenarioFileModel",
    "LAYER_MODELS",
    "tomllib",
    "read_toml",
    "validate_area_dict",
    "validate_scenario_dict",
    "area_json_schema",
    "problems_error",
    "display_path",
]


# --------------------------------------------------------------------------------------- pieces
class HoursWindowModel(_Model):
    """One weekly window: ``{days = "Mon-Fri", start = "09:00", end = "17:00"}`` (end exclusive)."""

    days: str | list[str]
    start: str
    end: str

    @field_validator("days")
    @classmethod
    def _days(cls, v: str | list[str]) -> str | list[str]:
        parse_days(v)
        return v

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v: str) -> str:
        parse_clock(v)
        return v


def _window_from_text(v: Any) -> Any:
    """The hours syntax ``"Mon-Fri 09:00-17:00"`` (or ``"24/7"``) → the table form."""
    if isinstance(v, str):
        if v.strip().lower() in ("24/7", "always"):
            return {"days": "Mon-Sun", "start": "00:00", "end": "24:00"}
        return parse_window_text(v)
    return v


def _whole_schedule(v: list[HoursWindowModel]) -> list[HoursWindowModel]:
    """The windows together: none of zero length, no two sharing an hour (ValueError naming them)."""
    WeeklySchedule.from_config([w.model_dump() for w in v])
    return v


#: ``hours = ["Mon-Thu 09:00-17:00", "Thu-Sun 18:00-02:30"]`` (the table form is still read)
Hours = Annotated[
    list[
        Annotated[
            HoursWindowModel,
            BeforeValidator(_window_from_text, json_schema_input_type=str | HoursWindowModel),
        ]
    ],
    AfterValidator(_whole_schedule),
]


class SourcedModel(_Model):
    """Keys every assumption may carry: where a fact comes from and whether it is assumed."""

    source: str | None = None
    assumed: bool = False
    note: str | None = None


# --------------------------------------------------------------------------------------- sections
class AreaSection(_Model):
    """``[area]``: name, time zone and projected CRS."""

    name: Text
    timezone: Text
    projected_crs: Text
    #: what the programs are called together ("HEART"), used in reasons such as
    #: "HEART did not exist before 2022-06-27"
    service_name: Text = "the service"
    #: the default data folder (used when neither --data nor GEO_HEART_DATA is given); a relative
    #: path is tried against the working directory, the folder above the area file's folder and
    #: the source checkout (see geo_heart.config.settings)
    data_dir: str | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from geo_heart.config.times import region_zone_problem

        problem = region_zone_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("projected_crs")
    @classmethod
    def _crs(cls, v: str) -> str:
        from pyproj import CRS

        try:
            crs = CRS.from_user_input(v)
        except Exception:  # pyproj raises its own CRSError
            raise ValueError("not a CRS pyproj understands") from None
        if not crs.is_projected:
            raise ValueError("must be a projected CRS (metres or feet)")
        return v


class SpecialBeatModel(_Model):
    """``[beats.special.<code>]``: a code that is not an ordinary beat (``999`` Sheriff)."""

    label: Text
    outside_city: bool = False


class BeatsSection(_Model):
    """``[beats]``: the beats layer and its fields."""

    file: FileName
    id_field: Text
    district_field: str | None = None
    source_url: str | None = None
    special: dict[str, SpecialBeatModel] = {}
    #: what one unit is called in outputs and on the page ("beat"; Portland: "district")
    unit_name: Text = "beat"
    unit_plural: str | None = None
    #: what the groups of ``district_field`` are called ("district"; Portland: "precinct")
    group_name: Text = "district"
    group_plural: str | None = None


class ServiceAreaModel(_Model):
    """``[service_areas.<key>]``: explicit ``beats`` or ``all_beats`` minus ``exclude_beats``."""

    label: str | None = None
    beats: list[Code] = []
    all_beats: bool = False
    exclude_beats: list[Code] = []

    @model_validator(mode="after")
    def _either(self) -> ServiceAreaModel:
        if not self.all_beats and not self.beats:
            raise ValueError("give `beats = [...]` or `all_beats = true`")
        return self


class DefaultsSection(_Model):
    """``[defaults]``: the service area maps and beat tables mark (e.g. the pilot outline)."""

    service_area: str | None = None


class ProgramModel(_Model):
    """``[programs.<code>]``: one program's identity and its base rules."""

    name: str | None = None
    description: str = ""
    service_area: Text
    hours: Hours
    call_types: list[Text] = []
    risk_call_types: list[Text] = []
    risk: Literal["allow", "exclude"] = "allow"
    risk_route_to: str | None = None
    follows_up: list[Text] = []
    #: whether the program takes new calls (a call-taker's fresh call); ``false`` for a program
    #: that only follows up earlier contacts. Default: ``false`` when ``follows_up`` is given,
    #: else ``true``. A program that takes no new calls is never listed as eligible for one
    #: (only for its own ``call_types``, e.g. a follow-up call).
    new_calls: bool | None = None


class CallTypeModel(SourcedModel):
    """``[call_types.<key>]``: a canonical call type and the raw CAD codes meaning it (with
    ``source``/``assumed``/``note`` when the crosswalk is an inference)."""

    label: str | None = None
    codes: list[Text] = []
    risk_codes: list[Text] = []


class PrefixModel(_Model):
    """``[call_type_prefixes]`` entry: ``"CRT - " = { program = "CRT" }``."""

    program: str | None = None
    implies_risk: bool = False


class ScenarioModel(_Model):
    """A what-if, in the area file (``[scenarios.<key>]``) and in scenario files alike.

    ``programs`` (default: all) get ``service_area`` (a service-area key) or ``beats`` (codes),
    and/or ``hours``.
    """

    label: str | None = None
    programs: list[Text] | None = None
    service_area: str | None = None
    beats: list[Code] | None = None
    hours: Hours | None = None

    @model_validator(mode="after")
    def _what(self) -> ScenarioModel:
        if self.service_area is not None and self.beats is not None:
            raise ValueError("give service_area or beats, not both")
        if self.service_area is None and self.beats is None and self.hours is None:
            raise ValueError("needs service_area or beats, and/or hours")
        return self


class AddressesSection(_Model):
    """``[addresses]``: how the area's address texts name places outside it.

    An address whose city part (``…, GRESHAM, OR``; ``…, GRSM``) is one of ``outside_cities``, or
    whose street text contains one of ``outside_words`` as a word (``PIA``, the airport), is
    answered ``outside`` without a guessed unit. Compared upper-case, spaces folded.
    """

    outside_cities: list[Text] = []
    outside_words: list[Text] = []
    #: the area's own postal cities (``DURHAM``): an address naming one is decided by its point
    cities: list[Text] = []
    #: the ZIP codes whose addresses can lie in the area; a ZIP not listed (when any are) is
    #: ``outside``, naming the ZIP (and the city, when the text gives one)
    zip_codes: list[Annotated[str, Field(pattern=r"^\d{5}$")]] = []
    #: the states the area lies in (``NC``); an address naming another state is ``outside``
    states: list[Text] = []
    #: other spellings of a city (``GRSM = "GRESHAM"``, ``RTP = "RESEARCH TRIANGLE PARK"``)
    city_aliases: dict[Text, Text] = {}
    #: a neighbouring place (an ``outside_cities`` name or a ZIP) that reaches into the area in
    #: the listed units: there the answer is decided by the point (and says so), elsewhere the
    #: place is ``outside`` (``"CHAPEL HILL" = ["999"]``)
    edge_units: dict[Text, list[Text]] = {}
    #: a located answer scoring below this, or on a block straddling units, is ``ambiguous``
    #: (the units it may be in as candidates) rather than a confident ``ok``; default: off
    confident_min_score: Annotated[float, Field(ge=0, le=1)] | None = None
    #: false: a crossing (``A / B``) estimated from address points alone (no street layer) is
    #: answered with the unit(s) it may be in as candidates, never one confident point
    point_crossings_confident: bool = True
    source: str | None = None
    assumed: bool = False
    note: str | None = None


class CallerLocationSection(_Model):
    """``[caller_location]``: how a caller-location shape (an uncertainty circle or ellipse, a
    polygon, from ``--radius-m`` or a PIDF-LO document) is answered.

    ``ok_share``: the share of the shape's area one unit must hold for a firm ``ok`` answer;
    below it the answer is ``approximate`` and names every unit with its share (default 0.95,
    issue 33's policy).
    """

    ok_share: Annotated[float, Field(gt=0.5, le=1)] = 0.95
    source: str | None = None
    assumed: bool = False
    note: str | None = None


class CalibrationSection(_Model):
    """``[calibration]``: the geocoder's fitted confidence table (90% radii, beat probabilities;
    see ``docs/geocoder.md``); ``file`` is relative to the area file's folder."""

    file: FileName
    source: str | None = None
    note: str | None = None


class PlacesSection(_Model):
    """``[places]``: a table of named places; ``file`` is relative to the area file's folder."""

    file: FileName
    source: str | None = None
    note: str | None = None


# --------------------------------------------------------------------------------------- staffing
PositiveNumber = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class StaffingValues(SourcedModel):
    """Team capacity assumptions (read by :mod:`geo_heart.staffing`); every key optional."""

    service_minutes: PositiveNumber | None = None
    distribution: Literal["exponential", "deterministic", "lognormal"] | None = None
    lognormal_cv: PositiveNumber | None = None
    travel_minutes: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    teams: Annotated[int, Field(ge=0)] | None = None
    annual_eligible_calls: PositiveNumber | None = None


class StaffingSection(StaffingValues):
    """``[staffing]`` defaults, with ``[staffing.programs.<code>]`` overrides per program."""

    #: the program ``geo-heart staffing`` plans by default (an in-person program code)
    program: str | None = None
    programs: dict[str, StaffingValues] = {}


# --------------------------------------------------------------------------------------- costs
class CostValues(SourcedModel):
    """Cost assumptions of one in-person program's teams (every key optional)."""

    #: people in one team on duty (Durham CRT: clinician, peer support specialist, EMT = 3)
    staff_per_team: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None


class ProgramCostModel(CostValues):
    """``[costs.programs.<code>]``: one program's team size or team-hour cost."""

    cost_per_team_hour: PositiveNumber | None = None


class CostsSection(CostValues):
    """``[costs]``: what a team-hour costs, for the budget table (``geo-heart staffing``).

    A team-hour costs ``staff_per_team`` × ``staff_cost_per_year`` ÷ ``staff_hours_per_year``
    (or ``cost_per_team_hour`` when given directly); ``[costs.programs.<code>]`` overrides
    ``staff_per_team`` / ``cost_per_team_hour`` per program. Mark unpublished figures
    ``assumed = true`` with a ``source``.
    """

    currency: Text = "USD"
    #: fully loaded cost of one staff member a year (pay, benefits, overhead)
    staff_cost_per_year: PositiveNumber | None = None
    #: hours one staff member is on duty in a year (paid hours less leave and training)
    staff_hours_per_year: PositiveNumber | None = None
    #: a team-hour's cost given directly (instead of the two above)
    cost_per_team_hour: PositiveNumber | None = None
    programs: dict[str, ProgramCostModel] = {}

    @model_validator(mode="after")
    def _enough(self) -> CostsSection:
        direct = self.cost_per_team_hour is not None
        derived = self.staff_cost_per_year is not None and self.staff_hours_per_year is not None
        if not direct and not derived:
            raise ValueError(
                "give cost_per_team_hour, or staff_cost_per_year and staff_hours_per_year"
            )
        return self


class ForecastSection(SourcedModel):
    """``[forecast]``: how ``geo-heart forecast`` names what it counts, and the quantile
    ``staffing --forecast`` plans on."""

    #: what one counted row is, e.g. "eligible reports" for a police incident table
    units: Text = "eligible calls"
    quantile: Annotated[float, Field(gt=0, lt=1)] = 0.8


# --------------------------------------------------------------------------------------- equity
class EquityGroupModel(_Model):
    """``[equity.groups.<key>]``: a resident group counted by a column of the equity layer."""

    label: Text | None = None
    field: Text
    universe: Literal["persons", "households"] = "persons"


class EquitySection(_Model):
    """``[equity]``: who the service reaches (``geo-heart equity``, :mod:`geo_heart.analysis.equity`).

    ``layer`` names the ``[layers.<role>]`` holding the census polygons (default ``tracts``) and
    their columns; ``fields`` are copied to the tract table as they are (rates, medians);
    ``groups`` are counts apportioned to beats; ``need_field`` is the tract measure that
    ``expand --objective need`` weights demand by; ``weights`` is ``area`` (area weighting) or
    ``address_points`` (dasymetric: apportioned by the address points of ``[layers.address_points]``).
    """

    layer: Text = "tracts"
    fields: list[Text] = []
    groups: dict[str, EquityGroupModel] = {}
    need_field: Text | None = None
    weights: Literal["area", "address_points"] = "area"
    min_count: Annotated[int, Field(ge=1)] = 5
    bootstrap: Annotated[int, Field(ge=0, le=10_000)] = 1000
    seed: int = 2024


# --------------------------------------------------------------------------------------- rules
class ProgramRuleModel(SourcedModel):
    """``[rules.programs.<code>]`` inside one rule set: what differs from ``[programs.<code>]``.

    ``active = false``: the program did not operate under this rule set. ``starts``: it began
    later than the rule set (e.g. Co-Response at the end of September 2022).
    """

    active: bool = True
    starts: date | None = None
    service_area: str | None = None
    hours: Hours | None = None
    call_types: list[Text] | None = None
    risk_call_types: list[Text] | None = None


class RuleSetModel(SourcedModel):
    """``[[rules]]``: one dated rule set (local dates in the area's time zone, ``to`` exclusive)."""

    name: Text
    label: Text
    effective_from: date | None = None
    effective_to: date | None = None
    service_area: str | None = None
    programs: dict[str, ProgramRuleModel] = {}


class AreaFileModel(_Model):
    """The whole area file."""

    area: AreaSection
    beats: BeatsSection
    service_areas: dict[str, ServiceAreaModel] = Field(min_length=1)
    defaults: DefaultsSection = DefaultsSection()
    programs: dict[str, ProgramModel] = Field(min_length=1)
    call_types: dict[str, CallTypeModel] = Field(min_length=1)
    call_type_prefixes: dict[str, PrefixModel] = {}
    scenarios: dict[str, ScenarioModel] = {}
    layers: LayersSection = LayersSection()
    places: PlacesSection | None = None
    calibration: CalibrationSection | None = None
    addresses: AddressesSection = AddressesSection()
    staffing: StaffingSection = StaffingSection()
    costs: CostsSection | None = None
    forecast: ForecastSection | None = None
    equity: EquitySection | None = None
    evaluation: EvaluationSection | None = None
    caller_location: CallerLocationSection = CallerLocationSection()
    rules: list[RuleSetModel] = []


class ScenarioFileModel(_Model):
    """A scenario file: ``[scenarios.<key>]`` tables of :class:`ScenarioModel`."""

    scenarios: dict[str, ScenarioModel] = Field(min_length=1)


# --------------------------------------------------------------------------------------- errors
def display_path(path: Path | str) -> str:
    """The path relative to the working folder when it is under it, else as given."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            if not text.replace("_", "").isalnum():
                text = repr(text)
            out += ("." if out else "") + text
    return out


_TYPE_PARTS = {"str", "int", "float", "bool", "date", "dict", "list"}


def _is_type_part(part: Any) -> bool:
    """pydantic puts union member names in ``loc`` (``"list[str]"``); they are not keys."""
    return isinstance(part, str) and (part in _TYPE_PARTS or "[" in part or "(" in part)


def _error_lines(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors(include_url=False):
        # drop the union / tagged-model parts pydantic puts in loc ("str", "list[str]", …)
        loc = tuple(p for p in err["loc"] if not _is_type_part(p))
        key = _loc_text(loc)
        kind = err["type"]
        msg = str(err["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if kind == "extra_forbidden":
            lines.append(f"{key}: unknown key")
        elif kind == "missing":
            lines.append(f"{key}: missing required key")
        else:
            value = err.get("input")
            shown = "" if isinstance(value, dict) else f" = {value!r}"
            lines.append(f"{key}{shown}: {msg}" if key else f"{msg}")
    return list(dict.fromkeys(lines))


def problems_error(path: Path | str, problems: list[str]) -> ConfigError:
    """One ConfigError listing every problem on its own line (first line: how many)."""
    where = display_path(path)
    lines = [f"{where}: {p}" for p in problems]
    if len(lines) == 1:
        err = ConfigError(lines[0])
    else:
        err = ConfigError(f"{where}: {len(lines)} problems\n  " + "\n  ".join(lines))
    err.problems = lines  # type: ignore[attr-defined]
    return err


def read_toml(path: Path, *, what: str = "area configuration file") -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a ConfigError naming it."""
    from geo_heart.config.safe_files import MAX_AREA_FILE_BYTES, read_limited

    data = read_limited(path, max_bytes=MAX_AREA_FILE_BYTES, what=what)  # regular files only
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display_path(path)}: cannot be read: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{display_path(path)}: not valid TOML: nested too deeply") from None
    except ValueError as exc:  # TOMLDecodeError, or an integer of more than 4,300 digits
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{display_path(path)}: not valid TOML: {line}") from None


def validate_area_dict(
    raw: dict[str, Any], path: Path | str
) -> tuple[AreaFileModel | None, list[str]]:
    """Validate a parsed area file; return the model (or None) and every problem found."""
    try:
        return AreaFileModel.model_validate(raw), []
    except ValidationError as exc:
        return None, _error_lines(exc)


def area_json_schema() -> dict[str, Any]:
    """The JSON Schema of an area file (``geo-heart area schema``): generated from
    :class:`AreaFileModel`, so it always matches the validator."""
    out = AreaFileModel.model_json_schema(mode="validation")
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = "geo-heart area file"
    out["description"] = (
        "An area file (boundaries/<name>.toml): the city's units, service areas, programs, hours, "
        "call types, dated rules and data layers. Keys and defaults: docs/area-file.md."
    )
    return out


def validate_scenario_dict(raw: dict[str, Any], path: Path | str) -> ScenarioFileModel:
    """Validate a parsed scenario file, raising one ConfigError listing every problem."""
    try:
        return ScenarioFileModel.model_validate(raw)
    except ValidationError as exc:
        raise problems_error(path, _error_lines(exc)) from None
