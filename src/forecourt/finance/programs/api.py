"""REST API of rate programs and residual tables (/api/v1/finance/...).

Reading current programs is public (a shopper's calculator needs them); changing them, files and residuals need a
finance officer or an admin, and changes need a finance officer who is not tied to one store (the provider's
programs apply to every store) or an admin. Every refusal is an RFC 9457 problem document.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, get_type_hints

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.convertors import Convertor, register_url_convertor

from forecourt.accounts.principal import Principal, Role
from forecourt.accounts.security import require_roles
from forecourt.catalog.inventory_import import FileTooLarge
from forecourt.core.errors import Forbidden
from forecourt.core.http import DbSession, WriteSession
from forecourt.core.params import Day
from forecourt.finance.models import RateProgram
from forecourt.finance.programs import files
from forecourt.finance.programs import import_export as programs_io
from forecourt.finance.programs import service as programs

router = APIRouter(prefix="/api/v1/finance", tags=["finance programs"])


class ProgramCode(Convertor[str]):
    """A program code in a path, never the fixed words `export` and `import`: so PUT /programs/export is a
    405 (the path is a GET-only route), not an attempt to change a program called "export"."""

    regex = r"(?!export$|import$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("program_code", ProgramCode())
_PROBLEM = {"content": {"application/problem+json": {}}}
_NO_PROVIDER = {"description": "No finance provider is set up yet", **_PROBLEM}
FILE_MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "yaml": "application/yaml; charset=utf-8"}


def can_change_programs(user: Principal) -> bool:
    """Admins, and finance officers of the provider (a grant without a store); a store's finance officer reads."""
    return user.is_admin or any(g.role == Role.FINANCE_OFFICER and g.store_id is None for g in user.grants)


def _program_editor(user: Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER))]) -> Principal:
    if not can_change_programs(user):
        raise Forbidden(
            "Only the provider's finance officers (not tied to a store) and admins change rate programs",
            code="forbidden_store_scoped",
        )
    return user


FinanceUser = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER))]
ProgramEditor = Annotated[Principal, Depends(_program_editor)]
FormatQuery = Annotated[Literal["csv", "yaml"] | None, Query(alias="format", description="Default: from the file name")]


class ProgramTerms(BaseModel):
    """A program's terms. Give rates and amounts as strings ("0.0399") to keep them exact."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "loan-36-escort",
                    "product": "loan",
                    "name_en": "Escort 36-month loan",
                    "name_zh": "福睿斯 36期贷款",
                    "model_code": "escort",
                    "term_months": 36,
                    "annual_rate": "0.0499",
                    "min_down_percent": "0.20",
                    "valid_from": "2026-01-01",
                    "valid_to": "2027-12-31",
                }
            ]
        },
    )

    product: str = Field(description="loan, balloon, lease or lease_to_own")
    name_en: str
    name_zh: str
    model_code: str | None = Field(None, description="None: every model")
    trim_code: str | None = Field(None, description="None: every trim of the model")
    term_months: int
    credit_tier: str = Field("*", description='"*" for every tier, or a tier of the provider\'s rule set')
    annual_rate: Decimal = Field(description="customer rate as a fraction, 0 ≤ rate < 1")
    money_factor: Decimal | None = Field(None, description="leases only, > 0")
    subvention_rate: Decimal = Decimal("0")
    subvention_by: str = Field("", description='"", "dealer" or "oem"')
    min_down_percent: Decimal = Decimal("0")
    max_balloon_percent: Decimal = Field(Decimal("0"), description="balloon loans only")
    fee: Decimal = Decimal("0")
    cash_rebate: Decimal = Decimal("0")
    purchase_price: Decimal = Field(Decimal("0"), description="lease-to-own only (e.g. 1.00)")
    disposition_fee: Decimal = Field(Decimal("0"), description="leases only")
    excess_km_rate: Decimal | None = Field(
        None,
        description="CNY per km over the allowance, leases and lease-to-own only: 0 < rate ≤ 10, at most 4 "
        "decimal places; none given means 0.50 on those products (and none on the others)",
        examples=["0.50"],
    )
    valid_from: Day
    valid_to: Day


class ProgramIn(ProgramTerms):
    code: str = Field(description="lowercase letters, digits, dots, hyphens, underscores; names the program")


class ProgramChange(ProgramTerms):
    code: str | None = Field(None, description="if given, must be the code in the path")


def _program_columns() -> dict[str, Any]:
    """A program version's terms as ProgramOut fields, typed as `ProgramFields` types them, in column order."""
    types = get_type_hints(files.ProgramFields)
    return {name: (types[name], ...) for name in files.PROGRAM_COLUMNS if name != "code"}


