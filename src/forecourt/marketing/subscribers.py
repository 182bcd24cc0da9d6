"""What happens in the marketing context when new events are stored (after de-duplication).

The event ingestion calls `on_new_events` in the same transaction as the insert, so a lead exists if and
only if the event that created it was stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from forecourt.marketing.models import MarketingEvent


def on_new_events(session: Session, events: Sequence[MarketingEvent]) -> None:
    """Capture leads: inquiries (test-drive bookings, quote requests, credit applications, contact forms) create
    or join the person's open lead; engagement events count towards it; conversions move it forward."""
    from forecourt.marketing.leads.capture import capture_all

    if events:
        session.flush()  # the events need their ids (timeline links, "earlier events" counting)
        capture_all(session, events)
