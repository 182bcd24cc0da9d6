"""`forecourt users ...`, `tokens create`, `outbox relay` and the demo accounts, on a temporary SQLite file."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from forecourt.accounts.models import ApiToken, User
from forecourt.accounts.tokens import digest
from forecourt.core.crypto import Keyring
from forecourt.core.db import make_engine
from forecourt.core.migrate import upgrade
from forecourt.core.settings import get_settings
from tests.factories import make_small_catalog


@pytest.fixture
def cli_database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FORECOURT_DATABASE_URL", url)
    monkeypatch.setenv("FORECOURT_OUTBOX_DIR", str(tmp_path / "outbox"))
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        make_small_catalog(session)
        session.commit()
    yield engine
    get_settings.cache_clear()
    engine.dispose()


def _cli(*args: str, input: str | None = None):  # noqa: A002 - CliRunner's name
    from forecourt.cli import app

    return CliRunner().invoke(app, list(args), input=input)


def _roles(engine, email: str) -> set[tuple[str, int | None]]:
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        return {(r.role, r.store_id) for r in user.roles}


def test_create_admin_with_prompted_password(cli_database):
    result = _cli("users", "create-admin", "--email", "Boss@Example.test", input="a-good-password\na-good-password\n")
    assert result.exit_code == 0, result.output
    assert _roles(cli_database, "boss@example.test") == {("admin", None)}


def test_create_staff_for_two_stores_and_refuse_unknown_store(cli_database):
    result = _cli(
        "users",
        "create-staff",
        "--store",
        "gz-tianhe",
        "--store",
        "sh-pudong",
        "--email",
        "s@example.test",
        "--password",
        "a-good-password",
    )
    assert result.exit_code == 0, result.output
    assert {role for role, _ in _roles(cli_database, "s@example.test")} == {"store_staff"}
    assert len(_roles(cli_database, "s@example.test")) == 2
    bad = _cli(
        "users", "create-staff", "--store", "nowhere", "--email", "t@example.test", "--password", "a-good-password"
    )
    assert bad.exit_code == 1 and "nowhere" in bad.output


def test_weak_password_is_refused(cli_database):
    result = _cli("users", "create-admin", "--email", "boss@example.test", "--password", "short")
    assert result.exit_code == 1 and "at least 10" in result.output


def test_tokens_create_prints_the_secret_once(cli_database):
    _cli("users", "create-admin", "--email", "boss@example.test", "--password", "a-good-password")
    result = _cli("tokens", "create", "--email", "boss@example.test", "--name", "ci")
    assert result.exit_code == 0, result.output
    secret = next(line for line in result.output.splitlines() if line.startswith("fc_"))
    with Session(cli_database) as session:
        assert session.scalar(select(ApiToken.token_hash).where(ApiToken.name == "ci")) == digest(secret)
    assert _cli("tokens", "create", "--email", "ghost@example.test", "--name", "x").exit_code == 1


def test_outbox_relay(cli_database):
    result = _cli("outbox", "relay")
    assert result.exit_code == 0 and "0 message(s)" in result.output


def test_demo_load_creates_demo_accounts(cli_database):
    result = _cli("demo", "load", "--vehicles", "20", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "manager@demo.forecourt.dev / forecourt-demo-2018" in result.output
    assert "admin@demo.forecourt.dev" in result.output
    assert _roles(cli_database, "admin@demo.forecourt.dev") == {("admin", None)}
    # The demo manager runs the dealer gz-tianhe and the self-service store gz-self-service.
    assert [role for role, _ in _roles(cli_database, "manager@demo.forecourt.dev")] == ["store_staff", "store_staff"]
    assert _roles(cli_database, "shopper@demo.forecourt.dev") == {("shopper", None)}
    # The stores' customers come last, and their conversions are relayed to marketing before the command ends.
    assert "customers of the Guangzhou stores (shoppers): liu.qiang@, huang.li@" in result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines[9:14]] == [
        "customer journeys",
        "store calendars",
        "credit applications",
        "orders",
        "outbox",
    ]
    assert _roles(cli_database, "liu.qiang@demo.forecourt.dev") == {("shopper", None)}
    again = _cli("demo", "load", "--if-empty")  # idempotent
    assert again.exit_code == 0, again.output
    assert "customer journeys: already loaded" in again.output  # twenty cars leave no car for their drives
    assert "outbox: 0 message(s) relayed" in again.output


def test_demo_load_is_refused_in_production(cli_database, monkeypatch):
    monkeypatch.setenv("FORECOURT_ENVIRONMENT", "production")
    monkeypatch.setenv("FORECOURT_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("FORECOURT_FIELD_ENCRYPTION_KEYS", Keyring.generate_key_text("k1"))
    get_settings.cache_clear()
    result = _cli("demo", "load")
    assert result.exit_code == 1 and "production" in result.output
