"""Recall API: admins open campaigns (a maker's recall arrives once, for every store); staff read the figures of
their stores' cars; an owner sees a car's open recalls through the garage (servicing's service status)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from forecourt.accounts.principal import Principal, Role
from forecourt.accounts.security import StaffUser, managed_store_ids, require_roles
from forecourt.core.clock import utcnow
from forecourt.core.http import DbSession, WriteSession
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.recalls.schemas import CampaignIn, CampaignOut
from forecourt.ownership.recalls.targeting import RecallTarget, normal_vins

router = APIRouter(prefix="/api/v1", tags=["recalls"])
AdminUser = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
_PROBLEM = {"content": {"application/problem+json": {}}}


def _out(figures: recalls.CampaignFigures) -> CampaignOut:
    c = figures.campaign
    return CampaignOut(
        code=c.code,
        title_en=c.title_en,
        title_zh=c.title_zh,
        target=c.target_kind,
        reached=figures.reached,
        fixed=figures.fixed,
        created_at=c.created_at,
    )


@router.post(
    "/recalls",
    status_code=201,
    response_model=CampaignOut,
    summary="Open a recall campaign (owners are told on the next pass of the recall job)",
    responses={409: _PROBLEM, 422: _PROBLEM},
)
def create_campaign(session: WriteSession, user: AdminUser, body: CampaignIn) -> CampaignOut:
    target = RecallTarget(
        body.target,
        normal_vins(body.vins),
        body.vin_from or "",
        body.vin_to or "",
        body.model or "",
        body.year_from,
        body.year_to,
    )
    draft = recalls.CampaignDraft(body.code, body.title_en, body.title_zh, target, body.remedy_en, body.remedy_zh)
    campaign = recalls.create_campaign(session, draft, actor=user.user_id, now=utcnow())
    return _out(recalls.CampaignFigures(campaign, 0, 0))


@router.get("/recalls", response_model=list[CampaignOut], summary="Recall campaigns: cars reached and fixed")
def list_campaigns(session: DbSession, user: StaffUser) -> list[CampaignOut]:
    return [_out(f) for f in recalls.figures(session, managed_store_ids(user))]
