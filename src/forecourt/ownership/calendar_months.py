"""Calendar months for contracts and schedules (pure: standard library only).

A term of n months from a day ends on the same day of the month n months later; when that month is shorter (a
lease delivered on 31 January), it ends on that month's last day (28 or 29 February), as contracts and bank
calendars do. Months are always counted from the first day, never chained month by month, so 31 January + 2 months
is 31 March, not 28 March.

"Months and days left" (for a page: "5 months 12 days") counts whole months forward from the earlier day by that
same rule while they do not pass the later day, then the days that remain. So 31 January → 15 March is 1 month
(to 28 February) and 15 days, and 15 January → 15 July is exactly 6 months. Every figure that enters arithmetic
(days left, days driven) is a count of days; months and days are only for showing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class MonthsAndDays:
    months: int
    days: int


def add_months(day: date, months: int) -> date:
    """`day` moved `months` calendar months (negative: back), clamped to the last day of a shorter month."""
    index = day.year * MONTHS_PER_YEAR + day.month - 1 + months
    year, month = divmod(index, MONTHS_PER_YEAR)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def months_and_days_between(start: date, end: date) -> MonthsAndDays:
    """Whole months from `start` that do not pass `end`, then the days left over; 0 and 0 when end ≤ start."""
    if end <= start:
        return MonthsAndDays(0, 0)
    months = (end.year - start.year) * MONTHS_PER_YEAR + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return MonthsAndDays(months, (end - add_months(start, months)).days)
