"""test drives, payments, driver verification, idempotency

Revision ID: 0003_testdrive
Revises: 0002_accounts
Create Date: 2026-11-25 13:59:24.025300
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_testdrive"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint("scope", "key", name="uq_idempotency_records_scope_key"),
    )
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_records_created_at"), ["created_at"], unique=False)

    op.create_table(
        "driver_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=40), nullable=False),
        sa.Column("id_number_masked", sa.String(length=18), nullable=False),
        sa.Column("id_number_digest", sa.String(length=64), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("licence_class", sa.String(length=4), nullable=False),
        sa.Column("licence_expiry", sa.Date(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("provider_reference", sa.String(length=80), nullable=False),
        sa.Column("refusal_reasons", sa.String(length=200), nullable=False),
        sa.Column("credit_score", sa.Integer(), nullable=True),
        sa.Column("credit_provider", sa.String(length=40), nullable=False),
        sa.Column("premium_member", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_driver_verifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_driver_verifications")),
        sa.UniqueConstraint("user_id", name=op.f("uq_driver_verifications_user_id")),
    )
    with op.batch_alter_table("driver_verifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_driver_verifications_id_number_digest"), ["id_number_digest"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("provider_reference", sa.String(length=80), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("refund_reference", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('captured', 'partially_refunded', 'refunded')", name=op.f("ck_payments_status_valid")
        ),
        sa.CheckConstraint(
            "amount > 0 AND refunded_amount >= 0 AND refunded_amount <= amount", name=op.f("ck_payments_amounts_valid")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_payments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("provider", "provider_reference", name="uq_payments_provider_reference"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "test_drive_settings",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_test_drive_settings_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_test_drive_settings")),
    )
    op.create_table(
        "test_drive_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("shopper_user_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocks_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("salesperson_user_id", sa.Integer(), nullable=True),
        sa.Column("client_ip", sa.String(length=45), nullable=False),
        sa.Column("contact_mobile", sa.String(length=11), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("deposit_kind", sa.String(length=10), nullable=False),
        sa.Column("deposit_reason", sa.String(length=40), nullable=False),
        sa.Column("deposit_amount", sa.BigInteger(), nullable=False),
        sa.Column("credit_score", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("pickup_code_hash", sa.String(length=64), nullable=True),
        sa.Column("pickup_code_failures", sa.Integer(), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_by", sa.Integer(), nullable=True),
        sa.Column("odometer_out_km", sa.Integer(), nullable=True),
        sa.Column("energy_out_percent", sa.Integer(), nullable=True),
        sa.Column("damage_out", sa.Text(), nullable=False),
        sa.Column("photos_out", sa.JSON(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_by", sa.Integer(), nullable=True),
        sa.Column("odometer_in_km", sa.Integer(), nullable=True),
        sa.Column("energy_in_percent", sa.Integer(), nullable=True),
        sa.Column("damage_in", sa.Text(), nullable=False),
        sa.Column("photos_in", sa.JSON(), nullable=False),
        sa.Column("late_fee", sa.BigInteger(), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=False),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follow_up_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "deposit_kind IN ('none', 'waived', 'deposit')", name=op.f("ck_test_drive_bookings_deposit_kind_valid")
        ),
        sa.CheckConstraint("kind IN ('accompanied', 'self_service')", name=op.f("ck_test_drive_bookings_kind_valid")),
        sa.CheckConstraint(
            "status IN ('held', 'confirmed', 'in_progress', 'completed', 'cancelled', 'no_show', 'expired')",
            name=op.f("ck_test_drive_bookings_status_valid"),
        ),
        sa.CheckConstraint(
            "deposit_amount >= 0 AND late_fee >= 0", name=op.f("ck_test_drive_bookings_amounts_non_negative")
        ),
        sa.CheckConstraint(
            "starts_at < ends_at AND ends_at <= blocks_until", name=op.f("ck_test_drive_bookings_times_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["checked_in_by"], ["users.id"], name=op.f("fk_test_drive_bookings_checked_in_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["checked_out_by"], ["users.id"], name=op.f("fk_test_drive_bookings_checked_out_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["vehicle_models.id"], name=op.f("fk_test_drive_bookings_model_id_vehicle_models")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_test_drive_bookings_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["salesperson_user_id"], ["users.id"], name=op.f("fk_test_drive_bookings_salesperson_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["shopper_user_id"], ["users.id"], name=op.f("fk_test_drive_bookings_shopper_user_id_users")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_test_drive_bookings_store_id_stores")),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_test_drive_bookings_vehicle_id_vehicles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_drive_bookings")),
        sa.UniqueConstraint("reference", name=op.f("uq_test_drive_bookings_reference")),
    )
    with op.batch_alter_table("test_drive_bookings", schema=None) as batch_op:
        batch_op.create_index("ix_test_drive_bookings_held", ["status", "hold_expires_at"], unique=False)
        batch_op.create_index("ix_test_drive_bookings_ip_created", ["client_ip", "created_at"], unique=False)
        batch_op.create_index("ix_test_drive_bookings_shopper", ["shopper_user_id", "starts_at"], unique=False)
        batch_op.create_index("ix_test_drive_bookings_store_time", ["store_id", "starts_at"], unique=False)
        batch_op.create_index("ix_test_drive_bookings_vehicle_time", ["vehicle_id", "starts_at"], unique=False)

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachments", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.false()))

    if op.get_bind().dialect.name == "postgresql":
        # No double booking, enforced by PostgreSQL itself: two rows that hold the same vehicle may not have
        # overlapping [starts_at, blocks_until) ranges. SQLite has no such constraint; there the service
        # checks inside a BEGIN IMMEDIATE transaction (see testdrive/models.py).
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE test_drive_bookings ADD CONSTRAINT ex_test_drive_bookings_no_overlap "
            "EXCLUDE USING gist (vehicle_id WITH =, tstzrange(starts_at, blocks_until, '[)') WITH &&) "
            "WHERE (status IN ('held', 'confirmed', 'in_progress'))"
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("sensitive")
        batch_op.drop_column("attachments")

    with op.batch_alter_table("test_drive_bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_test_drive_bookings_vehicle_time")
        batch_op.drop_index("ix_test_drive_bookings_store_time")
        batch_op.drop_index("ix_test_drive_bookings_shopper")
        batch_op.drop_index("ix_test_drive_bookings_ip_created")
        batch_op.drop_index("ix_test_drive_bookings_held")

    op.drop_table("test_drive_bookings")
    op.drop_table("test_drive_settings")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_user_id"))

    op.drop_table("payments")
    with op.batch_alter_table("driver_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_driver_verifications_id_number_digest"))

    op.drop_table("driver_verifications")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_records_created_at"))

    op.drop_table("idempotency_records")