# id, code, version, is_current, then every term (product … valid_to), then created_at.
ProgramOut = create_model(
    "ProgramOut",
    id=(int, ...),
    code=(str, ...),
    version=(int, ...),
    is_current=(bool, ...),
    **_program_columns(),
    created_at=(datetime, ...),
)


class ProgramChangedOut(ProgramOut):
    new_version: bool = Field(description="false when the values were the same and no version was added")


class ImportOut(BaseModel):
    created: list[str]
    updated: list[str] = Field(description="codes given a new version")
    unchanged: list[str]
    total: int


class ResidualOut(BaseModel):
    model_code: str
    term_months: int
    annual_mileage: int
    residual_percent: Decimal


class ResidualImportOut(BaseModel):
    replaced: list[str] = Field(description="models whose rows were replaced by the file's")
    unchanged: list[str]
    rows: int


def program_out(program: RateProgram) -> ProgramOut:
    cells = files.program_cells(programs.fields_of(program))
    decimal = {
        name: Decimal(cells[name])
        for name in cells
        if name in ProgramOut.model_fields
        and ProgramOut.model_fields[name].annotation in (Decimal, Decimal | None)
        and cells[name] != ""
    }
    return ProgramOut(
        id=program.id,
        code=program.code,
        version=program.version,
        is_current=program.is_current,
        product=program.product,
        name_en=program.name_en,
        name_zh=program.name_zh,
        model_code=program.model_code,
        trim_code=program.trim_code,
        term_months=program.term_months,
        credit_tier=program.credit_tier,
        subvention_by=program.subvention_by,
        valid_from=program.valid_from,
        valid_to=program.valid_to,
        created_at=program.created_at,
        **{"money_factor": None, "excess_km_rate": None, **decimal},
    )


def _read_upload(request: Request, file: UploadFile) -> bytes:
    limit = request.app.state.settings.max_import_bytes
    if file.size is not None and file.size > limit:
        raise FileTooLarge(limit)
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(limit)
    return data


def _download(data: bytes, fmt: str, name: str) -> Response:
    return Response(
        data,
        media_type=FILE_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"},
    )


_FILE_DOC = (
    "CSV (UTF-8, a BOM allowed, or GB18030; header line with the column names) or YAML (`programs:` / `residuals:` "
    "followed by a list of mappings; numbers are read from their text, so 0.0399 stays exact). The whole file is "
    "checked first: any problem rejects it with 422 `file_rejected`, every problem listed in `problems` with its "
    "line and column, and nothing is written."
)


@router.get("/programs", response_model=list[ProgramOut], summary="Current rate programs")
def list_programs(
    session: DbSession,
    product: Annotated[
        str | None,
        Query(
            max_length=20,
            description="loan, balloon, lease or lease_to_own",
            json_schema_extra={"enum": list(files.PRODUCTS)},
        ),
    ] = None,
    model: Annotated[
        str | None, Query(max_length=40, description="programs for this model and for every model")
    ] = None,
    term: Annotated[int | None, Query(ge=1, le=120)] = None,
    tier: Annotated[str | None, Query(max_length=10, description="programs for this tier and for every tier")] = None,
    on: Annotated[Day | None, Query(description="only programs valid on this day")] = None,
) -> list[ProgramOut]:
    filters = programs.ProgramFilters(product=product, model_code=model, term_months=term, tier=tier, on=on)
    return [program_out(p) for p in programs.list_programs(session, filters)]


@router.get(
    "/programs/export",
    summary="Every current program as a CSV or YAML file",
    responses={200: {"content": {"text/csv": {}, "application/yaml": {}}}, 401: _PROBLEM, 403: _PROBLEM},
)
def export_programs(
    session: DbSession, user: FinanceUser, file_format: Annotated[Literal["csv", "yaml"], Query(alias="format")] = "csv"
) -> Response:
    return _download(programs_io.export_programs(session, file_format), file_format, "rate-programs")


