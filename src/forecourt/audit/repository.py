"""Queries over the audit trail."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.audit.models import AuditEvent


def list_events(
    session: Session,
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_user_id: int | None = None,
    store_ids: Collection[int] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[AuditEvent]:
    """Newest first. `store_ids`: only events about these stores (None: every event)."""
    statement = select(AuditEvent)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    if object_type is not None:
        statement = statement.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        statement = statement.where(AuditEvent.object_id == object_id)
    if actor_user_id is not None:
        statement = statement.where(AuditEvent.actor_user_id == actor_user_id)
    if store_ids is not None:
        statement = statement.where(AuditEvent.store_id.in_(sorted(store_ids)))
    return session.scalars(statement.order_by(AuditEvent.id.desc()).limit(limit).offset(offset)).all()
