"""fleet pools and rentals: a car's pool (for sale, test drive, rental, subscription) replaces the test-drive flag, a
car in the rental or subscription pool is 'in_service' (not for sale), the reservation table takes rentals and
subscription cars (the one exclusion constraint of 0003 already covers every purpose), model classes, rental plans
and rentals

Revision ID: 0016_fleet_pools_and_rentals
Revises: 0015_courtesy_cars
Create Date: 2026-12-11 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_fleet_pools_and_rentals"
down_revision = "0015_courtesy_cars"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('in_transit', 'available', 'reserved', 'sold')"
NEW_STATUSES = "status IN ('in_transit', 'available', 'reserved', 'sold', 'in_service')"
POOLS = "fleet_pool IN ('sale', 'test_drive', 'rental', 'subscription')"
POOL_MATCHES_STATUS = "(fleet_pool IN ('rental', 'subscription')) = (status = 'in_service')"
OLD_PURPOSES = "purpose IN ('test_drive', 'courtesy')"
NEW_PURPOSES = "purpose IN ('test_drive', 'courtesy', 'rental', 'subscription')"


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fleet_pool", sa.String(length=16), server_default=sa.text("'sale'"), nullable=False)
        )
    op.execute("UPDATE vehicles SET fleet_pool = 'test_drive' WHERE is_test_drive_fleet")
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_column("is_test_drive_fleet")
        batch_op.drop_constraint(op.f("ck_vehicles_status_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_vehicles_status_valid"), sa.text(NEW_STATUSES))
        batch_op.create_check_constraint(op.f("ck_vehicles_fleet_pool_valid"), sa.text(POOLS))
        batch_op.create_check_constraint(op.f("ck_vehicles_pool_matches_status"), sa.text(POOL_MATCHES_STATUS))
    with op.batch_alter_table("test_drive_bookings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_test_drive_bookings_purpose_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_test_drive_bookings_purpose_valid"), sa.text(NEW_PURPOSES))

    op.create_table(
        "mobility_classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_en", sa.String(length=60), nullable=False),
        sa.Column("name_zh", sa.String(length=60), nullable=False),
        sa.Column("model_codes", sa.JSON(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mobility_classes")),
        sa.UniqueConstraint("code", name=op.f("uq_mobility_classes_code")),
    )
    op.create_table(
        "rental_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        _money("hourly"),
        _money("daily"),
        sa.Column("km_per_hour", sa.Integer(), nullable=False),
        sa.Column("km_per_day", sa.Integer(), nullable=False),
        _money("per_km_over"),
        _money("late_per_hour"),
        sa.Column("late_grace_minutes", sa.Integer(), nullable=False),
        _money("energy_per_percent"),
        _money("deposit"),
        sa.Column("free_cancel_hours", sa.Integer(), nullable=False),
        sa.Column("late_cancel_keep_percent", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hourly > 0 AND daily > 0", name=op.f("ck_rental_plans_rates_positive")),
        sa.CheckConstraint(
            "per_km_over >= 0 AND late_per_hour >= 0 AND energy_per_percent >= 0 AND deposit >= 0",
            name=op.f("ck_rental_plans_amounts_non_negative"),
        ),
        sa.CheckConstraint(
            "km_per_hour >= 0 AND km_per_day >= 0 AND late_grace_minutes >= 0 AND free_cancel_hours >= 0",
            name=op.f("ck_rental_plans_counts_non_negative"),
        ),
        sa.CheckConstraint(
            "late_cancel_keep_percent BETWEEN 0 AND 100", name=op.f("ck_rental_plans_keep_percent_range")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["mobility_classes.id"], name=op.f("fk_rental_plans_class_id_mobility_classes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rental_plans")),
        sa.UniqueConstraint("class_id", name=op.f("uq_rental_plans_class_id")),
    )
    op.create_table(
        "rentals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("renter_user_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("rates", sa.JSON(), nullable=False),
        _money("time_charge"),
        sa.Column("km_included", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("time_payment_id", sa.Integer(), nullable=True),
        _money("time_refunded"),
        sa.Column("bill", sa.JSON(), nullable=False),
        _money("extras"),
        _money("balance_due"),
        sa.Column("balance_payment_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "time_charge >= 0 AND extras >= 0 AND balance_due >= 0 AND time_refunded >= 0",
            name=op.f("ck_rentals_amounts_non_negative"),
        ),
        sa.ForeignKeyConstraint(["renter_user_id"], ["users.id"], name=op.f("fk_rentals_renter_user_id_users")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_rentals_store_id_stores")),
        sa.ForeignKeyConstraint(
            ["class_id"], ["mobility_classes.id"], name=op.f("fk_rentals_class_id_mobility_classes")
        ),
        sa.ForeignKeyConstraint(["time_payment_id"], ["payments.id"], name=op.f("fk_rentals_time_payment_id_payments")),
        sa.ForeignKeyConstraint(
            ["balance_payment_id"], ["payments.id"], name=op.f("fk_rentals_balance_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rentals")),
        sa.UniqueConstraint("reference", name=op.f("uq_rentals_reference")),
    )
    op.create_index("ix_rentals_renter", "rentals", ["renter_user_id", "created_at"], unique=False)
    op.create_index("ix_rentals_store", "rentals", ["store_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rentals_store", table_name="rentals")
    op.drop_index("ix_rentals_renter", table_name="rentals")
    op.drop_table("rentals")
    op.drop_table("rental_plans")
    op.drop_table("mobility_classes")
    op.execute("DELETE FROM test_drive_bookings WHERE purpose IN ('rental', 'subscription')")
    with op.batch_alter_table("test_drive_bookings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_test_drive_bookings_purpose_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_test_drive_bookings_purpose_valid"), sa.text(OLD_PURPOSES))
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_vehicles_pool_matches_status"), type_="check")
        batch_op.drop_constraint(op.f("ck_vehicles_fleet_pool_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_vehicles_status_valid"), type_="check")
        batch_op.add_column(
            sa.Column("is_test_drive_fleet", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    # Cars in the mobility fleets go back on sale: before pools there was nothing else for them to be.
    op.execute("UPDATE vehicles SET is_test_drive_fleet = (fleet_pool = 'test_drive')")
    op.execute("UPDATE vehicles SET status = 'available' WHERE status = 'in_service'")
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_vehicles_status_valid"), sa.text(OLD_STATUSES))
        batch_op.drop_column("fleet_pool")
