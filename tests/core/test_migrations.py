"""The migrations build exactly the schema the models declare, and the newest one can be undone and redone."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from forecourt.core.db import Base, make_engine
from forecourt.core.migrate import alembic_config, upgrade
from forecourt.models_registry import import_all_models

PARTITION = re.compile(r"telemetry_samples_y\d{4}m\d{2}")


def _not_a_partition(name: str | None, type_: str, parent_names: object) -> bool:
    # The ingest creates a month's partition of telemetry_samples when its first sample arrives (any test that
    # stored samples on this database did); partitions are data, not schema the models declare.
    return not (type_ == "table" and name is not None and PARTITION.fullmatch(name))


def _schema_drift(engine: Engine) -> list[object]:
    import_all_models()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _not_a_partition})
        return compare_metadata(context, Base.metadata)


def test_migrated_schema_matches_the_models(db_engine: Engine) -> None:
    assert _schema_drift(db_engine) == []


def test_newest_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    upgrade(engine)
    assert _schema_drift(engine) == []
    engine.dispose()
