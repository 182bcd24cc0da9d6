"""Swap into a new car at lease end, through the API and the page, on SQLite and PostgreSQL: the figures are
lease_end.swap_option's on the request finance's quote comparison would make for the new car (and finance.calc's
own quote of it); positive equity lowers the new payment, negative equity raises it, zero changes nothing; every
refusal with its field; nobody but the owner sees it."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from forecourt.finance.calc.lease import LeaseRequest, quote_lease
from forecourt.finance.calc.lease_to_own import quote_lease_to_own
from forecourt.finance.calc.loan import quote_loan
from forecourt.finance.quotes import service as quotes
from forecourt.ownership.leases import swap
from forecourt.ownership.leases.contract_terms import lease_end_contract
from forecourt.ownership.leases.lease_end import apply_equity, payoff, swap_option
from forecourt.ownership.models import OwnershipContract
from forecourt.ownership.records import service as records
from tests.factories import make_vehicle
from tests.ownership.helpers import GARAGE, NOW, backdate, completed_order, make_world, sold_car

pytestmark = pytest.mark.pinned_clock(NOW)

DELIVERED = date(2024, 3, 1)  # a 36-month lease ending 1 March 2027: 90 days after NOW, options shown
TODAY = NOW.date()  # 10:00 in Guangzhou: the same local day
D = Decimal


@pytest.fixture
def world(db_session):
    return make_world(db_session)


@pytest.fixture
def lease(db_session, world):
    ownership, _ = completed_order(db_session, world, "lease")
    backdate(db_session, ownership, DELIVERED)
    return ownership


@pytest.fixture
def new_car(db_session, world):
    car = make_vehicle(db_session, world.catalog["trims"]["mondeo-ecoboost180"], world.store, price="169800.00")
    db_session.commit()
    return car


def _contract(db_session, ownership):
    return lease_end_contract(records.terms_of(db_session.get(OwnershipContract, ownership.id)), TODAY)


def _ask(client, world, ownership, who="owner", **params):
    return client.get(f"{GARAGE}/{ownership.reference}/lease/swap", params=params, headers=world.headers[who])


def _figures(got):
    return {key: got[key] for key in ("monthly_payment", "amount_financed", "apr_percent", "annualised_rate_percent")}


def _calc(request):
    if isinstance(request, LeaseRequest):
        return quote_lease(request)
    if hasattr(request, "monthly_rent"):
        return quote_lease_to_own(request)
    return quote_loan(request)


def _payment(quote):
    return getattr(quote, "total_monthly_payment", None) or getattr(quote, "monthly_rent", None) or quote.payment


def _same(got: dict, request) -> bool:
    """The answer's request (exact decimal strings) is the calc request: every field, by value."""
    expected = asdict(request)
    return got.keys() == expected.keys() and all(
        (D(got[k]) == v and got[k] == str(D(got[k]))) if isinstance(v, Decimal) else got[k] == v
        for k, v in expected.items()
    )


