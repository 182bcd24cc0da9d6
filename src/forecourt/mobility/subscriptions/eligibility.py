"""What subscribing checks before a car is reserved, shared by the use case and the pages that offer it: the credit
decision on the verified identity, the days a subscription may start on, and how the first car reaches the
subscriber (collected at the store, or delivered to an address kept encrypted). Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.catalog.models import Store
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.identity import service as identity
from forecourt.mobility.subscriptions import terms

STARTS_WITHIN = timedelta(days=60)
ADDRESS_LENGTH = (5, 200)


@dataclass(frozen=True)
class Handover:
    """How the first car reaches the subscriber: collected at the store (no address), or delivered to the address."""

    delivery_address: str | None = None

    @property
    def kind(self) -> str:
        return "pickup" if self.delivery_address is None else "delivery"


PICKUP = Handover()


def local_today(store: Store, now: datetime) -> date:
    return now.astimezone(ZoneInfo(store.time_zone)).date()


def start_window(store: Store, now: datetime) -> tuple[date, date]:
    """The first and last day a subscription at the store may start on, both included."""
    today = local_today(store, now)
    return today, today + STARTS_WITHIN


def credit_check(session: Session, user_id: int) -> tuple[terms.CreditDecision, int | None]:
    """The credit decision subscribing would take now (the bureau's score on the verified identity), and the score."""
    verification = identity.get_verification(session, user_id)
    verified = bool(verification and verification.verified)
    score = verification.credit_score if verification and verified else None
    return terms.credit_decision(verified, score), score


def address_context(reference: str) -> str:
    return f"subscription:{reference}:delivery_address"


def seal_address(handover: Handover, reference: str, cipher: FieldCipher | None) -> str | None:
    """The delivery address encrypted for the subscription (None for a pick-up); 422 when it is too short or long."""
    if handover.delivery_address is None:
        return None
    address = handover.delivery_address.strip()
    if not ADDRESS_LENGTH[0] <= len(address) <= ADDRESS_LENGTH[1]:
        raise InvalidInput(
            "Give the delivery address (5 to 200 characters)",
            code="delivery_address_invalid",
            errors=[FieldError("delivery_address", "5 to 200 characters")],
        )
    if cipher is None:
        raise ValueError("a delivery address is stored encrypted: pass the field cipher")
    return cipher.encrypt(address, context=address_context(reference))
