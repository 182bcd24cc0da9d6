"""Transactional outbox for messages that leave the process (email, SMS) or the context (events).

A use case calls `enqueue` in its own transaction, so the message exists if and only if the change that
caused it was committed. `relay_outbox` runs after commit (a background task, `forecourt outbox relay`)
and hands unsent messages to an adapter, then marks them sent. Delivery is at least once: a crash between
sending and marking sends the message again, so consumers must tolerate duplicates.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from sqlalchemy import JSON, Boolean, CheckConstraint, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, UTCDateTime

MAX_ATTEMPTS = 10  # after this many failures a message is left for a human to look at
RELAY_BATCH = 100
REDACTED_BODY = "[delivered; the body held a secret and was removed]"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    EVENT = "event"  # a platform event (a conversion) for the marketing context, JSON in the body


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'sms', 'event')", name="channel_valid"),
        Index("ix_outbox_messages_unsent", "sent_at", "id"),
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


class MessageAdapter(Protocol):
    """Delivers one message or raises; the relay records the error and retries on its next run."""

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


def unsent_messages(
    session: Session, limit: int = RELAY_BATCH, channels: Collection[str] | None = None
) -> list[OutboxMessage]:
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if channels is not None:
        statement = statement.where(OutboxMessage.channel.in_(sorted(channels)))
    return list(session.scalars(statement))


def relay_outbox(session_factory: Callable[[], Session], adapters: Mapping[str, MessageAdapter]) -> int:
    """Send every unsent message; return how many were sent. Each message is marked in its own commit, so
    one failing message (or channel) never holds back the others, and a second run sends nothing twice."""
    sent = 0
    with session_factory() as session:
        # Only the channels this relay can deliver: a relay without the event adapter leaves events to one
        # that has it, rather than spending their attempts. The read transaction ends before any adapter
        # runs, so an adapter writing through its own connection cannot leave this SQLite snapshot stale.
        messages = unsent_messages(session, channels=list(adapters))
        session.commit()
        for message in messages:
            adapter = adapters.get(message.channel)
            message.attempts += 1
            try:
                if adapter is None:
                    raise LookupError(f"no adapter for channel {message.channel!r}")
                adapter.send(message)
            except Exception as exc:  # noqa: BLE001 - any delivery failure is recorded and retried later
                message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            else:
                message.sent_at = utcnow()
                message.last_error = None
                if message.sensitive:
                    message.body = REDACTED_BODY
                sent += 1
            session.commit()
    return sent
