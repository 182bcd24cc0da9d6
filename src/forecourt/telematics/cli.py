"""`forecourt telematics …`: car identities, the broker's files, the ingest worker, retention.

forecourt telematics provision VIN            # the car's MQTT username (its VIN) and a new password, once
forecourt telematics broker-config --out DIR  # Mosquitto password file and ACL (and --port: a mosquitto.conf)
forecourt telematics ingest                   # consume FORECOURT_MQTT_URL until SIGTERM
forecourt telematics purge --older-than 90d   # drop whole monthly partitions (PostgreSQL) / delete (SQLite)
"""

from __future__ import annotations

import re
import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from forecourt.core.clock import utcnow
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.settings import get_settings
from forecourt.telematics import fleet_cli

telematics_app = typer.Typer(
    help="Connected cars: identities, broker files, ingest, retention, a simulated fleet.", no_args_is_help=True
)
fleet_cli.register(telematics_app)


@telematics_app.command("provision")
def provision(vin: Annotated[str, typer.Argument(help="The car's VIN (its MQTT username)")]) -> None:
    """Give a car its own MQTT identity; run again to replace its password. The password is shown only now."""
    from forecourt.core.errors import DomainError
    from forecourt.telematics import service

    factory = make_session_factory(make_engine(get_settings().database_url))
    try:
        with transaction(factory) as session:
            issued = service.provision(session, vin, utcnow())
    except DomainError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{'new password for' if issued.rotated else 'provisioned'} {issued.vin}")
    typer.echo(f"  username: {issued.username}\n  password: {issued.password}")
    typer.echo("Run `forecourt telematics broker-config` and reload the broker for it to take effect.")


@telematics_app.command("broker-config")
def broker_config(
    out: Annotated[Path, typer.Option(help="Directory for the password file and the ACL")],
    port: Annotated[int | None, typer.Option(help="Also write a mosquitto.conf listening on this port")] = None,
    bind_address: Annotated[
        str, typer.Option(help="The listener's address in that mosquitto.conf (0.0.0.0 in a container)")
    ] = "127.0.0.1",
) -> None:
    """Write Mosquitto's password file (every provisioned car, plus the ingest user of FORECOURT_MQTT_URL) and an
    ACL that lets each car publish only to its own topic and only the ingest user read telemetry."""
    import ipaddress
    import os

    from forecourt.telematics import credentials, service
    from forecourt.telematics.broker import BrokerUser, write_broker_files
    from forecourt.telematics.mqtt import BrokerAddress

    try:
        ipaddress.ip_address(bind_address)  # Mosquitto would otherwise fail at start with a less clear message
    except ValueError as exc:
        raise typer.BadParameter("an IPv4 or IPv6 address, such as 0.0.0.0", param_hint="--bind-address") from exc
    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    with transaction(factory) as session:
        users = service.broker_users(session)
    ingest_users = []
    url = settings.mqtt_url.get_secret_value()
    if url:
        address = BrokerAddress.parse(url)
        if address.username and address.password:
            users.append(BrokerUser(address.username, credentials.mosquitto_hash(address.password)))
            ingest_users.append(address.username)
    if not ingest_users:
        typer.echo("warning: FORECOURT_MQTT_URL names no user and password; no one may read telemetry", err=True)
    run_as = "root" if port is not None and os.geteuid() == 0 else None
    for path in write_broker_files(out, users, ingest_users, port=port, bind_address=bind_address, run_as=run_as):
        typer.echo(f"wrote {path}")


@telematics_app.command("ingest")
def ingest(
    client_id: Annotated[str | None, typer.Option(help="Stable per process; default FORECOURT_MQTT_CLIENT_ID")] = None,
) -> None:
    """Consume telemetry from FORECOURT_MQTT_URL into the database until SIGTERM or Ctrl-C."""
    import logging

    from forecourt.telematics.ingest import ingest_worker_from_settings
    from forecourt.telematics.mqtt import BrokerAddress

    settings = get_settings()
    url = settings.mqtt_url.get_secret_value()
    if not url:
        typer.echo("FORECOURT_MQTT_URL is not set", err=True)
        raise typer.Exit(2)
    address = BrokerAddress.parse(url)
    engine = make_engine(settings.database_url)
    worker = ingest_worker_from_settings(settings, make_session_factory(engine), client_id)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Set from a thread, never in the handler itself: a second signal arriving while the handler is inside
        # Event.set() (which holds the event's lock) would run a nested handler that waits on that lock forever.
        signal.signal(signum, lambda *_: threading.Thread(target=stop.set, name="forecourt-stop").start())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    typer.echo(f"ingesting from {address.redacted()}", err=True)
    stats = worker.run(stop)
    engine.dispose()
    typer.echo(
        f"stopped: {stats.messages} message(s) in {stats.batches} batch(es), {stats.stored} sample(s) stored, "
        f"{stats.duplicates} duplicate(s), {stats.dead_letters} dead letter(s)",
        err=True,
    )


@telematics_app.command("purge")
def purge(
    older_than: Annotated[str, typer.Option("--older-than", help="Age such as 90d or 12w")] = "90d",
) -> None:
    """Remove samples older than the given age: whole monthly partitions on PostgreSQL, rows on SQLite."""
    from forecourt.telematics import partitions, repository

    match = re.fullmatch(r"(\d{1,5})([dw])", older_than)
    if match is None:
        typer.echo("--older-than takes days or weeks, e.g. 90d or 12w", err=True)
        raise typer.Exit(2)
    amount, unit = int(match.group(1)), match.group(2)
    cutoff = utcnow() - timedelta(days=amount * (7 if unit == "w" else 1))
    engine = make_engine(get_settings().database_url)
    if engine.dialect.name == "postgresql":
        dropped = partitions.drop_partitions_before(engine, cutoff)
        typer.echo(f"dropped {len(dropped)} partition(s) ending before {cutoff:%Y-%m-%d}: {', '.join(dropped) or '-'}")
    else:
        with transaction(make_session_factory(engine)) as session:
            deleted = repository.delete_samples_before(session, cutoff)
        typer.echo(f"deleted {deleted} sample(s) older than {cutoff:%Y-%m-%d}")
    engine.dispose()
