"""A real uvicorn server with Forecourt's log configuration (JSON lines, the default), at DEBUG: its request lines and
its app log keep what operators need (method, route, path, status, user) and carry no secret, token, ID number,
phone number or e-mail address, in the message or in any field.

This test serves the app as `forecourt serve` does (uvicorn's access log off: the app writes one line per request)
and reads what the configured handlers wrote (captured from stdout and stderr): the reset link opened and finished,
a sign-in by password and calls with a Bearer token, an identity verification, a test drive's pick-up code.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from forecourt.app import create_app
from forecourt.core import clock
from forecourt.core.db import make_engine, make_session_factory
from forecourt.core.logging_setup import uvicorn_log_config
from forecourt.core.migrate import upgrade
from forecourt.core.settings import Settings
from tests.factories import PASSWORD
from tests.live_server import serving
from tests.log_guard import LeakCheck
from tests.testdrive.helpers import BOOKINGS, HIGH_SCORE_ID, HOLDS, NOW, SLOT, VERIFY, make_fleet

CONFIRM = "/account/password-reset/confirm"
SHOPPER_EMAIL, SHOPPER_MOBILE = "driver@example.test", "13800138000"


@contextmanager
def _logging_restored() -> Iterator[None]:
    """uvicorn's dictConfig replaces the root logger's handlers (pytest's among them): put everything back."""
    names = ["", "uvicorn", "uvicorn.access", "uvicorn.error", "uvicorn.asgi", "forecourt.request"]
    saved = {n: (lg.handlers[:], lg.filters[:], lg.level, lg.propagate) for n in names if (lg := logging.getLogger(n))}
    try:
        yield
    finally:
        for name, (handlers, filters, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:], logger.filters[:] = handlers, filters
            logger.setLevel(level)
            logger.propagate = propagate


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, object, Path, io.StringIO, io.StringIO]]:
    """Forecourt's log configuration as `forecourt serve --log-level debug` has it, its handlers writing to
    buffers instead of stdout (access log) and stderr (everything else)."""
    url = f"sqlite:///{tmp_path / 'forecourt.db'}"
    engine = make_engine(url)
    upgrade(engine)
    session = make_session_factory(engine)()
    with clock.pinned(NOW):
        fleet = make_fleet(session)
    session.close()
    engine.dispose()
    outbox = tmp_path / "outbox"
    app = create_app(Settings(environment="test", database_url=url, outbox_dir=outbox))
    out, err = io.StringIO(), io.StringIO()
    config = uvicorn_log_config("debug")
    for name, handler in config["handlers"].items():
        assert handler["filters"] == ["redact_secrets"], name  # production's filter, on every handler
        handler["stream"] = out if handler["stream"] == "ext://sys.stdout" else err
    with _logging_restored(), serving(app, log_config=config, log_level="debug", access_log=False) as base_url:
        yield base_url, fleet, outbox, out, err


class _Client(httpx.Client):
    """Retries a 503 as the answer asks: SQLite refuses a write that races the outbox relay of the previous request
    (it runs after the response) with "database is locked"."""

    def send(self, request: httpx.Request, **kwargs: object) -> httpx.Response:  # type: ignore[override]
        for _ in range(20):
            response = super().send(request, **kwargs)
            if response.status_code != 503:
                return response
            time.sleep(0.1)
        return response


