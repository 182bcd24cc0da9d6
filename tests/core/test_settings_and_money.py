"""Settings validation, exact money arithmetic, and the portable Money / UTCDateTime column types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from forecourt.catalog.models import Trim, Vehicle
from forecourt.core.crypto import Keyring
from forecourt.core.db import Money, UTCDateTime
from forecourt.core.money import (
    MoneyError,
    from_minor_units,
    parse_amount,
    quantum,
    round_money,
    to_minor_units,
)
from forecourt.core.settings import DEFAULT_SECRET_KEY, Settings
from tests.factories import make_small_catalog, make_vehicle

STRONG_SECRET = "k" * 48


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No FORECOURT_* variables and no .env file leak in from the developer's machine."""
    import os

    for name in list(os.environ):
        if name.startswith("FORECOURT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


# --- Settings --------------------------------------------------------------------------------------------


def test_defaults_are_for_development(clean_env):
    s = Settings()
    assert s.environment == "development"
    assert s.secret_key.get_secret_value() == DEFAULT_SECRET_KEY
    assert s.is_sqlite and s.time_zone == "Asia/Shanghai" and s.currency == "CNY"


def test_production_refuses_default_secret(clean_env):
    with pytest.raises(ValidationError) as info:
        Settings(environment="production")
    message = str(info.value)
    assert "FORECOURT_SECRET_KEY must be set" in message and "production" in message


def test_production_refuses_short_secret(clean_env):
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(environment="production", secret_key="s" * 31)
    keys = Keyring.generate_key_text("k1")
    assert (
        Settings(environment="production", secret_key="s" * 32, field_encryption_keys=keys).environment == "production"
    )


def test_production_refuses_to_derive_the_data_key(clean_env):
    with pytest.raises(ValidationError, match="FORECOURT_FIELD_ENCRYPTION_KEYS"):
        Settings(environment="production", secret_key="s" * 32)


def test_secret_is_not_shown(clean_env):
    s = Settings(secret_key=STRONG_SECRET)
    assert STRONG_SECRET not in repr(s) and STRONG_SECRET not in str(s.model_dump())


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "Asia/Shanghai/"])
def test_unknown_time_zone_refused(clean_env, zone):
    with pytest.raises(ValidationError, match="unknown IANA time zone"):
        Settings(time_zone=zone)


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "Asia/Hong_Kong"])
def test_known_time_zones_accepted(clean_env, zone):
    assert Settings(time_zone=zone).time_zone == zone


def test_environment_variables_with_prefix(clean_env):
    clean_env.setenv("FORECOURT_ENVIRONMENT", "production")
    clean_env.setenv("FORECOURT_SECRET_KEY", STRONG_SECRET)
    clean_env.setenv("FORECOURT_TIME_ZONE", "Europe/London")
    clean_env.setenv("FORECOURT_PORT", "9001")
    clean_env.setenv("FORECOURT_FIELD_ENCRYPTION_KEYS", Keyring.generate_key_text("k1"))
    clean_env.setenv("TIME_ZONE", "Mars/Olympus_Mons")  # no prefix: ignored
    s = Settings()
    assert (s.environment, s.time_zone, s.port) == ("production", "Europe/London", 9001)
    assert s.secret_key.get_secret_value() == STRONG_SECRET


def test_environment_variable_is_validated(clean_env):
    clean_env.setenv("FORECOURT_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="FORECOURT_SECRET_KEY must be set"):
        Settings()
    clean_env.setenv("FORECOURT_ENVIRONMENT", "staging")
    with pytest.raises(ValidationError, match="environment"):
        Settings()


def test_dotenv_file_is_read(clean_env, tmp_path):
    (tmp_path / ".env").write_text("FORECOURT_TIME_ZONE=UTC\nFORECOURT_DEFAULT_LANGUAGE=en\n", encoding="utf-8")
    s = Settings()
    assert (s.time_zone, s.default_language) == ("UTC", "en")


# --- money -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("0.025", "0.03"),
        ("-0.005", "-0.01"),
        ("2.675", "2.68"),
        ("-2.675", "-2.68"),
        ("0.004", "0.00"),
        ("1.9999", "2.00"),
        ("1", "1.00"),
        ("1234567.895", "1234567.90"),
    ],
)
def test_round_money_half_up(amount, expected):
    result = round_money(Decimal(amount))
    assert result == Decimal(expected) and str(result) == expected


def test_float_constructed_decimal_shows_why_strings_matter():
    assert round_money(Decimal(2.675)) == Decimal("2.67")  # the float is 2.67499999...
    assert round_money(Decimal("2.675")) == Decimal("2.68")


def test_unsupported_currency():
    assert quantum("USD") == Decimal("0.01")
    with pytest.raises(MoneyError, match="unsupported currency 'EUR'"):
        round_money(Decimal("1"), "EUR")


@pytest.mark.parametrize(
    ("text_value", "expected"),
    [
        ("1,234.50", "1234.50"),
        ("1234.5", "1234.50"),
        (" 42 ", "42.00"),
        ("0", "0.00"),
        ("1.500", "1.50"),
        (7, "7.00"),
        (Decimal("9.99"), "9.99"),
        ("-3.10", "-3.10"),
        ("1e3", "1000.00"),
    ],
)
def test_parse_amount_accepts(text_value, expected):
    result = parse_amount(text_value)
    assert result == Decimal(expected) and str(result) == expected


