from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import BACKENDS, _create_postgres_database, _drop_postgres_database
from tests.ops.served import BookingDatabase, seed_booking_database

SHOPPERS = 60


@pytest.fixture(scope="package")
def booking_db() -> Iterator[BookingDatabase]:
    """One seeded PostgreSQL database for the package; each test takes drives (shoppers and slots) of its own.
    They hold requests inside their transactions with PostgreSQL's exclusion constraint, so they have no SQLite run."""
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL is not among FORECOURT_TEST_BACKENDS")
    url = _create_postgres_database()
    try:
        database = seed_booking_database(url, SHOPPERS)
        yield database
        database.engine.dispose()
    finally:
        _drop_postgres_database(url)
