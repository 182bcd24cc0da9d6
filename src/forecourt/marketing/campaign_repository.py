"""Every query on campaigns and their daily spend."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forecourt.marketing.models import Campaign, CampaignSpend

UtmKey = tuple[str, str, str]


def get_by_code(session: Session, code: str, *, for_update: bool = False) -> Campaign | None:
    statement = select(Campaign).where(Campaign.code == code)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def get_by_utm(session: Session, key: UtmKey) -> Campaign | None:
    source, medium, campaign = key
    return session.scalars(
        select(Campaign).where(
            Campaign.utm_source == source, Campaign.utm_medium == medium, Campaign.utm_campaign == campaign
        )
    ).one_or_none()


def list_campaigns(
    session: Session,
    *,
    channel: str | None = None,
    active_on: date | None = None,
    model_code: str | None = None,
    text: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Campaign]:
    statement: Select = select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.code)
    if channel:
        statement = statement.where(Campaign.channel == channel)
    if active_on is not None:
        statement = statement.where(
            Campaign.starts_on <= active_on, or_(Campaign.ends_on.is_(None), Campaign.ends_on >= active_on)
        )
    if text:
        pattern = f"%{text.lower()}%"
        statement = statement.where(
            or_(func.lower(Campaign.code).like(pattern), func.lower(Campaign.name).like(pattern))
        )
    if model_code is None:
        return session.scalars(statement.limit(limit).offset(offset)).all()
    # JSON list membership is filtered in Python: campaigns are few, and the JSON operators differ per database.
    matching = [c for c in session.scalars(statement) if not c.target_models or model_code in c.target_models]
    return matching[offset : offset + limit]


def utm_index(session: Session) -> dict[UtmKey, tuple[int, str]]:
    """(utm_source, utm_medium, utm_campaign) → (campaign id, channel) of every campaign."""
    rows = session.execute(
        select(Campaign.utm_source, Campaign.utm_medium, Campaign.utm_campaign, Campaign.id, Campaign.channel)
    )
    return {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows}


def ids_by_code(session: Session, codes: Collection[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), 900):
        chunk = ordered[start : start + 900]
        found.update(
            {r[0]: r[1] for r in session.execute(select(Campaign.code, Campaign.id).where(Campaign.code.in_(chunk)))}
        )
    return found


def spend_days(session: Session, campaign_ids: Collection[int]) -> set[tuple[int, date]]:
    ids = sorted(campaign_ids)
    found: set[tuple[int, date]] = set()
    for start in range(0, len(ids), 900):
        rows = session.execute(
            select(CampaignSpend.campaign_id, CampaignSpend.day).where(
                CampaignSpend.campaign_id.in_(ids[start : start + 900])
            )
        )
        found.update((r[0], r[1]) for r in rows)
    return found


def upsert_spend(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Insert or replace (campaign_id, day) → amount."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CampaignSpend.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=["campaign_id", "day"],
        set_={"amount": statement.excluded.amount, "imported_at": statement.excluded.imported_at},
    )
    for start in range(0, len(rows), 500):
        session.execute(statement, [{**row, "imported_at": now} for row in rows[start : start + 500]])


def spend_of(session: Session, campaign_id: int) -> list[tuple[date, Decimal]]:
    rows = session.execute(
        select(CampaignSpend.day, CampaignSpend.amount)
        .where(CampaignSpend.campaign_id == campaign_id)
        .order_by(CampaignSpend.day)
    )
    return [(r[0], r[1]) for r in rows]


def total_spend(session: Session, campaign_ids: Collection[int]) -> dict[int, Decimal]:
    if not campaign_ids:
        return {}
    rows = session.execute(
        select(CampaignSpend.campaign_id, func.sum(CampaignSpend.amount))
        .where(CampaignSpend.campaign_id.in_(sorted(campaign_ids)))
        .group_by(CampaignSpend.campaign_id)
    )
    return {r[0]: Decimal(str(r[1])).quantize(Decimal("0.01")) for r in rows}
