"""Size limits on headers and bodies (core/limits.py): refused before they are parsed, with a problem document on
the API and a translated page for the pages; just under each limit is accepted.

Before: a 1 MiB header was accepted and 20 MB JSON bodies were parsed in full.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from forecourt.app import create_app
from forecourt.core.limits import UPLOAD_FORM_ROOM, RequestLimits, header_bytes
from forecourt.core.settings import Settings
from tests.live_server import serving

LIMITS = {
    "max_header_bytes": 2_000,
    "max_json_bytes": 1_000,
    "max_event_batch_bytes": 3_000,
    "max_form_bytes": 500,
    "max_import_bytes": 4_000,
}


def _echo_app(**limits: int) -> tuple[Starlette, list[int]]:
    """An app behind RequestLimits that reports the header bytes it saw and the body it read."""
    reads: list[int] = []

    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        reads.append(len(body))
        return JSONResponse({"headers": header_bytes(request.scope), "body": len(body)})

    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    app.state.settings = Settings(environment="test", database_url="sqlite://", **{**LIMITS, **limits})
    app.add_middleware(RequestLimits)
    return app, reads


@pytest.fixture
def echo() -> Iterator[tuple[TestClient, list[int]]]:
    app, reads = _echo_app()
    with TestClient(app) as client:
        yield client, reads


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["status"], problem["code"]) == (status, code)
    assert problem["title"] and problem["detail"] and problem["max_bytes"]
    return problem


def test_headers_up_to_the_limit_pass_and_one_byte_more_is_431(echo):
    client, _ = echo
    others = client.get("/", headers={"x-pad": ""}).json()["headers"]
    exact = client.get("/", headers={"x-pad": "a" * (LIMITS["max_header_bytes"] - others)})
    assert exact.status_code == 200 and exact.json()["headers"] == LIMITS["max_header_bytes"]
    over = client.get("/", headers={"x-pad": "a" * (LIMITS["max_header_bytes"] - others + 1)})
    _problem(over, 431, "headers_too_large")


@pytest.mark.parametrize(
    ("path", "content_type", "limit"),
    [
        ("/api/v1/quotes", "application/json", LIMITS["max_json_bytes"]),
        ("/api/v1/events", "application/json", LIMITS["max_event_batch_bytes"]),
        ("/account/sign-in", "application/x-www-form-urlencoded", LIMITS["max_form_bytes"]),
        ("/api/v1/inventory/imports", "multipart/form-data; boundary=x", LIMITS["max_import_bytes"] + UPLOAD_FORM_ROOM),
    ],
)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_each_kind_of_body_has_its_limit(echo, path, content_type, limit, chunked):
    client, reads = echo

    def send(size: int):
        body = b"a" * size
        content = iter([body[i : i + 4096] for i in range(0, size, 4096)]) if chunked else body
        return client.post(path, content=content, headers={"content-type": content_type})

    exact = send(limit)
    assert exact.status_code == 200 and exact.json()["body"] == limit
    reads.clear()
    _problem(send(limit + 1), 413, "payload_too_large")
    if not chunked:
        assert reads == []  # refused on the declared length: the app never ran, nothing was read


def test_a_declared_20_mb_body_is_refused_before_it_is_sent():
    """Through uvicorn: the 413 arrives while the client has sent only the headers of a 20 MB request."""
    app = create_app(Settings(environment="test", database_url="sqlite://"))
    with serving(app) as base:
        host, port = urlsplit(base).hostname, urlsplit(base).port
        with socket.create_connection((host, port), timeout=10) as connection:
            connection.sendall(
                b"POST /api/v1/events HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                b"Content-Length: 20000000\r\n\r\n" + b"[" * 1000  # a first slice of the body; the rest is never sent
            )
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"application/problem+json" in head
    assert json.loads(body)["code"] == "payload_too_large"


def test_the_app_refuses_a_1_mib_header_and_a_20_mb_json_body(client):
    big_header = client.get("/healthz", headers={"x-big": "a" * (1 << 20)})
    _problem(big_header, 431, "headers_too_large")
    assert big_header.headers["x-content-type-options"] == "nosniff"  # the security headers still apply
    big_body = client.post(
        "/api/v1/events", content=b"[" + b" " * 20_000_000 + b"]", headers={"content-type": "application/json"}
    )
    _problem(big_body, 413, "payload_too_large")
    assert client.get("/healthz", headers={"x-small": "a" * 8_000}).status_code == 200


def test_a_page_gets_a_translated_error_page(client):
    form = b"identifier=" + b"a" * 100_000
    headers = {"content-type": "application/x-www-form-urlencoded", "accept": "text/html"}
    english = client.post("/account/sign-in?lang=en", content=form, headers=headers)
    assert english.status_code == 413 and english.headers["content-type"].startswith("text/html")
    assert "too large" in english.text
    chinese = client.post("/account/sign-in?lang=zh-Hans", content=form, headers=headers)
    assert chinese.status_code == 413 and "提交的内容过大" in chinese.text


def test_chunked_json_over_the_limit_is_refused_by_the_real_app(client):
    chunks = iter([b"[" + b" " * 600_000, b" " * 600_000 + b"]"])
    response = client.post("/api/v1/quotes", content=chunks, headers={"content-type": "application/json"})
    _problem(response, 413, "payload_too_large")


def test_limits_are_settings(monkeypatch):
    monkeypatch.setenv("FORECOURT_MAX_JSON_BYTES", "2048")
    monkeypatch.setenv("FORECOURT_MAX_HEADER_BYTES", "4096")
    settings = Settings()
    assert (settings.max_json_bytes, settings.max_header_bytes) == (2048, 4096)
    defaults = Settings(_env_file=None)
    assert defaults.max_form_bytes == 64 * 1024 and defaults.max_event_batch_bytes == 4 * 1024 * 1024
    monkeypatch.setenv("FORECOURT_MAX_FORM_BYTES", "0")
    with pytest.raises(ValueError, match="max_form_bytes"):
        Settings()
