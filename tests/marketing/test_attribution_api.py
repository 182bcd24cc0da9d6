"""GET /api/v1/attribution and /api/v1/marketing/funnel: roles, exact figures on the small dataset, validation."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import auth_headers, make_small_catalog, make_token, make_user
from tests.marketing.factories import seed_small

PERIOD = {"from": "2026-03-02", "to": "2026-03-08"}


def _token(session: Session, role: str | None) -> str:
    if role == "store_staff":
        store = make_small_catalog(session)["stores"]["gz-tianhe"]
        user = make_user(session, roles=[("store_staff", store.id)])
    else:
        user = make_user(session, roles=[(role, None)] if role else [])
    token = make_token(session, user)
    session.commit()
    return token


@pytest.fixture
def marketer(client: TestClient, db_session: Session) -> TestClient:
    client.headers.update(auth_headers(_token(db_session, "marketer")))
    return client


@pytest.mark.parametrize("path", ["/api/v1/attribution", "/api/v1/marketing/funnel"])
@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), ("shopper", 403), ("store_staff", 403), ("finance_officer", 403), ("marketer", 200), ("admin", 200)],
)
def test_roles(client: TestClient, db_session: Session, path: str, role: str | None, status: int) -> None:
    headers = auth_headers(_token(db_session, role)) if role else {}
    response = client.get(path, params=PERIOD, headers=headers)
    assert response.status_code == status, response.text
    if status != 200:
        assert response.headers["content-type"].startswith("application/problem+json")


def test_attribution_figures(marketer: TestClient, db_session: Session) -> None:
    seed_small(db_session)
    db_session.commit()
    body = marketer.get("/api/v1/attribution", params={**PERIOD, "model": "linear"}).json()
    assert (body["model"], body["order"], body["conversion"], body["by"]) == (
        "linear",
        None,
        "test_drive_booked",
        "channel",
    )
    assert (body["conversions"], body["spend"], body["lookback_days"]) == (3, "350.00", 30)
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["search"] == {
        "key": "search",
        "conversions": 1.5,
        "value": "0.00",
        "spend": "300.00",
        "cost_per_conversion": "200.00",
        "roas": None,
    }
    assert rows["email"]["cost_per_conversion"] == "100.00"


def test_attribution_of_orders_by_campaign_with_markov_order_2(marketer: TestClient, db_session: Session) -> None:
    seed_small(db_session)
    db_session.commit()
    params = {**PERIOD, "model": "markov", "order": "2", "conversion": "order", "by": "campaign"}
    body = marketer.get("/api/v1/attribution", params=params).json()
    assert body["order"] == 2 and body["value"] == "150000.00"
    assert {r["key"] for r in body["rows"]} >= {"t-search", "t-email"}


def test_funnel_by_city(marketer: TestClient, db_session: Session) -> None:
    seed_small(db_session)
    db_session.commit()
    body = marketer.get("/api/v1/marketing/funnel", params={**PERIOD, "by": "city"}).json()
    assert body["stages"] == ["visit", "vehicle_view", "test_drive_booked", "credit_application", "order"]
    rows = {r["key"]: r["counts"] for r in body["rows"]}
    assert rows["shanghai"] == {
        "visit": 1,
        "vehicle_view": 1,
        "test_drive_booked": 1,
        "credit_application": 0,
        "order": 1,
    }
    assert rows["guangzhou"]["test_drive_booked"] == 1
    assert body["totals"]["visit"] == 3  # a, b, c touched in the period; d only before it


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"model": "magic"}, "model"),
        ({"conversion": "signup"}, "conversion"),
        ({"by": "city"}, "by"),
        ({"order": "2"}, "order"),
        ({"model": "markov", "order": "4"}, "order"),
        ({"model": "markov", "order": "-1"}, "order"),
        ({"model": "markov", "order": "two"}, "order"),
        ({"from": "2026-03-09"}, "from"),
        ({"from": "2024-01-01"}, "to"),
        ({"from": "not-a-day"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"lookback_days": "0"}, "lookback_days"),
        ({"vehicle_model": "x" * 41}, "vehicle_model"),
    ],
)
def test_attribution_refuses_bad_parameters(marketer: TestClient, params: dict[str, str], field: str) -> None:
    response = marketer.get("/api/v1/attribution", params={**PERIOD, **params})
    assert response.status_code == 422, response.text
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in body["errors"]], body


@pytest.mark.parametrize(
    "params",
    [
        {"by": "store"},
        {"from": "2026-04-01", "to": "2026-03-01"},
        {"from": "2000-01-01", "to": "2099-12-31"},
        {"to": "99999-01-01"},
        {"city": "c" * 61},
    ],
)
def test_funnel_refuses_bad_parameters(marketer: TestClient, params: dict[str, Any]) -> None:
    response = marketer.get("/api/v1/marketing/funnel", params=params)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("value", ["'; DROP TABLE marketing_events; --", "=1+1", "\u0000", "ü" * 30, "%00", "<script>"])
def test_hostile_text_never_fails(marketer: TestClient, value: str) -> None:
    for path in ("/api/v1/attribution", "/api/v1/marketing/funnel"):
        response = marketer.get(path, params={**PERIOD, "city": value, "vehicle_model": value})
        assert response.status_code in (200, 400, 422), response.text
        assert response.status_code == 200 or response.headers["content-type"].startswith("application/problem+json")
