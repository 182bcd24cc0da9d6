"""finance: providers, rate programs, residual values, quotes, credit applications, consents, orders

Revision ID: 0004_finance
Revises: 0003_testdrive
Create Date: 2026-11-25 14:49:26.603936
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_finance"
down_revision = "0003_testdrive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finance_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("underwriting_rules", sa.JSON(), nullable=False),
        sa.Column("bureau", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_providers")),
        sa.UniqueConstraint("code", name=op.f("uq_finance_providers_code")),
    )
    op.create_table(
        "rate_programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("product", sa.String(length=20), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("model_code", sa.String(length=40), nullable=True),
        sa.Column("trim_code", sa.String(length=60), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("credit_tier", sa.String(length=10), nullable=False),
        sa.Column("annual_rate", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("money_factor", sa.Numeric(precision=10, scale=8), nullable=True),
        sa.Column("subvention_rate", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("subvention_by", sa.String(length=10), nullable=False),
        sa.Column("min_down_percent", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("max_balloon_percent", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("cash_rebate", sa.BigInteger(), nullable=False),
        sa.Column("purchase_price", sa.BigInteger(), nullable=False),
        sa.Column("disposition_fee", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "product IN ('loan', 'balloon', 'lease', 'lease_to_own')", name=op.f("ck_rate_programs_product_valid")
        ),
        sa.CheckConstraint("annual_rate >= 0 AND annual_rate < 1", name=op.f("ck_rate_programs_rate_range")),
        sa.CheckConstraint("term_months BETWEEN 1 AND 120", name=op.f("ck_rate_programs_term_range")),
        sa.CheckConstraint("valid_from <= valid_to", name=op.f("ck_rate_programs_validity_ordered")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_rate_programs_created_by_users")),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["finance_providers.id"], name=op.f("fk_rate_programs_provider_id_finance_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_programs")),
        sa.UniqueConstraint("provider_id", "code", "version", name="uq_rate_programs_code_version"),
    )
    with op.batch_alter_table("rate_programs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rate_programs_lookup", ["provider_id", "product", "term_months", "is_current"], unique=False
        )

    op.create_table(
        "residual_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("model_code", sa.String(length=40), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("annual_mileage", sa.Integer(), nullable=False),
        sa.Column("residual_percent", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.CheckConstraint(
            "residual_percent > 0 AND residual_percent < 1", name=op.f("ck_residual_values_percent_range")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["finance_providers.id"], name=op.f("fk_residual_values_provider_id_finance_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residual_values")),
        sa.UniqueConstraint(
            "provider_id", "model_code", "term_months", "annual_mileage", name="uq_residual_values_key"
        ),
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=20), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("monthly_payment", sa.BigInteger(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("disclosure", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "product IN ('cash', 'loan', 'balloon', 'lease', 'lease_to_own')", name=op.f("ck_quotes_product_valid")
        ),
        sa.ForeignKeyConstraint(["program_id"], ["rate_programs.id"], name=op.f("fk_quotes_program_id_rate_programs")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_quotes_store_id_stores")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_quotes_user_id_users")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_quotes_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
        sa.UniqueConstraint("reference", name=op.f("uq_quotes_reference")),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index("ix_quotes_user_created", ["user_id", "created_at"], unique=False)

    op.create_table(
        "credit_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("full_name_enc", sa.Text(), nullable=False),
        sa.Column("full_name_masked", sa.String(length=40), nullable=False),
        sa.Column("id_type", sa.String(length=12), nullable=False),
        sa.Column("id_number_enc", sa.Text(), nullable=False),
        sa.Column("id_number_masked", sa.String(length=24), nullable=False),
        sa.Column("id_number_index", sa.String(length=64), nullable=False),
        sa.Column("date_of_birth_enc", sa.Text(), nullable=False),
        sa.Column("address_enc", sa.Text(), nullable=False),
        sa.Column("employer_enc", sa.Text(), nullable=False),
        sa.Column("employment_months", sa.Integer(), nullable=False),
        sa.Column("monthly_income_enc", sa.Text(), nullable=False),
        sa.Column("monthly_housing_enc", sa.Text(), nullable=False),
        sa.Column("monthly_debts_enc", sa.Text(), nullable=False),
        sa.Column("income_band", sa.String(length=40), nullable=False),
        sa.Column("credit_score", sa.Integer(), nullable=True),
        sa.Column("bureau", sa.String(length=40), nullable=False),
        sa.Column("bureau_reference", sa.String(length=80), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("adverse_action_notice", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("override_reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id_type IN ('resident_id', 'passport')", name=op.f("ck_credit_applications_id_type_valid")),
        sa.CheckConstraint(
            "kind IN ('prequalification', 'application')", name=op.f("ck_credit_applications_kind_valid")
        ),
        sa.CheckConstraint(
            "status IN ('approved', 'conditional', 'declined', 'manual_review', 'withdrawn')",
            name=op.f("ck_credit_applications_status_valid"),
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_credit_applications_decided_by_users")),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["finance_providers.id"], name=op.f("fk_credit_applications_provider_id_finance_providers")
        ),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"], name=op.f("fk_credit_applications_quote_id_quotes")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_credit_applications_store_id_stores")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_credit_applications_user_id_users")),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_credit_applications_vehicle_id_vehicles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_applications")),
        sa.UniqueConstraint("reference", name=op.f("uq_credit_applications_reference")),
    )
    with op.batch_alter_table("credit_applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_applications_id_number_index"), ["id_number_index"], unique=False)
        batch_op.create_index("ix_credit_applications_store_status", ["store_id", "status"], unique=False)
        batch_op.create_index("ix_credit_applications_user", ["user_id", "created_at"], unique=False)

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("text_version", sa.String(length=20), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('credit_check', 'prequalification', 'share_with_provider', 'marketing')",
            name=op.f("ck_consents_purpose_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["credit_applications.id"], name=op.f("fk_consents_application_id_credit_applications")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_consents_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index("ix_consents_user_purpose", ["user_id", "purpose", "created_at"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("product", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("deposit_amount", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("cancel_reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('reserved', 'confirmed', 'completed', 'cancelled')", name=op.f("ck_orders_status_valid")
        ),
        sa.CheckConstraint("deposit_amount >= 0 AND refunded_amount >= 0", name=op.f("ck_orders_amounts_non_negative")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["credit_applications.id"], name=op.f("fk_orders_application_id_credit_applications")
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_orders_payment_id_payments")),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"], name=op.f("fk_orders_quote_id_quotes")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_orders_store_id_stores")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_orders_user_id_users")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_orders_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("reference", name=op.f("uq_orders_reference")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_store_status", ["store_id", "status"], unique=False)
        batch_op.create_index("ix_orders_user", ["user_id", "created_at"], unique=False)
        batch_op.create_index(
            "uq_orders_holding_vehicle",
            ["vehicle_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('reserved', 'confirmed')"),
            sqlite_where=sa.text("status IN ('reserved', 'confirmed')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_orders_holding_vehicle",
            postgresql_where=sa.text("status IN ('reserved', 'confirmed')"),
            sqlite_where=sa.text("status IN ('reserved', 'confirmed')"),
        )
        batch_op.drop_index("ix_orders_user")
        batch_op.drop_index("ix_orders_store_status")

    op.drop_table("orders")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_user_purpose")

    op.drop_table("consents")
    with op.batch_alter_table("credit_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_applications_user")
        batch_op.drop_index("ix_credit_applications_store_status")
        batch_op.drop_index(batch_op.f("ix_credit_applications_id_number_index"))

    op.drop_table("credit_applications")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_quotes_user_created")

    op.drop_table("quotes")
    op.drop_table("residual_values")
    with op.batch_alter_table("rate_programs", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_programs_lookup")

    op.drop_table("rate_programs")
    op.drop_table("finance_providers")
