"""The class test of "no secret in any log line": every test runs with log capture at DEBUG, and fails if a line
carries a secret the suite created or anything shaped like a token, ID number, phone number, e-mail or income.

A handler with the production redaction filter and JSON formatter (as `forecourt serve` configures them) listens on
the root logger and on uvicorn's loggers; it formats every record, `extra` fields included (the request lines carry
path, client and user in them), as a real handler would, and checks the line:

- against the secrets the tests themselves create: every 32-byte random value of `secrets.token_urlsafe`
  (session ids, API tokens, reset tokens and grants, CSRF tokens) and every pick-up code issued;
- against shapes, written independently of the redaction's own patterns: 18-character ID numbers, mainland
  mobile numbers, full e-mail addresses, `fc_` tokens, and incomes beside their label.

SQLAlchemy's engine logging is left at WARNING: at DEBUG it logs every row of every query, which would make the
suite crawl; its parameters are hidden by `make_engine` (`hide_parameters`), tested on its own.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from functools import wraps

import pytest

from forecourt.core.json_logging import JsonFormatter
from forecourt.core.masking import RedactingFilter
from forecourt.testdrive import handover

CAPTURED_LOGGERS = ("", "uvicorn", "uvicorn.access", "uvicorn.error")
QUIET_LOGGERS = {"sqlalchemy": logging.WARNING}
SHAPES = {
    "ID number": re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"),
    "mobile number": re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),
    "e-mail address": re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+\.[A-Za-z]{2,}"),
    "API token": re.compile(r"fc_[A-Za-z0-9_-]{20,}"),
    "income": re.compile(r"(?i)(income|salary|收入)\W{0,4}\d{3,}"),
}
_RUN = re.compile(r"[A-Za-z0-9_-]{43,}")
_DIGITS = re.compile(r"(?<!\d)\d{8}(?!\d)")
SECRET_LENGTH = 43  # secrets.token_urlsafe(32)


class LeakCheck(logging.Handler):
    """Formats each record as a production handler would (after the same redaction filter) and notes leaks."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.secrets: set[str] = set()
        self.codes: set[str] = set()
        self.leaks: list[str] = []
        self.lines = 0
        self.addFilter(RedactingFilter())
        self.setFormatter(JsonFormatter())  # production's default: the message, traceback and every `extra` field

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("uvicorn.access") and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args  # what uvicorn's AccessFormatter writes
            line = f'{record.name} {client} - "{method} {path} HTTP/{version}" {status}'
        else:
            line = self.format(record)
        self.lines += 1
        self.leaks.extend(f"{what} in: {line}" for what in self.findings(line))

    def findings(self, line: str) -> list[str]:
        found = [name for name, shape in SHAPES.items() if shape.search(line)]
        for run in _RUN.findall(line):
            if any(run[i : i + SECRET_LENGTH] in self.secrets for i in range(len(run) - SECRET_LENGTH + 1)):
                found.append("a secret the tests created")
        if any(code in self.codes for code in _DIGITS.findall(line)):
            found.append("a pick-up code")
        return found

    def attach(self) -> None:
        """(Re-)attach: a live uvicorn server re-configures its loggers and drops foreign handlers."""
        for name in CAPTURED_LOGGERS:
            logger = logging.getLogger(name)
            if self not in logger.handlers:
                logger.addHandler(self)


@pytest.fixture(scope="session", autouse=True)
def leak_check() -> Iterator[LeakCheck]:
    check = LeakCheck()
    token_urlsafe, issue_pickup_code = secrets.token_urlsafe, handover.issue_pickup_code

    @wraps(token_urlsafe)
    def recording_token_urlsafe(nbytes: int | None = None) -> str:
        value = token_urlsafe(nbytes)
        if len(value) >= SECRET_LENGTH:
            check.secrets.add(value[:SECRET_LENGTH])
        return value

    @wraps(issue_pickup_code)
    def recording_issue_pickup_code(*args: object, **kwargs: object) -> str:
        code = issue_pickup_code(*args, **kwargs)
        check.codes.add(code)
        return code

    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in [*CAPTURED_LOGGERS, *QUIET_LOGGERS]}
    secrets.token_urlsafe, handover.issue_pickup_code = recording_token_urlsafe, recording_issue_pickup_code
    root.setLevel(logging.DEBUG)
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    check.attach()
    yield check
    secrets.token_urlsafe, handover.issue_pickup_code = token_urlsafe, issue_pickup_code
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).removeHandler(check)


@pytest.fixture(autouse=True)
def no_secret_in_any_log_line(leak_check: LeakCheck) -> Iterator[None]:
    leak_check.attach()
    leak_check.leaks.clear()
    yield
    leaks, leak_check.leaks = leak_check.leaks, []
    if leaks:
        pytest.fail("secrets in log lines:\n" + "\n".join(leaks[:20]), pytrace=False)
