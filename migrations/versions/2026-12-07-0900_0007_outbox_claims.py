"""outbox claims: a relay claims messages (token and lease) before sending them; a partial index of unsent ones

Revision ID: 0007_outbox_claims
Revises: 0007_account_enumeration
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_outbox_claims"
down_revision = "0007_account_enumeration"
branch_labels = None
depends_on = None

UNSENT = sa.text("sent_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index("ix_outbox_messages_unsent")
        batch_op.create_index(
            "ix_outbox_messages_pending",
            ["id", "claimed_until"],
            unique=False,
            postgresql_where=UNSENT,
            sqlite_where=UNSENT,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_pending", postgresql_where=UNSENT, sqlite_where=UNSENT)
        batch_op.create_index("ix_outbox_messages_unsent", ["sent_at", "id"], unique=False)
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claim_token")
