"""The double-submit CSRF cookie of the anonymous forms. Pure: no database."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response

from forecourt.web import csrf

TOKEN = "a" * 43


def _request(cookie: str | None = None, scheme: str = "http") -> Request:
    headers = [(b"cookie", f"{csrf.COOKIE}={cookie}".encode())] if cookie is not None else []
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": headers,
            "scheme": scheme,
            "server": ("testserver", 443 if scheme == "https" else 80),
            "query_string": b"",
        }
    )


def test_a_new_token_is_random_and_url_safe():
    first, second = csrf.token_for(_request()), csrf.token_for(_request())
    assert first != second and len(first) >= 32
    assert csrf.is_valid(_request(first), first)


def test_an_existing_cookie_is_reused_so_several_tabs_work():
    assert csrf.token_for(_request(TOKEN)) == TOKEN


def test_a_malformed_cookie_is_replaced():
    assert csrf.token_for(_request("short")) != "short"


@pytest.mark.parametrize(
    ("cookie", "submitted", "valid"),
    [
        (TOKEN, TOKEN, True),
        (TOKEN, "b" * 43, False),  # mismatch
        (None, TOKEN, False),  # no cookie
        (TOKEN, "", False),  # no field
        (TOKEN, None, False),
        ("", "", False),  # both empty must not "match"
        ("x", "x", False),  # too short to be ours
        (TOKEN, ["not", "a", "string"], False),
    ],
)
def test_is_valid(cookie, submitted, valid):
    assert csrf.is_valid(_request(cookie), submitted) is valid


@pytest.mark.parametrize(("scheme", "secure"), [("http", False), ("https", True)])
def test_the_cookie_is_httponly_strict_and_secure_over_https(scheme, secure):
    response = Response()
    csrf.set_cookie(_request(scheme=scheme), response, TOKEN)
    header = response.headers["set-cookie"].lower()
    assert f"{csrf.COOKIE}={TOKEN}".lower() in header
    assert "httponly" in header and "samesite=strict" in header and "path=/" in header
    assert ("secure" in header.replace("samesite", "")) is secure
