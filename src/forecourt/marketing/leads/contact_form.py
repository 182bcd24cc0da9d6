"""The storefront's "Ask about this car" use case: store a `contact` event for the car, capture it as a lead
(deduplicated by user, else by the blind index of the normalised mobile/e-mail), and seal the contact details
onto the lead: encrypted with the field cipher, with masks for everyone but the owning store's staff.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.core.masking import mask_name, mask_phone
from forecourt.marketing.leads import lifecycle
from forecourt.marketing.leads.capture import ContactIndexes, capture
from forecourt.marketing.leads.contact import ContactInput
from forecourt.marketing.leads.models import Lead
from forecourt.marketing.leads.service import contact_context
from forecourt.marketing.models import MarketingEvent

FIELD_MESSAGES = {
    "required": "is required",
    "too_long": "is too long",
    "invalid": "is not valid",
    "mobile_or_email": "give a mobile number or an e-mail address",
}
VISITOR_ID_MAX = 64


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def invalid(errors: dict[str, str]) -> InvalidInput:
    return InvalidInput(
        "The contact form is not complete; see errors.",
        code="invalid_contact",
        errors=[FieldError(name, FIELD_MESSAGES.get(problem, problem)) for name, problem in errors.items()],
    )


@dataclass(frozen=True)
class Received:
    event_id: str
    lead: Lead


def submit(
    session: Session,
    cipher: FieldCipher,
    vin: str,
    person: ContactInput,
    *,
    user_id: int | None,
    visitor_id: str | None,
    now: datetime,
) -> Received:
    vehicle = catalog.get_vehicle(session, vin)  # 404 for an unknown car
    visitor = (visitor_id or "").strip()[:VISITOR_ID_MAX] or None
    if user_id is None and visitor is None:
        visitor = f"contact-{uuid.uuid4().hex}"  # an anonymous form without a visitor cookie
    event = MarketingEvent(
        event_id=f"contact-{uuid.uuid4().hex}",
        type="contact",
        occurred_at=now,
        received_at=now,
        source="api",
        visitor_id=visitor,
        user_id=user_id,
        channel=None,
        model_code=vehicle.trim.model.code,
        city=vehicle.store.city.code,
        store_code=vehicle.store.code,
        subject=vehicle.vin,
    )
    session.add(event)
    session.flush()
    indexes = ContactIndexes(
        cipher.blind_index(f"mobile:{person.mobile}", purpose="lead.contact") if person.mobile else None,
        cipher.blind_index(f"email:{person.email}", purpose="lead.contact") if person.email else None,
    )
    lead = capture(session, event, contact=indexes, now=now)
    assert lead is not None  # a contact event always creates or joins a lead when a store exists
    _seal(cipher, lead, person, now)
    if person.message:
        activity = lifecycle.add_activity(session, lead, now, "message", event_type="contact", event_id=event.id)
        activity.message_enc = cipher.encrypt(person.message, context=contact_context(lead.id, "message"))
    session.flush()
    return Received(event.event_id, lead)


def _seal(cipher: FieldCipher, lead: Lead, person: ContactInput, now: datetime) -> None:
    lead.name_enc = cipher.encrypt(person.name, context=contact_context(lead.id, "name"))
    lead.name_masked = mask_name(person.name)
    if person.mobile:
        lead.mobile_enc = cipher.encrypt(person.mobile, context=contact_context(lead.id, "mobile"))
        lead.mobile_masked = mask_phone(person.mobile)
    if person.email:
        lead.email_enc = cipher.encrypt(person.email, context=contact_context(lead.id, "email"))
        lead.email_masked = mask_email(person.email)
    lead.consent_at = now
