"""catalog and inventory

Revision ID: 0001_catalog
Revises:
Create Date: 2026-11-25 11:39:26.721564
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001_catalog"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "brands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("code", name=op.f("uq_brands_code")),
    )
    op.create_table(
        "cities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("province_en", sa.String(length=80), nullable=False),
        sa.Column("province_zh", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cities")),
        sa.UniqueConstraint("code", name=op.f("uq_cities_code")),
    )
    op.create_table(
        "stores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("address_en", sa.String(length=200), nullable=False),
        sa.Column("address_zh", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("opening_hours", sa.JSON(), nullable=False),
        sa.CheckConstraint("kind IN ('dealer', 'self_service')", name=op.f("ck_stores_kind_valid")),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name=op.f("ck_stores_latitude_range")),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name=op.f("ck_stores_longitude_range")),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_stores_city_id_cities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
        sa.UniqueConstraint("code", name=op.f("uq_stores_code")),
    )
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stores_city_id"), ["city_id"], unique=False)

    op.create_table(
        "vehicle_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("body_type", sa.String(length=20), nullable=False),
        sa.Column("description_en", sa.String(length=500), nullable=False),
        sa.Column("description_zh", sa.String(length=500), nullable=False),
        sa.CheckConstraint(
            "body_type IN ('sedan', 'hatchback', 'suv', 'mpv', 'coupe', 'convertible', 'pickup', 'wagon')",
            name=op.f("ck_vehicle_models_body_type_valid"),
        ),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_vehicle_models_brand_id_brands")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_models")),
        sa.UniqueConstraint("code", name=op.f("uq_vehicle_models_code")),
    )
    with op.batch_alter_table("vehicle_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicle_models_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "colours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("hex", sa.String(length=7), nullable=False),
        sa.Column("surcharge", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["vehicle_models.id"], name=op.f("fk_colours_model_id_vehicle_models")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_colours")),
        sa.UniqueConstraint("model_id", "code", name=op.f("uq_colours_model_id")),
    )
    with op.batch_alter_table("colours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_colours_model_id"), ["model_id"], unique=False)

    op.create_table(
        "options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["vehicle_models.id"], name=op.f("fk_options_model_id_vehicle_models")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_options")),
        sa.UniqueConstraint("model_id", "code", name=op.f("uq_options_model_id")),
    )
    with op.batch_alter_table("options", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_options_model_id"), ["model_id"], unique=False)

    op.create_table(
        "trims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("powertrain", sa.String(length=10), nullable=False),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column("transmission", sa.String(length=40), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("fuel_consumption_l_100km", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("electric_range_km", sa.Integer(), nullable=True),
        sa.Column("msrp", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint("powertrain IN ('ice', 'hybrid', 'phev', 'bev')", name=op.f("ck_trims_powertrain_valid")),
        sa.CheckConstraint("msrp > 0", name=op.f("ck_trims_msrp_positive")),
        sa.CheckConstraint("seats BETWEEN 1 AND 12", name=op.f("ck_trims_seats_range")),
        sa.ForeignKeyConstraint(["model_id"], ["vehicle_models.id"], name=op.f("fk_trims_model_id_vehicle_models")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trims")),
        sa.UniqueConstraint("code", name=op.f("uq_trims_code")),
    )
    with op.batch_alter_table("trims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trims_model_id"), ["model_id"], unique=False)

    op.create_table(
        "vehicles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("trim_id", sa.Integer(), nullable=False),
        sa.Column("colour_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("model_year", sa.Integer(), nullable=False),
        sa.Column("mileage_km", sa.Integer(), nullable=False),
        sa.Column("list_price", sa.BigInteger(), nullable=False),
        sa.Column("offer_price", sa.BigInteger(), nullable=True),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_test_drive_fleet", sa.Boolean(), nullable=False),
        sa.Column("photo_urls", sa.JSON(), nullable=False),
        sa.Column("option_codes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('in_transit', 'available', 'reserved', 'sold')", name=op.f("ck_vehicles_status_valid")
        ),
        sa.CheckConstraint("list_price > 0", name=op.f("ck_vehicles_list_price_positive")),
        sa.CheckConstraint("mileage_km >= 0", name=op.f("ck_vehicles_mileage_non_negative")),
        sa.CheckConstraint("model_year BETWEEN 1980 AND 2100", name=op.f("ck_vehicles_model_year_range")),
        sa.CheckConstraint("offer_price IS NULL OR offer_price > 0", name=op.f("ck_vehicles_offer_price_positive")),
        sa.ForeignKeyConstraint(["colour_id"], ["colours.id"], name=op.f("fk_vehicles_colour_id_colours")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_vehicles_store_id_stores")),
        sa.ForeignKeyConstraint(["trim_id"], ["trims.id"], name=op.f("fk_vehicles_trim_id_trims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("vin", name=op.f("uq_vehicles_vin")),
    )
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_vehicles_facets", ["trim_id", "colour_id", "store_id", "model_year", "status", "price"], unique=False
        )
        batch_op.create_index("ix_vehicles_store_status", ["store_id", "status"], unique=False)
        batch_op.create_index("ix_vehicles_price", ["price"], unique=False)
        batch_op.create_index("ix_vehicles_year_price", ["model_year", "price"], unique=False)
        batch_op.create_index("ix_vehicles_mileage_price", ["mileage_km", "price"], unique=False)
        batch_op.create_index("ix_vehicles_created_at", ["created_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicles_created_at")
        batch_op.drop_index("ix_vehicles_mileage_price")
        batch_op.drop_index("ix_vehicles_year_price")
        batch_op.drop_index("ix_vehicles_price")
        batch_op.drop_index("ix_vehicles_store_status")
        batch_op.drop_index("ix_vehicles_facets")

    op.drop_table("vehicles")
    with op.batch_alter_table("trims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trims_model_id"))

    op.drop_table("trims")
    with op.batch_alter_table("options", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_options_model_id"))

    op.drop_table("options")
    with op.batch_alter_table("colours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_colours_model_id"))

    op.drop_table("colours")
    with op.batch_alter_table("vehicle_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_models_brand_id"))

    op.drop_table("vehicle_models")
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stores_city_id"))

    op.drop_table("stores")
    op.drop_table("cities")
    op.drop_table("brands")
