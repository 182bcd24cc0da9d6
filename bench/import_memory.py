"""Inventory import of a large file of bad rows through a real server: response size, server memory, time.

Starts `uvicorn` on a scratch SQLite database with the demo catalog and an admin's API token, uploads a
generated CSV of bad rows (four kinds of problem in turn), and reads the server's peak resident memory
(VmHWM) before and after. Usage: `python bench/import_memory.py [MEGABYTES]` (default 50).
"""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from forecourt.accounts.api_tokens import create_api_token
from forecourt.accounts.principal import Role, RoleGrant
from forecourt.accounts.service import create_user
from forecourt.catalog.demo import ensure_catalog
from forecourt.catalog.vin import build_vin
from forecourt.core.db import make_engine
from forecourt.core.migrate import upgrade

HEADER = ["vin", "trim", "colour", "store", "model_year", "mileage_km", "list_price", "offer_price"]


def bad_row(n: int, trim: str, store: str) -> list[str]:
    """One row with exactly one problem, the kind chosen by n (unknown trim, bad VIN, offer above list, store)."""
    vin = build_vin("LVS", "HCAMB", 2018, "Z", n % 1_000_000)
    row = [vin, trim, "", store, "2018", "1000", "179800.00", ""]
    kind = n % 4
    if kind == 0:
        row[1] = f"{trim}-x"
    elif kind == 1:
        row[0] = vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:]
    elif kind == 2:
        row[7] = "200000.00"
    else:
        row[3] = "nowhere-store"
    return row


def write_bad_csv(path: Path, megabytes: float, trim: str, store: str) -> int:
    """A CSV of at least `megabytes` MB, every row bad; returns the number of rows."""
    target, rows = int(megabytes * 1_000_000), 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        while handle.tell() < target:
            buffer = io.StringIO()
            block = csv.writer(buffer, lineterminator="\n")
            for n in range(rows, rows + 10_000):
                block.writerow(bad_row(n, trim, store))
            handle.write(buffer.getvalue())
            rows += 10_000
    return rows


def _peak_kib(pid: int) -> tuple[int, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    values = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith("Vm")}
    return values["VmHWM"], values["VmRSS"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(megabytes: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'probe.db'}"
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine) as session:
            catalog = ensure_catalog(session)
            admin = create_user(
                session, password="probe-password-1", email="probe@example.com", grants=[RoleGrant(Role.ADMIN)]
            )
            token = create_api_token(session, admin.id, "probe")[1]
            trim, store = next(iter(catalog.ids.trims)), next(iter(catalog.ids.stores))
            session.commit()
        engine.dispose()
        data = Path(folder) / "bad.csv"
        rows = write_bad_csv(data, megabytes, trim, store)
        port = _free_port()
        env = {
            **os.environ,
            "FORECOURT_DATABASE_URL": url,
            "FORECOURT_ENVIRONMENT": "test",
            "FORECOURT_IMPORT_REPORT_DIR": str(Path(folder) / "reports"),
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "forecourt.app:create_app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            idle_peak, _ = _peak_kib(server.pid)
            started = time.perf_counter()
            with data.open("rb") as upload:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/api/v1/inventory/imports",
                    files={"file": ("bad.csv", upload, "text/csv")},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=3600,
                )
            seconds = time.perf_counter() - started
            peak, rss_after = _peak_kib(server.pid)
            body = response.json()
            print(f"file: {data.stat().st_size / 1e6:.1f} MB, {rows:,} bad rows; HTTP {response.status_code}")
            print(
                f"response: {len(response.content) / 1e6:.2f} MB; rejected {body.get('rejected')}, total {body.get('total')}"
            )
            print(
                f"server RSS: idle peak {idle_peak / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB, after {rss_after / 1024:.0f} MiB"
            )
            print(f"time: {seconds:.1f} s")
            if "report_url" in body:
                started = time.perf_counter()
                report = httpx.get(
                    f"http://127.0.0.1:{port}{body['report_url']}",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=300,
                )
                peak, _ = _peak_kib(server.pid)
                print(
                    f"report download: HTTP {report.status_code}, {len(report.content) / 1e6:.1f} MB in "
                    f"{time.perf_counter() - started:.1f} s; server peak now {peak / 1024:.0f} MiB"
                )
        finally:
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 50)
