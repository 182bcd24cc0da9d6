"""The platform's conversions, delivered through the outbox to the marketing events table.

Test drives, credit applications, orders and quotes call `core.outbox.enqueue_event` in their own
transaction (they import nothing of marketing). The relay hands each message to `PlatformEventAdapter`,
which stores the event in a transaction of its own, idempotent by event id
(`platform:<type>:<reference>`), so a message relayed twice is stored once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from forecourt.core.outbox import Channel, MessageAdapter, OutboxMessage, file_adapters
from forecourt.marketing.events import record_platform_event


class PlatformEventAdapter:
    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self.session_factory = session_factory

    def send(self, message: OutboxMessage) -> None:
        payload = json.loads(message.body)
        if not isinstance(payload, dict):
            raise TypeError("an event message body must be a JSON object")
        with self.session_factory() as session:
            if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
                # One writer from the start: a deferred transaction that reads, then writes after another
                # connection committed, fails at once on SQLite (WAL) instead of waiting.
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            record_platform_event(session, payload)
            session.commit()


def outbox_adapters(session_factory: Callable[[], Session], outbox_dir: Path) -> dict[str, MessageAdapter]:
    """Every adapter the relay needs: the development file adapters (email, SMS) and the event adapter."""
    return {**file_adapters(outbox_dir), Channel.EVENT.value: PlatformEventAdapter(session_factory)}
