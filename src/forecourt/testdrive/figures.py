"""Back-office figures: bookings, show rate, no-show rate and average drive length per store and model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.testdrive import repository
from forecourt.testdrive.models import BookingStatus

_SHOWED = {BookingStatus.COMPLETED.value, BookingStatus.IN_PROGRESS.value}


@dataclass(frozen=True)
class DriveFigures:
    store_id: int
    model_id: int
    bookings: int  # confirmed at some point: everything but lapsed holds
    completed: int
    no_shows: int
    cancelled: int
    show_rate: Decimal | None  # of the drives that were due (showed or no-show), the share that showed
    no_show_rate: Decimal | None
    average_minutes: Decimal | None  # check-out to check-in of completed drives


def _rate(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (Decimal(part) / Decimal(whole)).quantize(Decimal("0.001"), ROUND_HALF_UP)


def drive_figures(
    session: Session, start: datetime, end: datetime, store_ids: Collection[int] | None
) -> list[DriveFigures]:
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in repository.figures_rows(session, start, end, store_ids):
        counts[(row.store_id, row.model_id)][row.status] += row.bookings
    durations: dict[tuple[int, int], list[timedelta]] = defaultdict(list)
    for row in repository.completed_drive_times(session, start, end, store_ids):
        if row.checked_out_at and row.checked_in_at:
            durations[(row.store_id, row.model_id)].append(row.checked_in_at - row.checked_out_at)
    figures = []
    for (store_id, model_id), by_status in sorted(counts.items()):
        showed = sum(by_status[s] for s in _SHOWED)
        no_shows = by_status[BookingStatus.NO_SHOW.value]
        spans = durations[(store_id, model_id)]
        average = (
            (Decimal(sum(s.total_seconds() for s in spans)) / 60 / len(spans)).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if spans
            else None
        )
        figures.append(
            DriveFigures(
                store_id,
                model_id,
                sum(by_status.values()),
                by_status[BookingStatus.COMPLETED.value],
                no_shows,
                by_status[BookingStatus.CANCELLED.value],
                _rate(showed, showed + no_shows),
                _rate(no_shows, showed + no_shows),
                average,
            )
        )
    return figures


def figures_table(session: Session, first_day: date, last_day: date, store_ids: Collection[int] | None) -> list[dict]:
    """The figures by store and model code, for drives starting on [first_day, last_day] (UTC days)."""
    start = datetime.combine(first_day, time.min, UTC)
    end = datetime.combine(last_day + timedelta(days=1), time.min, UTC)
    stores = {s.id: s.code for s in catalog.list_stores(session)}
    models = {m.id: m.code for m in catalog.list_models(session)}
    return [
        {
            "store": stores.get(f.store_id, str(f.store_id)),
            "model": models.get(f.model_id, str(f.model_id)),
            "bookings": f.bookings,
            "completed": f.completed,
            "no_shows": f.no_shows,
            "cancelled": f.cancelled,
            "show_rate": f.show_rate,
            "no_show_rate": f.no_show_rate,
            "average_drive_minutes": f.average_minutes,
        }
        for f in drive_figures(session, start, end, store_ids)
    ]
