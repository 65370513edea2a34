"""Request and response models of the lookup service, and its JSON rendering.

The dispatch answer itself is :class:`geo_heart.dispatch.result.LookupResult`, shared by the library,
the CLI's ``--json`` and the service.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Annotated, Any, Literal

import numpy as np
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from geo_heart.dispatch.result import LookupResult

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
    radius_m: Coordinate = Field(
        default=None, ge=0, le=100_000, allow_inf_nan=False,
        description="with lon/lat: uncertainty radius, metres",
    )  # fmt: skip
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


class LookupRequest(BaseModel):
    """``POST /lookup`` as JSON: an address, or a point with an optional uncertainty radius."""

    model_config = ConfigDict(extra="forbid")

    address: str | None = Field(default=None, min_length=1, max_length=MAX_ADDRESS_CHARS)
    lon: Coordinate = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    lat: Coordinate = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    radius_m: Coordinate = Field(
        default=None,
        ge=0,
        le=100_000,
        allow_inf_nan=False,
        description="with lon/lat: the location's uncertainty radius, metres (every beat the "
        "circle covers is answered with its share; 0 = a plain point)",
    )
    call_type: str | None = Field(default=None, max_length=MAX_CODE_CHARS)
    at: str | None = Field(default=None, max_length=MAX_CODE_CHARS)
    weapon: bool = False
    scenario: str | None = Field(default=None, max_length=MAX_CODE_CHARS)


#: ``POST /lookup``'s body: JSON (:class:`LookupRequest`) or a PIDF-LO document.
PIDF_MEDIA_TYPE = "application/pidf+xml"
PIDF_EXAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"
    xmlns:gml="http://www.opengis.net/gml"
    xmlns:gs="http://www.opengis.net/pidflo/1.0"
    entity="pres:caller@example.com">
  <tuple id="loc"><status><gp:geopriv>
    <gp:location-info>
      <gs:Circle srsName="urn:ogc:def:crs:EPSG::4326">
        <gml:pos>35.9960 -78.9016</gml:pos>
        <gs:radius uom="urn:ogc:def:uom:EPSG::9001">250</gs:radius>
      </gs:Circle>
    </gp:location-info>
    <gp:usage-rules/>
  </gp:geopriv></status></tuple>
</presence>"""


def lookup_request_body() -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of ``POST /lookup`` (JSON or PIDF-LO)."""
    return {
        "required": True,
        "content": {
            "application/json": {"schema": LookupRequest.model_json_schema()},
            PIDF_MEDIA_TYPE: {
                "schema": {
                    "type": "string",
                    "maxLength": 65536,
                    "description": "A PIDF-LO document (RFC 4119): a civic address (RFC 5139) "
                    "and/or a gml:Point, gs:Circle, gs:Ellipse or gml:Polygon (RFC 5491; "
                    "EPSG::4326 is latitude first). Call details go in the query string.",
                },
                "example": PIDF_EXAMPLE,
            },
        },
    }


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
    400: {
        "model": ErrorAnswer,
        "description": "Malformed request: a query parameter given twice, or a Host name this "
        "service does not answer to.",
    },
    422: {"model": ErrorAnswer, "description": "Invalid input: what is wrong and why."},
}
_BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    400: {
        "model": ErrorAnswer,
        "description": "The body is not JSON, a query parameter is given twice, or the Host "
        "name is not one this service answers to.",
    },
}
_LOOKUP_BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    **_BODY_ERRORS,
    415: {"model": ErrorAnswer, "description": "Not application/json or application/pidf+xml."},
}
