"""API shapes of recall campaigns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from forecourt.ownership.recalls.targeting import TargetKind

_STRICT = ConfigDict(extra="forbid")
VinText = Field(min_length=17, max_length=17, pattern=r"^[A-Za-z0-9]+$")


class CampaignIn(BaseModel):
    model_config = _STRICT
    code: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    title_en: str = Field(min_length=1, max_length=200)
    title_zh: str = Field(min_length=1, max_length=200)
    remedy_en: str = Field("", max_length=2000)
    remedy_zh: str = Field("", max_length=2000)
    target: TargetKind = Field(description="vins (a list), vin_range (two ends) or model_year (model and years)")
    vins: list[str] = Field(default_factory=list, max_length=10_000)
    vin_from: str | None = Field(None, min_length=17, max_length=17)
    vin_to: str | None = Field(None, min_length=17, max_length=17)
    model: str | None = Field(None, min_length=1, max_length=40)
    year_from: int | None = Field(None, ge=1990, le=2100)
    year_to: int | None = Field(None, ge=1990, le=2100)


class CampaignOut(BaseModel):
    code: str
    title_en: str
    title_zh: str
    target: str
    reached: int
    fixed: int
    created_at: datetime
