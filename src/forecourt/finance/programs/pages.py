"""Back-office pages of rate programs and residual values (/backoffice/finance/...), English and 简体中文.

Finance officers and admins see them (store staff and shoppers get the back office's 403 page, anonymous visitors
are sent to sign in); changes need a finance officer not tied to a store, or an admin (`can_change_programs`).
Thin like the other page modules: parse the form, call one `finance.programs` function, render; refusals are
shown on the page beside their fields, and a rejected file's problems in a table. Every form carries the CSRF token.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from forecourt.accounts.principal import Principal, Role
from forecourt.accounts.security import CurrentUser
from forecourt.backoffice.access import NotAllowed, PostedForm, SignInRequired
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, InvalidInput
from forecourt.core.http import DbSession, WriteSession
from forecourt.core.problem_reports import SHOWN_PROBLEMS
from forecourt.finance.programs import files, messages
from forecourt.finance.programs import import_export as programs_io
from forecourt.finance.programs import service as programs
from forecourt.finance.programs.api import can_change_programs
from forecourt.finance.programs.files import Problem
from forecourt.web.errors import PAGES_TAG
from forecourt.web.templating import Page, PageContext

router = APIRouter(
    prefix="/backoffice/finance", tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse
)
PROGRAMS = "/backoffice/finance/programs"
RESIDUALS = "/backoffice/finance/residuals"


def finance_user(request: Request, user: CurrentUser) -> Principal:
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path if request.method == "GET" else request.url.path)
    if not user.has_role(Role.FINANCE_OFFICER, Role.ADMIN):
        raise NotAllowed()
    return user


FinanceUser = Annotated[Principal, Depends(finance_user)]


def program_editor(user: FinanceUser) -> Principal:
    if not can_change_programs(user):
        raise NotAllowed()
    return user


ProgramEditor = Annotated[Principal, Depends(program_editor)]


def percent(value: Decimal | None) -> str:
    """0.0399 → 3.99 (the templates add the % sign)."""
    return "" if value is None else files.canonical_decimal(value * 100)


def _render(page: Page, template: str, user: Principal, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = page.render(
        template,
        status_code=status_code,
        user=user,
        csrf_token=user.csrf_token or "",
        can_edit=can_change_programs(user),
        percent=percent,
        money_text=files.money_text,
        decimal_text=files.canonical_decimal,
        section="finance",
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _field_errors(page: Page, exc: DomainError) -> dict[str, str]:
    """The first problem of each field, translated (the service's field messages are fixed English sentences)."""
    shown: dict[str, str] = {}
    for error in exc.errors:
        shown.setdefault(error.field, page.gettext(error.message))
    if not shown:
        shown["form"] = page.gettext(exc.message)
    return shown


def _posted_program(posted: Any) -> dict[str, str]:
    return {
        name: value.strip()[:200] if isinstance(value := posted.get(name, ""), str) else ""
        for name in files.PROGRAM_COLUMNS
    }


def _model_names(session: Any) -> dict[str, Any]:
    return {model.code: model for model in catalog.list_models(session)}


# --- programs list ---------------------------------------------------------------------------------------------------


@router.get("")
def finance_home(page: PageContext, user: FinanceUser) -> RedirectResponse:
    return _redirect(PROGRAMS)


@router.get("/programs")
def program_list(session: DbSession, page: PageContext, user: FinanceUser) -> HTMLResponse:
    params = page.request.query_params
    chosen = {name: params.get(name, "").strip()[:40] for name in ("product", "model", "term", "tier", "on")}
    errors: dict[str, str] = {}
    term = None
    if chosen["term"]:
        digits = chosen["term"].isascii() and chosen["term"].isdigit()  # "²".isdigit() is true too
        term = int(chosen["term"]) if digits and 1 <= int(chosen["term"]) <= 120 else None
        if term is None:
            errors["term"] = page.gettext(messages.MESSAGES["term"])
    on = None
    if chosen["on"]:
        try:
            on = files.parse_iso_date(chosen["on"])
        except ValueError:
            errors["on"] = page.gettext(messages.MESSAGES["date"])
    if chosen["product"] and chosen["product"] not in files.PRODUCTS:
        errors["product"] = page.gettext(messages.MESSAGES["product"])
    rows = []
    if not errors:
        filters = programs.ProgramFilters(
            product=chosen["product"] or None,
            model_code=chosen["model"] or None,
            term_months=term,
            tier=chosen["tier"] or None,
            on=on,
        )
        rows = list(programs.list_programs(session, filters))
    return _render(
        page,
        "finance/programs.html",
        user,
        status_code=422 if errors else 200,
        programs=rows,
        chosen=chosen,
        errors=errors,
        models=_model_names(session),
        products=files.PRODUCTS,
    )


# --- one program: create, new version, retire ----------------------------------------------------------------------


def _form_page(
    session: Any,
    page: Page,
    user: Principal,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    versions: Any = (),
    status_code: int = 200,
) -> HTMLResponse:
    params = page.request.query_params
    notice = next((name for name in ("saved", "unchanged", "retired", "created") if params.get(name) == "1"), "")
    return _render(
        page,
        "finance/programs_form.html",
        user,
        status_code=status_code,
        form=form,
        errors=errors or {},
        versions=list(versions),
        models=_model_names(session),
        products=files.PRODUCTS,
        notice=notice,
    )


def _new_form() -> dict[str, str]:
    today = utcnow().date()
    form = dict.fromkeys(files.PROGRAM_COLUMNS, "")
    form.update(
        product="loan",
        credit_tier="*",
        subvention_rate="0",
        min_down_percent="0.2",
        max_balloon_percent="0",
        fee="0.00",
        cash_rebate="0.00",
        purchase_price="0.00",
        disposition_fee="0.00",
        valid_from=today.isoformat(),
        valid_to=today.replace(month=12, day=31).isoformat(),
    )
    return form


@router.get("/programs/new")
def new_program_form(session: DbSession, page: PageContext, user: ProgramEditor) -> HTMLResponse:
    return _form_page(session, page, user, form=_new_form())


@router.post("/programs/new", response_model=None)
def create_program(session: WriteSession, page: PageContext, user: ProgramEditor, posted: PostedForm) -> Response:
    form = _posted_program(posted)
    try:
        with session.begin_nested():
            program = programs.create_program(session, form, actor=user.user_id)
    except DomainError as exc:
        return _form_page(session, page, user, form=form, errors=_field_errors(page, exc), status_code=exc.status)
    return _redirect(f"{PROGRAMS}/{program.code}?created=1")


# --- import ----------------------------------------------------------------------------------------------------------


def _upload(request: Request, posted: Any) -> tuple[bytes, str] | str:
    """The uploaded file's bytes and format, or the message that says why there is none."""
    upload = posted.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return messages.N_("Choose a CSV or YAML file to upload.")
    limit = request.app.state.settings.max_import_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        return messages.N_("The file is too large; split it into smaller files.")
    try:
        fmt = programs_io.file_format(None, upload.filename, upload.content_type)
    except InvalidInput:
        return messages.N_("Name the file .csv or .yaml so that its format is clear.")
    return data, fmt


def _problems(page: Page, exc: DomainError) -> dict[str, Any]:
    """A rejected file's first problems (the page stays small whatever the file), each message translated when
    it is one of the fixed sentences, and how many there are in all."""
    found = getattr(exc, "problems", None) or [Problem(None, None, exc.message)]
    shown = [Problem(p.line, p.column, page.gettext(p.message), p.key) for p in found[:SHOWN_PROBLEMS]]
    return {"problems": shown, "problem_total": len(found)}


@router.get("/programs/import")
def import_form(page: PageContext, user: ProgramEditor) -> HTMLResponse:
    return _render(page, "finance/programs_import.html", user, result=None, problems=[], error=None, filename="")


@router.post("/programs/import")
def import_upload(session: WriteSession, page: PageContext, user: ProgramEditor, posted: PostedForm) -> HTMLResponse:
    upload = _upload(page.request, posted)
    if isinstance(upload, str):
        return _render(
            page,
            "finance/programs_import.html",
            user,
            status_code=422,
            result=None,
            problems=[],
            error=page.gettext(upload),
            filename="",
        )
    data, fmt = upload
    filename = str(getattr(posted.get("file"), "filename", ""))[:200]
    try:
        with session.begin_nested():
            result = programs_io.import_programs(session, data, fmt, actor=user.user_id)
    except DomainError as exc:
        return _render(
            page,
            "finance/programs_import.html",
            user,
            status_code=exc.status,
            result=None,
            **_problems(page, exc),
            error=None,
            filename=filename,
        )
    return _render(
        page, "finance/programs_import.html", user, result=result, problems=[], error=None, filename=filename
    )


@router.get("/programs/{code}")
def program_page(session: DbSession, page: PageContext, user: FinanceUser, code: str) -> HTMLResponse:
    versions = programs.program_versions(session, code)
    return _form_page(session, page, user, form=files.program_cells(programs.fields_of(versions[0])), versions=versions)


@router.post("/programs/{code}", response_model=None)
def change_program(
    session: WriteSession, page: PageContext, user: ProgramEditor, code: str, posted: PostedForm
) -> Response:
    versions = programs.program_versions(session, code)
    form = {**_posted_program(posted), "code": code}
    try:
        with session.begin_nested():
            _, added = programs.new_version(session, code, form, actor=user.user_id)
    except DomainError as exc:
        return _form_page(
            session, page, user, form=form, errors=_field_errors(page, exc), versions=versions, status_code=exc.status
        )
    return _redirect(f"{PROGRAMS}/{code}?{'saved' if added else 'unchanged'}=1")


@router.post("/programs/{code}/retire", response_model=None)
def retire_program(session: WriteSession, page: PageContext, user: ProgramEditor, code: str) -> Response:
    versions = programs.program_versions(session, code)
    try:
        with session.begin_nested():
            programs.retire_program(session, code, actor=user.user_id)
    except DomainError as exc:
        return _form_page(
            session,
            page,
            user,
            form=files.program_cells(programs.fields_of(versions[0])),
            errors=_field_errors(page, exc),
            versions=versions,
            status_code=exc.status,
        )
    return _redirect(f"{PROGRAMS}/{code}?retired=1")


# --- residual values -------------------------------------------------------------------------------------------------


def _residual_page(
    session: Any, page: Page, user: Principal, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    rows = programs.residual_rows(session)
    tables: dict[str, dict[str, Any]] = {}
    for row in rows:
        table = tables.setdefault(row.model_code, {"terms": [], "mileages": [], "cells": {}})
        if row.term_months not in table["terms"]:
            table["terms"].append(row.term_months)
        if row.annual_mileage not in table["mileages"]:
            table["mileages"].append(row.annual_mileage)
        table["cells"][(row.term_months, row.annual_mileage)] = row.residual_percent
    for table in tables.values():
        table["terms"].sort()
        table["mileages"].sort()
    context = {"result": None, "problems": [], "error": None, "filename": "", **context}
    return _render(
        page,
        "finance/residuals.html",
        user,
        status_code=status_code,
        tables=tables,
        models=_model_names(session),
        **context,
    )


@router.get("/residuals")
def residuals_page(session: DbSession, page: PageContext, user: FinanceUser) -> HTMLResponse:
    return _residual_page(session, page, user)


@router.post("/residuals")
def residuals_upload(session: WriteSession, page: PageContext, user: ProgramEditor, posted: PostedForm) -> HTMLResponse:
    upload = _upload(page.request, posted)
    if isinstance(upload, str):
        return _residual_page(session, page, user, status_code=422, error=page.gettext(upload))
    data, fmt = upload
    filename = str(getattr(posted.get("file"), "filename", ""))[:200]
    try:
        with session.begin_nested():
            result = programs_io.import_residuals(session, data, fmt, actor=user.user_id)
    except DomainError as exc:
        return _residual_page(session, page, user, status_code=exc.status, **_problems(page, exc), filename=filename)
    return _residual_page(session, page, user, result=result, filename=filename)
