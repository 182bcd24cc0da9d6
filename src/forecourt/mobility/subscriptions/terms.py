"""The subscription family's shared terms, its billing periods and the credit decision. Pure: no web or ORM code.

Periods run month by month from the first day: a subscription that starts on 31 January has periods 31 Jan–27 Feb,
28 Feb–30 Mar, 31 Mar–29 Apr, ... (a month later, clipped to the month's last day, then the day before the next).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class FamilyTerms:
    rollover_cap_km: int  # unused km carried into the next period, at most
    minimum_months: int  # the minimum term
    swap_fee: Decimal  # per swap to another class
    swaps_per_month: int  # at most this many swaps in a calendar month
    notice_days: int  # a cancel ends the subscription at the end of the period this notice reaches
    pause_fee_per_day: Decimal  # a paused day costs this and earns no allowance
    longest_pause_days: int
    purchase_credit_percent: int  # of the subscription fees paid, credited when the subscriber buys the car
    purchase_credit_cap: Decimal
    minimum_score: int  # the credit score a subscriber needs


FAMILY = FamilyTerms(
    rollover_cap_km=1_000,
    minimum_months=3,
    swap_fee=Decimal("699.00"),
    swaps_per_month=1,
    notice_days=30,
    pause_fee_per_day=Decimal("30.00"),
    longest_pause_days=60,
    purchase_credit_percent=50,
    purchase_credit_cap=Decimal("30000.00"),
    minimum_score=620,
)


def months_after(day: date, months: int) -> date:
    """The same day `months` later, clipped to the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period(started_on: date, index: int) -> tuple[date, date]:
    """The first and last day of period `index` (0 is the first)."""
    if index < 0:
        raise ValueError("period index must not be negative")
    return months_after(started_on, index), months_after(started_on, index + 1) - timedelta(days=1)


def period_of(started_on: date, day: date) -> tuple[int, date, date]:
    """The index, first and last day of the period holding `day` (on or after the start)."""
    if day < started_on:
        raise ValueError(f"{day} is before the subscription starts on {started_on}")
    index = (day.year - started_on.year) * 12 + day.month - started_on.month
    index = max(index - 1, 0)
    while True:
        first, last = period(started_on, index)
        if first <= day <= last:
            return index, first, last
        index += 1


def minimum_until(started_on: date, terms: FamilyTerms = FAMILY) -> date:
    return period(started_on, terms.minimum_months - 1)[1]


def notice_end(started_on: date, minimum: date, given_on: date, terms: FamilyTerms = FAMILY) -> date:
    """The last day after a cancel given on `given_on`: the end of the period the notice reaches, and never before
    the minimum term's last day."""
    reached = max(given_on + timedelta(days=terms.notice_days), minimum)
    return period_of(started_on, reached)[2]


def next_swap_day(swap_days: Iterable[date], day: date, terms: FamilyTerms = FAMILY) -> date:
    """The first day from `day` on which a swap may take effect: at most `swaps_per_month` swaps take effect in a
    calendar month (`swap_days` are the days earlier swaps took effect)."""
    if terms.swaps_per_month < 1:
        raise ValueError("a family without swaps has no next swap day")
    taken = list(swap_days)
    while sum(1 for d in taken if (d.year, d.month) == (day.year, day.month)) >= terms.swaps_per_month:
        day = months_after(day.replace(day=1), 1)
    return day


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class CreditDecision:
    approved: bool
    reasons: tuple[Reason, ...]


def credit_decision(verified: bool, score: int | None, terms: FamilyTerms = FAMILY) -> CreditDecision:
    """Approved for a verified identity whose bureau score reaches the minimum; every reason says why, with the
    figures, so the subscriber and the store read the same explanation."""
    if not verified:
        return CreditDecision(
            False, (Reason("identity_not_verified", "Verify your identity and driving licence first."),)
        )
    if score is None:
        return CreditDecision(
            False, (Reason("no_credit_history", "The credit bureau holds no score for this identity."),)
        )
    if score < terms.minimum_score:
        return CreditDecision(
            False,
            (Reason("score_below_minimum", f"The credit score {score} is below the {terms.minimum_score} needed."),),
        )
    return CreditDecision(
        True,
        (Reason("score_at_or_above_minimum", f"The credit score {score} reaches the {terms.minimum_score} needed."),),
    )
