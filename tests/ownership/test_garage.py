"""My garage and the lease page through the API and the pages, on SQLite and PostgreSQL: the owner's cars with the
standing from the exact schedule, the car's connected status in plain words, the lease figures equal to the pure
core's on the same odometer readings (stored through telematics' ingest), hidden under 14 days, the lease-end
options from 120 days before the end, and nobody else's car."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from forecourt.ownership.calendar_months import add_months
from forecourt.ownership.leases.contract_terms import lease_end_contract, mileage_terms
from forecourt.ownership.leases.lease_end import buy_option, return_option
from forecourt.ownership.leases.mileage import lease_mileage
from forecourt.ownership.models import OwnershipContract
from forecourt.ownership.odometer import OdometerReading
from forecourt.ownership.records import service as records
from forecourt.telematics import service as telematics
from forecourt.telematics.service import IncomingMessage
from forecourt.telematics.signals import DTC_LIST, FUEL_LEVEL, ODOMETER, telemetry_topic
from tests.ownership.helpers import GARAGE, NOW, backdate, completed_order, make_world, record_odometer

pytestmark = pytest.mark.pinned_clock(NOW)

DELIVERED = date(2024, 3, 1)  # a 36-month lease ending 1 March 2027: 90 days after NOW, options shown


@pytest.fixture
def world(db_session):
    return make_world(db_session)


def _weekly(start: date, start_km: int, until: date, km_per_day: int) -> list[tuple[date, int]]:
    out, day = [], start + timedelta(days=7)
    while day <= until:
        out.append((day, start_km + (day - start).days * km_per_day))
        day += timedelta(days=7)
    return out


@pytest.fixture
def lease(db_session, world):
    ownership, _ = completed_order(db_session, world, "lease")
    backdate(db_session, ownership, DELIVERED)
    readings = _weekly(DELIVERED, ownership.start_odometer_km, NOW.date(), 36)  # 13,140 km a year on 10,000
    record_odometer(db_session, ownership.vin, readings)
    return ownership, readings


def test_the_garage_lists_the_owners_cars_with_their_standing(client, db_session, world):
    loan, quote = completed_order(db_session, world, "loan")
    cars = client.get(GARAGE, headers=world.headers["owner"]).json()
    assert [c["reference"] for c in cars] == [loan.reference]
    card = client.get(f"{GARAGE}/{loan.reference}", headers=world.headers["owner"]).json()
    assert card["contract"]["monthly_payment"] == str(quote.monthly_payment)
    assert card["standing"]["payments_left"] == 36 and card["standing"]["next_payment"]["due_on"] == "2027-01-01"
    assert card["standing"]["balance"] == quote.figures["note_principal"]
    assert len(card["schedule"]) == 36 and card["schedule"][0]["amount"] == str(quote.monthly_payment)
    assert [d["url"] for d in card["documents"]] == [f"/quotes/{quote.reference}", f"/quotes/{quote.reference}.pdf"]
    assert card["lease_url"] is None
    # A new car, never serviced: the first service (3 months or 5,000 km, whichever first) and nothing else.
    contract = db_session.get(OwnershipContract, loan.id)
    assert set(card["sections"]) == {"service_status"}
    service = card["sections"]["service_status"]
    assert service["due_on"] == add_months(contract.delivered_on, 3).isoformat()
    assert service["due_km"] == contract.delivery_odometer_km + 5_000 and service["first_service"] is True
    assert service["stage"] == "none" and service["book_url"] == f"/garage/cars/{loan.vin}/service"
    assert client.get(f"/quotes/{quote.reference}.pdf", headers=world.headers["owner"]).status_code == 200


def test_nobody_else_sees_the_car(client, db_session, world):
    loan, _ = completed_order(db_session, world, "loan")
    assert client.get(GARAGE, headers=world.headers["other"]).json() == []
    for who in ("other", "staff", "admin"):
        assert client.get(f"{GARAGE}/{loan.reference}", headers=world.headers[who]).status_code == 404
        assert client.get(f"{GARAGE}/{loan.reference}/lease", headers=world.headers[who]).status_code == 404
    assert client.get(GARAGE).status_code == 401
    page = client.get(f"/garage/{loan.reference}", headers=world.headers["other"])
    assert page.status_code == 404


def test_the_connected_status_in_plain_words(client, db_session, world):
    cash, _ = completed_order(db_session, world, "cash")
    telematics.provision(db_session, cash.vin, NOW)
    sample = {
        "seq": 1,
        "ts": (NOW - timedelta(hours=1)).isoformat(),
        "signals": {ODOMETER: 1_234_567, FUEL_LEVEL: 61.4, DTC_LIST: ["P0301"]},
    }
    telematics.store_batch(db_session, [IncomingMessage(telemetry_topic(cash.vin), json.dumps(sample).encode())], NOW)
    db_session.commit()
    card = client.get(f"{GARAGE}/{cash.reference}", headers=world.headers["owner"]).json()
    assert card["connected"]["odometer_km"] == 1235 and card["connected"]["level_percent"] == 61
    assert card["connected"]["fault_codes"] == [
        {"code": "P0301", "en": "Cylinder 1 misfire", "zh": "第 1 缸缺火", "severe": True}
    ]
    page = client.get(f"/garage/{cash.reference}?lang=zh-Hans", headers=world.headers["owner"])
    assert "第 1 缸缺火" in page.text and "请先检查再继续行驶" in page.text


def test_the_lease_figures_are_the_pure_cores(client, db_session, world, lease):
    ownership, readings = lease
    got = client.get(f"{GARAGE}/{ownership.reference}/lease", headers=world.headers["owner"]).json()
    terms = records.terms_of(db_session.get(OwnershipContract, ownership.id))
    core = lease_mileage(mileage_terms(terms), [OdometerReading(d, km) for d, km in readings], NOW.date())
    p = core.projection
    assert got["allowance_km"] == core.allowance_km == 30_000
    assert got["driven_km"] == core.driven_km and got["hidden_because"] is None
    assert (got["projection"]["projected_km"], got["projection"]["excess_km"]) == (p.projected_km, p.excess_km)
    assert Decimal(got["projection"]["excess_charge"]) == p.excess_charge
    assert Decimal(got["projection"]["percent_over"]) == p.percent_over and p.percent_over > 30
    assert [s["kind"] for s in got["steps"]] == [
        "allowance",
        "driven",
        "daily_rate",
        "days_left",
        "projected",
        "excess",
        "charge",
    ]
    assert got["steps"][6]["result"] == str(p.excess_charge)
    options = got["options"]
    contract = lease_end_contract(terms, NOW.date())
    expected_return = return_option(contract, core)
    assert got["options_due"] and Decimal(options["return_total_due"]) == expected_return.total_due
    assert options["days_to_end"] == 90
    # The buy-out financed on the provider's 36-month loan (4.99 %), with its APR: the calc's own.
    from forecourt.ownership.leases.lease_end import BuyOutFinancing

    expected_buy = buy_option(contract, BuyOutFinancing(annual_rate=Decimal("0.0499"), term_months=36))
    assert Decimal(options["buy_price"]) == expected_buy.price == terms.residual_value
    assert Decimal(options["buy_loan_apr_percent"]) == expected_buy.apr_percent == Decimal("4.99")
    assert Decimal(options["buy_loan_monthly_payment"]) == expected_buy.loan.payment
    assert len(options["extend_months"]) == 6


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_the_lease_page_writes_the_arithmetic_out(client, db_session, world, lease, lang):
    ownership, _ = lease
    got = client.get(f"{GARAGE}/{ownership.reference}/lease", headers=world.headers["owner"]).json()
    page = client.get(f"/garage/{ownership.reference}/lease?lang={lang}", headers=world.headers["owner"])
    assert page.status_code == 200, page.text
    text = page.text
    charge = f"{Decimal(got['projection']['excess_charge']):,.2f}"
    assert charge in text
    assert f"{got['projection']['projected_km']:,}" in text
    assert 'id="option-buy"' in text and 'id="option-swap"' in text
    assert (
        ("每年" in text and "租期结束选项" in text)
        if lang == "zh-Hans"
        else ("a year ×" in text and "Your lease-end options" in text)
    )


def test_the_projection_is_hidden_under_14_days_of_readings(client, db_session, world):
    ownership, _ = completed_order(db_session, world, "lease")
    backdate(db_session, ownership, NOW.date() - timedelta(days=20))
    record_odometer(
        db_session, ownership.vin, [(NOW.date() - timedelta(days=20 - 13), ownership.start_odometer_km + 500)]
    )
    got = client.get(f"{GARAGE}/{ownership.reference}/lease", headers=world.headers["owner"]).json()
    assert got["projection"] is None and got["hidden_because"] == "not_enough_readings"
    assert got["days_of_readings"] == 13 and got["days_of_readings_needed"] == 1
    assert not got["options_due"] and got["options"] is None
    record_odometer(
        db_session, ownership.vin, [(NOW.date() - timedelta(days=6), ownership.start_odometer_km + 560)], seq_start=50
    )
    shown = client.get(f"{GARAGE}/{ownership.reference}/lease", headers=world.headers["owner"]).json()
    assert shown["days_of_readings"] == 14 and shown["projection"] is not None
    page = client.get(f"/garage/{ownership.reference}/lease", headers=world.headers["owner"])
    assert 'id="hidden"' not in page.text and 'id="options-later"' in page.text


def test_a_loan_has_no_lease_page(client, db_session, world):
    loan, _ = completed_order(db_session, world, "loan")
    response = client.get(f"{GARAGE}/{loan.reference}/lease", headers=world.headers["owner"])
    assert response.status_code == 409 and response.json()["code"] == "not_a_lease"


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_the_garage_pages_render(client, db_session, world, lease, lang):
    ownership, _ = lease
    listing = client.get(f"/garage?lang={lang}", headers=world.headers["owner"])
    assert listing.status_code == 200 and ownership.vin in listing.text
    car = client.get(f"/garage/{ownership.reference}?lang={lang}", headers=world.headers["owner"])
    assert car.status_code == 200 and 'id="lease-link"' in car.text and 'id="schedule"' in car.text
    assert client.get("/garage", follow_redirects=False).status_code == 303
