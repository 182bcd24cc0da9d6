"""subscription handover: how the first car reaches the subscriber (collected at the store, or delivered), and the
delivery address, encrypted like every other address Forecourt keeps

Revision ID: 0018_subscription_handover
Revises: 0017_subscriptions
Create Date: 2026-12-12 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_subscription_handover"
down_revision = "0017_subscriptions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Subscriptions made before this were all collected at the store.
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("handover", sa.String(length=8), server_default=sa.text("'pickup'"), nullable=False)
        )
        batch_op.add_column(sa.Column("delivery_address_enc", sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_subscriptions_handover_valid"),
            sa.text(
                "(handover = 'pickup' AND delivery_address_enc IS NULL) "
                "OR (handover = 'delivery' AND delivery_address_enc IS NOT NULL)"
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_subscriptions_handover_valid"), type_="check")
        batch_op.drop_column("delivery_address_enc")
        batch_op.drop_column("handover")
