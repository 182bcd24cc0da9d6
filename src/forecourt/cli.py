"""Command line: `forecourt serve`, `worker`, `db upgrade`, `demo load`, `inventory import`, `users ...`,
`tokens create`, `outbox relay`, `jobs run`."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from forecourt.accounts.cli import tokens_app, users_app
from forecourt.core.clock import utcnow
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.settings import get_settings
from forecourt.marketing.cli import attribution_app
from forecourt.marketing.event_cli import marketing_app
from forecourt.marketing.leads.cli import leads_app
from forecourt.models_registry import import_all_models
from forecourt.ownership.servicing.cli import schedules_app
from forecourt.telematics.cli import telematics_app

app = typer.Typer(help="Forecourt: automotive new-retail platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
inventory_app = typer.Typer(help="Vehicle inventory.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(marketing_app, name="marketing")
app.add_typer(attribution_app, name="attribution")
app.add_typer(leads_app, name="leads")
outbox_app = typer.Typer(help="Outgoing email and SMS.", no_args_is_help=True)
app.add_typer(inventory_app, name="inventory")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(outbox_app, name="outbox")
app.add_typer(telematics_app, name="telematics")
app.add_typer(schedules_app, name="service-schedules")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind; default FORECOURT_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Port; default FORECOURT_PORT")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Web processes behind the one socket (restarted if they die)")
    ] = 1,
    graceful_timeout: Annotated[
        int, typer.Option(min=0, help="Seconds a stopping worker lets requests in flight finish (SIGTERM)")
    ] = 25,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development; one worker)")] = False,
    log_level: Annotated[
        str, typer.Option(help="critical, error, warning, info or debug; lines are redacted at every level")
    ] = "info",
) -> None:
    """Serve the storefront, the back office and the API (and, with FORECOURT_RUN_JOBS, the scheduled jobs).

    With --workers N, uvicorn's supervisor runs N processes and replaces any that dies; their Prometheus metrics
    are merged through FORECOURT_METRICS_DIR, emptied here before they start. The schema is never migrated here:
    run `forecourt db upgrade` first (/readyz answers 503 until the database is at this code's revision).
    Logging is one JSON line per request (FORECOURT_LOG_FORMAT), masked (core/logging_setup.py)."""
    import uvicorn

    from forecourt.core.logging_setup import LEVELS, uvicorn_log_config

    if log_level.lower() not in LEVELS:
        raise typer.BadParameter(f"choose one of {', '.join(LEVELS)}", param_hint="--log-level")
    if reload and workers > 1:
        raise typer.BadParameter("--reload runs one process; drop --workers or --reload", param_hint="--workers")

    settings = get_settings()
    if workers > 1:
        from forecourt.core.metrics import MULTIPROC_ENV, prepare_multiprocess_dir

        # Before the workers start: prometheus-client chooses its multiprocess mode when a process imports it.
        os.environ[MULTIPROC_ENV] = str(prepare_multiprocess_dir(settings.metrics_dir))
    typer.echo(
        f"Forecourt on http://{host or settings.host}:{port or settings.port} with {workers} worker(s)"
        f"  (database: {make_url(settings.database_url).render_as_string(hide_password=True)})"
    )
    with _exit_0_after_sigterm():
        uvicorn.run(
            "forecourt.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            reload=reload,
            timeout_graceful_shutdown=graceful_timeout,
            log_config=uvicorn_log_config(log_level.lower(), settings.log_format),
            log_level=log_level.lower(),
            access_log=False,  # the app writes one line per request itself (core/request_log.py)
            # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (or $FORWARDED_ALLOW_IPS): any local
            # process could choose the address our per-address limits count. Only FORECOURT_TRUSTED_PROXIES are.
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
            # h11 buffers at most this much of a request's head (its default is 16 KiB); room above the app's own
            # header limit, so a client over that limit gets the app's 431 problem document rather than a bare 400.
            h11_max_incomplete_event_size=settings.max_header_bytes + 64 * 1024,
        )


@contextmanager
def _exit_0_after_sigterm() -> Iterator[None]:
    """SIGTERM is how a supervisor (systemd, Docker, Kubernetes) asks for a stop. uvicorn stops accepting, finishes
    the requests in flight, and then raises the signal again under the handler it found at start: under Python's
    default the process would end as *killed* by SIGTERM (status 143), which supervisors report as a failure.
    Under this one the stop that was asked for ends with status 0 (also when it comes before uvicorn listens).
    The previous handler is put back after, for callers that run `serve` inside a longer-lived process."""
    previous = signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(0))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply the Alembic migrations to FORECOURT_DATABASE_URL."""
    from forecourt.core.migrate import upgrade

    engine = make_engine(get_settings().database_url)
    upgrade(engine, revision)
    engine.dispose()
    typer.echo(f"database at {revision}")


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when vehicles already exist")] = False,
    vehicles: Annotated[int, typer.Option(min=0, max=200_000, help="How many vehicles to generate")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data")] = 2018,
) -> None:
    """Load the deterministic Ford China 2018 demo: catalog, stores, vehicles, finance programs, demo accounts."""
    from forecourt.accounts.demo import CUSTOMERS, DEMO_PASSWORD, ensure_demo_users
    from forecourt.catalog.demo import load_demo
    from forecourt.catalog.repository import count_vehicles
    from forecourt.demo_day import load_customers_day, relay_the_day
    from forecourt.finance.programs.demo import ensure_finance_demo
    from forecourt.marketing.demo import load_marketing_demo
    from forecourt.marketing.leads.demo import load_lead_demo
    from forecourt.mobility.demo import load_mobility_demo
    from forecourt.ownership.demo import load_ownership_demo
    from forecourt.ownership.service_bookings.demo import load_service_demo
    from forecourt.telematics.demo import load_telematics_demo
    from forecourt.testdrive.demo import load_test_drive_demo

    import_all_models()  # the demo writes rows of every context, whose foreign keys name each other's tables
    settings = get_settings()
    if settings.environment == "production":
        typer.echo(
            "refusing to load demo data (with published passwords) when FORECOURT_ENVIRONMENT=production", err=True
        )
        raise typer.Exit(1)
    engine = make_engine(settings.database_url)
    # The demo owners' odometer samples go back to their deliveries (up to three years): their monthly partitions
    # (PostgreSQL) are made first, on their own, since making one locks the parent table, which the demo's own
    # transaction holds once it has written samples (the demo would wait on itself).
    from forecourt.telematics.partitions import ensure_partitions, months_around

    ensure_partitions(engine, months_around(utcnow(), back=40))
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        if if_empty and count_vehicles(session) > 0:
            summary = "demo data already present; catalog and vehicles not loaded"
        else:
            summary = load_demo(session, vehicles=vehicles, seed=seed)
        accounts = ensure_demo_users(session, settings.environment)  # idempotent, so also on --if-empty
        summary += "\n" + ensure_finance_demo(session)  # idempotent: rate programs and residuals
        summary += "\n" + load_marketing_demo(session)  # idempotent: simulated campaigns and journeys
        summary += "\n" + load_lead_demo(session)  # idempotent: lead history and the scoring model
        summary += "\n" + load_telematics_demo(session)  # idempotent: a day of recorded drives, no broker needed
        summary += "\n" + load_test_drive_demo(session)  # idempotent: today's drives, one out and watched
        summary += "\n" + load_ownership_demo(session)  # idempotent: owners, a loan and leases, recorded odometers
        summary += "\n" + load_service_demo(session)  # idempotent: bays, a recall, today's service jobs
        summary += "\n" + load_mobility_demo(session, settings)  # idempotent: classes, rental cars and rentals
        # idempotent: the stores' customers — drives past, out now and to come, applications in every review state,
        # orders in every state — last, so that they take only what the demos above left free
        summary += "".join("\n" + line for line in load_customers_day(session, settings))
    summary += "\n" + relay_the_day(factory, settings)  # their conversions become leads, as after any request
    typer.echo(summary)
    typer.echo("demo accounts (development only):")
    for line in accounts:
        typer.echo(f"  {line}")
    named = [c.email.split("@")[0] + "@" for c in CUSTOMERS[:-1]] + [CUSTOMERS[-1].email]
    typer.echo(f"  customers of the Guangzhou stores (shoppers): {', '.join(named)} / {DEMO_PASSWORD}")


@inventory_app.command("import")
def inventory_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSON file")],
    file_format: Annotated[str | None, typer.Option("--format", help="csv or json; default from the extension")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the per-row error report to this CSV file")] = None,
) -> None:
    """Upsert vehicles by VIN from a CSV or JSON file; bad rows are reported and change nothing."""
    from forecourt.catalog.import_cli import run_import

    raise typer.Exit(run_import(file, file_format, report))


@outbox_app.command("relay")
def outbox_relay() -> None:
    """Send unsent outbox messages (development adapter: append to FORECOURT_OUTBOX_DIR/{email,sms}.log)."""
    from forecourt.core.outbox import relay_outbox
    from forecourt.marketing.platform_events import outbox_adapters

    import_all_models()  # the relay loads messages whose events name other contexts' rows
    settings = get_settings()
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    sent = relay_outbox(factory, outbox_adapters(factory, settings.outbox_dir))
    engine.dispose()
    typer.echo(f"{sent} message(s) sent to {settings.outbox_dir}")


keys_app = typer.Typer(help="Field-encryption keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("generate")
def keys_generate(key_id: Annotated[str, typer.Option("--id", help="Key id, e.g. k2")] = "k1") -> None:
    """Print a new data key; put it FIRST in FORECOURT_FIELD_ENCRYPTION_KEYS (older keys after it still decrypt)."""
    from forecourt.core.crypto import Keyring

    typer.echo(Keyring.generate_key_text(key_id))


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt stored personal data under the first key of FORECOURT_FIELD_ENCRYPTION_KEYS."""
    from rich.progress import Progress

    from forecourt.core.crypto import field_cipher_from_config
    from forecourt.finance.credit.key_rotation import rotate_application_keys
    from forecourt.identity.key_rotation import rotate_verification_keys

    settings = get_settings()
    cipher = field_cipher_from_config(
        settings.field_encryption_keys.get_secret_value(), settings.secret_key.get_secret_value()
    )
    engine = make_engine(settings.database_url)
    with Progress(transient=True) as progress:
        task = progress.add_task("re-encrypting credit applications", total=None)
        report = rotate_application_keys(
            make_session_factory(engine), cipher, lambda done: progress.advance(task, done)
        )
        task = progress.add_task("re-encrypting driver verifications", total=None)
        drivers, driver_tokens = rotate_verification_keys(
            make_session_factory(engine), cipher, lambda done: progress.advance(task, done)
        )
    engine.dispose()
    typer.echo(
        f"{report.rows} application(s) and {drivers} driver verification(s) checked, "
        f"{report.tokens_rewritten + driver_tokens} field(s) re-encrypted under key {cipher.keyring.current_key_id!r}"
    )


jobs_app = typer.Typer(
    help="Time-driven work: hold expiry, reminders, follow-ups, overdue cars, purges, outbox.", no_args_is_help=True
)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("run")
def jobs_run() -> None:
    """One pass of the scheduled jobs, then the outbox; safe from cron beside running workers (each job runs once
    per slot: a job another process already ran in this slot is shown as skipped)."""
    from datetime import timedelta

    from forecourt.core.clock import follow_clock_file
    from forecourt.jobs.registry import SCHEDULED_JOBS
    from forecourt.jobs.runner import run_due_jobs
    from forecourt.marketing.platform_events import outbox_adapters

    import_all_models()  # as the worker does: the jobs touch every context's tables
    settings = get_settings()
    follow_clock_file(settings.clock_file)  # None outside tests: the wall clock
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    report = run_due_jobs(
        factory,
        outbox_adapters(factory, settings.outbox_dir),
        interval=timedelta(seconds=settings.job_interval_seconds),
    )
    engine.dispose()
    counts = {job.name: job.counts for job in SCHEDULED_JOBS}
    for outcome in report.outcomes:
        done = {
            "ran": f"{outcome.count} {counts[outcome.job]}",
            "skipped": "skipped: already run in this slot by another process",
            "failed": "failed (see the log); a later pass retries it",
        }[outcome.outcome]
        typer.echo(f"{outcome.job} [{outcome.slot.isoformat()}]: {done}")
    typer.echo(f"{report.messages_sent} message(s) sent")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def worker(
    relay_every: Annotated[float, typer.Option(min=0.05, max=3600, help="Seconds between outbox relay runs")] = 5.0,
    log_level: Annotated[str, typer.Option(help="critical, error, warning, info or debug")] = "info",
    metrics_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Serve this worker's Prometheus metrics on this port")
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Address of that metrics endpoint (it has no authentication: a private network only)")
    ] = "127.0.0.1",
) -> None:
    """Run the scheduled jobs (every FORECOURT_JOB_INTERVAL_SECONDS), the outbox relay and, with FORECOURT_MQTT_URL,
    the telematics ingest, until SIGTERM or Ctrl-C; any number of workers may run against one database."""
    import logging.config
    import signal
    import threading

    from forecourt.core.logging_setup import LEVELS, install_redaction_filters, uvicorn_log_config
    from forecourt.core.masking import install_log_redaction
    from forecourt.worker import run_worker

    if log_level.lower() not in LEVELS:
        raise typer.BadParameter(f"choose one of {', '.join(LEVELS)}", param_hint="--log-level")
    settings = get_settings()
    # The web processes' configuration (JSON lines or text, redaction on every handler), so one log shipper reads both.
    logging.config.dictConfig(uvicorn_log_config(log_level.lower(), settings.log_format))
    install_log_redaction("forecourt")  # as in web processes: no secret or personal number reaches a log line
    install_redaction_filters()
    metrics_server = None
    if metrics_port is not None:
        from forecourt.core.metrics import start_metrics_server

        try:
            metrics_server = start_metrics_server(metrics_port, metrics_host)
        except OSError as exc:
            raise typer.BadParameter(f"cannot listen on {metrics_host}:{metrics_port}: {exc.strerror}") from exc
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Set from a thread, never in the handler itself: a second signal arriving while the handler is inside
        # Event.set() (which holds the event's lock) would run a nested handler that waits on that lock forever.
        signal.signal(signum, lambda *_: threading.Thread(target=stop.set, name="forecourt-stop").start())
    code = run_worker(settings, stop, relay_interval=relay_every)
    if metrics_server is not None:
        metrics_server.shutdown()
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
