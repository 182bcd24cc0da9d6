"""The telemetry contract: what a car may publish, parsed and checked without trusting a byte of it.

A car publishes to `forecourt/v1/vehicles/{VIN}/telemetry` (QoS 1) a JSON body that is one sample or
`{"samples": [...]}` (store-and-forward after a tunnel or a car park). A sample is
`{"seq": <the car's message counter>, "ts": "<RFC 3339 with offset>", "signals": {...}}` with signal names from
COVESA VSS 6.0 (`docs/telematics-contract.schema.json` is the same contract as a JSON Schema).

Parsing never raises on bad input: a message whose envelope is unusable is refused whole with a reason, and a
batch keeps its good samples while each bad one is refused with its index, so nothing a car sent is silently
lost — the ingest worker stores refusals as dead letters.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

TOPIC_PREFIX = "forecourt/v1/vehicles/"
TOPIC_SUFFIX = "/telemetry"
MAX_PAYLOAD_BYTES = 256 * 1024  # a day of store-and-forward at one sample a minute is ~150 KiB
MAX_SAMPLES = 2000
MAX_SIGNALS = 200
MAX_FUTURE = timedelta(days=1)  # a car's clock may run ahead; more than a day ahead is a broken clock
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # cars report 1970 or 2000 before their clock is set
MAX_SEQ = 2**63 - 1  # a BIGINT

ODOMETER = "Vehicle.TraveledDistance"  # VSS 6.0: unsigned integer, metres (before 6.0 a float in km)
LATITUDE = "Vehicle.CurrentLocation.Latitude"
LONGITUDE = "Vehicle.CurrentLocation.Longitude"
SPEED = "Vehicle.Speed"  # km/h
FUEL_LEVEL = "Vehicle.Powertrain.FuelSystem.RelativeLevel"  # percent
STATE_OF_CHARGE = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"  # percent
DTC_LIST = "Vehicle.Diagnostics.DTCList"  # SAE J2012 codes (Vehicle.OBD.DTCList was removed in VSS 6.0)
# Ignition: VSS's supply-voltage state of the control units. ON (ignition on, electric drive released) and START
# (starter engaged) mean the car can drive; LOCK, OFF and ACC mean it cannot.
IGNITION = "Vehicle.LowVoltageSystemState"
IGNITION_STATES = frozenset({"UNDEFINED", "LOCK", "OFF", "ACC", "ON", "START"})
IGNITION_ON = frozenset({"ON", "START"})

_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_DTC = re.compile(r"[PCBU][0-3][0-9A-F]{3}")
_SIGNAL_NAME = re.compile(r"Vehicle(\.[A-Za-z0-9_]{1,64}){1,12}")
# Names that already passed `_SIGNAL_NAME`: a fleet sends the same few dozen names in every sample, and a set
# lookup costs a fraction of a regular expression match. Bounded, so a car inventing names cannot grow it forever.
_VALID_NAMES: set[str] = set()
_VALID_NAMES_MAX = 4096
# orjson decodes a sample several times faster than the standard library, but it is not the reference: it refuses
# NaN and Infinity without saying which, reads integers beyond 64 bits as floats, and nests deeper than `json`
# allows. So it only decodes payloads that cannot meet those differences (few brackets, no 19-digit number), and
# anything it refuses is decoded again by `json`, whose answer (or reason for refusing) stands.
_FAST_MAX_BRACKETS = 64
_LONG_NUMBER = b"0" * 19
# One pass in C instead of a regular expression (five times slower): digits become 0, brackets {, the rest blank.
_SHAPE = bytes(48 if 48 <= byte <= 57 else 123 if byte in b"{[" else 32 for byte in range(256))


class Refusal(StrEnum):
    """Why a message or a sample was refused: the dead letter's stable code."""

    TOO_LARGE = "too_large"
    BAD_TOPIC = "bad_topic"
    NOT_JSON = "not_json"
    NOT_FINITE = "not_finite"
    BAD_ENVELOPE = "bad_envelope"
    VIN_MISMATCH = "vin_mismatch"
    TOO_MANY_SAMPLES = "too_many_samples"
    BAD_SEQ = "bad_seq"
    BAD_TIMESTAMP = "bad_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"
    BAD_SIGNALS = "bad_signals"
    BAD_SIGNAL_VALUE = "bad_signal_value"
    UNKNOWN_VEHICLE = "unknown_vehicle"  # decided by the ingest service, which knows the fleet


@dataclass(frozen=True)
class Rejection:
    code: Refusal
    detail: str
    index: int | None = None  # the sample's position in a batch; None for the whole message


