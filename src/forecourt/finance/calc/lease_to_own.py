"""China's direct financial lease (直租): monthly rent for the term, then a purchase price (留购价).

The lessor buys the vehicle at `price`, takes the down payment and the upfront fees from the
lessee, collects `term_months` level rents (at months 1..n in arrears, or 0..n−1 in advance) and
sells the vehicle to the lessee for `purchase_price` at month n — often a nominal 1 yuan
(1元留购价), sometimes a larger balloon-like figure.

Rates
- `annual_rate` in a request is the lessor's pricing rate on the financed amount (price − down
  payment), nominal and compounded monthly (annual_rate / 12 per month). The rent that earns it is
  the level annuity net of the discounted purchase price, rounded half up to the fen.
- `annualised_rate` in a quote is the comprehensive annualised rate (综合年化利率) that PBOC
  Announcement [2021] No. 3 asks lenders to disclose: every cost the lessee bears, fees included,
  against the money the lessor actually puts up, by the IRR method (monthly IRR × 12). With no
  fees it reproduces `annual_rate` up to rent rounding; upfront fees raise it above.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, localcontext

from forecourt.core.money import MoneyError, round_money
from forecourt.finance.calc.apr import SOLVE_PRECISION, china_annualised_rate

ZERO = Decimal(0)
MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class LeaseToOwnRequest:
    price: Decimal
    down_payment: Decimal
    term_months: int
    monthly_rent: Decimal | None
    annual_rate: Decimal | None
    purchase_price: Decimal = ZERO
    fees_upfront: Decimal = ZERO
    rent_in_advance: bool = False


@dataclass(frozen=True)
class LeaseToOwnQuote:
    financed: Decimal  # price − down payment
    monthly_rent: Decimal
    term_months: int
    purchase_price: Decimal
    total_cost: Decimal  # all the lessee pays: down payment + fees + rents + purchase price
    annualised_rate: Decimal  # 综合年化利率, monthly IRR × 12, a fraction


def quote_lease_to_own(request: LeaseToOwnRequest) -> LeaseToOwnQuote:
    """Quote a lease-to-own from exactly one of a monthly rent or an annual pricing rate."""
    _validate(request)
    financed = request.price - request.down_payment
    if request.annual_rate is not None:
        rent = level_rent(
            financed, request.annual_rate, request.term_months, request.purchase_price, request.rent_in_advance
        )
    elif request.monthly_rent is not None:
        rent = request.monthly_rent
    else:  # pragma: no cover - _validate requires exactly one of the two
        raise ValueError("give exactly one of monthly_rent and annual_rate")
    total_cost = request.down_payment + request.fees_upfront + rent * request.term_months + request.purchase_price
    return LeaseToOwnQuote(
        financed=financed,
        monthly_rent=rent,
        term_months=request.term_months,
        purchase_price=request.purchase_price,
        total_cost=total_cost,
        annualised_rate=china_annualised_rate(lessor_cash_flows(request, rent)),
    )


def level_rent(
    financed: Decimal, annual_rate: Decimal, term_months: int, purchase_price: Decimal, in_advance: bool
) -> Decimal:
    """The level rent, rounded half up to the fen, whose present value at annual_rate / 12 plus the
    discounted purchase price equals the financed amount."""
    with localcontext(Context(prec=SOLVE_PRECISION)):
        monthly = annual_rate / MONTHS_PER_YEAR
        discount = 1 / (1 + monthly)
        final_discount = discount**term_months
        annuity = Decimal(term_months) if monthly == 0 else (1 - final_discount) / monthly
        if in_advance:  # each rent is one month earlier, so worth one month's interest more
            annuity *= 1 + monthly
        to_recover = financed - purchase_price * final_discount
    if to_recover <= 0:
        raise ValueError("the discounted purchase price alone repays the financed amount: no rent is needed")
    return round_money(to_recover / annuity)


def lessor_cash_flows(request: LeaseToOwnRequest, rent: Decimal) -> list[tuple[int, Decimal]]:
    """The lessor's flows by month, negative = paid out: the net purchase outlay at month 0, the
    rents, and the purchase price at the end of the term."""
    outlay = request.price - request.down_payment - request.fees_upfront
    first_rent_month = 0 if request.rent_in_advance else 1
    flows = [(0, -outlay)]
    flows += [(first_rent_month + index, rent) for index in range(request.term_months)]
    if request.purchase_price > 0:
        flows.append((request.term_months, request.purchase_price))
    return flows


def _validate(request: LeaseToOwnRequest) -> None:
    if (request.monthly_rent is None) == (request.annual_rate is None):
        raise ValueError("give exactly one of monthly_rent and annual_rate")
    for name in ("price", "down_payment", "purchase_price", "fees_upfront", "monthly_rent"):
        _check_amount(name, getattr(request, name))
    if request.price <= 0:
        raise ValueError("price must be positive")
    if request.down_payment >= request.price:
        raise ValueError("down_payment must be less than the price: nothing would be financed")
    if request.fees_upfront >= request.price - request.down_payment:
        raise ValueError("fees_upfront must be less than the financed amount: the lessor would put up nothing")
    term = request.term_months
    if isinstance(term, bool) or not isinstance(term, int) or term < 1:
        raise ValueError(f"term_months must be a whole number ≥ 1, got {term!r}")
    if request.rent_in_advance and term == 1 and request.purchase_price == 0:
        raise ValueError("one rent in advance and no purchase price is a cash sale: nothing is financed")
    if request.monthly_rent is not None and request.monthly_rent <= 0:
        raise ValueError("monthly_rent must be positive")
    rate = request.annual_rate
    if rate is not None and (not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0):
        raise ValueError(f"annual_rate must be a finite Decimal ≥ 0 (a fraction: 0.05 = 5 %), got {rate!r}")


def _check_amount(name: str, amount: Decimal | None) -> None:
    if amount is None:
        return
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"{name} must be a finite Decimal, got {amount!r}")
    if amount < 0:
        raise ValueError(f"{name} must not be negative, got {amount}")
    if amount != round_money(amount):
        raise MoneyError(f"{name} {amount} has fractions of a fen")
