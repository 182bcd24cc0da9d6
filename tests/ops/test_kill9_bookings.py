"""kill -9 of `forecourt serve` in the middle of a burst of test-drive bookings (PostgreSQL).

Client threads book as shoppers do — hold, then confirm, each request with its own Idempotency-Key — and the
server is killed with SIGKILL once KILL_AFTER answers have come back, while one more hold is known to be inside
its transaction (its booking row inserted, waiting on the exclusion constraint behind an uncommitted booking of
the test's; see served.py). Then the database must hold every answered booking with all of its parts and nothing
half-written, and a server restarted on it must answer a retry with the same key as it answered the first time
(or, for a request that got no answer, book it exactly once).

What one booking writes (testdrive/service.hold, testdrive/lifecycle.confirm, core/idempotency.py):
- the hold: the booking row (held), an audit row `testdrive.held`, the idempotency record holding the 201 answer;
- the confirm: the booking confirmed, an audit row `testdrive.confirmed`, two outbox messages (the e-mail with the
  calendar invite, the `test_drive_booked` event for marketing), a payment when a deposit was charged, and the
  idempotency record holding the 200 answer.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from forecourt.audit.models import AuditEvent
from forecourt.core.idempotency import IdempotencyRecord
from forecourt.core.outbox import OutboxMessage
from forecourt.payments.models import Payment
from forecourt.testdrive.models import HOLDING_STATUSES, TestDriveBooking
from tests.ops.served import (
    BOOKINGS,
    HOLDS,
    BookingDatabase,
    Drive,
    ServeProcess,
    lock_waiters,
    server_backends,
    slots_taken_uncommitted,
    wait_for,
)

CLIENTS = 6
DRIVES = 40  # up to 80 requests: the kill comes long before the drives run out
KILL_AFTER = 24  # answers received before the kill
SUCCESS = {"hold": 201, "confirm": 200}


@dataclass
class Attempt:
    drive: Drive
    step: str  # "hold" or "confirm"
    path: str
    body: dict
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: int | None = None  # None: no answer came back (the server died first)
    answer: dict | None = None


class Burst:
    """Client threads, each taking the next drive, holding it and confirming it, until the server is gone."""

    def __init__(self, base_url: str, drives: list[Drive]) -> None:
        self.base_url = base_url
        self.waiting = deque(drives)
        self.attempts: list[Attempt] = []
        self.answers = 0
        self.answered = threading.Condition()

    def post(self, http: httpx.Client, attempt: Attempt) -> bool:
        """Send the attempt; False when the server gave no answer."""
        with self.answered:
            self.attempts.append(attempt)
        try:
            response = http.post(attempt.path, json=attempt.body, headers=attempt.drive.headers(attempt.key))
        except httpx.TransportError:
            return False
        with self.answered:
            attempt.status, attempt.answer = response.status_code, response.json()
            self.answers += 1
            self.answered.notify_all()
        return True

    def _next_drive(self) -> Drive | None:
        with self.answered:
            return self.waiting.popleft() if self.waiting else None

    def client(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            while (drive := self._next_drive()) is not None:
                hold = Attempt(drive, "hold", HOLDS, drive.hold_body())
                if not self.post(http, hold):
                    return
                if hold.status != 201:
                    continue  # reported by the test: every hold here should succeed
                path = f"{BOOKINGS}/{hold.answer['reference']}/confirm"
                if not self.post(http, Attempt(drive, "confirm", path, drive.confirm_body())):
                    return

    def send_alone(self, attempt: Attempt) -> None:
        with httpx.Client(base_url=self.base_url, timeout=60) as http:
            self.post(http, attempt)

    def wait_for_answers(self, count: int, seconds: float = 30) -> None:
        with self.answered:
            assert self.answered.wait_for(lambda: self.answers >= count, timeout=seconds), (
                f"only {self.answers} answers in {seconds} s"
            )


@dataclass
class Stored:
    """What the database holds, per booking reference."""

    bookings: dict[str, TestDriveBooking]
    audits: Counter  # (action, reference)
    emails: Counter  # reference (in the subject)
    events: Counter  # reference (the event's subject)
    payments: Counter  # reference (the payment's subject)
    records: dict[tuple[str, str], IdempotencyRecord]

    @classmethod
    def read(cls, engine: Engine) -> Stored:
        with Session(engine) as session:
            bookings = {b.reference: b for b in session.scalars(select(TestDriveBooking))}
            audits = Counter(
                (a.action, a.object_id) for a in session.scalars(select(AuditEvent)) if a.object_type == "test_drive"
            )
            messages = list(session.scalars(select(OutboxMessage)))
            subjects = [m.subject.split() for m in messages if m.channel == "email"]
            emails = Counter(words[-1] for words in subjects if words and words[-1].startswith("TD"))
            events = Counter(json.loads(m.body)["subject"] for m in messages if m.channel == "event")
            payments = Counter(p.subject for p in session.scalars(select(Payment)))
            records = {(r.scope, r.key): r for r in session.scalars(select(IdempotencyRecord))}
            session.expunge_all()
        return cls(bookings, audits, emails, events, payments, records)

    def answers_by_reference(self, status: int) -> Counter:
        return Counter(
            r.response_body.get("reference")
            for r in self.records.values()
            if r.response_status == status and isinstance(r.response_body, dict)
        )


def check_whole(stored: Stored) -> None:
    """Every booking has all of its parts, every part has its booking, and no two live bookings of a car overlap."""
    holds, confirms = stored.answers_by_reference(201), stored.answers_by_reference(200)
    for reference, booking in stored.bookings.items():
        confirmed = booking.status == "confirmed"
        assert booking.status in ("held", "confirmed"), (reference, booking.status)
        assert stored.audits["testdrive.held", reference] == 1, reference
        assert holds[reference] == 1, f"{reference}: no idempotency record with its 201 answer"
        parts = {
            "audit testdrive.confirmed": stored.audits["testdrive.confirmed", reference],
            "e-mail": stored.emails[reference],
            "event": stored.events[reference],
            "idempotency record of the confirm": confirms[reference],
        }
        assert parts == dict.fromkeys(parts, int(confirmed)), (reference, booking.status, parts)
        paid = confirmed and booking.deposit_kind == "deposit"
        assert stored.payments[reference] == int(paid), (reference, booking.deposit_kind)
        assert (booking.payment_id is not None) == paid, reference
    referenced = (
        {ref for _, ref in stored.audits}
        | set(stored.emails)
        | set(stored.events)
        | set(stored.payments)
        | set(holds)
        | set(confirms)
    )
    assert referenced <= set(stored.bookings), f"parts without a booking: {referenced - set(stored.bookings)}"
    unfinished = [key for key, record in stored.records.items() if record.response_status is None]
    assert not unfinished, f"idempotency records without an answer: {unfinished}"
    live = [b for b in stored.bookings.values() if b.status in {s.value for s in HOLDING_STATUSES}]
    for i, a in enumerate(live):
        for b in live[i + 1 :]:
            overlap = a.vehicle_id == b.vehicle_id and a.starts_at < b.blocks_until and b.starts_at < a.blocks_until
            assert not overlap, (a.reference, b.reference)


def retry(http: httpx.Client, attempt: Attempt) -> httpx.Response:
    return http.post(attempt.path, json=attempt.body, headers=attempt.drive.headers(attempt.key))


def test_kill_9_during_a_booking_burst_loses_and_tears_nothing(booking_db: BookingDatabase, tmp_path: Path) -> None:
    stuck_drive, *drives = booking_db.take(DRIVES + 1)
    server = ServeProcess(booking_db.url, tmp_path).start()
    burst = Burst(server.base_url, drives)
    stuck = Attempt(stuck_drive, "hold", HOLDS, stuck_drive.hold_body())
    try:
        with slots_taken_uncommitted(booking_db.engine, [stuck_drive], booking_db.holder_id):
            stuck_thread = threading.Thread(target=burst.send_alone, args=(stuck,))
            stuck_thread.start()
            wait_for(lambda: lock_waiters(booking_db.engine) == 1, "the stuck hold to wait on the exclusion constraint")
            clients = [threading.Thread(target=burst.client) for _ in range(CLIENTS)]
            for client in clients:
                client.start()
            burst.wait_for_answers(KILL_AFTER)
            server.kill()
            for thread in [stuck_thread, *clients]:
                thread.join(timeout=30)
        # The blocking transaction has rolled back: the stuck request's backend finds its client gone and aborts.
        wait_for(lambda: server_backends(booking_db.engine) == 0, "the killed server's connections to close")

        answered = [a for a in burst.attempts if a.status is not None]
        unanswered = [a for a in burst.attempts if a.status is None]
        assert len(answered) >= KILL_AFTER
        assert all(a.status == SUCCESS[a.step] for a in answered), [(a.status, a.answer) for a in answered]
        assert stuck in unanswered and stuck.status is None
        assert {a.step for a in answered} == {"hold", "confirm"}

        stored = Stored.read(booking_db.engine)
        for attempt in answered:
            booking = stored.bookings[attempt.answer["reference"]]
            assert (booking.shopper_user_id, booking.vehicle_id) == (attempt.drive.shopper_id, attempt.drive.vehicle_id)
            if attempt.step == "confirm":
                assert booking.status == "confirmed"
            record = stored.records[f"user:{attempt.drive.shopper_id}", attempt.key]
            assert (record.response_status, record.response_body) == (attempt.status, attempt.answer)
        check_whole(stored)
        assert not [b for b in stored.bookings.values() if b.vehicle_id == stuck_drive.vehicle_id]
        assert (f"user:{stuck_drive.shopper_id}", stuck.key) not in stored.records

        server = ServeProcess(booking_db.url, tmp_path, name="restarted").start()
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            for attempt in answered:  # the same answer, replayed, nothing run twice
                response = retry(http, attempt)
                assert (response.status_code, response.json()) == (attempt.status, attempt.answer)
                assert response.headers.get("Idempotent-Replayed") == "true"
            for attempt in sorted(unanswered, key=lambda a: a.step != "hold"):
                first = retry(http, attempt)  # committed before the kill (replayed) or not (run now)
                assert first.status_code == SUCCESS[attempt.step], first.text
                again = retry(http, attempt)
                assert (again.status_code, again.json()) == (first.status_code, first.json())
                assert again.headers.get("Idempotent-Replayed") == "true"

        stored = Stored.read(booking_db.engine)
        check_whole(stored)
        attempted = {a.drive.shopper_id for a in burst.attempts}
        per_shopper = Counter(b.shopper_user_id for b in stored.bookings.values())
        assert {shopper: per_shopper[shopper] for shopper in attempted} == dict.fromkeys(attempted, 1)
        confirmed = {a.answer["reference"] for a in answered if a.step == "confirm"}
        assert all(stored.bookings[ref].status == "confirmed" for ref in confirmed)
    finally:
        server.stop()
