"""Lead-scoring features (pure, standard library only): the usual dealer signals of one lead, as numbers.

Features are taken "as of" a moment: now for an open lead, the closing time for a won or lost lead, so a model
trained on closed leads sees the same quantities it will be asked about. Counts, distance, recency and
response time are log-scaled (log1p): the 10th vehicle view says less than the 1st. The closing event itself
(the order) never counts as activity, so it does not leak the outcome into the recency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from forecourt.core.i18n_marks import N_

PAID_CHANNELS = frozenset({"search", "social", "display", "video", "marketplace"})
OWNED_CHANNELS = frozenset({"email", "sms"})
EARNED_CHANNELS = frozenset({"referral", "offline_event"})
RESPONSE_CAP_HOURS = 168.0  # a week: later than that is simply "very slow"
DEFAULT_DISTANCE_KM = 15.0  # a lead whose city is unknown: a typical in-city distance

FEATURE_NAMES: tuple[str, ...] = (
    "source_test_drive",
    "source_quote_request",
    "source_credit_application",
    "source_contact",
    "channel_paid",
    "channel_owned",
    "channel_earned",
    "model_known",
    "calculator_used",
    "configurator_used",
    "vehicle_views_log",
    "test_drive_booked",
    "test_drive_taken",
    "credit_application",
    "distance_km_log",
    "recency_days_log",
    "response_hours_log",
)
# Labels are marked for extraction; the back-office pages translate them when they show a lead's top factors.
FEATURE_LABELS: dict[str, str] = {
    "source_test_drive": N_("Came in through a test-drive booking"),
    "source_quote_request": N_("Came in through a quote request"),
    "source_credit_application": N_("Came in through a credit application"),
    "source_contact": N_("Came in through the contact form"),
    "channel_paid": N_("Paid media channel"),
    "channel_owned": N_("E-mail or SMS channel"),
    "channel_earned": N_("Referral or event"),
    "model_known": N_("Asked about a specific model"),
    "calculator_used": N_("Used the finance calculator"),
    "configurator_used": N_("Used the configurator"),
    "vehicle_views_log": N_("Vehicle pages viewed"),
    "test_drive_booked": N_("Booked a test drive"),
    "test_drive_taken": N_("Took a test drive"),
    "credit_application": N_("Pre-qualified or applied for credit"),
    "distance_km_log": N_("Distance to the store"),
    "recency_days_log": N_("Days since last activity"),
    "response_hours_log": N_("Hours until first contact"),
}


@dataclass(frozen=True)
class LeadFacts:
    source: str
    channel: str | None
    model_code: str | None
    calculator_uses: int
    configurator_uses: int
    vehicle_views: int
    test_drive_booked: bool
    test_drive_taken: bool
    credit_applied: bool
    distance_km: float | None
    created_at: datetime
    last_activity_at: datetime
    first_contacted_at: datetime | None


def _hours(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 3600)


def feature_vector(facts: LeadFacts, as_of: datetime) -> tuple[float, ...]:
    """The features of FEATURE_NAMES, in order."""
    contacted = facts.first_contacted_at if facts.first_contacted_at is not None else as_of
    response = min(RESPONSE_CAP_HOURS, _hours(contacted, facts.created_at))
    recency_days = _hours(as_of, facts.last_activity_at) / 24
    distance = DEFAULT_DISTANCE_KM if facts.distance_km is None else max(0.0, facts.distance_km)
    channel = facts.channel or ""
    return (
        float(facts.source in ("test_drive_booked", "test_drive_taken")),
        float(facts.source == "quote_request"),
        float(facts.source == "credit_application"),
        float(facts.source == "contact"),
        float(channel in PAID_CHANNELS),
        float(channel in OWNED_CHANNELS),
        float(channel in EARNED_CHANNELS),
        float(bool(facts.model_code)),
        float(facts.calculator_uses > 0),
        float(facts.configurator_uses > 0),
        math.log1p(max(0, facts.vehicle_views)),
        float(facts.test_drive_booked),
        float(facts.test_drive_taken),
        float(facts.credit_applied),
        math.log1p(distance),
        math.log1p(recency_days),
        math.log1p(response),
    )
