"""The dispatch lookup HTTP service and the call-taker page.

:func:`create_app` builds a FastAPI application around one :class:`~geo_heart.area.Area`.
Everything expensive (the beat index, the call-type table, the projected beats used for distances,
the geocoder when it is installed, the beats GeoJSON) is loaded once, when the app is created, so
every request is a few dictionary reads and array lookups.

Routes
======

==========================  ====================================================================
``GET /lookup``             one lookup: ``address=`` *or* ``lon=``/``lat=``, plus ``call_type``,
                            ``at``, ``weapon``, ``scenario`` (the JSON contract of
                            :mod:`geo_heart.dispatch.lookup`)
``POST /lookup/batch``      up to :data:`MAX_BATCH` lookups in one request; one result per item,
                            in input order (an item that cannot be handled gets ``status="error"``
                            and a ``reason``; it never fails the others)
``GET /beats``              the dissolved beats as GeoJSON with district and service-area and
                            program membership (``simplify_m`` thins the outlines)
``GET /area``               the area's name, time zone, service areas, programs and call types
``GET /health``             liveness and what is loaded
``GET /openapi.json``       the OpenAPI document (``/docs`` renders it)
``GET /``                   the call-taker page (HTML, JS and CSS from the package's
                            ``static/`` folder; nothing is fetched from the internet)
==========================  ====================================================================

Errors
    Bad input gets a 4xx answer with a JSON body ``{"error": "<one line>", "detail": [...]}``
    naming the parameter and the bad value (422 for values, 400 for a body that is not JSON, 413
    for a body over the size limit, 401 without the bearer token when one is set). Answers
    never carry server file paths. Unknown call types also list the ``known`` canonical types. Any other
    exception is logged with its traceback and answered with a 500 that says nothing about the
    internals. There are no path parameters and no file names in requests: the only files served
    are the three static files read into memory at start-up.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

import numpy as np
import shapely
from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo_heart import __version__
from geo_heart.area import Area
from geo_heart.dispatch.eligibility import parse_time
from geo_heart.dispatch.lookup import lookup_point
from geo_heart.dispatch.result import LookupResult
from geo_heart.errors import CallTypeError, GeoHeartError, InputError
from geo_heart.service.hardening import (
    MAX_BODY_BYTES,
    BearerTokenMiddleware,
    BodyLimitMiddleware,
    scrub_paths,
)

log = logging.getLogger(__name__)

#: Most items one ``POST /lookup/batch`` request may carry.
MAX_BATCH = 1000
#: Longest accepted address text (911 addresses are far shorter).
MAX_ADDRESS_CHARS = 200
#: Longest accepted call type, time or scenario text.
MAX_CODE_CHARS = 80
#: Outline simplification tolerances ``GET /beats`` offers, metres (a fixed few: each is built
#: once, ~0.1 s, and cached; 0 and the page's are built at start-up).
SIMPLIFY_CHOICES_M = (0, 5, 15, 50, 150)
#: The tolerance the call-taker page asks for.
PAGE_SIMPLIFY_M = 15
#: Metres per degree of latitude (for the simplification tolerance in degrees).
_M_PER_DEG = 111_320.0

#: Headers of the page's files: the browser may load nothing from anywhere but this server.
_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
}
_STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}


# ---------------------------------------------------------------------------------------------
# JSON rendering
class JSONAnswer(Response):
    """A compact JSON response; non-finite floats become ``null`` (JSON has no NaN)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except ValueError:
            text = json.dumps(
                _finite(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
            )
        return text.encode("utf-8")


def _finite(value: Any) -> Any:
    """``value`` with every NaN/inf float replaced by ``None`` (recursively)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, np.generic):
        return _finite(value.item())
    return value


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of every 4xx/5xx answer."""
    return {"error": message, **extra}


# ---------------------------------------------------------------------------------------------
# OpenAPI models (documentation and request validation; responses are built as plain dicts)
class ErrorItem(BaseModel):
    """One validation problem."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorAnswer(BaseModel):
    """Body of an error answer."""

    error: str = Field(description="What is wrong, in one line, naming the parameter and value.")
    detail: list[ErrorItem] | None = None
    known: list[str] | None = Field(
        default=None, description="Valid values, when a value is not one of them."
    )


def _not_bool(value: Any) -> Any:
    """JSON ``true``/``false`` is not a coordinate (pydantic would read it as 1/0)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


Coordinate = Annotated[float | None, BeforeValidator(_not_bool)]


class BatchItem(BaseModel):
    """One item of a batch: an address or a lon/lat point, with optional call details."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=100, description="Echoed back unchanged.")
    address: str | None = Field(default=None, max_length=MAX_ADDRESS_CHARS)
    lon: Coordinate = Field(default=None, allow_inf_nan=False)
    lat: Coordinate = Field(default=None, allow_inf_nan=False)
    call_type: str | None = Field(default=None, max_length=MAX_CODE_CHARS)
    at: str | None = Field(default=None, max_length=MAX_CODE_CHARS)
    weapon: bool | None = None
    scenario: str | None = Field(default=None, max_length=MAX_CODE_CHARS)


class BatchRequest(BaseModel):
    """A batch of lookups. Top-level ``call_type``/``at``/``weapon``/``scenario`` are defaults
    for items that do not set their own."""

    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(min_length=1, max_length=MAX_BATCH)
    call_type: str | None = Field(default=None, max_length=MAX_CODE_CHARS)
    at: str | None = Field(default=None, max_length=MAX_CODE_CHARS)
    weapon: bool = False
    scenario: str | None = Field(default=None, max_length=MAX_CODE_CHARS)


class BatchRow(LookupResult):
    """A batch result: a lookup, or ``status="error"`` with a ``reason`` and nothing else."""

    model_config = ConfigDict(extra="allow")

    index: int
    id: str | None = None


class BatchAnswer(BaseModel):
    """Body of a batch answer: one row per item, in input order."""

    count: int
    ok: int = Field(description="Items whose location was found in a beat.")
    errors: int = Field(description="Items that could not be handled (status 'error').")
    results: list[BatchRow]


class Health(BaseModel):
    """Body of ``GET /health``."""

    model_config = ConfigDict(extra="allow")

    status: Literal["ok"]
    version: str
    area: str
    beats: int
    geocoder: bool
    uptime_s: float


_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorAnswer, "description": "Invalid input: what is wrong and why."}
}
_BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorAnswer, "description": "The body is not JSON."},
    **_ERRORS,
}


# ---------------------------------------------------------------------------------------------
# The service state
class LookupService:
    """What the app holds: the workspace, warmed indexes, and the lookup functions.

    Parameters
    ----------
    ws
        The workspace (area configuration and data folder).
    warm
        Load the beat index, distances and geocoder now (default) rather than on first use.
    """

    def __init__(self, ws: Area, *, warm: bool = True) -> None:
        self.ws = ws
        self.started = time.monotonic()
        self._geocoder: Any = None
        self._geocoder_error: str | None = None
        self._lookup_address: Callable[..., dict[str, Any]] | None = None
        if warm:
            self.warm()

    # -- loading
    def warm(self) -> None:
        """Load everything a request may need, so the first request is as fast as the rest."""
        t0 = time.perf_counter()
        index = self.ws.beat_index
        # an inside and an outside point: grid, call-type table, time zone and the projected
        # geometries used for nearest-beat distances are all loaded here
        x0, y0, x1, y1 = shapely.total_bounds(index.geoms)
        first = index.geoms[0].representative_point()
        lookup_point(self.ws, first.x, first.y, call_type=next(iter(self.ws.config.call_types)))
        lookup_point(self.ws, x1 + 0.5, y1 + 0.5)
        self.geocoder_ready()
        for tolerance in (PAGE_SIMPLIFY_M, 0):
            self.beats_geojson(tolerance)
        log.info("lookup service warmed in %.2f s", time.perf_counter() - t0)

    def geocoder_ready(self) -> bool:
        """Load the geocoder if it is installed; True when address lookups are available."""
        if self._lookup_address is not None:
            return True
        if self._geocoder_error is not None:
            return False
        try:
            from geo_heart.dispatch.lookup import lookup_address
            from geo_heart.geocode.match import geocoder_for
        except ImportError as exc:
            self._geocoder_error = f"the geocoder is not installed in this build ({exc})"
            log.warning("address lookups unavailable: %s", self._geocoder_error)
            return False
        try:
            self._geocoder = geocoder_for(self.ws)
        except GeoHeartError as exc:
            self._geocoder_error = f"the geocoder could not be loaded: {exc}"
            log.error("address lookups unavailable: %s", self._geocoder_error)
            return False
        self._lookup_address = lookup_address
        return True

    # -- lookups
    def check_time(self, at: str | None) -> datetime | None:
        """Parse ``at`` once (ISO 8601; naive = area local time); ``None`` means now."""
        if at is None or not at.strip():
            return None
        try:
            return parse_time(at, self.ws.config.timezone)
        except (OverflowError, OSError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"time {at!r} is out of range ({exc})") from None

    def lookup(
        self,
        *,
        address: str | None = None,
        lon: float | None = None,
        lat: float | None = None,
        call_type: str | None = None,
        at: str | None = None,
        risk: bool = False,
        scenario: str | None = None,
    ) -> dict[str, Any]:
        """One lookup by address or by point.

        Raises
        ------
        InputError
            Both or neither of address and lon/lat, a bad time, unknown call type or scenario,
            or an address that cannot be parsed.
        """
        has_point = lon is not None or lat is not None
        if address is not None and has_point:
            raise InputError("give either address or lon/lat, not both")
        if address is None and not has_point:
            raise InputError("give an address, or both lon and lat")
        when = self.check_time(at)
        call_type = call_type if call_type is None or call_type.strip() else None
        scenario = scenario if scenario is None or scenario.strip() else None
        if address is not None:
            if not address.strip():
                raise InputError("address is empty")
            if not self.geocoder_ready():
                raise AddressLookupUnavailable(self._geocoder_error or "no geocoder")
            assert self._lookup_address is not None
            return self._lookup_address(
                self.ws, address, call_type=call_type, at=when, risk=risk, scenario=scenario
            )
        if lon is None or lat is None:
            raise InputError(f"give both lon and lat (got lon={lon!r}, lat={lat!r})")
        return lookup_point(
            self.ws, lon, lat, call_type=call_type, at=when, risk=risk, scenario=scenario
        )

    def lookup_batch(self, req: BatchRequest) -> dict[str, Any]:
        """Every item of a batch, in order; failures become rows with ``status="error"``."""
        results: list[dict[str, Any]] = []
        for i, item in enumerate(req.items):
            head: dict[str, Any] = {"index": i, "id": item.id}
            try:
                row = self.lookup(
                    address=item.address,
                    lon=item.lon,
                    lat=item.lat,
                    call_type=item.call_type if item.call_type is not None else req.call_type,
                    at=item.at if item.at is not None else req.at,
                    risk=item.weapon if item.weapon is not None else req.weapon,
                    scenario=item.scenario if item.scenario is not None else req.scenario,
                )
            except (GeoHeartError, AddressLookupUnavailable) as exc:
                row = {"status": "error", "reason": scrub_paths(str(exc))}
            results.append({**head, **row})
        ok = sum(1 for r in results if r.get("beat") is not None)
        errors = sum(1 for r in results if r.get("status") == "error")
        return {"count": len(results), "ok": ok, "errors": errors, "results": results}

    # -- reference data
    @lru_cache(maxsize=len(SIMPLIFY_CHOICES_M))  # noqa: B019 - one service per app
    def beats_geojson(self, simplify_m: int) -> bytes:
        """The dissolved beats as GeoJSON bytes (cached per tolerance)."""
        if simplify_m not in SIMPLIFY_CHOICES_M:
            raise InputError(
                f"simplify_m={simplify_m!r} is not offered; use one of {list(SIMPLIFY_CHOICES_M)}"
            )
        return beats_geojson_from_workspace(self.ws, simplify_m=simplify_m).encode("utf-8")

    def area_summary(self) -> dict[str, Any]:
        """Area name, time zone, service areas, programs and call types (for the page)."""
        area = self.ws.config
        beats = self.ws.beat_index.beats
        return {
            "name": area.name,
            "timezone": area.timezone,
            "default_service_area": area.default_service_area,
            "service_areas": {
                k: {"label": sa.label, "beats": sa.resolve(beats)}
                for k, sa in area.service_areas.items()
            },
            "programs": [
                {
                    "code": p.code,
                    "name": p.name,
                    "description": p.description,
                    "service_area": p.service_area,
                    "hours": p.hours.describe(),
                    "call_types": sorted(p.call_types),
                    "risk_call_types": sorted(p.risk_call_types),
                }
                for p in area.programs.values()
            ],
            "call_types": [
                {"key": ct.key, "label": ct.label, "codes": list(ct.codes)}
                for ct in area.call_types.values()
            ],
            "scenarios": {k: s.label for k, s in area.scenarios.items()},
            "rules_in_force": self._rules_now(),
            "rules": [r.as_dict() for r in area.timeline.rule_sets],
        }

    def _rules_now(self) -> dict[str, Any]:
        """The rule set in force now (area time zone), its service area and programs' hours."""
        from datetime import datetime
        from zoneinfo import ZoneInfo

        area = self.ws.config
        now = datetime.now(ZoneInfo(area.timezone)).replace(tzinfo=None)
        period = area.rules_at(now)
        sa = area.service_area_under(period.rule_set)
        return {
            **period.rule_set.as_dict(),
            "service_area": None if sa is None else sa.key,
            "programs": {
                c: {"active": p.active, "service_area": p.service_area, "hours": p.hours.describe()}
                for c, p in period.programs.items()
            },
        }

    def health(self) -> dict[str, Any]:
        """Liveness, version, beats and whether address lookups are available."""
        return {
            "status": "ok",
            "version": __version__,
            "area": self.ws.config.name,
            "beats": len(self.ws.beat_index.beats),
            "geocoder": self._lookup_address is not None,
            "geocoder_error": self._geocoder_error,
            "uptime_s": round(time.monotonic() - self.started, 1),
        }


class AddressLookupUnavailable(Exception):
    """Address lookups were asked for but the geocoder is not available (answered with 503)."""


def beats_geojson_from_workspace(ws: Area, *, simplify_m: float = 0.0) -> str:
    """The dissolved beats as GeoJSON FeatureCollection text (WGS84, 6 decimals).

    Each feature has ``beat``, ``district``, ``in_service_area`` (the default service area),
    ``service_areas`` and ``programs`` (keys/codes whose area contains the beat), ``special`` (a
    label for special codes such as 999, else ``null``) and ``label_lon``/``label_lat`` (a point
    inside the beat for a label). The text is assembled from GEOS's GeoJSON writer without a
    round trip through Python objects (~0.1 s for the 67,000 vertices of Durham's beats).

    Parameters
    ----------
    simplify_m
        Douglas-Peucker tolerance in metres (0 keeps every vertex); topology of each beat is kept.
    """
    index = ws.beat_index
    area = ws.config
    geoms = index.geoms
    if simplify_m > 0:
        geoms = shapely.simplify(geoms, simplify_m / _M_PER_DEG, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, 6))
    texts = shapely.to_geojson(geoms)
    labels = shapely.point_on_surface(index.geoms)
    features = []
    for beat, text, label in zip(index.beats, texts.tolist(), labels, strict=True):
        special = area.beats.special.get(beat)
        props = {
            "beat": beat,
            "district": index.district_of(beat),
            "in_service_area": area.service_area.contains(beat),
            "service_areas": [k for k, sa in area.service_areas.items() if sa.contains(beat)],
            "programs": [
                p.code
                for p in area.programs.values()
                if area.service_areas[p.service_area].contains(beat)
            ],
            "special": special.label if special else None,
            "label_lon": round(label.x, 6),
            "label_lat": round(label.y, 6),
        }
        features.append(
            '{"type":"Feature","properties":'
            + json.dumps(props, ensure_ascii=False, separators=(",", ":"))
            + ',"geometry":'
            + text
            + "}"
        )
    bbox = [round(float(v), 6) for v in shapely.total_bounds(index.geoms)]
    head = json.dumps(
        {"type": "FeatureCollection", "bbox": bbox, "service_area": area.default_service_area},
        separators=(",", ":"),
    )
    return head[:-1] + ',"features":[' + ",".join(features) + "]}"


