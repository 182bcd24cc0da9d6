"""Watching a car while it is out: start and end a watch, raise each rule's alert once, tell the store.

The owning context (test drives today, rentals later) starts a watch when it hands the car over — with the rules,
the people to notify and a link to its own page — and ends it when the car is back. Two paths raise alerts:

- `check_samples`, called by `telematics.service.store_batch` for every batch any ingest worker stores;
- `raise_overdue`, called by the minute job (`forecourt jobs run`), for cars not back by their return time.

Either path stores an alert with insert-or-ignore on (watch, key) and writes its notices to the outbox only when
that insert stored it, in the same transaction: however many workers or job passes see the same sample or the same
late car, the store hears about it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.core.errors import Conflict
from forecourt.telematics import repository as telemetry
from forecourt.telematics.signals import Sample
from forecourt.telematics.watching import notifications, repository
from forecourt.telematics.watching.models import VehicleWatch, WatchAlert
from forecourt.telematics.watching.rules import (
    Alert,
    WatchRules,
    check_overdue,
    check_sample,
    rules_from_json,
    rules_to_json,
)


@dataclass(frozen=True)
class WatchStart:
    subject: str  # the owning context's reference, e.g. "test_drive:TD7K2M9QX4"
    vehicle_id: int
    store_id: int
    rules: WatchRules
    notify: tuple[str, ...]  # e-mail addresses told about each alert
    link: str  # the owner's page for this car being out (put in the notices)


def start_watch(session: Session, start: WatchStart, now: datetime) -> VehicleWatch:
    """Watch the car from now. Starting the same subject again returns its watch; a car already watched for
    something else is refused (the database's one-open-watch-per-car index backs this up)."""
    existing = repository.by_subject(session, start.subject)
    if existing is not None:
        return existing
    other = repository.open_watch_of_vehicle(session, start.vehicle_id)
    if other is not None:
        raise Conflict(f"This car is already being watched for {other.subject}", code="vehicle_already_watched")
    state = telemetry.get_state(session, start.vehicle_id)
    watch = VehicleWatch(
        subject=start.subject,
        vehicle_id=start.vehicle_id,
        store_id=start.store_id,
        started_at=now,
        return_due_at=start.rules.return_due_at,
        rules=rules_to_json(start.rules),
        codes_at_start=sorted(state.dtcs or ()) if state else [],
        odometer_start_m=state.odometer_m if state else None,
        notify=list(start.notify),
        link=start.link,
    )
    session.add(watch)
    session.flush()
    return watch


def end_watch(session: Session, subject: str, now: datetime) -> VehicleWatch | None:
    """Stop watching (the car is back). Ending a watch that is closed, or that never started, changes nothing."""
    watch = repository.by_subject(session, subject)
    if watch is not None and watch.closed_at is None:
        watch.closed_at = now
        session.flush()
    return watch


def check_samples(session: Session, samples_by_vehicle: Mapping[int, Sequence[Sample]], now: datetime) -> int:
    """Raise the alerts these samples trip on the cars' open watches; returns how many were new."""
    watches = repository.open_watches_of(session, list(samples_by_vehicle))
    raised = repository.raised_keys(session, [watch.id for watch in watches])
    new = 0
    for watch in watches:
        rules = rules_from_json(watch.rules)
        seen = raised[watch.id]
        in_drive = sorted(
            (s for s in samples_by_vehicle[watch.vehicle_id] if s.ts >= watch.started_at), key=lambda s: (s.ts, s.seq)
        )
        for sample in in_drive:
            for alert in check_sample(rules, sample, watch.codes_at_start, seen):
                seen.add(alert.key)
                new += _raise(session, watch, alert, now)
    return new


def raise_overdue(session: Session, now: datetime) -> int:
    """Raise the overdue alert of every open watch whose return time has passed; returns how many were new."""
    watches = repository.open_watches_due_before(session, now)
    raised = repository.raised_keys(session, [watch.id for watch in watches])
    new = 0
    for watch in watches:
        alert = check_overdue(rules_from_json(watch.rules), now, returned=False, raised=raised[watch.id])
        if alert is not None:
            new += _raise(session, watch, alert, now)
    return new


def _raise(session: Session, watch: VehicleWatch, alert: Alert, now: datetime) -> int:
    row = {
        "watch_id": watch.id,
        "key": alert.key,
        "kind": alert.kind.value,
        "raised_at": alert.at,
        "recorded_at": now,
        "details": alert.details,
    }
    if not repository.insert_alert(session, row):
        return 0  # another worker or job pass raised it first, and told the store
    notifications.tell_store(session, watch, alert)
    return 1


# --- what people see ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchView:
    subject: str
    vehicle_id: int
    started_at: datetime
    closed_at: datetime | None
    odometer_start_m: int | None
    rules: WatchRules
    alerts: tuple[WatchAlert, ...]


def watch_views(session: Session, subjects: Collection[str]) -> dict[str, WatchView]:
    """The watches of these subjects with their alerts, oldest alert first (subjects never watched are absent)."""
    watches = repository.by_subjects(session, subjects)
    alerts = repository.alerts_of(session, [watch.id for watch in watches])
    return {
        watch.subject: WatchView(
            subject=watch.subject,
            vehicle_id=watch.vehicle_id,
            started_at=watch.started_at,
            closed_at=watch.closed_at,
            odometer_start_m=watch.odometer_start_m,
            rules=rules_from_json(watch.rules),
            alerts=tuple(alerts[watch.id]),
        )
        for watch in watches
    }


def alert_counts(session: Session, subjects: Collection[str]) -> dict[str, int]:
    """How many alerts each watched subject raised (for a calendar's badges)."""
    counts: dict[str, int] = defaultdict(int)
    for subject, view in watch_views(session, subjects).items():
        counts[subject] = len(view.alerts)
    return dict(counts)