# --- the figures ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("product", ["loan", "balloon", "lease", "lease_to_own"])
def test_positive_equity_is_the_down_payment_of_the_comparisons_own_request(
    client, db_session, world, lease, new_car, product
):
    contract = _contract(db_session, lease)
    owed = payoff(contract)
    equity = D("40000.00")  # above the loans' 20 % minimum of 169,800
    response = _ask(
        client, world, lease, vin=new_car.vin, product=product, term_months=36, appraisal=str(owed + equity)
    )
    assert response.status_code == 200, response.text
    got = response.json()
    assert (D(got["payoff"]), D(got["equity"]), got["appraisal_estimated"]) == (owed, equity, False)
    assert got["payoff"] == f"{owed:.2f}" and got["equity"] == "40000.00"
    assert D(got["payoff"]) == (
        contract.residual_value + contract.purchase_option_fee + contract.monthly_payment * contract.payments_left
    )
    # The comparison's request for the new car with the equity as its down payment, priced by finance.calc ...
    made = quotes.new_car_request(db_session, new_car.vin, product, quotes.QuoteInputs(36, down_payment=equity), TODAY)
    assert isinstance(made, quotes.RequestForCar)
    assert _same(got["request"], made.request)
    calc = _calc(made.request)
    assert D(got["monthly_payment"]) == _payment(calc)
    # ... which is lease_end.swap_option's, from the request without the equity.
    without = (
        replace(made.request, cap_cost_reduction=D("0.00"))
        if product == "lease"
        else replace(made.request, down_payment=D("0.00"))
    )
    option = swap_option(contract, owed + equity, without)
    assert option.request == made.request and option.quote == calc
    assert got["equity_goes_to"] == ("cap_cost_reduction" if product == "lease" else "down_payment")
    assert got["offered"] and got["refusal"] is None and got["program"]
    assert got["new_car"]["quote_url"] == f"/vehicles/{new_car.vin}"
    if product in ("loan", "balloon"):
        rate, annualised = quotes.loan_rates(calc, made.request.fees_financed)
        assert got["apr_percent"] == str((rate * 100).quantize(D("0.01"), ROUND_HALF_UP))
        assert got["annualised_rate_percent"] == str((annualised * 100).quantize(D("0.01"), ROUND_HALF_UP))
        assert D(got["amount_financed"]) == calc.amount_financed - made.request.fees_financed
    else:
        assert got["apr_percent"] is None


@pytest.mark.parametrize(("product", "cash"), [("lease", "0.00"), ("loan", "40000.00"), ("lease_to_own", "20000.00")])
def test_equity_lowers_or_raises_the_new_payment_and_zero_changes_nothing(
    client, db_session, world, lease, new_car, product, cash
):
    owed = payoff(_contract(db_session, lease))
    answers = {}
    for name, appraisal in (("zero", owed), ("positive", owed + 15_000), ("negative", owed - 15_000)):
        response = _ask(
            client,
            world,
            lease,
            vin=new_car.vin,
            product=product,
            term_months=36,
            appraisal=f"{appraisal:.2f}",
            cash_down=cash,
        )
        assert response.status_code == 200, response.text
        answers[name] = response.json()
        assert answers[name]["offered"], answers[name]["refusal"]
    # Equity exactly 0: the comparison's own request for the cash alone, untouched.
    made = quotes.new_car_request(db_session, new_car.vin, product, quotes.QuoteInputs(36, down_payment=D(cash)), TODAY)
    assert answers["zero"]["equity"] == "0.00" and answers["zero"]["equity_goes_to"] == "none"
    assert _same(answers["zero"]["request"], made.request)
    assert D(answers["zero"]["monthly_payment"]) == _payment(_calc(made.request))
    zero, positive, negative = (D(answers[n]["monthly_payment"]) for n in ("zero", "positive", "negative"))
    assert positive < zero < negative
    # Negative equity is rolled in: lease_end.apply_equity on the same request, priced by the calc.
    rolled = apply_equity(made.request, D("-15000.00"))
    assert _same(answers["negative"]["request"], rolled)
    assert D(answers["negative"]["monthly_payment"]) == _payment(_calc(rolled))
    goes = answers["negative"]["equity_goes_to"]
    assert goes == ("prior_lease_balance" if product == "lease" else "added_to_price")


def test_without_an_appraisal_the_estimate_is_the_contracts_residual_value(client, db_session, world, lease, new_car):
    contract = _contract(db_session, lease)
    got = _ask(client, world, lease, vin=new_car.vin, product="lease", term_months=36).json()
    assert got["appraisal_estimated"] is True and D(got["appraisal"]) == contract.residual_value
    assert D(got["equity"]) == contract.residual_value - payoff(contract) < 0  # the payments still due and the fee


# --- what the answer refuses, and why ---------------------------------------------------------------------------


