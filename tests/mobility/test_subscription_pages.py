"""Subscription pages through the TestClient, part one: subscribing. The plan family at a store, every bad field at
once with the input kept, sign-in on the way, the credit check explained (not verified: the licence form on the
page; no score; a score below the minimum) with the next step, a car of the class or the refusal, pick-up or
delivery (the address kept encrypted), a double submit subscribing once; my subscriptions and the nav link. The
subscription page and its changes are in test_subscription_change_pages.py.

The clock is pinned at 08:00 on 1 December 2026 in Guangzhou. People sign in with the session cookie, so every form
post carries the CSRF token the page rendered.
"""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from forecourt.core import clock
from forecourt.identity.models import DriverVerification
from forecourt.mobility.models import Subscription
from tests.backoffice.helpers import sign_in
from tests.mobility.subscription_helpers import (
    CHOICE,
    NOW,
    STORE,
    hidden,
    subscribe,
    subscribed,
    switch_to,
    verify_licence,
)
from tests.testdrive.helpers import HIGH_SCORE_ID, LOW_SCORE_ID

LANGS = ("en", "zh-Hans")


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English unless a test asks for Chinese with ?lang= (the storefront's default is Chinese)."""
    client.cookies.set("lang", "en")


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("en", ("Subscribe to a car", "1,000 km", "3 months", "CN¥699.00", "CN¥3,000.00 a month", "1,500 km a month")),
        ("zh-Hans", ("订阅汽车", "1,000公里", "3 个月", "¥699.00", "每月 ¥3,000.00", "每月含 1,500公里")),
    ],
)
def test_the_plan_family_at_the_store_shows_every_term(client, subscribers, lang, texts):
    page = client.get(f"/subscribe?lang={lang}")
    assert page.status_code == 200
    assert f'<option value="{STORE}" selected>' in page.text and 'value="sh-pudong"' not in page.text
    for text in texts:
        assert text in page.text, text
    assert 'id="class-sedan"' in page.text and 'id="class-suv"' in page.text and "4,500.00" in page.text
    assert 'id="subscribe"' in page.text  # signed out: offered, and signing in comes first


