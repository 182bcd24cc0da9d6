"""Order rules: the deposit that reserves a car, and what a cancellation refunds. Pure: standard library and
`core.money` only (no web or ORM imports), so every boundary is a table test.

Deposit (定金) by the price on the quote, in the quote's currency (the defaults are CNY):

| price                       | deposit |
|-----------------------------|---------|
| under 200,000               |  5,000  |
| 200,000 up to under 500,000 | 10,000  |
| 500,000 and above           | 20,000  |

A band's bound belongs to the band above it (exactly 200,000.00 pays 10,000). The deposit never exceeds the
price itself (a car cheaper than the deposit is reserved with its full price).

Refund when an order is cancelled (reserved or confirmed; a completed order is not cancelled):

1. the store cancels (stock problem, the store's own decision): the whole deposit;
2. the finance provider declined the buyer's credit application for the order's quote: the whole deposit;
3. the buyer cancels within the cooling-off period, 72 hours after reserving (inclusive: at 72:00:00 still
   in full): the whole deposit;
4. otherwise the buyer forfeits `forfeit_share` of the deposit (default 50 %) and gets the rest back,
   rounded half up to the cent.

Everything is configurable through `OrderTerms` (bands, cooling-off period, forfeited share).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from forecourt.core.money import round_money


class RefundReason(StrEnum):
    STORE_CANCELLED = "store_cancelled"
    FINANCE_DECLINED = "finance_declined"
    COOLING_OFF = "cooling_off"
    FORFEIT = "forfeit"


@dataclass(frozen=True)
class DepositBand:
    below: Decimal  # prices strictly below this bound pay `amount`
    amount: Decimal


@dataclass(frozen=True)
class OrderTerms:
    bands: tuple[DepositBand, ...] = (
        DepositBand(Decimal("200000.00"), Decimal("5000.00")),
        DepositBand(Decimal("500000.00"), Decimal("10000.00")),
    )
    top_deposit: Decimal = Decimal("20000.00")  # at or above the last band's bound
    cooling_off: timedelta = timedelta(hours=72)
    forfeit_share: Decimal = Decimal("0.50")  # of the deposit, kept when the buyer cancels after cooling-off

    def __post_init__(self) -> None:
        bounds = [band.below for band in self.bands]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ValueError("deposit bands must have strictly increasing bounds")
        if any(band.amount < 0 for band in self.bands) or self.top_deposit < 0:
            raise ValueError("deposits cannot be negative")
        if not Decimal("0") <= self.forfeit_share <= Decimal("1"):
            raise ValueError("the forfeited share must be between 0 and 1")
        if self.cooling_off < timedelta(0):
            raise ValueError("the cooling-off period cannot be negative")


DEFAULT_TERMS = OrderTerms()


@dataclass(frozen=True)
class RefundDecision:
    amount: Decimal
    reason: RefundReason
    forfeited: Decimal = field(default=Decimal("0.00"))


def deposit_for(price: Decimal, currency: str = "CNY", terms: OrderTerms = DEFAULT_TERMS) -> Decimal:
    """The deposit that reserves a car quoted at `price`."""
    if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
        raise ValueError(f"price must be a positive finite Decimal, got {price!r}")
    amount = next((band.amount for band in terms.bands if price < band.below), terms.top_deposit)
    return round_money(min(amount, price), currency)


def cooling_off_ends(reserved_at: datetime, terms: OrderTerms = DEFAULT_TERMS) -> datetime:
    return reserved_at + terms.cooling_off


def cancellation_refund(
    deposit: Decimal,
    reserved_at: datetime,
    now: datetime,
    *,
    by_store: bool,
    finance_declined: bool,
    currency: str = "CNY",
    terms: OrderTerms = DEFAULT_TERMS,
) -> RefundDecision:
    """What goes back to the buyer when the order is cancelled at `now` (aware datetimes)."""
    if reserved_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("pass timezone-aware datetimes")
    deposit = round_money(deposit, currency)
    if by_store:
        return RefundDecision(deposit, RefundReason.STORE_CANCELLED)
    if finance_declined:
        return RefundDecision(deposit, RefundReason.FINANCE_DECLINED)
    if now <= cooling_off_ends(reserved_at, terms):
        return RefundDecision(deposit, RefundReason.COOLING_OFF)
    forfeited = round_money(deposit * terms.forfeit_share, currency)
    return RefundDecision(deposit - forfeited, RefundReason.FORFEIT, forfeited)
