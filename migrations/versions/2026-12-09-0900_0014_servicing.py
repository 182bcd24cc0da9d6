"""servicing: schedule tables, services done, reminders and fault visits (each once), service bays, advisors, job
types and jobs (no two jobs in one bay at once), recall campaigns and their notices (each once); the default
schedule table and job types are seeded here

Revision ID: 0014_servicing
Revises: 0013_ownerships
Create Date: 2026-12-09 09:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014_servicing"
down_revision = "0013_ownerships"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recall_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("remedy_en", sa.Text(), nullable=False),
        sa.Column("remedy_zh", sa.Text(), nullable=False),
        sa.Column("target_kind", sa.String(length=12), nullable=False),
        sa.Column("vins", sa.JSON(), nullable=False),
        sa.Column("vin_from", sa.String(length=17), nullable=False),
        sa.Column("vin_to", sa.String(length=17), nullable=False),
        sa.Column("model_code", sa.String(length=40), nullable=False),
        sa.Column("year_from", sa.Integer(), nullable=True),
        sa.Column("year_to", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "target_kind IN ('vins', 'vin_range', 'model_year')", name=op.f("ck_recall_campaigns_target_kind_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_campaigns")),
        sa.UniqueConstraint("code", name=op.f("uq_recall_campaigns_code")),
    )
    op.create_table(
        "service_fault_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("fault_opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("suggested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_fault_visits")),
        sa.UniqueConstraint("vin", "code", "fault_opened_at", name="uq_service_fault_visits_once"),
    )
    op.create_table(
        "service_job_types",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_en", sa.String(length=60), nullable=False),
        sa.Column("name_zh", sa.String(length=60), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint("minutes > 0 AND minutes <= 600", name=op.f("ck_service_job_types_minutes_valid")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_service_job_types")),
    )
    op.create_table(
        "service_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("odometer_km", sa.Integer(), nullable=False),
        sa.Column("periodic", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_records")),
        sa.UniqueConstraint("reference", name=op.f("uq_service_records_reference")),
    )
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.create_index("ix_service_records_vin_day", ["vin", "done_on"], unique=False)

    op.create_table(
        "service_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("service_key", sa.String(length=40), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stage IN ('notice', 'soon', 'due')", name=op.f("ck_service_reminders_stage_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_reminders")),
        sa.UniqueConstraint("vin", "service_key", "stage", name="uq_service_reminders_once"),
    )
    op.create_table(
        "service_schedule_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_code", sa.String(length=40), nullable=False),
        sa.Column("powertrain", sa.String(length=10), nullable=False),
        sa.Column("first_km", sa.Integer(), nullable=False),
        sa.Column("first_months", sa.Integer(), nullable=False),
        sa.Column("every_km", sa.Integer(), nullable=False),
        sa.Column("every_months", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "first_km > 0 AND every_km > 0 AND first_months > 0 AND every_months > 0",
            name=op.f("ck_service_schedule_plans_intervals_positive"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_schedule_plans")),
        sa.UniqueConstraint("model_code", "powertrain", name="uq_service_schedule_plans_key"),
    )
    op.create_table(
        "recall_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fixed_by_job", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_notices_campaign_id_recall_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_notices")),
        sa.UniqueConstraint("campaign_id", "vin", name="uq_recall_notices_once"),
    )
    with op.batch_alter_table("recall_notices", schema=None) as batch_op:
        batch_op.create_index("ix_recall_notices_vin", ["vin"], unique=False)

    op.create_table(
        "service_advisors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_service_advisors_store_id_stores"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_service_advisors_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_advisors")),
        sa.UniqueConstraint("store_id", "name", name="uq_service_advisors_store_name"),
    )
    op.create_table(
        "service_bays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_service_bays_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_bays")),
        sa.UniqueConstraint("store_id", "code", name="uq_service_bays_store_code"),
    )
    op.create_table(
        "service_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("bay_id", sa.Integer(), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=True),
        sa.Column("job_type", sa.String(length=20), nullable=False),
        sa.Column("recall_campaign_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drop_off_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pick_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("contact_mobile", sa.String(length=11), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=False),
        sa.Column("odometer_km", sa.Integer(), nullable=True),
        sa.Column("work_done", sa.Text(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("next_due_km", sa.Integer(), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('held', 'confirmed', 'completed', 'cancelled', 'expired')",
            name=op.f("ck_service_jobs_status_valid"),
        ),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_service_jobs_cost_non_negative")),
        sa.CheckConstraint(
            "drop_off_at <= starts_at AND pick_up_at >= ends_at", name=op.f("ck_service_jobs_hand_over_around_work")
        ),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_service_jobs_times_ordered")),
        sa.ForeignKeyConstraint(
            ["advisor_id"], ["service_advisors.id"], name=op.f("fk_service_jobs_advisor_id_service_advisors")
        ),
        sa.ForeignKeyConstraint(["bay_id"], ["service_bays.id"], name=op.f("fk_service_jobs_bay_id_service_bays")),
        sa.ForeignKeyConstraint(["completed_by"], ["users.id"], name=op.f("fk_service_jobs_completed_by_users")),
        sa.ForeignKeyConstraint(
            ["job_type"], ["service_job_types.code"], name=op.f("fk_service_jobs_job_type_service_job_types")
        ),
        sa.ForeignKeyConstraint(["owner_user_id"], ["users.id"], name=op.f("fk_service_jobs_owner_user_id_users")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_service_jobs_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_jobs")),
        sa.UniqueConstraint("reference", name=op.f("uq_service_jobs_reference")),
    )
    with op.batch_alter_table("service_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_service_jobs_bay_time", ["bay_id", "starts_at"], unique=False)
        batch_op.create_index("ix_service_jobs_held", ["status", "hold_expires_at"], unique=False)
        batch_op.create_index("ix_service_jobs_owner", ["owner_user_id", "starts_at"], unique=False)
        batch_op.create_index("ix_service_jobs_store_time", ["store_id", "starts_at"], unique=False)
        batch_op.create_index("ix_service_jobs_vin", ["vin", "starts_at"], unique=False)

    # The defaults (docs/ownership.md "Service schedules"): China dealer practice for every car, a yearly
    # inspection for battery-electric cars; '' is "every" (a unique key cannot hold NULLs as equal).
    plans = sa.table(
        "service_schedule_plans",
        sa.column("model_code", sa.String),
        sa.column("powertrain", sa.String),
        sa.column("first_km", sa.Integer),
        sa.column("first_months", sa.Integer),
        sa.column("every_km", sa.Integer),
        sa.column("every_months", sa.Integer),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    seeded = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)
    op.bulk_insert(
        plans,
        [
            {
                "model_code": "",
                "powertrain": "",
                "first_km": 5000,
                "first_months": 3,
                "every_km": 10000,
                "every_months": 6,
                "updated_at": seeded,
            },
            {
                "model_code": "",
                "powertrain": "bev",
                "first_km": 10000,
                "first_months": 12,
                "every_km": 20000,
                "every_months": 12,
                "updated_at": seeded,
            },
        ],
    )
    job_types = sa.table(
        "service_job_types",
        sa.column("code", sa.String),
        sa.column("name_en", sa.String),
        sa.column("name_zh", sa.String),
        sa.column("minutes", sa.Integer),
    )
    op.bulk_insert(
        job_types,
        [
            {"code": "periodic_service", "name_en": "Periodic service", "name_zh": "定期保养", "minutes": 120},
            {"code": "repair", "name_en": "Repair", "name_zh": "维修", "minutes": 180},
            {"code": "tyres", "name_en": "Tyres", "name_zh": "轮胎", "minutes": 60},
            {"code": "recall", "name_en": "Recall work", "name_zh": "召回维修", "minutes": 120},
        ],
    )

    if op.get_bind().dialect.name == "postgresql":
        # No two jobs in one bay at once, enforced by PostgreSQL itself as for test-drive cars; SQLite has no such
        # constraint, so there the use case checks inside a BEGIN IMMEDIATE transaction (service_bookings/models.py).
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE service_jobs ADD CONSTRAINT ex_service_jobs_no_overlap "
            "EXCLUDE USING gist (bay_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            "WHERE (status IN ('held', 'confirmed'))"
        )


def downgrade() -> None:
    with op.batch_alter_table("service_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_service_jobs_vin")
        batch_op.drop_index("ix_service_jobs_store_time")
        batch_op.drop_index("ix_service_jobs_owner")
        batch_op.drop_index("ix_service_jobs_held")
        batch_op.drop_index("ix_service_jobs_bay_time")

    op.drop_table("service_jobs")
    op.drop_table("service_bays")
    op.drop_table("service_advisors")
    with op.batch_alter_table("recall_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_recall_notices_vin")

    op.drop_table("recall_notices")
    op.drop_table("service_schedule_plans")
    op.drop_table("service_reminders")
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.drop_index("ix_service_records_vin_day")

    op.drop_table("service_records")
    op.drop_table("service_job_types")
    op.drop_table("service_fault_visits")
    op.drop_table("recall_campaigns")
