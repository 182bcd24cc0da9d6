"""One marketing event, checked: field by field, with a reason a person can act on when it is refused.

Pure (standard library and `core.money` only), shared by the API batch, the CSV/Parquet import and the
platform's own conversions. Blank strings count as absent (CSV cells). Text is stripped; codes, cities and
UTM values are lower-cased so `Baidu` and `baidu` match the same campaign.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from forecourt.marketing.vocabulary import CHANNELS, EVENT_TYPES, PLATFORM_EVENT_TYPES

FIELDS: tuple[str, ...] = (
    "event_id",
    "type",
    "occurred_at",
    "visitor_id",
    "user_id",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer",
    "model_code",
    "city",
    "store_code",
    "value",
)
# The platform's own conversions also name their subject (a booking, application or order reference), and a test
# drive taken says how far it went (`distance_km`, from the odometer readings). The distance is accepted so that the
# event is not refused; attribution does not use it, so it is not stored (a column would come with a use for it).
PLATFORM_FIELDS: tuple[str, ...] = (*FIELDS, "subject", "distance_km")
REQUIRED: tuple[str, ...] = ("event_id", "type", "occurred_at")
PLATFORM_PREFIX = "platform:"
MAX_FUTURE = timedelta(minutes=10)  # clock skew of a browser or an ad platform's export
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_VALUE = Decimal("100000000.00")  # CNY 100 million: no car costs more; a larger figure is a unit mistake
MAX_LENGTHS: dict[str, int] = {
    "utm_source": 100,
    "utm_medium": 100,
    "utm_campaign": 100,
    "referrer": 2000,
    "city": 60,
    "subject": 40,
}

_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")  # control characters and lone surrogates
_EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}")
_VISITOR_ID = re.compile(r"[A-Za-z0-9_\-]{8,64}")
_CODE = re.compile(r"[a-z0-9][a-z0-9_\-]{0,39}")
CLIENT_TYPES: tuple[str, ...] = tuple(t for t in EVENT_TYPES if t not in PLATFORM_EVENT_TYPES)


@dataclass(frozen=True)
class CleanEvent:
    event_id: str
    type: str
    occurred_at: datetime  # UTC
    visitor_id: str | None = None
    user_id: int | None = None
    channel: str | None = None  # as sent; the stored channel is resolved later (campaign, medium, referrer)
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    referrer: str | None = None
    model_code: str | None = None
    city: str | None = None
    store_code: str | None = None
    subject: str | None = None
    value: Decimal | None = None


class EventProblem(ValueError):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _text(values: Mapping[str, Any], name: str, *, lower: bool = False) -> str | None:
    raw = values.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        if isinstance(raw, bool) or not isinstance(raw, int | Decimal | float):
            raise EventProblem(name, f"{name} must be text, not {type(raw).__name__}")
        raw = str(raw)
    if _CONTROL.search(raw):
        raise EventProblem(name, f"{name} contains control characters (such as a newline or NUL); remove them")
    text = raw.strip()
    if not text:
        return None
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(text) > limit:
        raise EventProblem(name, f"{name} is {len(text)} characters long; at most {limit} are allowed")
    return text.lower() if lower else text


def _code(values: Mapping[str, Any], name: str) -> str | None:
    text = _text(values, name, lower=True)
    if text is not None and not _CODE.fullmatch(text):
        raise EventProblem(name, f"{name} {text[:50]!r} is not a code: use up to 40 letters, digits, '-' or '_'")
    return text


def parse_timestamp(raw: Any, now: datetime | None) -> datetime:
    if isinstance(raw, str):
        text = raw.strip()
        if _CONTROL.search(text) or not text:
            raise EventProblem("occurred_at", "occurred_at is empty or contains control characters")
        if len(text) > 40:
            raise EventProblem("occurred_at", "occurred_at is too long to be a timestamp")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise EventProblem(
                "occurred_at", f"occurred_at {text!r} is not an ISO 8601 timestamp such as 2026-12-01T10:30:00+08:00"
            ) from None
    elif isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        raise EventProblem("occurred_at", "occurred_at needs a time and a UTC offset, not just a date")
    else:
        raise EventProblem("occurred_at", f"occurred_at must be an ISO 8601 text, not {type(raw).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise EventProblem("occurred_at", "occurred_at has no UTC offset; add one, e.g. +08:00 or Z")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise EventProblem("occurred_at", "occurred_at is out of range; check the date") from None
    if moment < EARLIEST:
        raise EventProblem("occurred_at", f"occurred_at {moment.date()} is before 2000; check the date")
    if now is not None and moment > now + MAX_FUTURE:
        raise EventProblem("occurred_at", "occurred_at is in the future; check the sender's clock and time zone")
    return moment


def parse_value(raw: Any) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise EventProblem("value", "value must be an amount in yuan such as 1299.00")
    try:
        amount = Decimal(str(raw).strip().replace(",", "")) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise EventProblem("value", f"value {str(raw)[:40]!r} is not an amount in yuan such as 1299.00") from None
    if not amount.is_finite():
        raise EventProblem("value", "value must be a finite amount in yuan")
    if amount < 0:
        raise EventProblem("value", "value cannot be negative")
    if amount > MAX_VALUE:
        raise EventProblem("value", f"value {amount} is above CNY {MAX_VALUE}; amounts are in yuan, not fen")
    if amount != amount.quantize(Decimal("0.01")):
        raise EventProblem("value", f"value {amount} has more than 2 decimal places (fen)")
    return amount.quantize(Decimal("0.01"))


def parse_user_id(raw: Any) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise EventProblem("user_id", "user_id must be a whole number")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str) and raw.isascii() and raw.strip().isdigit() and len(raw.strip()) <= 19:
        raw = int(raw.strip())
    if not isinstance(raw, int) or not 1 <= raw <= 2**63 - 1:
        raise EventProblem("user_id", "user_id must be a positive whole number (a Forecourt user id)")
    return raw


def check_event(
    values: Mapping[str, Any],
    now: datetime | None,
    *,
    allowed_types: Collection[str] = CLIENT_TYPES,
    fields: Collection[str] = FIELDS,
) -> CleanEvent:
    """The checked event, or EventProblem naming the first field at fault. `now` None: no future check (the
    platform's own events, relayed later, are trusted to be on time)."""
    unknown = sorted(str(k)[:40] for k in values if k not in fields)
    if unknown:
        raise EventProblem(None, f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(fields)}")
    for name in REQUIRED:
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise EventProblem(name, f"{name} is required")
    event_id = _text(values, "event_id")
    assert event_id is not None
    if not _EVENT_ID.fullmatch(event_id):
        raise EventProblem("event_id", "event_id must be 1-64 letters, digits, '.', '_', ':' or '-' (a UUID is ideal)")
    kind = _text(values, "type", lower=True)
    if kind not in EVENT_TYPES:
        raise EventProblem("type", f"unknown type {str(kind)[:40]!r}; use one of {', '.join(allowed_types)}")
    if kind not in allowed_types:
        if kind in PLATFORM_EVENT_TYPES:
            raise EventProblem("type", f"{kind} is a conversion the platform records itself; it cannot be sent")
        raise EventProblem("type", f"type {kind} cannot be sent here; use one of {', '.join(allowed_types)}")
    if event_id.lower().startswith(PLATFORM_PREFIX) and PLATFORM_EVENT_TYPES[0] not in allowed_types:
        raise EventProblem("event_id", f"event ids starting with {PLATFORM_PREFIX!r} are reserved for the platform")
    occurred_at = parse_timestamp(values.get("occurred_at"), now)
    visitor_id = _text(values, "visitor_id")
    if visitor_id is not None and not _VISITOR_ID.fullmatch(visitor_id):
        raise EventProblem("visitor_id", "visitor_id must be 8-64 letters, digits, '-' or '_' (the fc_vid cookie)")
    user_id = parse_user_id(values.get("user_id"))
    if visitor_id is None and user_id is None:
        raise EventProblem("visitor_id", "an event needs a visitor_id or a user_id: whose event is it?")
    channel = _text(values, "channel", lower=True)
    if channel is not None and channel not in CHANNELS:
        raise EventProblem("channel", f"unknown channel {channel[:40]!r}; use one of {', '.join(CHANNELS)}")
    return CleanEvent(
        event_id=event_id,
        type=kind,
        occurred_at=occurred_at,
        visitor_id=visitor_id,
        user_id=user_id,
        channel=channel,
        utm_source=_text(values, "utm_source", lower=True),
        utm_medium=_text(values, "utm_medium", lower=True),
        utm_campaign=_text(values, "utm_campaign", lower=True),
        referrer=_text(values, "referrer"),
        model_code=_code(values, "model_code"),
        city=_text(values, "city", lower=True),
        store_code=_code(values, "store_code"),
        subject=_text(values, "subject"),
        value=parse_value(values.get("value")),
    )
