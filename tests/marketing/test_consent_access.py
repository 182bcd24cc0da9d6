"""Who may change a visitor's consent: that visitor's own browser (server-issued id + HttpOnly proof, with the
CSRF token) or an admin. Knowing a visitor id is not enough; `granted` is a strict JSON boolean."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from forecourt.marketing import visitors
from tests.backoffice.helpers import sign_in
from tests.factories import auth_headers, make_token, make_user
from tests.marketing.helpers import EVENTS, event, stored, visitor_id

ME = "/api/v1/visitors/me"
MY_CONSENT = "/api/v1/visitors/me/consent"


def _path(vid: str) -> str:
    return f"/api/v1/visitors/{vid}/consent"


def _token(client) -> str:
    return client.get(ME).json()["csrf_token"]


def _choose(client, granted: object, token: str | None = None):
    headers = {"X-CSRF-Token": token if token is not None else _token(client)}
    return client.post(MY_CONSENT, json={"granted": granted}, headers=headers)


@pytest.fixture
def other_browser(client):
    """A second browser on the same app, with its own cookie jar."""
    with TestClient(client.app, raise_server_exceptions=False) as second:
        yield second


@pytest.fixture
def victim(client, db_session) -> str:
    """A visitor who accepted in `client` and has two measured events."""
    response = _choose(client, True)
    assert response.status_code == 200, response.text
    vid = response.json()["visitor_id"]
    client.post(EVENTS, json={"events": [event(visitor_id=vid), event(visitor_id=vid, type="vehicle_view")]})
    assert len(stored(db_session, visitor_id=vid)) == 2
    return vid


def test_the_first_accept_issues_the_visitor_id_and_an_http_only_proof(client, db_session):
    assert client.get(ME).json()["visitor_id"] is None
    response = _choose(client, True)
    assert response.status_code == 200, response.text
    vid = response.json()["visitor_id"]
    assert visitors.is_visitor_id(vid) and response.json() == {
        "visitor_id": vid,
        "consent": "granted",
        "deleted_events": 0,
    }
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert "httponly" not in cookies["fc_vid"]  # the tracker puts the id into event bodies
    assert "httponly" in cookies["fc_vid_proof"] and "samesite=strict" in cookies["fc_vid_proof"]
    assert vid not in cookies["fc_vid_proof"]
    assert client.get(ME).json() == {"visitor_id": vid, "consent": "granted", "csrf_token": _token(client)}
    assert _choose(client, True).json()["visitor_id"] == vid  # the same browser keeps its id
    assert "set-cookie" not in _choose(client, False).headers


def test_declining_without_an_id_stores_nothing(client, db_session):
    response = _choose(client, False)
    assert response.status_code == 200, response.text
    assert response.json() == {"visitor_id": None, "consent": "declined", "deleted_events": 0}
    assert "fc_vid" not in client.cookies


def test_knowing_a_visitor_id_does_not_let_anyone_decline_for_them(client, other_browser, db_session, victim):
    anonymous = other_browser.post(_path(victim), json={"granted": False})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    other_browser.cookies.set(visitors.COOKIE, victim)  # the id copied into the cookie, without its proof
    assert other_browser.post(_path(victim), json={"granted": False}).status_code == 401
    assert _choose(other_browser, False).json() == {"visitor_id": None, "consent": "declined", "deleted_events": 0}
    other_browser.cookies.set("fc_vid_proof", "A" * 43)  # a forged proof
    assert other_browser.post(_path(victim), json={"granted": False}).status_code == 401
    assert len(stored(db_session, visitor_id=victim)) == 2


def test_another_visitors_browser_is_refused_alike_for_existing_and_missing_ids(other_browser, db_session, victim):
    own = _choose(other_browser, True).json()["visitor_id"]
    token = _token(other_browser)
    refused = other_browser.post(_path(victim), json={"granted": False}, headers={"X-CSRF-Token": token})
    missing = other_browser.post(_path(visitor_id()), json={"granted": False}, headers={"X-CSRF-Token": token})
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_visitor"
    assert (refused.status_code, refused.content) == (missing.status_code, missing.content)
    assert len(stored(db_session, visitor_id=victim)) == 2
    mine = other_browser.post(_path(own), json={"granted": False}, headers={"X-CSRF-Token": token})
    assert mine.status_code == 200 and mine.json()["consent"] == "declined"  # its own id, by path: allowed


def test_signed_in_non_admins_are_refused_and_an_admin_may(client, other_browser, db_session, victim):
    shopper = make_user(db_session)
    marketer_token = make_token(db_session, make_user(db_session, roles=[("marketer", None)]))
    admin_token = make_token(db_session, make_user(db_session, roles=[("admin", None)]))
    db_session.commit()
    csrf = sign_in(other_browser, shopper)
    response = other_browser.post(_path(victim), json={"granted": False}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403 and response.json()["code"] == "not_your_visitor"
    other_browser.cookies.clear()
    marketer = other_browser.post(_path(victim), json={"granted": False}, headers=auth_headers(marketer_token))
    assert marketer.status_code == 403
    assert len(stored(db_session, visitor_id=victim)) == 2
    admin = other_browser.post(_path(victim), json={"granted": False}, headers=auth_headers(admin_token))
    assert admin.status_code == 200 and admin.json() == {
        "visitor_id": victim,
        "consent": "declined",
        "deleted_events": 2,
    }
    assert stored(db_session, visitor_id=victim) == []


def test_the_visitors_own_consent_needs_the_csrf_token(client, db_session, victim):
    no_header = client.post(MY_CONSENT, json={"granted": False})
    wrong = client.post(MY_CONSENT, json={"granted": False}, headers={"X-CSRF-Token": "x" * 43})
    by_path = client.post(_path(victim), json={"granted": False})
    for response in (no_header, wrong, by_path):
        assert response.status_code == 403 and response.json()["code"] == "csrf_failed", response.text
    token = _token(client)
    del client.cookies["csrf_pre"]  # the token without its cookie: what a cross-site page could at best send
    assert client.post(MY_CONSENT, json={"granted": False}, headers={"X-CSRF-Token": token}).status_code == 403
    assert len(stored(db_session, visitor_id=victim)) == 2
    token = _token(client)
    response = client.post(_path(victim), json={"granted": False}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200 and response.json()["deleted_events"] == 2


@pytest.mark.parametrize("granted", [0, 1, "false", "true", "no", None, [], {}])
def test_granted_must_be_a_json_boolean(client, admin_token, db_session, victim, granted):
    token = _token(client)
    mine = client.post(MY_CONSENT, json={"granted": granted}, headers={"X-CSRF-Token": token})
    admin = client.post(_path(victim), json={"granted": granted}, headers=auth_headers(admin_token))
    for response in (mine, admin):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert len(stored(db_session, visitor_id=victim)) == 2
