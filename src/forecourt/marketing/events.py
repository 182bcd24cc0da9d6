"""Event ingestion: the API batch, file imports and the platform's conversions share one path.

Each event is checked on its own (`event_rows.check_event`); a bad one is rejected with its position, its
event id and a reason, and the others are stored. Storage is idempotent by event id: an id already stored,
or repeated in the same batch, counts as a duplicate (not an error) and changes nothing. The channel of a
touch is its campaign's when the UTM triple names a campaign, else the sender's explicit channel, else the
UTM medium's or the referrer's, else direct (`channels.resolve_channel`).

Consent: events of a visitor who declined are refused (`consent_declined`). Events of a visitor with no
recorded choice are accepted: the storefront tracker only sends after the visitor accepted, and imports from
ad platforms are the platforms' own records. The newly stored events (not the duplicates) are handed to
`subscribers.on_new_events` in the same transaction.
Session first, may flush, never commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.audit import service as audit
from forecourt.core.clock import utcnow
from forecourt.core.errors import NotFound
from forecourt.marketing import campaign_repository, event_repository, subscribers
from forecourt.marketing.channels import resolve_channel
from forecourt.marketing.event_rows import (
    CLIENT_TYPES,
    FIELDS,
    PLATFORM_FIELDS,
    CleanEvent,
    EventProblem,
    check_event,
)
from forecourt.marketing.vocabulary import (
    CONVERSION_TYPES,
    ENGAGEMENT_TYPES,
    TOUCH_TYPES,
)

CHUNK_SIZE = 2000
MAX_REPORTED = 10_000  # rejections listed in a report; the count covers them all
CONSENT_BOUND_TYPES = frozenset(TOUCH_TYPES + ENGAGEMENT_TYPES)
PLATFORM_TYPES: tuple[str, ...] = (*CONVERSION_TYPES, "quote_request")
Record = tuple[int, Mapping[str, Any]]  # (index or line, raw fields)


@dataclass(frozen=True)
class Sender:
    """Who sends: `user_id` of the caller (None: anonymous storefront tracker); `privileged` (marketer, admin,
    imports, the platform) may name any user; others only themselves."""

    user_id: int | None
    privileged: bool
    source: str = "api"  # api | import | platform | demo


@dataclass(frozen=True)
class Rejection:
    index: int
    event_id: str | None
    reason: str
    code: str = "invalid_event"
    field: str | None = None


@dataclass
class IngestReport:
    accepted: int = 0
    duplicates: int = 0
    rejected_count: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    processed: int = 0

    def reject(self, rejection: Rejection) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED:
            self.rejected.append(rejection)


@dataclass
class _Context:
    """What one ingestion run loads once: campaigns by UTM triple, the users known to exist."""

    utm: dict[tuple[str, str, str], tuple[int, str]]
    users: dict[int, bool] = field(default_factory=dict)


def _raw_id(values: Mapping[str, Any]) -> str | None:
    raw = values.get("event_id") if isinstance(values, Mapping) else None
    return raw[:64] if isinstance(raw, str) and raw.strip() else None


def _user_exists(session: Session, context: _Context, user_id: int) -> bool:
    if user_id not in context.users:
        try:
            accounts.get_user(session, user_id)
            context.users[user_id] = True
        except NotFound:
            context.users[user_id] = False
    return context.users[user_id]


def _authorise(session: Session, context: _Context, event: CleanEvent, sender: Sender) -> CleanEvent:
    if event.user_id is None:
        if sender.user_id is not None and not sender.privileged:
            return CleanEvent(**{**event.__dict__, "user_id": sender.user_id})  # the signed-in shopper's own
        return event
    if not sender.privileged and event.user_id != sender.user_id:
        raise EventProblem(
            "user_id",
            "user_id may only be your own user id (or left out); marketers and admins may send events of other users",
        )
    if sender.source != "platform" and not _user_exists(session, context, event.user_id):
        raise EventProblem("user_id", f"user_id {event.user_id} is not a Forecourt user")
    return event


def _row(event: CleanEvent, context: _Context, source: str, now: datetime) -> dict[str, Any]:
    campaign_id = campaign_channel = None
    if event.utm_source and event.utm_medium and event.utm_campaign:
        match = context.utm.get((event.utm_source, event.utm_medium, event.utm_campaign))
        if match is not None:
            campaign_id, campaign_channel = match
    channel = None
    if event.type in TOUCH_TYPES:
        channel = resolve_channel(
            campaign_channel=campaign_channel,
            explicit=event.channel,
            utm_medium=event.utm_medium,
            referrer=event.referrer,
        )
    elif event.channel is not None or campaign_channel is not None:
        channel = campaign_channel or event.channel
    return {
        "event_id": event.event_id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "received_at": now,
        "source": source,
        "visitor_id": event.visitor_id,
        "user_id": event.user_id,
        "channel": channel,
        "campaign_id": campaign_id,
        "model_code": event.model_code,
        "city": event.city,
        "store_code": event.store_code,
        "subject": event.subject,
        "value": event.value,
    }


def _ingest_chunk(
    session: Session,
    chunk: list[Record],
    sender: Sender,
    context: _Context,
    report: IngestReport,
    *,
    allowed_types: tuple[str, ...],
    fields: tuple[str, ...],
    now: datetime,
) -> None:
    unique: dict[str, tuple[int, CleanEvent]] = {}
    for index, values in chunk:
        if not isinstance(values, Mapping):
            report.reject(Rejection(index, None, f"event {index} is {type(values).__name__}, expected an object"))
            continue
        try:
            event = check_event(
                values, None if sender.source == "platform" else now, allowed_types=allowed_types, fields=fields
            )
            event = _authorise(session, context, event, sender)
        except EventProblem as problem:
            report.reject(Rejection(index, _raw_id(values), problem.reason, field=problem.field))
            continue
        if event.event_id in unique:
            report.duplicates += 1
            report.duplicate_ids.append(event.event_id)
            continue
        unique[event.event_id] = (index, event)
    visitors = {e.visitor_id for _, e in unique.values() if e.visitor_id and e.type in CONSENT_BOUND_TYPES}
    declined = event_repository.declined_visitor_ids(session, visitors)
    rows: list[dict[str, Any]] = []
    for event_id, (index, event) in list(unique.items()):
        if event.visitor_id in declined and event.type in CONSENT_BOUND_TYPES:
            report.reject(
                Rejection(
                    index,
                    event_id,
                    "the visitor declined tracking; the event was not stored",
                    code="consent_declined",
                    field="visitor_id",
                )
            )
            del unique[event_id]
            continue
        rows.append(_row(event, context, sender.source, now))
    event_repository.ensure_visitors(session, {r["visitor_id"] for r in rows if r["visitor_id"]}, now)
    inserted = event_repository.insert_events(session, rows)
    report.accepted += len(inserted)
    if len(inserted) < len(rows):
        stored = {e.event_id for e in event_repository.events_by_ids(session, inserted)} if inserted else set()
        already = [r["event_id"] for r in rows if r["event_id"] not in stored]
        report.duplicates += len(already)
        report.duplicate_ids.extend(already)
    if inserted:
        subscribers.on_new_events(session, event_repository.events_by_ids(session, inserted))


def ingest(
    session: Session,
    records: Iterable[Record],
    sender: Sender,
    *,
    allowed_types: tuple[str, ...] = CLIENT_TYPES,
    fields: tuple[str, ...] | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> IngestReport:
    """Store the good events of `records` ((index, fields) pairs), a chunk at a time; report on all of them."""
    now = utcnow()
    context = _Context(utm=campaign_repository.utm_index(session))
    report = IngestReport()
    iterator = iter(records)
    while chunk := list(islice(iterator, chunk_size)):
        _ingest_chunk(
            session, chunk, sender, context, report, allowed_types=allowed_types, fields=fields or FIELDS, now=now
        )
        report.processed += len(chunk)
        if progress is not None:
            progress(report.processed)
    if len(report.duplicate_ids) > MAX_REPORTED:
        report.duplicate_ids = report.duplicate_ids[:MAX_REPORTED]
    return report


def record_platform_event(session: Session, payload: Mapping[str, Any]) -> bool:
    """Store one conversion the platform reported through the outbox; False when it was stored before."""
    values = {k: v for k, v in payload.items() if v is not None}
    report = ingest(
        session, [(0, values)], Sender(None, True, "platform"), allowed_types=PLATFORM_TYPES, fields=PLATFORM_FIELDS
    )
    if report.rejected:
        raise ValueError(f"platform event {values.get('event_id')!r} refused: {report.rejected[0].reason}")
    return report.accepted == 1


def import_events(
    session: Session,
    reader: Iterable[Record],
    *,
    actor: int | None,
    progress: Callable[[int], None] | None = None,
    unreadable: Callable[[], Iterable[Any]] = lambda: (),
) -> IngestReport:
    """A file import (CSV or Parquet reader from `event_files`) by a marketer or admin: the same checks as the
    API, rows that could not be read at all (`unreadable()`, read after the reader is exhausted) counted as
    rejected. The import is audited."""
    report = ingest(session, reader, Sender(actor, True, "import"), progress=progress)
    for row in unreadable():
        report.reject(Rejection(row.line, row.event_id, row.reason, field=None))
        report.processed += 1
    report.rejected.sort(key=lambda r: r.index)
    report.duplicate_ids = []
    audit.record(
        session,
        actor,
        "marketing_events.imported",
        "marketing_events",
        None,
        None,
        accepted=report.accepted,
        duplicates=report.duplicates,
        rejected=report.rejected_count,
        total=report.processed,
    )
    return report
