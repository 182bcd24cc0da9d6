"""courtesy cars: a test-drive booking's purpose (a test drive or a service customer's courtesy loan, in the same
table so the one exclusion constraint keeps them apart), and the courtesy loan a service job holds

Revision ID: 0015_courtesy_cars
Revises: 0014_servicing
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_courtesy_cars"
down_revision = "0014_servicing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows are test drives; the exclusion constraint (0003) already covers every row whatever its purpose.
    with op.batch_alter_table("test_drive_bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=12), server_default=sa.text("'test_drive'"), nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_test_drive_bookings_purpose_valid"), sa.text("purpose IN ('test_drive', 'courtesy')")
        )
    with op.batch_alter_table("service_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("courtesy_loan_reference", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service_jobs", schema=None) as batch_op:
        batch_op.drop_column("courtesy_loan_reference")
    with op.batch_alter_table("test_drive_bookings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_test_drive_bookings_purpose_valid"), type_="check")
        batch_op.drop_column("purpose")
