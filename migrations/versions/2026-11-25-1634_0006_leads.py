"""leads: leads (one open lead per person), their timeline and follow-up tasks, stored scoring models

Revision ID: 0006_leads
Revises: 0005_marketing
Create Date: 2026-11-25 16:34:38.266793
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_leads"
down_revision = "0005_marketing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_scoring_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("training_rows", sa.Integer(), nullable=False),
        sa.Column("held_out_rows", sa.Integer(), nullable=False),
        sa.Column("held_out_auc", sa.Float(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_scoring_models")),
        sa.UniqueConstraint("version", name=op.f("uq_lead_scoring_models_version")),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("person_kind", sa.String(length=10), nullable=False),
        sa.Column("person_key", sa.String(length=100), nullable=False),
        sa.Column("open_person_key", sa.String(length=100), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("visitor_id", sa.String(length=64), nullable=True),
        sa.Column("mobile_index", sa.String(length=64), nullable=True),
        sa.Column("email_index", sa.String(length=64), nullable=True),
        sa.Column("name_enc", sa.Text(), nullable=True),
        sa.Column("mobile_enc", sa.Text(), nullable=True),
        sa.Column("email_enc", sa.Text(), nullable=True),
        sa.Column("name_masked", sa.String(length=80), nullable=True),
        sa.Column("mobile_masked", sa.String(length=40), nullable=True),
        sa.Column("email_masked", sa.String(length=120), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("routed_by", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("model_code", sa.String(length=40), nullable=True),
        sa.Column("city", sa.String(length=60), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("vehicle_views", sa.Integer(), nullable=False),
        sa.Column("calculator_uses", sa.Integer(), nullable=False),
        sa.Column("configurator_uses", sa.Integer(), nullable=False),
        sa.Column("quote_requests", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("test_drive_booked", sa.Boolean(), nullable=False),
        sa.Column("test_drive_taken", sa.Boolean(), nullable=False),
        sa.Column("credit_applied", sa.Boolean(), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_contact_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_contacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lost_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "person_kind IN ('user', 'contact', 'visitor', 'demo')", name=op.f("ck_leads_person_kind_valid")
        ),
        sa.CheckConstraint("status <> 'lost' OR lost_reason IS NOT NULL", name=op.f("ck_leads_lost_has_reason")),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'test_drive', 'application', 'won', 'lost')",
            name=op.f("ck_leads_status_valid"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('won', 'lost') OR closed_at IS NOT NULL", name=op.f("ck_leads_closed_has_time")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["marketing_campaigns.id"],
            name=op.f("fk_leads_campaign_id_marketing_campaigns"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_leads_store_id_stores")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_leads_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("open_person_key", name=op.f("uq_leads_open_person_key")),
        sa.UniqueConstraint("reference", name=op.f("uq_leads_reference")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index("ix_leads_email_index", ["email_index"], unique=False)
        batch_op.create_index("ix_leads_mobile_index", ["mobile_index"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_person_key"), ["person_key"], unique=False)
        batch_op.create_index("ix_leads_store_status", ["store_id", "status"], unique=False)
        batch_op.create_index("ix_leads_user_id", ["user_id"], unique=False)
        batch_op.create_index("ix_leads_visitor_id", ["visitor_id"], unique=False)

    op.create_table(
        "lead_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("event_type", sa.String(length=30), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("message_enc", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_lead_activities_actor_user_id_users")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["marketing_events.id"],
            name=op.f("fk_lead_activities_event_id_marketing_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_activities_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_activities")),
    )
    with op.batch_alter_table("lead_activities", schema=None) as batch_op:
        batch_op.create_index("ix_lead_activities_lead_at", ["lead_id", "at"], unique=False)

    op.create_table(
        "lead_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "kind IN ('first_contact', 'propose_test_drive', 'test_drive_follow_up', 'application_follow_up')",
            name=op.f("ck_lead_tasks_kind_valid"),
        ),
        sa.CheckConstraint("state IN ('open', 'done', 'cancelled')", name=op.f("ck_lead_tasks_state_valid")),
        sa.ForeignKeyConstraint(["completed_by"], ["users.id"], name=op.f("fk_lead_tasks_completed_by_users")),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_tasks_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_lead_tasks_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_tasks")),
    )
    with op.batch_alter_table("lead_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_lead_tasks_lead_id", ["lead_id"], unique=False)
        batch_op.create_index("ix_lead_tasks_store_state_due", ["store_id", "state", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lead_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_tasks_store_state_due")
        batch_op.drop_index("ix_lead_tasks_lead_id")

    op.drop_table("lead_tasks")
    with op.batch_alter_table("lead_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_activities_lead_at")

    op.drop_table("lead_activities")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_visitor_id")
        batch_op.drop_index("ix_leads_user_id")
        batch_op.drop_index("ix_leads_store_status")
        batch_op.drop_index(batch_op.f("ix_leads_person_key"))
        batch_op.drop_index("ix_leads_mobile_index")
        batch_op.drop_index("ix_leads_email_index")

    op.drop_table("leads")
    op.drop_table("lead_scoring_models")