def test_signed_out_subscribers_sign_in_and_come_back_to_their_choice(client, subscribers):
    page = client.get("/subscribe").text
    data = {**CHOICE, "mobility_class": "suv", "handover": "delivery", "delivery_address": "广州市天河路88号"}
    data |= {"csrf_token": "", "idempotency_key": hidden(page, "idempotency_key")}
    answer = client.post("/subscribe", data=data, follow_redirects=False)
    assert answer.status_code == 303
    back = answer.headers["location"]
    assert back.startswith("/account/sign-in?next=/subscribe%3F") and "mobility_class%3Dsuv" in back, back
    assert "88" not in back  # the address stays out of URLs
    again = client.get("/subscribe?store=gz-self-service&mobility_class=suv&start=2026-12-05&handover=delivery").text
    assert 'value="suv" checked' in again and 'value="2026-12-05"' in again and 'value="delivery" checked' in again
    for path in ("/subscriptions", "/subscriptions/SB12345678"):
        refused = client.get(path, follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/account/sign-in?next=")


@pytest.mark.parametrize("lang", LANGS)
def test_a_bad_form_names_every_field_at_once_and_keeps_what_was_typed(client, subscribers, lang):
    sign_in(client, subscribers.subscriber)
    verify_licence(client)
    typed = {"mobility_class": "large", "start": "2026-13-01", "handover": "delivery", "delivery_address": "abc"}
    answer = subscribe(client, **typed, payment_method="cash")
    assert answer.status_code == 422, answer.text[:800]
    for name in ("mobility_class", "start", "delivery_address", "payment_method"):
        assert f'id="{name}-error"' in answer.text, name
    assert 'value="abc"' in answer.text and 'value="2026-13-01"' in answer.text
    worded = client.post(
        f"/subscribe?lang={lang}",
        data={**CHOICE, "store": "nowhere", "handover": "boat", "csrf_token": hidden(answer.text, "csrf_token")},
    )
    assert worded.status_code == 422
    assert all(f'id="{name}-error"' in worded.text for name in ("store", "handover"))
    expected = {"en": "Choose pick-up at the store or delivery.", "zh-Hans": "请选择到店取车或送车上门。"}[lang]
    assert expected in worded.text


@pytest.mark.parametrize(("start", "status"), [("2026-11-30", 422), ("2027-01-31", 422), ("2027-01-30", 303)])
def test_a_subscription_starts_today_or_within_60_days(client, subscribers, start, status):
    sign_in(client, subscribers.subscriber)
    verify_licence(client)
    answer = subscribe(client, start=start)
    assert answer.status_code == status, answer.text[:800]
    if status == 422:
        assert 'id="start-error"' in answer.text and "from today to 60 days ahead" in answer.text


def test_an_unverified_shopper_verifies_a_licence_on_the_page_then_subscribes_once(client, subscribers, db_session):
    sign_in(client, subscribers.fresh)
    page = client.get("/subscribe?lang=en").text
    assert 'data-code="identity_not_verified"' in page and 'action="/subscribe/verify"' in page
    assert 'id="subscribe"' not in page  # not offered until the credit check would pass
    refused = subscribe(client, key="an-old-tab-key")  # as a tab opened before the page stopped offering it
    assert refused.status_code == 409 and 'data-code="subscription_declined"' in refused.text
    assert "Verify your driving licence below" in refused.text
    expired = verify_licence(client, expiry="2026-11-30")
    assert expired.status_code == 422 and 'id="not-verified"' in expired.text
    verified = verify_licence(client, mobility_class="suv", start="2026-12-03")
    assert verified.status_code == 303
    assert (
        verified.headers["location"].endswith("notice=verified")
        and "mobility_class=suv" in verified.headers["location"]
    )
    ready = client.get(verified.headers["location"] + "&lang=en").text
    assert 'id="credit-approved"' in ready and "780 reaches the 620" in ready and 'id="subscribe"' in ready
    assert 'value="suv" checked' in ready
    first = subscribe(client, key="same-key-123")
    assert first.status_code == 303 and first.headers["location"].endswith("?notice=subscribed")
    second = subscribe(client, key="same-key-123")  # a double submit: the same subscription, not a second one
    assert second.headers["location"] == first.headers["location"]
    assert len(db_session.scalars(select(Subscription)).all()) == 1
    shown = client.get(first.headers["location"] + "&lang=en").text
    assert "You are subscribed" in shown and "Mondeo" in shown and "Picked up at the store" in shown


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("id_number", "score", "expected"), [(LOW_SCORE_ID, 610, "610"), (HIGH_SCORE_ID, None, "")])
def test_a_declined_credit_check_says_why_with_the_way_on(
    client, subscribers, db_session, lang, id_number, score, expected
):
    sign_in(client, subscribers.low)
    verify_licence(client, id_number)
    if score is None:  # a verified identity the bureau has no score for
        verification = db_session.scalars(
            select(DriverVerification).where(DriverVerification.user_id == subscribers.low.id)
        ).one()
        verification.credit_score = None
        db_session.commit()
    page = client.get(f"/subscribe?lang={lang}").text
    code = "score_below_minimum" if score else "no_credit_history"
    assert f'data-code="{code}"' in page and 'id="rent-instead"' in page and 'id="subscribe"' not in page
    refused = subscribe(client, key="an-old-tab-key")  # as a tab opened before the page stopped offering it
    assert refused.status_code == 409 and 'data-code="subscription_declined"' in refused.text
    words = {
        ("en", True): "Your credit score 610 is below the 620 a subscription needs.",
        ("en", False): "The credit bureau holds no score for your identity.",
        ("zh-Hans", True): "您的信用评分 610 低于订阅所需的 620。",
        ("zh-Hans", False): "征信机构没有您身份的信用评分。",
    }[(lang, bool(score))]
    problem = refused.text[refused.text.index('id="problem"') :][:1200]
    assert html.unescape(words) in html.unescape(problem) and 'href="/rent"' in problem
    assert expected in problem


def test_no_free_car_of_the_class_is_refused_with_the_next_step(client, subscribers):
    subscribed(client, subscribers.subscriber)
    switch_to(client, subscribers.other)
    verify_licence(client)
    refused = subscribe(client, start="2026-12-20")
    assert refused.status_code == 409 and 'data-code="no_subscription_car"' in refused.text
    assert "Pick another day or class." in refused.text and 'value="2026-12-20"' in refused.text


def test_delivery_keeps_the_address_encrypted_and_shows_it_to_the_subscriber(client, subscribers, db_session):
    address = "广州市天河区天河路88号"
    reference = subscribed(client, subscribers.subscriber, handover="delivery", delivery_address=address)
    row = db_session.scalars(select(Subscription).where(Subscription.reference == reference)).one()
    assert row.handover == "delivery" and row.delivery_address_enc and "天河路" not in row.delivery_address_enc
    page = client.get(f"/subscriptions/{reference}?lang=en").text
    assert f"Delivered to {address}" in page


def test_my_subscriptions_list_mine_and_the_nav_links_them(client, subscribers):
    reference = subscribed(client, subscribers.subscriber)
    mine = client.get("/subscriptions?lang=en")
    assert mine.status_code == 200 and f'href="/subscriptions/{reference}"' in mine.text
    assert 'aria-current="page">My subscriptions</a>' in mine.text and "CN¥3,000.00 a month" in mine.text
    rentals = client.get("/rentals?lang=en").text
    assert 'href="/subscriptions">My subscriptions</a>' in rentals and 'id="subscribe-instead"' in rentals
    switch_to(client, subscribers.other)
    theirs = client.get("/subscriptions?lang=zh-Hans").text
    assert reference not in theirs and 'id="no-subscriptions"' in theirs
    assert client.get(f"/subscriptions/{reference}").status_code == 404
