"""The emailed reset link is exchanged for a browser-bound grant on first use; the token never works again.

A token copied from an access log, a proxy or browser history is worthless once its owner opened the link: the
first GET sets a grant cookie and redirects to the same page without the token, and from then on only that
browser's grant (not the token, typed or linked, on the page or the API) can set the password.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.outbox import OutboxMessage
from tests.accounts.helpers import audit_actions, sign_in
from tests.factories import PASSWORD, make_user

HTML = {"accept": "text/html"}
CONFIRM = "/account/password-reset/confirm"
GRANT = "forecourt_reset"
NEW = "a-brand-new-password"


def _form(client: TestClient, url: str = CONFIRM) -> str:
    response = client.get(url, headers=HTML)
    assert response.status_code == 200, response.text[:300]
    return response.text


def _confirm(client: TestClient, password: str = NEW, **fields: str):
    csrf = re.findall(r'name="csrf_token" value="([^"]+)"', _form(client))[-1]
    data = {"csrf_token": csrf, "password": password, "password_confirm": password, **fields}
    return client.post(CONFIRM, data=data, headers=HTML, follow_redirects=False)


def _request_link(client: TestClient, session: Session, email: str = "li@example.test") -> str:
    """Ask for a reset by e-mail; the link's path and query, as the mail's reader would open it."""
    make_user(session, email=email)
    session.commit()
    client.cookies.set("lang", "en")
    csrf = re.findall(r'name="csrf_token" value="([^"]+)"', _form(client, "/account/password-reset"))[-1]
    client.post("/account/password-reset", data={"csrf_token": csrf, "identifier": email}, headers=HTML)
    statement = select(OutboxMessage).order_by(OutboxMessage.id.desc()).execution_options(populate_existing=True)
    body = session.scalars(statement).first().body
    link = urlsplit(re.search(r"https?://\S+", body).group(0))
    return f"{link.path}?{link.query}"


def _other_browser(client: TestClient) -> TestClient:
    other = TestClient(client.app, raise_server_exceptions=False)
    other.cookies.set("lang", "en")
    return other


def test_opening_the_link_sets_a_grant_and_drops_the_token_from_the_url(client, db_session):
    link = _request_link(client, db_session)
    opened = client.get(link, headers=HTML, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == CONFIRM  # no token in the next URL
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"{GRANT}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/account/password-reset" in cookie and opened.headers["cache-control"] == "no-store"
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert 1700 < max_age <= 1800  # dies with the token, 30 minutes after the request
    grant = client.cookies.get(GRANT)
    assert grant and grant not in link

    page = _form(client)
    assert "Your reset link is open in this browser" in page and 'name="token"' not in page
    short = _confirm(client, password="short")
    assert short.status_code == 422 and 'name="token"' not in short.text  # still working from the grant
    done = _confirm(client)
    assert done.status_code == 303 and done.headers["location"] == "/account/sign-in?changed=1"
    assert f'{GRANT}=""' in done.headers["set-cookie"]  # the grant is cleared
    assert sign_in(client, "li@example.test", NEW).status_code == 200
    assert sign_in(client, "li@example.test", PASSWORD).status_code == 401
    assert "auth.password_reset_link_opened" in audit_actions(db_session)

    client.cookies.set(GRANT, grant, path="/account/password-reset")  # a grant is single-use too
    again = _confirm(client, password="another-new-password")
    assert again.status_code == 422 and "opened in another browser" in again.text


def test_an_opened_link_is_worthless_in_another_browser_and_as_a_code(client, db_session):
    link = _request_link(client, db_session)
    token = link.split("token=", 1)[1]
    assert client.get(link, headers=HTML, follow_redirects=False).status_code == 303

    thief = _other_browser(client)
    stolen = thief.get(link, headers=HTML, follow_redirects=False)
    assert stolen.status_code == 303 and stolen.headers["location"] == f"{CONFIRM}?link=invalid"
    assert GRANT not in thief.cookies
    page = _form(thief, stolen.headers["location"])
    assert "opened in another browser" in page and 'name="token"' in page
    typed = _confirm(thief, token=token)
    assert typed.status_code == 422 and "This reset code is invalid, used or expired" in typed.text
    api = thief.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW})
    assert api.status_code == 422 and api.json()["code"] == "invalid_reset_token"
    assert sign_in(thief, "li@example.test", PASSWORD).status_code == 200  # nothing changed

    assert _confirm(client).status_code == 303  # the owner's browser still can


def test_the_same_browser_may_open_its_link_twice(client, db_session):
    link = _request_link(client, db_session)
    first = client.get(link, headers=HTML, follow_redirects=False)
    grant = client.cookies.get(GRANT)
    second = client.get(link, headers=HTML, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"] == CONFIRM
    assert client.cookies.get(GRANT) == grant
    assert _confirm(client).status_code == 303


def test_a_typed_code_is_posted_in_the_body_and_needs_no_link(client, db_session):
    link = _request_link(client, db_session)
    code = link.split("token=", 1)[1]
    page = _form(client)
    assert 'name="token"' in page and 'action="/account/password-reset/confirm" method="post"' in page
    assert _confirm(client, token=code).status_code == 303
    assert sign_in(client, "li@example.test", NEW).status_code == 200


@pytest.mark.parametrize(("minutes", "works"), [(29, True), (30, False)])
def test_the_grant_lasts_as_long_as_the_token(client, db_session, monkeypatch, minutes, works):
    link = _request_link(client, db_session)
    start = clock.utcnow()
    monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(minutes=minutes))
    # Opened late: a still-valid link opens; an expired one does not.
    opened = client.get(link, headers=HTML, follow_redirects=False)
    assert opened.headers["location"] == (CONFIRM if works else f"{CONFIRM}?link=invalid")
    assert (GRANT in client.cookies) is works


def test_an_open_grant_expires_with_its_token(client, db_session, monkeypatch):
    link = _request_link(client, db_session)
    client.get(link, headers=HTML, follow_redirects=False)
    later = clock.utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert 'name="token"' in _form(client)  # the page no longer offers the grant
    expired = _confirm(client)
    assert expired.status_code == 422 and "opened in another browser" in expired.text


def test_a_forged_grant_and_an_empty_form_are_refused(client, db_session):
    _request_link(client, db_session)
    client.cookies.set(GRANT, "x" * 43, path="/account/password-reset")
    assert 'name="token"' in _form(client)
    forged = _confirm(client)
    assert forged.status_code == 422 and "opened in another browser" in forged.text
    client.cookies.delete(GRANT, path="/account/password-reset")
    empty = _confirm(client)
    assert empty.status_code == 422 and "Enter the reset code" in empty.text


def test_old_style_links_are_passed_on_to_the_exchange(client, db_session):
    link = _request_link(client, db_session)
    token = link.split("token=", 1)[1]
    hop = client.get(f"/account/password-reset?token={token}", headers=HTML, follow_redirects=False)
    assert hop.status_code == 303 and hop.headers["location"] == link
    assert client.get(link, headers=HTML, follow_redirects=False).headers["location"] == CONFIRM
