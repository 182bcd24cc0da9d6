"""The ways-to-drive arithmetic, table by table: each way's cost over a horizon from its own figures, worked by hand
to the cent (both sides of each allowance, the minimum term, half-up rounding), and every refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from forecourt.mobility.ways_to_drive.compare import (
    Horizon,
    LeaseFigures,
    LoanFigures,
    RentalFigures,
    SubscriptionFigures,
    Way,
    buy,
    cheapest,
    lease,
    rent,
    subscribe,
)

D = Decimal
H36 = Horizon(36, 1_500, 8)  # 54,000 km over the horizon
LOAN = LoanFigures(D("35960.00"), D("4312.50"), 36, D("155250.11"), D("89900.00"))
LEASE = LeaseFigures(D("42156.73"), D("3012.40"), 36, D("150000.00"), 54_000, D("0.50"))
SEDAN = SubscriptionFigures(D("3000.00"), 1_500, D("0.80"), 3)
MID = RentalFigures(D("298.00"), 200, D("1.20"))


@pytest.mark.parametrize(
    ("value_at_end", "net", "per_km"),
    [
        # 35,960.00 down + 155,250.11 of payments (the loan's own total) = 191,210.11; less the car's value.
        (D("89900.00"), D("101310.11"), D("1.88")),  # 101,310.11 / 54,000 = 1.8761… → 1.88
        (None, D("191210.11"), D("3.54")),  # no estimate: nothing kept; 3.5409… → 3.54
    ],
)
def test_buying_is_the_down_payment_and_the_loans_payments_less_the_car_kept(value_at_end, net, per_km):
    cost = buy(H36, LoanFigures(D("35960.00"), D("4312.50"), 36, D("155250.11"), value_at_end))
    assert (cost.way, cost.up_front, cost.monthly, cost.km_charges) == (Way.BUY, D("35960.00"), D("4312.50"), 0)
    assert (cost.total, cost.value_kept, cost.net_cost, cost.per_km) == (D("191210.11"), value_at_end, net, per_km)


@pytest.mark.parametrize(
    ("km_per_month", "km_charges"),
    [
        (1_500, D("0.00")),  # exactly the allowance: 54,000 km
        (1_499, D("0.00")),  # under it: nothing back
        (1_501, D("18.00")),  # 36 km over × 0.50
        (2_000, D("9000.00")),  # 18,000 km over × 0.50
    ],
)
def test_a_lease_adds_the_km_beyond_its_allowance(km_per_month, km_charges):
    cost = lease(Horizon(36, km_per_month, 8), LEASE)
    assert cost.km_charges == km_charges
    assert cost.total == cost.net_cost == D("150000.00") + km_charges
    assert (cost.up_front, cost.monthly, cost.value_kept) == (D("42156.73"), D("3012.40"), None)


def test_a_lease_rounds_its_km_charge_half_up():
    cost = lease(Horizon(12, 1_001, 8), LeaseFigures(D("0"), D("1"), 12, D("12.00"), 12_000, D("0.125")))
    assert cost.km_charges == D("1.50")  # 12 km × 0.125 = 1.5
    cost = lease(Horizon(12, 1_000, 8), LeaseFigures(D("0"), D("1"), 12, D("12.00"), 11_999, D("0.125")))
    assert cost.km_charges == D("0.13")  # 1 km × 0.125 = 0.125 → 0.13 (half-even would give 0.12)


@pytest.mark.parametrize(
    ("horizon", "monthly", "km_charges", "total", "months"),
    [
        (Horizon(36, 1_500, 8), D("3000.00"), D("0.00"), D("108000.00"), 36),  # the allowance exactly
        (Horizon(36, 1_501, 8), D("3000.80"), D("28.80"), D("108028.80"), 36),  # 1 km over a month
        (Horizon(12, 2_000, 8), D("3400.00"), D("4800.00"), D("40800.00"), 12),  # 500 km × 0.80 a month
        (Horizon(12, 0, 8), D("3000.00"), D("0.00"), D("36000.00"), 12),  # the price whatever is driven
    ],
)
def test_a_subscription_is_the_monthly_price_and_each_months_km_over(horizon, monthly, km_charges, total, months):
    cost = subscribe(horizon, SEDAN)
    assert (cost.up_front, cost.monthly, cost.km_charges, cost.total, cost.months) == (
        D("0.00"),
        monthly,
        km_charges,
        total,
        months,
    )


def test_a_subscription_is_paid_for_at_least_its_minimum_term():
    cost = subscribe(Horizon(12, 1_000, 8), SubscriptionFigures(D("3000.00"), 1_500, D("0.80"), 18))
    assert (cost.months, cost.total) == (18, D("54000.00"))
    assert cost.per_km == D("4.50")  # 54,000.00 over 12,000 km


@pytest.mark.parametrize(
    ("days", "km_per_month", "monthly", "km_charges"),
    [
        (8, 1_600, D("2384.00"), D("0.00")),  # 8 × 298.00; 8 × 200 km = 1,600 included: none over
        (8, 1_601, D("2385.20"), D("43.20")),  # 1 km over a month × 1.20, 36 months
        (8, 1_500, D("2384.00"), D("0.00")),  # unused km are worth nothing
        (1, 1_000, D("1258.00"), D("34560.00")),  # 298.00 + 800 km × 1.20 = 960.00
        (31, 0, D("9238.00"), D("0.00")),  # every day of a long month
    ],
)
def test_renting_is_the_days_a_month_and_the_km_beyond_them(days, km_per_month, monthly, km_charges):
    cost = rent(Horizon(36, km_per_month, days), MID)
    assert (cost.up_front, cost.monthly, cost.km_charges, cost.total) == (
        D("0.00"),
        monthly,
        km_charges,
        monthly * 36,
    )


def test_a_horizon_without_km_has_no_cost_per_km():
    assert subscribe(Horizon(12, 0, 8), SEDAN).per_km is None


def test_the_cheapest_is_the_lowest_net_cost_and_the_first_of_equals():
    costs = [buy(H36, LOAN), lease(H36, LEASE), subscribe(H36, SEDAN), rent(H36, MID)]
    # buy 101,310.11; lease 150,000.00; subscribe 108,000.00; rent 85,824.00 (8 days × 298.00 × 36)
    assert [c.net_cost for c in costs] == [D("101310.11"), D("150000.00"), D("108000.00"), D("85824.00")]
    assert cheapest(costs) == Way.RENT
    assert cheapest(costs[:3]) == Way.BUY
    same = subscribe(H36, SubscriptionFigures(D("2814.17"), 1_500, D("0.80"), 3))  # 101,310.12: a cent dearer
    assert cheapest([same, buy(H36, LOAN)]) == Way.BUY
    assert cheapest([]) is None


@pytest.mark.parametrize(
    ("months", "km", "days", "message"),
    [
        (18, 1_000, 8, "months"),
        (0, 1_000, 8, "months"),
        (36, -1, 8, "km_per_month"),
        (36, 8_001, 8, "km_per_month"),
        (36, 1_000, 0, "rental_days"),
        (36, 1_000, 32, "rental_days"),
    ],
)
def test_a_horizon_refuses_what_cannot_be_compared(months, km, days, message):
    with pytest.raises(ValueError, match=message):
        Horizon(months, km, days)


@pytest.mark.parametrize("term", [24, 48])
def test_a_loan_or_lease_over_another_term_is_refused(term):
    with pytest.raises(ValueError, match="loan runs"):
        buy(H36, LoanFigures(D("1"), D("1"), term, D("1"), None))
    with pytest.raises(ValueError, match="lease runs"):
        lease(H36, LeaseFigures(D("1"), D("1"), term, D("1"), 0, D("1")))
