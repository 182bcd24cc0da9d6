"""Account pages (sign-up, sign-in/out, my account, API tokens, password reset) on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.accounts.models import LoginAttempt, User
from forecourt.accounts.page_support import safe_next
from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from tests.factories import PASSWORD, make_small_catalog, make_user

HTML = {"accept": "text/html"}
SESSION_COOKIE = "forecourt_session"  # plain HTTP in tests; __Host-forecourt_session over HTTPS


def _form_token(client, url: str) -> str:
    response = client.get(url, headers=HTML)
    assert response.status_code == 200, response.text[:500]
    return re.findall(r'name="csrf_token" value="([^"]+)"', response.text)[-1]  # the form's, not the header's


def _post(client, url: str, data: dict, token_from: str | None = None):
    token = _form_token(client, token_from or url)
    return client.post(url, data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False)


def _sign_in(client, identifier: str, password: str = PASSWORD, next_path: str = "/"):
    return _post(client, "/account/sign-in", {"identifier": identifier, "password": password, "next": next_path})


def _sign_up(client, **fields):
    data = {
        "identifier": "li.lei@example.cn",
        "display_name": "李雷",
        "password": "a-good-password",
        "password_confirm": "a-good-password",
        **fields,
    }
    return _post(client, "/account/sign-up", data)


def _user(session: Session, email: str) -> User:
    return session.scalars(select(User).where(User.email == email).execution_options(populate_existing=True)).one()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ['<html lang="en">', "<h1>Sign in</h1>", "Email address or mobile number", "Forgotten your password?"]),
        ("zh-Hans", ['<html lang="zh-Hans">', "<h1>登录</h1>", "电子邮箱或手机号", "忘记密码？"]),
    ],
)
def test_sign_in_page_in_both_languages(client, lang, expected):
    response = client.get(f"/account/sign-in?lang={lang}", headers=HTML)
    assert response.status_code == 200
    for text in expected:
        assert text in response.text
    assert 'autocomplete="username"' in response.text and 'autocomplete="current-password"' in response.text
    cookie = response.headers["set-cookie"]
    assert "csrf_pre=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
@pytest.mark.parametrize(
    "path",
    ["/account/sign-up", "/account/sign-up/confirm", "/account/password-reset", "/account/password-reset/confirm"],
)
def test_other_anonymous_forms_render_in_both_languages(client, path, lang):
    response = client.get(f"{path}?lang={lang}", headers=HTML)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text and 'name="csrf_token"' in response.text
    if path == "/account/sign-up":
        assert response.text.count('autocomplete="new-password"') == 2
        assert ("Create an account" if lang == "en" else "创建账户") in response.text


def _outbox(session: Session) -> list[OutboxMessage]:
    statement = select(OutboxMessage).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    return list(session.scalars(statement))


def _confirm_sign_up(client, code: str, next_path: str = "/"):
    return _post(client, "/account/sign-up/confirm", {"token": code, "next": next_path})


def test_sign_up_sends_a_link_that_creates_the_account_signs_in_and_redirects(client, db_session):
    client.cookies.set("lang", "en")
    response = _sign_up(client, next="/vehicles")
    assert response.status_code == 200 and SESSION_COOKIE not in response.cookies
    assert "Check your email or text messages to continue" in response.text and "li.lei@example.cn" in response.text
    [message] = _outbox(db_session)
    link = urlsplit(re.search(r"https?://\S+", message.body).group(0))
    assert message.recipient == "li.lei@example.cn" and link.path == "/account/sign-up/confirm"
    # Opening the link confirms at once and redirects without the code (so a logged copy of it is worthless)
    response = client.get(f"{link.path}?{link.query}", headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/vehicles"
    assert SESSION_COOKIE in response.cookies
    assert "HttpOnly" in response.headers["set-cookie"] and "SameSite=lax" in response.headers["set-cookie"]
    client.cookies.delete(SESSION_COOKIE)
    again = client.get(f"{link.path}?{link.query}", headers=HTML, follow_redirects=False)
    assert again.status_code == 303 and SESSION_COOKIE not in again.cookies
    assert again.headers["location"] == "/account/sign-up/confirm?next=%2Fvehicles&link=invalid"
    used = client.get(again.headers["location"], headers=HTML).text
    assert "token=" not in used and 'name="next" value="/vehicles"' in used and "invalid, used or expired" in used
    client.cookies.set(SESSION_COOKIE, response.cookies[SESSION_COOKIE])
    home = client.get("/?lang=en", headers=HTML).text
    assert "李雷" in home and 'href="/account"' in home and 'action="/account/sign-out"' in home
    assert "Sign up" not in home
    mine = client.get("/account?lang=en", headers=HTML)
    assert mine.status_code == 200 and "li.lei@example.cn" in mine.text and "Shopper" in mine.text
    assert _user(db_session, "li.lei@example.cn").display_name == "李雷"


def test_sign_up_with_a_mobile_number(client, db_session):
    assert _sign_up(client, identifier="+86 138 0013 8000").status_code == 200
    [message] = _outbox(db_session)
    assert message.channel == "sms" and message.recipient == "13800138000"
    code = re.search(r"code: (\S+)", message.body).group(1)
    assert _confirm_sign_up(client, code).status_code == 303
    assert client.get("/account?lang=en", headers=HTML).text.count("13800138000") == 1


def test_sign_up_errors_are_shown_in_chinese_next_to_the_fields(client):
    client.cookies.set("lang", "zh-Hans")
    response = _sign_up(client, identifier="12345", display_name="小明", password="short", password_confirm="other")
    assert response.status_code == 422
    page = response.text
    assert '<html lang="zh-Hans">' in page and "出现问题" in page
    assert 'href="#identifier"' in page and 'href="#password"' in page and 'href="#password_confirm"' in page
    assert re.search(r'id="identifier" name="identifier" type="text" value="12345"[^>]*aria-invalid="true"', page)
    assert 'value="小明"' in page  # kept
    assert 'value="short"' not in page and 'value="other"' not in page  # passwords are never echoed
    assert "密码至少需要 10 个字符" in page and "两次输入的密码不一致" in page


def test_sign_up_for_a_taken_address_answers_alike_and_tells_the_owner(client, db_session):
    make_user(db_session, email="li.lei@example.cn")
    db_session.commit()
    client.cookies.set("lang", "en")
    response = _sign_up(client, identifier="LI.LEI@example.cn")
    assert response.status_code == 200 and SESSION_COOKIE not in response.cookies
    assert "Check your email or text messages to continue" in response.text
    assert "already exists" not in response.text
    [notice] = _outbox(db_session)
    assert notice.recipient == "li.lei@example.cn" and "Someone tried to create a Forecourt account" in notice.body


def test_a_wrong_sign_up_code_is_explained_in_chinese(client):
    client.cookies.set("lang", "zh-Hans")
    response = _confirm_sign_up(client, "not-a-code")
    assert response.status_code == 422 and SESSION_COOKIE not in response.cookies
    assert "确认码无效、已使用或已过期" in response.text


def test_sign_in_with_a_wrong_password_says_so_generically(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    client.cookies.set("lang", "en")
    response = _sign_in(client, "li@example.test", "wrong-password")
    assert response.status_code == 422
    assert "The email address, mobile number or password is wrong." in response.text
    assert 'value="li@example.test"' in response.text and "wrong-password" not in response.text
    unknown = _sign_in(client, "nobody@example.test", "wrong-password")
    assert "The email address, mobile number or password is wrong." in unknown.text  # no account enumeration
    assert _user(db_session, "li@example.test").failed_logins == 1  # committed although refused


def test_sign_in_redirects_to_next_and_the_header_shows_the_user(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    response = _sign_in(client, "li@example.test", next_path="/stores?lang=en")
    assert response.status_code == 303 and response.headers["location"] == "/stores?lang=en"
    assert "li" in client.get("/stores", headers=HTML).text
    assert (
        client.get("/account/sign-in?next=/vehicles", headers=HTML, follow_redirects=False).headers["location"]
        == "/vehicles"
    )


def test_lock_out_says_when_to_retry(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    client.cookies.set("lang", "en")
    for _ in range(4):
        assert _sign_in(client, "li@example.test", "wrong-password").status_code == 422
    locked = _sign_in(client, "li@example.test", "wrong-password")
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) == 900
    assert "Too many failed sign-ins for this account. Try again in 15 minutes" in locked.text
    still = _sign_in(client, "li@example.test", PASSWORD)  # the right password does not unlock it
    assert still.status_code == 429 and SESSION_COOKIE not in still.cookies
    client.cookies.set("lang", "zh-Hans")
    assert "15 分钟后再试" in _sign_in(client, "li@example.test", PASSWORD).text


def test_rate_limit_of_a_network_says_when_to_retry(client, db_session):
    now = clock.utcnow()
    db_session.add_all(LoginAttempt(ip="testclient", identifier="x", at=now, succeeded=False) for _ in range(20))
    db_session.commit()
    client.cookies.set("lang", "en")
    response = _sign_in(client, "li@example.test", "whatever-password")
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert "Too many failed sign-ins from your network. Try again in 15 minutes." in response.text


def test_sign_out_ends_the_session(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    assert _sign_in(client, "li@example.test").status_code == 303
    session_token = _form_token(client, "/account")
    response = client.post(
        "/account/sign-out", data={"csrf_token": session_token}, headers=HTML, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert SESSION_COOKIE not in client.cookies
    again = client.get("/account", headers=HTML, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/account/sign-in?next=%2Faccount"


def test_sign_out_needs_the_session_csrf_token(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    _sign_in(client, "li@example.test")
    client.cookies.set("lang", "en")
    response = client.post("/account/sign-out", data={"csrf_token": "forged"}, headers=HTML, follow_redirects=False)
    assert response.status_code == 403 and "This form has expired" in response.text
    assert client.get("/account", headers=HTML, follow_redirects=False).status_code == 200  # still signed in


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/vehicles?q=mondeo", "/vehicles?q=mondeo"),
        ("/", "/"),
        ("//evil.example", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("", "/"),
        (None, "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_safe_next_refuses_other_sites(given, expected):
    assert safe_next(given) == expected


def test_open_redirect_is_refused(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    page = client.get("/account/sign-in?next=//evil.example", headers=HTML).text
    assert 'name="next" value="/"' in page
    response = _sign_in(client, "li@example.test", next_path="//evil.example")
    assert response.status_code == 303 and response.headers["location"] == "/"


@pytest.mark.parametrize(
    "path",
    [
        "/account/sign-in",
        "/account/sign-up",
        "/account/sign-up/confirm",
        "/account/password-reset",
        "/account/password-reset/confirm",
    ],
)
def test_anonymous_forms_refuse_a_post_without_the_csrf_cookie_and_field(client, path):
    _form_token(client, path)
    no_field = client.post(f"{path}?lang=en", data={"identifier": "li@example.test"}, headers=HTML)
    assert no_field.status_code == 403 and "This form has expired" in no_field.text
    token = client.cookies.get("csrf_pre")
    client.cookies.delete("csrf_pre")
    no_cookie = client.post(f"{path}?lang=zh-Hans", data={"csrf_token": token}, headers=HTML)
    assert no_cookie.status_code == 403 and '<html lang="zh-Hans">' in no_cookie.text


def _reset_link(session: Session) -> str:
    statement = select(OutboxMessage).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    [message] = session.scalars(statement)
    match = re.search(r"https?://\S+", message.body)
    return match.group(0)


def test_password_reset_by_email_then_confirm_changes_the_password(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    client.cookies.set("lang", "en")
    known = _post(client, "/account/password-reset", {"identifier": "li@example.test"})
    unknown = _post(client, "/account/password-reset", {"identifier": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 200
    assert "If an account exists for" in known.text and "If an account exists for" in unknown.text
    link = urlsplit(_reset_link(db_session))  # only the real account got a message
    assert link.path == "/account/password-reset/confirm"
    code = link.query.removeprefix("token=")  # typed on the page, as SMS users do (the link: test_reset_pages.py)

    short = _post(
        client, "/account/password-reset/confirm", {"token": code, "password": "short", "password_confirm": "short"}
    )
    assert short.status_code == 422 and "Use at least 10 characters" in short.text
    done = _post(
        client,
        "/account/password-reset/confirm",
        {"token": code, "password": "a-brand-new-password", "password_confirm": "a-brand-new-password"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/account/sign-in?changed=1"
    assert "Your password has been changed" in client.get(done.headers["location"], headers=HTML).text
    assert _sign_in(client, "li@example.test", PASSWORD).status_code == 422
    assert _sign_in(client, "li@example.test", "a-brand-new-password").status_code == 303

    used = _post(
        client,
        "/account/password-reset/confirm",
        {"token": code, "password": "another-new-password", "password_confirm": "another-new-password"},
    )
    assert used.status_code == 422 and "This reset code is invalid, used or expired" in used.text


def test_api_tokens_are_created_shown_once_and_revoked(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    _sign_in(client, "li@example.test")
    client.cookies.set("lang", "en")
    created = _post(client, "/account/tokens", {"name": "inventory sync"})
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    secret = re.search(r'<code class="secret">(fc_[^<]+)</code>', created.text).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = client.get("/account/tokens", headers=HTML).text
    assert "inventory sync" in listing and secret not in listing
    token_id = re.search(r'action="/account/tokens/(\d+)/revoke"', listing).group(1)
    revoked = _post(client, f"/account/tokens/{token_id}/revoke", {}, token_from="/account/tokens")
    assert revoked.status_code == 303
    assert "Revoked" in client.get("/account/tokens", headers=HTML).text
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    blank = _post(client, "/account/tokens", {"name": "  "})
    assert blank.status_code == 422 and "Give the token a name" in blank.text


def test_token_forms_need_the_session_csrf_token(client, db_session):
    make_user(db_session, email="li@example.test")
    db_session.commit()
    _sign_in(client, "li@example.test")
    response = client.post("/account/tokens", data={"name": "x"}, headers=HTML)
    assert response.status_code == 403


def test_staff_see_the_back_office_link_and_their_stores(client, db_session):
    store = make_small_catalog(db_session)["stores"]["gz-tianhe"]
    make_user(db_session, roles=[("store_staff", store.id)], email="staff@example.test")
    make_user(db_session, email="shopper@example.test", roles=[("shopper", None)])
    db_session.commit()
    _sign_in(client, "staff@example.test")
    page = client.get("/account?lang=en", headers=HTML).text
    assert 'href="/backoffice"' in page and f"Store staff at {store.name_en}" in page
    client.cookies.clear()
    _sign_in(client, "shopper@example.test")
    assert 'href="/backoffice"' not in client.get("/account?lang=en", headers=HTML).text
