"""Consent (decline deletes and refuses), sign-in stitching, and the person-level event frame."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl
import pytest

from forecourt.core.outbox import enqueue_event
from forecourt.marketing import event_repository, visitors
from tests.backoffice.helpers import sign_in
from tests.factories import PASSWORD, make_small_catalog, make_user
from tests.marketing.helpers import EVENTS, event, make_campaign, stored, visitor_id


def consent(client, vid: str, granted: bool):
    return client.post(f"/api/v1/visitors/{vid}/consent", json={"granted": granted})


def choose(client, granted: bool):
    """What the tracker does on Accept or Decline: fetch the CSRF token, post the choice with the cookies."""
    token = client.get("/api/v1/visitors/me").json()["csrf_token"]
    return client.post("/api/v1/visitors/me/consent", json={"granted": granted}, headers={"X-CSRF-Token": token})


def accept(client) -> str:
    """Accept in this client's "browser": the server issues a visitor id (and its proof cookie)."""
    response = choose(client, True)
    assert response.status_code == 200, response.text
    return response.json()["visitor_id"]


def test_decline_deletes_touches_and_refuses_later_ones(client, db_session):
    vid, other = accept(client), visitor_id()
    client.post(
        EVENTS,
        json={"events": [event(visitor_id=vid), event(visitor_id=vid, type="vehicle_view"), event(visitor_id=other)]},
    )
    user = make_user(db_session)
    conversion = {
        "event_id": "platform:order:ORKEEP",
        "type": "order",
        "occurred_at": "2026-11-01T00:00:00+00:00",
        "user_id": user.id,
    }
    enqueue_event(db_session, conversion)
    db_session.commit()
    client.app.state.outbox_adapters()["event"].send(_last_message(db_session))
    response = choose(client, False)
    assert response.status_code == 200, response.text
    assert response.json() == {"visitor_id": vid, "consent": "declined", "deleted_events": 2}
    assert stored(db_session, visitor_id=vid) == [] and len(stored(db_session, visitor_id=other)) == 1
    assert len(stored(db_session, event_id="platform:order:ORKEEP")) == 1  # a business record stays
    later = client.post(EVENTS, json={"events": [event(visitor_id=vid), event(visitor_id=other)]}).json()
    assert later["accepted"] == 1 and later["rejected"][0]["code"] == "consent_declined"
    assert choose(client, True).json() == {"visitor_id": vid, "consent": "granted", "deleted_events": 0}
    assert client.post(EVENTS, json={"events": [event(visitor_id=vid)]}).json()["accepted"] == 1


def _last_message(session):
    from sqlalchemy import select

    from forecourt.core.outbox import OutboxMessage

    return session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1)).one()


@pytest.mark.parametrize("vid", ["short", "x" * 65, "has space!"])
def test_consent_with_a_malformed_visitor_id_is_422(client, vid):
    response = consent(client, vid, True)
    assert 400 <= response.status_code < 500 and response.headers["content-type"].startswith("application/problem")


def _form_token(client, url: str) -> str:
    response = client.get(url, headers={"accept": "text/html"})
    assert response.status_code == 200, response.text[:300]
    return re.findall(r'name="csrf_token" value="([^"]+)"', response.text)[-1]


