"""reset grants: a reset link, once opened, is exchanged for a browser-bound grant (opened_at, grant_hash)

Revision ID: 0007_reset_grants
Revises: 0007_privacy_at_rest
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_reset_grants"
down_revision = "0007_privacy_at_rest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("password_reset_tokens") as batch:
        batch.add_column(sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("grant_hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f("uq_password_reset_tokens_grant_hash"), ["grant_hash"])


def downgrade() -> None:
    with op.batch_alter_table("password_reset_tokens") as batch:
        batch.drop_constraint(op.f("uq_password_reset_tokens_grant_hash"), type_="unique")
        batch.drop_column("grant_hash")
        batch.drop_column("opened_at")
