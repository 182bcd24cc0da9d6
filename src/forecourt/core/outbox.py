"""Transactional outbox for messages that leave the process (email, SMS) or the context (events).

A use case calls `enqueue` in its own transaction, so the message exists if and only if the change that
caused it was committed. `relay_outbox` runs after commit (after a request, in the minute job, from
`forecourt outbox relay`), and any number of relays may run at once, in any number of processes: each one
*claims* a batch (a random claim token and a lease, `claimed_until`, written in one short transaction —
`FOR UPDATE SKIP LOCKED` on PostgreSQL, a compare-and-set UPDATE inside a `BEGIN IMMEDIATE` on SQLite), so
no two relays hold the same message. It hands each claimed message to its channel's adapter and marks it sent
in its own commit right after, only while it still holds the claim.

Delivery is exactly once except in one window: a relay that dies (or loses its database) after the adapter
accepted a message and before the mark committed leaves the claim to lapse, and another relay sends the
message again once the lease has run out. So delivery is "at least once" only on a crash in that window;
the development `FileMessageAdapter` then writes the message twice (harmless in a log) and the marketing
event adapter stores the event once (it is idempotent by event id).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Index,
    Integer,
    Row,
    String,
    Text,
    func,
    or_,
    select,
    text,
)
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Mapped, Session, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, UTCDateTime

MAX_ATTEMPTS = 10  # after this many claims (failures, or relays that died) a message is left for a human
RELAY_BATCH = 100  # messages claimed per round trip; one relay run claims batch after batch until none is left
# How long a claim keeps other relays off a message. Long enough for a whole batch through a slow gateway
# (100 messages at a second or two each), short enough that the messages of a relay that died go out again
# within minutes. A relay never starts sending a message whose lease has run out.
CLAIM_LEASE = timedelta(minutes=5)
REDACTED_BODY = "[delivered; the body held a secret and was removed]"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    EVENT = "event"  # a platform event (a conversion) for the marketing context, JSON in the body


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'sms', 'event')", name="channel_valid"),
        # Only unsent messages are indexed (sent ones pile up forever): the claim walks this in id order.
        Index(
            "ix_outbox_messages_pending",
            "id",
            "claimed_until",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # [{"filename": ..., "content_type": ..., "content": text}], e.g. an .ics calendar invite
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # A body holding a secret (a pick-up code) is blanked once delivered, so the table does not keep it.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    # The relay holding this message and until when; both NULL when no relay holds it.
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MessageAdapter(Protocol):
    """Delivers one message or raises; the relay records the error and retries on its next run. The message is
    a detached copy: an adapter reads it and never changes it."""

    def send(self, message: OutboxMessage) -> None: ...


class FileMessageAdapter:
    """Development adapter: appends each message to {directory}/{channel}.log instead of sending it."""

    def __init__(self, directory: Path, channel: Channel) -> None:
        self.path = Path(directory) / f"{channel.value}.log"

    def send(self, message: OutboxMessage) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(
                f"--- message {message.id} at {message.created_at.isoformat()}\n"
                f"To: {message.recipient}\nSubject: {message.subject}\n\n{message.body}\n\n"
            )
        for attachment in message.attachments or []:
            target = self.path.parent / "attachments" / f"{message.id}-{Path(attachment['filename']).name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(attachment["content"], encoding="utf-8")


def file_adapters(directory: Path) -> dict[str, MessageAdapter]:
    """Email and SMS to log files. Events are not files: the marketing context's adapter stores them
    (`marketing.platform_events.outbox_adapters` adds it)."""
    return {channel.value: FileMessageAdapter(directory, channel) for channel in Channel if channel != Channel.EVENT}


def enqueue(
    session: Session,
    channel: Channel,
    recipient: str,
    subject: str,
    body: str,
    *,
    attachments: list[dict[str, str]] | None = None,
    sensitive: bool = False,
) -> OutboxMessage:
    message = OutboxMessage(
        channel=channel.value,
        recipient=recipient,
        subject=subject,
        body=body,
        created_at=utcnow(),
        attempts=0,
        attachments=attachments or [],
        sensitive=sensitive,
    )
    session.add(message)
    session.flush()
    return message


def enqueue_event(session: Session, payload: Mapping[str, object]) -> OutboxMessage:
    """A platform event (a conversion) for the marketing context: event_id, type, occurred_at (ISO, with an
    offset), user_id, model_code, city, store_code, subject, value (decimal string or None)."""
    body = json.dumps(dict(payload), default=str, ensure_ascii=False, sort_keys=True)
    return enqueue(session, Channel.EVENT, "marketing", str(payload.get("type", ""))[:200], body)


log = logging.getLogger(__name__)
_outbox = OutboxMessage.__table__


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Unsent, not given up on, and held by no relay (or by one whose lease ran out). The holder sends only
    while now < claimed_until and others take over only once claimed_until < now, so they never overlap."""
    return (
        _outbox.c.sent_at.is_(None)
        & (_outbox.c.attempts < MAX_ATTEMPTS)
        & or_(_outbox.c.claimed_until.is_(None), _outbox.c.claimed_until < now)
    )


