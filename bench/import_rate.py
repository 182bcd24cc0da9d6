"""Inventory import rate: a generated CSV through the import use case, beside a raw driver executemany."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

from sqlalchemy import Engine, delete

from forecourt.catalog.demo import CatalogIds, ensure_catalog, generate_vehicle_rows
from forecourt.catalog.inventory_import import import_file
from forecourt.catalog.models import Vehicle
from forecourt.core.db import make_session_factory, transaction
from forecourt.core.money import to_minor_units

CSV_COLUMNS = [
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
IMPORT_SERIALS = 600_000  # far above the demo's serials, so imported VINs are new
RAW_SERIALS = 800_000


def _codes(ids: CatalogIds) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    return (
        {v: k for k, v in ids.trims.items()},
        {v: k[1] for k, v in ids.colours.items()},
        {v: k for k, v in ids.stores.items()},
    )


def build_csv(ids: CatalogIds, rows: int) -> bytes:
    trims, colours, stores = _codes(ids)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in generate_vehicle_rows(ids, rows, seed=11, serial_start=IMPORT_SERIALS):
        writer.writerow(
            [
                row["vin"],
                trims[row["trim_id"]],
                colours.get(row["colour_id"], ""),
                stores[row["store_id"]],
                row["model_year"],
                row["mileage_km"],
                row["list_price"],
                row["offer_price"] or "",
                row["status"],
                "true" if row["fleet_pool"] == "test_drive" else "false",
                "|".join(row["photo_urls"]),
                "|".join(row["option_codes"]),
            ]
        )
    return out.getvalue().encode()


def _raw_params(row: dict[str, Any], columns: list[str]) -> tuple[Any, ...]:
    converted = dict(row)
    for money in ("list_price", "offer_price", "price"):
        converted[money] = None if row[money] is None else to_minor_units(row[money])
    for blob in ("photo_urls", "option_codes"):
        converted[blob] = json.dumps(row[blob])
    return tuple(converted[c] for c in columns)


def raw_executemany_rate(engine: Engine, ids: CatalogIds, rows: int) -> float:
    """Rows/s of the bare driver inserting the same kind of rows, committed, with no validation at all."""
    generated = list(generate_vehicle_rows(ids, rows, seed=13, serial_start=RAW_SERIALS))
    columns = list(generated[0])
    marker = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = f"INSERT INTO vehicles ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    params = [_raw_params(r, columns) for r in generated]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN")
        cursor.executemany(sql, params)
        raw.commit() if engine.dialect.name != "sqlite" else cursor.execute("COMMIT")
        elapsed = time.perf_counter() - started
    finally:
        raw.close()
    vins = [r["vin"] for r in generated]
    with engine.begin() as connection:
        for start in range(0, len(vins), 900):
            connection.execute(delete(Vehicle).where(Vehicle.vin.in_(vins[start : start + 900])))
    return rows / elapsed


def measure_import(backend: str, engine: Engine, rows: int) -> list[str]:
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ids = ensure_catalog(session).ids
    data = build_csv(ids, rows)
    raw_rate = raw_executemany_rate(engine, ids, rows)
    rates = []
    for _ in range(2):  # first run creates, second is the idempotent re-import
        started = time.perf_counter()
        with transaction(factory) as session:
            result = import_file(session, data, "csv")
        rates.append(rows / (time.perf_counter() - started))
        assert not result.errors, result.errors[:3]
    return [backend, f"{rates[0]:,.0f}", f"{rates[1]:,.0f}", f"{raw_rate:,.0f}", f"{raw_rate / rates[0]:.1f}x"]
