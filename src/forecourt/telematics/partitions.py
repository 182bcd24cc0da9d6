"""Monthly partitions of `telemetry_samples` on PostgreSQL: created on first use, dropped whole by retention.

A partition is created in its own short transaction, under an advisory lock, before the batch that needs it:
`CREATE TABLE … PARTITION OF` locks the parent table exclusively, so doing it inside an ingest transaction would
stall every other worker until that batch committed (and could deadlock with their per-car row locks). There is
no default partition: a default partition holding rows of a month would forbid creating that month's partition.
SQLite has no partitions; retention deletes rows there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine, text

PARENT = "telemetry_samples"
_LOCK_KEY = 0x7E1E_0001  # an arbitrary constant shared by every Forecourt process

_known: dict[str, set[tuple[int, int]]] = {}  # per database URL: months known to have a partition


def month_of(moment: datetime) -> tuple[int, int]:
    moment = moment.astimezone(UTC)
    return moment.year, moment.month


def months_around(moment: datetime, back: int, ahead: int = 1) -> set[tuple[int, int]]:
    """The (year, month) of `moment`'s month, the `back` months before it and the `ahead` months after it."""
    year, month = month_of(moment)
    index = year * 12 + month - 1
    return {(i // 12, i % 12 + 1) for i in range(index - back, index + ahead + 1)}


def partition_name(year: int, month: int) -> str:
    return f"{PARENT}_y{year:04d}m{month:02d}"


def _bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def ensure_partitions(engine: Engine, months: Iterable[tuple[int, int]]) -> list[str]:
    """Create the partitions these months need, once per process and month; returns those created now."""
    if engine.dialect.name != "postgresql":
        return []
    key = engine.url.render_as_string(hide_password=True)
    known = _known.setdefault(key, set())
    missing = sorted(set(months) - known)
    if not missing:
        return []
    created = []
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        existing = set(connection.scalars(text(_CHILDREN)))
        for year, month in missing:
            name = partition_name(year, month)
            if name not in existing:
                start, end = _bounds(year, month)
                connection.execute(
                    text(
                        f'CREATE TABLE "{name}" PARTITION OF {PARENT} '
                        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
                    )
                )
                created.append(name)
    known.update(missing)
    return created


def drop_partitions_before(engine: Engine, cutoff: datetime) -> list[str]:
    """Drop every monthly partition that ends on or before `cutoff`; returns their names."""
    dropped = []
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        for name in connection.scalars(text(_CHILDREN)):
            year, month = int(name[-7:-3]), int(name[-2:])
            if _bounds(year, month)[1] <= cutoff:
                connection.execute(text(f'DROP TABLE "{name}"'))
                dropped.append(name)
    _known.pop(engine.url.render_as_string(hide_password=True), None)
    return dropped


def forget_known_partitions() -> None:
    """Tests that drop and recreate databases call this so the per-process cache does not lie."""
    _known.clear()


_CHILDREN = f"""
SELECT child.relname FROM pg_inherits
JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
JOIN pg_class child ON child.oid = pg_inherits.inhrelid
WHERE parent.relname = '{PARENT}' ORDER BY child.relname
"""