def _begin_write(session: Session) -> None:
    """Open the session's transaction; on SQLite as the writer from the start: BEGIN IMMEDIATE waits its turn
    for the write lock (busy_timeout), where a deferred transaction that has read fails at once."""
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def claim_messages(
    session: Session, token: str, channels: Collection[str], *, after_id: int = 0, limit: int = RELAY_BATCH
) -> list[OutboxMessage]:
    """Claim up to `limit` claimable messages of `channels` with ids above `after_id` for the relay `token`,
    commit, and return detached copies in id order.

    The UPDATE repeats the claimable test, so only rows it really took come back (compare-and-set), whatever
    another relay did since the candidates were read. PostgreSQL: the candidates are locked with SKIP LOCKED
    in the same transaction, so concurrent relays take disjoint batches without waiting for each other.
    SQLite: the candidates are read first without the write lock, so a relay with nothing to do (most runs
    after a request) never makes a request's transaction wait; only then is the UPDATE run as the writer.
    Taking a claim counts an attempt: a message whose delivery kills the relay is given up after MAX_ATTEMPTS."""
    if not channels:
        return []
    now = utcnow()
    candidates = (
        select(_outbox.c.id)
        .where(_claimable(now), _outbox.c.channel.in_(sorted(channels)), _outbox.c.id > after_id)
        .order_by(_outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    while True:
        try:
            ids = list(session.scalars(candidates))
            rows = _take(session, ids, token, now) if ids else []
            session.commit()
        except BaseException:
            session.rollback()
            raise
        if rows or not ids:
            return sorted((OutboxMessage(**row._asdict()) for row in rows), key=lambda message: message.id)
        # Another relay took every candidate between the read and the claim (SQLite): read again.


def _take(session: Session, ids: list[int], token: str, now: datetime) -> list[Row[Any]]:
    """The compare-and-set claim of `ids`: only the rows still claimable are taken and come back."""
    if session.get_bind().dialect.name == "sqlite":
        session.commit()  # end the read; the claim runs as the writer (BEGIN IMMEDIATE)
        _begin_write(session)
    claim = (
        sql_update(_outbox)
        .where(_outbox.c.id.in_(ids), _claimable(now))
        .values(claim_token=token, claimed_until=now + CLAIM_LEASE, attempts=_outbox.c.attempts + 1)
        .returning(*_outbox.c)
    )
    return list(session.execute(claim).all())


def _settle(session: Session, message: OutboxMessage, token: str, values: dict[str, Any]) -> bool:
    """Write the outcome of one delivery and release the claim, in its own short commit, only if `token`
    still holds the message; False when the claim was lost (its lease ran out and another relay took it)."""
    _begin_write(session)
    try:
        result = session.execute(
            sql_update(_outbox)
            .where(_outbox.c.id == message.id, _outbox.c.claim_token == token)
            .values(claim_token=None, claimed_until=None, **values)
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result.rowcount == 1


def _deliver(session: Session, message: OutboxMessage, adapter: MessageAdapter, token: str) -> bool:
    """Send one claimed message and record the outcome; True when the adapter accepted it."""
    if message.claimed_until is None or utcnow() >= message.claimed_until:
        log.warning(
            "outbox message %s not sent: its claim lapsed before its turn; another relay will send it", message.id
        )
        return False
    try:
        adapter.send(message)
    except Exception as exc:  # noqa: BLE001 - any delivery failure is recorded and retried later
        if not _settle(session, message, token, {"last_error": f"{type(exc).__name__}: {exc}"[:500]}):
            log.warning("outbox message %s failed after its claim was taken over by another relay", message.id)
        return False
    done: dict[str, Any] = {"sent_at": utcnow(), "last_error": None}
    if message.sensitive:
        done["body"] = REDACTED_BODY
    if not _settle(session, message, token, done):
        log.warning("outbox message %s was sent after its claim lapsed; another relay may send it again", message.id)
    return True


def relay_outbox(
    session_factory: Callable[[], Session], adapters: Mapping[str, MessageAdapter], *, batch_size: int = RELAY_BATCH
) -> int:
    """Send every deliverable message of the channels in `adapters`; return how many this relay sent.

    Claims batch after batch until none is left, so one run drains the whole backlog. Each batch starts after
    the last id of the one before: a message that failed in this run is retried by the next run, not again
    and again in this one. A relay without an adapter for a channel leaves that channel's messages to one
    that has it, without spending their attempts. No transaction stays open while an adapter runs, so an
    adapter writing through its own connection (the event adapter) never waits for the relay."""
    token = uuid.uuid4().hex
    sent = 0
    after_id = 0
    with session_factory() as session:
        while batch := claim_messages(session, token, list(adapters), after_id=after_id, limit=batch_size):
            after_id = batch[-1].id
            for message in batch:
                sent += _deliver(session, message, adapters[message.channel], token)
    return sent


@dataclass(frozen=True)
class ChannelBacklog:
    channel: str
    pending: int  # unsent and still to be tried
    given_up: int  # unsent after MAX_ATTEMPTS: left for a person
    oldest_pending_at: datetime | None  # creation time of the oldest pending message


def backlog_by_channel(session: Session) -> list[ChannelBacklog]:
    """Unsent messages per channel, every channel listed (zeros included, so a gauge never goes stale). One
    grouped query over the partial index of unsent messages; sent ones are never read."""
    given_up = (_outbox.c.attempts >= MAX_ATTEMPTS).label("given_up")
    rows = session.execute(
        select(_outbox.c.channel, given_up, func.count(), func.min(_outbox.c.created_at))
        .where(_outbox.c.sent_at.is_(None))
        .group_by(_outbox.c.channel, given_up)
    )
    counts: dict[str, dict[bool, tuple[int, datetime | None]]] = {channel.value: {} for channel in Channel}
    for channel, is_given_up, count, oldest in rows:
        counts.setdefault(channel, {})[bool(is_given_up)] = (count, oldest)
    return [
        ChannelBacklog(
            channel,
            by_state.get(False, (0, None))[0],
            by_state.get(True, (0, None))[0],
            by_state.get(False, (0, None))[1],
        )
        for channel, by_state in counts.items()
    ]
