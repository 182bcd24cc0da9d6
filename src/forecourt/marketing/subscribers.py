"""What happens in the marketing context when new events are stored (after de-duplication).

The event ingestion calls `on_new_events` in the same transaction as the insert, so a lead exists if and
only if the event that created it was stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from forecourt.marketing.models import MarketingEvent


def on_new_events(session: Session, events: Sequence[MarketingEvent]) -> None:
    """Leads are captured here (filled in by the leads work)."""
    del session, events
