"""Subscription pages through the TestClient, part two: the subscription page (the car now, history, invoices to the
cent, km this month against the allowance and the rollover, the next invoice, the purchase credit) and its changes —
swap (the fee and the day it takes effect; once a calendar month, saying when the next is possible), pause and
resume (at most 60 days), notice (the last day shown first) — each refusal in words with the next step, and every
refusal code the use cases raise worded in both languages. Someone else's subscription is not found.

The clock is pinned at 08:00 on 1 December 2026 in Guangzhou (tests/mobility/test_subscription_pages.py).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from forecourt.core import clock
from forecourt.core.settings import Settings
from forecourt.integrations import build_integrations
from forecourt.mobility.models import SubscriptionSegment
from forecourt.mobility.subscriptions import billing_run, service, terms
from forecourt.telematics.query_service import DailyOdometer
from forecourt.web.page_helpers import Problem
from forecourt.web.templating import environment
from tests.mobility.subscription_helpers import (
    NOW,
    hidden,
    page_and_csrf,
    subscribed,
    switch_to,
    verify_licence,
)
from tests.mobility.subscription_helpers import subscribe as subscribe_form

PAYMENTS = build_integrations(Settings(environment="test")).payments
SOURCES = Path(service.__file__).parent


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English unless a test asks for Chinese with ?lang= (the storefront's default is Chinese)."""
    client.cookies.set("lang", "en")


def change(client, reference: str, action: str, key: str | None = None, lang: str = "en", **fields: str):
    page, csrf = page_and_csrf(client, f"/subscriptions/{reference}")
    data = {"csrf_token": csrf, "idempotency_key": key or hidden(page, "idempotency_key"), **fields}
    return client.post(f"/subscriptions/{reference}/{action}?lang={lang}", data=data, follow_redirects=False)


def change_with_key(client, reference: str, action: str, lang: str = "en", **fields: str):
    """Post a change the page no longer offers (as an old tab would), with a key of its own."""
    _, csrf = page_and_csrf(client, f"/subscriptions/{reference}")
    data = {"csrf_token": csrf, "idempotency_key": f"old-tab-{action}-key", **fields}
    return client.post(f"/subscriptions/{reference}/{action}?lang={lang}", data=data, follow_redirects=False)


def problem_of(answer) -> str:
    text = answer.text
    return re.sub(r"\s+", " ", text[text.index('id="problem"') :][:1000])


def test_the_page_reads_history_invoices_km_and_the_purchase_credit(client, subscribers, db_session, monkeypatch):
    reference = subscribed(client, subscribers.subscriber)
    assert change(client, reference, "swap", mobility_class="suv", on="2026-12-16").status_code == 303
    assert "From December 16, 2026: SUV" in client.get(f"/subscriptions/{reference}").text
    assert billing_run.bill_due(db_session, PAYMENTS, now=datetime(2027, 1, 1, 1, tzinfo=UTC)) == 1
    db_session.commit()
    # The car reported 10,000 km before January and 13,200 km on the 4th: 3,200 km against 2,000 + 1,000 carried.
    readings = [DailyOdometer(date(2026, 12, 31), 10_000), DailyOdometer(date(2027, 1, 4), 13_200)]
    monkeypatch.setattr(billing_run.telemetry, "daily_odometer", lambda *args: readings)
    with clock.pinned(datetime(2027, 1, 5, 2, tzinfo=UTC)):
        switch_to(client, subscribers.subscriber)  # a month on: the session of December has lapsed
        page = client.get(f"/subscriptions/{reference}").text
        chinese = client.get(f"/subscriptions/{reference}?lang=zh-Hans").text
    lines = re.findall(
        r'data-code="(\w+)"><span class="rn-line-what">.*?<span class="rn-amount">([^<]+)</span>', page, re.DOTALL
    )
    assert lines == [
        ("subscription", "CN¥1,451.61"),  # 3,000.00 × 15/31
        ("subscription", "CN¥2,322.58"),  # 4,500.00 × 16/31
        ("km_over", "CN¥0.00"),
        ("swap_fee", "CN¥699.00"),
    ]
    assert "CN¥4,473.19 · paid" in page and "Sedan subscription" in page and "15 days" in page
    assert re.search(r'id="next-invoice">February 1, 2027<', page)
    km = dict(re.findall(r'id="km-(\w+)">([^<]+)<', page))
    assert km == {"driven": "3,200 km", "earned": "2,000 km", "carried": "1,000 km", "over": "200 km"}
    assert "CN¥2,236.60" in page[page.index('id="purchase-credit"') :][:200]  # 50 % of 4,473.19 = 2,236.595, half up
    assert len(re.findall(r'data-kind="car"', page)) == 2 and "Swapped in, for a fee of CN¥699.00" in page
    assert "¥4,473.19" in chinese and "换车费" in chinese and "超出额度" in chinese


