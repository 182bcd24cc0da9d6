"""The one place that reads the wall clock, so tests can pin time.

Two ways to stop the clock, both for tests only: `pinned` inside one process, and a clock file (an ISO timestamp
that `utcnow` answers while the file holds one) that several processes read, so a test can walk real `forecourt
serve` and `forecourt worker` processes through a simulated day. Settings refuse the clock file outside
FORECOURT_ENVIRONMENT=test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

_pinned_at: datetime | None = None
_clock_file: Path | None = None


def utcnow() -> datetime:
    if _pinned_at is not None:
        return _pinned_at
    if _clock_file is not None and (simulated := _read_clock_file(_clock_file)) is not None:
        return simulated
    return datetime.now(UTC)


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


def follow_clock_file(path: Path | None) -> None:
    """From now on `utcnow()` answers the timestamp in `path` whenever it holds one (None: the wall clock again).
    Read at every call, not cached, so a test that rewrites the file moves every process's time at once."""
    global _clock_file
    _clock_file = path


def _read_clock_file(path: Path) -> datetime | None:
    """The file's aware timestamp; None while the file is missing or empty (the wall clock then). Anything else
    is an error rather than a silent fall back to the wall clock, which would make a simulated day flaky."""
    try:
        content = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not content:
        return None
    moment = datetime.fromisoformat(content)
    if moment.tzinfo is None:
        raise ValueError(f"the clock file {path} must hold an aware timestamp (with an offset), not {content!r}")
    return moment.astimezone(UTC)
