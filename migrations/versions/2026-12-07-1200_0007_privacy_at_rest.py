"""privacy at rest: driver verifications keep name and birth date only encrypted, ID masks keep two characters,
credit decisions seal every figure the income can be rebuilt from

Revision ID: 0007_privacy_at_rest
Revises: 0006_leads
Create Date: 2026-12-07 12:00:00

Existing rows are rewritten here: the clear name and date of birth of each driver verification become AES-GCM
tokens, every stored resident-ID mask is cut to its first and last character, and each credit decision's PTI, DTI,
income-derived reasons and stipulation amounts move into a sealed column. The data key comes from the caller
(`config.attributes["field_cipher"]`, as tests pass it) or from the app's settings, as `forecourt db upgrade` runs.
The downgrade decrypts back into the old columns; the longer masks cannot come back (they are not stored anywhere).
"""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from alembic import context, op

revision = "0007_privacy_at_rest"
down_revision = "0006_leads"
branch_labels = None
depends_on = None

drivers = sa.table(
    "driver_verifications",
    sa.column("id", sa.Integer),
    sa.column("full_name", sa.String),
    sa.column("full_name_enc", sa.Text),
    sa.column("full_name_masked", sa.String),
    sa.column("id_number_masked", sa.String),
    sa.column("date_of_birth", sa.Date),
    sa.column("date_of_birth_enc", sa.Text),
)
applications = sa.table(
    "credit_applications",
    sa.column("id", sa.Integer),
    sa.column("id_type", sa.String),
    sa.column("id_number_masked", sa.String),
    sa.column("decision", sa.JSON),
    sa.column("decision_private_enc", sa.Text),
)


def _cipher():
    given = context.config.attributes.get("field_cipher")
    if given is not None:
        return given
    from forecourt.core.crypto import field_cipher_from_config
    from forecourt.core.settings import get_settings

    settings = get_settings()
    return field_cipher_from_config(
        settings.field_encryption_keys.get_secret_value(), settings.secret_key.get_secret_value()
    )


def _short_mask(mask: str) -> str:
    """A stored resident-ID mask ("440***********1231") cut to its first and last character."""
    return mask if len(mask) <= 2 else mask[0] + "*" * (len(mask) - 2) + mask[-1]


def _driver_context(row_id: int, field: str) -> str:
    return f"driver_verification:{row_id}:{field}"


def _decision_context(row_id: int) -> str:
    return f"credit_application:{row_id}:decision_private"


def upgrade() -> None:
    from forecourt.core.masking import mask_name
    from forecourt.finance.credit.decisions import split

    cipher = _cipher()
    connection = op.get_bind()
    with op.batch_alter_table("driver_verifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_name_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("full_name_masked", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("date_of_birth_enc", sa.Text(), nullable=True))
    rows = connection.execute(
        sa.select(drivers.c.id, drivers.c.full_name, drivers.c.date_of_birth, drivers.c.id_number_masked)
    ).all()
    for row_id, name, born, mask in rows:
        connection.execute(
            drivers.update()
            .where(drivers.c.id == row_id)
            .values(
                full_name_enc=cipher.encrypt(name, context=_driver_context(row_id, "full_name")),
                full_name_masked=mask_name(name)[:40],
                date_of_birth_enc=cipher.encrypt(born.isoformat(), context=_driver_context(row_id, "date_of_birth")),
                id_number_masked=_short_mask(mask),
            )
        )
    with op.batch_alter_table("driver_verifications", schema=None) as batch_op:
        batch_op.alter_column("full_name_enc", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("full_name_masked", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("date_of_birth_enc", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("full_name")
        batch_op.drop_column("date_of_birth")

    with op.batch_alter_table("credit_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_private_enc", sa.Text(), nullable=True))
    rows = connection.execute(
        sa.select(applications.c.id, applications.c.id_type, applications.c.id_number_masked, applications.c.decision)
    ).all()
    for row_id, id_type, mask, record in rows:
        clear, private = split(record or {})
        connection.execute(
            applications.update()
            .where(applications.c.id == row_id)
            .values(
                decision=clear,
                decision_private_enc=cipher.encrypt(
                    json.dumps(private, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
                    context=_decision_context(row_id),
                ),
                id_number_masked=_short_mask(mask) if id_type == "resident_id" else mask,
            )
        )


def downgrade() -> None:
    cipher = _cipher()
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(applications.c.id, applications.c.decision, applications.c.decision_private_enc)
    ).all()
    for row_id, record, token in rows:
        if token:
            private = json.loads(cipher.decrypt(token, context=_decision_context(row_id)))
            connection.execute(
                applications.update().where(applications.c.id == row_id).values(decision={**(record or {}), **private})
            )
    with op.batch_alter_table("credit_applications", schema=None) as batch_op:
        batch_op.drop_column("decision_private_enc")

    with op.batch_alter_table("driver_verifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_name", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("date_of_birth", sa.Date(), nullable=True))
    rows = connection.execute(sa.select(drivers.c.id, drivers.c.full_name_enc, drivers.c.date_of_birth_enc)).all()
    for row_id, name_token, born_token in rows:
        born = cipher.decrypt(born_token, context=_driver_context(row_id, "date_of_birth"))
        connection.execute(
            drivers.update()
            .where(drivers.c.id == row_id)
            .values(
                full_name=cipher.decrypt(name_token, context=_driver_context(row_id, "full_name")),
                date_of_birth=date.fromisoformat(born),
            )
        )
    with op.batch_alter_table("driver_verifications", schema=None) as batch_op:
        batch_op.alter_column("full_name", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("date_of_birth", existing_type=sa.Date(), nullable=False)
        batch_op.drop_column("full_name_masked")
        batch_op.drop_column("date_of_birth_enc")
        batch_op.drop_column("full_name_enc")
