"""Queries of the marketing dashboard and attribution reports: spend by channel, campaign and day, campaign
lookups, and the bulk writes of the demo loader. (Stored events for attribution come from the event context's
`event_repository.person_events_frame`.)"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from forecourt.marketing.models import Campaign, CampaignSpend, MarketingEvent, Visitor

INSERT_BATCH = 5_000


def spend_by_day(session: Session, first_day: date, last_day: date) -> list[tuple[date, str, str, Decimal]]:
    """(day, channel, campaign code, amount) of every campaign's spend on [first_day, last_day]."""
    rows = session.execute(
        select(CampaignSpend.day, Campaign.channel, Campaign.code, func.sum(CampaignSpend.amount))
        .join(Campaign, Campaign.id == CampaignSpend.campaign_id)
        .where(CampaignSpend.day >= first_day, CampaignSpend.day <= last_day)
        .group_by(CampaignSpend.day, Campaign.channel, Campaign.code)
        .order_by(CampaignSpend.day, Campaign.channel, Campaign.code)
    )
    return [(day, channel, code, amount or Decimal(0)) for day, channel, code, amount in rows]


def spend_totals(session: Session, first_day: date, last_day: date, by: str) -> dict[str, Decimal]:
    """Spend on [first_day, last_day] summed per channel (``by="channel"``) or campaign code."""
    key = Campaign.channel if by == "channel" else Campaign.code
    rows = session.execute(
        select(key, func.sum(CampaignSpend.amount))
        .join(Campaign, Campaign.id == CampaignSpend.campaign_id)
        .where(CampaignSpend.day >= first_day, CampaignSpend.day <= last_day)
        .group_by(key)
    )
    return {name: amount or Decimal(0) for name, amount in rows}


def campaigns_with_prefix_exist(session: Session, prefix: str) -> bool:
    statement = select(Campaign.id).where(Campaign.code.startswith(prefix, autoescape=True)).limit(1)
    return session.scalar(statement) is not None


def campaign_ids(session: Session, codes: Sequence[str]) -> dict[str, int]:
    return dict(session.execute(select(Campaign.code, Campaign.id).where(Campaign.code.in_(codes))).all())


def _batched(rows: Iterable[Mapping[str, Any]], size: int) -> Iterable[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk_insert(session: Session, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Core INSERTs (executemany, in batches) of plain dicts into one marketing table; returns the row count."""
    target = {"campaigns": Campaign, "spend": CampaignSpend, "visitors": Visitor, "events": MarketingEvent}[table]
    count = 0
    for batch in _batched(rows, INSERT_BATCH):
        session.execute(insert(target.__table__), batch)
        count += len(batch)
    return count