@router.get(
    "/programs/versions/{program_id}",
    response_model=ProgramOut,
    summary="One program version (current or not)",
    responses={404: _PROBLEM},
)
def get_program(session: DbSession, program_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> ProgramOut:
    return program_out(programs.get_program(session, program_id))


@router.post(
    "/programs",
    response_model=ProgramOut,
    status_code=201,
    summary="Create a rate program",
    responses={401: _PROBLEM, 403: _PROBLEM, 404: _NO_PROVIDER, 409: _PROBLEM, 422: _PROBLEM},
)
def create_program(session: WriteSession, user: ProgramEditor, body: ProgramIn) -> ProgramOut:
    return program_out(programs.create_program(session, body.model_dump(), actor=user.user_id))


@router.post(
    "/programs/import",
    response_model=ImportOut,
    summary="Import rate programs from a CSV or YAML file",
    description=_FILE_DOC + " A program whose values are unchanged gets no new version.",
    responses={401: _PROBLEM, 403: _PROBLEM, 404: _NO_PROVIDER, 413: _PROBLEM, 422: _PROBLEM},
)
def import_programs(
    session: WriteSession,
    request: Request,
    user: ProgramEditor,
    file: Annotated[UploadFile, File()],
    file_format: FormatQuery = None,
) -> ImportOut:
    data = _read_upload(request, file)
    fmt = programs_io.file_format(file_format, file.filename, file.content_type)
    result = programs_io.import_programs(session, data, fmt, actor=user.user_id)
    return ImportOut(created=result.created, updated=result.updated, unchanged=result.unchanged, total=result.total)


@router.put(
    "/programs/{code:program_code}",
    response_model=ProgramChangedOut,
    summary="Change a program (adds a version)",
    responses={401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM, 422: _PROBLEM},
)
def change_program(session: WriteSession, user: ProgramEditor, code: str, body: ProgramChange) -> ProgramChangedOut:
    program, added = programs.new_version(session, code, body.model_dump(), actor=user.user_id)
    return ProgramChangedOut(**program_out(program).model_dump(), new_version=added)


@router.delete(
    "/programs/{code:program_code}",
    response_model=ProgramOut,
    summary="Retire a program",
    responses={401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM},
)
def retire_program(session: WriteSession, user: ProgramEditor, code: str) -> ProgramOut:
    return program_out(programs.retire_program(session, code, actor=user.user_id))


@router.get(
    "/residuals",
    response_model=list[ResidualOut],
    summary="The residual table (JSON, CSV or YAML)",
    responses={200: {"content": {"text/csv": {}, "application/yaml": {}}}, 401: _PROBLEM, 403: _PROBLEM},
)
def residuals(
    session: DbSession,
    user: FinanceUser,
    file_format: Annotated[Literal["json", "csv", "yaml"], Query(alias="format")] = "json",
) -> Response | list[ResidualOut]:
    if file_format != "json":
        return _download(programs_io.export_residuals(session, file_format), file_format, "residual-values")
    return [
        ResidualOut(
            model_code=r.model_code,
            term_months=r.term_months,
            annual_mileage=r.annual_mileage,
            residual_percent=Decimal(files.canonical_decimal(r.residual_percent)),
        )
        for r in programs.residual_rows(session)
    ]


@router.post(
    "/residuals",
    response_model=ResidualImportOut,
    summary="Import residual values from a CSV or YAML file",
    description=_FILE_DOC + " Each model in the file gets exactly the file's rows; other models keep theirs.",
    responses={401: _PROBLEM, 403: _PROBLEM, 413: _PROBLEM, 422: _PROBLEM},
)
def import_residuals(
    session: WriteSession,
    request: Request,
    user: ProgramEditor,
    file: Annotated[UploadFile, File()],
    file_format: FormatQuery = None,
) -> ResidualImportOut:
    data = _read_upload(request, file)
    fmt = programs_io.file_format(file_format, file.filename, file.content_type)
    result = programs_io.import_residuals(session, data, fmt, actor=user.user_id)
    return ResidualImportOut(replaced=result.replaced, unchanged=result.unchanged, rows=result.rows)
