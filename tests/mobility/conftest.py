"""Fixtures of the mobility page tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.mobility.subscription_helpers import People, make_subscribers


@pytest.fixture
def subscribers(db_session: Session) -> People:
    """Two subscription classes with one car each at the self-service store, and four shoppers."""
    return make_subscribers(db_session)
