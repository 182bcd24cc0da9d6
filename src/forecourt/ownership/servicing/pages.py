"""The back-office page of the service schedule table (/backoffice/service-schedules): the table as stored, its
export as CSV or YAML, and an import whose rejected file lists every problem with its line and column, like the
rate-program import page (and through the same upload checks).

Who: the API's readers (store staff, finance officers, admins) see and export it; only finance officers not tied
to a store, and admins, import (`can_change_schedules`); others get the back office's 403 page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from forecourt.accounts.principal import Principal, Role
from forecourt.accounts.security import CurrentUser
from forecourt.backoffice.access import NotAllowed, PostedForm, SignInRequired
from forecourt.catalog import service as catalog
from forecourt.core.errors import DomainError, InvalidInput
from forecourt.core.http import DbSession, WriteSession
from forecourt.core.problem_reports import SHOWN_PROBLEMS
from forecourt.finance.programs.file_formats import Problem
from forecourt.finance.programs.import_export import file_format
from forecourt.ownership.servicing import service as servicing
from forecourt.ownership.servicing.api import can_change_schedules
from forecourt.web.errors import PAGES_TAG
from forecourt.web.i18n import N_
from forecourt.web.templating import Page, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
PATH = "/backoffice/service-schedules"


def schedule_reader(request: Request, user: CurrentUser) -> Principal:
    if user is None:
        raise SignInRequired(request.url.path)
    if not user.has_role(Role.STORE_STAFF, Role.FINANCE_OFFICER, Role.ADMIN):
        raise NotAllowed()
    return user


ReaderUser = Annotated[Principal, Depends(schedule_reader)]


def schedule_editor(user: ReaderUser) -> Principal:
    if not can_change_schedules(user):
        raise NotAllowed()
    return user


EditorUser = Annotated[Principal, Depends(schedule_editor)]


def _upload(request: Request, posted: Any) -> tuple[bytes, str] | str:
    """The uploaded file's bytes and format, or the message that says why there is none (the rate-program
    import page's sentences, already translated)."""
    upload = posted.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return N_("Choose a CSV or YAML file to upload.")
    limit = request.app.state.settings.max_import_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        return N_("The file is too large; split it into smaller files.")
    try:
        return data, file_format(None, upload.filename, upload.content_type)
    except InvalidInput:
        return N_("Name the file .csv or .yaml so that its format is clear.")


def _problems(page: Page, exc: DomainError) -> dict[str, Any]:
    """A rejected file's first problems, each fixed sentence translated, and how many there are in all."""
    found = getattr(exc, "problems", None) or [Problem(None, None, exc.message)]
    shown = [Problem(p.line, p.column, page.gettext(p.message), p.key) for p in found[:SHOWN_PROBLEMS]]
    return {"problems": shown, "problem_total": len(found)}


def _render(session: Any, page: Page, user: Principal, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    context = {"result": None, "problems": [], "error": None, "filename": "", **context}
    response = page.render(
        "service/schedules.html",
        status_code=status_code,
        user=user,
        csrf_token=user.csrf_token or "",
        can_edit=can_change_schedules(user),
        plans=servicing.schedule_table(session).plans,
        models={m.code: m for m in catalog.list_models(session)},
        section="service",
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(PATH)
def schedules_page(session: DbSession, page: PageContext, user: ReaderUser) -> HTMLResponse:
    return _render(session, page, user)


@router.post(f"{PATH}/import")
def import_upload(session: WriteSession, page: PageContext, user: EditorUser, posted: PostedForm) -> HTMLResponse:
    upload = _upload(page.request, posted)
    if isinstance(upload, str):
        return _render(session, page, user, status_code=422, error=page.gettext(upload))
    data, fmt = upload
    filename = str(getattr(posted.get("file"), "filename", ""))[:200]
    try:
        with session.begin_nested():
            table = servicing.import_schedules(session, data, fmt, actor=user.user_id)
    except DomainError as exc:
        return _render(session, page, user, status_code=exc.status, **_problems(page, exc), filename=filename)
    return _render(session, page, user, result=len(table.plans), filename=filename)
