"""Inventory import files for the catalog tests: a good row by number, rows to CSV, the stored car by VIN."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.catalog.models import Vehicle
from forecourt.catalog.vin import build_vin

COLUMNS = [
    "vin",
    "trim",
    "colour",
    "store",
    "model_year",
    "mileage_km",
    "list_price",
    "offer_price",
    "status",
    "test_drive_fleet",
    "photo_urls",
    "options",
]


def vin(n: int, year: int = 2018) -> str:
    return build_vin("LVS", "HCAMB", year, "Z", 900_000 + n)


def row(n: int, **overrides: str) -> dict[str, str]:
    values = {
        "vin": vin(n),
        "trim": "mondeo-ecoboost180",
        "colour": "oxford-white",
        "store": "gz-tianhe",
        "model_year": "2018",
        "mileage_km": "0",
        "list_price": "179800.00",
        "offer_price": "",
        "status": "",
        "test_drive_fleet": "",
        "photo_urls": "",
        "options": "",
    }
    values.update(overrides)
    return values


def to_csv(rows: list[dict[str, str]], columns: list[str] = COLUMNS, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def stored(session: Session, vin_: str) -> Vehicle | None:
    return session.scalars(
        select(Vehicle).where(Vehicle.vin == vin_).execution_options(populate_existing=True)
    ).one_or_none()
