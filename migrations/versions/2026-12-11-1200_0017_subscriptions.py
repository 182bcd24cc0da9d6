"""subscriptions: plans per model class, subscriptions, their segments (a class and car, or a pause) and invoices
(one per subscription and period)

Revision ID: 0017_subscriptions
Revises: 0016_fleet_pools_and_rentals
Create Date: 2026-12-11 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_subscriptions"
down_revision = "0016_fleet_pools_and_rentals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscription_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("monthly_price", sa.BigInteger(), nullable=False),
        sa.Column("km_per_month", sa.Integer(), nullable=False),
        sa.Column("per_km_over", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint("monthly_price > 0 AND per_km_over >= 0", name=op.f("ck_subscription_plans_amounts_valid")),
        sa.CheckConstraint("km_per_month >= 0", name=op.f("ck_subscription_plans_km_non_negative")),
        sa.ForeignKeyConstraint(
            ["class_id"], ["mobility_classes.id"], name=op.f("fk_subscription_plans_class_id_mobility_classes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_plans")),
        sa.UniqueConstraint("class_id", name=op.f("uq_subscription_plans_class_id")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("subscriber_user_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("minimum_until", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("billed_until", sa.Date(), nullable=True),
        sa.Column("km_carried", sa.Integer(), nullable=False),
        sa.Column("payment_method", sa.String(length=64), nullable=False),
        sa.Column("credit_score", sa.Integer(), nullable=True),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'ending', 'ended')", name=op.f("ck_subscriptions_status_valid")
        ),
        sa.CheckConstraint("km_carried >= 0", name=op.f("ck_subscriptions_km_carried_non_negative")),
        sa.ForeignKeyConstraint(
            ["subscriber_user_id"], ["users.id"], name=op.f("fk_subscriptions_subscriber_user_id_users")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_subscriptions_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("reference", name=op.f("uq_subscriptions_reference")),
    )
    op.create_index("ix_subscriptions_subscriber", "subscriptions", ["subscriber_user_id"], unique=False)
    op.create_index("ix_subscriptions_status", "subscriptions", ["status", "billed_until"], unique=False)
    op.create_table(
        "subscription_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("reservation_reference", sa.String(length=12), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("swap_fee", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "last_day IS NULL OR last_day >= first_day", name=op.f("ck_subscription_segments_days_ordered")
        ),
        sa.CheckConstraint("swap_fee >= 0", name=op.f("ck_subscription_segments_swap_fee_non_negative")),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_segments_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["mobility_classes.id"], name=op.f("fk_subscription_segments_class_id_mobility_classes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_segments")),
    )
    op.create_index(
        "ix_subscription_segments_subscription", "subscription_segments", ["subscription_id", "first_day"], unique=False
    )
    op.create_table(
        "subscription_invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("period_first_day", sa.Date(), nullable=False),
        sa.Column("period_last_day", sa.Date(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("km_driven", sa.Integer(), nullable=False),
        sa.Column("km_carried_out", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("total >= 0", name=op.f("ck_subscription_invoices_total_non_negative")),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_invoices_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_subscription_invoices_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_invoices")),
        sa.UniqueConstraint("subscription_id", "period_first_day", name="uq_subscription_invoices_period"),
    )


def downgrade() -> None:
    op.drop_table("subscription_invoices")
    op.drop_index("ix_subscription_segments_subscription", table_name="subscription_segments")
    op.drop_table("subscription_segments")
    op.drop_index("ix_subscriptions_status", table_name="subscriptions")
    op.drop_index("ix_subscriptions_subscriber", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_table("subscription_plans")
