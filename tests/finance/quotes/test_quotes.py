"""Quotes through the API and the service, on SQLite and PostgreSQL: every product's figures against the calc
modules, what is stored, program versions, not-offered entries, refusals and who may see a quote."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.money import round_money
from forecourt.finance.calc.apr import china_annualised_rate, regular_loan_apr
from forecourt.finance.calc.lease import LeaseRequest, quote_lease
from forecourt.finance.calc.lease_to_own import LeaseToOwnRequest, quote_lease_to_own
from forecourt.finance.calc.loan import LoanRequest, quote_loan
from forecourt.finance.models import Quote, RateProgram
from forecourt.finance.quotes import service as quotes
from forecourt.finance.quotes.disclosures import percent
from tests.factories import make_trim, make_vehicle
from tests.finance.factories import VALID_FROM, VALID_TO, make_program
from tests.finance.quotes.helpers import NOW, QUOTES, TODAY, Lot, make_lot

PRICE = Decimal("179800.00")
DOWN = Decimal("35960.00")  # 20 %


@pytest.fixture
def lot(db_session: Session) -> Iterator[Lot]:
    with clock.pinned(NOW):
        yield make_lot(db_session)


def _quote(client, vin: str, headers: dict | None = None, **body):
    body.setdefault("down_percent", "0.2")
    body.setdefault("term_months", 36)
    return client.post(QUOTES, json={"vin": vin, **body}, headers=headers or {})


def _products(response) -> dict[str, dict]:
    assert response.status_code == 201, response.text
    return {p["product"]: p for p in response.json()["products"]}


def test_every_product_equals_the_calc_modules(client, lot):
    products = _products(_quote(client, lot.mondeo.vin, annual_mileage=15000))
    assert set(products) == {"cash", "loan", "balloon", "lease", "lease_to_own"}
    assert all(p["offered"] for p in products.values())

    cash = products["cash"]
    assert cash["total_cost"] == cash["due_at_signing"] == "179800.00" and cash["monthly_payment"] == "0.00"

    loan = quote_loan(LoanRequest(price=PRICE, down_payment=DOWN, annual_rate=Decimal("0.0499"), term_months=36))
    got = products["loan"]
    assert got["monthly_payment"] == str(loan.payment) and got["figures"]["total_of_payments"] == str(
        loan.total_of_payments
    )
    assert got["figures"]["finance_charge"] == str(loan.finance_charge)
    assert got["due_at_signing"] == "35960.00" and Decimal(got["total_cost"]) == DOWN + loan.total_of_payments
    apr = regular_loan_apr(loan.amount_financed, loan.payment, 36, final_payment=loan.schedule[-1].payment)
    assert got["apr"] == percent(apr) == "4.99"  # no fees: the APR is the note rate
    flows = [(0, -loan.amount_financed)] + [(r.period, r.payment) for r in loan.schedule]
    assert got["annualised_rate"] == percent(china_annualised_rate(flows))

    balloon = quote_loan(
        LoanRequest(
            price=PRICE,
            down_payment=DOWN,
            annual_rate=Decimal("0.0399"),
            term_months=36,
            balloon=round_money(PRICE * Decimal("0.40")),
        )
    )  # default: the program's maximum
    got = products["balloon"]
    assert got["monthly_payment"] == str(balloon.payment) and got["figures"]["balloon"] == "71920.00"
    assert got["figures"]["total_of_payments"] == str(balloon.total_of_payments)

    # 15,000 km a year takes the next higher published row: 20,000 km, 50 % of the trim's MSRP.
    lease = quote_lease(
        LeaseRequest(
            agreed_price=PRICE,
            term_months=36,
            residual_value=Decimal("89900.00"),
            money_factor=Decimal("0.0015"),
            acquisition_fee=Decimal("3000.00"),
            cap_cost_reduction=DOWN,
            disposition_fee=Decimal("2000.00"),
            annual_mileage=15000,
            excess_mileage_rate=Decimal("0.50"),  # the program column's default
        )
    )
    got = products["lease"]
    assert got["monthly_payment"] == str(lease.total_monthly_payment)
    assert got["due_at_signing"] == str(lease.due_at_signing) and got["total_cost"] == str(lease.total_of_payments)
    assert got["figures"]["residual_value"] == "89900.00" and got["figures"]["rent_charge"] == str(lease.rent_charge)
    assert got["apr"] is None

    lto = quote_lease_to_own(
        LeaseToOwnRequest(
            price=PRICE,
            down_payment=DOWN,
            term_months=36,
            monthly_rent=None,
            annual_rate=Decimal("0.055"),
            purchase_price=Decimal("1.00"),
        )
    )
    got = products["lease_to_own"]
    assert got["monthly_payment"] == str(lto.monthly_rent) and got["total_cost"] == str(lto.total_cost)
    assert got["annualised_rate"] == percent(lto.annualised_rate)


def test_fees_and_rebates_enter_the_price_the_apr_and_the_disclosure(client, lot, db_session):
    make_program(
        db_session,
        lot.provider,
        "kuga-loan-36",
        "loan",
        36,
        "0.0399",
        model_code="kuga",
        min_down_percent=Decimal("0.20"),
        fee=Decimal("1500.00"),
        cash_rebate=Decimal("5000.00"),
    )
    db_session.commit()
    got = _products(_quote(client, lot.kuga.vin))["loan"]
    net = Decimal("249800.00") - Decimal("5000.00")
    down = round_money(net * Decimal("0.2"))
    loan = quote_loan(
        LoanRequest(
            price=net,
            down_payment=down,
            annual_rate=Decimal("0.0399"),
            term_months=36,
            fees_financed=Decimal("1500.00"),
        )
    )
    figures = got["figures"]
    assert figures["net_price"] == str(net) and figures["down_payment"] == str(down)
    assert got["monthly_payment"] == str(loan.payment) and got["program"]["code"] == "kuga-loan-36"
    assert figures["amount_financed"] == str(loan.amount_financed - Decimal("1500.00"))
    assert Decimal(got["apr"]) > Decimal("3.99")  # the financed fee is a prepaid finance charge
    assert Decimal(got["annualised_rate"]) == Decimal(got["apr"])  # both: monthly IRR × 12 over the same flows
    assert Decimal(figures["total_of_payments"]) == Decimal(figures["amount_financed"]) + Decimal(
        figures["finance_charge"]
    )


def test_the_stored_quote_keeps_inputs_program_version_and_a_seven_day_expiry(client, lot, db_session):
    response = _quote(client, lot.mondeo.vin, annual_mileage=20000)
    body = response.json()
    assert response.headers["location"] == f"/api/v1/quotes/{body['reference']}"
    db_session.expire_all()
    rows = db_session.scalars(select(Quote).where(Quote.vehicle_id == lot.mondeo.id)).all()
    assert {r.product for r in rows} == {"cash", "loan", "balloon", "lease", "lease_to_own"}
    loan = next(r for r in rows if r.product == "loan")
    assert re.fullmatch(r"Q[2-9A-HJ-NP-Z]{8}", loan.reference)
    assert (
        loan.user_id is None and loan.store_id == lot.mondeo.store_id and loan.program_id == lot.programs["loan-36"].id
    )
    assert loan.inputs["term_months"] == 36 and loan.inputs["down_percent"] == "0.2"
    assert loan.inputs["annual_mileage"] == 20000 and loan.inputs["down_payment"] == "35960.00"
    assert loan.inputs["program"]["version"] == 1 and loan.inputs["program"]["annual_rate"] == "0.049900"
    assert loan.monthly_payment == Decimal(loan.figures["monthly_payment"]) and loan.price == PRICE
    assert loan.disclosure["boxes"][0]["kind"] == "truth_in_lending"
    assert loan.expires_at - loan.created_at == timedelta(days=7) and loan.created_at == NOW
    assert loan.inputs["comparison"]["reference"] == body["reference"]
    assert set(loan.inputs["comparison"]["quotes"].values()) == {r.reference for r in rows}


def test_a_new_program_version_does_not_change_a_stored_quote(client, lot, db_session):
    first = _products(_quote(client, lot.mondeo.vin))["loan"]
    old = lot.programs["loan-36"]
    old.is_current = False
    db_session.add(
        RateProgram(
            provider_id=lot.provider.id,
            code="loan-36",
            version=2,
            is_current=True,
            product="loan",
            name_en="loan-36",
            name_zh="loan-36",
            term_months=36,
            annual_rate=Decimal("0.0299"),
            min_down_percent=Decimal("0.20"),
            valid_from=VALID_FROM,
            valid_to=VALID_TO,
        )
    )
    db_session.commit()
    again = client.get(f"{QUOTES}/{first['reference']}")
    assert again.status_code == 200
    stored = next(p for p in again.json()["products"] if p["product"] == "loan")
    assert stored == first and stored["program"]["version"] == 1
    fresh = _products(_quote(client, lot.mondeo.vin))["loan"]
    assert fresh["program"]["version"] == 2 and Decimal(fresh["monthly_payment"]) < Decimal(first["monthly_payment"])


def test_a_product_without_a_program_for_the_term_is_a_not_offered_entry(client, lot):
    products = _products(_quote(client, lot.mondeo.vin, term_months=48))
    assert products["loan"]["offered"] and products["cash"]["offered"]
    for name in ("balloon", "lease", "lease_to_own"):
        assert not products[name]["offered"] and products[name]["reference"] is None
        assert products[name]["reason"]["code"] == "no_program_for_term"
        assert products[name]["reason"]["details"]["offered_terms"] == [36]


def test_a_term_nothing_is_offered_for_is_a_422_with_the_offered_terms(client, lot):
    response = _quote(client, lot.mondeo.vin, term_months=37)
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "term_not_offered" and problem["offered_terms"] == [12, 24, 36, 48, 60]


@pytest.mark.parametrize(
    "body",
    [
        {"down_payment": "-1.00"},
        {"down_percent": "-0.1"},
        {"down_percent": "1.2"},
        {"term_months": 0},
        {"down_payment": "100.00", "down_percent": "0.2"},
        {"annual_mileage": -5},
        {"balloon_percent": "1.5"},
        {"vin": "short"},
    ],
)
def test_bad_input_is_a_422_problem(client, lot, body):
    payload = {"vin": lot.mondeo.vin, "term_months": 36, **body}
    if "down_payment" not in body and "down_percent" not in body:
        payload["down_percent"] = "0.2"
    response = client.post(QUOTES, json=payload)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_down_payment_over_the_price_is_refused(client, lot):
    response = _quote(client, lot.mondeo.vin, down_percent=None, down_payment="179800.00")
    assert response.status_code == 422 and response.json()["code"] == "invalid_quote_request"


def test_a_down_payment_below_every_minimum_is_a_422_with_the_minimum(client, lot):
    # The Kuga has no residuals (no lease); 5 % is under the loan's 20 % and the lease-to-own's 10 %.
    response = _quote(client, lot.kuga.vin, down_percent="0.05")
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "down_payment_below_minimum"
    assert problem["minimum_down_payment"] == "24980.00" and "24980.00" in problem["detail"]
    assert problem["product"] == "lease_to_own"


def test_a_down_payment_below_one_products_minimum_marks_only_that_product(client, lot):
    products = _products(_quote(client, lot.mondeo.vin, down_percent="0.10"))
    assert products["lease"]["offered"] and products["lease_to_own"]["offered"]
    reason = products["loan"]["reason"]
    assert reason["code"] == "down_payment_below_minimum" and reason["details"]["minimum_down_payment"] == "35960.00"


def test_the_minimum_down_payment_follows_the_powertrain(client, lot, db_session):
    """Policy: 80 % LTV for a conventional car, 85 % for a battery-electric one (the program asks for nothing)."""
    ev = make_trim(db_session, lot.mondeo.trim.model, "mondeo-ev", "EV", "纯电", "200000.00", "bev")
    ev_car = make_vehicle(db_session, ev, lot.catalog["stores"]["gz-tianhe"])
    make_program(db_session, lot.provider, "mondeo-loan-36", "loan", 36, "0.0499", model_code="mondeo")
    db_session.commit()
    assert _products(_quote(client, ev_car.vin, down_percent="0.15"))["loan"]["offered"]
    refused = _products(_quote(client, ev_car.vin, down_percent="0.14"))["loan"]["reason"]
    assert refused["details"]["minimum_down_payment"] == "30000.00"
    refused = _products(_quote(client, lot.mondeo.vin, down_percent="0.19"))["loan"]["reason"]
    assert refused["code"] == "down_payment_below_minimum" and refused["details"]["minimum_down_payment"] == "35960.00"


def test_balloon_percent_above_the_programs_maximum_is_not_offered(client, lot):
    products = _products(_quote(client, lot.mondeo.vin, balloon_percent="0.5"))
    assert products["balloon"]["reason"]["code"] == "balloon_above_maximum"
    products = _products(_quote(client, lot.mondeo.vin, balloon_percent="0.3"))
    assert products["balloon"]["figures"]["balloon"] == "53940.00"


def test_a_mileage_above_the_residual_table_leaves_out_the_lease(client, lot):
    products = _products(_quote(client, lot.mondeo.vin, annual_mileage=30000))
    assert products["lease"]["reason"]["code"] == "no_residual" and products["loan"]["offered"]


def test_a_sold_car_cannot_be_quoted(client, lot, db_session):
    lot.mondeo.status = "sold"
    db_session.commit()
    response = _quote(client, lot.mondeo.vin)
    assert response.status_code == 409 and response.json()["code"] == "vehicle_not_available"


def test_unknown_vin_and_reference_are_404(client, lot):
    assert _quote(client, "LVSHCAMB0JZ999999").status_code in (404, 422)
    assert client.get(f"{QUOTES}/QZZZZZZZZ").json()["code"] == "quote_not_found"


def test_who_may_see_a_quote(client, lot):
    anonymous = _quote(client, lot.mondeo.vin).json()
    for headers in ({}, lot.other, lot.outsider):
        assert client.get(f"{QUOTES}/{anonymous['reference']}", headers=headers).status_code == 200

    mine = _quote(client, lot.mondeo.vin, headers=lot.shopper).json()
    loan_reference = next(p["reference"] for p in mine["products"] if p["product"] == "loan")
    for reference in (mine["reference"], loan_reference):
        assert client.get(f"{QUOTES}/{reference}", headers=lot.shopper).status_code == 200
        assert client.get(f"{QUOTES}/{reference}", headers=lot.staff).status_code == 200  # the car's store
        for headers in (lot.other, lot.outsider):
            response = client.get(f"{QUOTES}/{reference}", headers=headers)
            assert response.status_code == 404 and response.json()["code"] == "quote_not_found"
        assert client.get(f"{QUOTES}/{reference}").status_code == 401  # signed out: sign in first
    found = client.get(f"{QUOTES}/{loan_reference}", headers=lot.shopper).json()
    assert found["reference"] == mine["reference"] and found["requested"] == loan_reference
    assert len(found["products"]) == 5


def test_a_signed_in_quote_is_stored_with_the_user(client, lot, db_session):
    body = _quote(client, lot.mondeo.vin, headers=lot.shopper).json()
    db_session.expire_all()
    row = db_session.scalars(select(Quote).where(Quote.reference == body["reference"])).one()
    assert row.user_id == lot.shopper_id


def test_compare_returns_the_stored_rows(db_session, lot):
    with clock.pinned(NOW):
        comparison = quotes.compare(
            db_session, lot.mondeo.vin, quotes.QuoteInputs(36, down_percent=Decimal("0.2")), TODAY
        )
    assert [q.product for q in comparison.quotes] == ["cash", "loan", "balloon", "lease", "lease_to_own"]
    assert comparison.reference == comparison.quote_for("cash").reference and not comparison.not_offered
    assert quotes.get_comparison(db_session, comparison.quote_for("lease").reference).reference == comparison.reference
