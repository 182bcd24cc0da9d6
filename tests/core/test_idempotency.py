"""Idempotency keys: replay, reuse with another body, in-flight requests, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from forecourt.core import clock, idempotency
from forecourt.core.errors import Conflict, InvalidInput


def test_first_use_claims_then_replays(db_session: Session):
    record = idempotency.begin(db_session, "user:1", "key-00000001", "f1")
    assert isinstance(record, idempotency.IdempotencyRecord)
    idempotency.finish(db_session, record, 201, {"reference": "TD23456789"})
    replay = idempotency.begin(db_session, "user:1", "key-00000001", "f1")
    assert replay == idempotency.Replay(201, {"reference": "TD23456789"})


def test_same_key_other_request_is_refused(db_session: Session):
    record = idempotency.begin(db_session, "user:1", "key-00000002", "f1")
    idempotency.finish(db_session, record, 201, {})
    with pytest.raises(InvalidInput) as caught:
        idempotency.begin(db_session, "user:1", "key-00000002", "f2")
    assert caught.value.code == "idempotency_key_reused"


def test_keys_are_scoped_per_caller(db_session: Session):
    idempotency.finish(db_session, idempotency.begin(db_session, "user:1", "key-00000003", "f1"), 201, {"a": 1})
    assert isinstance(idempotency.begin(db_session, "user:2", "key-00000003", "f1"), idempotency.IdempotencyRecord)


def test_expired_records_are_forgotten(db_session: Session):
    with clock.pinned(clock.utcnow() - idempotency.RETENTION - timedelta(minutes=1)):
        idempotency.finish(db_session, idempotency.begin(db_session, "user:1", "key-00000004", "f1"), 201, {})
    assert isinstance(idempotency.begin(db_session, "user:1", "key-00000004", "f2"), idempotency.IdempotencyRecord)


@pytest.mark.parametrize("key", [None, "", "short", "has space in it", "x" * 129, "ünïcödé-key"])
def test_bad_keys_are_explained(key):
    with pytest.raises(InvalidInput) as caught:
        idempotency.check_key(key)
    assert "Idempotency-Key" in caught.value.message


def test_a_request_still_running_gets_409_on_postgresql(db_engine: Engine, backend: str):
    if backend != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: the second request waits and then replays")
    with Session(db_engine) as first, Session(db_engine) as second:
        assert isinstance(idempotency.begin(first, "user:9", "key-inflight1", "f"), idempotency.IdempotencyRecord)
        with pytest.raises(Conflict) as caught:
            idempotency.begin(second, "user:9", "key-inflight1", "f")
        assert caught.value.code == "idempotency_key_in_flight" and caught.value.headers["Retry-After"] == "1"
        first.rollback()
        second.rollback()
    with Session(db_engine) as cleanup, cleanup.begin():
        cleanup.execute(delete(idempotency.IdempotencyRecord).where(idempotency.IdempotencyRecord.scope == "user:9"))
