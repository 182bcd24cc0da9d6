"""Booking benchmark on PostgreSQL: test-drive holds through the HTTP API of a two-worker uvicorn server,
without and with contention, a mixed workload of test-drive and rental holds on one fleet (the one reservation
table) beside the same run's test-drive-only figures, beside pgbench inserting the same row into test_drive_bookings (exclusion
constraint active) — and the month's availability search through HTTP beside the same computation called
in-process.

Run: `make bench` or `.venv/bin/python bench/booking.py [--clients 16] [--requests 480]`.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))  # tests.factories builds the rows

from tests.factories import make_city, make_small_catalog, make_store, make_token, make_user, make_vehicle  # noqa: E402
from tests.mobility.test_rentals import make_plans  # noqa: E402

from _common import ms, percentile, print_table, scratch_database, timed  # noqa: E402
from forecourt.core.clock import utcnow  # noqa: E402
from forecourt.core.db import make_engine, make_session_factory, transaction  # noqa: E402
from forecourt.core.migrate import upgrade  # noqa: E402
from forecourt.testdrive import finder  # noqa: E402
from forecourt.testdrive.availability import DriveKind  # noqa: E402
from forecourt.testdrive.policy import update_store_policy  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOLDS = "/api/v1/test-drives/holds"
RENTALS = "/api/v1/rentals"
AVAILABILITY = "/api/v1/test-drives/availability"
# Non-overlapping starts of a 60-minute drive plus a 30-minute buffer, inside 09:00-18:00.
SPACED_STARTS = [(9, 0), (10, 30), (12, 0), (13, 30), (15, 0), (16, 30)]
HALF_HOURS = [(h, m) for h in range(9, 17) for m in (0, 30)] + [(17, 0)]
LIFTED_LIMITS = {"max_holds_per_ip_per_hour": 100_000, "max_holds_per_user_per_hour": 1_000}


def _local(day: date, hour: int, minute: int) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).isoformat()


def seed(url: str, cars: int, shoppers: int, contention_cars: int) -> dict:
    """A city of four dealer stores sharing `cars` Mondeos in the test-drive fleet and as many in the rental fleet,
    a separate store with `contention_cars` Kugas, and `shoppers` shoppers with API tokens; every store's hold limits
    lifted (all clients are 127.0.0.1)."""
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        catalog = make_small_catalog(session)
        guangzhou = catalog["cities"][0]
        stores = [catalog["stores"]["gz-tianhe"], *(make_store(session, guangzhou, f"gz-bench-{i}") for i in range(3))]
        contended_store = make_store(session, make_city(session, "foshan", "Foshan", "佛山"), "fs-bench")
        for store in (*stores, contended_store):
            update_store_policy(session, store, LIFTED_LIMITS, actor=None)
        mondeo, kuga = catalog["trims"]["mondeo-ecoboost180"], catalog["trims"]["kuga-ecoboost245"]
        fleet = [make_vehicle(session, mondeo, stores[i % len(stores)], test_drive_fleet=True).vin for i in range(cars)]
        make_plans(session)
        for i in range(cars):
            make_vehicle(session, mondeo, stores[i % len(stores)], pool="rental")
        contended = [
            make_vehicle(session, kuga, contended_store, test_drive_fleet=True).vin for _ in range(contention_cars)
        ]
        tokens = [make_token(session, make_user(session, roles=[("shopper", None)])) for _ in range(shoppers)]
        ids = session.execute(
            text("SELECT (SELECT min(id) FROM users), (SELECT min(id) FROM vehicles), (SELECT count(*) FROM vehicles)")
        ).one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return {
        "stores": [store.code for store in stores],
        "fleet": fleet,
        "contended": contended,
        "tokens": tokens,
        "first_user": ids[0],
        "first_vehicle": ids[1],
        "vehicles": ids[2],
    }


@contextmanager
def serve(url: str, workers: int) -> Iterator[str]:
    """uvicorn in a separate process (`workers` worker processes), like a deployment."""
    with socket_port() as port, tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "FORECOURT_DATABASE_URL": url,
            "FORECOURT_ENVIRONMENT": "test",
            "FORECOURT_OUTBOX_DIR": str(Path(folder) / "outbox"),
        }
        log = open(Path(folder) / "server.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "forecourt.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("uvicorn did not start: " + (Path(folder) / "server.log").read_text())
                time.sleep(0.1)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
            errors = Counter(
                line.split(":", 1)[0]
                for line in (Path(folder) / "server.log").read_text().splitlines()
                if "busy" in line or "Error" in line
            )
            if errors:
                print(f"server log: {dict(errors)}", file=sys.stderr)


@contextmanager
def socket_port() -> Iterator[int]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield port


def drive(base_url: str, clients: int, jobs: list[tuple]) -> tuple[list[tuple[int, str, float]], float]:
    """Post every (token, body[, path]) job (a test-drive hold unless a path is given) from `clients` threads;
    (status, code, seconds) each, and the wall time."""
    lock = threading.Lock()
    pending = list(reversed(jobs))
    results: list[tuple[int, str, float]] = []
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            http.get("/healthz")
            barrier.wait()
            while True:
                with lock:
                    if not pending:
                        return
                    token, body, *path = pending.pop()
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
                started = time.perf_counter()
                response = http.post(path[0] if path else HOLDS, json=body, headers=headers)
                elapsed = time.perf_counter() - started
                code = response.json().get("code", "") if response.status_code != 201 else ""
                with lock:
                    results.append((response.status_code, code, elapsed))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def hold_row(name: str, clients: int, results: list[tuple[int, str, float]], wall: float) -> list[str]:
    statuses = Counter(status for status, _, _ in results)
    latencies = [seconds for _, _, seconds in results]
    others = Counter(f"{s} {c}" for s, c, _ in results if s not in (201, 409) or (s == 409 and c != "slot_taken"))
    if others:
        print(f"{name}: other answers {dict(others)}", file=sys.stderr)
    return [
        name,
        str(clients),
        str(len(results)),
        str(statuses[201]),
        str(statuses[409]),
        str(sum(n for s, n in statuses.items() if s >= 500)),
        f"{len(results) / wall:.0f}",
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 99)),
    ]


def no_contention_jobs(data: dict, requests: int, first_day: date) -> list[tuple[str, dict]]:
    """Request k books fleet car k mod n, with shopper k mod n, at the next spaced start: nothing collides."""
    fleet, tokens = data["fleet"], data["tokens"]
    jobs = []
    for k in range(requests):
        round_, car = divmod(k, len(fleet))
        day = first_day + timedelta(days=round_ // len(SPACED_STARTS))
        hour, minute = SPACED_STARTS[round_ % len(SPACED_STARTS)]
        jobs.append((tokens[car % len(tokens)], {"vin": fleet[car], "start": _local(day, hour, minute)}))
    return jobs


def contention_jobs(data: dict, requests: int, first_day: date) -> list[tuple[str, dict]]:
    """Everyone wants one of a few cars at any half hour of a day: a handful win, the rest get 409. Each shopper
    asks once a day (the next round of shoppers the day after), so no 409 is about their own other drive."""
    rng = random.Random(2026)
    tokens, cars = data["tokens"], data["contended"]
    return [
        (
            tokens[k % len(tokens)],
            {
                "vin": rng.choice(cars),
                "start": _local(first_day + timedelta(days=k // len(tokens)), *rng.choice(HALF_HOURS)),
            },
        )
        for k in range(requests)
    ]


# Two-hour rentals with the 30-minute turnaround between them, inside 09:00-18:00.
RENTAL_SLOTS = [(9, 0), (11, 30), (14, 0)]


def mixed_jobs(data: dict, requests: int, first_day: date) -> list[tuple]:
    """Test-drive holds (as without contention) interleaved one for one with rental holds of the stores' rental
    Mondeos: each store rents at most its rental cars per slot, so every request can be served."""
    drives = no_contention_jobs(data, requests - requests // 2, first_day)
    stores, tokens = data["stores"], data["tokens"]
    per_slot = len(data["fleet"]) // len(stores)  # each store's rental cars
    rentals = []
    for k in range(requests // 2):
        store_index, n = k % len(stores), k // len(stores)
        day_index, slot_index = divmod(n // per_slot, len(RENTAL_SLOTS))
        day = first_day + timedelta(days=day_index)
        hour, minute = RENTAL_SLOTS[slot_index]
        start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
        body = {
            "store": stores[store_index],
            "model": "mondeo",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
        }
        rentals.append((tokens[k % len(tokens)], body, RENTALS))
    return [job for pair in zip(drives, rentals, strict=False) for job in pair] + drives[len(rentals) :]


PGBENCH_SCRIPT = """\\set vehicle random({first_vehicle}, {last_vehicle})
\\set user random({first_user}, {last_user})
WITH serial AS (SELECT nextval('bench_booking_serial') AS v),
     n AS (SELECT v, timestamptz '2031-01-01 00:00+00' + v * interval '2 hours' AS s FROM serial)
