"""Alembic environment: one linear history that builds both SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Literal

from alembic import context
from sqlalchemy import Connection

from forecourt.core.db import Base, Money, UTCDateTime, make_engine
from forecourt.core.settings import get_settings
from forecourt.models_registry import import_all_models

import_all_models()
target_metadata = Base.metadata


def _render_item(type_: str, obj: object, autogen_context: object) -> str | Literal[False]:
    """Render Forecourt's column types as their plain storage types, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, Money):
        return "sa.BigInteger()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def run_migrations_online() -> None:
    # A caller (tests, the CLI) may hand us an open connection; otherwise build one from settings.
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
