"""Shared set-up of the lead tests: a small catalog with stock, users, and events inserted directly (as the
ingestion would) followed by `on_new_events`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from forecourt.core.clock import pinned
from forecourt.marketing.models import MarketingEvent, Visitor
from forecourt.marketing.subscribers import on_new_events
from tests.factories import make_small_catalog, make_store, make_user, make_vehicle

_ids = itertools.count(1)
# A Wednesday 10:00 in Shanghai time (02:00 UTC): the stores are open 09:00–18:00 every day.
T0 = datetime(2030, 1, 2, 2, 0, tzinfo=UTC)


@dataclass
class World:
    catalog: dict[str, Any]
    stores: dict[str, Any]
    users: dict[str, Any]


def make_world(session: Session) -> World:
    cat = make_small_catalog(session)
    guangzhou = cat["cities"][0]
    stores = dict(cat["stores"])
    stores["gz-baiyun"] = make_store(session, guangzhou, "gz-baiyun")
    make_vehicle(session, cat["trims"]["mondeo-ecoboost180"], stores["gz-tianhe"])
    make_vehicle(session, cat["trims"]["kuga-ecoboost245"], stores["gz-baiyun"])
    make_vehicle(session, cat["trims"]["kuga-ecoboost245"], stores["gz-baiyun"])
    make_vehicle(session, cat["trims"]["kuga-ecoboost245"], stores["gz-tianhe"])
    make_vehicle(session, cat["trims"]["kuga-ecoboost245"], stores["sh-pudong"])
    users = {
        "shopper": make_user(session, roles=[("shopper", None)]),
        "staff_a": make_user(session, roles=[("store_staff", stores["gz-tianhe"].id)]),
        "staff_b": make_user(session, roles=[("store_staff", stores["sh-pudong"].id)]),
        "marketer": make_user(session, roles=[("marketer", None)]),
        "admin": make_user(session, roles=[("admin", None)]),
    }
    session.commit()
    return World(cat, stores, users)


def emit(
    session: Session,
    type_: str,
    *,
    at: datetime = T0,
    visitor: str | None = None,
    user: int | None = None,
    city: str | None = "guangzhou",
    model: str | None = "mondeo",
    store: str | None = None,
    channel: str | None = None,
) -> MarketingEvent:
    if visitor is None and user is None:
        visitor = f"v-{next(_ids)}"
    event = MarketingEvent(
        event_id=f"test-{next(_ids)}-{type_}",
        type=type_,
        occurred_at=at,
        received_at=at,
        source="api",
        visitor_id=visitor,
        user_id=user,
        channel=channel,
        model_code=model,
        city=city,
        store_code=store,
    )
    session.add(event)
    session.flush()
    with pinned(at):  # the ingestion runs as the event arrives
        on_new_events(session, [event])
    return event


def stitch(session: Session, visitor: str, user_id: int) -> None:
    session.add(Visitor(visitor_id=visitor, user_id=user_id, first_seen_at=T0 - timedelta(days=3), stitched_at=T0))
    session.flush()
