"""The published JSON Schema and the parser agree on what a car may send."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema_rs
import pytest

from forecourt.telematics import signals
from forecourt.telematics.signals import parse_message, telemetry_topic

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "telematics-contract.schema.json").read_text())
VALIDATOR = jsonschema_rs.Draft202012Validator(SCHEMA)
TOPIC = telemetry_topic("LVSHFFAL6JS123456")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TS = "2026-12-07T17:00:00+08:00"

BODIES = [
    {"seq": 1, "ts": TS, "signals": {signals.SPEED: 50}},
    {
        "seq": 1,
        "ts": TS,
        "signals": {signals.ODOMETER: 100, signals.IGNITION: "ON", "Vehicle.Body.Horn.IsActive": True},
    },
    {"samples": [{"seq": 1, "ts": TS, "signals": {signals.FUEL_LEVEL: 100}}], "vin": "LVSHFFAL6JS123456"},
    {"seq": 1, "ts": TS, "signals": {signals.LATITUDE: 23.1, signals.LONGITUDE: 113.2}},
    {"seq": 1, "ts": TS, "signals": {signals.DTC_LIST: ["P0301", "U0100"]}},
    # refused
    {"seq": -1, "ts": TS, "signals": {signals.SPEED: 50}},
    {"seq": 1, "ts": "2026-12-07T17:00:00", "signals": {signals.SPEED: 50}},
    {"seq": 1, "ts": TS, "signals": {}},
    {"seq": 1, "ts": TS, "signals": {"speed": 5}},
    {"seq": 1, "ts": TS, "signals": {signals.LATITUDE: 23.1}},
    {"seq": 1, "ts": TS, "signals": {signals.LATITUDE: 91, signals.LONGITUDE: 0}},
    {"seq": 1, "ts": TS, "signals": {signals.ODOMETER: 12.5}},
    {"seq": 1, "ts": TS, "signals": {signals.DTC_LIST: ["P4301"]}},
    {"seq": 1, "ts": TS, "signals": {signals.IGNITION: "RUN"}},
    {"seq": 1, "ts": TS, "signals": {signals.SPEED: 50}, "extra": 1},
    {"samples": []},
    {"samples": [{"seq": 1, "ts": TS, "signals": {signals.SPEED: 1}}], "seq": 2},
]


@pytest.mark.parametrize("body", BODIES, ids=lambda body: json.dumps(body)[:70])
def test_schema_and_parser_agree(body: dict) -> None:
    parsed = parse_message(TOPIC, json.dumps(body).encode(), NOW)
    accepted = bool(parsed.samples) and not parsed.rejections
    assert VALIDATOR.is_valid(body) is accepted
