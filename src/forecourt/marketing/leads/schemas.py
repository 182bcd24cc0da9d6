"""API shapes of the leads work (Pydantic v2)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from forecourt.marketing.leads.models import Lead, LeadActivity, LeadTask
from forecourt.marketing.leads.service import ContactDetails, LeadDetail, LeadView


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    vin: str = Field(max_length=17, description="The car asked about")
    name: str = Field(max_length=200)
    mobile: str | None = Field(default=None, max_length=40, description="A mainland mobile number")
    email: str | None = Field(default=None, max_length=200)
    message: str = Field(default="", max_length=2000)
    consent: bool = Field(description="Agreement to be contacted about this car; required")
    visitor_id: str | None = Field(default=None, max_length=64, description="The first-party visitor id, if any")


class ContactReceivedOut(BaseModel):
    status: str = "received"
    event_id: str


class FactorOut(BaseModel):
    feature: str
    label: str
    value: float
    contribution: float


class ContactOut(BaseModel):
    name: str | None
    mobile: str | None
    email: str | None
    revealed: bool


class LeadOut(BaseModel):
    reference: str
    status: str
    store_code: str
    routed_by: str
    source: str
    channel: str | None
    model_code: str | None
    city: str | None
    created_at: datetime
    first_contact_due_at: datetime
    first_contacted_at: datetime | None
    overdue: bool
    closed_at: datetime | None
    lost_reason: str | None
    score: int | None
    top_factors: list[FactorOut]
    contact: ContactOut


class ActivityOut(BaseModel):
    at: datetime
    kind: str
    event_type: str | None
    from_status: str | None
    to_status: str | None
    note: str | None


class TaskOut(BaseModel):
    id: int
    lead_reference: str
    kind: str
    state: str
    due_at: datetime
    overdue: bool
    completed_at: datetime | None


class LeadDetailOut(LeadOut):
    timeline: list[ActivityOut]
    tasks: list[TaskOut]


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(max_length=20, description="new, contacted, test_drive, application, won or lost")
    reason: str = Field(default="", max_length=500, description="Required for lost, and for an admin's move back")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=500)


class ScoringModelOut(BaseModel):
    version: int
    trained_at: datetime
    training_rows: int
    held_out_rows: int
    held_out_auc: float
    features: list[str]
    coefficients: list[float]


def factor_out(view: LeadView) -> list[FactorOut]:
    return [
        FactorOut(feature=f.feature, label=f.label, value=f.value, contribution=round(f.contribution, 4))
        for f in view.top_factors
    ]


def lead_out(view: LeadView, contact: ContactDetails) -> LeadOut:
    lead: Lead = view.lead
    return LeadOut(
        reference=lead.reference,
        status=lead.status,
        store_code=view.store.code,
        routed_by=lead.routed_by,
        source=lead.source,
        channel=lead.channel,
        model_code=lead.model_code,
        city=lead.city,
        created_at=lead.created_at,
        first_contact_due_at=lead.first_contact_due_at,
        first_contacted_at=lead.first_contacted_at,
        overdue=view.overdue,
        closed_at=lead.closed_at,
        lost_reason=lead.lost_reason,
        score=view.score.score if view.score else None,
        top_factors=factor_out(view),
        contact=ContactOut(**contact.__dict__),
    )


def task_out(task: LeadTask, reference: str, now: datetime) -> TaskOut:
    return TaskOut(
        id=task.id,
        lead_reference=reference,
        kind=task.kind,
        state=task.state,
        due_at=task.due_at,
        overdue=task.state == "open" and now > task.due_at,
        completed_at=task.completed_at,
    )


def activity_out(activity: LeadActivity) -> ActivityOut:
    return ActivityOut(
        at=activity.at,
        kind=activity.kind,
        event_type=activity.event_type,
        from_status=activity.from_status,
        to_status=activity.to_status,
        note=activity.note,
    )


def detail_out(detail: LeadDetail, contact: ContactDetails, now: datetime) -> LeadDetailOut:
    base = lead_out(detail.view, contact)
    return LeadDetailOut(
        **base.model_dump(),
        timeline=[activity_out(a) for a in detail.timeline],
        tasks=[task_out(t, detail.view.lead.reference, now) for t in detail.tasks],
    )