def _static_bytes() -> dict[str, bytes]:
    """The page's files, read once from the package's own ``static`` folder."""
    folder = resources.files("geo_heart") / "static"
    out = {}
    for name in _STATIC_FILES:
        try:
            out[name] = (folder / name).read_bytes()
        except FileNotFoundError:  # pragma: no cover - broken install
            log.error("static file %s is missing from the package", name)
    return out


def _one_line_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    detail, parts = [], []
    for err in exc.errors():
        loc = [x if isinstance(x, int) else str(x) for x in err.get("loc", ())]
        where = ".".join(str(x) for x in loc if x not in ("query", "body")) or "request"
        msg = str(err.get("msg", "invalid value"))
        value = err.get("input")
        shown = "" if value is None or isinstance(value, (dict, list)) else f" (got {value!r:.60})"
        parts.append(f"{where}: {msg}{shown}")
        detail.append({"loc": loc, "msg": msg, "type": str(err.get("type", "value_error"))})
    return "; ".join(parts) or "invalid request", detail


# ---------------------------------------------------------------------------------------------
# The app
def create_app(
    ws: Area,
    *,
    warm: bool = True,
    max_body_bytes: int = MAX_BODY_BYTES,
    token: str | None = None,
) -> FastAPI:
    """Build the dispatch lookup service for a workspace.

    Parameters
    ----------
    ws
        The workspace whose area and data the service answers for.
    warm
        Load the beat index, distances, beats GeoJSON and geocoder before returning.
    max_body_bytes
        Largest request body; larger ones are answered 413 before being read whole.
    token
        When given, every route but ``/health`` needs ``Authorization: Bearer <token>``.

    Returns
    -------
    fastapi.FastAPI
        Serve it with uvicorn (``geo-heart serve``) or test it with ``fastapi.testclient``.
    """
    svc = LookupService(ws, warm=warm)
    static = _static_bytes()
    app = FastAPI(
        title="geo-heart dispatch lookup",
        version=__version__,
        description=(
            f"Beat, {ws.config.service_area.label} membership and program eligibility for a point "
            f"or an address in {ws.config.name}."
        ),
        # no trailing-slash redirects: they would echo the request's Host header back
        redirect_slashes=False,
    )
    app.state.service = svc
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    if token:
        app.add_middleware(BearerTokenMiddleware, token=token)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message, detail = _one_line_validation(exc)
        if any(d["type"] == "json_invalid" for d in detail):
            return JSONAnswer(
                error_body("the request body is not valid JSON (UTF-8)", detail=detail),
                status_code=400,
            )
        return JSONAnswer(error_body(scrub_paths(message), detail=detail), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "invalid request"
        if exc.status_code == 400 and "parsing the body" in message:
            message = "the request body is not valid JSON (UTF-8)"
        return JSONAnswer(
            error_body(message), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(GeoHeartError)
    async def _geoheart(request: Request, exc: GeoHeartError) -> Response:
        text = scrub_paths(str(exc))  # no server file paths in answers
        if isinstance(exc, CallTypeError):
            known = sorted(ws.config.call_types)
            return JSONAnswer(error_body(text, known=known), status_code=422)
        if isinstance(exc, InputError):
            return JSONAnswer(error_body(text), status_code=422)
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return JSONAnswer(error_body(f"service data problem: {text}"), status_code=503)

    @app.exception_handler(AddressLookupUnavailable)
    async def _no_geocoder(request: Request, exc: AddressLookupUnavailable) -> Response:
        return JSONAnswer(
            error_body(f"address lookups are unavailable: {exc}; use lon/lat"), status_code=503
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONAnswer(error_body("internal error (logged)"), status_code=500)

    @app.get(
        "/lookup",
        response_model=LookupResult,
        responses=_ERRORS,
        summary="Beat, service area and program eligibility for an address or a point",
    )
    async def get_lookup(
        address: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=MAX_ADDRESS_CHARS,
                description="911-style address, e.g. '200 PACIFIC AVE' (or give lon and lat)",
            ),
        ] = None,
        lon: Annotated[
            float | None, Query(ge=-180, le=180, allow_inf_nan=False, description="WGS84")
        ] = None,
        lat: Annotated[
            float | None, Query(ge=-90, le=90, allow_inf_nan=False, description="WGS84")
        ] = None,
        call_type: Annotated[
            str | None,
            Query(
                max_length=MAX_CODE_CHARS,
                description="raw CAD code ('CRT - TRESPASS') or canonical type ('trespass')",
            ),
        ] = None,
        at: Annotated[
            str | None,
            Query(
                max_length=MAX_CODE_CHARS,
                description="ISO 8601 time; without offset it is the area's local time. Default now",
            ),
        ] = None,
        weapon: Annotated[
            bool, Query(description="weapon present or violence toward others")
        ] = False,
        scenario: Annotated[
            str | None, Query(max_length=MAX_CODE_CHARS, description="what-if scenario key")
        ] = None,
    ) -> Response:
        result = svc.lookup(
            address=address,
            lon=lon,
            lat=lat,
            call_type=call_type,
            at=at,
            risk=weapon,
            scenario=scenario,
        )
        return JSONAnswer(result)

    @app.post(
        "/lookup/batch",
        response_model=BatchAnswer,
        responses=_BODY_ERRORS,
        summary=f"Up to {MAX_BATCH} lookups in one request, answered in input order",
    )
    def post_batch(req: Annotated[BatchRequest, Body()]) -> Response:
        # a plain def: FastAPI runs it in a worker thread, so a big batch never stalls the
        # event loop that answers single lookups
        return JSONAnswer(svc.lookup_batch(req))

    @app.get(
        "/beats",
        responses={
            200: {"content": {"application/geo+json": {}}, "description": "GeoJSON"},
            **_ERRORS,
        },
        summary="Dissolved beats as GeoJSON with district, service-area and program membership",
    )
    async def get_beats(
        simplify_m: Annotated[
            int,
            Query(
                ge=0,
                le=max(SIMPLIFY_CHOICES_M),
                description="outline simplification tolerance, metres",
                json_schema_extra={"enum": list(SIMPLIFY_CHOICES_M)},
            ),
        ] = 0,
    ) -> Response:
        return Response(svc.beats_geojson(simplify_m), media_type="application/geo+json")

    @app.get("/area", summary="The area's service areas, programs and call types")
    async def get_area() -> Response:
        return JSONAnswer(svc.area_summary())

    @app.get("/health", response_model=Health, summary="Liveness and what is loaded")
    async def get_health() -> Response:
        return JSONAnswer(svc.health())

    def _static(name: str) -> Response:
        body = static.get(name)
        if body is None:  # pragma: no cover - broken install
            return JSONAnswer(error_body(f"{name} is missing from this build"), status_code=404)
        return Response(body, media_type=_STATIC_FILES[name], headers=_PAGE_HEADERS)

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        return _static("index.html")

    @app.get("/static/app.js", include_in_schema=False)
    async def page_js() -> Response:
        return _static("app.js")

    @app.get("/static/app.css", include_in_schema=False)
    async def page_css() -> Response:
        return _static("app.css")

    return app
