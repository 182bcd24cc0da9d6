"""The pure parts: pipeline rules, the SLA, contact input, distance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forecourt.marketing.leads import geo, sla
from forecourt.marketing.leads.contact import check_contact, normalise_mobile
from forecourt.marketing.leads.pipeline import check_manual_move, event_target

HOURS = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")} | {"sun": []}


@pytest.mark.parametrize(
    ("current", "event", "expected"),
    [
        ("new", "test_drive_booked", "test_drive"),
        ("contacted", "test_drive_taken", "test_drive"),
        ("test_drive", "test_drive_taken", None),
        ("application", "test_drive_booked", None),  # never backwards
        ("test_drive", "credit_application", "application"),
        ("new", "order", "won"),
        ("lost", "order", None),
        ("won", "credit_application", None),
        ("new", "vehicle_view", None),
    ],
)
def test_events_only_move_forward(current: str, event: str, expected: str | None) -> None:
    assert event_target(current, event) == expected


@pytest.mark.parametrize(
    ("current", "target", "reason", "admin", "code"),
    [
        ("new", "contacted", "", False, None),
        ("new", "application", "", False, None),
        ("contacted", "won", "", False, None),
        ("contacted", "lost", "", False, "reason_required"),
        ("contacted", "lost", "Bought elsewhere", False, None),
        ("test_drive", "contacted", "oops", False, "backwards_move_admin_only"),
        ("test_drive", "contacted", "", True, "reason_required"),
        ("test_drive", "contacted", "wrong click", True, None),
        ("lost", "new", "came back", False, "backwards_move_admin_only"),
        ("won", "new", "reopen", True, None),
        ("new", "new", "", False, "already_in_stage"),
        ("new", "archived", "", True, "invalid_stage"),
    ],
)
def test_manual_moves(current: str, target: str, reason: str, admin: bool, code: str | None) -> None:
    refusal = check_manual_move(current, target, reason=reason, is_admin=admin)
    assert (refusal.code if refusal else None) == code


@pytest.mark.parametrize(
    ("arrived_local", "due_local"),
    [
        ("2030-01-02T10:00", "2030-01-02T12:00"),  # Wednesday, open
        ("2030-01-02T17:00", "2030-01-03T10:00"),  # one hour left today, one tomorrow
        ("2030-01-02T22:00", "2030-01-03T11:00"),  # at night: 2 h after opening
        ("2030-01-05T17:30", "2030-01-07T10:30"),  # Saturday late; closed Sunday
    ],
)
def test_sla_counts_opening_hours(arrived_local: str, due_local: str) -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    arrived = datetime.fromisoformat(arrived_local).replace(tzinfo=tz).astimezone(UTC)
    due = sla.first_contact_due(arrived, HOURS, "Asia/Shanghai")
    assert due.astimezone(tz).replace(tzinfo=None) == datetime.fromisoformat(due_local)


def test_sla_without_opening_hours_is_24_hours() -> None:
    arrived = datetime(2030, 1, 2, 2, tzinfo=UTC)
    assert sla.first_contact_due(arrived, {}, "Asia/Shanghai") == arrived + timedelta(hours=24)
    assert sla.is_overdue(arrived, None, arrived + timedelta(seconds=1))
    assert not sla.is_overdue(arrived, arrived, arrived + timedelta(days=3))


@pytest.mark.parametrize("text", ["13800138000", "+86 138-0013-8000", "0086 13800138000", "(138) 0013 8000"])
def test_mobile_normalisation(text: str) -> None:
    assert normalise_mobile(text) == "13800138000"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (("Li Lei", "13800138000", "", "Is it available?", True), {}),
        (("", "13800138000", "", "", True), {"name": "required"}),
        (("Li", "", "", "", True), {"mobile": "mobile_or_email"}),
        (("Li", "12345", "", "", True), {"mobile": "invalid"}),
        (("Li", "", "not-an-email", "", True), {"email": "invalid"}),
        (("Li", "13800138000", "", "", False), {"consent": "required"}),
        (("x" * 61, "13800138000", "", "", True), {"name": "too_long"}),
        (("Li", "13800138000", "", "m" * 1001, True), {"message": "too_long"}),
        ((None, ["13800138000"], {"a": 1}, 42, True), {"name": "required", "mobile": "mobile_or_email"}),
        (("Li\x00\x1b[31m", "13800138000", "LI@Example.COM", "<script>alert(1)</script>", True), {}),
    ],
)
def test_contact_validation(fields: tuple, errors: dict[str, str]) -> None:
    person, found = check_contact(*fields)
    assert found == errors
    if not errors:
        assert person is not None and "\x00" not in person.name and "\x1b" not in person.name
        assert "Li" not in repr(person)  # never shown in logs


def test_distance_from_city_centre() -> None:
    km = geo.haversine_km(geo.CITY_CENTRES["guangzhou"], (23.1291, 113.3644))
    assert 9 < km < 11  # 0.1° of longitude at 23° N ≈ 10.2 km
    assert geo.city_centre("unknown-town", []) is None
    assert geo.city_centre("unknown-town", [(1.0, 2.0), (3.0, 4.0)]) == (2.0, 3.0)
