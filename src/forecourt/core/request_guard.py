"""Refuse paths with control characters, and query strings with a NUL byte, before any route sees them.

No Forecourt URL contains one on purpose, PostgreSQL refuses NUL in text, and every route would otherwise
have to guard each path parameter and query value on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
UNSTORABLE = "unstorable_value"  # the stable code of a value the database cannot store (NUL in text, say)
_ENCODED_NUL = re.compile(rb"%00")  # tabs or newlines pasted into a search box are harmless; NUL never is


def no_nul(value: str) -> str:
    """For form fields (a pydantic AfterValidator): PostgreSQL refuses NUL in text, SQLite would store it."""
    if "\x00" in value:
        raise ValueError("contains a NUL character; remove it and send again")
    return value


def has_nul(values: Iterable[object]) -> bool:
    return any(isinstance(value, str) and "\x00" in value for value in values)


class RejectControlCharacters:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            _CONTROL.search(scope["path"]) or _ENCODED_NUL.search(scope.get("query_string", b""))
        ):
            await _refuse(send)
            return
        await self.app(scope, receive, send)


async def _refuse(send: Send) -> None:
    body = json.dumps(
        {
            "type": "https://forecourt.dev/problems/invalid_url",
            "title": "Bad request",
            "status": 400,
            "detail": "The address contains control characters (such as %00); remove them and try again.",
            "code": "invalid_url",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
