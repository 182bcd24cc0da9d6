"""Scale-out benchmark on PostgreSQL: test-drive holds through ONE `forecourt serve` process, then TWO on two ports
behind a round-robin client (this script), beside pgbench run against the same PostgreSQL server in the same run.

Two `forecourt serve` processes are started once and warmed up. Each phase books holds through the HTTP API for
`--seconds` from `--clients` threads with kept-alive connections, to the first server only, or to both in turn
(each thread alternates between the two ports); phases alternate 1, 2, 2, 1 (`--rounds`), each from the seeded
database (the previous phase's holds deleted). Every hold is a different car or time (the city of bench/booking.py:
four dealers sharing 200 Mondeo test-drive cars, six spaced starts a day, one shopper per car), so none should
conflict: any answer other than 201 is counted in "not 201" and printed. The baselines are pgbench's TPC-B-like
and select-only scripts with the same number of clients for the same time, on a scratch pgbench database of scale
`--clients`. The CPU columns say where the machine's cores went (bench/_cpu.py): the client (this script, or
pgbench), the forecourt servers, the benchmark database's PostgreSQL backends, and everything else.

Run: `make bench` or `.venv/bin/python bench/scale.py [--seconds 10] [--clients 16] [--cars 200] [--rounds 2]`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ms, percentile, print_table, scratch_database
from _cpu import CpuMeter, CpuShare
from booking import seed  # the same seeded city as bench/booking.py
from forecourt.core.db import make_engine

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOLDS = "/api/v1/test-drives/holds"
# Non-overlapping starts of a 60-minute drive plus its 30-minute buffer, inside every bench store's 09:00-18:00.
SPACED_STARTS = [(9, 0), (10, 30), (12, 0), (13, 30), (15, 0), (16, 30)]
HORIZON_DAYS = 27  # from the day after tomorrow, inside the stores' 30-day horizon
WARM_UP_HOLDS = 10  # per server, before the first phase (a process's first requests are slow)


class Slots:
    """Distinct (car, day, start) holds for the shoppers who own the cars, handed out one at a time to the threads."""

    def __init__(self, fleet: list[str], tokens: list[str], first_day: date) -> None:
        self._jobs = self._generate(fleet, tokens, first_day)
        self._lock = threading.Lock()

    @staticmethod
    def _generate(fleet: list[str], tokens: list[str], first_day: date) -> Iterator[tuple[str, dict]]:
        for day in (first_day + timedelta(days=n) for n in range(HORIZON_DAYS)):
            for hour, minute in SPACED_STARTS:
                start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
                for car, vin in enumerate(fleet):  # shopper k books car k only: their drives never overlap
                    yield tokens[car % len(tokens)], {"vin": vin, "start": start.isoformat()}

    def next(self) -> tuple[str, dict]:
        with self._lock:
            job = next(self._jobs, None)
        if job is None:
            raise RuntimeError("every free slot is taken: pass more --cars or fewer --seconds")
        return job


@contextmanager
def serve(url: str, folder: Path, name: str) -> Iterator[tuple[str, int]]:
    """`forecourt serve` in a process of its own; yields (base URL, pid). Access logs off (--log-level warning). Each
    server gets a session of its own, as a service of its own would: Linux (autogroup) shares CPU between sessions,
    so servers in the benchmark's session would split one share of a busy machine between them."""
    port = free_port()
    env = {
        **os.environ,
        "FORECOURT_DATABASE_URL": url,
        "FORECOURT_ENVIRONMENT": "test",
        "FORECOURT_OUTBOX_DIR": str(folder / "outbox"),
    }
    log_path = folder / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "forecourt.cli", "serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _up(base_url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"forecourt serve did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield base_url, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _up(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post_hold(http: httpx.Client, token: str, body: dict) -> tuple[int, str, float]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    started = time.perf_counter()
    response = http.post(HOLDS, json=body, headers=headers)
    elapsed = time.perf_counter() - started
    code = "" if response.status_code == 201 else str(response.json().get("code", ""))
    return response.status_code, code, elapsed


def book_for(base_urls: list[str], slots: Slots, clients: int, seconds: float) -> tuple[list, float]:
    """`clients` threads post holds until `seconds` have passed, each sending to `base_urls` in turn; returns
    (status, code, latency) of every answer and the wall time from the start to the last answer."""
    results: list[tuple[int, str, float]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(n: int) -> None:
        with ExitStack() as stack:
            https = [stack.enter_context(httpx.Client(base_url=url, timeout=120)) for url in base_urls]
            for http in https:
                http.get("/healthz")  # connect before the clock starts
            barrier.wait()
            turn = n  # half the threads start on each server
            while time.perf_counter() < deadline[0]:
                outcome = post_hold(https[turn % len(https)], *slots.next())
                turn += 1
                with lock:
                    results.append(outcome)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def reset(url: str) -> None:
    """Back to the seeded state: no holds, no idempotency records or hold audits, fresh statistics."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM test_drive_bookings"))
        connection.execute(text("DELETE FROM idempotency_records"))
        connection.execute(text("DELETE FROM audit_events WHERE action = 'testdrive.held'"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def forecourt_phases(url: str, data: dict, clients: int, seconds: float, rounds: int, folder: Path) -> list[dict]:
    """Two servers started once and warmed up; then phases on one of them and on both, in the order 1, 2, 2, 1, ...
    (so that a drift of the machine's other load weighs on both alike), each from the seeded state. Returns the
    1-process and the 2-process row, each over all of its phases."""
    first_day = datetime.now(SHANGHAI).date() + timedelta(days=2)
    phases: dict[int, list[tuple[list, float, CpuShare]]] = {1: [], 2: []}
    with ExitStack() as stack:
        served = [stack.enter_context(serve(url, folder, f"serve-{n}")) for n in range(2)]
        pids = [pid for _, pid in served]
        warm_up = Slots(data["fleet"], data["tokens"], first_day)
        for base_url, _ in served:
            with httpx.Client(base_url=base_url, timeout=60) as http:
                for _ in range(WARM_UP_HOLDS):
                    post_hold(http, *warm_up.next())
        for processes in [1, 2, 2, 1] * (rounds // 2) + [1, 2] * (rounds % 2):
            reset(url)
            base_urls = [base for base, _ in served[:processes]]
            with CpuMeter(url, pids) as meter:
                results, wall = book_for(base_urls, Slots(data["fleet"], data["tokens"], first_day), clients, seconds)
            phases[processes].append((results, wall, meter.share))
    return [summarise(processes, clients, phases[processes]) for processes in (1, 2)]


def summarise(processes: int, clients: int, phases: list[tuple[list, float, CpuShare]]) -> dict:
    results = [outcome for outcomes, _, _ in phases for outcome in outcomes]
    wall = sum(seconds for _, seconds, _ in phases)
    refused = Counter(f"{status} {code}" for status, code, _ in results if status != 201)
    if refused:
        print(f"{processes} process(es): answers other than 201: {dict(refused)}", file=sys.stderr)
    latencies = [seconds for _, _, seconds in results]
    return {
        "name": f"forecourt serve, {processes} process{'es' if processes > 1 else ''}",
        "clients": clients,
        "ops": len(results),
        "not_ok": sum(refused.values()),
        "rate": len(results) / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "cpu": CpuShare.weighted([(share, seconds) for _, seconds, share in phases]),
    }


def pgbench_binary() -> str:
    found = shutil.which("pgbench") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None)
    if not found:
        raise SystemExit("pgbench not found (apt-get install postgresql-client)")
    return str(found)


def pgbench_phase(url: str, script: str, clients: int, seconds: float, folder: Path) -> dict:
    """pgbench's built-in `script` (tpcb-like, select-only) against the scratch pgbench database at `url`."""
    database = make_url(url)
    prefix = folder / f"pgbench-{script}"
    command = [
        pgbench_binary(),
        *("-b", script, "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(round(seconds))),
        *("-l", "--log-prefix", str(prefix)),
        *("-h", database.host or "127.0.0.1", "-p", str(database.port or 5432)),
        *("-U", database.username or os.environ.get("USER", "postgres"), database.database),
    ]
    with CpuMeter(url, client_is_child=True) as meter:
        output = subprocess.run(command, capture_output=True, text=True, cwd=folder, check=True).stdout
    latencies = [
        int(line.split()[2]) / 1e6 for log in folder.glob(f"{prefix.name}*") for line in log.read_text().splitlines()
    ]
    failed = re.search(r"number of failed transactions: (\d+)", output)
    return {
        "name": f"pgbench {script} (baseline)",
        "clients": clients,
        "ops": int(re.search(r"number of transactions actually processed: (\d+)", output).group(1)),
        "not_ok": int(failed.group(1)) if failed else 0,
        "rate": float(re.search(r"tps = ([\d.]+)", output).group(1)),
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "cpu": meter.share,
    }


def pgbench_initialise(url: str, scale: int) -> None:
    database = make_url(url)
    command = [
        pgbench_binary(),
        *("-i", "-q", "-s", str(scale)),
        *("-h", database.host or "127.0.0.1", "-p", str(database.port or 5432)),
        *("-U", database.username or os.environ.get("USER", "postgres"), database.database),
    ]
    subprocess.run(command, capture_output=True, text=True, check=True)


def table_row(row: dict, one_process_rate: float | None) -> list[str]:
    cpu = row["cpu"]
    ratio = f"{row['rate'] / one_process_rate:.2f}x" if one_process_rate else ""
    return [
        row["name"],
        str(row["clients"]),
        f"{row['ops']:,}",
        str(row["not_ok"]),
        f"{row['rate']:,.0f}",
        ms(row["p50"]),
        ms(row["p99"]),
        ratio,
        f"{cpu.client:.2f}",
        f"{cpu.servers:.2f}" if cpu.servers else "",
        f"{cpu.database:.2f}",
        f"{cpu.other:.2f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="per phase")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--cars", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="phases per forecourt row, alternated 1, 2, 2, 1")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        with scratch_database("postgresql") as pgbench_url:
            pgbench_initialise(pgbench_url, scale=args.clients)
            for script in ("tpcb-like", "select-only"):
                rows.append(pgbench_phase(pgbench_url, script, args.clients, args.seconds, folder))
        with scratch_database("postgresql") as url:
            data = seed(url, args.cars, args.cars, 0)
            one, two = forecourt_phases(url, data, args.clients, args.seconds, args.rounds, folder)
    print(
        f"\nTest-drive holds through 1 and 2 `forecourt serve` processes (round-robin client) vs pgbench, "
        f"PostgreSQL, {args.seconds:g} s each, {os.cpu_count()} cores shared by all; CPU in cores\n"
    )
    print_table(
        [
            "load",
            "clients",
            "operations",
            "not 201 / failed",
            "per second",
            "p50 ms",
            "p99 ms",
            "vs 1 process",
            "CPU client",
            "CPU servers",
            "CPU database",
            "CPU other",
        ],
        [table_row(row, None) for row in rows] + [table_row(one, one["rate"]), table_row(two, one["rate"])],
    )


if __name__ == "__main__":
    main()
