"""Where a benchmark phase's CPU went, read from /proc (Linux): the benchmark's client (this process, or the child
it waited for), given server processes, the PostgreSQL backends of one database, and everything else on the machine.

A database's backends are found in `pg_stat_activity` every SAMPLE_SECONDS while the phase runs; a backend's CPU is
counted from when it was first seen (or from zero, if it started during the phase) to when it was last seen, so a
connection opened and closed between two samples is missed (pools keep theirs open).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.1


def process_ticks(pid: int) -> int | None:
    """User and system CPU ticks of a process so far; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def _machine() -> tuple[int, int]:
    """(busy, total) ticks of all cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def _own_seconds(*, children: bool) -> float:
    times = os.times()
    return times.children_user + times.children_system if children else times.user + times.system


@dataclass(frozen=True)
class CpuShare:
    """Cores used on average over a phase."""

    client: float
    servers: float
    database: float
    other: float  # the machine's busy time minus the above: other databases, other work

    @staticmethod
    def weighted(shares: list[tuple[CpuShare, float]]) -> CpuShare:
        """The average over several phases of (share, seconds)."""
        total = sum(seconds for _, seconds in shares)
        return CpuShare(
            *(
                sum(getattr(share, name) * seconds for share, seconds in shares) / total
                for name in CpuShare.__dataclass_fields__
            )
        )


class CpuMeter:
    """`with CpuMeter(database_url, server_pids) as meter:` around a phase; then `meter.share`."""

    def __init__(self, database_url: str, server_pids: list[int] = (), *, client_is_child: bool = False) -> None:
        self.engine = create_engine(database_url, poolclass=NullPool)
        self.server_pids = list(server_pids)
        self.client_is_child = client_is_child
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample_until_stopped, daemon=True)
        self.share: CpuShare | None = None

    def _backends(self, connection: Connection) -> list[int]:
        statement = text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return list(connection.execute(statement).scalars())

    def _sample(self, connection: Connection, *, at_start: bool = False) -> None:
        for pid in self._backends(connection):
            ticks = process_ticks(pid)
            if ticks is None:
                continue
            self.first.setdefault(pid, ticks if at_start else 0)
            self.last[pid] = ticks

    def _sample_until_stopped(self) -> None:
        with self.engine.connect() as connection:
            while not self._stop.wait(SAMPLE_SECONDS):
                self._sample(connection)
                connection.rollback()  # a fresh snapshot of pg_stat_activity each time

    def __enter__(self) -> Self:
        with self.engine.connect() as connection:
            self._sample(connection, at_start=True)
        self._machine = _machine()
        self._client = _own_seconds(children=self.client_is_child)
        self._servers = sum(process_ticks(pid) or 0 for pid in self.server_pids)
        self._started = time.perf_counter()
        self._sampler.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        wall = time.perf_counter() - self._started
        busy, total = _machine()
        client = (_own_seconds(children=self.client_is_child) - self._client) / wall
        servers = (sum(process_ticks(pid) or 0 for pid in self.server_pids) - self._servers) / CLOCK_TICKS / wall
        self._stop.set()
        self._sampler.join()
        with self.engine.connect() as connection:
            self._sample(connection)
        self.engine.dispose()
        database = sum(self.last[pid] - self.first[pid] for pid in self.last) / CLOCK_TICKS / wall
        machine = (busy - self._machine[0]) / max(1, total - self._machine[1]) * (os.cpu_count() or 1)
        self.share = CpuShare(client, servers, database, max(0.0, machine - client - servers - database))
