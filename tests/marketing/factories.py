"""A small attribution dataset to check by hand, for the attribution and dashboard tests (both backends).

Period: 2 to 8 March 2026 (UTC days). Spend: search CNY 300.00 (3 March), email CNY 50.00 (4 March).

- visitor a: search click (3 Mar 10:00), email click (4 Mar 10:00), test drive booked (5 Mar 10:00)
- visitor b: search click (3 Mar 11:00), test drive booked (3 Mar 12:00), order of CNY 150,000.00 (6 Mar)
- visitor c: direct visit (4 Mar 09:00), nothing else
- visitor d: email click 40 days before the period's end, test drive booked on 7 March: outside the 30-day lookback

The figures each attribution model should give are worked out in tests/marketing/test_attribution_service.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.marketing import dashboard_repository

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)


def _at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def seed_small(session: Session, *, search_code: str = "t-search") -> None:
    """The dataset of the module docstring (the search campaign's code overridable, e.g. to test CSV injection)."""
    campaigns = [
        {
            "code": search_code,
            "name": "Search test",
            "channel": "search",
            "utm_source": "baidu",
            "utm_medium": "cpc",
            "utm_campaign": "t_search",
            "budget": Decimal("1000.00"),
            "starts_on": FIRST,
            "ends_on": LAST,
            "target_models": [],
            "target_cities": [],
        },
        {
            "code": "t-email",
            "name": "Email test",
            "channel": "email",
            "utm_source": "edm",
            "utm_medium": "email",
            "utm_campaign": "t_email",
            "budget": Decimal("100.00"),
            "starts_on": FIRST,
            "ends_on": LAST,
            "target_models": [],
            "target_cities": [],
        },
    ]
    dashboard_repository.bulk_insert(session, "campaigns", campaigns)
    ids = dashboard_repository.campaign_ids(session, [search_code, "t-email"])
    search, email = ids[search_code], ids["t-email"]
    dashboard_repository.bulk_insert(
        session,
        "spend",
        [
            {"campaign_id": search, "day": date(2026, 3, 3), "amount": Decimal("300.00")},
            {"campaign_id": email, "day": date(2026, 3, 4), "amount": Decimal("50.00")},
            {"campaign_id": email, "day": date(2026, 3, 20), "amount": Decimal("999.00")},  # after the period
        ],
    )
    visitors = ("t-a", "t-b", "t-c", "t-d")
    dashboard_repository.bulk_insert(
        session,
        "visitors",
        [
            {
                "visitor_id": v,
                "user_id": None,
                "consent": "granted",
                "consent_at": _at(1, 0),
                "first_seen_at": _at(1, 0),
            }
            for v in visitors
        ],
    )
    rows = [
        ("t-a1", "click", _at(3, 10), "t-a", "search", search, None, None, None),
        ("t-a2", "click", _at(4, 10), "t-a", "email", email, None, None, None),
        ("t-a3", "vehicle_view", _at(4, 11), "t-a", None, None, "kuga", "guangzhou", None),
        ("t-a4", "test_drive_booked", _at(5, 10), "t-a", None, None, "kuga", "guangzhou", None),
        ("t-b1", "click", _at(3, 11), "t-b", "search", search, None, None, None),
        ("t-b2", "vehicle_view", _at(3, 11), "t-b", None, None, "focus", "shanghai", None),
        ("t-b3", "test_drive_booked", _at(3, 12), "t-b", None, None, "focus", "shanghai", None),
        ("t-b4", "order", _at(6, 12), "t-b", None, None, "focus", "shanghai", Decimal("150000.00")),
        ("t-c1", "visit", _at(4, 9), "t-c", "direct", None, None, "beijing", None),
        ("t-d1", "click", _at(27, 9, month=1), "t-d", "email", email, None, None, None),
        ("t-d2", "test_drive_booked", _at(7, 9), "t-d", None, None, "kuga", "beijing", None),
    ]
    dashboard_repository.bulk_insert(
        session,
        "events",
        [
            {
                "event_id": e,
                "type": t,
                "occurred_at": at,
                "received_at": at,
                "source": "api",
                "visitor_id": v,
                "user_id": None,
                "channel": ch,
                "campaign_id": cid,
                "model_code": m,
                "city": city,
                "store_code": None,
                "subject": None,
                "value": value,
            }
            for e, t, at, v, ch, cid, m, city, value in rows
        ],
    )
    session.flush()
