"""Moving a lead through the pipeline and keeping its tasks and timeline in step (used by capture and staff use
cases alike). Flushes, never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.core.errors import Conflict
from forecourt.marketing.leads import repository
from forecourt.marketing.leads.models import Lead, LeadActivity, LeadTask
from forecourt.marketing.leads.pipeline import CLOSED_STAGES, STAGE_TASK


def add_activity(
    session: Session,
    lead: Lead,
    at: datetime,
    kind: str,
    *,
    actor: int | None = None,
    event_type: str | None = None,
    event_id: int | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
) -> LeadActivity:
    activity = LeadActivity(
        lead_id=lead.id,
        at=at,
        kind=kind,
        actor_user_id=actor,
        event_type=event_type,
        event_id=event_id,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    session.add(activity)
    return activity


def open_task(session: Session, lead: Lead, kind: str, due_at: datetime, now: datetime) -> LeadTask:
    task = LeadTask(lead_id=lead.id, store_id=lead.store_id, kind=kind, state="open", due_at=due_at, created_at=now)
    session.add(task)
    return task


def finish_tasks(
    session: Session, lead: Lead, now: datetime, *, kinds: tuple[str, ...] = (), state: str, actor: int | None = None
) -> None:
    for task in repository.open_tasks_of_lead(session, lead.id, kinds):
        task.state, task.completed_at, task.completed_by = state, now, actor


def change_stage(
    session: Session,
    lead: Lead,
    target: str,
    now: datetime,
    *,
    actor: int | None = None,
    reason: str | None = None,
    event_type: str | None = None,
    event_id: int | None = None,
) -> None:
    """Set the stage (the caller has checked the move is allowed); close or reopen the lead; open the stage's
    follow-up task, or cancel every open task when the lead is closed."""
    before = lead.status
    if before in CLOSED_STAGES and target not in CLOSED_STAGES:  # an admin reopening a lead
        if repository.open_leads_of_person(
            session, keys=[lead.person_key], user_id=None, visitor_ids=(), contact_indexes=()
        ):
            raise Conflict("This person has another open lead; work on that one instead", code="person_has_open_lead")
        lead.open_person_key, lead.closed_at, lead.lost_reason = lead.person_key, None, None
    lead.status, lead.updated_at = target, now
    if target in CLOSED_STAGES:
        lead.open_person_key, lead.closed_at = None, now
        lead.lost_reason = reason.strip() if target == "lost" and reason else None
        finish_tasks(session, lead, now, state="cancelled", actor=actor)
    elif target in STAGE_TASK:
        kind, within = STAGE_TASK[target]
        finish_tasks(session, lead, now, kinds=tuple(k for k, _ in STAGE_TASK.values()), state="cancelled", actor=actor)
        open_task(session, lead, kind, now + within, now)
    add_activity(
        session,
        lead,
        now,
        "stage",
        actor=actor,
        event_type=event_type,
        event_id=event_id,
        from_status=before,
        to_status=target,
        note=(reason or None) and reason.strip()[:500],
    )
    session.flush()
