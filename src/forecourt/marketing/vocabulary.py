"""The words of marketing data: channels, event types and consent states (pure, standard library only).

Touches (impression, click, visit) carry a channel and build attribution paths; engagement events
(vehicle views, calculator use, quote requests, contact forms) feed the funnel and lead scoring;
conversions are what attribution credits. The platform emits its own conversions through the outbox.
"""

from __future__ import annotations

CHANNELS: tuple[str, ...] = (
    "search",
    "social",
    "display",
    "video",
    "marketplace",
    "email",
    "sms",
    "referral",
    "direct",
    "offline_event",
)
DIRECT_CHANNEL = "direct"

TOUCH_TYPES: tuple[str, ...] = ("impression", "click", "visit")
ENGAGEMENT_TYPES: tuple[str, ...] = (
    "vehicle_view",
    "calculator_use",
    "configurator_use",
    "quote_request",
    "contact",
)
CONVERSION_TYPES: tuple[str, ...] = (
    "test_drive_booked",
    "test_drive_taken",
    "credit_application",
    "order",
)
EVENT_TYPES: tuple[str, ...] = TOUCH_TYPES + ENGAGEMENT_TYPES + CONVERSION_TYPES

# Conversion types the platform itself reports (through the outbox); clients may not forge them.
PLATFORM_EVENT_TYPES: tuple[str, ...] = CONVERSION_TYPES

EVENT_SOURCES: tuple[str, ...] = ("api", "import", "platform", "demo")

CONSENT_GRANTED = "granted"
CONSENT_DECLINED = "declined"
CONSENT_STATES: tuple[str, ...] = (CONSENT_GRANTED, CONSENT_DECLINED)


def sql_in(values: tuple[str, ...]) -> str:
    """`'a', 'b'` for a CHECK constraint's IN list (our own constants, never user input)."""
    return ", ".join(f"'{value}'" for value in values)
