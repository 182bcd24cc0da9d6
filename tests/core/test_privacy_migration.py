"""Migration 0007 rewrites existing rows: a driver verification's clear name and birth date become tokens, stored
resident-ID masks shrink to two characters, a credit decision's income-derived figures are sealed; the downgrade
puts them back. On SQLite and PostgreSQL, each in a fresh database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from forecourt.core.crypto import FieldCipher, Keyring, derive_index_key
from forecourt.core.db import make_engine
from forecourt.core.migrate import alembic_config, upgrade
from tests.conftest import _create_postgres_database, _drop_postgres_database

CIPHER = FieldCipher(Keyring.parse(Keyring.generate_key_text("k1")), index_key=derive_index_key("s" * 40))
WHEN = datetime(2026, 12, 1, tzinfo=UTC)
DECISION = {
    "outcome": "conditional",
    "tier": "A",
    "payment": "4310.37",
    "pti": "0.3630",
    "dti": "0.5100",
    "ltv": "0.8000",
    "reasons": [
        {
            "code": "pti_too_high",
            "message_en": "The monthly payment of CNY 4,310.37 would be 36.3% of your income; the limit is 35%.",
            "message_zh": "月供 4,310.37 元将占您月收入的 36.3%，超过上限 35%。",
            "detail": {"pti": "0.3630", "limit": "0.35", "payment": "4310.37"},
        }
    ],
    "stipulations": [
        {
            "code": "minimum_down_payment",
            "message_en": "Make a down payment of at least CNY 38,100.00.",
            "message_zh": "首付款须不低于 38,100.00 元。",
            "required_down_payment": "38100.00",
            "max_term_months": None,
        }
    ],
    "deal": {"price": "179800.00", "down_payment": "35960.00", "term_months": 36},
    "overrides": [],
}


@pytest.fixture
def fresh_engine(backend: str, tmp_path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'migrate.db'}" if backend == "sqlite" else _create_postgres_database()
    # SQLite: a plain engine, which leaves foreign keys unchecked (the app's turns them on), so the test rows need
    # no users, stores or quotes, even while batch mode copies the tables; PostgreSQL skips them for a replica session.
    engine = sa.create_engine(url) if backend == "sqlite" else make_engine(url)
    yield engine
    engine.dispose()
    if backend != "sqlite":
        _drop_postgres_database(url)


def _migrate(engine: Engine, how: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["field_cipher"] = CIPHER
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, how)(config, revision)


def _insert_old_rows(engine: Engine) -> None:
    meta = sa.MetaData()
    meta.reflect(engine, only=["driver_verifications", "credit_applications"])
    drivers, applications = meta.tables["driver_verifications"], meta.tables["credit_applications"]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.execute(
            drivers.insert().values(
                id=7,
                user_id=1,
                full_name="Wang Xiaoming",
                id_number_masked="440***********1231",
                id_number_digest="0" * 64,
                date_of_birth=date(1990, 3, 7),
                licence_class="C1",
                licence_expiry=date(2030, 1, 1),
                verified=True,
                provider="demo-identity",
                provider_reference="",
                refusal_reasons="",
                credit_score=780,
                credit_provider="demo-credit",
                premium_member=False,
                checked_at=WHEN,
            )
        )
        tokens = {c.name: "fc1:old" for c in applications.columns if c.name.endswith("_enc")}
        connection.execute(
            applications.insert().values(
                id=9,
                reference="CAOLD0000001",
                kind="application",
                user_id=1,
                store_id=1,
                vehicle_id=1,
                quote_id=1,
                provider_id=1,
                status="conditional",
                full_name_masked="W***",
                id_type="resident_id",
                id_number_masked="440***********1231",
                id_number_index="0" * 64,
                employment_months=48,
                income_band="CNY 10,000–20,000 / month",
                credit_score=780,
                bureau="demo-bureau",
                bureau_reference="",
                decision=DECISION,
                override_reason="",
                created_at=WHEN,
                updated_at=WHEN,
                decided_at=WHEN,
                **tokens,
            )
        )


def _row(engine: Engine, table: str) -> dict:
    with engine.connect() as connection:
        return dict(connection.execute(sa.text(f"SELECT * FROM {table}")).mappings().one())


def test_existing_rows_are_encrypted_masked_and_sealed_then_restored(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0006_leads")
    _insert_old_rows(fresh_engine)
    _migrate(fresh_engine, "upgrade", "0007_privacy_at_rest")

    driver = _row(fresh_engine, "driver_verifications")
    assert "full_name" not in driver and "date_of_birth" not in driver
    assert driver["id_number_masked"] == "4****************1" and driver["full_name_masked"] == "W***"
    assert CIPHER.decrypt(driver["full_name_enc"], context="driver_verification:7:full_name") == "Wang Xiaoming"
    assert CIPHER.decrypt(driver["date_of_birth_enc"], context="driver_verification:7:date_of_birth") == "1990-03-07"

    application = _row(fresh_engine, "credit_applications")
    clear = (
        application["decision"] if isinstance(application["decision"], dict) else json.loads(application["decision"])
    )
    assert application["id_number_masked"] == "4****************1"
    assert "pti" not in clear and "dti" not in clear and "4,310.37" not in json.dumps(clear["reasons"])
    assert clear["reasons"][0]["detail"] == {"limit": "0.35"} and clear["payment"] == "4310.37"
    assert clear["stipulations"][0]["required_down_payment"] is None
    sealed = json.loads(
        CIPHER.decrypt(application["decision_private_enc"], context="credit_application:9:decision_private")
    )
    assert sealed["pti"] == "0.3630" and sealed["reasons"] == DECISION["reasons"]
    assert sealed["stipulations"] == DECISION["stipulations"]

    _migrate(fresh_engine, "downgrade", "0006_leads")
    driver = _row(fresh_engine, "driver_verifications")
    assert (driver["full_name"], str(driver["date_of_birth"])) == ("Wang Xiaoming", "1990-03-07")
    assert "full_name_enc" not in driver
    application = _row(fresh_engine, "credit_applications")
    restored = (
        application["decision"] if isinstance(application["decision"], dict) else json.loads(application["decision"])
    )
    assert restored == DECISION and "decision_private_enc" not in application