def test_figures_finance_cannot_price_are_the_answer_with_the_reason(client, db_session, world, lease, new_car):
    owed = payoff(_contract(db_session, lease))
    covered = _ask(client, world, lease, vin=new_car.vin, product="loan", term_months=36, appraisal=str(owed + 200_000))
    assert covered.status_code == 200
    got = covered.json()
    assert not got["offered"] and got["monthly_payment"] is None and got["request"] is None
    assert got["refusal"]["code"] == "nothing_to_finance" and got["equity"] == "200000.00"
    # Owing more than the car is worth and no cash: under the loan's minimum down payment.
    short = _ask(client, world, lease, vin=new_car.vin, product="loan", term_months=36, appraisal=str(owed - 1))
    assert short.json()["refusal"]["code"] == "down_payment_below_minimum"
    # One fen above the minimum (20 % of 169,800 = 33,960.00) as equity: offered.
    at_minimum = _ask(
        client, world, lease, vin=new_car.vin, product="loan", term_months=36, appraisal=str(owed + D("33960.00"))
    ).json()
    below = _ask(
        client, world, lease, vin=new_car.vin, product="loan", term_months=36, appraisal=str(owed + D("33959.99"))
    ).json()
    assert at_minimum["offered"] and below["refusal"]["code"] == "down_payment_below_minimum"


def test_the_swap_inputs_are_checked(client, db_session, world, lease, new_car):
    def refused(status, code, field=None, **params):
        base = {"vin": new_car.vin, "product": "loan", "term_months": 36, "appraisal": "100000.00"}
        response = _ask(client, world, lease, **(base | params))
        assert response.status_code == status, (params, response.text)
        problem = response.json()
        assert problem["code"] == code, problem
        if field:
            assert field in {e["field"] for e in problem.get("errors", [])}, problem
        return problem

    refused(422, "term_not_offered", "term_months", term_months=30)
    assert refused(422, "term_not_offered", term_months=48, product="lease")["offered_terms"] == [36]
    refused(422, "validation_error", product="cash")
    refused(422, "validation_error", appraisal="-0.01")
    refused(422, "validation_error", appraisal="100.001")
    refused(422, "validation_error", appraisal="10000000.01")
    refused(422, "validation_error", cash_down="-1")
    refused(422, "validation_error", term_months=121)
    refused(422, "invalid_vin", "vin", vin="LVSHCAMB0JZ000000")
    sold = sold_car(db_session, world, status="sold")
    db_session.commit()
    refused(422, "vehicle_not_for_sale", "vin", vin=sold.vin)
    unknown = make_vehicle(db_session, world.catalog["trims"]["kuga-ecoboost245"], world.store)
    vin = unknown.vin
    db_session.delete(unknown)
    db_session.commit()
    refused(422, "vehicle_not_for_sale", "vin", vin=vin)
    assert (
        _ask(client, world, lease, vin=new_car.vin, product="loan", term_months=36, appraisal="10000000.00").status_code
        == 200
    )
    world.programs["lto-36"].is_current = False  # retired: no lease-to-own on any term
    db_session.commit()
    refused(422, "product_not_offered", "product", product="lease_to_own")


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        (D("0"), None),
        (D("0.00"), None),
        (swap.MAX_AMOUNT, None),
        (swap.MAX_AMOUNT + D("0.01"), "must be at most 10,000,000.00"),
        (D("-0.01"), "must be at least 0"),
        (D("1.005"), "must be in whole fen (two decimals)"),
        (D("NaN"), "must be an amount"),
        (D("Infinity"), "must be an amount"),
    ],
)
def test_amount_bounds(amount, problem):
    assert swap.amount_problem(amount) == problem


def test_before_the_options_are_due_and_for_a_loan_there_is_no_swap(client, db_session, world, new_car):
    young, _ = completed_order(db_session, world, "lease")
    backdate(db_session, young, TODAY - timedelta(days=30))
    response = _ask(client, world, young, vin=new_car.vin, product="loan", term_months=36)
    assert response.status_code == 409 and response.json()["code"] == "lease_end_not_due"
    loan, _ = completed_order(db_session, world, "loan")
    response = _ask(client, world, loan, vin=new_car.vin, product="loan", term_months=36)
    assert response.status_code == 409 and response.json()["code"] == "not_a_lease"


