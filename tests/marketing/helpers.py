"""Shared set-up of the marketing ingestion tests: users, campaigns, events."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.marketing import campaigns
from forecourt.marketing.models import Campaign, MarketingEvent
from tests.factories import auth_headers, make_token, make_user

EVENTS = "/api/v1/events"
CAMPAIGNS = "/api/v1/campaigns"


def marketer_headers(session: Session) -> dict[str, str]:
    headers = auth_headers(make_token(session, make_user(session, roles=[("marketer", None)])))
    session.commit()
    return headers


def shopper(session: Session) -> tuple[int, dict[str, str]]:
    user = make_user(session, roles=[("shopper", None)])
    headers = auth_headers(make_token(session, user))
    session.commit()
    return user.id, headers


def visitor_id() -> str:
    return uuid.uuid4().hex


def event(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": "visit",
        "visitor_id": visitor_id(),
        "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def make_campaign(
    session: Session,
    code: str = "baidu-mondeo",
    channel: str = "search",
    source: str = "baidu",
    medium: str = "cpc",
    name: str = "mondeo-q4",
    **extra: Any,
) -> Campaign:
    data = {
        "code": code,
        "name": code.title(),
        "channel": channel,
        "utm_source": source,
        "utm_medium": medium,
        "utm_campaign": name,
        "budget": Decimal("100000.00"),
        "starts_on": date(2026, 10, 1),
        "ends_on": None,
        "target_models": [],
        "target_cities": [],
        **extra,
    }
    campaign = campaigns.create_campaign(session, data, actor=None)
    session.commit()
    return campaign


def stored(session: Session, **where: Any) -> list[MarketingEvent]:
    statement = select(MarketingEvent).order_by(MarketingEvent.id)
    for name, value in where.items():
        statement = statement.where(getattr(MarketingEvent, name) == value)
    session.expire_all()
    return list(session.scalars(statement))


def run_cli(*args: str):
    from typer.testing import CliRunner

    from forecourt.cli import app

    return CliRunner().invoke(app, ["marketing", *args])
