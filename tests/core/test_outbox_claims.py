"""Outbox claims: any number of relays, in threads or processes, deliver each message once; a relay process killed
with SIGKILL mid-batch leaves its claims to another once the lease has run out; one run drains the backlog;
failures release the claim.

The races need real connections with their own commits (the usual `db_session` is one connection inside a
rolled-back transaction), so those tests write through `db_engine` and delete their rows afterwards.
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from forecourt.core import clock, outbox
from forecourt.core.db import make_session_factory
from forecourt.core.outbox import CLAIM_LEASE, MAX_ATTEMPTS, RELAY_BATCH, OutboxMessage, claim_messages, relay_outbox

TABLE = OutboxMessage.__table__
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Counting:
    """Counts deliveries per message id (thread-safe); optionally fails for some ids."""

    def __init__(self, failing: Callable[[int], bool] = lambda _id: False) -> None:
        self.sent: Counter[int] = Counter()
        self.tried: Counter[int] = Counter()
        self.failing = failing
        self.lock = threading.Lock()

    def send(self, message: OutboxMessage) -> None:
        with self.lock:
            self.tried[message.id] += 1
            if self.failing(message.id):
                raise ConnectionError("gateway down")
            self.sent[message.id] += 1


def both(adapter) -> dict:
    return {"email": adapter, "sms": adapter}


def seed(session: Session, count: int) -> list[int]:
    rows = [
        {
            "channel": "email" if i % 2 else "sms",
            "recipient": f"r{i}@example.test",
            "subject": f"message {i}",
            "body": f"body {i}",
            "created_at": clock.utcnow(),
            "attempts": 0,
            "attachments": [],
            "sensitive": False,
        }
        for i in range(count)
    ]
    ids = sorted(session.scalars(insert(TABLE).returning(TABLE.c.id), rows))
    session.commit()
    return ids


def states(session: Session, ids: list[int]) -> dict[int, tuple]:
    columns = (TABLE.c.id, TABLE.c.sent_at, TABLE.c.attempts, TABLE.c.claim_token, TABLE.c.claimed_until)
    return {row[0]: tuple(row[1:]) for row in session.execute(select(*columns).where(TABLE.c.id.in_(ids)))}


@pytest.fixture
def committed(db_engine: Engine) -> Iterator[Callable[[], Session]]:
    """A session factory on real connections of the test database; the outbox rows made here are deleted after."""
    with db_engine.connect() as connection:
        before = connection.scalar(select(func.coalesce(func.max(TABLE.c.id), 0)))
    yield make_session_factory(db_engine)
    with db_engine.begin() as connection:
        connection.execute(delete(TABLE).where(TABLE.c.id > before))


def test_four_relay_threads_deliver_each_of_1000_messages_once(committed):
    with committed() as session:
        ids = seed(session, 1000)
    adapter = Counting()
    start = threading.Barrier(4)
    results: list[int] = []

    def relay() -> None:
        start.wait()
        results.append(relay_outbox(committed, both(adapter), batch_size=50))

    threads = [threading.Thread(target=relay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 4 and sum(results) == 1000
    assert adapter.sent == Counter(dict.fromkeys(ids, 1))
    with committed() as session:
        rows = states(session, ids)
    assert all(
        sent_at is not None and (attempts, token, until) == (1, None, None)
        for sent_at, attempts, token, until in rows.values()
    )


# A relay process with only the outbox imported (the whole CLI takes seconds to import on a busy machine): it says
# "ready", waits for the word "go" on stdin so that all four start together, relays in small batches (more
# turns to interleave), and prints its count.
RELAY_PROCESS = """
import sys
from pathlib import Path
from forecourt.core.db import make_engine, make_session_factory
from forecourt.core.outbox import file_adapters, relay_outbox
engine = make_engine(sys.argv[1])
engine.connect().close()  # connected before the start, so the four relays overlap
print("ready", flush=True)
sys.stdin.readline()
print(relay_outbox(make_session_factory(engine), file_adapters(Path(sys.argv[2])), batch_size=20), flush=True)
engine.dispose()
"""


def delivered_ids(directory: Path) -> Counter[int]:
    """How many times the development adapter wrote each message id into {directory}/{email,sms}.log."""
    return Counter(
        int(found)
        for log in ("email.log", "sms.log")
        if (directory / log).exists()
        for found in re.findall(r"^--- message (\d+) at ", (directory / log).read_text(encoding="utf-8"), re.MULTILINE)
    )


def test_four_relay_processes_deliver_each_of_1000_messages_once(committed, database_url: str, tmp_path: Path):
    with committed() as session:
        ids = seed(session, 1000)
    command = [sys.executable, "-c", RELAY_PROCESS, database_url, str(tmp_path)]
    processes = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    try:
        assert [process.stdout.readline().strip() for process in processes] == ["ready"] * 4
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.close()
        outputs = [(process.stdout.read(), process.wait(timeout=120)) for process in processes]
    finally:
        for process in processes:
            process.kill()
    assert [returncode for _out, returncode in outputs] == [0] * 4, [process.stderr.read() for process in processes]
    assert delivered_ids(tmp_path) == Counter(dict.fromkeys(ids, 1))
    assert sum(int(out) for out, _returncode in outputs) == 1000
    # The relays overlapped (the test would prove nothing with one). Not all four: on a loaded machine, and on
    # SQLite's one writer at a time, a late starter may find every batch already claimed, which is correct.
    assert sum(int(out) > 0 for out, _returncode in outputs) >= 2


# A relay process whose gateway accepts three messages and then hangs inside the fourth: it says "stalled" there,
# and the test kills it with SIGKILL (nothing after that runs: no rollback, no release of its claims).
STALLING_RELAY = """
import sys, threading
from pathlib import Path
from forecourt.core.db import make_engine, make_session_factory
from forecourt.core.outbox import Channel, FileMessageAdapter, relay_outbox

