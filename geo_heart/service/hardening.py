"""Protections of the lookup service against hostile or careless clients.

* :class:`RequestGateMiddleware` — the first check of every request: a request head over
  :data:`MAX_HEADER_BYTES` is 431, a repeated query parameter is 400 (never last-wins), a ``Host``
  outside the allow-list is 400 (DNS rebinding), ``HEAD`` is answered as ``GET`` without a body.
* :class:`BodyLimitMiddleware` — the body is read whole, within :data:`BODY_TIMEOUT_S` seconds and
  :data:`MAX_BODY_BYTES` bytes, *before* the request takes a concurrency slot: over the limit is
  413 (``Content-Length`` checked first; streamed bodies counted as they arrive), too slow is 408,
  so slow bodies cost a socket each, never a slot.
* :class:`BearerTokenMiddleware` — optional shared-secret authentication
  (``Authorization: Bearer <token>``); ``/health`` stays open for probes.
* :func:`scrub_paths` — server file paths never appear in an answer (only their base names).
* :class:`RedactingAccessFilter` — the access log records method, path and status, with query
  strings (addresses, coordinates) and client addresses redacted.
* :class:`ConcurrencyLimitMiddleware` — at most ``limit`` requests are handled at once; a request
  over the limit waits up to :data:`QUEUE_WAIT_S` for a turn, then gets the documented busy
  answer: **503, JSON** ``{"error": ...}``, **Retry-After: 1**. Connections are not requests: an
  idle keep-alive connection never counts (uvicorn's own ``limit_concurrency`` counts connections
  plus requests and answers plain text, so it is not used).
* :class:`SlowClientH11Protocol` — a connection must finish sending a request's headers within
  :data:`HEADER_TIMEOUT_S` seconds or it is closed (slow-header attacks); each client address may
  hold at most :data:`MAX_CONNECTIONS_PER_CLIENT` connections and the server
  :data:`MAX_CONNECTIONS` in all; a connection over a cap gets the same JSON 503 and is closed.
  So 200 slow clients cost 200 idle sockets for a few seconds each, never the lookups of others.
  The server's own answers to malformed requests (h11 errors) are JSON too: 400, or 431 for a
  head over :data:`MAX_HEADER_BYTES`.

:func:`install` adds the middlewares to an app in the order that matters (gate, token, body,
concurrency); every error they answer is JSON ``{"error": "<one line>"}``.

:func:`server_options` returns the uvicorn settings ``geo-heart serve`` uses (keep-alive timeout,
header size limit, the protocol above).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import re
from typing import Any

log = logging.getLogger(__name__)

#: Default largest request body, bytes (a full 1,000-item batch is ~150 kB).
MAX_BODY_BYTES = 1_000_000
#: Seconds a client may take to send a request's headers (short: slow-header clients go soon).
HEADER_TIMEOUT_S = 5.0
#: Seconds an idle keep-alive connection stays open.
KEEP_ALIVE_S = 5
#: Most requests handled at once; more wait up to QUEUE_WAIT_S, then get a JSON 503.
LIMIT_CONCURRENCY = 200
#: Seconds a request over the concurrency limit waits for a turn before its 503.
QUEUE_WAIT_S = 2.0
#: Most open connections from one client address (more get a JSON 503 and are closed).
MAX_CONNECTIONS_PER_CLIENT = 1024
#: Most open connections in all.
MAX_CONNECTIONS = 4096
#: Seconds a client answered 503 is asked to wait (``Retry-After``).
RETRY_AFTER_S = 1
BUSY_MESSAGE = "the service is busy; retry after 1 second"
#: Largest request head (request line and headers), bytes: larger heads get 431.
MAX_HEADER_BYTES = 16 * 1024
#: Seconds a client may take to send a request's whole body once its headers are in (then 408).
BODY_TIMEOUT_S = 10.0
#: Host names a loopback service always answers to (with any port).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

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


def busy_response_bytes(message: str = BUSY_MESSAGE) -> bytes:
    """The raw HTTP/1.1 busy answer for a connection refused before any request is read."""
    body = json.dumps({"error": message}, separators=(",", ":")).encode("utf-8")
    head = (
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nretry-after: {RETRY_AFTER_S}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class ConcurrencyLimitMiddleware:
    """ASGI middleware: at most ``limit`` requests at once; others wait, then a JSON 503.

    ``open_paths`` (``/health``) are never held back, so probes see a busy service as alive.
    """

    def __init__(
        self,
        app,
        limit: int = LIMIT_CONCURRENCY,
        wait_s: float = QUEUE_WAIT_S,
        open_paths: tuple[str, ...] = ("/health",),
    ) -> None:
        if limit < 1:
            raise ValueError("the concurrency limit must be at least 1")
        self.app = app
        self.limit = int(limit)
        self.wait_s = float(wait_s)
        self.open_paths = open_paths
        self._slots: asyncio.Semaphore | None = None
        self.refused = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.open_paths:
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # made in the server's event loop
            self._slots = asyncio.Semaphore(self.limit)
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.wait_s)
        except asyncio.TimeoutError:
            self.refused += 1
            await _send_json(
                send, 503, {"error": BUSY_MESSAGE}, [(b"retry-after", str(RETRY_AFTER_S).encode())]
            )
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()


class BodyLimitMiddleware:
    """ASGI middleware: the request body read whole, bounded in size and time, before the app runs.

    A declared ``Content-Length`` over ``max_bytes`` is 413 at once; a streamed body is counted
    as it arrives and cut off (413) as soon as it passes the limit; a body not complete within
    ``timeout_s`` seconds of the request's headers is 408. Both close the connection. Placed
    *outside* :class:`ConcurrencyLimitMiddleware`, so a request takes a slot only once its body
    is in: a client trickling a body costs one socket, never a request slot.
    """

    def __init__(
        self, app, max_bytes: int = MAX_BODY_BYTES, timeout_s: float = BODY_TIMEOUT_S
    ) -> None:
        self.app = app
        self.max_bytes = int(max_bytes)
        self.timeout_s = float(timeout_s)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        message = f"the request body is larger than the service's limit of {limit:,} bytes"
        close = [(b"connection", b"close")]
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, {"error": "Content-Length is not a number"}, close)
                    return
                if declared > limit:
                    if declared <= DRAIN_BYTES:  # read it first, so the 413 is not lost to a reset
                        await _drain(receive, self.timeout_s, DRAIN_BYTES)
                    await _send_json(send, 413, {"error": message}, close)
                    return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        chunks: list[bytes] = []
        received = 0
        while True:
            try:
                msg = await asyncio.wait_for(receive(), timeout=max(deadline - loop.time(), 0))
            except asyncio.TimeoutError:
                log.info(
                    "closing a request whose body did not arrive within %.1f s", self.timeout_s
                )
                await _send_json(
                    send,
                    408,
                    {
                        "error": f"the request body did not arrive within {self.timeout_s:g} s "
                        "of its headers"
                    },
                    close,
                )
                return
            if msg["type"] == "http.disconnect":
                return  # the client went away before sending its body
            body = msg.get("body", b"")
            received += len(body)
            if received > limit:
                if msg.get("more_body", False):
                    await _drain(receive, max(deadline - loop.time(), 0), DRAIN_BYTES)
                await _send_json(send, 413, {"error": message}, close)
                return
            chunks.append(body)
            if not msg.get("more_body", False):
                break
        whole = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()  # after the body: wait for the client's disconnect

        await self.app(scope, replay, send)


#: A body over the limit but no larger than this is read (and dropped) before the 413 is sent:
#: a server that answers and closes while the client is still sending makes the kernel reset the
#: connection, and the client may never see the answer. Larger bodies are answered at once.
DRAIN_BYTES = 1 << 20


async def _drain(receive, timeout_s: float, cap: int) -> bool:
    """Read and drop the rest of a request body (at most ``cap`` bytes, within ``timeout_s``);
    True when it was read to its end."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    got = 0
    while got <= cap:
        try:
            msg = await asyncio.wait_for(receive(), timeout=max(deadline - loop.time(), 0))
        except asyncio.TimeoutError:
            return False
        if msg["type"] == "http.disconnect":
            return False
        got += len(msg.get("body", b""))
        if not msg.get("more_body", False):
            return True
    return False


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


