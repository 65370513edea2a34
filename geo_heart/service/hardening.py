"""Protections of the lookup service against hostile or careless clients.

* :class:`BodyLimitMiddleware` — a request body larger than the limit is answered 413 before it is
  read whole (``Content-Length`` checked first; streamed bodies counted as they arrive).
* :class:`BearerTokenMiddleware` — optional shared-secret authentication
  (``Authorization: Bearer <token>``); ``/health`` stays open for probes.
* :func:`scrub_paths` — server file paths never appear in an answer (only their base names).
* :class:`RedactingAccessFilter` — the access log records method, path and status, with query
  strings (addresses, coordinates) and client addresses redacted.
* :class:`SlowClientH11Protocol` — a connection must finish sending a request's headers within
  :data:`HEADER_TIMEOUT_S` seconds or it is closed (slow-header attacks).

:func:`server_options` returns the uvicorn settings ``geo-heart serve`` uses (keep-alive timeout,
concurrency limit, header size limit, the protocol above).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
from typing import Any

log = logging.getLogger(__name__)

#: Default largest request body, bytes (a full 1,000-item batch is ~150 kB).
MAX_BODY_BYTES = 1_000_000
#: Seconds a client may take to send a request's headers.
HEADER_TIMEOUT_S = 10.0
#: Seconds an idle keep-alive connection stays open.
KEEP_ALIVE_S = 5
#: Most connections/requests served at once; more get 503 at once.
LIMIT_CONCURRENCY = 200
#: Largest incomplete request head (headers) h11 buffers, bytes.
MAX_HEADER_BYTES = 16 * 1024

_PATH_RE = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.~+-]+)+[\\/]([\w.~+-]+)")


def scrub_paths(text: str) -> str:
    """``text`` with every absolute file path replaced by its base name."""
    return _PATH_RE.sub(lambda m: m.group(1), text)


async def _send_json(send, status: int, body: dict[str, Any], headers=()) -> None:
    data = json.dumps(body, separators=(",", ":")).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


class BodyLimitMiddleware:
    """ASGI middleware: 413 for a body over ``max_bytes``, without reading it whole."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = int(max_bytes)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        message = f"the request body is larger than the service's limit of {limit:,} bytes"
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, {"error": "Content-Length is not a number"})
                    return
                if declared > limit:
                    await _send_json(send, 413, {"error": message}, [(b"connection", b"close")])
                    return
        received = 0

        async def limited_receive():
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    from starlette.exceptions import HTTPException

                    # FastAPI re-raises HTTPExceptions met while reading the body: the app's
                    # handler answers 413 and the rest of the body is never read
                    raise HTTPException(413, message)
            return msg

        await self.app(scope, limited_receive, send)


class BearerTokenMiddleware:
    """ASGI middleware: every path but ``open_paths`` needs ``Authorization: Bearer <token>``."""

    def __init__(self, app, token: str, open_paths: tuple[str, ...] = ("/health",)) -> None:
        if not token:
            raise ValueError("the token is empty")
        self.app = app
        self.token = token.encode("utf-8")
        self.open_paths = open_paths

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.open_paths:
            await self.app(scope, receive, send)
            return
        given = b""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, rest = value.partition(b" ")
                if scheme.lower() == b"bearer":
                    given = rest.strip()
        if not hmac.compare_digest(given, self.token):
            await _send_json(
                send,
                401,
                {"error": "this service needs a bearer token (Authorization: Bearer ...)"},
                [(b"www-authenticate", b'Bearer realm="geo-heart"')],
            )
            return
        await self.app(scope, receive, send)


class RedactingAccessFilter(logging.Filter):
    """Remove query strings (and client addresses) from uvicorn's access log records."""

    def __init__(self, *, client_addresses: bool = False) -> None:
        super().__init__()
        self.client_addresses = client_addresses

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, path, version, status = args
            path = str(path)
            if "?" in path:
                path = path.split("?", 1)[0] + "?[redacted]"
            record.args = (
                client if self.client_addresses else "[client]",
                method,
                path,
                version,
                status,
            )
        return True


def install_access_log_redaction(*, client_addresses: bool = False) -> RedactingAccessFilter:
    """Attach a :class:`RedactingAccessFilter` to the ``uvicorn.access`` logger."""
    flt = RedactingAccessFilter(client_addresses=client_addresses)
    logging.getLogger("uvicorn.access").addFilter(flt)
    return flt


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _slow_client_protocol(header_timeout_s: float):
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class SlowClientH11Protocol(H11Protocol):
        """uvicorn's h11 protocol, closing connections that send headers too slowly."""

        _hdr_timer = None
        _hdr_cycle = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            self._hdr_cycle = self.cycle
            self._hdr_timer = self.loop.call_later(header_timeout_s, self._expire)

        def _expire(self) -> None:
            self._hdr_timer = None
            if self.cycle is self._hdr_cycle and not self.transport.is_closing():
                log.info("closing a connection that sent no complete request head in time")
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            waiting = self.cycle is None or self.cycle.response_complete
            if self._hdr_timer is None and waiting:
                self._arm()
            super().data_received(data)

        def connection_lost(self, exc) -> None:
            if self._hdr_timer is not None:
                self._hdr_timer.cancel()
                self._hdr_timer = None
            super().connection_lost(exc)

    return SlowClientH11Protocol


def server_options(
    *,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    keep_alive_s: int = KEEP_ALIVE_S,
    limit_concurrency: int = LIMIT_CONCURRENCY,
) -> dict[str, Any]:
    """uvicorn settings that bound slow and numerous clients."""
    return {
        "http": _slow_client_protocol(header_timeout_s),
        "timeout_keep_alive": keep_alive_s,
        "limit_concurrency": limit_concurrency,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    }
