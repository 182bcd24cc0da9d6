"""API shapes of service schedules and service status."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class ScheduleImportOut(BaseModel):
    rows: int


class NoticeOut(BaseModel):
    code: str
    title_en: str
    title_zh: str
    notified_at: datetime


class ServiceStatusOut(BaseModel):
    vin: str
    due_on: date
    due_by: str  # date or distance: which comes first
    due_km: int
    due_day: date
    km_reached_on: date | None
    km_day_hidden_because: str | None
    latest_km: int
    first_service: bool
    stage: str  # none, notice, soon, due
    open_recalls: list[NoticeOut]
