"""sign-in locks of identifiers without an account; sign-up requests confirmed by email or SMS

Revision ID: 0007_account_enumeration
Revises: 0007_reset_grants
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_account_enumeration"
down_revision = "0007_reset_grants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_locks",
        sa.Column("identifier_digest", sa.String(length=64), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("identifier_digest", name=op.f("pk_sign_in_locks")),
    )
    op.create_table(
        "sign_up_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("mobile", sa.String(length=11), nullable=True),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("email IS NOT NULL OR mobile IS NOT NULL", name=op.f("ck_sign_up_requests_has_identifier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_up_requests")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_up_requests_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("sign_up_requests")
    op.drop_table("sign_in_locks")
