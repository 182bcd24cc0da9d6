"""REST API of the inventory import: upload a CSV or JSON file, get the per-row report back."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict

from forecourt.accounts.principal import Principal, managed_store_ids
from forecourt.accounts.security import require_roles
from forecourt.catalog.inventory_import import FileTooLarge, detect_format, import_file
from forecourt.core.http import DbSession

router = APIRouter(prefix="/api/v1", tags=["inventory"])

_PROBLEM = {"content": {"application/problem+json": {}}}


class ImportErrorOut(BaseModel):
    line: int
    column: str | None
    vin: str | None
    reason: str


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
                    "errors": [
                        {
                            "line": 7,
                            "column": "vin",
                            "vin": "LVSHCAMB5JZ000123",
                            "reason": "VIN 'LVSHCAMB5JZ000123': position 9 check digit is 5 but the other characters require 7",
                        },
                        {
                            "line": 12,
                            "column": "offer_price",
                            "vin": "LVSHCAMB9JZ000130",
                            "reason": "offer_price 200000.00 is above list_price 180000.00",
                        },
                    ],
                }
            ]
        }
    )

    created: int
    updated: int
    unchanged: int
    rejected: int
    total: int
    errors: list[ImportErrorOut]


@router.post(
    "/inventory/imports",
    response_model=ImportReport,
    summary="Upsert vehicles by VIN from an uploaded CSV or JSON file",
    description=(
        "Columns: vin, trim, store, model_year, list_price (required); colour, mileage_km, offer_price, status, "
        "test_drive_fleet, photo_urls and options ('|'-separated in CSV, lists in JSON), currency (CNY). "
        "Rows with a problem change nothing and are listed in `errors` (CSV: line in the file, header = 1; "
        "JSON: position in the list); every other row is created, updated or left unchanged. "
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
    limit = request.app.state.settings.max_import_bytes
    if file.size is not None and file.size > limit:
        raise FileTooLarge(limit)
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(limit)
    result = import_file(
        session,
        data,
        detect_format(file_format, file.filename, file.content_type),
        allowed_store_ids=managed_store_ids(user),
        actor=user.user_id,
    )
    return ImportReport(
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected,
        total=result.total,
        errors=[ImportErrorOut(line=e.line, column=e.column, vin=e.vin, reason=e.reason) for e in result.errors],
    )