INSERT INTO test_drive_bookings (reference, shopper_user_id, vehicle_id, store_id, model_id, kind, status,
    starts_at, ends_at, blocks_until, hold_expires_at, client_ip, contact_mobile, contact_email, language,
    deposit_kind, deposit_reason, deposit_amount, pickup_code_failures, damage_out, photos_out, damage_in,
    photos_in, late_fee, refunded_amount, cancel_reason, created_at, updated_at)
SELECT 'PB' || n.v, :user, v.id, v.store_id, t.model_id, 'accompanied', 'held',
    n.s, n.s + interval '60 minutes', n.s + interval '90 minutes', now() + interval '10 minutes', '127.0.0.1',
    '', 'bench@example.test', 'zh-Hans', 'none', '', 0, 0, '', '[]', '', '[]', 0, 0, '', now(), now()
FROM n, vehicles v JOIN trims t ON t.id = v.trim_id WHERE v.id = :vehicle;
"""


def pgbench(url: str, data: dict, clients: int, seconds: int) -> list[str]:
    """Raw INSERTs of the same row shape (a held accompanied drive), each on its own two-hour range so the
    exclusion constraint is checked but never fires; pgbench reports failed transactions."""
    binary = shutil.which("pgbench") or str(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))[-1])
    database = make_url(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE SEQUENCE IF NOT EXISTS bench_booking_serial"))
    engine.dispose()
    last_user = data["first_user"] + len(data["tokens"]) - 1
    last_vehicle = data["first_vehicle"] + len(data["fleet"]) - 1
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "insert.sql"
        script.write_text(
            PGBENCH_SCRIPT.format(
                first_vehicle=data["first_vehicle"],
                last_vehicle=last_vehicle,
                first_user=data["first_user"],
                last_user=last_user,
            )
        )
        command = [
            str(binary),
            "-n",
            "-M",
            "prepared",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-l",
            "--log-prefix",
            str(Path(folder) / "tx"),
            "-f",
            str(script),
            "-h",
            database.host or "127.0.0.1",
            "-p",
            str(database.port or 5432),
            "-U",
            database.username or os.environ.get("USER", "postgres"),
            database.database,
        ]
        output = subprocess.run(command, capture_output=True, text=True, cwd=folder, check=True).stdout
        latencies = [
            int(line.split()[2]) / 1e6 for log in Path(folder).glob("tx*") for line in log.read_text().splitlines()
        ]
    done = int(re.search(r"number of transactions actually processed: (\d+)", output).group(1))
    failed_match = re.search(r"number of failed transactions: (\d+)", output)
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
    return [
        "pgbench raw INSERT (baseline)",
        str(clients),
        str(done),
        str(done),
        "0",
        failed_match.group(1) if failed_match else "0",
        f"{tps:.0f}",
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 99)),
    ]


def availability(url: str, base_url: str, repeat: int) -> list[list[str]]:
    first = utcnow().astimezone(SHANGHAI).date() + timedelta(days=1)
    last = first + timedelta(days=29)
    params = {"model": "mondeo", "city": "guangzhou", "from": first.isoformat(), "to": last.isoformat()}
    with httpx.Client(base_url=base_url, timeout=60) as http:

        def call() -> None:
            response = http.get(AVAILABILITY, params=params)
            assert response.status_code == 200, response.text

        over_http = timed(call, repeat)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    query = finder.SlotQuery(
        kind=DriveKind.ACCOMPANIED, first_day=first, last_day=last, model_code="mondeo", city_code="guangzhou"
    )

    def in_process() -> None:
        with factory() as session:
            assert finder.find_slots(session, query, utcnow())

    direct = timed(in_process, repeat)
    engine.dispose()
    label = "availability: mondeo, guangzhou, 30 days"
    return [
        [
            f"{label} (HTTP)",
            "1",
            str(repeat),
            str(repeat),
            "0",
            "0",
            f"{repeat / sum(over_http):.0f}",
            ms(percentile(over_http, 50)),
            ms(percentile(over_http, 99)),
        ],
        [
            f"{label} (find_slots in-process)",
            "1",
            str(repeat),
            str(repeat),
            "0",
            "0",
            f"{repeat / sum(direct):.0f}",
            ms(percentile(direct, 50)),
            ms(percentile(direct, 99)),
        ],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=480, help="holds per HTTP scenario")
    parser.add_argument("--cars", type=int, default=200)
    parser.add_argument("--contention-cars", type=int, default=4)
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30, help="availability searches")
    args = parser.parse_args()
    rows = []
    with scratch_database("postgresql") as url:
        started = time.perf_counter()
        data = seed(url, args.cars, args.shoppers, args.contention_cars)
        print(
            f"seeded {args.cars} fleet cars, {args.shoppers} shoppers in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        today = utcnow().astimezone(SHANGHAI).date()
        with serve(url, args.workers) as base_url:
            drive(base_url, 2, no_contention_jobs(data, 20, today + timedelta(days=25))[:20])  # warm both workers
            results, wall = drive(
                base_url, args.clients, no_contention_jobs(data, args.requests, today + timedelta(days=2))
            )
            rows.append(hold_row(f"holds, no contention ({len(data['fleet'])} cars)", args.clients, results, wall))
            # Later days, so no shopper's own earlier holds refuse them as an overlapping drive.
            results, wall = drive(
                base_url, args.clients, contention_jobs(data, args.requests, today + timedelta(days=5))
            )
            per_day = min(args.requests, args.shoppers)
            rows.append(
                hold_row(
                    f"holds, contention ({len(data['contended'])} cars, {per_day} asks a day)",
                    args.clients,
                    results,
                    wall,
                )
            )
            results, wall = drive(base_url, args.clients, mixed_jobs(data, args.requests, today + timedelta(days=12)))
            rows.append(hold_row("mixed: test-drive and rental holds, one fleet", args.clients, results, wall))
            rows += availability(url, base_url, args.repeat)
        rows.insert(2, pgbench(url, data, args.clients, args.pgbench_seconds))
    print(
        f"\nTest-drive holds on PostgreSQL: HTTP through uvicorn ({args.workers} workers) vs raw INSERTs "
        "(pgbench); availability search\n"
    )
    print_table(["scenario", "clients", "requests", "ok", "409", "5xx/failed", "per second", "p50 ms", "p99 ms"], rows)


if __name__ == "__main__":
    main()
