"""Leads API: the contact form (anyone), the lead list and detail, moves, tasks and reveals (staff, marketers,
admins; see `access`), and the current scoring model."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from forecourt.accounts.principal import Principal, staff_store_ids
from forecourt.accounts.security import CurrentUser
from forecourt.core.clock import utcnow
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import FieldError, Forbidden, InvalidInput, NotFound
from forecourt.core.http import DbSession
from forecourt.core.params import RowId
from forecourt.marketing.leads import contact_form, repository, service
from forecourt.marketing.leads.access import (
    LeadApiUser,
    act_scope,
    require_actor,
    scope,
)
from forecourt.marketing.leads.contact import check_contact
from forecourt.marketing.leads.pipeline import STAGES
from forecourt.marketing.leads.schemas import (
    ContactIn,
    ContactOut,
    ContactReceivedOut,
    LeadDetailOut,
    LeadOut,
    MoveIn,
    NoteIn,
    ScoringModelOut,
    TaskOut,
    detail_out,
    lead_out,
    task_out,
)

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])


def cipher_of(request: Request) -> FieldCipher:
    return request.app.state.field_cipher


@router.post("/contact", status_code=201, response_model=ContactReceivedOut, summary="Ask about a car")
def contact(body: ContactIn, session: DbSession, request: Request, user: CurrentUser) -> ContactReceivedOut:
    """The storefront's contact form: creates (or joins) the person's lead for the car's store. The contact
    details are stored encrypted; the answer never echoes them."""
    person, errors = check_contact(body.name, body.mobile, body.email, body.message, body.consent)
    if person is None:
        raise contact_form.invalid(errors)
    received = contact_form.submit(
        session,
        cipher_of(request),
        body.vin.strip().upper(),
        person,
        user_id=user.user_id if user else None,
        visitor_id=body.visitor_id,
        now=utcnow(),
    )
    return ContactReceivedOut(event_id=received.event_id)


@router.get("", response_model=list[LeadOut], summary="Leads in my stores")
def list_leads(
    session: DbSession,
    user: LeadApiUser,
    status: str | None = Query(
        default=None,
        max_length=20,
        description="open (default) or a stage",
        json_schema_extra={"enum": ["open", *STAGES]},
    ),
) -> list[LeadOut]:
    if status == "":
        # The page's select sends "" for "all open"; the API documents an enum, so a blank is refused here.
        raise InvalidInput(
            "status must be open or one of " + ", ".join(STAGES),
            code="invalid_status",
            errors=[FieldError("status", "blank status")],
        )
    views = service.list_leads(session, scope(user), now=utcnow(), status=status)
    return [lead_out(v, service.masked_contact(v.lead)) for v in views]


@router.get("/tasks", response_model=list[TaskOut], summary="Open follow-up tasks, oldest due first")
def tasks(session: DbSession, user: LeadApiUser) -> list[TaskOut]:
    now = utcnow()
    return [task_out(task, lead.reference, now) for task, lead in service.open_tasks(session, scope(user))]


@router.post("/tasks/{task_id}/complete", response_model=TaskOut, summary="Complete a task")
def complete_task(task_id: RowId, body: NoteIn, session: DbSession, user: LeadApiUser) -> TaskOut:
    require_actor(user)
    now = utcnow()
    task, lead = service.complete_task(
        session, task_id, actor=user.user_id, note=body.note, allowed_store_ids=act_scope(user), now=now
    )
    return task_out(task, lead.reference, now)


@router.get(
    "/scoring-model",
    response_model=ScoringModelOut,
    summary="The current lead-scoring model",
    responses={404: {"description": "No scoring model trained yet"}},
)
def scoring_model(session: DbSession, user: LeadApiUser) -> ScoringModelOut:
    row = repository.latest_model(session)
    if row is None:
        raise NotFound("No scoring model has been trained yet (forecourt leads train-scoring)", code="no_scoring_model")
    return ScoringModelOut(
        version=row.version,
        trained_at=row.trained_at,
        training_rows=row.training_rows,
        held_out_rows=row.held_out_rows,
        held_out_auc=row.held_out_auc,
        features=row.parameters["feature_names"],
        coefficients=row.parameters["coefficients"],
    )


@router.get("/{reference}", response_model=LeadDetailOut, summary="One lead with its timeline and tasks")
def lead(reference: str, session: DbSession, user: LeadApiUser) -> LeadDetailOut:
    now = utcnow()
    detail = service.lead_detail(session, reference, scope(user), now=now)
    return detail_out(detail, service.masked_contact(detail.view.lead), now)


@router.post("/{reference}/stage", response_model=LeadOut, summary="Move a lead through the pipeline")
def move(reference: str, body: MoveIn, session: DbSession, user: LeadApiUser) -> LeadOut:
    require_actor(user)
    now = utcnow()
    service.move(
        session,
        reference,
        body.status,
        reason=body.reason,
        actor=user.user_id,
        is_admin=user.is_admin,
        allowed_store_ids=act_scope(user),
        now=now,
    )
    detail = service.lead_detail(session, reference, act_scope(user), now=now)
    return lead_out(detail.view, service.masked_contact(detail.view.lead))


@router.post("/{reference}/contacted", response_model=LeadOut, summary="Log a contact with the person")
def contacted(reference: str, body: NoteIn, session: DbSession, user: LeadApiUser) -> LeadOut:
    require_actor(user)
    now = utcnow()
    service.mark_contacted(
        session, reference, actor=user.user_id, note=body.note, allowed_store_ids=act_scope(user), now=now
    )
    detail = service.lead_detail(session, reference, act_scope(user), now=now)
    return lead_out(detail.view, service.masked_contact(detail.view.lead))


@router.post(
    "/{reference}/reveal",
    response_model=ContactOut,
    summary="Show the contact details (audited)",
    responses={403: {"description": "Only the staff of the lead's own store may see contact details"}},
)
def reveal(reference: str, session: DbSession, request: Request, user: LeadApiUser) -> ContactOut:
    service.get_in_scope(session, reference, scope(user))  # 404 outside the reader's scope
    details = service.reveal_contact(
        session, cipher_of(request), reference, actor=user.user_id, own_store_ids=_own_stores(user)
    )
    return ContactOut(**details.__dict__)


def _own_stores(user: Principal) -> frozenset[int]:
    own = staff_store_ids(user)
    if not own:
        raise Forbidden("Only the staff of the lead's own store may see contact details", code="contact_masked")
    return own
