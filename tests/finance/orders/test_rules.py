"""Order rules: deposit bands and cancellation refunds at every boundary. Pure: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from forecourt.finance.orders.rules import (
    DEFAULT_TERMS,
    DepositBand,
    OrderTerms,
    RefundReason,
    cancellation_refund,
    cooling_off_ends,
    deposit_for,
)

D = Decimal
RESERVED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("price", "deposit"),
    [
        ("0.01", "0.01"),  # never more than the price
        ("4999.99", "4999.99"),
        ("5000.00", "5000.00"),
        ("179800.00", "5000.00"),
        ("199999.99", "5000.00"),
        ("200000.00", "10000.00"),  # a bound belongs to the band above
        ("252800.00", "10000.00"),
        ("499999.99", "10000.00"),
        ("500000.00", "20000.00"),
        ("1348000.00", "20000.00"),
    ],
)
def test_deposit_by_price_band(price, deposit):
    assert deposit_for(D(price)) == D(deposit)


@pytest.mark.parametrize("price", [D("0"), D("-1"), D("NaN"), D("Infinity"), 200000])
def test_deposit_refuses_nonsense_prices(price):
    with pytest.raises(ValueError):
        deposit_for(price)


def test_deposit_bands_are_configurable():
    terms = OrderTerms(bands=(DepositBand(D("100000"), D("2000")),), top_deposit=D("8000"))
    assert deposit_for(D("99999.99"), terms=terms) == D("2000.00")
    assert deposit_for(D("100000"), terms=terms) == D("8000.00")


@pytest.mark.parametrize(
    "bad",
    [
        {"bands": (DepositBand(D("500000"), D("1")), DepositBand(D("200000"), D("1")))},  # not increasing
        {"bands": (DepositBand(D("1"), D("1")), DepositBand(D("1"), D("2")))},  # repeated bound
        {"top_deposit": D("-1")},
        {"forfeit_share": D("1.01")},
        {"forfeit_share": D("-0.01")},
        {"cooling_off": timedelta(hours=-1)},
    ],
)
def test_terms_are_validated(bad):
    with pytest.raises(ValueError):
        OrderTerms(**bad)


def _refund(
    elapsed: timedelta,
    *,
    by_store: bool = False,
    finance_declined: bool = False,
    deposit: str = "10000.00",
    terms: OrderTerms = DEFAULT_TERMS,
):
    return cancellation_refund(
        D(deposit), RESERVED, RESERVED + elapsed, by_store=by_store, finance_declined=finance_declined, terms=terms
    )


@pytest.mark.parametrize(
    ("elapsed", "amount", "reason"),
    [
        (timedelta(0), "10000.00", RefundReason.COOLING_OFF),
        (timedelta(hours=71, minutes=59, seconds=59), "10000.00", RefundReason.COOLING_OFF),
        (timedelta(hours=72), "10000.00", RefundReason.COOLING_OFF),  # inclusive: at 72:00:00 still in full
        (timedelta(hours=72, seconds=1), "5000.00", RefundReason.FORFEIT),
        (timedelta(days=30), "5000.00", RefundReason.FORFEIT),
    ],
)
def test_buyer_cancel_refund_by_time(elapsed, amount, reason):
    decision = _refund(elapsed)
    assert (decision.amount, decision.reason) == (D(amount), reason)
    assert decision.amount + decision.forfeited == D("10000.00")


@pytest.mark.parametrize("elapsed", [timedelta(hours=1), timedelta(hours=72, seconds=1), timedelta(days=90)])
def test_store_cancel_and_finance_decline_refund_in_full(elapsed):
    by_store = _refund(elapsed, by_store=True)
    declined = _refund(elapsed, finance_declined=True)
    assert (by_store.amount, by_store.reason) == (D("10000.00"), RefundReason.STORE_CANCELLED)
    assert (declined.amount, declined.reason) == (D("10000.00"), RefundReason.FINANCE_DECLINED)


@pytest.mark.parametrize(
    ("share", "deposit", "refund", "kept"),
    [
        ("0.50", "5000.00", "2500.00", "2500.00"),
        ("1", "20000.00", "0.00", "20000.00"),  # the whole deposit forfeited
        ("0", "20000.00", "20000.00", "0.00"),
        ("0.333", "0.05", "0.03", "0.02"),  # 0.01665 rounds half up to 0.02 kept
        ("0.30", "0.05", "0.03", "0.02"),  # 0.015 rounds half up to 0.02 kept
    ],
)
def test_forfeited_share_is_configurable_and_rounded_half_up(share, deposit, refund, kept):
    terms = OrderTerms(forfeit_share=D(share))
    decision = _refund(timedelta(days=4), deposit=deposit, terms=terms)
    assert (decision.amount, decision.forfeited) == (D(refund), D(kept))


def test_cooling_off_period_is_configurable():
    terms = OrderTerms(cooling_off=timedelta(hours=24))
    assert cooling_off_ends(RESERVED, terms) == RESERVED + timedelta(hours=24)
    assert _refund(timedelta(hours=24, seconds=1), terms=terms).reason == RefundReason.FORFEIT


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        cancellation_refund(D("1"), RESERVED.replace(tzinfo=None), RESERVED, by_store=False, finance_declined=False)
