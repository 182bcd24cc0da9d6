"""subscription conversion: a subscription bought by its subscriber ends 'converted', naming the order that sells
them the car and the purchase credit applied in it

Revision ID: 0019_subscription_conversion
Revises: 0018_subscription_handover
Create Date: 2026-12-12 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_subscription_conversion"
down_revision = "0018_subscription_handover"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('active', 'paused', 'ending', 'ended')"
NEW_STATUSES = "status IN ('active', 'paused', 'ending', 'ended', 'converted')"


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversion_order_reference", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("conversion_credit", sa.BigInteger(), nullable=True))
        batch_op.drop_constraint(op.f("ck_subscriptions_status_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_subscriptions_status_valid"), sa.text(NEW_STATUSES))


def downgrade() -> None:
    # A converted subscription has ended like any other: its order lives on in finance.
    op.execute("UPDATE subscriptions SET status = 'ended' WHERE status = 'converted'")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_subscriptions_status_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_subscriptions_status_valid"), sa.text(OLD_STATUSES))
        batch_op.drop_column("conversion_credit")
        batch_op.drop_column("conversion_order_reference")
