"""REST API of marketing events: the tracker/partner batch, file imports, and a visitor's tracking consent.

Who may post events:
- anyone, without signing in (the storefront tracker): touch and engagement types with a `visitor_id`, no
  `user_id`; at most ANONYMOUS_EVENTS_PER_MINUTE events per minute per client address (429 beyond);
- a signed-in user: the same, and `user_id` is theirs (filled in when left out; another user's id is refused);
- a marketer or admin (API token): any touch or engagement event, for any user, no rate limit.
Conversions (test_drive_booked, test_drive_taken, credit_application, order) come from the platform itself
and are refused for everyone here.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, Request, UploadFile

from forecourt.accounts.principal import Principal
from forecourt.accounts.security import CurrentUser, MarketerUser
from forecourt.core.client_address import client_ip
from forecourt.core.errors import TooManyRequests
from forecourt.core.http import WriteSession
from forecourt.marketing import events, visitors
from forecourt.marketing.event_files import (
    CsvEvents,
    FileTooLarge,
    ParquetEvents,
    detect_format,
)
from forecourt.marketing.event_schemas import (
    ConsentIn,
    ConsentOut,
    EventImportOut,
    EventsIn,
    EventsReportOut,
    ImportRejectionOut,
    RejectedEventOut,
)

router = APIRouter(prefix="/api/v1", tags=["marketing events"])
ANONYMOUS_EVENTS_PER_MINUTE = 300
_PROBLEM = {"content": {"application/problem+json": {}}}


class _RateLimiter:
    """Fixed one-minute windows of events per client address, in this process (enough for a tracker's abuse
    guard; a reverse proxy limits requests before they reach us)."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self.counts: dict[str, tuple[float, int]] = {}
        self.lock = threading.Lock()

    def take(self, key: str, amount: int) -> None:
        now = time.monotonic()
        with self.lock:
            if len(self.counts) > 50_000:
                self.counts = {k: v for k, v in self.counts.items() if now - v[0] < self.window}
            started, used = self.counts.get(key, (now, 0))
            if now - started >= self.window:
                started, used = now, 0
            if used + amount > self.limit:
                retry = int(self.window - (now - started)) + 1
                raise TooManyRequests(
                    f"Too many events from this address; at most {self.limit} a minute without "
                    "signing in. Retry later.",
                    retry_after=retry,
                    code="rate_limited",
                )
            self.counts[key] = (started, used + amount)


def _limiter(request: Request) -> _RateLimiter:
    limiter = getattr(request.app.state, "event_rate_limiter", None)
    if limiter is None:
        limiter = request.app.state.event_rate_limiter = _RateLimiter(ANONYMOUS_EVENTS_PER_MINUTE)
    return limiter


def _sender(user: Principal | None) -> events.Sender:
    if user is None:
        return events.Sender(None, False)
    return events.Sender(user.user_id, user.has_role("marketer", "admin"))


@router.post(
    "/events",
    response_model=EventsReportOut,
    summary="Record a batch of touch and engagement events",
    description=(
        "Idempotent by `event_id`: an id stored before, or repeated in the batch, is counted in `duplicates` and "
        "not stored again. Each malformed event is listed in `rejected` with its index, event id and reason; the "
        "others are stored. The answer is 200 whenever the batch itself is well-formed, even if every event was "
        "rejected: check `rejected`. Events of a visitor who declined tracking are rejected with code "
        "`consent_declined`. Without signing in, only events with a visitor_id and no user_id are accepted, "
        f"at most {ANONYMOUS_EVENTS_PER_MINUTE} per minute per address."
    ),
    responses={
        422: {"description": "Not a batch (e.g. more than 1,000 events)", **_PROBLEM},
        429: {"description": "Rate limit of anonymous senders", **_PROBLEM},
    },
)
def post_events(request: Request, session: WriteSession, user: CurrentUser, body: EventsIn) -> EventsReportOut:
    sender = _sender(user)
    if user is None:
        _limiter(request).take(client_ip(request), len(body.events))
    report = events.ingest(session, list(enumerate(body.events)), sender)
    return EventsReportOut(
        accepted=report.accepted,
        duplicates=report.duplicates,
        duplicate_event_ids=report.duplicate_ids,
        rejected=[
            RejectedEventOut(index=r.index, event_id=r.event_id, code=r.code, field=r.field, reason=r.reason)
            for r in report.rejected
        ],
    )


@router.post(
    "/events/import",
    response_model=EventImportOut,
    summary="Import events from a CSV or Parquet file",
    description=(
        "Columns as the fields of POST /events (event_id, type, occurred_at required; visitor_id or user_id). "
        "Same checks, one report row per rejected line (CSV: line in the file, header = 1; Parquet: row number). "
        "Good rows are stored, duplicates skipped. A file that is unusable as a whole (unknown or missing "
        "columns, not UTF-8, not Parquet) is a 422 and imports nothing. Marketers and admins."
    ),
    responses={
        401: {"description": "Not signed in", **_PROBLEM},
        403: {"description": "Not a marketer", **_PROBLEM},
        413: {"description": "Above the import size limit", **_PROBLEM},
        422: {"description": "The file is unusable; nothing was imported", **_PROBLEM},
    },
)
def import_events(
    request: Request,
    session: WriteSession,
    user: MarketerUser,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or Parquet file")],
    file_format: Annotated[Literal["csv", "parquet"] | None, Query(alias="format")] = None,
) -> EventImportOut:
    limit = request.app.state.settings.max_import_bytes
    stream = file.file
    stream.seek(0, 2)
    if stream.tell() > limit:
        raise FileTooLarge(limit)
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    kind = detect_format(file_format, file.filename, head)
    reader = CsvEvents(stream) if kind == "csv" else ParquetEvents(stream)
    report = events.import_events(session, reader, actor=user.user_id, unreadable=lambda: reader.errors)
    return EventImportOut(
        total=report.processed,
        accepted=report.accepted,
        duplicates=report.duplicates,
        rejected_count=report.rejected_count,
        rejected=[
            ImportRejectionOut(line=r.index, event_id=r.event_id, code=r.code, field=r.field, reason=r.reason)
            for r in report.rejected
        ],
    )


VisitorId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


@router.post(
    "/visitors/{visitor_id}/consent",
    response_model=ConsentOut,
    summary="Record a visitor's tracking consent",
    description=(
        "Opt-in: the storefront tracker sends nothing until the visitor accepts. Declining deletes the "
        "visitor's stored touch and engagement events and refuses later ones (`consent_declined`); accepting "
        "again lets new events in. The visitor id is the browser's `fc_vid` cookie (a random secret)."
    ),
    responses={422: {"description": "Malformed visitor id or body", **_PROBLEM}},
)
def set_consent(session: WriteSession, visitor_id: VisitorId, body: ConsentIn) -> ConsentOut:
    outcome = visitors.set_consent(session, visitor_id, body.granted)
    return ConsentOut(visitor_id=outcome.visitor_id, consent=outcome.consent, deleted_events=outcome.deleted_events)
