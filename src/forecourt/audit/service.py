"""Record audit events inside the caller's transaction, so the trail commits (or rolls back) with the change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from forecourt.audit import repository
from forecourt.audit.models import AuditEvent
from forecourt.core.clock import utcnow


def record(
    session: Session,
    actor: int | None,
    action: str,
    object_type: str,
    object_id: str | int | None,
    store_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """`actor` is the acting user's id (None for the system or an anonymous caller); details must be JSON-able."""
    event = AuditEvent(
        at=utcnow(),
        actor_user_id=actor,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        store_id=store_id,
        details=details,
    )
    session.add(event)
    session.flush()
    return event


def list_events(session: Session, **filters: Any) -> Sequence[AuditEvent]:
    return repository.list_events(session, **filters)
