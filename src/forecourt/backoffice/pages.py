"""Staff back office: inventory, vehicle edits, imports, store settings, audit log, users.

Thin: check who acts (access.py), call one catalog/accounts/audit service function, render. Store staff
reach their own stores only, admins every store; the scoping itself is done by the services, which take
plain store ids. Every form posts a csrf_token field, which the security dependency checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from forecourt.accounts import service as accounts
from forecourt.accounts.principal import Principal, Role
from forecourt.audit import service as audit
from forecourt.backoffice import messages
from forecourt.backoffice.access import AdminUser, BackOfficeUser, NotAllowed, PostedForm, StaffUser, store_scope
from forecourt.catalog import service as catalog
from forecourt.catalog.edits import WEEKDAYS
from forecourt.catalog.inventory_import import FileTooLarge, detect_format, import_stream
from forecourt.catalog.lifecycle import ALLOWED_TRANSITIONS, VehicleStatus
from forecourt.catalog.schemas import VehicleSearchQuery
from forecourt.core.errors import Conflict, DomainError, FieldError, Forbidden, InvalidInput
from forecourt.core.http import DbSession, upload_size
from forecourt.core.params import RowId
from forecourt.core.problem_reports import ProblemReport
from forecourt.web import audit_labels, search_view
from forecourt.web.errors import PAGES_TAG
from forecourt.web.forms import model_from_query, validation_errors
from forecourt.web.i18n import N_, localized
from forecourt.web.templating import Page, PageContext

router = APIRouter(prefix="/backoffice", tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
AUDIT_PAGE_SIZE = 50
USERS_PAGE_SIZE = 50
GRANTABLE_ROLES = (Role.STORE_STAFF, Role.ADMIN, Role.FINANCE_OFFICER, Role.MARKETER)


def _field_errors(page: Page, errors: list[FieldError]) -> dict[str, str]:
    """The first problem of each field, translated (the service's messages are fixed English sentences)."""
    shown: dict[str, str] = {}
    for error in errors:
        if error.field == "status":
            shown.setdefault("status", page.gettext(messages.ILLEGAL_STATUS))
        else:
            shown.setdefault(error.field, page.gettext(error.message))
    return shown


def _scoped(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service call; another store's object is refused with the back office's 403 page."""
    try:
        return call(*args, **kwargs)
    except Forbidden as exc:
        raise NotAllowed() from exc


def _render(page: Page, template: str, user: Principal, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    return page.render(template, status_code=status_code, user=user, csrf_token=user.csrf_token or "", **context)


# --- inventory ------------------------------------------------------------------------------------------------


@router.get("")
def home(user: BackOfficeUser) -> RedirectResponse:
    """Staff start at the inventory; a finance officer (who has no store inventory) at the review queue; a
    marketer at the marketing dashboard."""
    if user.has_role(Role.STORE_STAFF, Role.ADMIN):
        return RedirectResponse("/backoffice/vehicles", status_code=303)
    if user.has_role(Role.FINANCE_OFFICER):
        return RedirectResponse("/backoffice/finance/review", status_code=303)
    return RedirectResponse("/backoffice/marketing", status_code=303)


@router.get("/vehicles")
def vehicles(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    params = page.request.query_params
    scope = store_scope(user)
    stores = catalog.list_managed_stores(session, scope)
    errors, outcome = [], None
    try:
        query = model_from_query(params, VehicleSearchQuery)
        if not query.status:  # staff see every status unless they ask for some
            query = query.model_copy(update={"status": list(VehicleStatus)})
        outcome = catalog.search_vehicles(session, query, store_ids=scope)
    except ValidationError as exc:
        errors = validation_errors(exc, search_view.FIELD_LABELS, page.gettext)
    except InvalidInput as exc:
        errors = search_view.service_errors(exc, page.gettext)
    return _render(
        page,
        "backoffice/vehicles.html",
        user,
        status_code=422 if errors else 200,
        outcome=outcome,
        errors=errors,
        stores=stores,
        statuses=list(VehicleStatus),
        q=params.get("q", ""),
        chosen_status=params.getlist("status"),
        chosen_store=params.get("store", ""),
    )


def _edit_form(vehicle: Any) -> dict[str, Any]:
    return {
        "offer_price": "" if vehicle.offer_price is None else f"{vehicle.offer_price:.2f}",
        "mileage_km": str(vehicle.mileage_km),
        "colour": vehicle.colour.code if vehicle.colour else "",
        "photo_urls": "\n".join(vehicle.photo_urls or []),
        "is_test_drive_fleet": vehicle.is_test_drive_fleet,
        "status": vehicle.status,
    }


def _render_edit(
    page: Page, user: Principal, vehicle: Any, form: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> HTMLResponse:
    current = VehicleStatus(vehicle.status)
    next_statuses = [current, *sorted(ALLOWED_TRANSITIONS[current], key=list(VehicleStatus).index)]
    return _render(
        page,
        "backoffice/vehicle_edit.html",
        user,
        status_code=status_code,
        vehicle=vehicle,
        form=form,
        errors=errors,
        next_statuses=next_statuses,
        colours=vehicle.model.colours,
        saved=page.request.query_params.get("saved") == "1",
    )


@router.get("/vehicles/{vin}")
def vehicle_edit(session: DbSession, page: PageContext, user: StaffUser, vin: str) -> HTMLResponse:
    vehicle = _scoped(catalog.get_vehicle_for_staff, session, vin, allowed_store_ids=store_scope(user))
    return _render_edit(page, user, vehicle, _edit_form(vehicle), {})


@router.post("/vehicles/{vin}", response_model=None)
def vehicle_save(
    session: DbSession, page: PageContext, user: StaffUser, vin: str, posted: PostedForm
) -> HTMLResponse | RedirectResponse:
    vehicle = _scoped(catalog.get_vehicle_for_staff, session, vin, allowed_store_ids=store_scope(user))
    form = {name: str(posted.get(name, "")) for name in ("offer_price", "mileage_km", "colour", "photo_urls", "status")}
    form["is_test_drive_fleet"] = posted.get("is_test_drive_fleet") == "1"
    try:
        _scoped(
            catalog.update_vehicle, session, vehicle.vin, form, allowed_store_ids=store_scope(user), actor=user.user_id
        )
    except (InvalidInput, Conflict) as exc:
        return _render_edit(page, user, vehicle, form, _field_errors(page, exc.errors), status_code=exc.status)
    return RedirectResponse(f"/backoffice/vehicles/{vehicle.vin}?saved=1", status_code=303)


# --- import -----------------------------------------------------------------------------------------------------


@router.get("/imports")
def import_form(page: PageContext, user: StaffUser) -> HTMLResponse:
    return _render(page, "backoffice/import.html", user, result=None, error=None)


@router.post("/imports")
def import_upload(session: DbSession, page: PageContext, user: StaffUser, posted: PostedForm) -> HTMLResponse:
    upload = posted.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _render(
            page,
            "backoffice/import.html",
            user,
            status_code=422,
            result=None,
            error=page.gettext(N_("Choose a CSV or JSON file to import.")),
        )
    settings = page.request.app.state.settings
    report = ProblemReport("vin", directory=settings.import_report_dir, owner_id=user.user_id, kind="inventory")
    try:
        if upload_size(upload) > settings.max_import_bytes:
            raise FileTooLarge(settings.max_import_bytes)
        # A file found malformed midway must not leave its earlier chunks behind: this page answers normally,
        # so the request would commit.
        with session.begin_nested():
            result = import_stream(
                session,
                upload.file,
                detect_format(None, upload.filename, upload.content_type),
                allowed_store_ids=store_scope(user),
                actor=user.user_id,
                report=report,
            )
    except DomainError as exc:
        # A malformed file imports nothing; its reason is the importer's (English) explanation.
        error = page.gettext(N_("The file could not be imported: %(reason)s"), reason=exc.message)
        return _render(page, "backoffice/import.html", user, status_code=exc.status, result=None, error=error)
    return _render(page, "backoffice/import.html", user, result=result, error=None, filename=upload.filename)


# --- stores -----------------------------------------------------------------------------------------------------


@router.get("/stores")
def stores(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    return _render(page, "backoffice/stores.html", user, stores=catalog.list_managed_stores(session, store_scope(user)))


def _hours_form(opening_hours: dict[str, list[list[str]]]) -> dict[str, list[tuple[str, str]]]:
    rows: dict[str, list[tuple[str, str]]] = {}
    for day in WEEKDAYS:
        pairs = [(str(o), str(c)) for o, c in (opening_hours.get(day) or [])][:2]
        rows[day] = pairs + [("", "")] * (2 - len(pairs))
    return rows


def _render_store(
    page: Page,
    user: Principal,
    store: Any,
    hours: dict[str, list[tuple[str, str]]],
    phone: str,
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    return _render(
        page,
        "backoffice/store_edit.html",
        user,
        status_code=status_code,
        store=store,
        hours=hours,
        phone=phone,
        errors=errors,
        saved=page.request.query_params.get("saved") == "1",
    )


@router.get("/stores/{code}")
def store_edit(session: DbSession, page: PageContext, user: StaffUser, code: str) -> HTMLResponse:
    store = _scoped(catalog.get_store_for_staff, session, code, allowed_store_ids=store_scope(user))
    return _render_store(page, user, store, _hours_form(store.opening_hours or {}), store.phone, {})


@router.post("/stores/{code}", response_model=None)
def store_save(
    session: DbSession, page: PageContext, user: StaffUser, code: str, posted: PostedForm
) -> HTMLResponse | RedirectResponse:
    store = _scoped(catalog.get_store_for_staff, session, code, allowed_store_ids=store_scope(user))
    hours = {
        day: [(str(posted.get(f"{day}-{i}-open", "")), str(posted.get(f"{day}-{i}-close", ""))) for i in (1, 2)]
        for day in WEEKDAYS
    }
    phone = str(posted.get("phone", ""))
    try:
        _scoped(
            catalog.update_store_settings,
            session,
            store.code,
            opening_hours=hours,
            phone=phone,  # type: ignore[arg-type]
            allowed_store_ids=store_scope(user),
            actor=user.user_id,
        )
    except InvalidInput as exc:
        return _render_store(page, user, store, hours, phone, _field_errors(page, exc.errors), status_code=422)
    return RedirectResponse(f"/backoffice/stores/{store.code}?saved=1", status_code=303)


# --- audit log --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    event: Any
    actor: Any  # the acting user, None for the system or a visitor (or a user since deleted: `event` keeps the id)
    action: str
    object: str
    store: str
    details: list[tuple[str, str]]


def _audit_rows(session: DbSession, page: Page, events: Any) -> list[AuditRow]:
    """Each event in words: its action, object and details translated, people and stores by name."""
    stores = {s.id: s for s in catalog.list_managed_stores(session, None)}
    by_code = {s.code: s for s in stores.values()}
    people = accounts.users_by_id(session, [e.actor_user_id for e in events if e.actor_user_id is not None])
    people |= accounts.users_by_id(
        session, [int(e.object_id) for e in events if e.object_type == "user" and e.object_id.isdigit()]
    )

    def named(event: Any) -> str:
        if event.object_type == "store" and event.object_id in by_code:
            return localized(by_code[event.object_id], "name", page.lang)
        if event.object_type == "user" and event.object_id.isdigit() and int(event.object_id) in people:
            return people[int(event.object_id)].display_name
        return event.object_id

    return [
        AuditRow(
            e,
            people.get(e.actor_user_id) if e.actor_user_id is not None else None,
            page.gettext(audit_labels.ACTIONS[e.action]) if e.action in audit_labels.ACTIONS else e.action,
            f"{page.gettext(audit_labels.OBJECTS.get(e.object_type, e.object_type))} {named(e)}".strip(),
            localized(stores[e.store_id], "name", page.lang) if e.store_id in stores else "",
            audit_labels.readable_details(e.details or {}, page.gettext),
        )
        for e in events
    ]


@router.get("/audit")
def audit_log(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    try:
        number = max(1, min(int(page.request.query_params.get("page", "1")), 10_000))
    except ValueError:
        number = 1
    scope = store_scope(user)
    events = audit.list_events(
        session, store_ids=scope, limit=AUDIT_PAGE_SIZE + 1, offset=(number - 1) * AUDIT_PAGE_SIZE
    )
    rows = _audit_rows(session, page, events[:AUDIT_PAGE_SIZE])
    return _render(
        page, "backoffice/audit.html", user, rows=rows, number=number, has_next=len(events) > AUDIT_PAGE_SIZE
    )


# --- users (admins) ---------------------------------------------------------------------------------------------


def _render_users(
    session: DbSession, page: Page, user: Principal, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    try:
        number = max(1, min(int(page.request.query_params.get("page", "1")), 10_000))
    except ValueError:
        number = 1
    users = accounts.list_users(session, limit=USERS_PAGE_SIZE + 1, offset=(number - 1) * USERS_PAGE_SIZE)
    stores = catalog.list_managed_stores(session, None)
    return _render(
        page,
        "backoffice/users.html",
        user,
        status_code=status_code,
        users=users[:USERS_PAGE_SIZE],
        number=number,
        has_next=len(users) > USERS_PAGE_SIZE,
        stores=stores,
        store_names={s.id: localized(s, "name", page.lang) for s in stores},
        roles=GRANTABLE_ROLES,
        role_names=messages.ROLE_NAMES,
        error=error,
    )


@router.get("/users")
def users(session: DbSession, page: PageContext, user: AdminUser) -> HTMLResponse:
    return _render_users(session, page, user)


@router.post("/users/{user_id}/roles", response_model=None)
def user_roles(
    session: DbSession, page: PageContext, user: AdminUser, user_id: RowId, posted: PostedForm
) -> HTMLResponse | RedirectResponse:
    target = accounts.get_user(session, user_id)
    role, action, store_code = str(posted.get("role", "")), str(posted.get("action", "")), str(posted.get("store", ""))
    store_id = None
    if role == Role.STORE_STAFF:
        store = next((s for s in catalog.list_managed_stores(session, None) if s.code == store_code), None)
        if store is None:
            return _render_users(
                session, page, user, status_code=422, error=page.gettext(N_("Choose the store for a store staff role."))
            )
        store_id = store.id
    if role not in {r.value for r in GRANTABLE_ROLES} or action not in ("grant", "revoke"):
        return _render_users(
            session, page, user, status_code=422, error=page.gettext(N_("Choose one of the roles offered."))
        )
    if action == "grant":
        accounts.grant_role(session, target, role, store_id, actor=user.user_id)
    else:
        accounts.revoke_role(session, target, role, store_id, actor=user.user_id)
    return RedirectResponse("/backoffice/users?saved=1", status_code=303)