@pytest.mark.parametrize(
    ("text_value", "fragment"),
    [
        ("1.005", "more decimal places"),
        ("2.675", "more decimal places"),
        ("0.001", "more decimal places"),
        ("NaN", "not a finite"),
        ("nan", "not a finite"),
        ("inf", "not a finite"),
        ("-Infinity", "not a finite"),
        ("sNaN", "not a finite"),
        ("abc", "not a number"),
        ("", "not a number"),
        ("12.3.4", "not a number"),
        ("¥100", "not a number"),
    ],
)
def test_parse_amount_refuses(text_value, fragment):
    with pytest.raises(MoneyError, match=fragment):
        parse_amount(text_value)


@pytest.mark.parametrize("text_value", ["12,34", "1,5", "1,23,4.00"])
def test_parse_amount_refuses_misplaced_grouping(text_value):
    with pytest.raises(MoneyError):
        parse_amount(text_value)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_minor_units_round_trip_from_int(units):
    amount = from_minor_units(units)
    assert amount.as_tuple().exponent == -2
    assert to_minor_units(amount) == units


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_minor_units_round_trip_from_decimal(amount):
    assert from_minor_units(to_minor_units(amount)) == amount
    assert round_money(amount) == amount


@pytest.mark.parametrize("amount", ["0.001", "1.005", "-0.009"])
def test_to_minor_units_refuses_fractions_of_a_cent(amount):
    with pytest.raises(MoneyError, match="not a whole number of minor units"):
        to_minor_units(Decimal(amount))


# --- column types on both backends ------------------------------------------------------------------------


def test_money_type_refuses_float_directly():
    with pytest.raises(TypeError, match="money must be a Decimal, got float"):
        Money().process_bind_param(1.5, None)
    with pytest.raises(TypeError, match="got int"):
        Money().process_bind_param(15, None)
    assert Money().process_bind_param(None, None) is None


def _trim(session, msrp) -> Trim:
    cat = make_small_catalog(session)
    model = cat["models"][0]
    trim = Trim(model=model, code="mondeo-test", name_en="Test", name_zh="测试", powertrain="ice", seats=5, msrp=msrp)
    session.add(trim)
    return trim


def test_money_column_refuses_float(db_session):
    _trim(db_session, 1234567.89)
    with pytest.raises(StatementError) as info:
        db_session.flush()
    assert isinstance(info.value.orig, TypeError)
    db_session.rollback()


def test_money_column_refuses_sub_cent(db_session):
    _trim(db_session, Decimal("1.005"))
    with pytest.raises(StatementError) as info:
        db_session.flush()
    assert isinstance(info.value.orig, MoneyError)
    db_session.rollback()


@pytest.mark.parametrize("msrp", ["1234567.89", "0.01", "99999999999.99", "100"])
def test_money_column_round_trips_exactly(db_session, msrp):
    trim = _trim(db_session, Decimal(msrp))
    db_session.commit()
    stored = db_session.execute(text("SELECT msrp FROM trims WHERE id = :id"), {"id": trim.id}).scalar_one()
    assert stored == to_minor_units(Decimal(msrp))  # integer minor units, no float in between
    db_session.expire_all()
    loaded = db_session.scalars(select(Trim).where(Trim.code == "mondeo-test")).one().msrp
    assert isinstance(loaded, Decimal) and loaded == Decimal(msrp) and loaded.as_tuple().exponent == -2


def test_utc_datetime_type_refuses_naive_directly():
    with pytest.raises(ValueError, match="naive datetime refused"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1, 12, 0), None)


def test_utc_datetime_column_refuses_naive(db_session):
    cat = make_small_catalog(db_session)
    vehicle = make_vehicle(db_session, cat["trims"]["kuga-ecoboost245"], cat["stores"]["gz-tianhe"])
    vehicle.status_changed_at = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(StatementError) as info:
        db_session.flush()
    assert isinstance(info.value.orig, ValueError)
    db_session.rollback()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2026, 7, 4, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    ],
)
def test_utc_datetime_column_returns_aware_utc(db_session, moment):
    cat = make_small_catalog(db_session)
    vehicle = make_vehicle(db_session, cat["trims"]["kuga-ecoboost245"], cat["stores"]["gz-tianhe"])
    vehicle.status_changed_at = moment
    db_session.commit()
    db_session.expire_all()
    loaded = db_session.scalars(select(Vehicle).where(Vehicle.vin == vehicle.vin)).one()
    assert loaded.status_changed_at == moment
    assert loaded.status_changed_at.utcoffset() == timedelta(0)
    assert loaded.status_changed_at.tzinfo is UTC or loaded.status_changed_at.tzname() == "UTC"
    assert loaded.created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("", True),
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", True),
        ("http://tiles.local:8080/{z}/{x}/{y}", True),
        ("https://{s}.tile.example/{z}/{x}/{y}.png", False),  # the map fills only z, x and y
        ("https://tile.example/{z}/{x}.png", False),
        ("ftp://tile.example/{z}/{x}/{y}.png", False),
        ("https://tile.example/{z/{x}/{y}.png", False),  # malformed braces fail at start, not on every page
    ],
)
def test_map_tile_url_is_checked_at_start(url: str, accepted: bool) -> None:
    if accepted:
        assert Settings(map_tile_url=url).map_tile_url == url
    else:
        with pytest.raises(ValidationError, match="FORECOURT_MAP_TILE_URL|map_tile_url"):
            Settings(map_tile_url=url)