def _wait_for_link(mail_log: Path, seconds: float = 10) -> str:
    """The relay writes the message after the response (a background task)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.search(r"https?://\S+", mail_log.read_text(encoding="utf-8")) if mail_log.exists() else None
        if found:
            return found.group(0)
        time.sleep(0.05)
    pytest.fail("no reset message in the outbox")


def _exercise(base_url: str, fleet, outbox: Path) -> dict[str, str]:
    """Walk through every flow that handles a secret; returns the secrets that went over the wire."""
    seen: dict[str, str] = {"shopper token": fleet.shopper["Authorization"].split()[1]}
    with _Client(base_url=base_url, follow_redirects=False) as web, clock.pinned(NOW):
        signed_in = web.post("/api/v1/auth/sign-in", json={"identifier": SHOPPER_EMAIL, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        seen["session id"] = web.cookies["forecourt_session"]
        assert web.get("/api/v1/me", headers=fleet.shopper).status_code == 200
        assert web.get("/api/v1/me", params={"api_key": seen["shopper token"]}).status_code in (200, 401)
        verified = web.post(
            VERIFY,
            json={"full_name": "Li Lei", "id_number": HIGH_SCORE_ID, "licence_expiry": "2030-01-01"},
            headers=fleet.shopper,
        )
        assert verified.status_code == 200, verified.text
        car = fleet.self_service_car
        held = web.post(
            HOLDS,
            json={"vin": car.vin, "kind": "self_service", "days": 2, "start": SLOT},
            headers={**fleet.shopper, "Idempotency-Key": "log-test-hold"},
        )
        assert held.status_code == 201, held.text
        reference = held.json()["reference"]
        confirmed = web.post(
            f"{BOOKINGS}/{reference}/confirm", json={}, headers={**fleet.shopper, "Idempotency-Key": "log-test-ok"}
        )
        seen["pick-up code"] = confirmed.json()["pickup_code"]
        with clock.pinned(NOW + timedelta(hours=26)):
            out = web.post(
                f"{BOOKINGS}/{reference}/check-out",
                json={"odometer_km": 12000, "energy_percent": 80, "pickup_code": seen["pick-up code"]},
                headers=fleet.staff,
            )
        assert out.status_code == 200, out.text

        assert web.post("/api/v1/auth/password-reset", json={"identifier": SHOPPER_EMAIL}).status_code == 202
        link = _wait_for_link(outbox / "email.log")
        seen["reset token"] = link.split("token=", 1)[1]
        opened = web.get(link)
        assert opened.status_code == 303 and opened.headers["location"] == CONFIRM
        seen["reset grant"] = web.cookies["forecourt_reset"]
        form = web.get(CONFIRM).text
        csrf = re.findall(r'name="csrf_token" value="([^"]+)"', form)[-1]
        seen["csrf token"] = csrf
        new = "a-brand-new-password"
        done = web.post(CONFIRM, data={"csrf_token": csrf, "password": new, "password_confirm": new})
        assert done.status_code == 303 and done.headers["location"] == "/account/sign-in?changed=1"
    # A library and the app log the secrets outright: the handlers' filter must catch both.
    logging.getLogger("somelibrary").warning("retrying %s for %s", link, SHOPPER_MOBILE)
    logging.getLogger("forecourt.test_server_logs").error(
        "user %s (%s, ID %s) token=%s", SHOPPER_EMAIL, SHOPPER_MOBILE, HIGH_SCORE_ID, seen["shopper token"]
    )
    return seen


def test_the_server_logs_keep_requests_and_lose_secrets(live) -> None:
    base_url, fleet, outbox, out, err = live
    seen = _exercise(base_url, fleet, outbox)
    assert out.getvalue() == ""  # no access log: a request is written once, by the app
    entries = [json.loads(line) for line in err.getvalue().splitlines()]  # every line is one JSON object
    requests = [entry for entry in entries if entry["logger"] == "forecourt.request"]

    # Operators keep method, route, path and status; only the token's value is gone.
    def served(method: str, path: str, status: int | None = None) -> list[dict]:
        return [
            e
            for e in requests
            if e["method"] == method and e["path"] == path and (status is None or e["status"] == status)
        ]

    assert served("POST", "/api/v1/auth/sign-in", 200)
    assert served("POST", "/api/v1/me/driver-verification", 200)
    assert served("GET", "/api/v1/me?api_key=***")
    assert any(e["route"] == f"{BOOKINGS}/{{reference}}/check-out" and e["status"] == 200 for e in requests)
    assert served("GET", f"{CONFIRM}?token=***", 303) and served("POST", CONFIRM, 303)
    shopper = served("GET", "/api/v1/me", 200)[0]  # with the shopper's Bearer token
    assert shopper["user_id"] == fleet.shopper_id and shopper["client"] == "127.0.0.1"
    assert all(len(e["request_id"]) == 24 for e in requests)

    def logged(logger: str) -> list[str]:
        return [e["message"] for e in entries if e["logger"] == logger]

    assert any("retrying" in m and "token=***" in m and "138****8000" in m for m in logged("somelibrary"))
    assert any(m.startswith("user d***@example.test (138****8000") for m in logged("forecourt.test_server_logs"))
    assert any(m.startswith("HTTP Request:") and "token=***" in m for m in logged("httpx"))  # a client's log
    assert logged("uvicorn.error")

    everything = out.getvalue() + err.getvalue()
    for what, secret in seen.items():
        assert secret and secret not in everything, f"the {what} is in the server's log"
    for value in (HIGH_SCORE_ID, SHOPPER_MOBILE, SHOPPER_EMAIL):
        assert value not in everything
    check = LeakCheck()
    leaks = [finding for line in everything.splitlines() for finding in check.findings(line)]
    assert leaks == [], leaks
