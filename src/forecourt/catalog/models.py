"""Catalog tables: brands, models, trims, colours, options, cities, stores and VIN-level vehicles."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from forecourt.catalog.lifecycle import FleetPool, VehicleStatus
from forecourt.core.clock import utcnow
from forecourt.core.db import Base, Money, UTCDateTime


class BodyType(StrEnum):
    SEDAN = "sedan"
    HATCHBACK = "hatchback"
    SUV = "suv"
    MPV = "mpv"
    COUPE = "coupe"
    CONVERTIBLE = "convertible"
    PICKUP = "pickup"
    WAGON = "wagon"


class Powertrain(StrEnum):
    ICE = "ice"
    HYBRID = "hybrid"
    PHEV = "phev"
    BEV = "bev"


class StoreKind(StrEnum):
    DEALER = "dealer"
    SELF_SERVICE = "self_service"


def _enum_check(column: str, enum: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(80))

    models: Mapped[list[VehicleModel]] = relationship(back_populates="brand")


class VehicleModel(Base):
    __tablename__ = "vehicle_models"
    __table_args__ = (_enum_check("body_type", BodyType),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(80))
    body_type: Mapped[str] = mapped_column(String(20))
    description_en: Mapped[str] = mapped_column(String(500), default="")
    description_zh: Mapped[str] = mapped_column(String(500), default="")

    brand: Mapped[Brand] = relationship(back_populates="models")
    trims: Mapped[list[Trim]] = relationship(back_populates="model", order_by="Trim.msrp")
    colours: Mapped[list[Colour]] = relationship(back_populates="model", order_by="Colour.code")
    options: Mapped[list[Option]] = relationship(back_populates="model", order_by="Option.code")


class Trim(Base):
    __tablename__ = "trims"
    __table_args__ = (
        _enum_check("powertrain", Powertrain),
        CheckConstraint("seats BETWEEN 1 AND 12", name="seats_range"),
        CheckConstraint("msrp > 0", name="msrp_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("vehicle_models.id"), index=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))
    powertrain: Mapped[str] = mapped_column(String(10))
    engine: Mapped[str] = mapped_column(String(40), default="")
    transmission: Mapped[str] = mapped_column(String(40), default="")
    seats: Mapped[int] = mapped_column(Integer)
    # Litres per 100 km (WLTC/NEDC as published); one decimal is the published precision.
    fuel_consumption_l_100km: Mapped[Decimal | None] = mapped_column(Numeric(4, 1), nullable=True)
    electric_range_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    msrp: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")

    model: Mapped[VehicleModel] = relationship(back_populates="trims")


class Colour(Base):
    __tablename__ = "colours"
    __table_args__ = (UniqueConstraint("model_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("vehicle_models.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(80))
    hex: Mapped[str] = mapped_column(String(7))
    surcharge: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))

    model: Mapped[VehicleModel] = relationship(back_populates="colours")


class Option(Base):
    __tablename__ = "options"
    __table_args__ = (UniqueConstraint("model_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("vehicle_models.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))
    price: Mapped[Decimal] = mapped_column(Money)

    model: Mapped[VehicleModel] = relationship(back_populates="options")


class City(Base):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(80))
    province_en: Mapped[str] = mapped_column(String(80))
    province_zh: Mapped[str] = mapped_column(String(80))


class Store(Base):
    __tablename__ = "stores"
    __table_args__ = (
        _enum_check("kind", StoreKind),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    address_en: Mapped[str] = mapped_column(String(200))
    address_zh: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    phone: Mapped[str] = mapped_column(String(32), default="")
    # {"mon": [["09:00", "18:00"]], ..., "sun": []}: local times in the store's time zone.
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    city: Mapped[City] = relationship()


class Vehicle(Base):
    __tablename__ = "vehicles"
    __table_args__ = (
        _enum_check("status", VehicleStatus),
        _enum_check("fleet_pool", FleetPool),
        # A car serves the rental or subscription fleet exactly when its status says it is in service (not for sale).
        CheckConstraint(
            "(fleet_pool IN ('rental', 'subscription')) = (status = 'in_service')", name="pool_matches_status"
        ),
        CheckConstraint("mileage_km >= 0", name="mileage_non_negative"),
        CheckConstraint("list_price > 0", name="list_price_positive"),
        CheckConstraint("offer_price IS NULL OR offer_price > 0", name="offer_price_positive"),
        CheckConstraint("model_year BETWEEN 1980 AND 2100", name="model_year_range"),
        # Covers the facet query (GROUP BY these columns, optional price range) as an index-only scan.
        Index("ix_vehicles_facets", "trim_id", "colour_id", "store_id", "model_year", "status", "price"),
        Index("ix_vehicles_store_status", "store_id", "status"),
        # One index per sort order, so a page of the cheapest/newest/... stops after page_size rows.
        Index("ix_vehicles_price", "price"),
        Index("ix_vehicles_year_price", "model_year", "price"),
        Index("ix_vehicles_mileage_price", "mileage_km", "price"),
        Index("ix_vehicles_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vin: Mapped[str] = mapped_column(String(17), unique=True)
    trim_id: Mapped[int] = mapped_column(ForeignKey("trims.id"))
    colour_id: Mapped[int | None] = mapped_column(ForeignKey("colours.id"), nullable=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    model_year: Mapped[int] = mapped_column(Integer)
    mileage_km: Mapped[int] = mapped_column(Integer, default=0)
    list_price: Mapped[Decimal] = mapped_column(Money)
    offer_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    # The price a shopper pays: offer_price when there is one, else list_price. Kept in step by the
    # service so price filters and sorting use one indexed column.
    price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(20), default=VehicleStatus.AVAILABLE.value)
    fleet_pool: Mapped[str] = mapped_column(String(16), default=FleetPool.SALE.value)
    photo_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    option_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trim: Mapped[Trim] = relationship()
    colour: Mapped[Colour | None] = relationship()
    store: Mapped[Store] = relationship()

    @property
    def model(self) -> VehicleModel:
        return self.trim.model

    @hybrid_property
    def is_test_drive_fleet(self) -> bool:
        """In the test-drive pool: the flag inventory files, the edit form and the search filter speak of."""
        return self.fleet_pool == FleetPool.TEST_DRIVE.value

    @is_test_drive_fleet.inplace.setter
    def _set_test_drive_fleet(self, flagged: bool) -> None:
        # Only between for-sale and test-drive: the mobility fleets are left by a fleet-pool move, which also moves
        # the car's status (mobility.pools); an inventory file or the edit form cannot take a car out of them.
        if self.fleet_pool in (FleetPool.RENTAL.value, FleetPool.SUBSCRIPTION.value):
            if flagged:
                raise ValueError(f"the car is in the {self.fleet_pool} fleet; move it on the fleet page")
            return
        self.fleet_pool = (FleetPool.TEST_DRIVE if flagged else FleetPool.SALE).value

    @is_test_drive_fleet.inplace.expression
    @classmethod
    def _test_drive_fleet_expression(cls) -> ColumnElement[bool]:
        return cls.fleet_pool == FleetPool.TEST_DRIVE.value
