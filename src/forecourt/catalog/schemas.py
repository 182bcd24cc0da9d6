"""API shapes of the catalog context (Pydantic v2). Money is serialised as a decimal string."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from forecourt.catalog.criteria import SortKey
from forecourt.catalog.lifecycle import VehicleStatus
from forecourt.catalog.models import BodyType, Powertrain, StoreKind
from forecourt.catalog.openapi_examples import SEARCH_PAGE_EXAMPLE, VEHICLE_EXAMPLE
from forecourt.core.decimals import decimal_rules

MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
CodeList = Annotated[list[Annotated[str, Field(min_length=1, max_length=60)]], Field(max_length=50)]
MoneyAmount = Annotated[Decimal, Field(**decimal_rules(ge=0, le=Decimal("100000000"), max_digits=12, decimal_places=2))]


class Named(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_en: str
    name_zh: str


class CityOut(Named):
    province_en: str
    province_zh: str


class StoreOut(Named):
    kind: StoreKind
    city: CityOut
    address_en: str
    address_zh: str
    latitude: Decimal
    longitude: Decimal
    time_zone: str
    phone: str
    opening_hours: dict[str, list[list[str]]]


class TrimOut(Named):
    powertrain: Powertrain
    engine: str
    transmission: str
    seats: int
    fuel_consumption_l_100km: Decimal | None
    electric_range_km: int | None
    msrp: Decimal
    currency: str


class ColourOut(Named):
    hex: str
    surcharge: Decimal


class OptionOut(Named):
    price: Decimal


class ModelSummary(Named):
    body_type: BodyType
    brand: Named


class ModelOut(ModelSummary):
    description_en: str
    description_zh: str
    trims: list[TrimOut]
    colours: list[ColourOut]
    options: list[OptionOut]


class VehicleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [VEHICLE_EXAMPLE]})

    vin: str
    status: VehicleStatus
    is_test_drive_fleet: bool
    model_year: int
    mileage_km: int
    list_price: Decimal
    offer_price: Decimal | None
    price: Decimal
    currency: str
    model: ModelSummary
    trim: TrimOut
    colour: ColourOut | None
    store: StoreOut
    photo_urls: list[str]
    option_codes: list[str]
    created_at: datetime
    updated_at: datetime


class FacetValueOut(BaseModel):
    value: str
    label_en: str
    label_zh: str
    count: int
    selected: bool


class VehicleSearchQuery(BaseModel):
    """Filters for GET /api/v1/vehicles. Repeat a list parameter to select several values (OR)."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(
        None,
        max_length=200,
        description="Words from brand, model or trim names, English or Chinese",
        examples=["蒙迪欧 混动", "kuga 4wd"],
    )
    brand: CodeList = Field(default_factory=list, description="Brand codes, e.g. ford, lincoln", examples=[["ford"]])
    model: CodeList = Field(
        default_factory=list, description="Model codes, e.g. mondeo, kuga", examples=[["mondeo", "kuga"]]
    )
    body_type: list[BodyType] = Field(default_factory=list, max_length=10)
    powertrain: list[Powertrain] = Field(default_factory=list, max_length=10)
    colour: CodeList = Field(default_factory=list, description="Colour codes, e.g. agate-black")
    model_year: list[Annotated[int, Field(ge=1980, le=2100)]] = Field(default_factory=list, max_length=30)
    city: CodeList = Field(default_factory=list, description="City codes, e.g. guangzhou", examples=[["guangzhou"]])
    store: CodeList = Field(default_factory=list, description="Store codes")
    status: list[VehicleStatus] = Field(
        default_factory=list, max_length=4, description="Default: available and in_transit"
    )
    price_min: MoneyAmount | None = None
    price_max: MoneyAmount | None = None
    year_min: Annotated[int, Field(ge=1980, le=2100)] | None = None
    year_max: Annotated[int, Field(ge=1980, le=2100)] | None = None
    mileage_max: Annotated[int, Field(ge=0, le=2_000_000)] | None = None
    test_drive_fleet: bool | None = None
    sort: SortKey = SortKey.PRICE_ASC
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 20


class VehicleSearchPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SEARCH_PAGE_EXAMPLE]})

    items: list[VehicleOut]
    total: int
    page: int
    page_size: int
    pages: int
    sort: SortKey
    facets: dict[str, list[FacetValueOut]]


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: VehicleStatus


class VehiclePatch(BaseModel):
    """A partial hand edit of one vehicle; only the fields sent change. `offer_price: null` removes the offer,
    `colour: null` clears the colour."""

    model_config = ConfigDict(extra="forbid")

    offer_price: MoneyAmount | None = None
    mileage_km: Annotated[int, Field(ge=0, le=2_000_000)] | None = None
    colour: Annotated[str, Field(min_length=1, max_length=60)] | None = Field(
        None, description="A colour code of the vehicle's model"
    )
    photo_urls: Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]], Field(max_length=20)] | None = None
    is_test_drive_fleet: bool | None = None
    status: VehicleStatus | None = None
