"""`forecourt telematics provision-fleet | simulate | fleet`: a fleet that drives itself through a real broker.

forecourt telematics provision-fleet --vehicles 10 --out var/fleet/credentials.json
forecourt telematics simulate --credentials var/fleet/credentials.json --minutes 60 --speedup 60
forecourt telematics fleet --vehicles 10 --minutes 120 --speedup 60     # all of it, with its own broker
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from forecourt.core.clock import utcnow
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.settings import get_settings
from forecourt.telematics.fleet import Mischief
from forecourt.telematics.mqtt import BrokerAddress

Vehicles = Annotated[int, typer.Option(min=1, max=5_000, help="How many test-drive cars drive")]
Minutes = Annotated[float, typer.Option(min=1, max=24 * 60, help="Minutes of driving to simulate")]
Speedup = Annotated[float, typer.Option(min=0, max=10_000, help="Times faster than real time; 0: as fast as possible")]
Store = Annotated[str | None, typer.Option(help="Only cars of this store (code), e.g. gz-self-service")]
Seed = Annotated[int, typer.Option(help="The same seed drives the same routes")]
Duplicates = Annotated[float, typer.Option(min=0, max=1, help="Share of samples sent twice")]
OutOfOrder = Annotated[float, typer.Option(min=0, max=1, help="Share of samples held back and sent reversed")]
Malformed = Annotated[float, typer.Option(min=0, max=1, help="Share of extra malformed messages")]


def register(app: typer.Typer) -> None:
    app.command("provision-fleet")(provision_fleet)
    app.command("simulate")(simulate)
    app.command("fleet")(fleet)


def provision_fleet(
    out: Annotated[Path, typer.Option(help="Where to write {VIN: password} (JSON, readable by you only)")],
    vehicles: Vehicles = 10,
    store: Store = None,
) -> None:
    """Give test-drive cars new MQTT passwords for the simulator; then run broker-config and reload the broker."""
    from forecourt.telematics import service

    factory = make_session_factory(make_engine(get_settings().database_url))
    with transaction(factory) as session:
        passwords = service.provision_fleet(session, vehicles, store, utcnow())
    _write_private(out, passwords)
    typer.echo(f"{len(passwords)} car(s) provisioned; credentials in {out}")


def simulate(
    credentials: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="From provision-fleet")],
    minutes: Minutes = 60,
    speedup: Speedup = 60,
    seed: Seed = 2018,
    duplicates: Duplicates = 0.0,
    out_of_order: OutOfOrder = 0.0,
    malformed: Malformed = 0.0,
) -> None:
    """Drive the cars of the credentials file through FORECOURT_MQTT_URL's broker, each as itself."""

    settings = get_settings()
    if not settings.mqtt_url.get_secret_value():
        typer.echo("FORECOURT_MQTT_URL is not set (the simulator publishes to its host and port)", err=True)
        raise typer.Exit(2)
    passwords = json.loads(credentials.read_text())
    address = BrokerAddress.parse(settings.mqtt_url.get_secret_value())
    _drive(address, passwords, minutes, speedup, seed, Mischief(duplicates, out_of_order, malformed))


def fleet(
    vehicles: Vehicles = 10,
    minutes: Minutes = 120,
    speedup: Speedup = 60,
    store: Store = None,
    seed: Seed = 2018,
    port: Annotated[int, typer.Option(help="Port of the fleet's own broker")] = 1884,
    directory: Annotated[Path, typer.Option(help="Broker files and credentials")] = Path("var/fleet"),
) -> None:
    """Everything at once: provision cars, start a Mosquitto of its own, run the ingest worker and the simulator.
    Open the back office (`make run` in another terminal) to watch the cars move."""
    from forecourt.telematics import credentials as car_credentials
    from forecourt.telematics import service
    from forecourt.telematics.broker import BrokerUser, write_broker_files
    from forecourt.telematics.ingest import IngestWorker

    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.path.exists(mosquitto):
        typer.echo("Mosquitto is not installed (apt-get install mosquitto)", err=True)
        raise typer.Exit(2)
    engine = make_engine(get_settings().database_url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        passwords = service.provision_fleet(session, vehicles, store, utcnow())
        users = service.broker_users(session)
    if not passwords:
        typer.echo("no test-drive cars found: load the demo first (make run, or forecourt demo load)", err=True)
        raise typer.Exit(2)
    _write_private(directory / "credentials.json", passwords)
    ingest_password = car_credentials.new_password()
    users.append(BrokerUser("forecourt-ingest", car_credentials.mosquitto_hash(ingest_password)))
    run_as = "root" if os.geteuid() == 0 else None
    write_broker_files(directory / "broker", users, ["forecourt-ingest"], port=port, run_as=run_as)
    broker = subprocess.Popen([mosquitto, "-c", str(directory / "broker" / "mosquitto.conf")])
    _wait_for_port(port)
    address = BrokerAddress("127.0.0.1", port, "forecourt-ingest", ingest_password, tls=False)
    stop = threading.Event()
    worker = IngestWorker(factory, address, "forecourt-ingest-fleet")
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    worker.wait_connected(10)
    try:
        _drive(address, passwords, minutes, speedup, seed, Mischief(0.01, 0.01, 0.002))
        time.sleep(1)  # the last batch
    finally:
        stop.set()
        thread.join(timeout=30)
        broker.terminate()
        broker.wait(timeout=10)
        engine.dispose()
    stats = worker.stats
    typer.echo(
        f"ingest: {stats.messages} message(s), {stats.stored} sample(s) stored, {stats.duplicates} duplicate(s), "
        f"{stats.dead_letters} dead letter(s)"
    )


def _drive(
    address: BrokerAddress, passwords: dict[str, str], minutes: float, speedup: float, seed: int, mischief: Mischief
) -> None:
    from forecourt.telematics import service
    from forecourt.telematics.fleet import publish, schedule

    factory = make_session_factory(make_engine(get_settings().database_url))
    with transaction(factory) as session:
        cars = service.sim_cars(session, passwords)
    # Start far enough back that no sample is stamped in the future when the run is sped up.
    start = utcnow() - timedelta(minutes=minutes) * (1 - 1 / speedup if speedup else 1)
    items, distance = schedule(cars, start, minutes, seed)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(f"{len(cars)} car(s) driving", total=len(items))
        report = publish(
            address,
            passwords,
            items,
            speedup=speedup,
            mischief=mischief,
            seed=seed,
            progress=lambda done: progress.advance(task, done),
        )
    typer.echo(
        f"published {report.samples} sample(s) in {report.messages} message(s) from {len(cars)} car(s), "
        f"{distance / 1000:,.1f} km driven; {report.duplicates} sent twice, {report.reordered_batches} "
        f"reordered batch(es), {report.malformed} malformed"
    )


def _write_private(path: Path, passwords: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps(passwords, indent=2, sort_keys=True))


def _wait_for_port(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise typer.Exit(2)
