"""Subscriptions through the API and the monthly billing run: the credit decision with its reasons, a car of the
class reserved in the one reservation table, swaps (fee, one a month), pause and resume, notice to a period's end,
invoices to the cent once per period, and km from the car's own odometer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forecourt.core import clock
from forecourt.core.settings import Settings
from forecourt.integrations import build_integrations
from forecourt.mobility.models import MobilityClass, Subscription, SubscriptionInvoice, SubscriptionPlan
from forecourt.mobility.subscriptions import billing_run, terms
from forecourt.telematics.query_service import DailyOdometer
from forecourt.testdrive.models import TestDriveBooking
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle
from tests.testdrive.helpers import HIGH_SCORE_ID, LOW_SCORE_ID, key, verify

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 on 1 December in Guangzhou
SUBS = "/api/v1/subscriptions"
PAYMENTS = build_integrations(Settings(environment="test")).payments


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


@pytest.fixture
def people(db_session):
    catalog = make_small_catalog(db_session)
    store = catalog["stores"]["gz-self"]
    for code, name, models, price, km, over in (
        ("sedan", "Sedan", ["mondeo"], "3000.00", 1500, "0.80"),
        ("suv", "SUV", ["kuga"], "4500.00", 2000, "1.00"),
    ):
        mobility_class = MobilityClass(code=code, name_en=name, name_zh=name, model_codes=models, rank=0)
        db_session.add(mobility_class)
        db_session.flush()
        db_session.add(
            SubscriptionPlan(
                class_id=mobility_class.id, monthly_price=Decimal(price), km_per_month=km, per_km_over=Decimal(over)
            )
        )
    make_vehicle(db_session, catalog["trims"]["mondeo-ecoboost180"], store, pool="subscription")
    make_vehicle(db_session, catalog["trims"]["kuga-ecoboost245"], store, pool="subscription")
    users = [make_user(db_session, roles=[("shopper", None)]) for _ in range(3)]
    db_session.commit()
    return [auth_headers(make_token(db_session, user)) for user in users]


def subscribe(client, headers, mobility_class="sedan", start="2026-12-01"):
    body = {
        "store": "gz-self-service",
        "mobility_class": mobility_class,
        "start": start,
        "payment_method": "demo-card-ok",
    }
    return client.post(SUBS, json=body, headers={**headers, **key()})


def test_the_credit_decision_explains_itself(client, people):
    unverified = subscribe(client, people[0])
    assert unverified.status_code == 409 and unverified.json()["code"] == "subscription_declined"
    assert unverified.json()["reasons"][0]["code"] == "identity_not_verified"
    verify(client, people[1], LOW_SCORE_ID)
    low = subscribe(client, people[1])
    assert low.status_code == 409
    assert low.json()["reasons"] == [
        {"code": "score_below_minimum", "message": "The credit score 610 is below the 620 needed."}
    ]
    verify(client, people[2], HIGH_SCORE_ID)
    made = subscribe(client, people[2])
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["decision"][0]["code"] == "score_at_or_above_minimum" and body["status"] == "active"
    assert body["minimum_until"] == "2027-02-28" and body["segments"][0]["car"].startswith("Mondeo …")


def test_a_subscribed_car_is_promised_to_nobody_else(client, people, db_session):
    verify(client, people[1], HIGH_SCORE_ID)
    verify(client, people[2], HIGH_SCORE_ID)
    assert subscribe(client, people[1]).status_code == 201
    second = subscribe(client, people[2], start="2026-12-20")
    assert second.status_code == 409 and second.json()["code"] == "no_subscription_car"
    rows = db_session.scalars(select(TestDriveBooking).where(TestDriveBooking.purpose == "subscription")).all()
    assert len(rows) == 1 and rows[0].ends_at - rows[0].starts_at > timedelta(days=365)


def test_swap_once_a_month_then_invoice_the_split_period_to_the_cent(client, people, db_session):
    verify(client, people[2], HIGH_SCORE_ID)
    reference = subscribe(client, people[2]).json()["reference"]
    swap = client.post(
        f"{SUBS}/{reference}/swap", json={"mobility_class": "suv", "on": "2026-12-16"}, headers=people[2]
    )
    assert swap.status_code == 200, swap.text
    segments = swap.json()["segments"]
    assert [(s["mobility_class"], s["first_day"], s["last_day"]) for s in segments] == [
        ("sedan", "2026-12-01", "2026-12-15"),
        ("suv", "2026-12-16", None),
    ]
    again = client.post(
        f"{SUBS}/{reference}/swap", json={"mobility_class": "sedan", "on": "2026-12-20"}, headers=people[2]
    )
    assert again.status_code == 409 and again.json()["code"] == "swap_limit_reached"
    same = client.post(
        f"{SUBS}/{reference}/swap", json={"mobility_class": "suv", "on": "2026-12-28"}, headers=people[2]
    )
    assert same.status_code == 409 and same.json()["code"] == "swap_same_class"
    # The mondeo is free again from the swap day: someone else may subscribe to it.
    verify(client, people[1], HIGH_SCORE_ID)
    assert subscribe(client, people[1], start="2026-12-16").status_code == 201
    # 1-31 December (31 days): sedan 15 days = 3000 × 15/31 = 1451.61; suv 16 days = 4500 × 16/31 = 2322.58;
    # the swap fee 699.00; no km reported, none over. Billed on 1 January, once however often the job runs.
    made = billing_run.bill_due(db_session, PAYMENTS, now=datetime(2027, 1, 1, 1, tzinfo=UTC))
    assert made == 1  # the other subscription's first period runs to 15 January: not over yet
    again_made = billing_run.bill_due(db_session, PAYMENTS, now=datetime(2027, 1, 1, 2, tzinfo=UTC))
    assert again_made == 0
    subscription = db_session.scalars(select(Subscription).where(Subscription.reference == reference)).one()
    (invoice,) = db_session.scalars(
        select(SubscriptionInvoice).where(SubscriptionInvoice.subscription_id == subscription.id)
    ).all()
    amounts = [(line["code"], line.get("class"), Decimal(line["amount"])) for line in invoice.lines]
    assert amounts == [
        ("subscription", "sedan", Decimal("1451.61")),
        ("subscription", "suv", Decimal("2322.58")),
        ("km_over", None, Decimal("0.00")),
        ("swap_fee", None, Decimal("699.00")),
    ]
    assert invoice.total == Decimal("4473.19") and invoice.payment_id is not None
    # Allowance earned: 1500 × 15/31 = 725.8 → 726; 2000 × 16/31 = 1032.3 → 1032; 1758 unused, carried up to 1000.
    assert subscription.km_carried == terms.FAMILY.rollover_cap_km == 1000


def test_one_invoice_per_period_is_enforced_by_the_database(client, people, db_session):
    verify(client, people[2], HIGH_SCORE_ID)
    reference = subscribe(client, people[2]).json()["reference"]
    subscription = db_session.scalars(select(Subscription).where(Subscription.reference == reference)).one()
    for _ in range(2):
        db_session.add(
            SubscriptionInvoice(
                subscription_id=subscription.id,
                period_first_day=date(2026, 12, 1),
                period_last_day=date(2026, 12, 31),
                lines=[],
                total=Decimal("1.00"),
                km_driven=0,
                km_carried_out=0,
            )
        )
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_pause_and_resume_give_the_car_back_and_take_one_again(client, people):
    verify(client, people[2], HIGH_SCORE_ID)
    reference = subscribe(client, people[2]).json()["reference"]
    paused = client.post(f"{SUBS}/{reference}/pause", json={"on": "2026-12-10"}, headers=people[2])
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert paused.json()["segments"][-1]["paused"] is True and paused.json()["segments"][-1]["car"] is None
    twice = client.post(f"{SUBS}/{reference}/pause", json={"on": "2026-12-11"}, headers=people[2])
    assert twice.status_code == 409 and twice.json()["code"] == "subscription_not_active"
    resumed = client.post(f"{SUBS}/{reference}/resume", json={"on": "2026-12-20"}, headers=people[2])
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert [s["paused"] for s in resumed.json()["segments"]] == [False, True, False]


@pytest.mark.parametrize(
    ("given_on", "ends_on"),
    [
        (datetime(2026, 12, 1, 1, tzinfo=UTC), "2027-02-28"),  # inside the minimum term: its end
        (datetime(2027, 2, 1, 1, tzinfo=UTC), "2027-03-31"),  # notice reaches 3 March: that period's end
    ],
)
def test_notice_ends_the_subscription_at_a_periods_end(client, people, given_on, ends_on):
    verify(client, people[2], HIGH_SCORE_ID)
    reference = subscribe(client, people[2]).json()["reference"]
    with clock.pinned(given_on):
        cancelled = client.post(f"{SUBS}/{reference}/cancel", headers=people[2])
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["ends_on"]) == ("ending", ends_on)


def test_another_persons_subscription_is_not_found(client, people):
    verify(client, people[2], HIGH_SCORE_ID)
    reference = subscribe(client, people[2]).json()["reference"]
    assert client.get(f"{SUBS}/{reference}", headers=people[1]).status_code == 404
    assert client.post(f"{SUBS}/{reference}/cancel", headers=people[1]).status_code == 404


@pytest.mark.parametrize(
    ("readings", "km"),
    [
        ([], 0),  # the car never reported
        ([(date(2026, 11, 30), 10_000), (date(2026, 12, 15), 11_200), (date(2026, 12, 31), 12_050)], 2_050),
        ([(date(2026, 12, 5), 10_100), (date(2026, 12, 31), 10_900)], 800),  # first report inside: from it
        ([(date(2026, 11, 30), 10_000), (date(2027, 1, 1), 10_500)], 0),  # only after the period: not yet
    ],
)
def test_km_driven_come_from_the_cars_own_odometer(monkeypatch, db_session, readings, km):
    rows = [DailyOdometer(day, value) for day, value in readings]
    monkeypatch.setattr(billing_run.telemetry, "daily_odometer", lambda *args: rows)
    assert billing_run.km_driven(db_session, 1, date(2026, 12, 1), date(2026, 12, 31), "Asia/Shanghai") == km


@pytest.mark.parametrize(
    ("started", "index", "first", "last"),
    [
        (date(2027, 1, 31), 0, date(2027, 1, 31), date(2027, 2, 27)),
        (date(2027, 1, 31), 1, date(2027, 2, 28), date(2027, 3, 30)),
        (date(2026, 12, 1), 0, date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_periods_run_month_by_month_from_the_start(started, index, first, last):
    assert terms.period(started, index) == (first, last)
    assert terms.period_of(started, first) == (index, first, last)
    assert terms.period_of(started, last) == (index, first, last)


@pytest.mark.parametrize(
    ("swaps", "day", "first_allowed"),
    [
        ([], date(2026, 12, 20), date(2026, 12, 20)),  # no swap yet: that day
        ([date(2026, 12, 16)], date(2026, 12, 20), date(2027, 1, 1)),  # swapped this month: the 1st of the next
        ([date(2026, 12, 1)], date(2026, 12, 31), date(2027, 1, 1)),  # the month's last day is still this month
        ([date(2026, 11, 30)], date(2026, 12, 1), date(2026, 12, 1)),  # last month's swap does not count
        ([date(2026, 12, 16), date(2027, 1, 1)], date(2026, 12, 20), date(2027, 2, 1)),  # January is taken too
    ],
)
def test_at_most_one_swap_takes_effect_in_a_calendar_month(swaps, day, first_allowed):
    assert terms.next_swap_day(swaps, day) == first_allowed


def test_a_family_without_swaps_has_no_next_swap_day():
    with pytest.raises(ValueError, match="without swaps"):
        terms.next_swap_day([], date(2026, 12, 1), replace(terms.FAMILY, swaps_per_month=0))


def test_a_delivered_first_car_keeps_its_address_out_of_the_answer(client, people):
    verify(client, people[2], HIGH_SCORE_ID)
    body = {
        "store": "gz-self-service",
        "mobility_class": "sedan",
        "start": "2026-12-01",
        "payment_method": "demo-card-ok",
    }
    blank = client.post(SUBS, json={**body, "delivery_address": "     "}, headers={**people[2], **key()})
    assert blank.status_code == 422 and blank.json()["code"] == "delivery_address_invalid"
    made = client.post(SUBS, json={**body, "delivery_address": "广州市天河路88号"}, headers={**people[2], **key()})
    assert made.status_code == 201 and made.json()["handover"] == "delivery"
    assert "天河路" not in made.text
    picked_up = subscribe(client, people[2], mobility_class="suv")
    assert picked_up.json()["handover"] == "pickup"
