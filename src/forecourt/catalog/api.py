"""REST API of the catalog context: thin handlers over catalog.service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from forecourt.accounts.principal import Principal, managed_store_ids
from forecourt.accounts.security import require_roles
from forecourt.catalog import service
from forecourt.catalog.facets import FacetValue
from forecourt.catalog.schemas import (
    ModelOut,
    StatusChange,
    StoreOut,
    VehicleOut,
    VehiclePatch,
    VehicleSearchPage,
    VehicleSearchQuery,
)
from forecourt.catalog.vin import VIN_PATTERN
from forecourt.core.http import DbSession

router = APIRouter(prefix="/api/v1", tags=["catalog"])
_PROBLEM = {"content": {"application/problem+json": {}}}
StoreStaff = Annotated[Principal, Depends(require_roles("store_staff"))]
# The VIN rules (17 characters of the VIN alphabet, check digit) are checked by catalog.vin for stable codes;
# the pattern documents them (spaces, dashes and lower case are tolerated and normalised too).
VinPath = Annotated[
    str,
    Path(min_length=1, max_length=40, examples=["LVSHCAMB9JZ000123"], json_schema_extra={"pattern": VIN_PATTERN}),
]
CodePath = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9\-]*$")]


def _facet_out(value: FacetValue) -> dict:
    return {
        "value": value.value,
        "label_en": value.label.en,
        "label_zh": value.label.zh,
        "count": value.count,
        "selected": value.selected,
    }


@router.get(
    "/vehicles",
    response_model=VehicleSearchPage,
    summary="Search vehicles with filters, facets, sorting and pagination",
    openapi_extra={
        "x-examples": {
            "SUVs in Guangzhou under CNY 300,000": "/api/v1/vehicles?body_type=suv&city=guangzhou&price_max=300000",
            "Chinese text search": "/api/v1/vehicles?q=蒙迪欧&sort=-year",
        }
    },
)
def search_vehicles(session: DbSession, query: Annotated[VehicleSearchQuery, Query()]) -> VehicleSearchPage:
    outcome = service.search_vehicles(session, query)
    return VehicleSearchPage(
        items=[VehicleOut.model_validate(v) for v in outcome.vehicles],
        total=outcome.total,
        page=outcome.page,
        page_size=outcome.page_size,
        pages=outcome.pages,
        sort=query.sort,
        facets={dim: [_facet_out(v) for v in values] for dim, values in outcome.facets.facets.items()},
    )


@router.get("/vehicles/{vin}", response_model=VehicleOut, summary="One vehicle by VIN")
def get_vehicle(session: DbSession, vin: VinPath) -> VehicleOut:
    return VehicleOut.model_validate(service.get_vehicle(session, vin))


@router.post(
    "/vehicles/{vin}/status",
    response_model=VehicleOut,
    summary="Move a vehicle along its status lifecycle (staff of the vehicle's store, or admin)",
    responses={
        401: {"description": "Not signed in", **_PROBLEM},
        403: {"description": "Not staff of this vehicle's store", **_PROBLEM},
    },
)
def change_status(session: DbSession, user: StoreStaff, vin: VinPath, change: StatusChange) -> VehicleOut:
    vehicle = service.change_vehicle_status(
        session, vin, change.status, allowed_store_ids=managed_store_ids(user), actor=user.user_id
    )
    return VehicleOut.model_validate(vehicle)


@router.patch(
    "/vehicles/{vin}",
    response_model=VehicleOut,
    summary="Edit a vehicle: offer price, mileage, colour, photos, test-drive flag, status (staff of its store, or admin)",
    responses={
        401: {"description": "Not signed in", **_PROBLEM},
        403: {"description": "Not staff of this vehicle's store", **_PROBLEM},
        409: {"description": "Illegal status change", **_PROBLEM},
        422: {"description": "Invalid fields; nothing changed", **_PROBLEM},
    },
)
def update_vehicle(session: DbSession, user: StoreStaff, vin: VinPath, patch: VehiclePatch) -> VehicleOut:
    changes = patch.model_dump(exclude_unset=True, mode="json")
    for name in ("mileage_km", "photo_urls", "is_test_drive_fleet", "status"):
        if name in changes and changes[name] is None:
            changes.pop(name)  # null means "no change" where the column cannot be empty
    vehicle = service.update_vehicle(
        session, vin, changes, allowed_store_ids=managed_store_ids(user), actor=user.user_id
    )
    return VehicleOut.model_validate(vehicle)


@router.get("/models", response_model=list[ModelOut], summary="All models with trims, colours and options")
def list_models(session: DbSession) -> list[ModelOut]:
    return [ModelOut.model_validate(m) for m in service.list_models(session)]


@router.get("/models/{code}", response_model=ModelOut, summary="One model by code")
def get_model(session: DbSession, code: CodePath) -> ModelOut:
    return ModelOut.model_validate(service.get_model(session, code))


@router.get("/stores", response_model=list[StoreOut], summary="All stores")
def list_stores(session: DbSession) -> list[StoreOut]:
    return [StoreOut.model_validate(s) for s in service.list_stores(session)]


@router.get("/stores/{code}", response_model=StoreOut, summary="One store by code")
def get_store(session: DbSession, code: CodePath) -> StoreOut:
    return StoreOut.model_validate(service.get_store(session, code))
