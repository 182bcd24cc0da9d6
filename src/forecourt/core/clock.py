"""The one place that reads the wall clock, so tests can pin time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_pinned_at: datetime | None = None


def utcnow() -> datetime:
    return _pinned_at if _pinned_at is not None else datetime.now(UTC)


@contextmanager
def pinned(at: datetime) -> Iterator[None]:
    """Make `utcnow()` answer `at` inside the block (tests and the demo simulator; never in a request)."""
    global _pinned_at
    if at.tzinfo is None:
        raise ValueError("pin an aware datetime")
    previous, _pinned_at = _pinned_at, at.astimezone(UTC)
    try:
        yield
    finally:
        _pinned_at = previous
