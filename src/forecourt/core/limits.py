"""Size limits on request headers and bodies, enforced before anything parses them.

Without them a client could send a 1 MiB header or a 20 MB JSON document and the app would hold and parse all of
it. This middleware sits outside routing, so it knows a request only by its path, method and headers, and picks the
body limit by what the body is (settings in `core.settings`, documented in the README):

- `multipart/form-data` (file uploads): `max_import_bytes` plus a little room for the form around the file, so the
  upload routes still report their own exact `file_too_large` for a file just over the limit;
- `application/x-www-form-urlencoded` (the pages' forms): `max_form_bytes`;
- the event batch `POST /api/v1/events`: `max_event_batch_bytes` (up to 1,000 events);
- anything else (JSON bodies): `max_json_bytes`.

A declared Content-Length over the limit is refused at once, before a byte of the body is read. A body without
one (chunked) is counted as it streams in; once over the limit, reading it raises, whatever the app answers to
that is dropped, and the 413 is sent instead. Headers are counted in total (names and values): over
`max_header_bytes` is a 431. API paths get a problem document; pages a translated error page (`render_page`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UPLOAD_FORM_ROOM = 1024 * 1024  # boundaries, part headers and the other fields of an upload form
EVENT_BATCH_PATH = "/api/v1/events"
PageRenderer = Callable[[Request, int, str], Response]


@dataclass(frozen=True)
class Limits:
    header_bytes: int = 16 * 1024
    json_bytes: int = 1024 * 1024
    event_batch_bytes: int = 4 * 1024 * 1024
    form_bytes: int = 64 * 1024
    import_bytes: int = 64 * 1024 * 1024

    @classmethod
    def of(cls, settings: Any) -> Limits:
        return cls(
            header_bytes=settings.max_header_bytes,
            json_bytes=settings.max_json_bytes,
            event_batch_bytes=settings.max_event_batch_bytes,
            form_bytes=settings.max_form_bytes,
            import_bytes=settings.max_import_bytes,
        )


class BodyTooLarge(Exception):
    """Raised by the counting `receive` once a streamed body passes its limit."""


def header_bytes(scope: Scope) -> int:
    return sum(len(name) + len(value) for name, value in scope.get("headers", []))


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def body_limit(scope: Scope, limits: Limits) -> int:
    media = _header(scope, b"content-type").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        return limits.import_bytes + UPLOAD_FORM_ROOM
    if media == "application/x-www-form-urlencoded":
        return limits.form_bytes
    if scope.get("path") == EVENT_BATCH_PATH:
        return limits.event_batch_bytes
    return limits.json_bytes


def declared_length(scope: Scope) -> int | None:
    text = _header(scope, b"content-length").strip()
    return int(text) if text.isascii() and text.isdigit() else None


_REFUSALS = {
    413: (
        "payload_too_large",
        "Too large",
        "The request body is larger than the {limit:,}-byte limit for this kind of request; send less at once.",
    ),
    431: (
        "headers_too_large",
        "Request headers too large",
        "The request headers add up to more than {limit:,} bytes; send fewer or shorter headers (or cookies).",
    ),
}


class RequestLimits:
    def __init__(self, app: ASGIApp, render_page: PageRenderer | None = None) -> None:
        self.app = app
        self.render_page = render_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = self._limits(scope)
        if header_bytes(scope) > limits.header_bytes:
            await self._refuse(scope, receive, send, 431, limits.header_bytes)
            return
        limit = body_limit(scope, limits)
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, 413, limit)
            return
        received, exceeded, started = 0, False, False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to a body it could not finish reading; the 413 below replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send, 413, limit)

    @staticmethod
    def _limits(scope: Scope) -> Limits:
        app = scope.get("app")
        settings = getattr(getattr(app, "state", None), "settings", None)
        return Limits.of(settings) if settings is not None else Limits()

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, limit: int) -> None:
        code, title, detail = _REFUSALS[status]
        response: Response | None = None
        if self.render_page is not None and _wants_page(scope):
            try:
                response = self.render_page(Request(scope), status, code)
            except Exception:  # a page that cannot render still gets the plain answer
                response = None
        if response is None:
            body = {
                "type": f"https://forecourt.dev/problems/{code}",
                "title": title,
                "status": status,
                "detail": detail.format(limit=limit),
                "code": code,
                "max_bytes": limit,
            }
            response = Response(json.dumps(body), status_code=status, media_type="application/problem+json")
        # The unread body stays on the connection: close it rather than parse the rest as the next request.
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _wants_page(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    return not path.startswith(("/api/", "/static/")) and "text/html" in _header(scope, b"accept")
