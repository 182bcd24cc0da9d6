"""Lead pages: the back office's lead list with my stores' open tasks, one lead with its timeline, the moves,
task completion and the (audited) reveal of contact details; the storefront's "Ask about this car" form post.

Thin like the other page modules: check who acts, call one service function, render; texts are in templates.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.accounts.principal import Principal, staff_store_ids
from forecourt.backoffice.access import NotAllowed, PostedForm
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError
from forecourt.core.http import DbSession
from forecourt.core.params import RowId
from forecourt.marketing.leads import contact_form, service
from forecourt.marketing.leads.access import LeadPageUser, act_scope, may_act_on, may_reveal, scope
from forecourt.marketing.leads.contact import check_contact
from forecourt.marketing.leads.pipeline import OPEN_STAGES, STAGES, manual_targets
from forecourt.testdrive.page_support import (
    Problem,
    attempt,
    form_text,
    redirect,
    render,
)
from forecourt.web.errors import PAGES_TAG
from forecourt.web.i18n import column_suffix
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
STATUS_FILTERS = ("open", *STAGES)
VISITOR_COOKIE = "fc_vid"  # marketing.visitors.COOKIE: the first-party visitor id (set only with consent)


@router.get("/backoffice/leads")
def lead_list(session: DbSession, page: PageContext, user: LeadPageUser) -> HTMLResponse:
    chosen = page.request.query_params.get("status", "open")
    status = chosen if chosen in STATUS_FILTERS else "open"
    now = utcnow()
    views = service.list_leads(session, scope(user), now=now, status=status)
    tasks = service.open_tasks(session, scope(user))
    return render(
        page,
        "backoffice/leads.html",
        views=views,
        tasks=tasks,
        actionable={task.id for task, _ in tasks if may_act_on(user, task.store_id)},  # whose "Done" is offered
        status=status,
        filters=STATUS_FILTERS,
        now=now,
        section="leads",
        zone=page.request.app.state.settings.time_zone,
        names=catalog.display_names(session, column_suffix(page.lang)),
    )


def _render_detail(
    session: Session,
    page: Page,
    user: Principal,
    reference: str,
    *,
    status_code: int = 200,
    problem: Problem | None = None,
    contact: service.ContactDetails | None = None,
) -> HTMLResponse:
    now = utcnow()
    detail = service.lead_detail(session, reference, scope(user), now=now)
    lead = detail.view.lead
    acts = may_act_on(user, lead.store_id)  # the rule the POST routes below apply
    return render(
        page,
        "backoffice/leads_detail.html",
        status_code=status_code,
        detail=detail,
        view=detail.view,
        lead=lead,
        contact=contact or service.masked_contact(lead),
        may_reveal=may_reveal(user, lead.store_id) and contact is None,
        may_act=acts,
        may_log_contact=acts and lead.status in OPEN_STAGES,
        targets=manual_targets(lead.status, is_admin=user.is_admin) if acts else (),
        problem=problem,
        now=now,
        section="leads",
        zone=detail.view.store.time_zone,
        names=catalog.display_names(session, column_suffix(page.lang)),
    )


@router.get("/backoffice/leads/{reference}")
def lead_page(session: DbSession, page: PageContext, user: LeadPageUser, reference: str) -> HTMLResponse:
    return _render_detail(session, page, user, reference)


def _act(session: Session, page: Page, user: Principal, reference: str, run: Any) -> Response:
    lead = service.get_in_scope(session, reference, scope(user))  # a lead the user cannot see: 404, as its page
    if not may_act_on(user, lead.store_id):
        raise NotAllowed()
    try:
        attempt(session, run)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _render_detail(session, page, user, reference, status_code=exc.status, problem=Problem.of(exc))
    return redirect(f"/backoffice/leads/{reference}")


@router.post("/backoffice/leads/{reference}/contacted", response_model=None)
def contacted(
    session: DbSession, page: PageContext, user: LeadPageUser, reference: str, posted: PostedForm
) -> Response:
    note = form_text(posted, "note", 500)
    return _act(
        session,
        page,
        user,
        reference,
        lambda: service.mark_contacted(
            session, reference, actor=user.user_id, note=note, allowed_store_ids=act_scope(user), now=utcnow()
        ),
    )


@router.post("/backoffice/leads/{reference}/stage", response_model=None)
def move(session: DbSession, page: PageContext, user: LeadPageUser, reference: str, posted: PostedForm) -> Response:
    target, reason = form_text(posted, "status", 20), form_text(posted, "reason", 500)
    return _act(
        session,
        page,
        user,
        reference,
        lambda: service.move(
            session,
            reference,
            target,
            reason=reason,
            actor=user.user_id,
            is_admin=user.is_admin,
            allowed_store_ids=act_scope(user),
            now=utcnow(),
        ),
    )


@router.post("/backoffice/leads/{reference}/reveal")
def reveal(session: DbSession, page: PageContext, user: LeadPageUser, reference: str) -> HTMLResponse:
    lead = service.get_in_scope(session, reference, scope(user))
    if not may_reveal(user, lead.store_id):
        raise NotAllowed()
    details = service.reveal_contact(
        session, page.request.app.state.field_cipher, reference, actor=user.user_id, own_store_ids=staff_store_ids(user)
    )
    return _render_detail(session, page, user, reference, contact=details)


@router.post("/backoffice/leads/tasks/{task_id}/complete", response_model=None)
def complete_task(
    session: DbSession, page: PageContext, user: LeadPageUser, task_id: RowId, posted: PostedForm
) -> Response:
    task = service.get_task_in_scope(session, task_id, scope(user))  # a task the user cannot see: 404
    if not may_act_on(user, task.store_id):  # the rule that decides whether the lead pages offer "Done"
        raise NotAllowed()
    note = form_text(posted, "note", 500)
    _, lead = service.complete_task(
        session, task_id, actor=user.user_id, note=note, allowed_store_ids=act_scope(user), now=utcnow()
    )
    back = form_text(posted, "next", 100)
    return redirect(f"/backoffice/leads/{lead.reference}" if back == "lead" else "/backoffice/leads")


# --- storefront: "Ask about this car" ------------------------------------------------------------------------------


@router.post("/vehicles/{vin}/contact", response_model=None)
def ask_about_car(session: DbSession, page: PageContext, vin: str, posted: PostedForm) -> Response:
    found = catalog.get_vehicle(session, vin)  # 404 page for an unknown car
    form = {
        name: form_text(posted, name, limit)
        for name, limit in (("name", 200), ("mobile", 40), ("email", 200), ("message", 2000))
    }
    consent = posted.get("consent") == "yes"
    person, errors = check_contact(form["name"], form["mobile"], form["email"], form["message"], consent)
    if person is None:
        model = catalog.get_model(session, found.model.code)
        options = {option.code: option for option in model.options}
        fitted = [options[code] for code in found.option_codes if code in options]
        return page.render(
            "vehicle.html",
            status_code=422,
            vehicle=found,
            model=model,
            options=fitted,
            contact_form={"values": form, "errors": errors, "consent": consent},
        )
    user = page.user
    visitor = page.request.cookies.get(VISITOR_COOKIE)  # links the browsing history of this visitor to the lead
    contact_form.submit(
        session,
        page.request.app.state.field_cipher,
        found.vin,
        person,
        user_id=user.user_id if user else None,
        visitor_id=visitor,
        now=utcnow(),
    )
    return redirect(f"/vehicles/{found.vin}?contact=sent#ask-about-car")
