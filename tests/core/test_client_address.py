"""Which address the per-address limits count: X-Forwarded-For is believed only from FORECOURT_TRUSTED_PROXIES."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from forecourt.accounts.models import LoginAttempt
from forecourt.app import create_app
from forecourt.core import clock
from forecourt.core.settings import Settings, parse_trusted_proxies
from tests.conftest import _joined_session
from tests.factories import PASSWORD, make_user

PEER = "10.0.0.1"  # the TCP peer: a reverse proxy, or an attacker on the same host
SPOOFED = "203.0.113.7"
SIGN_IN = "/api/v1/auth/sign-in"


@pytest.fixture
def client_behind(db_connection: Connection, test_settings: Settings) -> Iterator[Callable[[list[str]], TestClient]]:
    apps = []

    def make(trusted: list[str]) -> TestClient:
        app = create_app(test_settings.model_copy(update={"trusted_proxies": trusted}))
        app.state.session_factory = lambda: _joined_session(db_connection)
        apps.append(app)
        return TestClient(app, raise_server_exceptions=False, client=(PEER, 50000))

    yield make
    for app in apps:
        app.state.engine.dispose()


def _block(session: Session, ip: str) -> None:
    """Twenty recent failures from `ip`: its next sign-in is refused by the per-address limit."""
    now = clock.utcnow()
    session.add_all(
        LoginAttempt(ip=ip, identifier=f"x{i}", at=now - timedelta(minutes=1), succeeded=False) for i in range(20)
    )
    session.commit()


def _sign_in(client: TestClient, forwarded: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    body = {"identifier": "staff@example.test", "password": PASSWORD}
    return client.post(SIGN_IN, json=body, headers=headers).status_code


def _last_counted_ip(session: Session) -> str:
    return session.scalars(select(LoginAttempt.ip).order_by(LoginAttempt.id.desc()).limit(1)).one()


def test_without_trusted_proxies_a_spoofed_header_changes_nothing(client_behind, db_session):
    make_user(db_session, email="staff@example.test")
    _block(db_session, SPOOFED)
    client = client_behind([])
    assert _sign_in(client, SPOOFED) == 200  # the blocked address named in the header is not the one counted
    assert _last_counted_ip(db_session) == PEER
    _block(db_session, PEER)
    assert _sign_in(client, "198.51.100.1") == 429  # nor can a header escape the peer's own limit


def test_a_trusted_proxy_names_the_client(client_behind, db_session):
    make_user(db_session, email="staff@example.test")
    _block(db_session, SPOOFED)
    client = client_behind([PEER])
    assert _sign_in(client, SPOOFED) == 429
    assert _sign_in(client, "198.51.100.1") == 200
    assert _last_counted_ip(db_session) == "198.51.100.1"
    assert _sign_in(client, None) == 200  # no header: the proxy itself is the client
    assert _last_counted_ip(db_session) == PEER


def test_behind_a_trusted_proxy_the_client_cannot_prepend_an_address(client_behind, db_session):
    """The proxy appends the address it saw; what the client wrote before it is not believed."""
    make_user(db_session, email="staff@example.test")
    _block(db_session, SPOOFED)
    client = client_behind(["10.0.0.0/24"])
    assert _sign_in(client, f"{SPOOFED}, 198.51.100.9") == 200
    assert _last_counted_ip(db_session) == "198.51.100.9"
    assert _sign_in(client, f"198.51.100.9, {SPOOFED}, 10.0.0.2") == 429  # trusted hops are skipped, right to left


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", []),
        ("10.0.0.5", ["10.0.0.5"]),
        (" 10.0.0.5 , 10.1.0.0/16,::1 ", ["10.0.0.5", "10.1.0.0/16", "::1"]),
        ("10.1.2.3/16", ["10.1.0.0/16"]),
    ],
)
def test_trusted_proxies_setting_parses_addresses_and_networks(value, expected, monkeypatch):
    assert parse_trusted_proxies(value) == expected
    monkeypatch.setenv("FORECOURT_TRUSTED_PROXIES", value)
    assert Settings().trusted_proxies == expected


@pytest.mark.parametrize("value", ["*", "proxy.internal", "10.0.0.300", "10.0.0.0/33"])
def test_trusted_proxies_setting_refuses_what_is_not_an_address(value, monkeypatch):
    monkeypatch.setenv("FORECOURT_TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match="trusted proxy"):
        Settings()


@pytest.mark.parametrize(
    ("value", "proxy_headers", "allowed"), [("", False, None), ("10.0.0.5,10.1.0.0/16", True, "10.0.0.5,10.1.0.0/16")]
)
def test_serve_hands_uvicorn_the_same_trust(value, proxy_headers, allowed, monkeypatch):
    import uvicorn

    from forecourt.cli import app
    from forecourt.core.settings import get_settings

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.setenv("FORECOURT_TRUSTED_PROXIES", value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is proxy_headers and seen["forwarded_allow_ips"] == allowed
