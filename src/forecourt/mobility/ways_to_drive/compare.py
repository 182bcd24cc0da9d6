"""The comparison's arithmetic: what each way to drive a model costs over one horizon (months, km a month), from
each way's own figures. Pure: frozen dataclasses in and out, Decimal, each shown figure rounded half up to the cent.

- **Buy with a loan** over the horizon (the loan's term is the horizon): the down payment at the start, the loan's
  payments (its own total: the last payment may differ by cents), nothing for km. The car is then yours: its
  estimated value at the end (the lessor's residual for that term and mileage, when published) is what you keep,
  and the net cost is what you paid less that value.
- **Lease** over the horizon: its total of payments (due at signing + the later payments + the disposition fee,
  Regulation M's "total of payments") plus the km driven beyond the allowance × the lease's rate. The car goes back.
- **Subscribe**: the monthly price for each month of the horizon (at least the minimum term), plus, each month, the
  km beyond the month's allowance × the plan's rate (driving the same every month, unused km never cover a later
  month's excess). Nothing is due at the start: months are billed at their end.
- **Rent** on some days of each month: each rented day at the daily rate, and each month the km beyond the days'
  allowance × the plan's rate (all of the month's km are driven on rented days).

A month's figure is rounded once; a total is the rounded month × the months (plus one-off amounts), so the figures
shown always add up. Cost per km is the net cost ÷ the km driven over the horizon, half up to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from forecourt.core.money import round_money

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HORIZONS = (12, 24, 36, 48)  # months: the loan and lease terms finance offers on most models
MAX_KM_PER_MONTH = 8_000  # 96,000 km a year: under finance's limit on a lease's annual mileage
MAX_RENTAL_DAYS = 31


class Way(StrEnum):
    BUY = "buy"
    LEASE = "lease"
    SUBSCRIBE = "subscribe"
    RENT = "rent"


@dataclass(frozen=True)
class Horizon:
    """What the shopper compares over: how many months, how far they drive a month, how many days a month they
    would rent a car."""

    months: int
    km_per_month: int
    rental_days_per_month: int

    def __post_init__(self) -> None:
        if self.months not in HORIZONS:
            raise ValueError(f"months must be one of {HORIZONS}, got {self.months}")
        if not 0 <= self.km_per_month <= MAX_KM_PER_MONTH:
            raise ValueError(f"km_per_month must be 0 to {MAX_KM_PER_MONTH}, got {self.km_per_month}")
        if not 1 <= self.rental_days_per_month <= MAX_RENTAL_DAYS:
            raise ValueError(f"rental_days_per_month must be 1 to {MAX_RENTAL_DAYS}, got {self.rental_days_per_month}")

    @property
    def km(self) -> int:
        return self.months * self.km_per_month


@dataclass(frozen=True)
class LoanFigures:  # finance's loan for the car over the horizon
    down_payment: Decimal
    monthly_payment: Decimal
    term_months: int
    total_of_payments: Decimal
    value_at_end: Decimal | None  # the car's estimated value at the end; None when no residual is published


@dataclass(frozen=True)
class LeaseFigures:  # finance's lease for the car over the horizon
    due_at_signing: Decimal
    monthly_payment: Decimal
    term_months: int
    total_of_payments: Decimal  # due at signing + the later payments + the disposition fee
    km_allowed: int  # over the whole term
    per_km_over: Decimal


@dataclass(frozen=True)
class SubscriptionFigures:  # the model's class's subscription plan and the family's minimum term
    monthly_price: Decimal
    km_per_month: int
    per_km_over: Decimal
    minimum_months: int


@dataclass(frozen=True)
class RentalFigures:  # the model's class's rental plan
    daily: Decimal
    km_per_day: int
    per_km_over: Decimal


@dataclass(frozen=True)
class Cost:
    """One way's cost over the horizon."""

    way: Way
    months: int  # the months paid for (a subscription: at least its minimum term)
    up_front: Decimal  # due at the start
    monthly: Decimal  # a typical month, km charges included
    km_charges: Decimal  # km beyond the allowance, over the horizon
    total: Decimal  # everything paid over the horizon
    value_kept: Decimal | None  # buying: the car's estimated value at the end
    net_cost: Decimal  # total − value kept
    per_km: Decimal | None  # net cost per km driven; None when no km are driven


def _cost(
    way: Way,
    horizon: Horizon,
    months: int,
    up_front: Decimal,
    monthly: Decimal,
    km_charges: Decimal,
    total: Decimal,
    value_kept: Decimal | None = None,
) -> Cost:
    net = total - (value_kept or ZERO)
    per_km = (net / horizon.km).quantize(CENT, ROUND_HALF_UP) if horizon.km else None
    return Cost(way, months, up_front, monthly, km_charges, total, value_kept, net, per_km)


def buy(horizon: Horizon, loan: LoanFigures) -> Cost:
    _same_term(horizon, loan.term_months, "loan")
    total = loan.down_payment + loan.total_of_payments
    return _cost(
        Way.BUY, horizon, horizon.months, loan.down_payment, loan.monthly_payment, ZERO, total, loan.value_at_end
    )


def lease(horizon: Horizon, figures: LeaseFigures) -> Cost:
    _same_term(horizon, figures.term_months, "lease")
    over = max(0, horizon.km - figures.km_allowed)
    km_charges = round_money(over * figures.per_km_over)
    total = figures.total_of_payments + km_charges
    return _cost(Way.LEASE, horizon, horizon.months, figures.due_at_signing, figures.monthly_payment, km_charges, total)


def subscribe(horizon: Horizon, plan: SubscriptionFigures) -> Cost:
    months = max(horizon.months, plan.minimum_months)
    km_a_month = round_money(max(0, horizon.km_per_month - plan.km_per_month) * plan.per_km_over)
    monthly = round_money(plan.monthly_price) + km_a_month
    return _cost(Way.SUBSCRIBE, horizon, months, ZERO, monthly, km_a_month * months, monthly * months)


def rent(horizon: Horizon, plan: RentalFigures) -> Cost:
    days = horizon.rental_days_per_month
    km_a_month = round_money(max(0, horizon.km_per_month - days * plan.km_per_day) * plan.per_km_over)
    monthly = round_money(days * plan.daily) + km_a_month
    months = horizon.months
    return _cost(Way.RENT, horizon, months, ZERO, monthly, km_a_month * months, monthly * months)


def cheapest(costs: list[Cost]) -> Way | None:
    """The way with the lowest net cost (the first of equals in the order given); None for no costs."""
    return min(costs, key=lambda cost: cost.net_cost).way if costs else None


def _same_term(horizon: Horizon, term_months: int, what: str) -> None:
    if term_months != horizon.months:
        raise ValueError(f"the {what} runs {term_months} months, not the horizon's {horizon.months}")