class StallsAtTheFourth(FileMessageAdapter):
    accepted = 0

    def send(self, message):
        if StallsAtTheFourth.accepted == 3:
            print("stalled", flush=True)
            threading.Event().wait()
        super().send(message)
        StallsAtTheFourth.accepted += 1

engine = make_engine(sys.argv[1])
adapters = {c.value: StallsAtTheFourth(Path(sys.argv[2]), c) for c in (Channel.EMAIL, Channel.SMS)}
relay_outbox(make_session_factory(engine), adapters)
"""


def test_a_relay_killed_mid_batch_leaves_its_claims_to_another_after_the_lease(
    committed, database_url: str, tmp_path: Path
):
    with committed() as session:
        ids = seed(session, 10)  # one batch: the dying relay claims all ten
    dying = subprocess.Popen(
        [sys.executable, "-c", STALLING_RELAY, database_url, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stalled = dying.stdout.readline().strip()
    finally:
        dying.kill()  # SIGKILL
        dying.wait(timeout=30)
    assert stalled == "stalled" and dying.returncode == -signal.SIGKILL, dying.stderr.read()
    assert delivered_ids(tmp_path) == Counter(dict.fromkeys(ids[:3], 1))
    with committed() as session:
        rows = states(session, ids)
    assert all(rows[i][0] is not None and rows[i][2:] == (None, None) for i in ids[:3])  # settled one by one
    held = {rows[i][2:] for i in ids[3:]}  # the other seven: unsent, still held by the dead relay's claim
    assert len(held) == 1 and all(rows[i][0] is None for i in ids[3:])
    (_token, lease_ends) = held.pop()
    survivor = Counting()
    for before_expiry in (lease_ends - timedelta(seconds=1), lease_ends):
        with clock.pinned(before_expiry):
            assert relay_outbox(committed, both(survivor)) == 0
    assert not survivor.tried
    with clock.pinned(lease_ends + timedelta(microseconds=1)):
        assert relay_outbox(committed, both(survivor)) == 7
    assert survivor.sent == Counter(dict.fromkeys(ids[3:], 1))
    with committed() as session:
        rows = states(session, ids)
    assert [rows[i][1] for i in ids] == [1, 1, 1] + [2] * 7  # the dead relay's claim counted an attempt
    assert all(rows[i][0] is not None and rows[i][2:] == (None, None) for i in ids)


def test_a_relay_that_lost_its_lease_sends_nothing_more_and_says_so(committed, caplog):
    """Relay A stalls in the gateway past its lease; relay B takes over the batch. A's first message goes out
    twice (A was inside the adapter: the documented window), but A sends none of the others and logs both."""
    with committed() as session:
        ids = seed(session, 3)
    now = [T0]
    taker = Counting()

    class Stalling:
        def __init__(self) -> None:
            self.sent: list[int] = []

        def send(self, message: OutboxMessage) -> None:
            self.sent.append(message.id)
            now[0] = T0 + CLAIM_LEASE + timedelta(seconds=1)
            assert relay_outbox(committed, both(taker)) == 3

    stalling = Stalling()
    with pytest.MonkeyPatch.context() as patch, caplog.at_level(logging.WARNING, logger=outbox.__name__):
        patch.setattr(outbox, "utcnow", lambda: now[0])
        assert relay_outbox(committed, both(stalling)) == 1
    assert stalling.sent == ids[:1] and taker.sent == Counter(dict.fromkeys(ids, 1))
    assert f"outbox message {ids[0]} was sent after its claim lapsed" in caplog.text
    assert all(f"outbox message {i} not sent: its claim lapsed" in caplog.text for i in ids[1:])
    with committed() as session:
        assert all(sent_at is not None and token is None for sent_at, _a, token, _u in states(session, ids).values())


def test_claims_are_disjoint_and_held_until_the_lease_runs_out(db_session: Session):
    with clock.pinned(T0):
        ids = seed(db_session, 5)
        first = claim_messages(db_session, "a" * 32, ["email", "sms"], limit=3)
        second = claim_messages(db_session, "b" * 32, ["email", "sms"])
    assert [m.id for m in first] == ids[:3] and [m.id for m in second] == ids[3:]
    assert {m.claimed_until for m in first + second} == {T0 + CLAIM_LEASE}
    with clock.pinned(T0 + CLAIM_LEASE):
        assert claim_messages(db_session, "c" * 32, ["email", "sms"]) == []
    with clock.pinned(T0 + CLAIM_LEASE + timedelta(seconds=1)):
        assert claim_messages(db_session, "c" * 32, ["email", "sms"], after_id=ids[-1]) == []
        assert [m.id for m in claim_messages(db_session, "c" * 32, ["sms"])] == ids[0::2]  # seeded sms, email, ...
        assert [m.id for m in claim_messages(db_session, "d" * 32, ["email", "sms"])] == ids[1::2]


def test_one_run_drains_more_than_a_batch(db_session: Session):
    ids = seed(db_session, 2 * RELAY_BATCH + 5)
    adapter = Counting()
    assert relay_outbox(lambda: db_session, both(adapter)) == 2 * RELAY_BATCH + 5
    assert adapter.sent == Counter(dict.fromkeys(ids, 1))
    assert relay_outbox(lambda: db_session, both(adapter)) == 0


def test_a_failing_gateway_releases_the_claim_and_is_retried_until_max_attempts(db_session: Session):
    ids = seed(db_session, 3)
    broken = ids[1]
    adapter = Counting(failing=lambda message_id: message_id == broken)
    assert relay_outbox(lambda: db_session, both(adapter)) == 2
    rows = states(db_session, ids)
    assert rows[broken][0] is None and rows[broken][1:] == (1, None, None)  # one try this run, claim released
    last_error = db_session.scalar(select(TABLE.c.last_error).where(TABLE.c.id == broken))
    assert last_error == "ConnectionError: gateway down"
    assert relay_outbox(lambda: db_session, both(adapter)) == 0  # retried at once by the next run
    assert adapter.tried[broken] == 2 and states(db_session, [broken])[broken][1] == 2
    db_session.execute(update(TABLE).where(TABLE.c.id == broken).values(attempts=MAX_ATTEMPTS - 1))
    db_session.commit()
    relay_outbox(lambda: db_session, both(adapter))
    assert adapter.tried[broken] == 3 and states(db_session, [broken])[broken][1] == MAX_ATTEMPTS
    healed = Counting()
    assert relay_outbox(lambda: db_session, both(healed)) == 0  # given up: left for a human
    assert not healed.tried and states(db_session, [broken])[broken][0] is None
