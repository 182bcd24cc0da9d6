"""Every query of the recalls sub-package."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forecourt.ownership.recalls.models import RecallCampaign, RecallNotice


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def get_campaign(session: Session, code: str) -> RecallCampaign | None:
    return session.scalars(select(RecallCampaign).where(RecallCampaign.code == code)).one_or_none()


def get_campaign_by_id(session: Session, campaign_id: int) -> RecallCampaign | None:
    return session.get(RecallCampaign, campaign_id)


def list_campaigns(session: Session) -> Sequence[RecallCampaign]:
    return session.scalars(select(RecallCampaign).order_by(RecallCampaign.created_at.desc(), RecallCampaign.id)).all()


def add_campaign(session: Session, campaign: RecallCampaign) -> None:
    session.add(campaign)
    session.flush()


def insert_notice_once(session: Session, values: dict[str, Any]) -> bool:
    """True when this transaction took the (campaign, VIN) row: only then is the owner told."""
    statement = (
        _insert(session, RecallNotice).values(**values).on_conflict_do_nothing(index_elements=["campaign_id", "vin"])
    )
    return session.execute(statement.returning(RecallNotice.id)).first() is not None


def open_notices(session: Session, vin: str) -> Sequence[Row]:
    statement = (
        select(RecallCampaign, RecallNotice)
        .join(RecallNotice, RecallNotice.campaign_id == RecallCampaign.id)
        .where(RecallNotice.vin == vin, RecallNotice.fixed_at.is_(None))
        .order_by(RecallNotice.notified_at, RecallCampaign.code)
    )
    return session.execute(statement).all()


def mark_fixed(session: Session, campaign_id: int, vin: str, job_reference: str, at: datetime) -> int:
    statement = (
        update(RecallNotice)
        .where(RecallNotice.campaign_id == campaign_id, RecallNotice.vin == vin, RecallNotice.fixed_at.is_(None))
        .values(fixed_at=at, fixed_by_job=job_reference)
    )
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def figures(session: Session, store_ids: Collection[int] | None) -> Sequence[Row]:
    """Per campaign: cars reached (notices) and fixed."""
    statement = (
        select(
            RecallCampaign.id,
            func.count(RecallNotice.id).label("reached"),
            func.count(RecallNotice.fixed_at).label("fixed"),
        )
        .join(RecallNotice, RecallNotice.campaign_id == RecallCampaign.id, isouter=True)
        .group_by(RecallCampaign.id)
    )
    if store_ids is not None:
        statement = statement.where(RecallNotice.store_id.in_(list(store_ids)))
    return session.execute(statement).all()
