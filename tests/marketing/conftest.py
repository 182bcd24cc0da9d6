"""Fixtures of the marketing tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli_database(tmp_path, monkeypatch):
    """A migrated SQLite file the CLI commands open through FORECOURT_DATABASE_URL (SQLite only: the command
    opens its own connection, which cannot see a test's uncommitted rows)."""
    from forecourt.core.db import make_engine
    from forecourt.core.migrate import upgrade
    from forecourt.core.settings import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FORECOURT_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    get_settings.cache_clear()
    engine.dispose()
