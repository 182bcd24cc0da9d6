"""marketing: campaigns, daily spend, visitors (consent, stitching), events; outbox carries platform events

Revision ID: 0005_marketing
Revises: 0004_finance
Create Date: 2026-11-25 16:27:50.286240
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_marketing"
down_revision = "0004_finance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "marketing_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("utm_source", sa.String(length=100), nullable=False),
        sa.Column("utm_medium", sa.String(length=100), nullable=False),
        sa.Column("utm_campaign", sa.String(length=100), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("target_models", sa.JSON(), nullable=False),
        sa.Column("target_cities", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('search', 'social', 'display', 'video', 'marketplace', 'email', 'sms', 'referral', 'direct', 'offline_event')",
            name=op.f("ck_marketing_campaigns_channel_valid"),
        ),
        sa.CheckConstraint("budget >= 0", name=op.f("ck_marketing_campaigns_budget_not_negative")),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_marketing_campaigns_dates_ordered")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_campaigns")),
        sa.UniqueConstraint("code", name=op.f("uq_marketing_campaigns_code")),
        sa.UniqueConstraint("utm_source", "utm_medium", "utm_campaign", name="uq_marketing_campaigns_utm"),
    )
    op.create_table(
        "marketing_campaign_spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_marketing_campaign_spend_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["marketing_campaigns.id"],
            name=op.f("fk_marketing_campaign_spend_campaign_id_marketing_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_campaign_spend")),
        sa.UniqueConstraint("campaign_id", "day", name="uq_marketing_campaign_spend_day"),
    )
    op.create_table(
        "marketing_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("visitor_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("model_code", sa.String(length=40), nullable=True),
        sa.Column("city", sa.String(length=60), nullable=True),
        sa.Column("store_code", sa.String(length=40), nullable=True),
        sa.Column("subject", sa.String(length=40), nullable=True),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "channel IS NULL OR channel IN ('search', 'social', 'display', 'video', 'marketplace', 'email', 'sms', 'referral', 'direct', 'offline_event')",
            name=op.f("ck_marketing_events_channel_valid"),
        ),
        sa.CheckConstraint(
            "source IN ('api', 'import', 'platform', 'demo')", name=op.f("ck_marketing_events_source_valid")
        ),
        sa.CheckConstraint(
            "type IN ('impression', 'click', 'visit', 'vehicle_view', 'calculator_use', 'configurator_use', 'quote_request', 'contact', 'test_drive_booked', 'test_drive_taken', 'credit_application', 'order')",
            name=op.f("ck_marketing_events_type_valid"),
        ),
        sa.CheckConstraint("value IS NULL OR value >= 0", name=op.f("ck_marketing_events_value_not_negative")),
        sa.CheckConstraint(
            "visitor_id IS NOT NULL OR user_id IS NOT NULL", name=op.f("ck_marketing_events_has_person")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["marketing_campaigns.id"],
            name=op.f("fk_marketing_events_campaign_id_marketing_campaigns"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_marketing_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_marketing_events_event_id")),
    )
    with op.batch_alter_table("marketing_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marketing_events_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index("ix_marketing_events_type_occurred_at", ["type", "occurred_at"], unique=False)
        batch_op.create_index("ix_marketing_events_user_occurred_at", ["user_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_marketing_events_visitor_occurred_at", ["visitor_id", "occurred_at"], unique=False)

    op.create_table(
        "marketing_visitors",
        sa.Column("visitor_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("consent", sa.String(length=10), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stitched_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "consent IS NULL OR consent IN ('granted', 'declined')", name=op.f("ck_marketing_visitors_consent_valid")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_marketing_visitors_user_id_users")),
        sa.PrimaryKeyConstraint("visitor_id", name=op.f("pk_marketing_visitors")),
    )
    with op.batch_alter_table("marketing_visitors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marketing_visitors_user_id"), ["user_id"], unique=False)

    _outbox_channels("'email', 'sms', 'event'")


def _outbox_channels(values: str) -> None:
    # SQLite cannot alter a CHECK constraint in place; batch mode recreates the table there.
    with op.batch_alter_table("outbox_messages", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_messages_channel_valid"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_outbox_messages_channel_valid"), f"channel IN ({values})")


def downgrade() -> None:
    op.execute("DELETE FROM outbox_messages WHERE channel = 'event'")
    _outbox_channels("'email', 'sms'")
    with op.batch_alter_table("marketing_visitors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marketing_visitors_user_id"))

    op.drop_table("marketing_visitors")
    with op.batch_alter_table("marketing_events", schema=None) as batch_op:
        batch_op.drop_index("ix_marketing_events_visitor_occurred_at")
        batch_op.drop_index("ix_marketing_events_user_occurred_at")
        batch_op.drop_index("ix_marketing_events_type_occurred_at")
        batch_op.drop_index(batch_op.f("ix_marketing_events_campaign_id"))

    op.drop_table("marketing_events")
    op.drop_table("marketing_campaign_spend")
    op.drop_table("marketing_campaigns")