@dataclass(frozen=True)
class Sample:
    seq: int
    ts: datetime  # UTC
    signals: Mapping[str, Any]  # every signal as received, unknown ones included
    odometer_m: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    speed_kmh: float | None = None
    fuel_pct: float | None = None
    charge_pct: float | None = None
    dtcs: tuple[str, ...] | None = None  # None: not reported; (): reported, none active
    ignition: str | None = None

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def ignition_on(self) -> bool | None:
        return None if self.ignition is None else self.ignition in IGNITION_ON


@dataclass(frozen=True)
class ParsedMessage:
    vin: str | None  # None when the topic itself was unusable
    samples: tuple[Sample, ...] = ()
    rejections: tuple[Rejection, ...] = field(default_factory=tuple)


class _Invalid(ValueError):
    def __init__(self, code: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def vin_of_topic(topic: str) -> str | None:
    """The VIN a telemetry topic names, or None if the topic is not a telemetry topic of one VIN."""
    if not (topic.startswith(TOPIC_PREFIX) and topic.endswith(TOPIC_SUFFIX)):
        return None
    vin = topic[len(TOPIC_PREFIX) : -len(TOPIC_SUFFIX)]
    return vin if _VIN.fullmatch(vin) else None


def telemetry_topic(vin: str) -> str:
    return f"{TOPIC_PREFIX}{vin}{TOPIC_SUFFIX}"


def parse_message(topic: str, payload: bytes, received_at: datetime) -> ParsedMessage:
    """Check one MQTT message: its topic, size, JSON, envelope, and each sample on its own."""
    vin = vin_of_topic(topic)
    if vin is None:
        return _refused(None, Refusal.BAD_TOPIC, f"not a telemetry topic of one VIN: {topic[:120]!r}")
    if len(payload) > MAX_PAYLOAD_BYTES:
        return _refused(vin, Refusal.TOO_LARGE, f"{len(payload)} bytes; at most {MAX_PAYLOAD_BYTES} per message")
    try:
        body = _decode(payload)
    except _Invalid as exc:
        return _refused(vin, exc.code, exc.detail)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return _refused(vin, Refusal.NOT_JSON, f"not UTF-8 JSON: {str(exc)[:200]}")
    if not isinstance(body, dict):
        return _refused(vin, Refusal.BAD_ENVELOPE, "the body must be a JSON object")
    if "vin" in body and body["vin"] != vin:
        return _refused(vin, Refusal.VIN_MISMATCH, "the body names another VIN than the topic")
    raw_samples = _raw_samples(body)
    if isinstance(raw_samples, Rejection):
        return ParsedMessage(vin, (), (raw_samples,))
    samples, rejections = [], []
    for index, raw in enumerate(raw_samples):
        try:
            samples.append(parse_sample(raw, received_at))
        except _Invalid as exc:
            rejections.append(Rejection(exc.code, exc.detail, index if "samples" in body else None))
    return ParsedMessage(vin, tuple(samples), tuple(rejections))


def _decode(payload: bytes) -> Any:
    shape = payload.translate(_SHAPE)
    if shape.count(b"{") <= _FAST_MAX_BRACKETS and _LONG_NUMBER not in shape:
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            pass
    return json.loads(payload, parse_constant=_refuse_constant)


def _refused(vin: str | None, code: Refusal, detail: str) -> ParsedMessage:
    return ParsedMessage(vin, (), (Rejection(code, detail),))


def _refuse_constant(name: str) -> None:
    raise _Invalid(Refusal.NOT_FINITE, f"{name} is not a number JSON allows")


def _raw_samples(body: dict[str, Any]) -> Sequence[Any] | Rejection:
    if "samples" not in body:
        return [body]
    extra = set(body) - {"samples", "vin"}
    if extra:
        return Rejection(Refusal.BAD_ENVELOPE, f"a batch holds only 'samples' (and 'vin'), not {sorted(extra)}")
    samples = body["samples"]
    if not isinstance(samples, list) or not samples:
        return Rejection(Refusal.BAD_ENVELOPE, "'samples' must be a non-empty list")
    if len(samples) > MAX_SAMPLES:
        return Rejection(Refusal.TOO_MANY_SAMPLES, f"{len(samples)} samples; at most {MAX_SAMPLES} per message")
    return samples


_SAMPLE_KEYS = frozenset({"seq", "ts", "signals", "vin"})


def parse_sample(raw: Any, received_at: datetime) -> Sample:
    """One sample, or `_Invalid` with the reason."""
    if not isinstance(raw, dict):
        raise _Invalid(Refusal.BAD_ENVELOPE, "a sample must be a JSON object")
    if not raw.keys() <= _SAMPLE_KEYS:
        extra = set(raw) - _SAMPLE_KEYS
        raise _Invalid(Refusal.BAD_ENVELOPE, f"a sample holds seq, ts and signals, not {sorted(extra)}")
    seq = raw.get("seq")
    if not _is_int(seq) or not 0 <= seq <= MAX_SEQ:
        raise _Invalid(Refusal.BAD_SEQ, "seq must be a whole number from 0 to 2^63-1 (the car's message counter)")
    ts = parse_timestamp(raw.get("ts"), received_at)
    signals = raw.get("signals")
    if not isinstance(signals, dict) or not signals:
        raise _Invalid(Refusal.BAD_SIGNALS, "signals must be a non-empty object of VSS signal names")
    if len(signals) > MAX_SIGNALS:
        raise _Invalid(Refusal.BAD_SIGNALS, f"{len(signals)} signals; at most {MAX_SIGNALS} per sample")
    for name in signals:
        if name not in _VALID_NAMES:
            if not _SIGNAL_NAME.fullmatch(name):
                raise _Invalid(Refusal.BAD_SIGNALS, f"{name[:80]!r} is not a VSS signal name (Vehicle.…)")
            if len(_VALID_NAMES) < _VALID_NAMES_MAX:
                _VALID_NAMES.add(name)
    return _interpret(seq, ts, signals)


def parse_timestamp(value: Any, received_at: datetime) -> datetime:
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise _Invalid(Refusal.BAD_TIMESTAMP, "ts must be RFC 3339 with an offset, e.g. 2026-12-07T09:30:00+08:00")
    try:
        ts = datetime.fromisoformat(value.upper().replace(" ", "T")).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _Invalid(Refusal.BAD_TIMESTAMP, f"ts is not a real time: {exc}") from exc
    if ts < EARLIEST:
        raise _Invalid(Refusal.BAD_TIMESTAMP, "ts is before 2000-01-01: the car's clock is not set")
    if ts > received_at + MAX_FUTURE:
        raise _Invalid(Refusal.FUTURE_TIMESTAMP, "ts is more than a day ahead of the server's clock")
    return ts


def _interpret(seq: int, ts: datetime, signals: dict[str, Any]) -> Sample:
    latitude = _number(signals, LATITUDE, -90, 90)
    longitude = _number(signals, LONGITUDE, -180, 180)
    if (latitude is None) != (longitude is None):
        raise _Invalid(Refusal.BAD_SIGNAL_VALUE, "a position needs both latitude and longitude")
    odometer = signals.get(ODOMETER)
    if odometer is not None and (not _is_int(odometer) or not 0 <= odometer <= 4_294_967_295):
        raise _Invalid(Refusal.BAD_SIGNAL_VALUE, f"{ODOMETER} must be whole metres (VSS 6.0 uint32)")
    ignition = signals.get(IGNITION)
    if ignition is not None and ignition not in IGNITION_STATES:
        raise _Invalid(Refusal.BAD_SIGNAL_VALUE, f"{IGNITION} must be one of {sorted(IGNITION_STATES)}")
    return Sample(
        seq=seq,
        ts=ts,
        signals=signals,
        odometer_m=odometer,
        latitude=latitude,
        longitude=longitude,
        speed_kmh=_number(signals, SPEED, -100, 500),
        fuel_pct=_number(signals, FUEL_LEVEL, 0, 100),
        charge_pct=_number(signals, STATE_OF_CHARGE, 0, 100),
        dtcs=_dtcs(signals),
        ignition=ignition,
    )


def _number(signals: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    value = signals.get(name)
    if value is None:
        return None
    if (type(value) is float or type(value) is int) and low <= value <= high:  # the usual case; NaN is never in range
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Invalid(Refusal.BAD_SIGNAL_VALUE, f"{name} must be a number")
    if not low <= value <= high:
        raise _Invalid(Refusal.BAD_SIGNAL_VALUE, f"{name} must be from {low} to {high}")
    return float(value)


def _dtcs(signals: Mapping[str, Any]) -> tuple[str, ...] | None:
    value = signals.get(DTC_LIST)
    if value is None:
        return None
    if value == []:  # what a healthy car sends in nearly every sample
        return ()
    if not isinstance(value, list) or len(value) > 64 or not all(isinstance(code, str) for code in value):
        raise _Invalid(Refusal.BAD_SIGNAL_VALUE, f"{DTC_LIST} must be a list of at most 64 codes")
    bad = [code[:8] for code in value if not _DTC.fullmatch(code)]
    if bad:
        raise _Invalid(Refusal.BAD_SIGNAL_VALUE, f"not SAE J2012 codes (e.g. P0301): {bad[:3]}")
    return tuple(sorted(set(value)))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
