"""Service schedules and a car's service status.

The schedule table is changed like rate programs, by the same people (finance officers not tied to a store, and
admins) and with the same file checks; any finance officer or store staff may export it. An owner reads their
car's next service, its reminder stage and open recalls (the garage page shows the same)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response

from forecourt.accounts.principal import Principal, Role
from forecourt.accounts.security import RequiredUser, require_roles
from forecourt.catalog.inventory_import import FileTooLarge
from forecourt.core.clock import utcnow
from forecourt.core.errors import Forbidden
from forecourt.core.http import DbSession, WriteSession
from forecourt.finance.programs.import_export import file_format
from forecourt.ownership.records.car_facts import own_car
from forecourt.ownership.servicing import service as servicing
from forecourt.ownership.servicing.schemas import (
    NoticeOut,
    ScheduleImportOut,
    ServiceStatusOut,
)

router = APIRouter(prefix="/api/v1", tags=["service schedules"])
ReaderUser = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER, Role.STORE_STAFF))]
FILE_MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "yaml": "application/yaml; charset=utf-8"}
_PROBLEM = {"content": {"application/problem+json": {}}}


def can_change_schedules(user: Principal) -> bool:
    return user.is_admin or any(g.role == Role.FINANCE_OFFICER and g.store_id is None for g in user.grants)


def _editor(user: Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER))]) -> Principal:
    if not can_change_schedules(user):
        raise Forbidden(
            "Only finance officers not tied to a store, and admins, change service schedules",
            code="forbidden_store_scoped",
        )
    return user


EditorUser = Annotated[Principal, Depends(_editor)]


@router.get(
    "/service-schedules/export",
    summary="The service schedule table as a CSV or YAML file",
    responses={200: {"content": {"text/csv": {}, "application/yaml": {}}}, 401: _PROBLEM, 403: _PROBLEM},
)
def export_schedules(
    session: DbSession, user: ReaderUser, fmt: Annotated[Literal["csv", "yaml"], Query(alias="format")] = "csv"
) -> Response:
    return Response(
        servicing.export_schedules(session, fmt),
        media_type=FILE_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="service-schedules.{fmt}"', "Cache-Control": "no-store"},
    )


@router.post(
    "/service-schedules/import",
    response_model=ScheduleImportOut,
    summary="Replace the service schedule table with a CSV or YAML file",
    description="Columns model_code, powertrain, first_km, first_months, every_km, every_months; an empty model or "
    "powertrain means every. The whole file is checked first: any problem rejects it with 422 `file_rejected`, "
    "every problem listed with its line and column, and nothing is written.",
    responses={401: _PROBLEM, 403: _PROBLEM, 413: _PROBLEM, 422: _PROBLEM},
)
def import_schedules(
    session: WriteSession,
    request: Request,
    user: EditorUser,
    file: Annotated[UploadFile, File()],
    fmt: Annotated[Literal["csv", "yaml"] | None, Query(alias="format")] = None,
) -> ScheduleImportOut:
    limit = request.app.state.settings.max_import_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(limit)
    table = servicing.import_schedules(
        session, data, file_format(fmt, file.filename, file.content_type), actor=user.user_id
    )
    return ScheduleImportOut(rows=len(table.plans))


@router.get("/cars/{vin}/service-status", response_model=ServiceStatusOut, summary="My car's next service")
def service_status(session: DbSession, user: RequiredUser, vin: str) -> ServiceStatusOut:
    car = own_car(session, user.user_id, vin)
    status = servicing.service_status(session, car, car.local_day(utcnow()))
    upcoming = status.next_service
    return ServiceStatusOut(
        vin=car.vin,
        due_on=upcoming.due_on,
        due_by=upcoming.due_by.value,
        due_km=upcoming.due.due_km,
        due_day=upcoming.due.due_day,
        km_reached_on=upcoming.km_reached_on,
        km_day_hidden_because=upcoming.km_day_hidden_because.value if upcoming.km_day_hidden_because else None,
        latest_km=upcoming.as_of.km,
        first_service=upcoming.due.first_service,
        stage=status.stage.name.lower(),
        open_recalls=[
            NoticeOut(code=n.code, title_en=n.title_en, title_zh=n.title_zh, notified_at=n.notified_at)
            for n in status.open_recalls
        ],
    )
