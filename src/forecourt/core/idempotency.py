"""Idempotent writes: a client that retries a request with the same `Idempotency-Key` gets the first answer.

The key is claimed inside the request's own transaction, so the record commits with the change it
describes, or not at all (a failed request leaves nothing behind and may simply be retried).
- same key, same request: the stored answer is replayed (`Idempotent-Replayed: true`), nothing runs twice;
- same key, another request body: 422 `idempotency_key_reused`;
- same key while the first request is still running: 409 `idempotency_key_in_flight` (PostgreSQL takes a
  transaction-scoped advisory lock on the key; SQLite runs one write transaction at a time, so there the
  second request waits for the first and then gets its answer).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from forecourt.core.clock import utcnow
from forecourt.core.db import Base, UTCDateTime
from forecourt.core.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
KEY_PATTERN = r"[A-Za-z0-9._:\-]{8,128}"  # also the OpenAPI document's pattern of the header
_KEY_PATTERN = re.compile(KEY_PATTERN)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_records_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(100))  # who may replay it, e.g. "user:42"
    key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any


def check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise InvalidInput(
            f"Send an {HEADER} header (8-128 letters, digits, '.', '_', ':' or '-'; a UUID is ideal) "
            "so that a retry of this request cannot book twice",
            code="idempotency_key_missing",
        )
    key = key.strip()
    if not _KEY_PATTERN.fullmatch(key):
        raise InvalidInput(
            f"The {HEADER} must be 8-128 letters, digits, '.', '_', ':' or '-' (a UUID is ideal)",
            code="idempotency_key_invalid",
        )
    return key


def fingerprint(method: str, path: str, payload: Any, *, key: str) -> str:
    """A keyed digest (HMAC-SHA256) of the request: bodies may hold personal data (ID numbers), and an
    unkeyed hash of a low-entropy field could be reversed by guessing."""
    canonical = json.dumps([method.upper(), path, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def _advisory_lock_id(scope: str, key: str) -> int:
    return int.from_bytes(hashlib.sha256(f"idempotency:{scope}:{key}".encode()).digest()[:8], "big", signed=True)


def begin(session: Session, scope: str, key: str, request_fingerprint: str) -> Replay | IdempotencyRecord:
    """Claim `key` for this request, or return the answer already given to it."""
    if session.get_bind().dialect.name == "postgresql":
        locked = session.execute(select(func.pg_try_advisory_xact_lock(_advisory_lock_id(scope, key)))).scalar()
        if not locked:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry in a moment",
                code="idempotency_key_in_flight",
                headers={"Retry-After": "1"},
            )
    statement = select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    existing = session.scalars(statement).one_or_none()
    if existing is not None and existing.created_at < utcnow() - RETENTION:
        session.delete(existing)
        session.flush()
        existing = None
    if existing is not None:
        if existing.fingerprint != request_fingerprint:
            raise InvalidInput(
                "This Idempotency-Key was already used for a different request; use a new key for a new request",
                code="idempotency_key_reused",
            )
        return Replay(existing.response_status or 200, existing.response_body)
    record = IdempotencyRecord(scope=scope, key=key, fingerprint=request_fingerprint, created_at=utcnow())
    session.add(record)
    session.flush()
    return record


def finish(session: Session, record: IdempotencyRecord, status: int, body: Any) -> None:
    record.response_status = status
    record.response_body = body
    session.flush()


def purge_expired(session: Session, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - RETENTION
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
