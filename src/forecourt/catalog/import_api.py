"""REST API of the inventory import: upload a CSV or JSON file, get a bounded per-row report back; and the
download of any import's full problem report (`/imports/{id}/report.csv`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from forecourt.accounts.principal import Principal, managed_store_ids
from forecourt.accounts.security import RequiredUser, require_roles
from forecourt.catalog.inventory_import import FileTooLarge, ImportResult, detect_format, import_stream
from forecourt.core.errors import NotFound
from forecourt.core.http import DbSession, upload_size
from forecourt.core.problem_reports import SHOWN_PROBLEMS, ProblemReport, report_path

router = APIRouter(prefix="/api/v1", tags=["inventory"])

_PROBLEM = {"content": {"application/problem+json": {}}}


class ImportErrorOut(BaseModel):
    line: int
    column: str | None
    vin: str | None
    code: str
    reason: str


class ProblemCountOut(BaseModel):
    code: str
    column: str | None
    count: int


class ImportReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "created": 1480,
                    "updated": 15,
                    "unchanged": 3,
                    "rejected": 2,
                    "total": 1500,
                    "problems": 2,
                    "problem_counts": [
                        {"code": "invalid_vin", "column": "vin", "count": 1},
                        {"code": "offer_above_list", "column": "offer_price", "count": 1},
                    ],
                    "errors": [
                        {
                            "line": 7,
                            "column": "vin",
                            "vin": "LVSHCAMB5JZ000123",
                            "code": "invalid_vin",
                            "reason": "VIN 'LVSHCAMB5JZ000123': position 9 check digit is 5 but the other characters require 7",
                        },
                        {
                            "line": 12,
                            "column": "offer_price",
                            "vin": "LVSHCAMB9JZ000130",
                            "code": "offer_above_list",
                            "reason": "offer_price 200000.00 is above list_price 180000.00",
                        },
                    ],
                    "errors_truncated": False,
                    "report_url": "/api/v1/imports/0f1e2d3c4b5a69788796a5b4c3d2e1f0/report.csv",
                }
            ]
        }
    )

    created: int
    updated: int
    unchanged: int
    rejected: int
    total: int
    problems: int = Field(description="Every problem found (a row may have several)")
    problem_counts: list[ProblemCountOut] = Field(description="Problems per code and column, most frequent first")
    errors: list[ImportErrorOut] = Field(description=f"The first {SHOWN_PROBLEMS} problems, in file order")
    errors_truncated: bool = Field(description="More problems than `errors` shows: the report has them all")
    report_url: str | None = Field(description="CSV of every problem (line, column, vin, code, reason); null if none")


def import_report(result: ImportResult) -> ImportReport:
    summary = result.summary
    return ImportReport(
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected,
        total=result.total,
        problems=summary.problems,
        problem_counts=[ProblemCountOut(code=c.code, column=c.column, count=c.count) for c in summary.counts],
        errors=[
            ImportErrorOut(line=p.line, column=p.column, vin=p.key, code=p.code, reason=p.reason) for p in summary.first
        ],
        errors_truncated=summary.truncated,
        report_url=summary.report_url,
    )


@router.post(
    "/inventory/imports",
    response_model=ImportReport,
    summary="Upsert vehicles by VIN from an uploaded CSV or JSON file",
    description=(
        "Columns: vin, trim, store, model_year, list_price (required); colour, mileage_km, offer_price, status, "
        "test_drive_fleet, photo_urls and options ('|'-separated in CSV, lists in JSON), currency (CNY). "
        "Rows with a problem change nothing; every other row is created, updated or left unchanged. The answer "
        f"stays small whatever the file: `errors` lists the first {SHOWN_PROBLEMS} problems in file order (CSV: "
        "line in the file, header = 1; JSON: position in the list), `problem_counts` counts every problem by "
        "code and column, and `report_url` downloads all of them as CSV. "
        "A malformed file (bad JSON, unknown or missing columns, unreadable encoding) is a 422 and imports nothing. "
        "Store staff may only create or update vehicles of their own stores (other rows become row errors); "
        "admins may import into any store."
    ),
    responses={
        401: {"description": "Not signed in", **_PROBLEM},
        403: {"description": "Neither store staff nor admin", **_PROBLEM},
        413: {"description": "The file is above the import size limit", **_PROBLEM},
        422: {"description": "The file is malformed; nothing was imported", **_PROBLEM},
    },
)
def import_inventory(
    request: Request,
    session: DbSession,
    user: Annotated[Principal, Depends(require_roles("store_staff"))],
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or JSON file")],
    file_format: Annotated[
        Literal["csv", "json"] | None, Query(alias="format", description="Default: from the file name or content type")
    ] = None,
) -> ImportReport:
    settings = request.app.state.settings
    if upload_size(file) > settings.max_import_bytes:
        raise FileTooLarge(settings.max_import_bytes)
    result = import_stream(
        session,
        file.file,
        detect_format(file_format, file.filename, file.content_type),
        allowed_store_ids=managed_store_ids(user),
        actor=user.user_id,
        report=ProblemReport("vin", directory=settings.import_report_dir, owner_id=user.user_id, kind="inventory"),
    )
    return import_report(result)


@router.get(
    "/imports/{import_id}/report.csv",
    response_class=FileResponse,
    summary="Every problem of an import, as CSV",
    description=(
        "The full problem report of an import whose answer carried `report_url`: line, column, key (VIN for "
        "inventory), code, reason; UTF-8 with a BOM. Only the user who made the import, or an admin, may read "
        "it; anyone else gets 404, as for a report that never existed or has expired."
    ),
    responses={
        200: {"content": {"text/csv": {}}, "description": "The report"},
        401: {"description": "Not signed in", **_PROBLEM},
        404: {"description": "No such report, expired, or someone else's", **_PROBLEM},
    },
)
def import_problem_report(request: Request, import_id: str, user: RequiredUser) -> FileResponse:
    path = report_path(request.app.state.settings.import_report_dir, import_id, user.user_id, user.is_admin)
    if path is None:
        raise NotFound("No such import report (reports are kept for a limited time)", code="report_not_found")
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"import-{import_id}-problems.csv")
