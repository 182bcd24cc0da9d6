"""Recall use cases: create a campaign, tell each affected owner once, show open notices, record the fix, figures.

"Once" is the (campaign, VIN) unique key: the job inserts each notice with ON CONFLICT DO NOTHING and writes the
outbox message only when its own insert took the row, so repeated runs and concurrent runners tell an owner once.
A campaign created today reaches cars on the next pass of the job (and an owner who buys an affected car later is
told then). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound
from forecourt.core.outbox import Channel, enqueue
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.recalls import repository
from forecourt.ownership.recalls.messages import MESSAGES
from forecourt.ownership.recalls.models import RecallCampaign
from forecourt.ownership.recalls.targeting import RecallTarget, TargetKind, normal_vins, target_problems
from forecourt.ownership.records import car_facts


@dataclass(frozen=True)
class CampaignDraft:
    code: str
    title_en: str
    title_zh: str
    target: RecallTarget
    remedy_en: str = ""
    remedy_zh: str = ""


def target_of(campaign: RecallCampaign) -> RecallTarget:
    return RecallTarget(
        TargetKind(campaign.target_kind),
        frozenset(campaign.vins or ()),
        campaign.vin_from,
        campaign.vin_to,
        campaign.model_code,
        campaign.year_from,
        campaign.year_to,
    )


def create_campaign(session: Session, draft: CampaignDraft, *, actor: int | None, now: datetime) -> RecallCampaign:
    target = draft.target
    if target.kind == TargetKind.VINS:
        target = RecallTarget(TargetKind.VINS, normal_vins(target.vins))
    elif target.kind == TargetKind.VIN_RANGE:
        target = RecallTarget(
            TargetKind.VIN_RANGE, vin_from=target.vin_from.strip().upper(), vin_to=target.vin_to.strip().upper()
        )
    problems = target_problems(target)
    if problems:
        raise InvalidInput(
            "The recall's cars are not clear: " + "; ".join(m for _, m in problems),
            code="invalid_recall_target",
            errors=[FieldError(f, m) for f, m in problems],
        )
    code = draft.code.strip().upper()
    if repository.get_campaign(session, code) is not None:
        raise Conflict(
            f"Recall campaign {code} already exists",
            code="recall_exists",
            errors=[FieldError("code", MESSAGES["code_taken"], code)],
        )
    campaign = RecallCampaign(
        code=code,
        title_en=draft.title_en,
        title_zh=draft.title_zh,
        remedy_en=draft.remedy_en,
        remedy_zh=draft.remedy_zh,
        target_kind=target.kind.value,
        vins=sorted(target.vins),
        vin_from=target.vin_from,
        vin_to=target.vin_to,
        model_code=target.model_code,
        year_from=target.year_from,
        year_to=target.year_to,
        created_by=actor,
        created_at=now,
    )
    repository.add_campaign(session, campaign)
    audit.record(session, actor, "recall.created", "recall", code, None, target=target.kind.value)
    return campaign


def get_campaign(session: Session, code: str) -> RecallCampaign:
    campaign = repository.get_campaign(session, code.strip().upper())
    if campaign is None:
        raise NotFound(f"No recall campaign {code}", code="recall_not_found")
    return campaign


def campaign_code(session: Session, campaign_id: int | None) -> str | None:
    campaign = repository.get_campaign_by_id(session, campaign_id) if campaign_id else None
    return campaign.code if campaign else None


def list_campaigns(session: Session) -> Sequence[RecallCampaign]:
    return repository.list_campaigns(session)


def code_taken(session: Session, code: str) -> bool:
    return repository.get_campaign(session, code.strip().upper()) is not None


def reach(session: Session, target: RecallTarget, today: date) -> int:
    """How many owned cars a target covers today (the back-office form's preview, before the campaign exists)."""
    return sum(
        1 for car in car_facts.active_cars(session, today) if target.matches(car.vin, car.model_code, car.model_year)
    )


def affected(campaign: RecallCampaign, cars: Sequence[OwnedCar]) -> list[OwnedCar]:
    target = target_of(campaign)
    return [car for car in cars if target.matches(car.vin, car.model_code, car.model_year)]


def notify_affected(session: Session, cars: Sequence[OwnedCar], now: datetime) -> int:
    """Open a notice for each affected car of every campaign and tell its owner, once; returns owners told now."""
    told = 0
    for campaign in repository.list_campaigns(session):
        for car in affected(campaign, cars):
            values = {
                "campaign_id": campaign.id,
                "vin": car.vin,
                "owner_user_id": car.owner_user_id,
                "store_id": car.store_id,
                "notified_at": now,
            }
            if repository.insert_notice_once(session, values):
                _tell(session, campaign, car)
                told += 1
    return told


def _tell(session: Session, campaign: RecallCampaign, car: OwnedCar) -> None:
    if car.language.lower().startswith("zh"):
        subject = f"召回通知 {campaign.code}：{campaign.title_zh}"
        body = f"您的车辆（VIN {car.vin}）属于召回活动 {campaign.code}。{campaign.remedy_zh}\n请在“我的车库”预约召回维修，免费。"
    else:
        subject = f"Recall {campaign.code}: {campaign.title_en}"
        body = (
            f"Your car (VIN {car.vin}) is covered by recall {campaign.code}. {campaign.remedy_en}\n"
            "Book the recall work, free of charge, from My garage."
        )
    if car.contact_email:
        enqueue(session, Channel.EMAIL, car.contact_email, subject, body)
    if car.contact_mobile:
        enqueue(session, Channel.SMS, car.contact_mobile, "", subject)


@dataclass(frozen=True)
class OpenNotice:
    campaign_id: int
    code: str
    title_en: str
    title_zh: str
    remedy_en: str
    remedy_zh: str
    notified_at: datetime


def open_notices(session: Session, vin: str) -> list[OpenNotice]:
    """The recalls a car still needs (the garage shows them; a recall job fixes them)."""
    return [
        OpenNotice(c.id, c.code, c.title_en, c.title_zh, c.remedy_en, c.remedy_zh, n.notified_at)
        for c, n in repository.open_notices(session, vin.strip().upper())
    ]


def mark_fixed(session: Session, campaign_id: int, vin: str, job_reference: str, at: datetime) -> bool:
    return repository.mark_fixed(session, campaign_id, vin, job_reference, at) > 0


@dataclass(frozen=True)
class CampaignFigures:
    campaign: RecallCampaign
    reached: int
    fixed: int

    @property
    def open(self) -> int:
        return self.reached - self.fixed


def figures(session: Session, store_ids: Collection[int] | None) -> list[CampaignFigures]:
    """Cars reached and fixed per campaign; staff see their stores' cars only (None: every store)."""
    counts = {row.id: (int(row.reached), int(row.fixed)) for row in repository.figures(session, store_ids)}
    return [
        CampaignFigures(c, *counts.get(c.id, (0, 0)))
        for c in repository.list_campaigns(session)
        if store_ids is None or c.id in counts
    ]
