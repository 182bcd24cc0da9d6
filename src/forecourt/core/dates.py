"""The window of dates and times Forecourt accepts from outside (pure: standard library only).

Python's dates run from year 1 to 9999, and arithmetic near either end (a day added to 9999-12-31, a moment of
year 1 at +14:00 moved to UTC) raises OverflowError deep inside a use case: a 500 for a typo. No business date of a
car retailer lies outside 2000..2100, so every day or moment that comes in (query parameter, form field, JSON body,
file cell) is checked against this window once, where it is parsed, and refused with a message a person can act
on. Birth dates reach back to 1900. The pydantic types built on these checks are in `core.params`.
"""

from __future__ import annotations

from datetime import date, datetime

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
EARLIEST_BIRTH = date(1900, 1, 1)
MAX_TEXT = 40  # longer than any ISO 8601 day or moment with an offset and microseconds


class OutOfWindow(ValueError):
    """A well-formed day or moment outside the accepted window; its text names the window."""


def window_text(earliest: date = EARLIEST, latest: date = LATEST) -> str:
    return f"from {earliest.isoformat()} to {latest.isoformat()}"


def check_day(value: date, earliest: date = EARLIEST, latest: date = LATEST) -> date:
    """`value` itself, or OutOfWindow. A datetime is checked by its own calendar day."""
    day = value.date() if isinstance(value, datetime) else value
    if not earliest <= day <= latest:
        raise OutOfWindow(f"must be a date {window_text(earliest, latest)}")
    return value


def check_birth_day(value: date) -> date:
    return check_day(value, EARLIEST_BIRTH, LATEST)


def check_moment(value: datetime) -> datetime:
    """An aware moment whose local day, and so its UTC day, lies in the window (so `astimezone` cannot overflow)."""
    if not EARLIEST <= value.date() <= LATEST:
        raise OutOfWindow(f"must be a time {window_text()}")
    return value


def parse_day(text: str | None, earliest: date = EARLIEST, latest: date = LATEST) -> date | None:
    """A YYYY-MM-DD day inside the window, or None when the text is empty, malformed or outside it."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        return None
    try:
        return check_day(date.fromisoformat(text), earliest, latest)
    except ValueError:
        return None


def parse_moment(text: str | None) -> datetime | None:
    """An ISO 8601 moment with a UTC offset inside the window, or None (empty, malformed, naive or outside)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    try:
        return check_moment(moment)
    except OutOfWindow:
        return None