@pytest.mark.parametrize(("lang", "next_swap"), [("en", "January 1, 2027"), ("zh-Hans", "2027年1月1日")])
def test_a_swap_shows_its_fee_and_day_and_the_next_possible_swap(client, subscribers, db_session, lang, next_swap):
    reference = subscribed(client, subscribers.subscriber)
    page = client.get(f"/subscriptions/{reference}?lang={lang}").text
    form = page[page.index('id="swap-form"') :][:3000]
    assert 'value="suv"' in form and 'value="sedan"' not in form  # the store's other class only
    assert 'min="2026-12-02" max="2026-12-31" value="2026-12-02"' in form  # after the first day, 30 days ahead
    assert "699.00" in form[form.index('id="swap-fee"') :][:300]
    first = change(client, reference, "swap", key="swap-key-1", mobility_class="suv", on="2026-12-16")
    again = change(client, reference, "swap", key="swap-key-1", mobility_class="suv", on="2026-12-16")
    assert first.status_code == again.status_code == 303 and first.headers["location"].endswith("notice=swap")
    assert len(db_session.scalars(select(SubscriptionSegment)).all()) == 2  # the double submit swapped once
    after = client.get(f"/subscriptions/{reference}?lang={lang}").text
    assert 'id="swap-form"' not in after and next_swap in after[after.index('id="next-swap"') :][:400]
    refused = change(client, reference, "swap", lang=lang, mobility_class="sedan", on="2026-12-20")
    assert refused.status_code == 409 and 'data-code="swap_limit_reached"' in refused.text
    assert next_swap in problem_of(refused)


@pytest.mark.parametrize(
    ("on", "target", "code", "status", "words"),
    [
        ("2026-12-31", "suv", None, 303, None),  # 30 days ahead: the last day allowed
        ("2027-01-01", "suv", "change_day_invalid", 422, "Pick a day from today to 30 days ahead."),
        ("2026-12-01", "suv", "change_same_day", 409, "Only one change a day"),
        ("2026-12-10", "sedan", "swap_same_class", 409, "That is the class you have now. Pick another class."),
        ("2026-12-10", "large", "class_not_found", 404, "This class is not offered by subscription."),
        ("2026-02-30", "suv", None, 422, "Enter a date (YYYY-MM-DD)."),
    ],
)
def test_a_refused_swap_says_why_and_keeps_the_day(client, subscribers, on, target, code, status, words):
    reference = subscribed(client, subscribers.subscriber)
    answer = change(client, reference, "swap", mobility_class=target, on=on)
    assert answer.status_code == status, answer.text[:800]
    if code:
        assert f'data-code="{code}"' in answer.text and words in problem_of(answer)
    elif status == 422:
        assert 'id="swap_on-error"' in answer.text and words in answer.text
    if status != 303:
        assert f'value="{on}"' in answer.text


def test_a_swap_to_a_class_with_no_free_car_is_refused(client, subscribers):
    reference = subscribed(client, subscribers.subscriber)
    switch_to(client, subscribers.other)
    verify_licence(client)
    assert subscribe_form(client, mobility_class="suv").status_code == 303  # the store's one Kuga
    switch_to(client, subscribers.subscriber)
    refused = change(client, reference, "swap", mobility_class="suv", on="2026-12-10")
    assert refused.status_code == 409 and "Pick another day or class." in problem_of(refused)


def test_pause_then_resume_each_offered_only_when_it_can_be_done(client, subscribers):
    reference = subscribed(client, subscribers.subscriber)
    assert change(client, reference, "pause", key="pause-key-1", on="2026-12-10").status_code == 303
    assert change(client, reference, "pause", key="pause-key-1", on="2026-12-10").status_code == 303  # replayed
    page = client.get(f"/subscriptions/{reference}").text
    assert "Paused" in page[page.index('id="status"') :][:200] and "From December 10, 2026: paused." in page
    assert 'id="pause-form"' not in page and 'id="swap-form"' not in page
    assert 'id="resume_on" name="on" type="date" min="2026-12-11" max="2026-12-31"' in page
    twice = change(client, reference, "pause", on="2026-12-12")
    assert twice.status_code == 409 and "Your subscription is paused: resume it first." in problem_of(twice)
    assert change(client, reference, "resume", on="2026-12-20").status_code == 303
    resumed = client.get(f"/subscriptions/{reference}").text
    assert 'id="pause-form"' in resumed and 'id="resume-form"' not in resumed
    again = change(client, reference, "resume", on="2026-12-24")
    assert again.status_code == 409 and "Only a paused subscription can be resumed." in problem_of(again)


