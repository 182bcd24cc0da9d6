"""REST API of marketing events: the tracker/partner batch, file imports, and a visitor's tracking consent.

Who may post events:
- anyone, without signing in (the storefront tracker): touch and engagement types with a `visitor_id`, no
  `user_id`; at most ANONYMOUS_EVENTS_PER_MINUTE events per minute per client address (429 beyond);
- a signed-in user: the same, and `user_id` is theirs (filled in when left out; another user's id is refused);
- a marketer or admin (API token): any touch or engagement event, for any user, no rate limit.
Conversions (test_drive_booked, test_drive_taken, credit_application, order) come from the platform itself
and are refused for everyone here.

Who may change a visitor's consent: that visitor's own browser (the server-issued id and its HttpOnly proof,
`marketing/visitor_cookies.py`, plus the double-submit CSRF token of `web/csrf.py`), or an admin. A visitor id
alone proves nothing: it is in every event body and export.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile

from forecourt.accounts.principal import Principal
from forecourt.accounts.security import CSRF_HEADER, CurrentUser, MarketerUser
from forecourt.core.client_address import client_ip
from forecourt.core.errors import Forbidden, TooManyRequests, Unauthenticated
from forecourt.core.http import DbSession, WriteSession
from forecourt.marketing import events, visitor_cookies, visitors
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
    VisitorOut,
)
from forecourt.marketing.vocabulary import CONSENT_DECLINED
from forecourt.web import csrf

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
_CONSENT_RULES = (
    "Opt-in: the storefront tracker sends nothing until the visitor accepts. Declining deletes the visitor's "
    "stored touch and engagement events and refuses later ones (`consent_declined`); accepting again lets new "
    "events in. `granted` is a JSON boolean. "
)


def _check_visitor_csrf(request: Request) -> None:
    """The visitor's proof is a cookie, which a browser sends on its own: the request must also echo the
    double-submit token (`GET /visitors/me` hands it out and sets its HttpOnly `csrf_pre` cookie)."""
    if not csrf.is_valid(request, request.headers.get(CSRF_HEADER)):
        raise Forbidden(
            f"Missing or wrong CSRF token: send the {CSRF_HEADER} header with the csrf_token of GET /api/v1/visitors/me",
            code="csrf_failed",
        )


def _consent_out(outcome: visitors.ConsentOutcome) -> ConsentOut:
    return ConsentOut(visitor_id=outcome.visitor_id, consent=outcome.consent, deleted_events=outcome.deleted_events)


@router.get(
    "/visitors/me",
    response_model=VisitorOut,
    summary="This browser's visitor id, consent and the CSRF token for changing it",
)
def my_visitor(request: Request, response: Response, session: DbSession) -> VisitorOut:
    token = csrf.token_for(request)
    csrf.set_cookie(request, response, token)
    response.headers["Cache-Control"] = "no-store"
    visitor_id = visitor_cookies.proven_visitor_id(request)
    consent = visitors.consent_of(session, visitor_id) if visitor_id else None
    return VisitorOut(visitor_id=visitor_id, consent=consent, csrf_token=token)


@router.post(
    "/visitors/me/consent",
    response_model=ConsentOut,
    summary="Record this browser's tracking consent",
    description=_CONSENT_RULES
    + (
        "The browser is the visitor its `fc_vid` and HttpOnly `fc_vid_proof` cookies name; the first acceptance "
        "issues both (no id exists before). Declining in a browser without an id stores nothing. Needs the "
        f"{CSRF_HEADER} header from GET /visitors/me."
    ),
    responses={
        403: {"description": "Missing or wrong CSRF token", **_PROBLEM},
        422: {"description": "Malformed body (e.g. granted is not a boolean)", **_PROBLEM},
    },
)
def set_my_consent(request: Request, response: Response, session: WriteSession, body: ConsentIn) -> ConsentOut:
    _check_visitor_csrf(request)
    visitor_id = visitor_cookies.proven_visitor_id(request)
    if visitor_id is None:
        if not body.granted:
            return ConsentOut(visitor_id=None, consent=CONSENT_DECLINED, deleted_events=0)
        visitor_id = visitor_cookies.issue(request, response)
    return _consent_out(visitors.set_consent(session, visitor_id, body.granted))


@router.post(
    "/visitors/{visitor_id}/consent",
    response_model=ConsentOut,
    summary="Record a visitor's tracking consent (that visitor's own browser, or an admin)",
    description=_CONSENT_RULES
    + (
        "Knowing a visitor id is not enough: the caller must be an admin (API token, or session with its CSRF "
        f"token), or the browser whose `fc_vid_proof` cookie vouches for this id (with the {CSRF_HEADER} header "
        "from GET /visitors/me). Refusals do not depend on whether the visitor exists."
    ),
    responses={
        401: {"description": "No credentials: neither signed in nor this visitor's browser", **_PROBLEM},
        403: {"description": "Not an admin and not this visitor, or a missing CSRF token", **_PROBLEM},
        422: {"description": "Malformed visitor id or body", **_PROBLEM},
    },
)
def set_consent(
    request: Request, session: WriteSession, user: CurrentUser, visitor_id: VisitorId, body: ConsentIn
) -> ConsentOut:
    if user is None or not user.is_admin:
        proven = visitor_cookies.proven_visitor_id(request)
        if proven is None and user is None:
            raise Unauthenticated("Only the visitor's own browser or an admin may change a visitor's consent")
        if proven != visitor_id:
            raise Forbidden(
                "Only the visitor's own browser or an admin may change a visitor's consent", code="not_your_visitor"
            )
        _check_visitor_csrf(request)
    return _consent_out(visitors.set_consent(session, visitor_id, body.granted))
