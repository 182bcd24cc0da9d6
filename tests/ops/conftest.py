from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.ops.served import BookingDatabase, seed_booking_database

SHOPPERS = 60


@pytest.fixture(scope="package")
def booking_db() -> Iterator[BookingDatabase]:
    """One seeded PostgreSQL database for the package; each test takes drives (shoppers and slots) of its own."""
    url = _create_postgres_database()
    try:
        database = seed_booking_database(url, SHOPPERS)
        yield database
        database.engine.dispose()
    finally:
        _drop_postgres_database(url)
