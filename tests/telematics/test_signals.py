"""The telemetry contract: every refusal with its reason, every signal at both sides of its range."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecourt.telematics import signals
from forecourt.telematics.signals import Refusal, parse_message, telemetry_topic, vin_of_topic

VIN = "LVSHFFAL6JS123456"
TOPIC = telemetry_topic(VIN)
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def sample(seq: int = 1, ts: str = "2026-12-07T17:00:00+08:00", **signals_: object) -> dict:
    return {"seq": seq, "ts": ts, "signals": signals_ or {signals.SPEED: 42.5}}


def encode(body: object) -> bytes:
    return json.dumps(body).encode()


def only_refusal(body: bytes, topic: str = TOPIC) -> signals.Rejection:
    parsed = parse_message(topic, body, NOW)
    assert parsed.samples == ()
    assert len(parsed.rejections) == 1
    return parsed.rejections[0]


def test_one_sample_is_read_with_every_known_signal() -> None:
    body = sample(
        7,
        **{
            signals.ODOMETER: 15_234_567,
            signals.LATITUDE: 23.1291,
            signals.LONGITUDE: 113.2644,
            signals.SPEED: 61,
            signals.FUEL_LEVEL: 55.5,
            signals.STATE_OF_CHARGE: 80,
            signals.DTC_LIST: ["P0420", "P0301", "P0420"],
            signals.IGNITION: "ON",
            "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen": False,
        },
    )
    parsed = parse_message(TOPIC, encode(body), NOW)
    assert parsed.vin == VIN and parsed.rejections == ()
    (read,) = parsed.samples
    assert read.seq == 7
    assert read.ts == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert read.odometer_m == 15_234_567
    assert (read.latitude, read.longitude) == (23.1291, 113.2644)
    assert read.speed_kmh == 61.0 and read.fuel_pct == 55.5 and read.charge_pct == 80.0
    assert read.dtcs == ("P0301", "P0420")
    assert read.ignition_on is True
    assert read.signals["Vehicle.Cabin.Door.Row1.DriverSide.IsOpen"] is False  # unknown signals are kept


def test_a_batch_keeps_its_good_samples_and_refuses_each_bad_one_with_its_index() -> None:
    body = {"samples": [sample(1), {"seq": -1, "ts": "2026-12-07T17:00:00+08:00", "signals": {}}, sample(3)]}
    parsed = parse_message(TOPIC, encode(body), NOW)
    assert [s.seq for s in parsed.samples] == [1, 3]
    assert [(r.code, r.index) for r in parsed.rejections] == [(Refusal.BAD_SEQ, 1)]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xff\xfe not json", Refusal.NOT_JSON),
        (b"{", Refusal.NOT_JSON),
        (b'{"seq": 1, "ts": "2026-12-07T17:00:00+08:00", "signals": {"Vehicle.Speed": NaN}}', Refusal.NOT_FINITE),
        (b'{"seq": 1, "ts": "2026-12-07T17:00:00+08:00", "signals": {"Vehicle.Speed": -Infinity}}', Refusal.NOT_FINITE),
        (b"[1, 2]", Refusal.BAD_ENVELOPE),
        (b'"a string"', Refusal.BAD_ENVELOPE),
        (b'{"samples": []}', Refusal.BAD_ENVELOPE),
        (b'{"samples": {}}', Refusal.BAD_ENVELOPE),
        (b'{"samples": [], "extra": 1}', Refusal.BAD_ENVELOPE),
        (b"[" * 100_000 + b"]" * 100_000, Refusal.NOT_JSON),
    ],
)
def test_unusable_messages_are_refused_whole(payload: bytes, code: Refusal) -> None:
    assert only_refusal(payload).code == code


def test_the_body_may_not_name_another_vin() -> None:
    body = {**sample(), "vin": "LVSHFFAL6JS999999"}
    assert only_refusal(encode(body)).code == Refusal.VIN_MISMATCH
    assert parse_message(TOPIC, encode({**sample(), "vin": VIN}), NOW).samples  # its own VIN is fine


@pytest.mark.parametrize(
    "topic",
    [
        "forecourt/v1/vehicles/+/telemetry",
        "forecourt/v1/vehicles/LVSHFFAL6JS12345/telemetry",  # 16 characters
        "forecourt/v1/vehicles/LVSHFFAL6JS123456/other",
        "forecourt/v1/vehicles/LVSHFFAL6JS1234I6/telemetry",  # I is never in a VIN
        "forecourt/v1/vehicles/LVSHFFAL6JS123456/x/telemetry",
    ],
)
def test_only_a_telemetry_topic_of_one_vin_is_read(topic: str) -> None:
    assert vin_of_topic(topic) is None
    assert only_refusal(encode(sample()), topic).code == Refusal.BAD_TOPIC


def test_size_and_count_limits_sit_exactly_at_the_limit() -> None:
    padding = "x" * (signals.MAX_PAYLOAD_BYTES - len(encode({**sample(), "vin": ""})))
    at_limit = encode({**sample(), "vin": ""}).replace(b'"vin": ""', f'"vin": "{padding}"'.encode())
    assert len(at_limit) == signals.MAX_PAYLOAD_BYTES
    assert only_refusal(at_limit).code == Refusal.VIN_MISMATCH  # read, not refused for its size
    assert only_refusal(at_limit + b" ").code == Refusal.TOO_LARGE
    many = {"samples": [sample(n) for n in range(signals.MAX_SAMPLES)]}
    assert len(parse_message(TOPIC, encode(many), NOW).samples) == signals.MAX_SAMPLES
    many["samples"].append(sample(signals.MAX_SAMPLES))
    assert only_refusal(encode(many)).code == Refusal.TOO_MANY_SAMPLES


@pytest.mark.parametrize(
    ("seq", "accepted"),
    [(0, True), (2**63 - 1, True), (-1, False), (2**63, False), (1.0, False), (True, False), ("1", False)],
)
def test_seq_is_a_bigint_counter(seq: object, accepted: bool) -> None:
    parsed = parse_message(TOPIC, encode({"seq": seq, "ts": "2026-12-07T17:00:00+08:00", "signals": {}}), NOW)
    # empty signals are refused after the seq check: a good seq gets that far
    assert parsed.rejections[0].code == (Refusal.BAD_SIGNALS if accepted else Refusal.BAD_SEQ)


@pytest.mark.parametrize(
    ("ts", "code"),
    [
        ("2026-12-07T17:00:00", Refusal.BAD_TIMESTAMP),  # no offset
        ("2026-12-07", Refusal.BAD_TIMESTAMP),
        ("20261207T170000+0800", Refusal.BAD_TIMESTAMP),  # ISO basic format is not RFC 3339
        ("2026-02-30T10:00:00Z", Refusal.BAD_TIMESTAMP),
        ("1970-01-01T00:00:00Z", Refusal.BAD_TIMESTAMP),  # the clock was never set
        ("0001-01-01T00:00:00+14:00", Refusal.BAD_TIMESTAMP),
        ("9999-12-31T23:59:59-12:00", Refusal.BAD_TIMESTAMP),  # past year 9999 in UTC
        ("9999-12-31T23:59:59Z", Refusal.FUTURE_TIMESTAMP),
        (1733562000, Refusal.BAD_TIMESTAMP),
    ],
)
def test_timestamps_must_be_rfc3339_with_an_offset_and_plausible(ts: object, code: Refusal) -> None:
    assert only_refusal(encode(sample(ts=ts))).code == code  # type: ignore[arg-type]


def test_a_day_ahead_is_the_limit_of_a_cars_clock() -> None:
    day_ahead = NOW + timedelta(days=1)
    assert parse_message(TOPIC, encode(sample(ts=day_ahead.isoformat())), NOW).samples
    later = day_ahead + timedelta(microseconds=1000)
    assert only_refusal(encode(sample(ts=later.isoformat()))).code == Refusal.FUTURE_TIMESTAMP
    lower_case_z = parse_message(TOPIC, encode(sample(ts="2026-12-07t09:00:00.123456789z")), NOW)
    assert lower_case_z.samples[0].ts == datetime(2026, 12, 7, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        (signals.ODOMETER, [0, 4_294_967_295], [-1, 4_294_967_296, 12.5, "100", True]),
        (signals.SPEED, [-100, 0, 500], [-100.01, 500.01, "fast"]),
        (signals.FUEL_LEVEL, [0, 100], [-0.01, 100.01, [50]]),
        (signals.STATE_OF_CHARGE, [0, 100], [-1, 101]),
        (signals.IGNITION, ["LOCK", "OFF", "ACC", "ON", "START", "UNDEFINED"], ["on", "RUN", 1]),
        (signals.DTC_LIST, [[], ["P0301"], ["U3FFF", "C0035"]], [["P4301"], ["p0301"], ["P030"], "P0301", [1]]),
    ],
)
def test_each_signal_at_both_sides_of_its_range(name: str, good: list, bad: list) -> None:
    for value in good:
        assert parse_message(TOPIC, encode(sample(**{name: value})), NOW).samples, value
    for value in bad:
        assert only_refusal(encode(sample(**{name: value}))).code == Refusal.BAD_SIGNAL_VALUE, value


@pytest.mark.parametrize(
    ("lat", "lon", "ok"),
    [(90, 180, True), (-90, -180, True), (90.0001, 0, False), (0, -180.0001, False), (23.1, None, False)],
)
def test_a_position_needs_both_coordinates_in_range(lat: float, lon: float | None, ok: bool) -> None:
    position = {signals.LATITUDE: lat} | ({signals.LONGITUDE: lon} if lon is not None else {})
    parsed = parse_message(TOPIC, encode(sample(**position)), NOW)
    assert bool(parsed.samples) == ok
    if not ok:
        assert parsed.rejections[0].code == Refusal.BAD_SIGNAL_VALUE


@pytest.mark.parametrize("name", ["vehicle.speed", "Vehicle", "Vehicle..Speed", "Vehicle.Speed;DROP", "x" * 300])
def test_signal_names_must_be_vss_paths(name: str) -> None:
    assert only_refusal(encode(sample(**{name: 1}))).code == Refusal.BAD_SIGNALS


def test_samples_carry_only_seq_ts_and_signals() -> None:
    assert only_refusal(encode({**sample(), "speed": 3})).code == Refusal.BAD_ENVELOPE


@given(st.binary(max_size=600))
def test_no_bytes_make_the_parser_raise(payload: bytes) -> None:
    parsed = parse_message(TOPIC, payload, NOW)
    assert parsed.samples or parsed.rejections


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=30), children, max_size=4),
        max_leaves=30,
    )
)
def test_no_json_value_makes_the_parser_raise(body: object) -> None:
    parsed = parse_message(TOPIC, encode(body), NOW)
    assert parsed.samples or parsed.rejections


def _parsed_by_json_alone(payload: bytes, monkeypatch: pytest.MonkeyPatch) -> signals.ParsedMessage:
    with monkeypatch.context() as patch:
        patch.setattr(signals, "_FAST_MAX_BRACKETS", -1)  # no payload qualifies for orjson
        return parse_message(TOPIC, payload, NOW)


SAMPLE_PREFIX = b'{"seq": 1, "ts": "2026-12-07T17:00:00+08:00", "signals": {"Vehicle.Speed": 1, "Vehicle.Custom.X": '


@pytest.mark.parametrize(
    "value",
    [
        b"18446744073709551616",  # beyond 64 bits: orjson would read a float, json the exact integer
        b"-9223372036854775809",
        b"1e400",  # json reads infinity, orjson refuses
        b"NaN",
        b"-Infinity",
        b'"\\ud800"',  # a lone surrogate: json keeps it, orjson refuses
        b"[" * 100 + b"]" * 100,  # deeper than the orjson path takes
        b'"\xff"',
        b"1.5",
        b'{"a": [true, null]}',
    ],
)
def test_the_fast_decoder_never_changes_the_answer(value: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = SAMPLE_PREFIX + value + b"}}"
    assert parse_message(TOPIC, payload, NOW) == _parsed_by_json_alone(payload, monkeypatch)


def test_a_bom_or_utf16_body_is_read_as_json_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.dumps(sample())
    for payload in (b"\xef\xbb\xbf" + body.encode(), body.encode("utf-16")):
        assert parse_message(TOPIC, payload, NOW) == _parsed_by_json_alone(payload, monkeypatch)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=30), children, max_size=4),
        max_leaves=30,
    )
)
def test_the_fast_decoder_agrees_with_json_on_any_signal_value(value: object) -> None:
    payload = encode(sample(**{signals.SPEED: 1, "Vehicle.Custom.X": value}))
    with pytest.MonkeyPatch.context() as patch:
        expected = _parsed_by_json_alone(payload, patch)
    assert parse_message(TOPIC, payload, NOW) == expected
