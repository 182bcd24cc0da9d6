"""telematics: car credentials, telemetry samples (monthly partitions on PostgreSQL), latest state, fault-code
intervals, dead letters

Revision ID: 0010_telematics
Revises: 0007_outbox_claims
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_telematics"
down_revision = "0007_outbox_claims"
branch_labels = None
depends_on = None

_SAMPLES_POSTGRESQL = """
CREATE TABLE telemetry_samples (
    vehicle_id INTEGER NOT NULL,
    seq BIGINT NOT NULL,
    ts TIMESTAMP WITH TIME ZONE NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL,
    odometer_m BIGINT,
    latitude FLOAT,
    longitude FLOAT,
    speed_kmh FLOAT,
    fuel_pct FLOAT,
    charge_pct FLOAT,
    ignition VARCHAR(10),
    dtcs JSON,
    signals JSON NOT NULL,
    CONSTRAINT pk_telemetry_samples PRIMARY KEY (vehicle_id, seq, ts)
) PARTITION BY RANGE (ts)
"""


def upgrade() -> None:
    op.create_table(
        "telematics_credentials",
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=17), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_telematics_credentials_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vehicle_id", name=op.f("pk_telematics_credentials")),
        sa.UniqueConstraint("username", name=op.f("uq_telematics_credentials_username")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SAMPLES_POSTGRESQL)
    else:
        op.create_table(
            "telemetry_samples",
            sa.Column("vehicle_id", sa.Integer(), nullable=False),
            sa.Column("seq", sa.BigInteger(), nullable=False),
            sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
            sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("odometer_m", sa.BigInteger(), nullable=True),
            sa.Column("latitude", sa.Float(), nullable=True),
            sa.Column("longitude", sa.Float(), nullable=True),
            sa.Column("speed_kmh", sa.Float(), nullable=True),
            sa.Column("fuel_pct", sa.Float(), nullable=True),
            sa.Column("charge_pct", sa.Float(), nullable=True),
            sa.Column("ignition", sa.String(length=10), nullable=True),
            sa.Column("dtcs", sa.JSON(), nullable=True),
            sa.Column("signals", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("vehicle_id", "seq", "ts", name=op.f("pk_telemetry_samples")),
        )
    op.create_index("ix_telemetry_samples_vehicle_ts", "telemetry_samples", ["vehicle_id", "ts"])
    op.create_table(
        "vehicle_states",
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("odometer_m", sa.BigInteger(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("position_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("fuel_pct", sa.Float(), nullable=True),
        sa.Column("charge_pct", sa.Float(), nullable=True),
        sa.Column("ignition", sa.String(length=10), nullable=True),
        sa.Column("dtcs", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_vehicle_states_vehicle_id_vehicles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("vehicle_id", name=op.f("pk_vehicle_states")),
    )
    op.create_table(
        "fault_code_intervals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_fault_code_intervals_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fault_code_intervals")),
    )
    op.create_index(op.f("ix_fault_code_intervals_vehicle_id"), "fault_code_intervals", ["vehicle_id"])
    op.create_index(
        "uq_fault_code_intervals_open",
        "fault_code_intervals",
        ["vehicle_id", "code"],
        unique=True,
        postgresql_where=sa.text("closed_at IS NULL"),
        sqlite_where=sa.text("closed_at IS NULL"),
    )
    op.create_table(
        "telemetry_dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("sample_index", sa.Integer(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_bytes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_dead_letters")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_telemetry_dead_letters_fingerprint")),
    )
    op.create_index(op.f("ix_telemetry_dead_letters_received_at"), "telemetry_dead_letters", ["received_at"])


def downgrade() -> None:
    op.drop_table("telemetry_dead_letters")
    op.drop_table("fault_code_intervals")
    op.drop_table("vehicle_states")
    op.drop_table("telemetry_samples")  # on PostgreSQL this drops every monthly partition with it
    op.drop_table("telematics_credentials")
