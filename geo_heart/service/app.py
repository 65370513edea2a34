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
``POST /lookup``             one lookup from a JSON body (the same fields plus ``radius_m``, an
                            uncertainty circle) or, with ``Content-Type: application/pidf+xml``,
                            from an NG9-1-1 PIDF-LO caller location (call details in the query)
``POST /lookup/batch``      up to :data:`MAX_BATCH` lookups in one request; one result per item,
                            in input order (an item that cannot be handled gets ``status="error"``
                            and a ``reason``; it never fails the others)
``GET /beats``              the dissolved beats as GeoJSON with district and service-area and
                            program membership (``simplify_m`` thins the outlines)
``GET /area``               the area's name, time zone, service areas, programs and call types
``GET /health``             liveness and what is loaded
``GET /openapi.json``       the OpenAPI document
``GET /docs``               Swagger UI for it, served from the ``fastapi-offline`` package's
                            local copy of Swagger UI (no CDN; the online validator is off)
``GET /``                   the call-taker page (HTML, JS and CSS from the package's
                            ``static/`` folder, and Leaflet's from ``xstatic-leaflet``; nothing
                            is fetched from the internet)
==========================  ====================================================================

Errors
    Bad input gets a 4xx answer with a JSON body ``{"error": "<one line>", "detail": [...]}``
    naming the parameter and the bad value (422 for values, 400 for a body that is not JSON, 413
    for a body over the size limit, 401 without the bearer token when one is set). Answers
    never carry server file paths. Unknown call types also list the ``known`` canonical types. Any other
    exception is logged with its traceback and answered with a 500 that says nothing about the
    internals. There are no path parameters and no file names in requests: the only files served
    are the page's three static files and Swagger UI's three, read into memory at start-up.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo_heart import __version__
from geo_heart.area import Area
from geo_heart.dispatch.result import LookupResult
from geo_heart.errors import CallTypeError, GeoHeartError, InputError
from geo_heart.service import hardening
from geo_heart.service.hardening import (
    BODY_TIMEOUT_S,
    LIMIT_CONCURRENCY,
    MAX_BODY_BYTES,
    scrub_paths,
)
from geo_heart.service.models import (
    _BODY_ERRORS,
    _ERRORS,
    _LOOKUP_BODY_ERRORS,
    _PAGE_HEADERS,
    _STATIC_FILES,
    MAX_ADDRESS_CHARS,
    MAX_BATCH,
    MAX_CODE_CHARS,
    PIDF_MEDIA_TYPE,
    SIMPLIFY_CHOICES_M,
    BatchAnswer,
    BatchRequest,
    Health,
    JSONAnswer,
    LookupRequest,
    error_body,
    lookup_request_body,
)
from geo_heart.service.state import (
    AddressLookupUnavailable,
    LookupService,
)

log = logging.getLogger(__name__)


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


#: Swagger UI's files (from the ``fastapi-offline`` package) → media type
_DOCS_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}


def _docs_bytes() -> dict[str, bytes]:
    """Swagger UI's files, read once from ``fastapi-offline``'s package data (empty if missing)."""
    try:
        folder = resources.files("fastapi_offline") / "static"
        return {name: (folder / name).read_bytes() for name in _DOCS_FILES}
    except (ImportError, FileNotFoundError):
        log.warning("fastapi-offline is not installed: /docs is off (the OpenAPI JSON stays)")
        return {}


#: Leaflet's files (from the ``xstatic-leaflet`` package) → media type: the page's map
_LEAFLET_FILES = {
    "leaflet.js": "text/javascript; charset=utf-8",
    "leaflet.css": "text/css; charset=utf-8",
}


