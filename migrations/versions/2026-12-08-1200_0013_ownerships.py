"""ownerships: who owns which car (one current ownership per VIN), its contract, lease pace warnings sent once, and a
per-program excess-km rate (default 0.50, the figure every lease used before)

Revision ID: 0013_ownerships
Revises: 0012_job_runs
Create Date: 2026-12-08 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_ownerships"
down_revision = "0012_job_runs"
branch_labels = None
depends_on = None

CURRENT = sa.text("status = 'current'")


def upgrade() -> None:
    with op.batch_alter_table("rate_programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("excess_km_rate", sa.Numeric(precision=6, scale=4), server_default=sa.text("0.5"), nullable=False)
        )
    op.create_table(
        "ownerships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("model_code", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("order_reference", sa.String(length=12), nullable=True),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("start_odometer_km", sa.Integer(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=12), nullable=True),
        sa.Column("end_odometer_km", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('current', 'transferred', 'ended')", name=op.f("ck_ownerships_status_valid")),
        sa.CheckConstraint("source IN ('order', 'registered', 'transfer')", name=op.f("ck_ownerships_source_valid")),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('transferred', 'returned', 'sold_back')",
            name=op.f("ck_ownerships_end_valid"),
        ),
        sa.CheckConstraint("start_odometer_km >= 0", name=op.f("ck_ownerships_odometer_non_negative")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_ownerships_vehicle_id_vehicles")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_ownerships_user_id_users")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_ownerships_store_id_stores")),
        sa.ForeignKeyConstraint(["previous_id"], ["ownerships.id"], name=op.f("fk_ownerships_previous_id_ownerships")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_ownerships_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownerships")),
        sa.UniqueConstraint("reference", name=op.f("uq_ownerships_reference")),
    )
    with op.batch_alter_table("ownerships", schema=None) as batch_op:
        batch_op.create_index(
            "uq_ownerships_current_vin", ["vin"], unique=True, postgresql_where=CURRENT, sqlite_where=CURRENT
        )
        batch_op.create_index("ix_ownerships_vin", ["vin", "started_on"], unique=False)
        batch_op.create_index("ix_ownerships_user", ["user_id", "status"], unique=False)
        batch_op.create_index("ix_ownerships_store", ["store_id", "status"], unique=False)
    op.create_table(
        "ownership_contracts",
        sa.Column("ownership_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("down_payment", sa.BigInteger(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("monthly_payment", sa.BigInteger(), nullable=False),
        sa.Column("annual_rate", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("money_factor", sa.Numeric(precision=10, scale=8), nullable=True),
        sa.Column("balloon", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("residual_value", sa.BigInteger(), nullable=False),
        sa.Column("disposition_fee", sa.BigInteger(), nullable=False),
        sa.Column("purchase_option_fee", sa.BigInteger(), nullable=False),
        sa.Column("annual_allowance_km", sa.Integer(), nullable=True),
        sa.Column("excess_km_rate", sa.Numeric(precision=6, scale=4), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("delivery_odometer_km", sa.Integer(), nullable=False),
        sa.Column("quote_reference", sa.String(length=12), nullable=True),
        sa.Column("program", sa.JSON(), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "product IN ('cash', 'loan', 'balloon', 'lease', 'lease_to_own')",
            name=op.f("ck_ownership_contracts_product_valid"),
        ),
        sa.CheckConstraint("term_months BETWEEN 0 AND 120", name=op.f("ck_ownership_contracts_term_range")),
        sa.ForeignKeyConstraint(
            ["ownership_id"], ["ownerships.id"], name=op.f("fk_ownership_contracts_ownership_id_ownerships")
        ),
        sa.PrimaryKeyConstraint("ownership_id", name=op.f("pk_ownership_contracts")),
    )
    op.create_table(
        "lease_pace_warnings",
        sa.Column("ownership_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("projected_km", sa.Integer(), nullable=False),
        sa.Column("allowance_km", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.CheckConstraint("threshold IN (10, 20)", name=op.f("ck_lease_pace_warnings_threshold_valid")),
        sa.ForeignKeyConstraint(
            ["ownership_id"], ["ownerships.id"], name=op.f("fk_lease_pace_warnings_ownership_id_ownerships")
        ),
        sa.PrimaryKeyConstraint("ownership_id", "threshold", name=op.f("pk_lease_pace_warnings")),
    )


def downgrade() -> None:
    op.drop_table("lease_pace_warnings")
    op.drop_table("ownership_contracts")
    with op.batch_alter_table("ownerships", schema=None) as batch_op:
        batch_op.drop_index("ix_ownerships_store")
        batch_op.drop_index("ix_ownerships_user")
        batch_op.drop_index("ix_ownerships_vin")
        batch_op.drop_index("uq_ownerships_current_vin", postgresql_where=CURRENT, sqlite_where=CURRENT)
    op.drop_table("ownerships")
    with op.batch_alter_table("rate_programs", schema=None) as batch_op:
        batch_op.drop_column("excess_km_rate")
