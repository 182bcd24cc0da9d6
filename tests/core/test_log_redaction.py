"""Secrets and personal data are masked in every log line: the patterns, access-log records, the server's log
configuration, database errors, and the leak check that the whole suite runs under (tests/log_guard.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from typer.testing import CliRunner
from uvicorn.logging import AccessFormatter

from forecourt.accounts.models import User
from forecourt.core.db import make_engine
from forecourt.core.http import violated_constraint
from forecourt.core.logging_setup import FILTER_NAME, install_redaction_filters, uvicorn_log_config
from forecourt.core.masking import RedactingFilter, redact_secrets
from tests.log_guard import LeakCheck

TOKEN = "aDKi0Tja_6O1xQ3oPG7OpA3B4G34tvghkYxsQAMzglI"  # the shape of secrets.token_urlsafe(32)
API_TOKEN = "fc_" + TOKEN


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        (
            f"GET /account/password-reset/confirm?token={TOKEN} HTTP/1.1",
            "GET /account/password-reset/confirm?token=***",
        ),
        ("/x?lang=en&code=12345678&page=2", "/x?lang=en&code=***&page=2"),
        (f"/x?API_KEY={API_TOKEN}#top", "/x?API_KEY=***#top"),
        ("/x?password=hunter2&mobile=13800138000", "/x?password=***&mobile=***"),
        (f"Authorization: Bearer {API_TOKEN}", "Authorization: Bearer ***"),
        (f"used {API_TOKEN} today", "used fc_aDKi0*** today"),  # the 8-character display prefix stays
        (f"session {TOKEN}.", "session ***."),
        ('{"password": "hunter2hunter2", "pickup_code": "12345678"}', '{"password": "***", "pickup_code": "***"}'),
        (f"Cookie: forecourt_session={TOKEN}; csrf_pre=abc", "Cookie: forecourt_session=***; csrf_pre=***"),
        ("postgresql+psycopg://forecourt:s3cret@db:5432/x", "postgresql+psycopg://forecourt:***@db:5432/x"),
        ("mail li.lei@example.test now", "mail l***@example.test now"),
        ("call +86 138 0013 8000, 8613800138000 or 13800138000", "call 138****8000, 138****8000 or 138****8000"),
        ("id 11010519491231002X", "id 1****************X"),
        ("monthly_income=Decimal('25000.00')", "monthly_income=Decimal('***')"),
        ('{"monthly_income": "18000.50", "debts": 3000}', '{"monthly_income": "***", "debts": ***}'),
        ("月收入：12000元 bank_account=6222021234567890123", "月收入：***元 bank_account=***"),
        ("salary CNY 30,000", "salary CNY ***"),
    ],
)
def test_secrets_are_masked(line: str, masked: str) -> None:
    assert redact_secrets(line).startswith(masked)
    assert redact_secrets(redact_secrets(line)) == redact_secrets(line)  # several filters may pass over one line


@pytest.mark.parametrize(
    "line",
    [
        "GET /api/v1/stores/gz-tianhe/test-drives?date=2026-12-02&days=3 HTTP/1.1",
        "POST /api/v1/test-drives/bookings/TD4U4TCYFF/check-out HTTP/1.1",
        "/account/password-reset/confirm?link=invalid",
        '{"code": "invalid_reset_token", "status": 422}',  # an error code is no secret
        "digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # one case: not a random token
        "in test_an_opened_link_is_worthless_in_another_browser_and_as_a_code",
        "visitor 0f8fad5b-d9cb-469f-a165-70867728950e income_band CNY 10,000–20,000 / month",
        "127.0.0.1:54321 order 12345678901 price 250000.00",
    ],
)
def test_what_operators_need_is_left_alone(line: str) -> None:
    assert redact_secrets(line) == line


def _access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's access logger makes it."""
    args = ("127.0.0.1:54321", "GET", path, "1.1", 303)
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None)


def test_an_access_record_keeps_its_shape_method_path_and_status() -> None:
    record = _access_record(f"/account/password-reset/confirm?token={TOKEN}&lang=en")
    assert RedactingFilter().filter(record) is True
    assert record.args == ("127.0.0.1:54321", "GET", "/account/password-reset/confirm?token=***&lang=en", "1.1", 303)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)
    assert line == '127.0.0.1:54321 - "GET /account/password-reset/confirm?token=***&lang=en HTTP/1.1" 303 See Other'


def test_other_records_are_formatted_then_masked() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: GET %s", (f"/r?token={TOKEN}",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "HTTP Request: GET /r?token=***" and record.args is None


