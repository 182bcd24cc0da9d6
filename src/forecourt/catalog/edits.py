"""Checks of the back office's hand edits: vehicle fields and store opening hours. Pure; no web or ORM imports.

Each problem is a (field, message) pair whose message is a fixed English sentence, so pages can translate it
with gettext and the API can return it as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from forecourt.core.money import MoneyError, parse_amount

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_INTERVALS = 2
MAX_PHOTOS = 20
MAX_MILEAGE = 2_000_000
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-()]{3,30}$")

# The messages, kept together so translations can list them (backoffice/messages.py).
MSG_AMOUNT = "Enter an amount such as 189800 or 189,800.00."
MSG_OFFER_ABOVE_LIST = "The offer price cannot be above the list price."
MSG_OFFER_POSITIVE = "The offer price must be above zero."
MSG_MILEAGE = "Enter the mileage as a whole number of kilometres, 0 or more."
MSG_COLOUR = "Choose one of this model's colours."
MSG_PHOTO = "Each photo must be a web address starting with https://, http:// or /."
MSG_TOO_MANY_PHOTOS = "Give at most 20 photos."
MSG_CLOCK = "Enter times as HH:MM, for example 09:00."
MSG_OPEN_BEFORE_CLOSE = "The opening time must be before the closing time."
MSG_OVERLAP = "The two opening periods of a day must not overlap."
MSG_INCOMPLETE = "Give both an opening and a closing time, or neither."
MSG_PHONE = "Enter a phone number of digits, spaces, hyphens and an optional leading +."
MSG_DAY = "Unknown weekday."
MSG_IN_SERVICE_POOL = "This car serves the rental or subscription fleet; move it on the fleet page first."
MESSAGES = (
    MSG_AMOUNT,
    MSG_OFFER_ABOVE_LIST,
    MSG_OFFER_POSITIVE,
    MSG_MILEAGE,
    MSG_COLOUR,
    MSG_PHOTO,
    MSG_TOO_MANY_PHOTOS,
    MSG_CLOCK,
    MSG_OPEN_BEFORE_CLOSE,
    MSG_OVERLAP,
    MSG_INCOMPLETE,
    MSG_PHONE,
    MSG_DAY,
    MSG_IN_SERVICE_POOL,
)

Problem = tuple[str, str]


def parse_offer(value: Any, list_price: Decimal, currency: str, problems: list[Problem]) -> Decimal | None:
    """An offer price from text or a number; blank removes the offer."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = parse_amount(value if isinstance(value, (str, Decimal)) else str(value), currency)
    except MoneyError:
        problems.append(("offer_price", MSG_AMOUNT))
        return None
    if amount <= 0:
        problems.append(("offer_price", MSG_OFFER_POSITIVE))
    elif amount > list_price:
        problems.append(("offer_price", MSG_OFFER_ABOVE_LIST))
    return amount


def parse_mileage(value: Any, problems: list[Problem]) -> int | None:
    text = str(value).strip().replace(",", "") if value is not None else ""
    if isinstance(value, bool) or not re.fullmatch(r"\d{1,9}", text) or int(text) > MAX_MILEAGE:
        problems.append(("mileage_km", MSG_MILEAGE))
        return None
    return int(text)


def parse_photos(value: Any, problems: list[Problem]) -> list[str]:
    """One URL per line (text) or a list; blank lines are dropped."""
    lines: Iterable[str] = value.splitlines() if isinstance(value, str) else (value or [])
    urls = [str(line).strip() for line in lines if str(line).strip()]
    if len(urls) > MAX_PHOTOS:
        problems.append(("photo_urls", MSG_TOO_MANY_PHOTOS))
    for url in urls:
        if (
            not (
                url.startswith(("https://", "http://"))
                and len(url) > 8
                or url.startswith("/")
                and not url.startswith("//")
            )
            or any(c.isspace() for c in url)
            or len(url) > 500
        ):
            problems.append(("photo_urls", MSG_PHOTO))
            break
    return urls


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_opening_hours(
    days: Mapping[str, Sequence[tuple[str | None, str | None]]], problems: list[Problem]
) -> dict[str, list[list[str]]]:
    """Per weekday up to two (open, close) pairs; a pair with both blank is dropped; no pairs means closed.
    Problems name the field `hours.<day>`."""
    hours: dict[str, list[list[str]]] = {}
    for day in days:
        if day not in WEEKDAYS:
            problems.append((f"hours.{day}", MSG_DAY))
    for day in WEEKDAYS:
        field = f"hours.{day}"
        intervals: list[list[str]] = []
        problem = None
        for opens, closes in days.get(day, ()):
            opens, closes = (opens or "").strip(), (closes or "").strip()
            if not opens and not closes:
                continue
            if not opens or not closes:
                problem = MSG_INCOMPLETE
            elif not _CLOCK.match(opens) or not _CLOCK.match(closes):
                problem = MSG_CLOCK
            elif _minutes(opens) >= _minutes(closes):
                problem = MSG_OPEN_BEFORE_CLOSE
            else:
                intervals.append([opens, closes])
        if problem is None and len(intervals) > MAX_INTERVALS:
            problem = MSG_OVERLAP
        if problem is None and len(intervals) == 2:
            first, second = sorted(intervals, key=lambda pair: _minutes(pair[0]))
            if _minutes(second[0]) < _minutes(first[1]):
                problem = MSG_OVERLAP
        if problem:
            problems.append((field, problem))
        hours[day] = sorted(intervals, key=lambda pair: _minutes(pair[0]))
    return hours


def parse_phone(value: str | None, problems: list[Problem]) -> str:
    phone = " ".join((value or "").split())
    if phone and not _PHONE.match(phone):
        problems.append(("phone", MSG_PHONE))
    return phone