def test_a_pause_lasts_at_most_60_days(client, subscribers):
    reference = subscribed(client, subscribers.subscriber)
    assert change(client, reference, "pause", on="2026-12-02").status_code == 303
    with clock.pinned(datetime(2027, 1, 20, 0, tzinfo=UTC)):
        switch_to(client, subscribers.subscriber)  # weeks on: the session of December has lapsed
        page = client.get(f"/subscriptions/{reference}").text
        assert 'min="2027-01-20" max="2027-01-31"' in page  # 2 December + 60 days
        late = change(client, reference, "resume", on="2027-02-01")
        assert late.status_code == 409 and "Pick a day up to January 31, 2027." in problem_of(late)
    with clock.pinned(datetime(2027, 2, 5, 0, tzinfo=UTC)):
        switch_to(client, subscribers.subscriber)
        over = client.get(f"/subscriptions/{reference}").text
        assert 'id="resume-form"' not in over and 'id="pause-over"' in over
        refused = change(client, reference, "resume")
        assert refused.status_code == 409 and "Please contact the store" in problem_of(refused)


@pytest.mark.parametrize(("lang", "last_day"), [("en", "February 28, 2027"), ("zh-Hans", "2027年2月28日")])
def test_notice_shows_the_last_day_first_then_no_change_is_offered(client, subscribers, lang, last_day):
    reference = subscribed(client, subscribers.subscriber)
    page = client.get(f"/subscriptions/{reference}?lang={lang}").text
    assert last_day in page[page.index('id="notice-end"') :][:300]  # inside the minimum term: its end
    assert change(client, reference, "cancel", lang=lang).status_code == 303
    ending = client.get(f"/subscriptions/{reference}?lang={lang}").text
    assert 'class="badge td-badge sb-ending"' in ending and last_day in ending[ending.index('id="ends-on"') :][:200]
    assert 'id="changes"' not in ending
    assert change_with_key(client, reference, "cancel").status_code == 303  # giving notice twice changes nothing
    refused = change_with_key(client, reference, "pause", lang=lang, on="2026-12-10")
    assert refused.status_code == 409 and last_day in problem_of(refused)


def test_someone_elses_subscription_is_not_found_and_signed_out_posts_sign_in_first(client, subscribers):
    reference = subscribed(client, subscribers.subscriber)
    csrf = switch_to(client, subscribers.other)
    assert client.get(f"/subscriptions/{reference}").status_code == 404
    for action in ("swap", "pause", "resume", "cancel"):
        data = {"csrf_token": csrf, "idempotency_key": "other-key-1", "mobility_class": "suv"}
        assert client.post(f"/subscriptions/{reference}/{action}", data=data).status_code == 404, action
    client.cookies.clear()
    for action in ("swap", "pause", "resume", "cancel"):
        answer = client.post(f"/subscriptions/{reference}/{action}", data={"csrf_token": ""}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/account/sign-in?next=")


def _raised_codes() -> set[str]:
    """Every refusal code the subscribe and change use cases raise, read from their source (and their callees')."""
    text = "".join((SOURCES / name).read_text() for name in ("service.py", "eligibility.py"))
    codes = set(re.findall(r'code="([a-z_]+)"', text))
    codes |= {f"subscription_not_{status}" for status in ("active", "paused")}  # code=f"subscription_not_{status}"
    codes.discard("subscription_not_found")  # answered with the 404 page, never on the subscription's page
    return codes | {"class_not_found", "store_not_found", "car_promised"}  # fleet.get_class, catalog, reservations


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_every_refusal_code_of_the_use_cases_is_worded_in_both_languages(lang):
    template = environment(lang).from_string(
        '{% import "mobility/_subscription_macros.html" as sb with context %}{{ sb.problem_text(problem, view, 610) }}'
    )
    view = SimpleNamespace(
        today=date(2026, 12, 1),
        resume_by=date(2026, 12, 20),
        subscription=SimpleNamespace(status="active", ends_on=None),
    )
    extra = {"reasons": [{"code": "score_below_minimum"}], "next_swap_on": date(2027, 1, 1)}

    def worded(code: str) -> str:
        problem = Problem(code, 409, f"English message of {code}", extra)
        return " ".join(template.render(problem=problem, view=view, family=terms.FAMILY).split())

    fallback = worded("not_a_code_of_these_pages")
    codes = _raised_codes()
    assert {"swap_limit_reached", "pause_too_long", "no_subscription_car", "subscription_declined"} <= codes
    for code in sorted(codes):
        text = worded(code)
        assert text and text != fallback and "English message" not in text, (code, text)
        if lang == "zh-Hans":
            assert re.search(r"[\u4e00-\u9fff]", text), (code, text)
