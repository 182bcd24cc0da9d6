"""Search by monthly payment through the API, on SQLite and PostgreSQL: the exact payments shown fit the budget,
equal the quote's loan payment for the same car, come sorted, and no car that fits is left out (brute force)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.finance.calc.loan import quote_loan
from forecourt.finance.quotes import service as quotes
from tests.factories import make_vehicle
from tests.finance.factories import make_program
from tests.finance.quotes.helpers import NOW, QUOTES, SEARCH, TODAY, Lot, make_lot


@pytest.fixture
def lot(db_session: Session) -> Iterator[Lot]:
    with clock.pinned(NOW):
        lot = make_lot(db_session)
        rng = random.Random(2018)
        trims, stores = lot.catalog["trims"], lot.catalog["stores"]
        # A Kuga program with a fee and a rebate, so the search must price like the quote does.
        make_program(
            db_session,
            lot.provider,
            "kuga-loan-36",
            "loan",
            36,
            "0.0399",
            model_code="kuga",
            min_down_percent=Decimal("0.25"),
            fee=Decimal("1500.00"),
            cash_rebate=Decimal("5000.00"),
        )
        for _ in range(60):
            trim = trims[rng.choice(sorted(trims))]
            store = stores[rng.choice(["gz-tianhe", "sh-pudong"])]
            price = (trim.msrp * Decimal(rng.randint(70, 110)) / 100).quantize(Decimal("0.01"))
            make_vehicle(db_session, trim, store, price=str(price), status=rng.choice(["available"] * 5 + ["sold"]))
        db_session.commit()
        yield lot


def _search(client, **params):
    params = {"monthly_max": "5000", "term_months": 36, "down_percent": "0.2", **params}
    return client.get(SEARCH, params=params)


def _brute_force(
    db_session, monthly_max: Decimal, term: int, down: Decimal, city: str | None = None
) -> dict[str, Decimal]:
    """Every available car's loan payment as quotes.compare would price it, without numpy."""
    from sqlalchemy import select

    from forecourt.catalog.models import Vehicle
    from forecourt.finance.programs import service as programs

    fits = {}
    for vehicle in db_session.scalars(select(Vehicle).where(Vehicle.status == "available")).all():
        if city and vehicle.store.city.code != city:
            continue
        program = programs.best_program(
            programs.applicable_programs(
                db_session,
                provider=programs.default_provider(db_session),
                model_code=vehicle.model.code,
                trim_code=vehicle.trim.code,
                on=TODAY,
                product="loan",
                term_months=term,
            )
        )
        if program is None:
            continue
        net = vehicle.price - program.cash_rebate
        inputs = quotes.QuoteInputs(term, down_percent=down)
        down_payment = quotes.down_payment_for(net, inputs)
        minimum, _ = quotes.loan_minimum_down(net, vehicle.trim.powertrain, program)
        if down_payment < minimum:
            continue
        payment = quote_loan(quotes.loan_request(net, down_payment, inputs, program)).payment
        if payment <= monthly_max:
            fits[vehicle.vin] = payment
    return fits


@pytest.mark.parametrize(
    ("budget", "down", "city"),
    [("5000", "0.2", None), ("3000", "0.3", None), ("9000", "0.25", "guangzhou"), ("100000", "0.2", None)],
)
def test_results_fit_the_budget_match_the_quote_and_miss_nothing(client, lot, db_session, budget, down, city):
    params = {"monthly_max": budget, "down_percent": down, "page_size": 50, **({"city": city} if city else {})}
    response = _search(client, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = _brute_force(db_session, Decimal(budget), 36, Decimal(down), city)
    shown = {v["vin"]: Decimal(v["monthly_payment"]) for v in body["vehicles"]}
    assert body["total"] == len(expected)
    assert shown == {vin: expected[vin] for vin in shown}
    assert all(payment <= Decimal(budget) for payment in shown.values())
    payments = [Decimal(v["monthly_payment"]) for v in body["vehicles"]]
    assert payments == sorted(payments)
    # Walk every page: together they list each fitting car once, in payment order.
    seen, page = [], 1
    while True:
        chunk = _search(client, **{**params, "page_size": 7, "page": page}).json()
        seen += chunk["vehicles"]
        if page >= chunk["pages"]:
            break
        page += 1
    assert sorted(v["vin"] for v in seen) == sorted(expected)
    assert [Decimal(v["monthly_payment"]) for v in seen] == sorted(Decimal(v["monthly_payment"]) for v in seen)


def test_the_payment_shown_is_the_quotes_loan_payment(client, lot):
    vehicles = _search(client, monthly_max="100000", page_size=10).json()["vehicles"]
    assert vehicles
    for vehicle in vehicles[:4] + [v for v in vehicles if v["model"] == "kuga"][:2]:
        quoted = client.post(QUOTES, json={"vin": vehicle["vin"], "down_percent": "0.25", "term_months": 36})
        again = _search(client, monthly_max="100000", down_percent="0.25", page_size=50).json()["vehicles"]
        row = next(v for v in again if v["vin"] == vehicle["vin"])
        loan = next(p for p in quoted.json()["products"] if p["product"] == "loan")
        assert loan["monthly_payment"] == row["monthly_payment"]
        assert loan["program"]["code"] == row["program"] and loan["figures"]["down_payment"] == row["down_payment"]


def test_a_budget_just_at_a_cars_payment_includes_it(client, lot):
    first = _search(client, monthly_max="100000", page_size=1).json()["vehicles"][0]
    exact = Decimal(first["monthly_payment"])
    at = _search(client, monthly_max=str(exact), page_size=50).json()["vehicles"]
    assert first["vin"] in {v["vin"] for v in at}
    below = _search(client, monthly_max=str(exact - Decimal("0.01")), page_size=50).json()["vehicles"]
    assert first["vin"] not in {v["vin"] for v in below}


def test_filters_by_body_type(client, lot):
    vehicles = _search(client, monthly_max="100000", body_type="suv", page_size=50).json()["vehicles"]
    assert vehicles and {v["model"] for v in vehicles} <= {"kuga", "navigator"}


@pytest.mark.parametrize(
    "params",
    [
        {"monthly_max": "-5"},
        {"monthly_max": "abc"},
        {"term_months": 0},
        {"down_percent": "1.5"},
        {"page_size": 51},
        {"page": 0},
        {"body_type": "tank"},
    ],
)
def test_bad_input_is_a_422_problem(client, lot, params):
    response = _search(client, **params)
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/problem+json")


def test_a_term_without_loans_is_a_422_with_the_offered_terms(client, lot):
    response = _search(client, term_months=37)
    assert response.status_code == 422 and response.json()["code"] == "term_not_offered"
    assert response.json()["offered_terms"] == [12, 24, 36, 48, 60]
    assert _search(client, term_months=72).json()["code"] == "term_not_offered"  # over the policy's 60 months