def host_name(value: str) -> str:
    """The host part of a ``Host`` header value, lower case (``[::1]:8080`` → ``::1``)."""
    v = value.strip().lower()
    if v.startswith("["):
        return v[1 : v.find("]")] if "]" in v else v
    if v.count(":") == 1:
        v = v.split(":", 1)[0]
    return v.rstrip(".")


def allowed_hosts_for(host: str, extra: tuple[str, ...] | list[str] = ()) -> tuple[str, ...] | None:
    """The ``Host`` allow-list for a service listening on ``host``.

    The loopback names (:data:`LOOPBACK_HOSTS`, any loopback address), the listening address
    itself and the ``extra`` names. ``None`` (no check) when ``extra`` holds ``*``, or when the
    service listens on every address (``0.0.0.0``, ``::``) and no names are given: it cannot know
    the names it is reached by, and it then needs a bearer token anyway.
    """
    names = [host_name(h) for h in extra if h.strip()]
    if "*" in names:
        return None
    wildcard = host.strip("[]") in ("0.0.0.0", "::", "")
    if wildcard and not names:
        return None
    out = list(LOOPBACK_HOSTS)
    if not wildcard:
        out.append(host_name(host))
    return tuple(dict.fromkeys(out + names))


class RequestGateMiddleware:
    """ASGI middleware: checks every request's head before anything else runs.

    * a head (request line and headers) over ``max_header_bytes`` → 431;
    * a ``Host`` header outside ``allowed_hosts`` → 400 (a page on another site that re-points
      its DNS name at 127.0.0.1 cannot reach the service; ``None`` disables the check, for
      library use and tests);
    * a query parameter given twice → 400 (never resolved last-wins);
    * ``HEAD`` is answered as ``GET`` without the body (``HEAD /health`` is 200).
    """

    def __init__(
        self,
        app,
        allowed_hosts: tuple[str, ...] | list[str] | None = None,
        max_header_bytes: int = MAX_HEADER_BYTES,
    ) -> None:
        self.app = app
        self.allowed = (
            None if allowed_hosts is None else frozenset(host_name(h) for h in allowed_hosts)
        )
        self.max_header_bytes = int(max_header_bytes)

    def _host_allowed(self, value: str) -> bool:
        name = host_name(value)
        return name in self.allowed or is_loopback(name)  # any loopback address

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", ())
        head = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") + 32
        head += sum(len(k) + len(v) + 4 for k, v in headers)
        if head > self.max_header_bytes:
            await _send_json(
                send,
                431,
                {"error": f"the request head is larger than {self.max_header_bytes:,} bytes"},
                [(b"connection", b"close")],
            )
            return
        if self.allowed is not None:
            hosts = [v.decode("latin-1") for k, v in headers if k == b"host"]
            if len(hosts) > 1 or (hosts and not self._host_allowed(hosts[0])):
                await _send_json(
                    send,
                    400,
                    {
                        "error": "this service does not answer to that Host name (allowed: "
                        f"{', '.join(sorted(self.allowed))}; see serve --allowed-host)"
                    },
                )
                return
        query = (scope.get("query_string") or b"").decode("latin-1")
        if query:
            from urllib.parse import parse_qsl

            seen: set[str] = set()
            for key, _value in parse_qsl(query, keep_blank_values=True):
                if key in seen:
                    await _send_json(
                        send,
                        400,
                        {"error": f"query parameter {key[:40]!r} is given more than once"},
                    )
                    return
                seen.add(key)
        if scope.get("method") == "HEAD":
            scope = dict(scope, method="GET")

            async def send_head(msg):
                if msg["type"] == "http.response.body":
                    msg = dict(msg, body=b"")
                await send(msg)

            await self.app(scope, receive, send_head)
            return
        await self.app(scope, receive, send)


