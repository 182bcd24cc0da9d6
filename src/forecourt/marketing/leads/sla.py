"""The response-time SLA (pure): when the first contact with a new lead is due.

Rule: within 2 hours of the store's opening hours (counted from when the lead arrived; a lead that arrives at
night is due 2 hours after the store opens). A store without any opening hours gets 24 wall-clock hours. The
search looks 14 days ahead, then gives up on the opening hours and answers 24 hours.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

WORKING_TIME = timedelta(hours=2)
NO_HOURS_FALLBACK = timedelta(hours=24)
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOOKAHEAD_DAYS = 14


def _periods(opening_hours: dict[str, Any], day_key: str) -> list[tuple[time, time]]:
    periods = []
    for period in opening_hours.get(day_key) or []:
        try:
            start, end = time.fromisoformat(period[0]), time.fromisoformat(period[1])
        except (TypeError, ValueError, IndexError):
            continue
        if start < end:
            periods.append((start, end))
    return sorted(periods)


def first_contact_due(
    arrived: datetime, opening_hours: dict[str, Any] | None, zone: str, working_time: timedelta = WORKING_TIME
) -> datetime:
    """The moment `working_time` of opening hours have passed since `arrived` (aware datetimes, UTC out)."""
    tz = ZoneInfo(zone)
    local = arrived.astimezone(tz)
    left = working_time
    hours = opening_hours or {}
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        for start, end in _periods(hours, DAY_KEYS[day.weekday()]):
            begin = datetime.combine(day, start, tz)
            finish = datetime.combine(day, end, tz)
            begin = max(begin, local)
            if begin >= finish:
                continue
            if finish - begin >= left:
                return (begin + left).astimezone(arrived.tzinfo)
            left -= finish - begin
    return arrived + NO_HOURS_FALLBACK


def is_overdue(due: datetime, contacted: datetime | None, now: datetime) -> bool:
    """Overdue: not contacted yet and past due (a late first contact is shown as late, not overdue)."""
    return contacted is None and now > due
