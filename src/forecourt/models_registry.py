"""Imports every context's tables so Base.metadata is complete (Alembic, tests)."""

from __future__ import annotations


def import_all_models() -> None:
    import forecourt.catalog.models  # noqa: F401
