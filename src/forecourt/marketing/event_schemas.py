"""API shapes of event ingestion, event imports and visitor consent (Pydantic v2)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

MAX_BATCH = 1000

EVENT_EXAMPLE = {
    "event_id": "5f0c2a4e-7d1b-4c8e-9a51-0b7f3c2d9e11",
    "type": "visit",
    "occurred_at": "2026-12-01T10:30:00+08:00",
    "visitor_id": "q1w2e3r4t5y6u7i8o9p0as",
    "utm_source": "baidu",
    "utm_medium": "cpc",
    "utm_campaign": "mondeo-q4",
    "referrer": "https://www.baidu.com/s?wd=mondeo",
    "model_code": "mondeo",
    "city": "guangzhou",
}


class EventsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"events": [EVENT_EXAMPLE]}]})

    events: list[Any] = Field(
        max_length=MAX_BATCH,
        description=(
            "Up to 1,000 event objects with the fields event_id (1-64 of A-Z a-z 0-9 . _ : -; your id, e.g. a "
            "UUID), type (impression, click, visit, vehicle_view, calculator_use, configurator_use, "
            "quote_request, contact), occurred_at (ISO 8601 with a UTC offset), visitor_id and/or user_id, and "
            "optionally channel, utm_source, utm_medium, utm_campaign, referrer, model_code, city, store_code, "
            "value (decimal yuan string). Each is checked on its own."
        ),
    )


class RejectedEventOut(BaseModel):
    index: int = Field(description="0-based position in `events`")
    event_id: str | None
    code: str = Field(description="invalid_event or consent_declined")
    field: str | None
    reason: str


class EventsReportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "accepted": 2,
                    "duplicates": 1,
                    "duplicate_event_ids": ["5f0c2a4e-7d1b-4c8e-9a51-0b7f3c2d9e11"],
                    "rejected": [
                        {
                            "index": 3,
                            "event_id": "e-4",
                            "code": "invalid_event",
                            "field": "occurred_at",
                            "reason": "occurred_at has no UTC offset; add one, e.g. +08:00 or Z",
                        }
                    ],
                }
            ]
        }
    )

    accepted: int = Field(description="Events stored by this request")
    duplicates: int = Field(description="Events whose id was stored before or repeated in the batch: not stored again")
    duplicate_event_ids: list[str]
    rejected: list[RejectedEventOut]


class ImportRejectionOut(BaseModel):
    line: int = Field(description="CSV: line in the file (header = 1); Parquet: 1-based row number")
    event_id: str | None
    code: str
    field: str | None
    reason: str


class EventImportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": 3,
                    "accepted": 1,
                    "duplicates": 1,
                    "rejected_count": 1,
                    "rejected": [
                        {
                            "line": 4,
                            "event_id": "e-3",
                            "code": "invalid_event",
                            "field": "type",
                            "reason": "order is a conversion the platform records itself; it cannot be sent",
                        }
                    ],
                }
            ]
        }
    )

    total: int
    accepted: int
    duplicates: int
    rejected_count: int
    rejected: list[ImportRejectionOut] = Field(description="The first 10,000 rejected rows")


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"granted": True}]})

    granted: StrictBool  # JSON true or false; 0, 1 or "yes" are refused, not guessed


class ConsentOut(BaseModel):
    visitor_id: str
    consent: str = Field(description="granted or declined")
    deleted_events: int = Field(description="Touch and engagement events deleted by a decline")
