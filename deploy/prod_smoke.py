"""`make prod-smoke`: compose.yaml's topology as local processes, and a smoke test across them.

No Docker engine runs on the development and CI machines, so this starts the same parts as compose.yaml — a
migration step, the broker's files, Mosquitto, two `forecourt serve` processes on two ports and one `forecourt
worker` — on a scratch database of the local PostgreSQL, with production settings (FORECOURT_ENVIRONMENT=production,
generated secrets, a metrics token, JSON logs). `TOPOLOGY` below is the list both follow; tests/deploy/
test_topology.py fails when compose.yaml and this list disagree.

The smoke test then checks what only several processes can show: readiness of both web processes; a session
made on one web process used on the other; a test drive held on one and confirmed on the other, with a retried
confirm answered the same by the first; its e-mail and SMS relayed by the worker exactly once although every
process may relay; a car's telemetry published to the broker, stored by the worker's ingest and read back through
the other web process; job runs recorded once per slot; metrics behind the token; a request id in a JSON log line;
and every process stopping cleanly (exit 0) on SIGTERM.

Run: `make prod-smoke` (or `.venv/bin/python deploy/prod_smoke.py [--keep]`); FORECOURT_SMOKE_POSTGRES_URL names
the server (default postgresql+psycopg://127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from forecourt.accounts.demo import ADMIN_EMAIL, DEMO_PASSWORD, SHOPPER_EMAIL
from forecourt.catalog import service as catalog
from forecourt.core.crypto import Keyring
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.integrations import DEMO_ID_HIGH_SCORE
from forecourt.models_registry import import_all_models
from forecourt.telematics.signals import telemetry_topic

ADMIN_URL = os.environ.get("FORECOURT_SMOKE_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
INGEST_USER = "forecourt-ingest"
START_SECONDS = 60
console = Console(width=150)  # CI logs have no terminal: keep the table's rows on one line


@dataclass(frozen=True)
class Part:
    """One process of the topology. `forecourt` is the CLI command it runs (None: not Forecourt's); a `step` runs
    to completion before the services start; `run_jobs` False keeps jobs out of a web process; `mqtt` gives the
    process the broker's URL."""

    name: str
    forecourt: tuple[str, ...] | None
    step: bool = False
    run_jobs: bool = True
    mqtt: bool = False


TOPOLOGY = (
    Part("postgres", None),
    Part("migrate", ("db", "upgrade"), step=True),
    Part("broker-config", ("telematics", "broker-config"), step=True, mqtt=True),
    Part("mosquitto", None),
    Part("web-1", ("serve",), run_jobs=False),
    Part("web-2", ("serve",), run_jobs=False),
    Part("worker", ("worker",), mqtt=True),
)
PARTS = {part.name: part for part in TOPOLOGY}


class SmokeFailure(Exception):
    pass


@dataclass
class Check:
    name: str
    seconds: float
    detail: str


@dataclass
class Running:
    part: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Site:
    folder: Path
    database_url: str
    mqtt_port: int
    ingest_password: str
    metrics_token: str
    env: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)
    running: list[Running] = field(default_factory=list)

    @property
    def mqtt_url(self) -> str:
        return f"mqtt://{INGEST_USER}:{self.ingest_password}@127.0.0.1:{self.mqtt_port}"

    def url(self, part: str) -> str:
        return f"http://127.0.0.1:{self.ports[part]}"

    def environment(self, part: Part, **extra: str) -> dict[str, str]:
        env = {**self.env, **extra}
        if part.mqtt:
            env["FORECOURT_MQTT_URL"] = self.mqtt_url
            env["FORECOURT_MQTT_CLIENT_ID"] = f"forecourt-{part.name}"
        if not part.run_jobs:
            env["FORECOURT_RUN_JOBS"] = "false"
        env["FORECOURT_METRICS_DIR"] = str(self.folder / f"metrics-{part.name}")
        return env

    def forecourt(self, part: Part, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "forecourt.cli", *(part.forecourt or ()), *args]
        done = subprocess.run(
            command, env=self.environment(part, **extra_env), cwd=self.folder, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SmokeFailure(f"{part.name}: {' '.join(command[2:])} exited {done.returncode}:\n{done.stderr[-3000:]}")
        return done

    def start(self, part: Part, command: list[str]) -> Running:
        log = self.folder / f"{part.name}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                command, env=self.environment(part), cwd=self.folder, stdout=handle, stderr=subprocess.STDOUT
            )
        running = Running(part.name, process, log)
        self.running.append(running)
        return running

    def start_forecourt(self, part: Part, *args: str) -> Running:
        return self.start(part, [sys.executable, "-m", "forecourt.cli", *(part.forecourt or ()), *args])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, condition: Callable[[], object], seconds: float = 30) -> object:
    deadline = time.monotonic() + seconds
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise SmokeFailure(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(0.2)


@contextmanager
def scratch_database() -> Iterator[str]:
    name = f"forecourt_smoke_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def production_environment(folder: Path, database_url: str, metrics_token: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("FORECOURT_", "PROMETHEUS_"))}
    return {
        **keep,
        "FORECOURT_ENVIRONMENT": "production",
        "FORECOURT_DATABASE_URL": database_url,
        "FORECOURT_SECRET_KEY": secrets.token_urlsafe(48),
        "FORECOURT_FIELD_ENCRYPTION_KEYS": Keyring.generate_key_text("k1"),
        "FORECOURT_METRICS_TOKEN": metrics_token,
        "FORECOURT_LOG_FORMAT": "json",
        "FORECOURT_OUTBOX_DIR": str(folder / "outbox"),
        "FORECOURT_IMPORT_REPORT_DIR": str(folder / "import-reports"),
        "FORECOURT_JOB_INTERVAL_SECONDS": "2",
    }


# --- the steps and services ---------------------------------------------------------------------------------------


def run_steps(site: Site) -> str:
    """migrate; seed (smoke only: the demo data, which production refuses, and two API tokens); broker-config."""
    site.forecourt(PARTS["migrate"])
    seed = Part("seed", ("demo", "load"))
    site.forecourt(seed, "--vehicles", "400", FORECOURT_ENVIRONMENT="development")
    vin = test_drive_car(site.database_url)
    provisioned = site.forecourt(Part("provision", ("telematics", "provision")), vin).stdout
    car_password = re.search(r"password: (\S+)", provisioned)
    if not car_password:
        raise SmokeFailure("`telematics provision` printed no password")
    site.forecourt(
        PARTS["broker-config"],
        "--out",
        str(site.folder / "mosquitto"),
        "--port",
        str(site.mqtt_port),
        "--bind-address",
        "127.0.0.1",
    )
    return f"{vin}:{car_password.group(1)}"


def test_drive_car(database_url: str) -> str:
    """A test-drive car at the demo manager's dealer, which accompanied drives may book."""
    engine = make_engine(database_url)
    import_all_models()
    with transaction(make_session_factory(engine)) as session:
        vin = catalog.list_test_drive_fleet(session, store_code="gz-tianhe")[0].vin
    engine.dispose()
    return vin


def start_services(site: Site) -> None:
    site.start(PARTS["mosquitto"], [MOSQUITTO, "-c", str(site.folder / "mosquitto" / "mosquitto.conf")])
    wait_for("Mosquitto", lambda: port_open(site.mqtt_port))
    for name in ("web-1", "web-2"):
        site.ports[name] = free_port()
        site.start_forecourt(PARTS[name], "--port", str(site.ports[name]), "--graceful-timeout", "10")
    site.ports["worker-metrics"] = free_port()
    site.start_forecourt(PARTS["worker"], "--relay-every", "0.5", "--metrics-port", str(site.ports["worker-metrics"]))
    for name in ("web-1", "web-2"):
        wait_for(f"{name}'s /readyz", lambda name=name: ready(site.url(name)), START_SECONDS)
    wait_for("the worker's metrics", lambda: port_open(site.ports["worker-metrics"]), START_SECONDS)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def ready(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# --- the checks ---------------------------------------------------------------------------------------------------


def check_probes(site: Site) -> str:
    for name in ("web-1", "web-2"):
        for path in ("/healthz", "/readyz"):
            answer = httpx.get(site.url(name) + path, timeout=5)
            expect(answer.status_code == 200, f"{name} {path} answered {answer.status_code}")
    return "/healthz and /readyz 200 on web-1 and web-2"


def check_shared_session(site: Site) -> str:
    signed_in = httpx.post(
        site.url("web-1") + "/api/v1/auth/sign-in",
        json={"identifier": SHOPPER_EMAIL, "password": DEMO_PASSWORD},
        timeout=10,
    )
    expect(signed_in.status_code == 200, f"sign-in on web-1 answered {signed_in.status_code}: {signed_in.text}")
    me = httpx.get(site.url("web-2") + "/api/v1/me", cookies=signed_in.cookies, timeout=10)
    expect(
        me.status_code == 200 and me.json()["user"]["email"] == SHOPPER_EMAIL, f"web-2 /me answered {me.status_code}"
    )
    return "signed in on web-1, the same cookie is signed in on web-2"


@dataclass
class Booked:
    reference: str
    confirmed_at: float


def check_booking_across_processes(site: Site, vin: str, token: str) -> tuple[str, Booked]:
    auth = {"Authorization": f"Bearer {token}"}
    web1, web2 = site.url("web-1"), site.url("web-2")
    verified = httpx.post(
        f"{web1}/api/v1/me/driver-verification",
        json={
            "full_name": "Demo Shopper",
            "id_number": DEMO_ID_HIGH_SCORE,
            "licence_expiry": (date.today() + timedelta(days=3 * 365)).isoformat(),
            "licence_class": "C1",
        },
        headers=auth,
        timeout=10,
    )
    expect(verified.status_code == 200, f"licence check answered {verified.status_code}: {verified.text}")
    start = first_free_slot(web2, vin)
    hold = httpx.post(
        f"{web1}/api/v1/test-drives/holds",
        json={"vin": vin, "start": start, "minutes": 60},
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    expect(hold.status_code == 201, f"hold on web-1 answered {hold.status_code}: {hold.text}")
    reference = hold.json()["reference"]
    confirm_key = {**auth, "Idempotency-Key": str(uuid.uuid4())}
    path = f"/api/v1/test-drives/bookings/{reference}/confirm"
    confirmed = httpx.post(web2 + path, json={}, headers=confirm_key, timeout=10)
    expect(confirmed.status_code == 200, f"confirm on web-2 answered {confirmed.status_code}: {confirmed.text}")
    confirmed_at = time.monotonic()
    retried = httpx.post(web1 + path, json={}, headers=confirm_key, timeout=10)
    expect(
        retried.status_code == 200 and retried.json() == confirmed.json(),
        f"the retried confirm on web-1 answered {retried.status_code}, not web-2's answer",
    )
    expect(confirmed.json()["status"] == "confirmed", f"status {confirmed.json()['status']}")
    return f"{reference}: held on web-1, confirmed on web-2, the retry on web-1 replayed", Booked(
        reference, confirmed_at
    )


def first_free_slot(base_url: str, vin: str) -> str:
    # Three days on: past the demo shopper's own drives (a self-service drive from later today runs a whole day),
    # whatever the hour, and UTC's date may be a day behind the store's.
    first = date.today() + timedelta(days=3)
    answer = httpx.get(
        f"{base_url}/api/v1/test-drives/availability",
        params={"vin": vin, "from": first.isoformat(), "to": (first + timedelta(days=7)).isoformat()},
        timeout=10,
    )
    expect(answer.status_code == 200, f"availability answered {answer.status_code}: {answer.text}")
    slots = [slot for store in answer.json()["stores"] for slot in store["slots"]]
    expect(bool(slots), f"no free slot for {vin} in the coming week")
    return slots[0]["start"]


def check_messages_once(site: Site, booked: Booked) -> str:
    """Every outbox message is sent once: web processes relay after their responses and the worker every half
    second, all claiming from one table."""
    outbox = site.folder / "outbox"

    def delivered() -> Counter[str]:
        ids: Counter[str] = Counter()
        for log in outbox.glob("*.log"):
            ids.update(re.findall(r"^--- message (\d+) at ", log.read_text(encoding="utf-8"), re.M))
        return ids

    engine = create_engine(site.database_url)
    with engine.connect() as connection:
        wanted = {
            str(row.id)
            for row in connection.execute(
                text(
                    "SELECT id FROM outbox_messages WHERE channel IN ('email', 'sms') AND (subject LIKE :ref OR body LIKE :ref)"
                ),
                {"ref": f"%{booked.reference}%"},
            )
        }
    expect(bool(wanted), f"no e-mail or SMS written for {booked.reference}")
    wait_for("the booking's messages", lambda: wanted <= set(delivered()), 30)
    time.sleep(3)  # several relay rounds of every process: a second delivery would show now
    counts = delivered()
    twice = {message: n for message, n in counts.items() if n > 1}
    expect(not twice, f"messages delivered more than once: {twice}")
    with engine.connect() as connection:
        unsent = connection.execute(
            text("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL AND channel IN ('email', 'sms')")
        ).scalar_one()
    engine.dispose()
    expect(unsent == 0, f"{unsent} message(s) left unsent")
    return f"{len(wanted)} message(s) of the booking, {sum(counts.values())} in all, each delivered once"


def check_telemetry(site: Site, vin: str, car_password: str, admin_token: str) -> str:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"smoke-{vin}", protocol=mqtt.MQTTv311)
    client.username_pw_set(vin, car_password)
    client.connect("127.0.0.1", site.mqtt_port)
    client.loop_start()
    try:
        sample_at = datetime.now(UTC).replace(microsecond=0)
        body = {
            "seq": 1,
            "ts": sample_at.isoformat().replace("+00:00", "Z"),
            "signals": {"Vehicle.Speed": 0, "Vehicle.TraveledDistance": 4_321_500},
        }
        client.publish(telemetry_topic(vin), json.dumps(body), qos=1).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()

    def latest() -> dict | None:
        answer = httpx.get(
            f"{site.url('web-2')}/api/v1/vehicles/{vin}/telemetry/latest",
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=5,
        )
        return answer.json() if answer.status_code == 200 and answer.json()["reported"] else None

    state = wait_for("the sample through the worker's ingest", latest, 30)
    expect(state["odometer_m"] is not None, f"the latest state does not carry the odometer: {state}")
    return "a car's sample via Mosquitto → worker ingest → PostgreSQL → web-2's API"


def check_job_runs(site: Site) -> str:
    engine = create_engine(site.database_url)

    def runs() -> list:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT job, slot_start, runner FROM job_runs ORDER BY slot_start DESC")
            ).all()

    wait_for("three slots of job runs", lambda: len({row.slot_start for row in runs()}) >= 3, 30)
    rows = runs()
    engine.dispose()
    keys = Counter((row.job, row.slot_start) for row in rows)
    expect(max(keys.values()) == 1, "a job ran twice in one slot")
    runners = {row.runner for row in rows}
    return f"{len(rows)} job run(s) in {len({row.slot_start for row in rows})} slots, once each, by {len(runners)} process(es)"


def check_metrics(site: Site) -> str:
    url = site.url("web-1") + "/metrics"
    expect(httpx.get(url, timeout=5).status_code == 401, "/metrics answered without the token")
    scraped = httpx.get(url, headers={"Authorization": f"Bearer {site.metrics_token}"}, timeout=5)
    expect(scraped.status_code == 200, f"/metrics with the token answered {scraped.status_code}")
    for metric in ("forecourt_http_requests_total", "forecourt_outbox_backlog_messages"):
        expect(metric in scraped.text, f"{metric} missing from web-1's /metrics")
    worker = httpx.get(f"http://127.0.0.1:{site.ports['worker-metrics']}/metrics", timeout=5).text
    expect('forecourt_job_runs_total{job="expire-holds",outcome="ran"}' in worker, "the worker counted no job run")
    expect("forecourt_telematics_ingest_messages_total" in worker, "the worker counted no telemetry")
    return "web-1 401 without the token, 200 with it; the worker counts its jobs and telemetry"


def check_request_log(site: Site) -> str:
    request_id = f"smoke-{uuid.uuid4().hex[:12]}"
    answer = httpx.get(site.url("web-2") + "/api/v1/stores", headers={"X-Request-ID": request_id}, timeout=5)
    expect(answer.headers.get("X-Request-ID") == request_id, "the request id was not echoed")
    log = next(r.log for r in site.running if r.part == "web-2")

    def line() -> dict | None:
        for raw in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if request_id in raw:
                return json.loads(raw)
        return None

    entry = wait_for("the request's JSON log line", line, 10)
    expect(entry.get("route") == "/api/v1/stores" and entry.get("status") == 200, f"log line {entry}")
    return f"web-2 logged {{request_id, route, status, duration_ms}} as JSON for {request_id}"


def stop_all(site: Site) -> str:
    codes = {}
    for running in reversed(site.running):
        running.process.send_signal(signal.SIGTERM)
    for running in site.running:
        try:
            codes[running.part] = running.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.process.kill()
            codes[running.part] = "killed after 30 s"
    forecourt_parts = {r.part: codes[r.part] for r in site.running if PARTS[r.part].forecourt}
    expect(all(code == 0 for code in forecourt_parts.values()), f"exit codes after SIGTERM: {forecourt_parts}")
    site.running.clear()
    return ", ".join(f"{part} {code}" for part, code in forecourt_parts.items())


def expect(condition: bool, failure: str) -> None:
    if not condition:
        raise SmokeFailure(failure)


# --- the run ------------------------------------------------------------------------------------------------------


def smoke(folder: Path) -> list[Check]:
    checks: list[Check] = []

    def timed(name: str, action: Callable[[], str]) -> None:
        started = time.perf_counter()
        detail = action()
        checks.append(Check(name, time.perf_counter() - started, detail))

    with scratch_database() as database_url:
        metrics_token = secrets.token_urlsafe(24)
        site = Site(
            folder,
            database_url,
            free_port(),
            secrets.token_urlsafe(18),
            metrics_token,
            production_environment(folder, database_url, metrics_token),
        )
        try:
            car: list[str] = []
            timed("steps: migrate, seed, broker-config", lambda: car.extend(run_steps(site).split(":", 1)) or "ok")
            vin, car_password = car
            tokens = {
                email: api_token(site, email) for email in (SHOPPER_EMAIL, ADMIN_EMAIL)
            }  # personal API tokens, as an integration would hold
            timed("services start and report ready", lambda: start_services(site) or "web-1, web-2, worker, mosquitto")
            timed("probes", lambda: check_probes(site))
            timed("a session across web processes", lambda: check_shared_session(site))
            booked: list[Booked] = []

            def book() -> str:
                detail, result = check_booking_across_processes(site, vin, tokens[SHOPPER_EMAIL])
                booked.append(result)
                return detail

            timed("a booking across web processes", book)
            timed("messages delivered once", lambda: check_messages_once(site, booked[0]))
            timed("telemetry through the worker", lambda: check_telemetry(site, vin, car_password, tokens[ADMIN_EMAIL]))
            timed("jobs once per slot", lambda: check_job_runs(site))
            timed("metrics", lambda: check_metrics(site))
            timed("JSON request log", lambda: check_request_log(site))
            timed("SIGTERM stops every process cleanly", lambda: stop_all(site))
        except BaseException:
            for running in site.running:
                console.print(f"[bold]--- {running.part} ({running.log})[/bold]")
                console.print(running.log.read_text(encoding="utf-8", errors="replace")[-2500:], markup=False)
            raise
        finally:
            for running in site.running:
                running.process.kill()
                running.process.wait()
    return checks


def api_token(site: Site, email: str) -> str:
    """`tokens create` prints a line naming the token, then the secret alone on the next line."""
    created = site.forecourt(Part("tokens", ("tokens", "create")), "--email", email, "--name", "prod-smoke").stdout
    lines = created.strip().splitlines()
    if len(lines) < 2 or not lines[1].strip():
        raise SmokeFailure(f"`tokens create` printed no token: {created!r}")
    return lines[1].strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the folder with the processes' logs")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="forecourt-prod-smoke-"))
    started = time.perf_counter()
    try:
        checks = smoke(folder)
    except SmokeFailure as failure:
        console.print(f"[red]prod-smoke failed:[/red] {failure}", markup=True)
        console.print(f"logs in {folder}")
        return 1
    table = Table(
        title=f"prod-smoke: compose.yaml's topology as local processes ({time.perf_counter() - started:.0f} s)"
    )
    for column in ("check", "s", "what was seen"):
        table.add_column(column)
    for check in checks:
        table.add_row(check.name, f"{check.seconds:.1f}", check.detail)
    console.print(table)
    if not options.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