def test_nobody_else_may_ask(client, db_session, world, lease, new_car):
    for who in ("other", "staff", "admin"):
        response = _ask(client, world, lease, who, vin=new_car.vin, product="lease", term_months=36)
        assert response.status_code == 404 and response.json()["code"] == "ownership_not_found"
    anonymous = client.get(
        f"{GARAGE}/{lease.reference}/lease/swap", params={"vin": new_car.vin, "product": "lease", "term_months": 36}
    )
    assert anonymous.status_code == 401


def test_nothing_is_stored(client, db_session, world, lease, new_car):
    from forecourt.finance.models import Quote

    before = db_session.query(Quote).count()
    assert (
        _ask(client, world, lease, vin=new_car.vin, product="loan", term_months=36, appraisal="200000.00").status_code
        == 200
    )
    assert db_session.query(Quote).count() == before


# --- the page ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_the_page_writes_the_swap_out(client, db_session, world, lease, new_car, lang):
    owed = payoff(_contract(db_session, lease))
    elsewhere = sold_car(db_session, world, trim="mondeo-ecoboost180", store="sh-pudong")
    fleet = sold_car(db_session, world, test_drive_fleet=True)
    db_session.commit()
    page = client.get(f"/garage/{lease.reference}/lease?lang={lang}", headers=world.headers["owner"])
    assert page.status_code == 200 and 'id="swap-form"' in page.text and 'id="swap-result"' not in page.text
    assert f'value="{new_car.vin}"' in page.text  # the owner's store's car for sale, in the select ...
    assert elsewhere.vin not in page.text and fleet.vin not in page.text  # ... not another store's, nor a demo car
    params = {"vin": new_car.vin, "product": "lease", "term_months": "36", "appraisal": f"{owed + 10_000:.2f}"}
    page = client.get(
        f"/garage/{lease.reference}/lease", params={**params, "lang": lang}, headers=world.headers["owner"]
    )
    assert page.status_code == 200, page.text
    got = _ask(client, world, lease, **params).json()
    text = page.text
    assert 'id="swap-result"' in text and "10,000.00" in text and f"{owed:,.2f}" in text
    assert f"{D(got['monthly_payment']):,.2f}" in text and f'href="/vehicles/{new_car.vin}"' in text
    if lang == "zh-Hans":
        assert "新车月供" in text and "权益" in text
    else:
        assert "New monthly payment" in text and "reduces the new lease's capitalized cost" in text


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_the_page_shows_each_fields_error(client, db_session, world, lease, new_car, lang):
    params = {"vin": new_car.vin, "product": "loan", "term_months": "36", "appraisal": "1.005", "lang": lang}
    page = client.get(f"/garage/{lease.reference}/lease", params=params, headers=world.headers["owner"])
    assert page.status_code == 422 and 'id="swap-appraisal-error"' in page.text and 'id="swap-problem"' in page.text
    params |= {"appraisal": "", "term_months": "30"}
    page = client.get(f"/garage/{lease.reference}/lease", params=params, headers=world.headers["owner"])
    assert page.status_code == 422 and 'id="swap-term_months-error"' in page.text
    assert "12, 24, 36, 48, 60" in page.text
    params |= {"term_months": "36", "other_vin": "NOTAVIN"}
    page = client.get(f"/garage/{lease.reference}/lease", params=params, headers=world.headers["owner"])
    assert page.status_code == 422 and 'data-code="invalid_vin"' in page.text


def test_the_page_has_no_swap_form_before_the_options_are_due(client, db_session, world, new_car):
    young, _ = completed_order(db_session, world, "lease")
    backdate(db_session, young, TODAY - timedelta(days=30))
    page = client.get(f"/garage/{young.reference}/lease", params={"vin": new_car.vin}, headers=world.headers["owner"])
    assert page.status_code == 200 and 'id="swap-form"' not in page.text and 'id="options-later"' in page.text
