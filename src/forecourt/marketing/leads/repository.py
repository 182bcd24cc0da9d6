"""Every query of the leads work."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from forecourt.marketing.leads.models import (
    Lead,
    LeadActivity,
    LeadScoringModel,
    LeadTask,
)
from forecourt.marketing.leads.pipeline import CLOSED_STAGES, OPEN_STAGES
from forecourt.marketing.models import MarketingEvent, Visitor


def stitched_user(session: Session, visitor_id: str) -> int | None:
    return session.scalar(select(Visitor.user_id).where(Visitor.visitor_id == visitor_id))


def stitched_users(session: Session, visitor_ids: Collection[str]) -> dict[str, int]:
    """{visitor id: user id} for those of the visitors that signed in."""
    if not visitor_ids:
        return {}
    statement = select(Visitor.visitor_id, Visitor.user_id).where(
        Visitor.visitor_id.in_(list(visitor_ids)), Visitor.user_id.is_not(None)
    )
    return {visitor: user for visitor, user in session.execute(statement)}


def visitors_of_users(session: Session, user_ids: Collection[int]) -> dict[int, set[str]]:
    if not user_ids:
        return {}
    found: dict[int, set[str]] = {}
    statement = select(Visitor.user_id, Visitor.visitor_id).where(Visitor.user_id.in_(list(user_ids)))
    for user, visitor in session.execute(statement):
        found.setdefault(user, set()).add(visitor)
    return found


def people_with_open_leads(
    session: Session, *, user_ids: Collection[int], visitor_ids: Collection[str]
) -> tuple[set[int], set[str]]:
    """Which of these users and visitors have an open lead: (user ids, visitor ids)."""
    clauses = []
    if user_ids:
        clauses.append(Lead.user_id.in_(list(user_ids)))
    if visitor_ids:
        clauses.append(Lead.visitor_id.in_(list(visitor_ids)))
    if not clauses:
        return set(), set()
    rows = session.execute(select(Lead.user_id, Lead.visitor_id).where(Lead.status.in_(OPEN_STAGES), or_(*clauses)))
    users, visitors = set(), set()
    for user, visitor in rows:
        if user is not None:
            users.add(user)
        if visitor is not None:
            visitors.add(visitor)
    return users, visitors


def visitors_of_user(session: Session, user_id: int) -> list[str]:
    return list(session.scalars(select(Visitor.visitor_id).where(Visitor.user_id == user_id)))


def open_leads_of_person(
    session: Session,
    *,
    keys: Collection[str],
    user_id: int | None,
    visitor_ids: Collection[str],
    contact_indexes: Collection[str],
) -> Sequence[Lead]:
    """Open leads matching any of the person's identities, oldest first."""
    clauses = [Lead.open_person_key.in_(list(keys))] if keys else []
    if user_id is not None:
        clauses.append(Lead.user_id == user_id)
    if visitor_ids:
        clauses.append(Lead.visitor_id.in_(list(visitor_ids)))
    if contact_indexes:
        clauses += [Lead.mobile_index.in_(list(contact_indexes)), Lead.email_index.in_(list(contact_indexes))]
    if not clauses:
        return []
    statement = select(Lead).where(Lead.status.in_(OPEN_STAGES), or_(*clauses)).order_by(Lead.created_at, Lead.id)
    return session.scalars(statement).all()


def person_events(
    session: Session, *, user_id: int | None, visitor_ids: Collection[str], before_id: int | None = None
) -> Sequence[MarketingEvent]:
    """The person's earlier events (to count what they did before the lead existed)."""
    clauses = []
    if user_id is not None:
        clauses.append(MarketingEvent.user_id == user_id)
    if visitor_ids:
        clauses.append(MarketingEvent.visitor_id.in_(list(visitor_ids)))
    if not clauses:
        return []
    statement = select(MarketingEvent).where(or_(*clauses))
    if before_id is not None:
        statement = statement.where(MarketingEvent.id < before_id)
    return session.scalars(statement.order_by(MarketingEvent.occurred_at, MarketingEvent.id)).all()


def get_lead(session: Session, reference: str) -> Lead | None:
    return session.scalars(select(Lead).where(Lead.reference == reference)).one_or_none()


def list_leads(
    session: Session, *, store_ids: Collection[int] | None, statuses: Collection[str] = (), limit: int = 200
) -> Sequence[Lead]:
    """Open leads first by first-contact due time (the most overdue on top), then the rest, newest first."""
    statement = select(Lead)
    if store_ids is not None:
        statement = statement.where(Lead.store_id.in_(list(store_ids)))
    if statuses:
        statement = statement.where(Lead.status.in_(list(statuses)))
    statement = statement.order_by(
        Lead.status.in_(CLOSED_STAGES), Lead.first_contacted_at.is_not(None), Lead.first_contact_due_at, Lead.id.desc()
    ).limit(limit)
    return session.scalars(statement).all()


def timeline(session: Session, lead_id: int) -> Sequence[LeadActivity]:
    return session.scalars(
        select(LeadActivity).where(LeadActivity.lead_id == lead_id).order_by(LeadActivity.at, LeadActivity.id)
    ).all()


def tasks_of_lead(session: Session, lead_id: int) -> Sequence[LeadTask]:
    return session.scalars(select(LeadTask).where(LeadTask.lead_id == lead_id).order_by(LeadTask.due_at)).all()


def open_tasks(
    session: Session, *, store_ids: Collection[int] | None, limit: int = 200
) -> Sequence[tuple[LeadTask, Lead]]:
    """Open tasks, the oldest due first (so the most overdue lead is on top)."""
    statement = (
        select(LeadTask, Lead)
        .join(Lead, Lead.id == LeadTask.lead_id)
        .where(LeadTask.state == "open")
        .order_by(LeadTask.due_at, LeadTask.id)
        .limit(limit)
    )
    if store_ids is not None:
        statement = statement.where(LeadTask.store_id.in_(list(store_ids)))
    return [(task, lead) for task, lead in session.execute(statement).all()]


def get_task(session: Session, task_id: int) -> LeadTask | None:
    return session.get(LeadTask, task_id)


def open_tasks_of_lead(session: Session, lead_id: int, kinds: Collection[str] = ()) -> Sequence[LeadTask]:
    statement = select(LeadTask).where(LeadTask.lead_id == lead_id, LeadTask.state == "open")
    if kinds:
        statement = statement.where(LeadTask.kind.in_(list(kinds)))
    return session.scalars(statement).all()


def closed_leads(session: Session) -> Sequence[Lead]:
    return session.scalars(select(Lead).where(Lead.status.in_(CLOSED_STAGES)).order_by(Lead.id)).all()


def latest_model(session: Session) -> LeadScoringModel | None:
    return session.scalars(select(LeadScoringModel).order_by(LeadScoringModel.version.desc()).limit(1)).first()


def next_model_version(session: Session) -> int:
    return (session.scalar(select(func.max(LeadScoringModel.version))) or 0) + 1


def count_leads_with_key_prefix(session: Session, prefix: str) -> int:
    return session.scalar(select(func.count()).select_from(Lead).where(Lead.person_key.like(f"{prefix}%"))) or 0


def overdue_count(session: Session, *, store_ids: Collection[int] | None, now: datetime) -> int:
    statement = (
        select(func.count())
        .select_from(Lead)
        .where(Lead.status.in_(OPEN_STAGES), Lead.first_contacted_at.is_(None), Lead.first_contact_due_at < now)
    )
    if store_ids is not None:
        statement = statement.where(Lead.store_id.in_(list(store_ids)))
    return session.scalar(statement) or 0
