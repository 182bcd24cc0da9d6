"""One log line and one metrics observation per request, under a request id the client can quote back.

The request id is the client's (or its proxy's) `X-Request-ID` when that is a plain token of at most 128
characters, so one id follows a request through the proxy's log and ours; anything else is replaced by a fresh
one, since the id is written into every log line of the request and must not carry text of the client's
choosing. The answer echoes it in `X-Request-ID`.

The line is written when the request is done, at the `forecourt.request` logger: method, route template and
path, status, duration, client address, and the signed-in user's id when there is one (`note_user`, called by
the accounts dependency). It replaces uvicorn's access log (`forecourt serve` turns that off), so each request
is one line. The route is the matched route's template (`/api/v1/vehicles/{vin}`), never the raw path, as
a metric label: unmatched requests share one label whatever their path.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forecourt.core import metrics
from forecourt.core.json_logging import REQUEST_ID

log = logging.getLogger("forecourt.request")
HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode()
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")
USER_ID_KEY = "forecourt.user_id"  # in the request's state (scope["state"])


def note_user(request: Any, user_id: int) -> None:
    """Record who made the request, for its log line (called once the caller is authenticated)."""
    request.scope.setdefault("state", {})[USER_ID_KEY] = user_id


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == _HEADER_KEY:
            given = value.decode("latin-1")
            if SAFE_REQUEST_ID.fullmatch(given):
                return given
            break
    return new_request_id()


def new_request_id() -> str:
    """120 random bits in lower-case base32 (a-z, 2-7): no "1" and no upper case, so no run of it can look like
    a mobile number or a random secret to the log redaction, which would mask it in one line and not another."""
    return base64.b32encode(os.urandom(15)).decode("ascii").lower()


def route_template(scope: Scope, root_path: str = "") -> str | None:
    """The template of the route the router matched (also when the method was wrong), None when none did.
    `root_path` is the request's before routing: a mount (the static files) names no route, but extends the
    root path by its prefix, so `/static/{path}` is one label for every file."""
    route = scope.get("route")
    if route is not None:
        return getattr(route, "path_format", None) or getattr(route, "path", None)
    mounted = scope.get("root_path", "")
    if mounted != root_path and mounted.startswith(root_path):
        return mounted[len(root_path) :] + "/{path}"
    return None


class RequestObserver:
    """ASGI middleware: request id, timing, the request's log line and metrics. Put it outside every middleware
    that may answer on its own (size limits, control characters), so their refusals are counted too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        root_path = scope.get("root_path", "")
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        context = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status, answered_at = 500, None  # 500 unless an answer is sent: an exception escaped every handler

        async def observed_send(message: Message) -> None:
            nonlocal status, answered_at
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (_HEADER_KEY, request_id.encode())]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                answered_at = time.perf_counter()  # background tasks run after this, outside the duration
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            seconds = (answered_at or time.perf_counter()) - started
            route = route_template(scope, root_path)
            metrics.record_http_request(route, scope["method"], status, seconds)
            _write_line(scope, state, route, status, seconds)
            REQUEST_ID.reset(context)


def _write_line(scope: Scope, state: dict[str, Any], route: str | None, status: int, seconds: float) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    path = scope.get("path", "")
    if scope.get("query_string"):
        path += "?" + scope["query_string"].decode("latin-1")
    client = scope.get("client")
    fields: dict[str, Any] = {
        "method": scope["method"],
        "route": route or metrics.UNMATCHED_ROUTE,
        "path": path,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "client": client[0] if client else None,
    }
    if state.get(USER_ID_KEY) is not None:
        fields["user_id"] = state[USER_ID_KEY]
    log.info("%s %s %d", scope["method"], path, status, extra=fields)
