"""Concurrent writes on the embedded database: sign-ins, sign-ups and password-reset requests fired by 8 and 16
clients at one uvicorn server (sync handlers in its thread pool) over a file SQLite database. Counts the answers
by status (a 503 `database_busy` is a write the database refused instead of queuing) and the latency.

Run: `.venv/bin/python bench/sqlite_writes.py [--clients 8 16] [--sign-ins 80] [--sign-ups 200] [--resets 400]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))  # tests.live_server serves the app

from tests.live_server import demo_database, serving_database  # noqa: E402

from _common import ms, percentile, print_table  # noqa: E402
from forecourt.accounts.demo import DEMO_PASSWORD, FINANCE_EMAIL, MARKETER_EMAIL, SHOPPER_EMAIL  # noqa: E402

PEOPLE = [SHOPPER_EMAIL, FINANCE_EMAIL, MARKETER_EMAIL]


def _fire(base_url: str, clients: int, count: int, request: Callable[[httpx.Client, int], httpx.Response]) -> dict:
    def one(i: int) -> tuple[int, float]:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            start = time.perf_counter()
            status = request(http, i).status_code
            return status, time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(one, range(count)))
    return {
        "wall": time.perf_counter() - start,
        "statuses": Counter(status for status, _ in answers),
        "latencies": [seconds for _, seconds in answers],
    }


def _sign_in(http: httpx.Client, i: int) -> httpx.Response:
    return http.post("/api/v1/auth/sign-in", json={"identifier": PEOPLE[i % len(PEOPLE)], "password": DEMO_PASSWORD})


def _sign_up(run: str) -> Callable[[httpx.Client, int], httpx.Response]:
    def request(http: httpx.Client, i: int) -> httpx.Response:
        body = {"email": f"probe-{run}-{i}@example.com", "password": "a-long-probe-password", "display_name": "Probe"}
        return http.post("/api/v1/auth/sign-up", json=body)

    return request


def _reset(http: httpx.Client, i: int) -> httpx.Response:
    return http.post("/api/v1/auth/password-reset", json={"identifier": PEOPLE[i % len(PEOPLE)]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--sign-ins", type=int, default=80)
    parser.add_argument("--sign-ups", type=int, default=200)
    parser.add_argument("--resets", type=int, default=400)
    args = parser.parse_args()
    rows = []
    for clients in args.clients:
        with tempfile.TemporaryDirectory() as folder:
            url, _ = demo_database(Path(folder), vehicles=20)
            with serving_database(url) as base_url:
                runs = [
                    ("sign-in", args.sign_ins, _sign_in),
                    ("sign-up", args.sign_ups, _sign_up(uuid.uuid4().hex[:8])),
                    ("password reset", args.resets, _reset),
                ]
                for name, count, request in runs:
                    result = _fire(base_url, clients, count, request)
                    statuses = result["statuses"]
                    rows.append(
                        [
                            name,
                            str(clients),
                            str(count),
                            str(statuses.get(503, 0)),
                            ", ".join(f"{s}×{n}" for s, n in sorted(statuses.items())),
                            ms(percentile(result["latencies"], 50)),
                            ms(percentile(result["latencies"], 95)),
                            f"{result['wall']:.1f}",
                        ]
                    )
    print_table(["route", "clients", "requests", "503s", "statuses", "p50 ms", "p95 ms", "wall s"], rows)


if __name__ == "__main__":
    main()
