"""Sign-up, sign-in, lock-out, per-IP limits, sign-out, sessions and CSRF, on both backends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forecourt.accounts.models import LoginAttempt, LoginSession, SignUpRequest, User
from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from tests.accounts.helpers import SIGN_IN, audit_actions, sign_in
from tests.factories import PASSWORD, auth_headers, make_token, make_user

SIGN_UP = "/api/v1/auth/sign-up"
SIGN_UP_CONFIRM = "/api/v1/auth/sign-up/confirm"


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code, response.json()
    return response.json()


def _messages(session) -> list[OutboxMessage]:
    statement = select(OutboxMessage).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    return list(session.scalars(statement))


def _code(message: OutboxMessage) -> str:
    return re.search(r"code: (\S+)", message.body).group(1)


def test_sign_up_is_confirmed_by_email_then_creates_a_signed_in_shopper(client, db_session):
    response = client.post(
        SIGN_UP, json={"email": " Li.Lei@Example.CN ", "password": "a-good-password", "display_name": "李雷"}
    )
    assert response.status_code == 202, response.text
    assert "Check your email or text messages" in response.json()["detail"] and "set-cookie" not in response.headers
    assert db_session.scalar(select(User.id).where(User.email == "li.lei@example.cn")) is None  # not yet
    [message] = _messages(db_session)
    assert message.channel == "email" and message.recipient == "li.lei@example.cn"
    assert "/account/sign-up/confirm?token=" in message.body and message.sent_at is not None

    confirmed = client.post(SIGN_UP_CONFIRM, json={"token": _code(message)})
    assert confirmed.status_code == 201, confirmed.text
    body = confirmed.json()
    assert body["user"]["email"] == "li.lei@example.cn" and body["roles"] == [{"role": "shopper", "store_id": None}]
    assert body["csrf_token"] and client.get("/api/v1/me").json()["user"]["display_name"] == "李雷"
    _problem(client.post(SIGN_UP_CONFIRM, json={"token": _code(message)}), 422, "invalid_sign_up_code")  # single use
    assert "auth.signed_up" in audit_actions(db_session)


def test_sign_up_for_a_taken_address_answers_alike_and_tells_its_owner(client, db_session):
    owner = make_user(db_session, email="li.lei@example.cn")
    db_session.commit()
    again = client.post(SIGN_UP, json={"email": "LI.LEI@example.cn", "password": "another-password"})
    assert again.status_code == 202, again.text
    assert "Check your email or text messages" in again.json()["detail"] and "set-cookie" not in again.headers
    [notice] = _messages(db_session)
    assert notice.channel == "email" and notice.recipient == "li.lei@example.cn"
    assert "Someone tried to create a Forecourt account with your email address" in notice.body
    assert "/account/sign-in" in notice.body and "/account/password-reset" in notice.body and "code" not in notice.body
    assert db_session.scalar(select(func.count()).select_from(SignUpRequest)) == 0
    assert db_session.scalar(select(func.count()).select_from(User)) == 1
    assert sign_in(client, "li.lei@example.cn", "another-password").status_code == 401  # nothing changed
    assert db_session.get(User, owner.id).password_hash == owner.password_hash


def test_sign_up_with_mobile_normalises_it_and_confirms_by_sms(client, db_session):
    response = client.post(SIGN_UP, json={"mobile": "+86 138-0013-8000", "password": "a-good-password"})
    assert response.status_code == 202, response.text
    [message] = _messages(db_session)
    assert message.channel == "sms" and message.recipient == "13800138000"
    confirmed = client.post(SIGN_UP_CONFIRM, json={"token": _code(message)})
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["user"]["mobile"] == "13800138000"
    assert sign_in(client, "13800138000", "a-good-password").status_code == 200


def test_sign_up_code_expires_after_a_day(client, db_session, monkeypatch):
    client.post(SIGN_UP, json={"email": "li@example.cn", "password": "a-good-password"})
    [message] = _messages(db_session)
    later = clock.utcnow() + timedelta(hours=24, seconds=1)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    _problem(client.post(SIGN_UP_CONFIRM, json={"token": _code(message)}), 422, "invalid_sign_up_code")
    _problem(client.post(SIGN_UP_CONFIRM, json={"token": "not-a-code"}), 422, "invalid_sign_up_code")
    assert db_session.scalar(select(User.id).where(User.email == "li@example.cn")) is None


def test_two_sign_ups_for_one_address_make_one_account_with_the_confirmed_password(client, db_session):
    """A second sign-up cannot change the password of the first: each request keeps its own."""
    client.post(SIGN_UP, json={"email": "li@example.cn", "password": "first-password"})
    client.post(SIGN_UP, json={"email": "li@example.cn", "password": "second-password"})
    first, second = _messages(db_session)
    assert client.post(SIGN_UP_CONFIRM, json={"token": _code(first)}).status_code == 201
    _problem(client.post(SIGN_UP_CONFIRM, json={"token": _code(second)}), 422, "invalid_sign_up_code")
    client.cookies.clear()
    assert sign_in(client, "li@example.cn", "first-password").status_code == 200
    assert sign_in(client, "li@example.cn", "second-password").status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "li@example.cn", "password": "short"}, 422, "password"),
        ({"email": "li@example.cn", "password": "x" * 129}, 422, "password"),
        ({"email": "li@example.cn", "password": "LI@example.cn"}, 422, "password"),
        ({"email": "not-an-email", "password": "a-good-password"}, 422, "email"),
        ({"mobile": "12800138000", "password": "a-good-password"}, 422, "mobile"),
        ({"password": "a-good-password"}, 422, None),
        ({"email": "li@example.cn", "password": "a-good-password", "role": "admin"}, 422, "role"),
    ],
)
def test_sign_up_refuses_bad_input(client, db_session, body, status, field):
    response = client.post(SIGN_UP, json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field:
        assert field in {e["field"] for e in response.json()["errors"]}, response.json()
    assert db_session.scalar(select(User.id).where(User.email == "li@example.cn")) is None
    assert db_session.scalar(select(func.count()).select_from(SignUpRequest)) == 0
    assert _messages(db_session) == []


def test_sign_in_sets_an_http_only_lax_cookie(client, db_session):
    user = make_user(db_session, email="staff@example.test")
    db_session.commit()
    response = sign_in(client, "STAFF@example.test", PASSWORD)
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("forecourt_session=") and "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    assert response.json()["user"]["id"] == user.id and response.json()["csrf_token"]
    stored = db_session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).one()
    assert response.cookies["forecourt_session"] != stored.token_hash and len(stored.token_hash) == 64
    assert stored.expires_at - stored.created_at == timedelta(days=14)
    assert "auth.signed_in" in audit_actions(db_session)


def test_https_uses_the_host_prefixed_secure_cookie(client, db_session):
    make_user(db_session, email="staff@example.test")
    db_session.commit()
    response = client.post(
        "https://testserver" + SIGN_IN, json={"identifier": "staff@example.test", "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-forecourt_session=") and "secure" in cookie.lower()
    assert "domain" not in cookie.lower()


def test_wrong_password_and_unknown_account_answer_alike(client, db_session):
    make_user(db_session, email="staff@example.test")
    db_session.commit()
    wrong = _problem(sign_in(client, "staff@example.test", "wrong-password"), 401, "invalid_credentials")
    unknown = _problem(sign_in(client, "nobody@example.test", "wrong-password"), 401, "invalid_credentials")
    assert wrong["detail"] == unknown["detail"]
    assert "set-cookie" not in sign_in(client, "staff@example.test", "wrong-password").headers
    assert "auth.sign_in_failed" in audit_actions(db_session)


def test_lock_out_after_five_failures_until_it_expires(client, db_session, monkeypatch):
    make_user(db_session, email="staff@example.test")
    db_session.commit()
    for _ in range(4):
        _problem(sign_in(client, "staff@example.test", "wrong-password"), 401, "invalid_credentials")
    locked = sign_in(client, "staff@example.test", "wrong-password")
    body = _problem(locked, 429, "account_locked")
    assert "try again after" in body["detail"] and "password" not in body["detail"]
    assert int(locked.headers["retry-after"]) == 15 * 60
    _problem(sign_in(client, "staff@example.test", PASSWORD), 429, "account_locked")  # right password, still locked

    later = clock.utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert sign_in(client, "staff@example.test", PASSWORD).status_code == 200


def test_per_ip_limit_answers_429_with_retry_after(client, db_session):
    make_user(db_session, email="staff@example.test")
    now = clock.utcnow()
    db_session.add_all(
        [
            LoginAttempt(ip="testclient", identifier=f"x{i}", at=now - timedelta(minutes=10), succeeded=False)
            for i in range(20)
        ]
    )
    db_session.commit()
    response = sign_in(client, "staff@example.test", PASSWORD)
    _problem(response, 429, "rate_limited")
    assert 0 < int(response.headers["retry-after"]) <= 5 * 60 + 1


def test_sign_out_revokes_the_session(client, db_session):
    make_user(db_session, email="staff@example.test")
    db_session.commit()
    csrf = sign_in(client, "staff@example.test", PASSWORD).json()["csrf_token"]
    cookie = client.cookies["forecourt_session"]
    assert client.post("/api/v1/auth/sign-out", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    client.cookies.set("forecourt_session", cookie)
    response = client.get("/api/v1/me")
    _problem(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


def test_csrf_is_required_for_cookie_writes_only(client, db_session):
    user = make_user(db_session, email="staff@example.test")
    token = make_token(db_session, user)
    db_session.commit()
    csrf = sign_in(client, "staff@example.test", PASSWORD).json()["csrf_token"]
    _problem(client.post("/api/v1/me/tokens", json={"name": "a"}), 403, "csrf_failed")
    _problem(
        client.post("/api/v1/me/tokens", json={"name": "a"}, headers={"X-CSRF-Token": "wrong"}), 403, "csrf_failed"
    )
    assert client.post("/api/v1/me/tokens", json={"name": "a"}, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert client.get("/api/v1/me/tokens").status_code == 200  # reads need no token
    client.cookies.clear()
    assert client.post("/api/v1/me/tokens", json={"name": "b"}, headers=auth_headers(token)).status_code == 201


def test_csrf_token_in_a_form_field(client, db_session):
    make_user(db_session, email="staff@example.test")
    db_session.commit()
    csrf = sign_in(client, "staff@example.test", PASSWORD).json()["csrf_token"]
    _problem(client.post("/api/v1/auth/sign-out", data={"csrf_token": "nope"}), 403, "csrf_failed")
    assert client.post("/api/v1/auth/sign-out", data={"csrf_token": csrf}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_api_tokens_create_use_revoke(client, db_session):
    user = make_user(db_session, roles=[("marketer", None)], email="m@example.test")
    bootstrap = make_token(db_session, user, "bootstrap")
    db_session.commit()
    created = client.post("/api/v1/me/tokens", json={"name": "sync"}, headers=auth_headers(bootstrap))
    assert created.status_code == 201, created.text
    secret, token_id = created.json()["token"], created.json()["id"]
    assert secret.startswith("fc_") and created.json()["prefix"] == secret[:8]
    listed = client.get("/api/v1/me/tokens", headers=auth_headers(secret)).json()
    assert [t["name"] for t in listed] == ["bootstrap", "sync"] and all("token" not in t for t in listed)
    me = client.get("/api/v1/me", headers=auth_headers(secret)).json()
    assert me["roles"] == [{"role": "marketer", "store_id": None}] and me["csrf_token"] is None

    assert client.delete(f"/api/v1/me/tokens/{token_id}", headers=auth_headers(bootstrap)).status_code == 204
    revoked = client.get("/api/v1/me", headers=auth_headers(secret))
    _problem(revoked, 401, "invalid_token")
    assert revoked.headers["www-authenticate"] == "Bearer"
    assert {"token.created", "token.revoked"} <= set(audit_actions(db_session))


def test_someone_elses_token_cannot_be_revoked(client, db_session):
    mine, theirs = make_user(db_session), make_user(db_session)
    my_token = make_token(db_session, mine)
    make_token(db_session, theirs)
    db_session.commit()
    their_id = client.get("/api/v1/me/tokens", headers=auth_headers(my_token)).json()[0]["id"] + 1
    _problem(client.delete(f"/api/v1/me/tokens/{their_id}", headers=auth_headers(my_token)), 404, "token_not_found")


def test_malformed_authorization_is_401(client):
    _problem(client.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401, "invalid_token")
    _problem(client.get("/api/v1/me", headers=auth_headers("fc_not-a-token")), 401, "invalid_token")
