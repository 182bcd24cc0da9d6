"""CSRF protection of the anonymous forms (sign-in, sign-up, password reset): a double-submit cookie.

Before sign-in there is no server-side session to hold a CSRF token, so the GET that renders such a form
sets a random `csrf_pre` cookie and embeds the same value in the form's hidden `csrf_token` field; the POST
must carry both, equal. Another site can make a browser send the cookie, but can neither read it nor set
it (HttpOnly, SameSite=Strict), so it cannot fill in the field. Signed-in forms use the session's own
token instead (`accounts.security`).
"""

from __future__ import annotations

import hmac
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "csrf_pre"
FIELD = "csrf_token"
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _valid_shape(value: str | None) -> bool:
    return bool(value) and _TOKEN_PATTERN.match(value or "") is not None


def token_for(request: Request) -> str:
    """The token to embed in a form: the browser's current cookie when it has one (so several open tabs
    keep working), else a new random one; `set_cookie` must then be called on the response."""
    existing = request.cookies.get(COOKIE)
    return existing if existing and _valid_shape(existing) else secrets.token_urlsafe(32)


def set_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")


def is_valid(request: Request, submitted: object) -> bool:
    """True when the form's field equals the cookie (compared in constant time)."""
    cookie = request.cookies.get(COOKIE)
    if not isinstance(submitted, str) or not _valid_shape(cookie) or not _valid_shape(submitted):
        return False
    assert cookie is not None
    return hmac.compare_digest(cookie.encode(), submitted.encode())
