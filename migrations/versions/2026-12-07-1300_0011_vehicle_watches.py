"""vehicle watches: one open watch per car while it is out, and the alerts its rules raised (once per key)

Revision ID: 0011_vehicle_watches
Revises: 0010_telematics
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_vehicle_watches"
down_revision = "0010_telematics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vehicle_watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("return_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("codes_at_start", sa.JSON(), nullable=False),
        sa.Column("odometer_start_m", sa.BigInteger(), nullable=True),
        sa.Column("notify", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_vehicle_watches_vehicle_id_vehicles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_vehicle_watches_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_watches")),
        sa.UniqueConstraint("subject", name=op.f("uq_vehicle_watches_subject")),
    )
    op.create_index(op.f("ix_vehicle_watches_vehicle_id"), "vehicle_watches", ["vehicle_id"])
    op.create_index(
        "uq_vehicle_watches_open",
        "vehicle_watches",
        ["vehicle_id"],
        unique=True,
        postgresql_where=sa.text("closed_at IS NULL"),
        sqlite_where=sa.text("closed_at IS NULL"),
    )
    op.create_table(
        "watch_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watch_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["watch_id"],
            ["vehicle_watches.id"],
            name=op.f("fk_watch_alerts_watch_id_vehicle_watches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_alerts")),
        sa.UniqueConstraint("watch_id", "key", name="uq_watch_alerts_watch_key"),
    )


def downgrade() -> None:
    op.drop_table("watch_alerts")
    op.drop_index("uq_vehicle_watches_open", table_name="vehicle_watches")
    op.drop_index(op.f("ix_vehicle_watches_vehicle_id"), table_name="vehicle_watches")
    op.drop_table("vehicle_watches")
