"""API shapes of the telematics context (Pydantic v2)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class FaultCodeOut(BaseModel):
    code: str = Field(description="SAE J2012 code, e.g. P0301")
    description_en: str
    description_zh: str
    severe: bool = Field(description="A safety system, overheating, misfire or lost engine communication")
    opened_at: datetime = Field(description="The first sample that reported it")
    closed_at: datetime | None = Field(description="The first sample that no longer did; null while active")


class LatestOut(BaseModel):
    vin: str
    reported: bool = Field(description="False while the car has sent nothing yet; the fields below are then null")
    ts: datetime | None = Field(None, description="When the car measured its newest sample")
    seq: int | None = None
    odometer_m: int | None = Field(None, description="Vehicle.TraveledDistance, metres")
    latitude: float | None = None
    longitude: float | None = None
    position_at: datetime | None = Field(None, description="When the position was measured (it may be older)")
    speed_kmh: float | None = None
    fuel_pct: float | None = None
    charge_pct: float | None = None
    ignition: str | None = Field(None, description="Vehicle.LowVoltageSystemState: ON or START mean it can drive")
    open_fault_codes: list[FaultCodeOut]


class SampleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    ts: datetime
    received_at: datetime
    odometer_m: int | None
    latitude: float | None
    longitude: float | None
    speed_kmh: float | None
    fuel_pct: float | None
    charge_pct: float | None
    ignition: str | None
    dtcs: list[str] | None
    signals: dict[str, object] = Field(description="Every signal as the car sent it, unknown ones included")


class SamplesPage(BaseModel):
    items: list[SampleOut]
    total: int = Field(description="Samples in the window")
    page: int
    page_size: int
    pages: int
    window_from: datetime
    window_to: datetime


class TripOut(BaseModel):
    started_at: datetime
    ended_at: datetime
    samples: int
    distance_m: float = Field(description="The odometer's distance, or the GPS track's where the car sent no odometer")
    odometer_distance_m: int | None
    gps_distance_m: float
    gps_agrees: bool | None = Field(description="Whether the GPS track confirms the odometer (within 10 % or 200 m)")
    max_speed_kmh: float | None
    start: tuple[float, float] | None = Field(description="(latitude, longitude) of the first fix")
    end: tuple[float, float] | None


class TripsOut(BaseModel):
    vin: str
    window_from: datetime
    window_to: datetime
    trips: list[TripOut]


class AlertsOut(BaseModel):
    vin: str
    fault_codes: list[FaultCodeOut] = Field(description="Every fault-code interval, newest first")
