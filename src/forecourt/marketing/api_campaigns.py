"""REST API of campaigns and their daily spend. Marketers and admins read and write."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, UploadFile

from forecourt.accounts.security import MarketerUser
from forecourt.core.http import DbSession, WriteSession
from forecourt.core.params import Day
from forecourt.marketing import campaigns
from forecourt.marketing.campaign_schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    ChannelName,
    SpendImportOut,
)
from forecourt.marketing.event_files import FileTooLarge
from forecourt.marketing.models import Campaign

router = APIRouter(prefix="/api/v1", tags=["marketing campaigns"])
CampaignCode = Annotated[str, Path(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")]
_PROBLEM = {"content": {"application/problem+json": {}}}
_AUTH = {401: {"description": "Not signed in", **_PROBLEM}, 403: {"description": "Not a marketer or admin", **_PROBLEM}}


def _out(campaign: Campaign, spent: dict[int, object]) -> CampaignOut:
    data = {name: getattr(campaign, name) for name in CampaignOut.model_fields if name != "spent"}
    return CampaignOut(**data, spent=spent.get(campaign.id, "0.00"))


@router.get("/campaigns", response_model=list[CampaignOut], summary="Campaigns, newest first", responses=_AUTH)
def list_campaigns(
    session: DbSession,
    user: MarketerUser,
    channel: ChannelName | None = None,
    active_on: Annotated[Day | None, Query(description="Running on this day")] = None,
    model: Annotated[str | None, Query(max_length=40, description="Targeting this model code (or every model)")] = None,
    q: Annotated[str | None, Query(max_length=60, description="Part of the code or name")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CampaignOut]:
    found = campaigns.list_campaigns(
        session,
        channel=channel,
        active_on=active_on,
        model_code=model.strip().lower() if model else None,
        text=q.strip() if q else None,
        limit=limit,
        offset=offset,
    )
    spent = campaigns.spent_by_campaign(session, found)
    return [_out(c, spent) for c in found]


@router.post(
    "/campaigns",
    status_code=201,
    response_model=CampaignOut,
    summary="Create a campaign",
    responses={
        **_AUTH,
        409: {"description": "Code or UTM triple taken", **_PROBLEM},
        422: {"description": "Invalid fields or unknown model codes", **_PROBLEM},
    },
)
def create_campaign(session: WriteSession, user: MarketerUser, body: CampaignIn) -> CampaignOut:
    campaign = campaigns.create_campaign(session, body.model_dump(), actor=user.user_id)
    return _out(campaign, {})


@router.get(
    "/campaigns/{code}",
    response_model=CampaignOut,
    summary="One campaign",
    responses={**_AUTH, 404: {"description": "No such campaign", **_PROBLEM}},
)
def get_campaign(session: DbSession, user: MarketerUser, code: CampaignCode) -> CampaignOut:
    campaign = campaigns.get_campaign(session, code.lower())
    return _out(campaign, campaigns.spent_by_campaign(session, [campaign]))


@router.patch(
    "/campaigns/{code}",
    response_model=CampaignOut,
    summary="Change a campaign",
    responses={
        **_AUTH,
        404: {"description": "No such campaign", **_PROBLEM},
        409: {"description": "UTM triple taken", **_PROBLEM},
        422: {"description": "Invalid fields", **_PROBLEM},
    },
)
def update_campaign(session: WriteSession, user: MarketerUser, code: CampaignCode, body: CampaignPatch) -> CampaignOut:
    campaign = campaigns.update_campaign(session, code.lower(), body.model_dump(exclude_unset=True), actor=user.user_id)
    return _out(campaign, campaigns.spent_by_campaign(session, [campaign]))


@router.post(
    "/campaigns/spend/import",
    response_model=SpendImportOut,
    summary="Import daily spend from a CSV file",
    description=(
        "Columns `campaign_code,day,amount` (amount in decimal yuan, day as 2026-12-01), UTF-8 with or without a "
        "BOM. All or nothing: any problem rejects the whole file with a 422 listing every problem with its line "
        "and column (`problems`). A campaign day imported before gets the new amount, so importing the same "
        "file twice changes nothing."
    ),
    responses={
        **_AUTH,
        413: {"description": "Above the import size limit", **_PROBLEM},
        422: {"description": "The file has problems; nothing was imported", **_PROBLEM},
    },
)
def import_spend(
    request: Request,
    session: WriteSession,
    user: MarketerUser,
    file: Annotated[UploadFile, File(description="CSV file campaign_code,day,amount")],
) -> SpendImportOut:
    limit = request.app.state.settings.max_import_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(limit)
    result = campaigns.import_spend(session, data, actor=user.user_id)
    return SpendImportOut(
        rows=result.rows,
        created=result.created,
        replaced=result.replaced,
        campaigns=result.campaigns,
        total=result.total,
    )