def install(
    app,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    body_timeout_s: float = BODY_TIMEOUT_S,
    token: str | None = None,
    limit_concurrency: int | None = LIMIT_CONCURRENCY,
    allowed_hosts: tuple[str, ...] | list[str] | None = None,
) -> None:
    """Add the protections to a Starlette/FastAPI ``app``, outermost first: the request gate,
    the bearer token (when given), the body read (size and time), the concurrency limit.

    The order matters: a request takes a concurrency slot only after its body is in.
    """
    # add_middleware puts each new one outside the ones before it: add innermost first
    if limit_concurrency:
        app.add_middleware(ConcurrencyLimitMiddleware, limit=limit_concurrency)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes, timeout_s=body_timeout_s)
    if token:
        app.add_middleware(BearerTokenMiddleware, token=token)
    app.add_middleware(RequestGateMiddleware, allowed_hosts=allowed_hosts)


def _slow_client_protocol(
    header_timeout_s: float,
    max_per_client: int = MAX_CONNECTIONS_PER_CLIENT,
    max_connections: int = MAX_CONNECTIONS,
    max_header_bytes: int = MAX_HEADER_BYTES,
):
    from uvicorn.protocols.http.h11_impl import H11Protocol

    open_by_client: dict[str, int] = {}
    total = [0]

    class SlowClientH11Protocol(H11Protocol):
        """uvicorn's h11 protocol: header timeout, and connection caps per client and in all."""

        _hdr_timer = None
        _hdr_cycle = None
        _counted: str | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            host = str(self.client[0]) if self.client else "?"
            if total[0] >= max_connections or open_by_client.get(host, 0) >= max_per_client:
                log.warning("refusing a connection: too many open (client cap %d)", max_per_client)
                transport.write(busy_response_bytes())
                transport.close()
                return
            self._counted = host
            open_by_client[host] = open_by_client.get(host, 0) + 1
            total[0] += 1
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
            if self._counted is None:  # refused in connection_made
                return
            waiting = self.cycle is None or self.cycle.response_complete
            if self._hdr_timer is None and waiting:
                self._arm()
            super().data_received(data)

        def send_400_response(self, msg: str) -> None:
            # uvicorn answers h11's protocol errors in plain text: answer JSON instead
            import h11

            too_big = len(self.conn.trailing_data[0]) > max_header_bytes
            status = 431 if too_big else 400
            error = (
                f"the request head is larger than {max_header_bytes:,} bytes"
                if too_big
                else "malformed HTTP request"
            )
            body = json.dumps({"error": error}, separators=(",", ":")).encode("utf-8")
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]
            try:
                from http import HTTPStatus

                reason = HTTPStatus(status).phrase.encode("ascii")
                out = self.conn.send(
                    h11.Response(status_code=status, headers=headers, reason=reason)
                )
                out += self.conn.send(h11.Data(data=body)) + self.conn.send(h11.EndOfMessage())
                self.transport.write(out)
            except h11.LocalProtocolError:  # a response was already under way
                pass
            self.transport.close()

        def connection_lost(self, exc) -> None:
            if self._hdr_timer is not None:
                self._hdr_timer.cancel()
                self._hdr_timer = None
            if self._counted is not None:
                left = open_by_client.get(self._counted, 1) - 1
                if left > 0:
                    open_by_client[self._counted] = left
                else:
                    open_by_client.pop(self._counted, None)
                total[0] -= 1
                self._counted = None
            super().connection_lost(exc)

    return SlowClientH11Protocol


def server_options(
    *,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    keep_alive_s: int = KEEP_ALIVE_S,
    max_connections_per_client: int = MAX_CONNECTIONS_PER_CLIENT,
    max_connections: int = MAX_CONNECTIONS,
) -> dict[str, Any]:
    """uvicorn settings that bound slow and numerous clients.

    The request concurrency limit is :class:`ConcurrencyLimitMiddleware` (in the app), not
    uvicorn's ``limit_concurrency``, which counts idle connections and answers plain text.
    """
    return {
        "http": _slow_client_protocol(
            header_timeout_s, max_connections_per_client, max_connections
        ),
        "timeout_keep_alive": keep_alive_s,
        "limit_concurrency": None,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        # no WebSocket routes: an Upgrade request is answered as plain HTTP (JSON), never upgraded
        "ws": "none",
    }


def raise_open_files_limit(wanted: int) -> int:
    """Raise this process's soft open-files limit towards ``wanted`` (bounded by the hard limit).

    Returns the soft limit now in force (each connection is a file descriptor).
    """
    try:
        import resource
    except ImportError:  # not on this platform
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft
