from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from forecourt.core import clock
from tests.testdrive.helpers import NOW, Fleet, make_fleet


@pytest.fixture
def fleet(db_session: Session) -> Iterator[Fleet]:
    """The test-drive fleet, built and used with the clock pinned at NOW (a test that asks for it gets the pin)."""
    with clock.pinned(NOW):
        yield make_fleet(db_session)