def _leaflet_bytes() -> dict[str, bytes]:
    """Leaflet's script and stylesheet, read once from ``xstatic-leaflet`` (empty if missing:
    the page then shows no map)."""
    try:
        from xstatic.pkg import leaflet

        folder = Path(leaflet.BASE_DIR)
        return {name: (folder / name).read_bytes() for name in _LEAFLET_FILES}
    except (ImportError, OSError):
        log.warning("xstatic-leaflet is not installed: the call-taker page has no map")
        return {}


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
    limit_concurrency: int | None = LIMIT_CONCURRENCY,
    body_timeout_s: float = BODY_TIMEOUT_S,
    allowed_hosts: tuple[str, ...] | list[str] | None = None,
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
    limit_concurrency
        Most requests handled at once; more wait briefly, then get a JSON 503 with
        ``Retry-After`` (:class:`~geo_heart.service.hardening.ConcurrencyLimitMiddleware`).
        ``None``: no limit.
    body_timeout_s
        Seconds a request's body may take to arrive (then 408); it is read before the request
        takes a concurrency slot.
    allowed_hosts
        ``Host`` names answered (others get 400, against DNS rebinding); ``None``: any
        (``geo-heart serve`` passes :func:`~geo_heart.service.hardening.allowed_hosts_for`).

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
            "Beat, service-area membership and program eligibility under the rules in force at "
            f"the call's time, for a point or an address in {ws.config.name}."
        ),
        # no trailing-slash redirects: they would echo the request's Host header back
        redirect_slashes=False,
        # FastAPI's own /docs and /redoc load their scripts from CDNs: replaced below by a
        # Swagger UI served from local files
        docs_url=None,
        redoc_url=None,
    )
    docs = _docs_bytes()
    app.state.service = svc
    hardening.install(
        app,
        max_body_bytes=max_body_bytes,
        body_timeout_s=body_timeout_s,
        token=token,
        limit_concurrency=limit_concurrency,
        allowed_hosts=allowed_hosts,
    )

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
        radius_m: Annotated[
            float | None,
            Query(
                ge=0,
                le=100_000,
                allow_inf_nan=False,
                description="with lon/lat: uncertainty radius, metres (every beat the circle "
                "covers is answered with its share)",
            ),
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
            radius_m=radius_m,
        )
        return JSONAnswer(result)

    @app.post(
        "/lookup",
        response_model=LookupResult,
        responses=_LOOKUP_BODY_ERRORS,
        summary="One lookup from a JSON body (radius_m) or an NG9-1-1 PIDF-LO document",
        description=(
            "`Content-Type: application/json`: the fields of `GET /lookup` plus `radius_m`. "
            f"`Content-Type: {PIDF_MEDIA_TYPE}`: a PIDF-LO caller location (civic address and/or "
            "a point, circle, ellipse or polygon), with the call details in the query string. A "
            "shape is answered with every beat it covers and each one's share of its area "
            "(`shape.shares`): `ok` only when one beat holds at least `shape.ok_share` (95%)."
        ),
        openapi_extra={"requestBody": lookup_request_body()},
    )
    async def post_lookup(
        request: Request,
        call_type: Annotated[
            str | None, Query(max_length=MAX_CODE_CHARS, description="PIDF-LO: call type")
        ] = None,
        at: Annotated[
            str | None, Query(max_length=MAX_CODE_CHARS, description="PIDF-LO: call time")
        ] = None,
        weapon: Annotated[bool, Query(description="PIDF-LO: weapon / violence")] = False,
        scenario: Annotated[
            str | None, Query(max_length=MAX_CODE_CHARS, description="PIDF-LO: scenario key")
        ] = None,
    ) -> Response:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if media == PIDF_MEDIA_TYPE:
            result = await run_in_threadpool(
                svc.lookup_pidf, body, call_type=call_type, at=at, risk=weapon, scenario=scenario
            )
            return JSONAnswer(result)
        if media not in ("application/json", ""):
            return JSONAnswer(
                error_body(
                    f"Content-Type {media!r} is not accepted: send application/json or "
                    f"{PIDF_MEDIA_TYPE}"
                ),
                status_code=415,
            )
        try:
            req = LookupRequest.model_validate_json(body or b"{}")
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None
        result = await run_in_threadpool(
            svc.lookup,
            address=req.address,
            lon=req.lon,
            lat=req.lat,
            call_type=req.call_type if req.call_type is not None else call_type,
            at=req.at if req.at is not None else at,
            risk=req.weapon or weapon,
            scenario=req.scenario if req.scenario is not None else scenario,
            radius_m=req.radius_m,
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

    leaflet = _leaflet_bytes()

    def _leaflet_route(name: str):
        async def leaflet_file() -> Response:
            body = leaflet.get(name)
            if body is None:
                return JSONAnswer(error_body(f"{name} is not installed (xstatic-leaflet)"), 404)
            return Response(body, media_type=_LEAFLET_FILES[name], headers=_PAGE_HEADERS)

        return leaflet_file

    for name in _LEAFLET_FILES:
        app.get(f"/static/{name}", include_in_schema=False)(_leaflet_route(name))

    if docs:
        from fastapi.openapi.docs import get_swagger_ui_html

        @app.get("/docs", include_in_schema=False)
        async def docs_page(request: Request) -> Response:
            root = request.scope.get("root_path", "")
            return get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - API documentation",
                swagger_js_url=f"{root}/docs/swagger-ui-bundle.js",
                swagger_css_url=f"{root}/docs/swagger-ui.css",
                swagger_favicon_url=f"{root}/docs/favicon.png",
                swagger_ui_parameters={"validatorUrl": None},
            )

        def _docs_route(name: str):
            async def docs_file() -> Response:
                return Response(docs[name], media_type=_DOCS_FILES[name])

            return docs_file

        for name in _DOCS_FILES:
            app.get(f"/docs/{name}", include_in_schema=False)(_docs_route(name))
    else:

        @app.get("/docs", include_in_schema=False)
        async def docs_off() -> Response:
            return Response(
                "<!doctype html><title>API documentation</title><p>Interactive API documentation "
                "is off on this server (install <code>fastapi-offline</code>). The OpenAPI "
                'document is at <a href="/openapi.json">/openapi.json</a>.</p>',
                media_type="text/html; charset=utf-8",
                headers=_PAGE_HEADERS,
            )

    return app
