"""job runs: one row per (job, slot), inserted with ON CONFLICT DO NOTHING so each scheduled job runs once per slot

Revision ID: 0012_job_runs
Revises: 0011_vehicle_watches
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_job_runs"
down_revision = "0011_vehicle_watches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("runner", sa.String(length=120), nullable=False),
        sa.Column("outcome_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job", "slot_start", name=op.f("pk_job_runs")),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