def test_the_server_log_config_filters_every_handler() -> None:
    config = uvicorn_log_config("debug")
    assert config["handlers"].keys() == {"default", "access", "app"}
    assert all(handler["filters"] == [FILTER_NAME] for handler in config["handlers"].values())
    assert config["loggers"]["uvicorn.access"]["filters"] == config["loggers"]["uvicorn.error"]["filters"]
    assert config["root"] == {"handlers": ["app"], "level": "DEBUG"}
    assert config["filters"][FILTER_NAME]["()"] == "forecourt.core.masking.RedactingFilter"
    assert uvicorn_log_config()["root"]["level"] == "INFO"


@pytest.fixture
def server_loggers() -> Iterator[tuple[logging.Logger, logging.Handler]]:
    """A root handler like another server's, and the filters of the server loggers, put back afterwards."""
    names = ["", "uvicorn", "uvicorn.access", "uvicorn.error", "gunicorn.access", "gunicorn.error", "hypercorn.access"]
    saved = {name: logging.getLogger(name).filters[:] for name in names}
    last_resort = logging.lastResort.filters[:] if logging.lastResort else []
    handler = logging.StreamHandler()
    logging.getLogger().addHandler(handler)
    yield logging.getLogger("uvicorn.access"), handler
    logging.getLogger().removeHandler(handler)
    for name, filters in saved.items():
        logging.getLogger(name).filters[:] = filters
    if logging.lastResort:
        logging.lastResort.filters[:] = last_resort


def test_the_app_factory_filters_handlers_another_server_configured(server_loggers) -> None:
    access, root_handler = server_loggers
    install_redaction_filters()
    install_redaction_filters()  # idempotent
    for holder in (access, root_handler, logging.getLogger("gunicorn.access"), logging.lastResort):
        assert sum(isinstance(f, RedactingFilter) for f in holder.filters) == 1


def test_an_integrity_error_is_logged_by_constraint_without_values(db_session: Session, backend: str) -> None:
    db_session.add(User(email="a@example.test", mobile="13800138000", password_hash="x"))
    db_session.flush()
    with pytest.raises(IntegrityError) as caught, db_session.begin_nested():
        db_session.add(User(email="b@example.test", mobile="13800138000", password_hash="x"))
        db_session.flush()
    described = violated_constraint(caught.value)
    assert "13800138000" not in described and "b@example.test" not in described
    expected = "constraint uq_users_mobile" if backend == "postgresql" else "UNIQUE constraint failed: users.mobile"
    assert described == expected


def test_engines_hide_statement_parameters(caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine("sqlite://", echo=True)
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"), engine.connect() as connection:
        connection.execute(text("SELECT :mobile"), {"mobile": "13800138000"})
        with pytest.raises(StatementError) as caught:
            connection.execute(text("SELECT * FROM nowhere WHERE x = :mobile"), {"mobile": "13800138000"})
    engine.dispose()
    assert "SELECT ?" in caplog.text and "13800138000" not in caplog.text
    assert "13800138000" not in str(caught.value)


def test_the_leak_check_finds_what_redaction_cannot_know() -> None:
    """An unlabelled pick-up code, or a secret that happens to be in one letter case, passes the filter; the check
    knows the values the tests created."""
    one_case = TOKEN.lower()
    check = LeakCheck()
    check.codes.add("40817263")
    check.secrets.add(one_case)
    logger = logging.getLogger("tests.leak_check_probe")
    logger.addHandler(check)
    logger.propagate = False
    try:
        logger.warning("drive TD1 code 40817263")  # issued, unlabelled
        logger.warning("code 40817264, mobile 13800138000")  # never issued; the mobile is masked
        logger.warning("grant=%s", one_case)  # labelled: masked
        logger.warning("grant %s", one_case)  # unlabelled, one case
    finally:
        logger.removeHandler(check)
        logger.propagate = True
    assert check.lines == 4
    assert [leak.split(" in: ")[0] for leak in check.leaks] == ["a pick-up code", "a secret the tests created"]


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("user li@example.test", ["e-mail address"]),
        ("id 11010519491231002X", ["ID number"]),
        ("call 13800138000", ["mobile number"]),
        (f"token {API_TOKEN}", ["API token", "a secret the tests created"]),
        ("monthly_income: 25000", ["income"]),
        ("user l***@example.test call 138****8000 income_band 10,000", []),
    ],
)
def test_the_leak_check_shapes(line: str, found: list[str]) -> None:
    check = LeakCheck()
    check.secrets.add(TOKEN)
    assert check.findings(line) == found


def test_serve_configures_redacted_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from forecourt.cli import app

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    assert CliRunner().invoke(app, ["serve", "--log-level", "DEBUG"]).exit_code == 0
    assert calls[0]["log_config"] == uvicorn_log_config("debug") and calls[0]["log_level"] == "debug"
    refused = CliRunner().invoke(app, ["serve", "--log-level", "chatty"])
    assert refused.exit_code != 0 and len(calls) == 1
