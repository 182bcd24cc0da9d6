"""Every query on marketing events and visitors, including the person-level event frame for attribution.

Inserts are Core statements (`INSERT ... ON CONFLICT DO NOTHING RETURNING id`) on both SQLite and
PostgreSQL: a batch of thousands of events never becomes thousands of ORM objects, and two senders of the
same event id race harmlessly (the second insert does nothing).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forecourt.marketing.models import Campaign, MarketingEvent, Visitor

IN_CHUNK = 900  # below SQLite's default limit of bound parameters per statement

FRAME_SCHEMA: dict[str, Any] = {
    "person_id": pl.String,
    "at": pl.Datetime("us", "UTC"),
    "type": pl.String,
    "channel": pl.String,
    "campaign_code": pl.String,
    "model_code": pl.String,
    "city": pl.String,
    "store_code": pl.String,
    "value": pl.Float64,
    "event_id": pl.String,
}


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def existing_event_ids(session: Session, event_ids: Collection[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(event_ids)):
        found.update(session.scalars(select(MarketingEvent.event_id).where(MarketingEvent.event_id.in_(chunk))))
    return found


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert the rows whose event id is not stored yet; return the ids of the rows actually inserted."""
    if not rows:
        return []
    statement = _insert(session, MarketingEvent.__table__).on_conflict_do_nothing(index_elements=["event_id"])
    inserted: list[int] = []
    for chunk in _chunks(rows, 500):
        inserted.extend(session.execute(statement.returning(MarketingEvent.id), list(chunk)).scalars())
    return inserted


def events_by_ids(session: Session, ids: Collection[int]) -> list[MarketingEvent]:
    events: list[MarketingEvent] = []
    for chunk in _chunks(sorted(ids)):
        events.extend(
            session.scalars(select(MarketingEvent).where(MarketingEvent.id.in_(chunk)).order_by(MarketingEvent.id))
        )
    return events


def get_event(session: Session, event_id: str) -> MarketingEvent | None:
    return session.scalars(select(MarketingEvent).where(MarketingEvent.event_id == event_id)).one_or_none()


def ensure_visitors(session: Session, visitor_ids: Collection[str], now: datetime) -> None:
    if not visitor_ids:
        return
    statement = _insert(session, Visitor.__table__).on_conflict_do_nothing(index_elements=["visitor_id"])
    for chunk in _chunks(sorted(visitor_ids), 500):
        session.execute(statement, [{"visitor_id": v, "first_seen_at": now} for v in chunk])


def declined_visitor_ids(session: Session, visitor_ids: Collection[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(visitor_ids)):
        found.update(
            session.scalars(
                select(Visitor.visitor_id).where(Visitor.visitor_id.in_(chunk), Visitor.consent == "declined")
            )
        )
    return found


def get_visitor(session: Session, visitor_id: str, *, for_update: bool = False) -> Visitor | None:
    statement = select(Visitor).where(Visitor.visitor_id == visitor_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def add_visitor(session: Session, visitor_id: str, now: datetime) -> Visitor:
    ensure_visitors(session, [visitor_id], now)
    visitor = get_visitor(session, visitor_id, for_update=True)
    assert visitor is not None
    return visitor


def delete_visitor_events(session: Session, visitor_id: str, types: Collection[str]) -> int:
    result = session.execute(
        delete(MarketingEvent).where(MarketingEvent.visitor_id == visitor_id, MarketingEvent.type.in_(list(types)))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_visitor_user(session: Session, visitor_id: str, user_id: int, now: datetime) -> None:
    session.execute(update(Visitor).where(Visitor.visitor_id == visitor_id).values(user_id=user_id, stitched_at=now))


def person_events_frame(
    session: Session,
    types: Collection[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pl.DataFrame:
    """Every stored event of `types` (None: all) with start <= occurred_at < end (None: open), one row each,
    ordered by person then time. Columns (FRAME_SCHEMA): person_id ("u:<user id>" when the event's user, or its
    visitor's signed-in user, is known; else "v:<visitor id>"), at (UTC), type, channel, campaign_code,
    model_code, city, store_code, value (float yuan, null when none), event_id."""
    statement = (
        select(
            MarketingEvent.user_id,
            Visitor.user_id,
            MarketingEvent.visitor_id,
            MarketingEvent.occurred_at,
            MarketingEvent.type,
            MarketingEvent.channel,
            Campaign.code,
            MarketingEvent.model_code,
            MarketingEvent.city,
            MarketingEvent.store_code,
            MarketingEvent.value,
            MarketingEvent.event_id,
        )
        .outerjoin(Visitor, Visitor.visitor_id == MarketingEvent.visitor_id)
        .outerjoin(Campaign, Campaign.id == MarketingEvent.campaign_id)
    )  # unordered: the frame is sorted by person, time and event id below
    if types is not None:
        statement = statement.where(MarketingEvent.type.in_(list(types)))
    if start is not None:
        statement = statement.where(MarketingEvent.occurred_at >= start)
    if end is not None:
        statement = statement.where(MarketingEvent.occurred_at < end)
    # Core rows, turned into columns at once: a Python loop over every row (or ORM row handling) was most of the
    # dashboard's load time.
    rows = session.connection().execute(statement).all()
    raw = list(zip(*rows, strict=True)) if rows else [()] * 12
    user_id = pl.Series(raw[0], dtype=pl.Int64).fill_null(pl.Series(raw[1], dtype=pl.Int64))
    person_id = (
        pl.when(user_id.is_not_null())
        .then(pl.lit("u:") + user_id.cast(pl.String))
        .otherwise(pl.lit("v:") + pl.Series(raw[2], dtype=pl.String).fill_null("None"))
    )
    frame = pl.DataFrame(
        {
            "person_id": pl.select(person_id).to_series(),
            "at": pl.Series(raw[3], dtype=FRAME_SCHEMA["at"]),
            "type": pl.Series(raw[4], dtype=pl.String),
            "channel": pl.Series(raw[5], dtype=pl.String),
            "campaign_code": pl.Series(raw[6], dtype=pl.String),
            "model_code": pl.Series(raw[7], dtype=pl.String),
            "city": pl.Series(raw[8], dtype=pl.String),
            "store_code": pl.Series(raw[9], dtype=pl.String),
            "value": pl.Series([None if v is None else float(v) for v in raw[10]], dtype=pl.Float64),
            "event_id": pl.Series(raw[11], dtype=pl.String),
        },
        schema=FRAME_SCHEMA,
    )
    return frame.sort(["person_id", "at", "event_id"])
