"""Ways to drive a model through the API and the page, on SQLite and PostgreSQL: buying and leasing are finance's own
comparison of the cheapest car for sale at the store, subscribing and renting the class's plans, all over the same
horizon; a way that does not apply at the store says so and names where it does; bad fields are refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from forecourt.core import clock
from forecourt.finance.quotes import service as quotes
from forecourt.mobility.models import SubscriptionPlan
from tests.factories import make_small_catalog, make_vehicle
from tests.finance.factories import make_provider, make_residuals, make_standard_programs
from tests.mobility.factories import make_plans

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Guangzhou
D = Decimal
URL = "/api/v1/models/{model}/ways-to-drive"


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


@pytest.fixture
def world(db_session):
    catalog = make_small_catalog(db_session)
    stores, trims = catalog["stores"], catalog["trims"]
    mid = make_plans(db_session)  # rental: 298.00 a day, 200 km a day, 1.20 a km over
    db_session.add(
        SubscriptionPlan(class_id=mid.id, monthly_price=D("4200.00"), km_per_month=1500, per_km_over=D("1.00"))
    )
    cheap = make_vehicle(db_session, trims["mondeo-ecoboost180"], stores["gz-self"], price="169800.00")
    make_vehicle(db_session, trims["mondeo-ecoboost180"], stores["gz-self"], price="175800.00")
    make_vehicle(db_session, trims["mondeo-ecoboost180"], stores["gz-tianhe"], price="172800.00")
    make_vehicle(db_session, trims["mondeo-ecoboost180"], stores["gz-self"], pool="rental")
    make_vehicle(db_session, trims["kuga-ecoboost245"], stores["gz-self"], pool="subscription")
    provider = make_provider(db_session)
    make_standard_programs(db_session, provider)
    make_residuals(db_session, provider, "mondeo")
    db_session.commit()
    return {"cheap": cheap}


def ask(client, model="mondeo", **params):
    return client.get(URL.format(model=model), params=params)


def way(body, name):
    return next(w for w in body["ways"] if w["way"] == name)


def test_all_four_ways_over_the_same_horizon_from_their_own_engines(client, db_session, world):
    got = ask(client, store="gz-self-service", months=36, km_per_month=1500, rental_days=8)
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["store"], body["vin"], body["mobility_class"]) == ("gz-self-service", world["cheap"].vin, "mid")
    assert [w["way"] for w in body["ways"]] == ["buy", "lease", "subscribe", "rent"]
    assert all(w["available"] for w in body["ways"])
    # finance's own comparison of the cheapest car, 20 % down, 18,000 km a year, stores the same figures.
    inputs = quotes.QuoteInputs(36, down_percent=D("0.2"), annual_mileage=18_000)
    compared = quotes.compare(db_session, world["cheap"].vin, inputs, date(2026, 12, 1))
    loan, leased = compared.quote_for("loan").figures, compared.quote_for("lease").figures
    buy = way(body, "buy")
    assert (D(buy["up_front"]), D(buy["monthly"])) == (D(loan["down_payment"]), D(loan["monthly_payment"]))
    assert D(buy["up_front"]) == D("33960.00")  # 20 % of 169,800.00
    assert D(buy["total"]) == D(loan["down_payment"]) + D(loan["total_of_payments"])
    assert D(buy["value_kept"]) == D(leased["residual_value"])  # the lessor's forecast for 36 months at 18,000 km
    assert D(buy["net_cost"]) == D(buy["total"]) - D(buy["value_kept"])
    assert D(buy["included"]["apr_percent"]) == D(loan["apr"])
    lease = way(body, "lease")
    assert (D(lease["up_front"]), D(lease["monthly"])) == (D(leased["due_at_signing"]), D(leased["monthly_payment"]))
    assert D(lease["total"]) == D(leased["total_of_payments"]) and D(lease["km_charges"]) == 0
    subscribe = way(body, "subscribe")  # the mid class: 4,200.00 a month with 1,500 km
    assert (D(subscribe["monthly"]), D(subscribe["total"]), subscribe["months"]) == (D("4200.00"), D("151200.00"), 36)
    rent = way(body, "rent")  # 8 days × 298.00 = 2,384.00 with 1,600 km: none over
    assert (D(rent["monthly"]), D(rent["total"]), D(rent["km_charges"])) == (D("2384.00"), D("85824.00"), 0)
    assert rent["included"]["km_per_day"] == 200 and D(rent["included"]["deposit"]) == D("2000.00")
    nets = {w["way"]: D(w["net_cost"]) for w in body["ways"]}
    assert body["cheapest"] == min(nets, key=nets.get)
    db_session.rollback()


def test_driving_more_adds_each_ways_km_charges(client, world):
    body = ask(client, store="gz-self-service", months=36, km_per_month=2000, rental_days=8).json()
    assert D(way(body, "subscribe")["monthly"]) == D("4700.00")  # 500 km over × 1.00
    assert D(way(body, "rent")["monthly"]) == D("2864.00")  # 2,384.00 + 400 km × 1.20
    # 24,000 km a year is beyond the residual table's highest row (20,000): no lease, and no value to keep.
    lease = way(body, "lease")["unavailable"]
    assert (lease["code"], lease["details"]["reason"]) == ("finance_not_offered", "no_residual")
    assert way(body, "buy")["value_kept"] is None and way(body, "buy")["net_cost"] == way(body, "buy")["total"]
    page = client.get(
        "/models/mondeo/ways-to-drive", params={"store": "gz-self-service", "km_per_month": "2000", "lang": "en"}
    )
    assert "24,000 km a year" in page.text and "Try fewer km a month." in page.text and "no estimate" in page.text


def test_a_lease_within_its_allowance_has_no_km_charges(client, world):
    body = ask(client, store="gz-self-service", months=36, km_per_month=1000).json()
    lease = way(body, "lease")
    assert lease["included"]["km_per_year"] == 12_000 and D(lease["km_charges"]) == 0


def test_ways_that_do_not_apply_here_name_the_stores_where_they_do(client, world):
    body = ask(client, store="gz-tianhe").json()
    assert way(body, "buy")["available"] and D(way(body, "buy")["up_front"]) == D("34560.00")  # 20 % of 172,800
    for name in ("subscribe", "rent"):
        missing = way(body, name)
        assert not missing["available"] and missing["monthly"] is None
        assert (missing["unavailable"]["code"], missing["unavailable"]["stores"]) == (
            "not_at_store",
            ["gz-self-service"],
        )


def test_a_model_in_no_class_and_not_for_sale(client, world):
    body = ask(client, model="navigator", store="gz-tianhe").json()
    assert [way(body, n)["unavailable"]["code"] for n in ("buy", "lease", "subscribe", "rent")] == [
        "no_car_for_sale",
        "no_car_for_sale",
        "no_plan",
        "no_plan",
    ]
    assert body["cheapest"] is None and body["vin"] is None


def test_a_term_finance_does_not_offer_is_said_with_the_terms_it_does(client, world):
    body = ask(client, store="gz-self-service", months=12).json()
    assert way(body, "buy")["available"]  # loans run 12 to 60 months
    lease = way(body, "lease")["unavailable"]  # the one lease program runs 36 months
    assert lease["code"] == "finance_not_offered" and lease["details"]["offered_terms"] == [36]


def test_the_default_store_is_the_first_that_sells_the_model(client, world):
    assert ask(client).json()["store"] == "gz-self-service"


@pytest.mark.parametrize(
    ("model", "params", "status", "code"),
    [
        ("mondeo", {"months": 18}, 422, "invalid_horizon"),
        ("mondeo", {"km_per_month": 8001}, 422, "validation_error"),
        ("mondeo", {"rental_days": 0}, 422, "validation_error"),
        ("mondeo", {"store": "nowhere"}, 404, "store_not_found"),
        ("beetle", {}, 404, "model_not_found"),
    ],
)
def test_bad_questions_are_refused(client, world, model, params, status, code):
    got = ask(client, model=model, **params)
    assert (got.status_code, got.json()["code"]) == (status, code)


# --- the page -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Ways to drive the Mondeo", "Buy with a loan", "Lease", "Subscribe", "Rent", "Net cost")),
        ("zh-Hans", ("蒙迪欧的用车方式", "贷款购车", "租赁", "订阅", "租车", "净成本")),
    ],
)
def test_the_page_shows_the_four_ways_in_both_languages(client, world, lang, words):
    page = client.get("/models/mondeo/ways-to-drive", params={"store": "gz-self-service", "lang": lang})
    assert page.status_code == 200, page.text[:500]
    for word in words:
        assert word in page.text, word
    for name in ("buy", "lease", "subscribe", "rent"):
        assert f'id="wd-{name}" data-available="yes"' in page.text
    assert "2,384.00" in page.text and "85,824.00" in page.text  # renting 8 days a month, and over 36 months
    assert f'href="/quotes/new?vin={world["cheap"].vin}"' in page.text


def test_the_page_links_to_the_stores_offering_what_this_one_does_not(client, world):
    page = client.get("/models/mondeo/ways-to-drive", params={"store": "gz-tianhe", "km_per_month": "1200"})
    assert page.status_code == 200
    assert 'id="wd-rent" data-available="no"' in page.text
    assert "/models/mondeo/ways-to-drive?store=gz-self-service&amp;months=36&amp;km_per_month=1200" in page.text


@pytest.mark.parametrize(
    ("params", "field"), [({"km_per_month": "lots"}, "km_per_month"), ({"months": "18"}, "months")]
)
def test_the_page_names_a_bad_field(client, world, params, field):
    page = client.get("/models/mondeo/ways-to-drive", params=params)
    assert page.status_code == 422 and f'id="wd-{field}-error"' in page.text and 'id="wd-ways"' not in page.text


def test_the_vehicle_page_links_to_the_comparison(client, world):
    page = client.get(f"/vehicles/{world['cheap'].vin}")
    assert 'href="/models/mondeo/ways-to-drive?store=gz-self-service"' in page.text
