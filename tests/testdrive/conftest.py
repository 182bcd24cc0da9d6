from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from forecourt.core import clock
from tests.testdrive.helpers import NOW, Fleet, make_fleet


@pytest.fixture
def pinned_clock() -> Iterator[None]:
    with clock.pinned(NOW):
        yield


@pytest.fixture
def fleet(db_session: Session, pinned_clock: None) -> Fleet:
    return make_fleet(db_session)
