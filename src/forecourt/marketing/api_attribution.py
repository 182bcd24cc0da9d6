"""Attribution and funnel figures as JSON, for marketers and admins.

`GET /api/v1/attribution`: credit per channel or campaign under one model, with spend, cost per conversion and
ROAS. `GET /api/v1/marketing/funnel`: people per funnel stage by channel, city or model. Every parameter is
checked (unknown values, an inverted or over-long period, a Markov order on another model: 422 problems).
Money is a decimal string in yuan, rounded half up to the fen; credited conversions are floats (shares).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from forecourt.accounts.security import MarketerUser
from forecourt.core.http import DbSession
from forecourt.core.params import Day
from forecourt.marketing import attribution_query, attribution_service, dashboard

router = APIRouter(prefix="/api/v1", tags=["marketing"])

ModelName = Literal[
    "first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "markov", "shapley"
]
ConversionName = Literal["test_drive_booked", "test_drive_taken", "credit_application", "order"]
FromDay = Annotated[
    Day | None,
    Query(alias="from", description="First day (inclusive, business time zone); default: 29 days before `to`"),
]
ToDay = Annotated[
    Day | None, Query(alias="to", description="Last day (inclusive); default: today, or 29 days after `from`")
]
VehicleModel = Annotated[str | None, Query(max_length=40, description="Only conversions of this model code")]
City = Annotated[str | None, Query(max_length=60, description="Only conversions in this city code")]


class CreditOut(BaseModel):
    key: str
    conversions: float
    value: Decimal
    spend: Decimal
    cost_per_conversion: Decimal | None
    roas: Decimal | None


class AttributionOut(BaseModel):
    model: str
    order: int | None
    conversion: str
    by: str
    from_day: date
    to_day: date
    time_zone: str
    lookback_days: int
    currency: str
    conversions: int
    value: Decimal
    spend: Decimal
    cost_per_conversion: Decimal | None
    roas: Decimal | None
    rows: list[CreditOut]


class FunnelRowOut(BaseModel):
    key: str
    counts: dict[str, int]


class FunnelOut(BaseModel):
    by: str
    from_day: date
    to_day: date
    time_zone: str
    stages: list[str]
    rows: list[FunnelRowOut]
    totals: dict[str, int]


@router.get("/attribution", response_model=AttributionOut)
def get_attribution(
    request: Request,
    session: DbSession,
    user: MarketerUser,
    first_day: FromDay = None,
    last_day: ToDay = None,
    model: ModelName = "last_non_direct",
    order: Annotated[int | None, Query(ge=1, le=3, description="Markov chain order, 1-3 (markov only)")] = None,
    conversion: ConversionName = "test_drive_booked",
    by: Literal["channel", "campaign"] = "channel",
    lookback_days: Annotated[
        int | None,
        Query(
            ge=1,
            le=180,
            description="Touches count up to this many days before a conversion (1-180; default per conversion type)",
        ),
    ] = None,
    vehicle_model: VehicleModel = None,
    city: City = None,
) -> AttributionOut:
    """Credit per channel or campaign for one conversion type, model and period, with spend, cost per conversion
    and ROAS (credited value / spend)."""
    query = attribution_query.check_query(
        first_day=first_day,
        last_day=last_day,
        conversion=conversion,
        model=model,
        order=order,
        by=by,
        lookback_days=lookback_days,
        zone=request.app.state.settings.time_zone,
        vehicle_model=vehicle_model,
        city=city,
    )
    report = attribution_service.attribution_report(session, query)
    return AttributionOut(
        model=query.model,
        order=query.order if query.model == "markov" else None,
        conversion=query.conversion,
        by=query.by,
        from_day=query.period.first_day,
        to_day=query.period.last_day,
        time_zone=query.period.zone,
        lookback_days=query.lookback.days,
        currency=report.currency,
        conversions=report.conversions,
        value=report.value,
        spend=report.spend,
        cost_per_conversion=report.cost_per_conversion,
        roas=report.roas,
        rows=[CreditOut(**row.__dict__) for row in report.rows],
    )


@router.get("/marketing/funnel", response_model=FunnelOut)
def get_funnel(
    request: Request,
    session: DbSession,
    user: MarketerUser,
    first_day: FromDay = None,
    last_day: ToDay = None,
    by: Literal["channel", "city", "model"] = "channel",
    vehicle_model: VehicleModel = None,
    city: City = None,
) -> FunnelOut:
    """People who reached each stage (visit, vehicle view, test drive booked, credit application, order) in the
    period, by their first channel, their city or the first model they viewed."""
    query = attribution_query.check_query(
        first_day=first_day,
        last_day=last_day,
        conversion="test_drive_booked",
        model="last_non_direct",
        order=None,
        by="channel",
        zone=request.app.state.settings.time_zone,
        vehicle_model=vehicle_model,
        city=city,
    )
    part = dashboard.funnel(session, query.period, by, vehicle_model=query.vehicle_model, city=query.city)
    stages = list(dashboard.FUNNEL_STAGES)
    return FunnelOut(
        by=by,
        from_day=query.period.first_day,
        to_day=query.period.last_day,
        time_zone=query.period.zone,
        stages=stages,
        rows=[FunnelRowOut(key=r.key, counts=dict(zip(stages, r.counts, strict=True))) for r in part.rows],
        totals=dict(zip(stages, part.totals, strict=True)),
    )
