"""Lead use cases for store staff, marketers and admins: the list, one lead, moving it, logging the first
contact, completing tasks, and revealing contact details (audited).

Who may see what is handed in as plain ids (`allowed_store_ids`, None for every store), like the other contexts:
this module knows nothing of accounts. A lead outside the scope answers 404, like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    NotFound,
)
from forecourt.marketing.leads import (
    lifecycle,
    repository,
    scoring,
    scoring_service,
    sla,
)
from forecourt.marketing.leads.models import Lead, LeadActivity, LeadTask
from forecourt.marketing.leads.pipeline import (
    CLOSED_STAGES,
    OPEN_STAGES,
    STAGES,
    check_manual_move,
)

CONTACT_FIELDS = ("name", "mobile", "email")


def _missing(reference: str) -> NotFound:
    return NotFound(f"No lead {reference}", code="lead_not_found")


def get_in_scope(session: Session, reference: str, allowed_store_ids: Collection[int] | None) -> Lead:
    lead = repository.get_lead(session, reference.strip().upper()[:12])
    if lead is None or (allowed_store_ids is not None and lead.store_id not in allowed_store_ids):
        raise _missing(reference)
    return lead


@dataclass(frozen=True)
class LeadView:
    lead: Lead
    store: Store
    overdue: bool
    score: scoring.Score | None

    @property
    def top_factors(self) -> tuple[scoring.Factor, ...]:
        return scoring.top_factors(self.score) if self.score is not None else ()


@dataclass(frozen=True)
class LeadDetail:
    view: LeadView
    timeline: Sequence[LeadActivity]
    tasks: Sequence[LeadTask]


def _view(lead: Lead, stores: dict[int, Store], model: scoring.TrainedModel | None, now: datetime) -> LeadView:
    score = scoring_service.score_lead(model, lead, now) if lead.status in OPEN_STAGES else None
    overdue = lead.status in OPEN_STAGES and sla.is_overdue(lead.first_contact_due_at, lead.first_contacted_at, now)
    return LeadView(lead, stores[lead.store_id], overdue, score)


def list_leads(
    session: Session,
    allowed_store_ids: Collection[int] | None,
    *,
    now: datetime,
    status: str | None = None,
    limit: int = 200,
) -> list[LeadView]:
    if status not in (None, "", "open", *STAGES):
        raise InvalidInput(
            f"Unknown status {status!r}; use open or one of {', '.join(STAGES)}",
            code="invalid_status",
            errors=[FieldError("status", "unknown status")],
        )
    statuses = OPEN_STAGES if status in (None, "", "open") else (status,)
    stores = catalog.stores_by_id(session)
    model = scoring_service.current_model(session)
    rows = repository.list_leads(session, store_ids=allowed_store_ids, statuses=statuses, limit=limit)
    return [_view(lead, stores, model, now) for lead in rows]


def lead_detail(
    session: Session, reference: str, allowed_store_ids: Collection[int] | None, *, now: datetime
) -> LeadDetail:
    lead = get_in_scope(session, reference, allowed_store_ids)
    view = _view(lead, catalog.stores_by_id(session), scoring_service.current_model(session), now)
    return LeadDetail(view, repository.timeline(session, lead.id), repository.tasks_of_lead(session, lead.id))


def move(
    session: Session,
    reference: str,
    target: str,
    *,
    reason: str,
    actor: int,
    is_admin: bool,
    allowed_store_ids: Collection[int] | None,
    now: datetime,
) -> Lead:
    """A manual stage change. Moving to `contacted` from `new` is logging the first contact."""
    lead = get_in_scope(session, reference, allowed_store_ids)
    refusal = check_manual_move(lead.status, target, reason=reason, is_admin=is_admin)
    if refusal is not None:
        raise DomainError(
            refusal.message,
            code=refusal.code,
            status=refusal.status,
            errors=[FieldError("reason", refusal.message)] if refusal.code == "reason_required" else [],
        )
    before = lead.status
    if target in OPEN_STAGES[1:] and lead.first_contacted_at is None:  # staff moving it forward spoke to them
        _contacted(session, lead, actor, now, note=None)
    lifecycle.change_stage(session, lead, target, now, actor=actor, reason=reason or None)
    audit.record(
        session,
        actor,
        "lead.stage_changed",
        "lead",
        lead.reference,
        lead.store_id,
        **{"from": before, "to": target, "reason": reason.strip()[:500] or None},
    )
    return lead


def _contacted(session: Session, lead: Lead, actor: int, now: datetime, note: str | None) -> None:
    lead.first_contacted_at = lead.first_contacted_at or now
    lead.updated_at = now
    lifecycle.finish_tasks(session, lead, now, kinds=("first_contact",), state="done", actor=actor)
    lifecycle.add_activity(session, lead, now, "contacted", actor=actor, note=note)


def mark_contacted(
    session: Session,
    reference: str,
    *,
    actor: int,
    note: str = "",
    allowed_store_ids: Collection[int] | None,
    now: datetime,
) -> Lead:
    """Log a contact with the person: the first one meets the SLA; a new lead moves to `contacted`."""
    lead = get_in_scope(session, reference, allowed_store_ids)
    if lead.status in CLOSED_STAGES:
        raise Conflict(f"The lead is {lead.status}", code="lead_closed")
    _contacted(session, lead, actor, now, note.strip()[:500] or None)
    if lead.status == "new":
        lifecycle.change_stage(session, lead, "contacted", now, actor=actor)
    session.flush()
    return lead


def open_tasks(session: Session, allowed_store_ids: Collection[int] | None) -> list[tuple[LeadTask, Lead]]:
    return list(repository.open_tasks(session, store_ids=allowed_store_ids))


def get_task_in_scope(session: Session, task_id: int, allowed_store_ids: Collection[int] | None) -> LeadTask:
    task = repository.get_task(session, task_id)
    if task is None or (allowed_store_ids is not None and task.store_id not in allowed_store_ids):
        raise NotFound(f"No task {task_id}", code="task_not_found")
    return task


def complete_task(
    session: Session,
    task_id: int,
    *,
    actor: int,
    note: str = "",
    allowed_store_ids: Collection[int] | None,
    now: datetime,
) -> tuple[LeadTask, Lead]:
    task = get_task_in_scope(session, task_id, allowed_store_ids)
    if task.state != "open":
        raise Conflict(f"The task is already {task.state}", code="task_not_open")
    lead = session.get(Lead, task.lead_id)
    assert lead is not None
    if task.kind == "first_contact":
        _contacted(session, lead, actor, now, note.strip()[:500] or None)
        if lead.status == "new":
            lifecycle.change_stage(session, lead, "contacted", now, actor=actor)
    task.state, task.completed_at, task.completed_by = "done", now, actor
    task.note = note.strip()[:500] or None
    lifecycle.add_activity(session, lead, now, "task_done", actor=actor, note=task.kind)
    session.flush()
    return task, lead


@dataclass(frozen=True)
class ContactDetails:
    name: str | None
    mobile: str | None
    email: str | None
    revealed: bool

    def __repr__(self) -> str:
        return f"ContactDetails(revealed={self.revealed}, <redacted>)"


def masked_contact(lead: Lead) -> ContactDetails:
    return ContactDetails(lead.name_masked, lead.mobile_masked, lead.email_masked, False)


def contact_context(lead_id: int, field: str) -> str:
    return f"lead:{lead_id}:{field}"


def reveal_contact(
    session: Session, cipher: FieldCipher, reference: str, *, actor: int, own_store_ids: Collection[int]
) -> ContactDetails:
    """The contact details in clear, for the staff of the lead's own store only; every reveal is audited."""
    lead = get_in_scope(session, reference, own_store_ids)

    def text(field: str) -> str | None:
        token = getattr(lead, f"{field}_enc")
        return cipher.decrypt(token, context=contact_context(lead.id, field)) if token else None

    shown = [f for f in CONTACT_FIELDS if getattr(lead, f"{f}_enc")]
    audit.record(session, actor, "lead.contact_revealed", "lead", lead.reference, lead.store_id, fields=shown)
    return ContactDetails(text("name"), text("mobile"), text("email"), True)
