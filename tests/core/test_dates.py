"""The date window (core.dates, core.params): both sides of each boundary, in pure code, in the API and on pages.

Before the window, `from=9999-12-30` on the availability API (anonymously) and `date=0001-01-01` on a store's
calendar were OverflowErrors in the date arithmetic behind the routes: 500s.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from forecourt.core import clock, dates
from forecourt.core.params import BirthDay, Day, Moment
from tests.testdrive.helpers import NOW, make_fleet

PLUS_14 = timezone(timedelta(hours=14))
MINUS_14 = timezone(timedelta(hours=-14))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2000-01-01", date(2000, 1, 1)),
        ("2100-12-31", date(2100, 12, 31)),
        (" 2026-12-07 ", date(2026, 12, 7)),
        ("1999-12-31", None),
        ("2101-01-01", None),
        ("0001-01-01", None),
        ("9999-12-31", None),
        ("2026-02-30", None),
        ("", None),
        (None, None),
        ("2026-12-07" + " " * 40, date(2026, 12, 7)),
        ("x" * 10_000, None),
    ],
)
def test_parse_day_keeps_to_the_window(text, expected):
    assert dates.parse_day(text) == expected


def test_birth_days_reach_back_to_1900():
    assert dates.parse_day("1900-01-01", dates.EARLIEST_BIRTH) == date(1900, 1, 1)
    assert dates.parse_day("1899-12-31", dates.EARLIEST_BIRTH) is None
    assert TypeAdapter(BirthDay).validate_python("1950-06-01") == date(1950, 6, 1)
    with pytest.raises(ValidationError, match="from 1900-01-01 to 2100-12-31"):
        TypeAdapter(BirthDay).validate_python("1899-12-31")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2000-01-01T00:00:00+14:00", True),  # 1999-12-31 in UTC: the local day is what a person typed
        ("2100-12-31T23:59:59-14:00", True),  # 2101-01-01 in UTC, still representable
        ("1999-12-31T23:59:59+00:00", False),
        ("2101-01-01T00:00:00Z", False),
        ("0001-01-01T00:00:00+14:00", False),  # astimezone(UTC) would overflow
        ("9999-12-31T23:59:59-14:00", False),
        ("2026-12-07T10:00:00", False),  # naive
    ],
)
def test_moments_keep_to_the_window_and_need_an_offset(text, ok):
    parsed = dates.parse_moment(text)
    assert (parsed is not None) is ok
    if ok:
        parsed.astimezone(UTC)  # never overflows inside the window
        assert TypeAdapter(Moment).validate_python(text) == parsed
    else:
        with pytest.raises(ValidationError):
            TypeAdapter(Moment).validate_python(text)


def test_the_day_type_names_the_window():
    adapter = TypeAdapter(Day)
    assert adapter.validate_python("2100-12-31") == date(2100, 12, 31)
    with pytest.raises(ValidationError, match="must be a date from 2000-01-01 to 2100-12-31"):
        adapter.validate_python("2101-01-01")


def test_the_window_keeps_the_routes_arithmetic_safe():
    """What the routes do with a day (a fortnight on, a day on, midnight at +14:00) stays representable."""
    for day in (dates.EARLIEST, dates.LATEST):
        moment = datetime.combine(day + timedelta(days=31), datetime.min.time(), PLUS_14)
        moment.astimezone(UTC)
        datetime.combine(day - timedelta(days=366), datetime.min.time(), MINUS_14).astimezone(UTC)


@pytest.fixture
def drives(db_session):
    with clock.pinned(NOW):
        yield make_fleet(db_session)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/test-drives/availability?model=mondeo&city=guangzhou&from=9999-12-30", "from"),
        ("/api/v1/test-drives/availability?model=mondeo&city=guangzhou&from=9999-12-31", "from"),
        ("/api/v1/test-drives/availability?model=mondeo&city=guangzhou&to=0001-01-01", "to"),
        ("/api/v1/stores/gz-tianhe/test-drives?date=0001-01-01", "date"),
        ("/api/v1/stores/gz-tianhe/test-drives?date=9999-12-31", "date"),
        ("/api/v1/test-drives/figures?from=0001-01-01&to=2026-12-01", "from"),
        ("/api/v1/test-drives/figures?from=2026-12-01&to=9999-12-31", "to"),
        ("/api/v1/finance/programs?on=9999-12-31", "on"),
        ("/api/v1/campaigns?active_on=0001-01-01", "active_on"),
        ("/api/v1/attribution?from=0001-01-01&to=2026-12-01", "from"),
    ],
)
def test_api_days_outside_the_window_are_422_naming_the_field(admin_client, drives, path, field):
    response = admin_client.get(path)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    messages = {e["field"]: e["message"] for e in problem["errors"]}
    assert "2000-01-01 to 2100-12-31" in messages[field], problem


def test_anonymous_availability_at_the_window_edges(client, drives):
    inside = client.get("/api/v1/test-drives/availability?model=mondeo&city=guangzhou&from=2100-12-31")
    assert inside.status_code == 200, inside.text
    outside = client.get("/api/v1/test-drives/availability?model=mondeo&city=guangzhou&from=2101-01-01")
    assert outside.status_code == 422


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_hold_at_an_extreme_moment_is_422(client, drives, start):
    body = {"vin": drives.dealer_cars[0].vin, "start": start, "minutes": 60}
    response = client.post("/api/v1/test-drives/holds", json=body, headers={**drives.shopper, "Idempotency-Key": "k"})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["start"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-30", "9999-12-31"])
def test_pages_treat_an_extreme_day_as_no_day(admin_client, drives, day):
    client = admin_client
    for path in (
        f"/test-drives/book?model=mondeo&city=guangzhou&from={day}&to={day}",
        f"/backoffice/stores/gz-tianhe/test-drives?date={day}",
        f"/backoffice/test-drives/figures?from={day}&to={day}",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
