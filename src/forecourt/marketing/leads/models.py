"""Lead tables: one lead per interested person (while open), its timeline, its follow-up tasks, and the stored
scoring models (plain JSON numbers, never a pickle).

`open_person_key` holds the person key while the lead is open and NULL once it is won or lost: its unique index
is the database's guarantee of "one open lead per person", on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, UTCDateTime
from forecourt.marketing.leads.pipeline import STAGES, TASK_KINDS, TASK_STATES
from forecourt.marketing.vocabulary import sql_in

PERSON_KINDS = ("user", "contact", "visitor", "demo")


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(STAGES)})", name="status_valid"),
        CheckConstraint(f"person_kind IN ({sql_in(PERSON_KINDS)})", name="person_kind_valid"),
        CheckConstraint("status NOT IN ('won', 'lost') OR closed_at IS NOT NULL", name="closed_has_time"),
        CheckConstraint("status <> 'lost' OR lost_reason IS NOT NULL", name="lost_has_reason"),
        Index("ix_leads_store_status", "store_id", "status"),
        Index("ix_leads_user_id", "user_id"),
        Index("ix_leads_visitor_id", "visitor_id"),
        Index("ix_leads_mobile_index", "mobile_index"),
        Index("ix_leads_email_index", "email_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    person_kind: Mapped[str] = mapped_column(String(10))
    person_key: Mapped[str] = mapped_column(String(100), index=True)
    open_person_key: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    visitor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    mobile_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Contact details from the contact form: encrypted (core.crypto), with masks for everyone else.
    name_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    mobile_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    name_masked: Mapped[str | None] = mapped_column(String(80), nullable=True)
    mobile_masked: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email_masked: Mapped[str | None] = mapped_column(String(120), nullable=True)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    routed_by: Mapped[str] = mapped_column(String(20))  # event_store, city_model, city, default
    source: Mapped[str] = mapped_column(String(30))  # the type of the event that created the lead
    channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("marketing_campaigns.id", ondelete="SET NULL"), nullable=True
    )
    model_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    city: Mapped[str | None] = mapped_column(String(60), nullable=True)
    distance_km: Mapped[float | None] = mapped_column(Float, nullable=True)

    # What the person did (the scoring features); counted from their events.
    vehicle_views: Mapped[int] = mapped_column(Integer, default=0)
    calculator_uses: Mapped[int] = mapped_column(Integer, default=0)
    configurator_uses: Mapped[int] = mapped_column(Integer, default=0)
    quote_requests: Mapped[int] = mapped_column(Integer, default=0)
    contacts: Mapped[int] = mapped_column(Integer, default=0)
    test_drive_booked: Mapped[bool] = mapped_column(default=False)
    test_drive_taken: Mapped[bool] = mapped_column(default=False)
    credit_applied: Mapped[bool] = mapped_column(default=False)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_contact_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lost_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class LeadActivity(Base):
    """One line of a lead's timeline: an event of the person, a stage change, a contact, a task done."""

    __tablename__ = "lead_activities"
    __table_args__ = (Index("ix_lead_activities_lead_at", "lead_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))  # event, stage, contacted, task_done, created
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    event_type: Mapped[str | None] = mapped_column(String(30), nullable=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("marketing_events.id", ondelete="SET NULL"), nullable=True)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    message_enc: Mapped[str | None] = mapped_column(Text, nullable=True)  # a contact form's message, encrypted


class LeadTask(Base):
    __tablename__ = "lead_tasks"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(TASK_KINDS)})", name="kind_valid"),
        CheckConstraint(f"state IN ({sql_in(TASK_STATES)})", name="state_valid"),
        Index("ix_lead_tasks_store_state_due", "store_id", "state", "due_at"),
        Index("ix_lead_tasks_lead_id", "lead_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    kind: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(10), default="open")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)


class LeadScoringModel(Base):
    """A trained logistic regression as numbers: the latest version scores open leads."""

    __tablename__ = "lead_scoring_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    training_rows: Mapped[int] = mapped_column(Integer)
    held_out_rows: Mapped[int] = mapped_column(Integer)
    held_out_auc: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(Integer)
    # {"feature_names": [...], "coefficients": [...], "intercept": x, "means": [...], "scales": [...]}
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
