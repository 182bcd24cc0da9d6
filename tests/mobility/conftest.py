"""Fixtures of the mobility tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.mobility.factories import RentalWorld, make_rental_world
from tests.mobility.subscription_helpers import People, make_subscribers


@pytest.fixture
def world(db_session: Session) -> RentalWorld:
    """The rental world of tests/mobility/factories.py, committed to the test's savepoint."""
    return make_rental_world(db_session)


@pytest.fixture
def subscribers(db_session: Session) -> People:
    """Two subscription classes with one car each at the self-service store, and four shoppers."""
    return make_subscribers(db_session)
