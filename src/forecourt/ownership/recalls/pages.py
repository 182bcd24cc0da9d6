"""Back-office recall pages: the figures (/backoffice/recalls) — each campaign with the cars it reached and the cars
fixed, counted over the staff member's stores' cars (admins: every store) — and the form that opens a campaign
(/backoffice/recalls/new).

Opening a campaign is for admins, as in the API (POST /api/v1/recalls): a maker's recall arrives once, for every
store; other staff get the back office's 403 page. The form is read by the pure `campaign_form` (each problem beside
its field, in the page's language, with what was typed kept), "Preview" counts the owned cars the target reaches
today without saving anything, and "Open" creates it through `service.create_campaign` in a savepoint. The form
carries the CSRF token and an idempotency key: a double submit shows the campaign opened by the first.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.backoffice.access import AdminUser, PostedForm, StaffUser, store_scope
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError
from forecourt.core.http import DbSession, WriteSession
from forecourt.ownership.recalls import campaign_form
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.recalls.messages import MESSAGES
from forecourt.ownership.recalls.targeting import TargetKind
from forecourt.web.errors import PAGES_TAG
from forecourt.web.idempotent_forms import once
from forecourt.web.page_helpers import Problem, app_secret, form_text, redirect
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
FIGURES = "/backoffice/recalls"
NEW = "/backoffice/recalls/new"


def _render(page: Page, template: str, user: Any, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = page.render(
        template,
        status_code=status_code,
        user=user,
        csrf_token=user.csrf_token or "",
        section="service",
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(FIGURES)
def figures_page(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    rows = recalls.figures(session, store_scope(user))
    opened = page.request.query_params.get("opened", "").strip()[:20]
    return _render(page, "service/recalls.html", user, rows=rows, opened=opened)


def _render_form(
    session: Session,
    page: Page,
    user: Any,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    reach: int | None = None,
    problem: Problem | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _render(
        page,
        "service/recall_new.html",
        user,
        status_code=status_code,
        values=values or {"target": TargetKind.VINS.value},
        errors=errors or {},
        reach=reach,
        problem=problem,
        kinds=[kind.value for kind in TargetKind],
        models=catalog.list_models(session),
        key=str(uuid.uuid4()),
    )


def _errors(page: Page, issues: list[tuple[str, str, str]]) -> dict[str, str]:
    """The first problem of each field, in the page's language."""
    shown: dict[str, str] = {}
    for name, key, detail in issues:
        shown.setdefault(name, page.gettext(MESSAGES[key]) % {"vins": detail})
    return shown


def _refusal(page: Page, exc: DomainError) -> dict[str, str]:
    """A refused use case's field problems (a taken code) in the page's language; none for a refusal of the whole
    form (an expired form), which the page shows by its code at the top."""
    known = set(MESSAGES.values())
    return {
        error.field: page.gettext(error.message) if error.message in known else error.message
        for error in exc.errors
        if error.field in campaign_form.FIELDS
    }


@router.get(NEW)
def new_campaign(session: DbSession, page: PageContext, user: AdminUser) -> HTMLResponse:
    return _render_form(session, page, user)


@router.post(NEW, response_model=None)
def open_campaign(session: WriteSession, page: PageContext, user: AdminUser, posted: PostedForm) -> Response:
    values = {
        name: form_text(posted, name, campaign_form.FIELD_LIMITS.get(name, campaign_form.TEXT_LIMIT))
        for name in campaign_form.FIELDS
    }
    form, issues = campaign_form.read_form(values)
    if form is None:
        return _render_form(session, page, user, values=values, errors=_errors(page, issues), status_code=422)
    if form_text(posted, "action", 20) == "preview":  # nothing is written: count, then show the same form
        reach = recalls.reach(session, form.target, utcnow().date())
        taken = {"code": page.gettext(MESSAGES["code_taken"])} if recalls.code_taken(session, form.code) else {}
        return _render_form(session, page, user, values=values, errors=taken, reach=reach)

    def run() -> tuple[str, None]:
        draft = recalls.CampaignDraft(
            form.code, form.title_en, form.title_zh, form.target, form.remedy_en, form.remedy_zh
        )
        return recalls.create_campaign(session, draft, actor=user.user_id, now=utcnow()).code, None

    try:
        code, _ = once(
            session,
            user.user_id,
            form_text(posted, "idempotency_key", 128),
            NEW,
            values,
            run,
            secret=app_secret(page.request),
        )
    except DomainError as exc:
        errors = _refusal(page, exc)
        problem = None if errors else Problem.of(exc)
        return _render_form(session, page, user, values=values, errors=errors, problem=problem, status_code=exc.status)
    return redirect(f"{FIGURES}?opened={code}")