def test_sign_in_stitches_earlier_anonymous_events(client, db_session):
    user = make_user(db_session, email="stitch@example.test")
    db_session.commit()
    vid, stranger = accept(client), visitor_id()
    client.post(
        EVENTS,
        json={
            "events": [event(event_id="before-1", visitor_id=vid), event(event_id="stranger-1", visitor_id=stranger)]
        },
    )
    frame = event_repository.person_events_frame(db_session)
    assert dict(zip(frame["event_id"], frame["person_id"], strict=True))["before-1"] == f"v:{vid}"
    token = _form_token(client, "/account/sign-in")
    signed_in = client.post(
        "/account/sign-in",
        data={"csrf_token": token, "identifier": "stitch@example.test", "password": PASSWORD, "next": "/"},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text[:300]
    client.cookies.clear()
    client.post(EVENTS, json={"events": [event(event_id="after-1", visitor_id=vid)]})
    db_session.expire_all()
    people = dict(zip(*event_repository.person_events_frame(db_session)[["event_id", "person_id"]], strict=True))
    assert people == {"before-1": f"u:{user.id}", "after-1": f"u:{user.id}", "stranger-1": f"v:{stranger}"}


def test_stitching_keeps_the_first_user_and_ignores_bad_ids(db_session):
    first, second = make_user(db_session), make_user(db_session)
    vid = visitor_id()
    assert visitors.stitch_visitor(db_session, vid, first.id)
    assert not visitors.stitch_visitor(db_session, vid, second.id)
    assert event_repository.get_visitor(db_session, vid).user_id == first.id
    assert not visitors.stitch_visitor(db_session, "bad id\n", first.id)
    assert not visitors.stitch_visitor(db_session, None, first.id)
    declined = visitor_id()
    visitors.set_consent(db_session, declined, False)
    assert not visitors.stitch_visitor(db_session, declined, first.id)


def test_person_events_frame_columns_and_filters(client, db_session):
    campaign = make_campaign(db_session)
    user = make_user(db_session)
    db_session.commit()
    from tests.marketing.helpers import marketer_headers

    headers = marketer_headers(db_session)
    vid = visitor_id()
    batch = [
        event(
            event_id="f1",
            visitor_id=vid,
            occurred_at="2026-11-01T00:00:00Z",
            utm_source="baidu",
            utm_medium="cpc",
            utm_campaign="mondeo-q4",
        ),
        event(
            event_id="f2",
            visitor_id=None,
            user_id=user.id,
            type="contact",
            occurred_at="2026-11-02T00:00:00Z",
            value="10.50",
            model_code="mondeo",
            city="guangzhou",
            store_code="gz-tianhe",
        ),
        event(event_id="f3", visitor_id=vid, type="click", occurred_at="2026-11-03T00:00:00Z"),
    ]
    assert client.post(EVENTS, json={"events": batch}, headers=headers).json()["accepted"] == 3
    frame = event_repository.person_events_frame(
        db_session, ["visit", "contact"], datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    )
    assert frame.columns == [
        "person_id",
        "at",
        "type",
        "channel",
        "campaign_code",
        "model_code",
        "city",
        "store_code",
        "value",
        "event_id",
    ]
    assert frame.schema["at"] == pl.Datetime("us", "UTC") and frame.schema["value"] == pl.Float64
    rows = {r["event_id"]: r for r in frame.iter_rows(named=True)}
    assert set(rows) == {"f1", "f2"}
    assert rows["f1"]["campaign_code"] == campaign.code and rows["f1"]["channel"] == "search"
    assert rows["f2"]["person_id"] == f"u:{user.id}" and rows["f2"]["value"] == 10.5
    assert rows["f2"]["at"] == datetime(2026, 11, 2, tzinfo=UTC)
    assert event_repository.person_events_frame(db_session, ["order"]).height == 0


def test_storefront_pages_carry_the_banner_and_tracker(client, db_session):
    make_small_catalog(db_session)
    db_session.commit()
    page = client.get("/", headers={"accept": "text/html"}).text
    assert 'id="consent-banner"' in page and "/static/js/tracker.js" in page
    script = client.get("/static/js/tracker.js")
    assert script.status_code == 200 and 'credentials: "omit"' in script.text


def test_back_office_pages_carry_no_tracker(client, db_session):
    store = make_small_catalog(db_session)["stores"]["gz-tianhe"]
    staff = make_user(db_session, roles=[("store_staff", store.id)])
    db_session.commit()
    sign_in(client, staff)
    page = client.get("/backoffice/leads", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'id="consent-banner"' not in page.text and "tracker.js" not in page.text


def test_the_json_sign_in_stitches_too(client, db_session):
    user = make_user(db_session, email="stitch-api@example.test")
    db_session.commit()
    vid = accept(client)
    client.post(EVENTS, json={"events": [event(event_id="api-before-1", visitor_id=vid)]})
    signed_in = client.post(
        "/api/v1/auth/sign-in", json={"identifier": "stitch-api@example.test", "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text[:300]
    db_session.expire_all()
    people = dict(zip(*event_repository.person_events_frame(db_session)[["event_id", "person_id"]], strict=True))
    assert people["api-before-1"] == f"u:{user.id}"


def test_sign_in_does_not_stitch_a_visitor_id_the_browser_cannot_prove(client, db_session):
    """A visitor id copied into the cookie (they are not secret: events and exports carry them) must not hand
    that visitor's history to whoever signs in."""
    make_user(db_session, email="stitch-copy@example.test")
    db_session.commit()
    victim = visitor_id()
    client.post(EVENTS, json={"events": [event(event_id="victim-1", visitor_id=victim)]})
    client.cookies.set(visitors.COOKIE, victim)
    client.cookies.set("fc_vid_proof", "forged")
    signed_in = client.post(
        "/api/v1/auth/sign-in", json={"identifier": "stitch-copy@example.test", "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text[:300]
    db_session.expire_all()
    people = dict(zip(*event_repository.person_events_frame(db_session)[["event_id", "person_id"]], strict=True))
    assert people["victim-1"] == f"v:{victim}"
