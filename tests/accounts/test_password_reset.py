"""Password reset through the outbox, the relay and the development file adapter."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.outbox import Channel, FileMessageAdapter, OutboxMessage, enqueue, file_adapters, relay_outbox
from tests.accounts.helpers import sign_in
from tests.factories import PASSWORD, make_user

RESET = "/api/v1/auth/password-reset"


def _messages(session: Session) -> list[OutboxMessage]:
    statement = select(OutboxMessage).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    return list(session.scalars(statement))


def _code(message: OutboxMessage) -> str:
    return re.search(r"code: (\S+)", message.body).group(1).rstrip(")")


def _factory(db_connection):
    return lambda: Session(bind=db_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


def test_reset_answers_alike_and_writes_the_outbox_only_for_real_accounts(client, db_session, test_settings):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    known = client.post(RESET, json={"identifier": "LI@example.test"})
    unknown = client.post(RESET, json={"identifier": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    [message] = _messages(db_session)
    assert message.channel == "email" and message.recipient == "li@example.test"
    assert message.sent_at is not None  # relayed by the background task after the response
    log = (test_settings.outbox_dir / "email.log").read_text(encoding="utf-8")
    assert "li@example.test" in log and _code(message) in log


def test_reset_by_mobile_goes_by_sms(client, db_session):
    make_user(db_session, mobile="13900139000")
    db_session.commit()
    assert client.post(RESET, json={"identifier": "+8613900139000"}).status_code == 202
    [message] = _messages(db_session)
    assert message.channel == "sms" and message.recipient == "13900139000"


def test_reset_code_is_single_use_and_signs_out_everywhere(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    assert sign_in(client, "li@example.test", PASSWORD).status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    client.post(RESET, json={"identifier": "li@example.test"})
    code = _code(_messages(db_session)[0])

    confirm = client.post(RESET + "/confirm", json={"token": code, "password": "a-brand-new-password"})
    assert confirm.status_code == 204, confirm.text
    assert client.get("/api/v1/me").status_code == 401  # the old session was revoked
    again = client.post(RESET + "/confirm", json={"token": code, "password": "another-new-password"})
    assert again.status_code == 422 and again.json()["code"] == "invalid_reset_token"
    assert sign_in(client, "li@example.test", PASSWORD).status_code == 401
    assert sign_in(client, "li@example.test", "a-brand-new-password").status_code == 200


def test_reset_code_expires_after_30_minutes(client, db_session, monkeypatch):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    client.post(RESET, json={"identifier": "li@example.test"})
    code = _code(_messages(db_session)[0])
    later = clock.utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    response = client.post(RESET + "/confirm", json={"token": code, "password": "a-brand-new-password"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_reset_token"


@pytest.mark.parametrize(("token", "password"), [("made-up", "a-brand-new-password"), ("", "a-brand-new-password")])
def test_reset_confirm_refuses_bad_codes(client, token, password):
    response = client.post(RESET + "/confirm", json={"token": token, "password": password})
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/problem+json")


def test_reset_confirm_checks_the_new_password(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    client.post(RESET, json={"identifier": "li@example.test"})
    code = _code(_messages(db_session)[0])
    response = client.post(RESET + "/confirm", json={"token": code, "password": "li@example.test"})
    assert response.status_code == 422 and response.json()["code"] == "weak_password"


def test_relay_marks_sent_and_is_idempotent(db_connection, db_session, tmp_path):
    enqueue(db_session, Channel.EMAIL, "a@example.test", "Hello", "Body A")
    enqueue(db_session, Channel.SMS, "13800138000", "", "Body B")
    db_session.commit()
    adapters = file_adapters(tmp_path)
    assert relay_outbox(_factory(db_connection), adapters) == 2
    assert relay_outbox(_factory(db_connection), adapters) == 0
    assert all(m.sent_at is not None and m.attempts == 1 for m in _messages(db_session))
    assert "Body A" in (tmp_path / "email.log").read_text(encoding="utf-8")
    assert "Body B" in (tmp_path / "sms.log").read_text(encoding="utf-8")


def test_relay_records_failures_and_retries_later(db_connection, db_session, tmp_path):
    class Broken:
        def send(self, message: OutboxMessage) -> None:
            raise ConnectionError("smtp down")

    enqueue(db_session, Channel.EMAIL, "a@example.test", "Hello", "Body")
    db_session.commit()
    assert relay_outbox(_factory(db_connection), {"email": Broken()}) == 0
    [message] = _messages(db_session)
    assert message.sent_at is None and message.attempts == 1 and "smtp down" in message.last_error
    assert relay_outbox(_factory(db_connection), {"email": FileMessageAdapter(tmp_path, Channel.EMAIL)}) == 1
    assert (
        db_session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) == 0
    )
