"""One JSON line per request (core/request_log.py), the formatters (core/json_logging.py): fields, request ids,
the signed-in user, and redaction of the message and of every `extra` field."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from forecourt.core.json_logging import JsonFormatter, TextFormatter
from forecourt.core.logging_setup import FILTER_NAME, uvicorn_log_config
from forecourt.core.masking import RedactingFilter
from forecourt.core.request_log import SAFE_REQUEST_ID
from tests.factories import make_token, make_user

TOKEN = "Qx7rT2mZ8kLp4sVn6wYb1cHd9fGj3aEu5iOoKqRtWz0"  # the shape of secrets.token_urlsafe(32)


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What a production handler (redaction filter, JSON formatter) writes of the `forecourt` loggers."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("forecourt")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield buffer
    logger.removeHandler(handler)
    logger.setLevel(level)


def _records(buffer: io.StringIO, logger: str = "forecourt.request") -> list[dict]:
    entries = [json.loads(line) for line in buffer.getvalue().splitlines()]
    return [entry for entry in entries if entry["logger"] == logger]


def test_a_request_is_one_json_line_with_its_route_status_duration_and_client(client: TestClient, lines) -> None:
    answer = client.get("/api/v1/stores/no-such-store", headers={"X-Request-ID": "proxy-4711.a:b"})
    assert answer.status_code == 404
    assert answer.headers["X-Request-ID"] == "proxy-4711.a:b"
    (entry,) = _records(lines)
    assert entry["request_id"] == "proxy-4711.a:b"
    assert entry["method"] == "GET" and entry["status"] == 404
    assert entry["route"] == "/api/v1/stores/{code}" and entry["path"] == "/api/v1/stores/no-such-store"
    assert entry["client"] == "testclient" and entry["level"] == "info"
    assert isinstance(entry["duration_ms"], float) and 0 <= entry["duration_ms"] < 10_000
    assert entry["time"].endswith("Z") and "user_id" not in entry
    assert list(entry)[:5] == ["time", "level", "logger", "message", "request_id"]


@pytest.mark.parametrize(
    "given",
    ["has space", "x" * 129, "<script>", "-leading-dash", "ünïcode", ""],
)
def test_an_unsafe_request_id_is_replaced_by_a_fresh_one(client: TestClient, lines, given: str) -> None:
    answer = client.get("/healthz", headers={"X-Request-ID": given.encode("utf-8")})
    echoed = answer.headers["X-Request-ID"]
    assert echoed != given and re.fullmatch("[a-z2-7]{24}", echoed)
    assert _records(lines)[0]["request_id"] == echoed


def test_a_client_chosen_request_id_is_masked_like_any_field(client: TestClient, lines) -> None:
    answer = client.get("/healthz", headers={"X-Request-ID": "call-13800138000"})
    assert answer.headers["X-Request-ID"] == "call-13800138000"  # the client's own, echoed as given
    assert _records(lines)[0]["request_id"] == "call-138****8000"


def test_the_longest_safe_request_id_is_kept() -> None:
    assert SAFE_REQUEST_ID.fullmatch("a" * 128) and not SAFE_REQUEST_ID.fullmatch("a" * 129)


def test_requests_without_an_id_get_distinct_ones(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_the_line_names_the_signed_in_user(client: TestClient, db_session: Session, lines) -> None:
    user = make_user(db_session, roles=[("shopper", None)])
    token = make_token(db_session, user)
    db_session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/me").status_code == 401
    signed_in, anonymous = _records(lines)
    assert signed_in["user_id"] == user.id
    assert "user_id" not in anonymous and anonymous["status"] == 401


def test_a_secret_in_the_query_string_is_masked_in_every_field(client: TestClient, lines) -> None:
    client.get(f"/account/password-reset/confirm?token={TOKEN}&lang=en", follow_redirects=False)
    (entry,) = _records(lines)
    assert entry["path"] == "/account/password-reset/confirm?token=***&lang=en"
    assert "token=***" in entry["message"]
    assert TOKEN not in json.dumps(entry)


def test_extra_fields_of_any_record_are_rendered_and_masked(lines) -> None:
    logging.getLogger("forecourt.jobs").info(
        "job run",
        extra={
            "job": "reminders",
            "slot": "2026-12-07T10:00:00+00:00",
            "outcome": "ran",
            "count": 3,
            "duration_ms": 12.5,
            "note": f"sent to 13800138000 with token={TOKEN}",
            "pickup_code": "482913",
            "details": {"api_key": "plain", "to": "driver@example.test", "ids": [110101199003074477, 7]},
        },
    )
    (entry,) = _records(lines, "forecourt.jobs")
    assert entry["message"] == "job run"
    assert (entry["job"], entry["slot"], entry["outcome"], entry["count"], entry["duration_ms"]) == (
        "reminders",
        "2026-12-07T10:00:00+00:00",
        "ran",
        3,
        12.5,
    )
    assert entry["note"] == "sent to 138****8000 with token=***"
    assert entry["pickup_code"] == "***"
    assert entry["details"] == {"api_key": "***", "to": "d***@example.test", "ids": ["***", 7]}


def test_an_exception_is_one_field_and_masked(lines) -> None:
    try:
        raise ValueError("mobile 13800138000 refused")
    except ValueError:
        logging.getLogger("forecourt.test").exception("failed for %s", "driver@example.test")
    (entry,) = _records(lines, "forecourt.test")
    assert entry["level"] == "error" and entry["message"] == "failed for d***@example.test"
    assert "ValueError: mobile 138****8000 refused" in entry["exception"]
    assert "13800138000" not in json.dumps(entry)


def test_the_formatters_mask_a_record_no_filter_has_seen() -> None:
    record = logging.LogRecord("somelibrary", logging.WARNING, __file__, 1, "retry %s", (f"/r?token={TOKEN}",), None)
    record.secret_key = "abc"
    line = JsonFormatter().format(record)
    assert TOKEN not in line and json.loads(line)["secret_key"] == "***"


def test_the_text_format_writes_the_fields_after_the_message() -> None:
    formatter = TextFormatter("%(levelprefix)s %(name)s: %(message)s", use_colors=False)
    record = logging.LogRecord("forecourt.jobs", logging.INFO, __file__, 1, "job run", None, None)
    record.job, record.outcome, record.note, record.password = "reminders", "ran", "two words", "hunter2"
    line = formatter.format(record)
    assert line == 'INFO:     forecourt.jobs: job run job=reminders outcome=ran note="two words" password=***'
    plain = logging.LogRecord("forecourt.x", logging.INFO, __file__, 1, "no fields", None, None)
    assert formatter.format(plain) == "INFO:     forecourt.x: no fields"


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_the_server_configuration_masks_every_handler_in_either_format(log_format: str) -> None:
    config = uvicorn_log_config("info", log_format)
    assert all(handler["filters"] == [FILTER_NAME] for handler in config["handlers"].values())
    app_formatter = config["formatters"]["app"]["()"]
    expected = JsonFormatter if log_format == "json" else TextFormatter
    assert app_formatter == f"{expected.__module__}.{expected.__qualname__}"
    if log_format == "json":  # uvicorn's own lines too: one JSON stream
        assert {f["()"] for f in config["formatters"].values()} == {app_formatter}


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log format"):
        uvicorn_log_config("info", "xml")
