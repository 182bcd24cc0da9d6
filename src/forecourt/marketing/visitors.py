"""Visitors: the anonymous first-party id of a browser, its tracking consent and its sign-in stitching.

- Ids are issued by the server on the first acceptance, with a proof only that browser holds
  (`visitor_cookies.py`); only that browser or an admin may change the visitor's consent (`api_events.py`).
- Consent is opt-in. Declining deletes the visitor's stored touch and engagement events and refuses later
  ones (`consent_declined`); conversions the platform recorded are business records and stay. Accepting
  (again) lets events in from then on.
- Stitching: when a visitor signs in, the visitor row gets the user id, and every event of that visitor,
  before and after, counts for that person (`event_repository.person_events_frame`). A visitor already
  stitched to another user keeps its first user (a shared browser must not hand one person's history to
  another), and a visitor who declined is not stitched.
Session first, may flush, never commits.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from forecourt.core.clock import utcnow
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.marketing import event_repository as repository
from forecourt.marketing.vocabulary import (
    CONSENT_DECLINED,
    CONSENT_GRANTED,
    ENGAGEMENT_TYPES,
    TOUCH_TYPES,
)

COOKIE = "fc_vid"
CONSENT_COOKIE = "fc_consent"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the most browsers keep a cookie (400 days)
_VISITOR_ID = re.compile(r"[A-Za-z0-9_\-]{8,64}")


@dataclass(frozen=True)
class ConsentOutcome:
    visitor_id: str
    consent: str
    deleted_events: int


def new_visitor_id() -> str:
    return secrets.token_urlsafe(18)  # 24 characters, 144 random bits


def is_visitor_id(value: str | None) -> bool:
    return bool(value) and bool(_VISITOR_ID.fullmatch(value or ""))


def _check(visitor_id: str) -> None:
    if not is_visitor_id(visitor_id):
        raise InvalidInput(
            "visitor_id must be 8-64 letters, digits, '-' or '_' (the fc_vid cookie)",
            code="invalid_visitor_id",
            errors=[FieldError("visitor_id", "malformed")],
        )


def set_consent(session: Session, visitor_id: str, granted: bool) -> ConsentOutcome:
    _check(visitor_id)
    now = utcnow()
    visitor = repository.add_visitor(session, visitor_id, now)
    visitor.consent = CONSENT_GRANTED if granted else CONSENT_DECLINED
    visitor.consent_at = now
    deleted = 0 if granted else repository.delete_visitor_events(session, visitor_id, TOUCH_TYPES + ENGAGEMENT_TYPES)
    session.flush()
    return ConsentOutcome(visitor_id, visitor.consent, deleted)


def consent_of(session: Session, visitor_id: str) -> str | None:
    _check(visitor_id)
    visitor = repository.get_visitor(session, visitor_id)
    return visitor.consent if visitor else None


def stitch_visitor(session: Session, visitor_id: str | None, user_id: int) -> bool:
    """Link the browser's visitor id to the user who just signed in; True when the link was made (or existed).
    A malformed or missing id (a tampered cookie) is ignored: signing in must never fail because of it."""
    if not is_visitor_id(visitor_id):
        return False
    assert visitor_id is not None
    now = utcnow()
    visitor = repository.add_visitor(session, visitor_id, now)
    if visitor.consent == CONSENT_DECLINED:
        return False
    if visitor.user_id is not None:
        return visitor.user_id == user_id
    repository.set_visitor_user(session, visitor_id, user_id, now)
    session.expire(visitor)
    return True
