"""Application factory: settings, database, routers and error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from forecourt import __version__
from forecourt.accounts.api import router as accounts_router
from forecourt.accounts.pages import router as account_pages
from forecourt.accounts.reset_pages import router as reset_pages
from forecourt.accounts.sign_up_pages import router as sign_up_pages
from forecourt.backoffice import access as backoffice_access
from forecourt.backoffice.pages import router as backoffice_pages
from forecourt.catalog.api import router as catalog_router
from forecourt.catalog.import_api import router as import_router
from forecourt.catalog.pages import router as catalog_pages
from forecourt.core import metrics
from forecourt.core.admission import AdmissionControl, pool_capacity
from forecourt.core.client_address import install_proxy_headers
from forecourt.core.clock import follow_clock_file
from forecourt.core.crypto import field_cipher_from_config
from forecourt.core.db import make_engine, make_session_factory
from forecourt.core.db_metrics import OutboxBacklogCollector, watch_pool
from forecourt.core.health import Readiness, script_heads
from forecourt.core.http import install_error_handlers
from forecourt.core.limits import RequestLimits
from forecourt.core.logging_setup import install_redaction_filters
from forecourt.core.masking import install_log_redaction
from forecourt.core.openapi import install as install_openapi
from forecourt.core.ops_api import router as ops_router
from forecourt.core.request_guard import RejectControlCharacters
from forecourt.core.request_log import RequestObserver
from forecourt.core.security_headers import SecurityHeadersMiddleware
from forecourt.core.settings import Settings, get_settings
from forecourt.finance.credit import api as api_applications
from forecourt.finance.credit import pages as application_pages
from forecourt.finance.orders import api as api_orders
from forecourt.finance.orders import pages as order_pages
from forecourt.finance.programs import api as api_programs
from forecourt.finance.programs import pages as program_pages
from forecourt.finance.quotes import api as api_quotes
from forecourt.finance.quotes import pages as quote_pages
from forecourt.identity.api import admin_router as identity_admin_router
from forecourt.identity.api import router as identity_router
from forecourt.integrations import build_integrations
from forecourt.marketing import api_attribution, api_campaigns, api_events, dashboard_pages
from forecourt.marketing.leads import api as leads_api
from forecourt.marketing.leads import pages as lead_pages
from forecourt.marketing.platform_events import outbox_adapters
from forecourt.mobility.fleet.api import router as fleet_router
from forecourt.mobility.fleet.pages import router as fleet_pages
from forecourt.mobility.rentals import change_pages as rental_change_pages
from forecourt.mobility.rentals import pages as rental_pages
from forecourt.mobility.rentals import staff_pages as rental_staff_pages
from forecourt.mobility.rentals.api import router as rentals_router
from forecourt.mobility.subscriptions import change_pages as subscription_change_pages
from forecourt.mobility.subscriptions import pages as subscription_pages
from forecourt.mobility.subscriptions import conversion_pages as subscription_conversion_pages
from forecourt.mobility.subscriptions.api import router as subscriptions_router
from forecourt.mobility.ways_to_drive import api as ways_api
from forecourt.mobility.ways_to_drive import pages as ways_pages
from forecourt.ownership.garage import api as api_garage
from forecourt.ownership.garage import pages as garage_pages
from forecourt.ownership.leases import api as api_leases
from forecourt.ownership.leases import pages as lease_pages
from forecourt.ownership.recalls import api as recall_api
from forecourt.ownership.recalls import pages as recall_pages
from forecourt.ownership.records import api as api_ownerships
from forecourt.ownership.records import pages as ownership_pages
from forecourt.ownership.service_bookings import api as service_booking_api
from forecourt.ownership.service_bookings import owner_pages as service_owner_pages
from forecourt.ownership.service_bookings import staff_pages as service_staff_pages
from forecourt.ownership.servicing import api as servicing_api
from forecourt.ownership.servicing import pages as schedule_pages
from forecourt.telematics.api import router as telematics_router
from forecourt.telematics.mqtt import BrokerAddress
from forecourt.telematics.pages import router as telematics_pages
from forecourt.testdrive.api import router as testdrive_router
from forecourt.testdrive.pages import router as testdrive_pages
from forecourt.web.errors import install_page_error_handlers, render_error
from forecourt.web.templating import STATIC_DIR

DESCRIPTION = """Forecourt's REST API. Errors are RFC 9457 `application/problem+json` documents with a stable
`code` and, for invalid fields, an `errors` list naming each field and what is wrong with it.
Money amounts are decimal strings in the currency given beside them."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """With FORECOURT_RUN_JOBS (the default outside tests), a thread runs the scheduled jobs and relays the outbox.
    Several web processes may all run it: each job runs once per slot (forecourt/jobs/runner.py). The metrics of a
    worker that ends leave with it; the migrations' head is read before the first readiness probe."""
    settings: Settings = app.state.settings
    metrics.on_worker_start()
    script_heads()
    background = None
    if settings.run_jobs:
        from forecourt.jobs.loop import BackgroundJobs, job_passes

        interval = settings.job_interval_seconds

        def sessions() -> Session:  # looked up at each pass, as the adapters are, so a test's swap is followed
            return app.state.session_factory()

        background = BackgroundJobs(job_passes(sessions, app.state.outbox_adapters, interval), interval).start()
    try:
        yield
    finally:
        if background is not None:
            background.stop()
        app.state.readiness.close()
        metrics.on_worker_stop()


def _broker(settings: Settings) -> tuple[str, int] | None:
    url = settings.mqtt_url.get_secret_value()
    if not url:
        return None
    address = BrokerAddress.parse(url)
    return address.host, address.port


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    install_log_redaction("forecourt")  # secrets, ID, mobile and card numbers never reach a log line
    install_redaction_filters()  # nor through the server's own handlers (access log) or other libraries' records
    if settings.clock_file is not None:  # tests only (settings refuse it elsewhere): a simulated day across processes
        follow_clock_file(settings.clock_file)
    engine = make_engine(settings.database_url, sqlite_busy_timeout=settings.sqlite_busy_timeout)
    app = FastAPI(title="Forecourt", version=__version__, description=DESCRIPTION, lifespan=_lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.integrations = build_integrations(settings)
    # Built on each use, so a test that swaps the session factory or settings is followed.
    app.state.outbox_adapters = lambda: outbox_adapters(app.state.session_factory, app.state.settings.outbox_dir)
    app.state.field_cipher = field_cipher_from_config(
        settings.field_encryption_keys.get_secret_value(), settings.secret_key.get_secret_value()
    )
    app.state.readiness = Readiness(settings.database_url, _broker(settings))
    watch_pool(engine)
    # Read at scrape time through the current session factory (tests swap it).
    app.state.live_metrics = [OutboxBacklogCollector(lambda: app.state.session_factory())]
    app.add_middleware(AdmissionControl, limit=pool_capacity(engine))
    app.add_middleware(RejectControlCharacters)
    app.add_middleware(RequestLimits, render_page=render_error)  # before anything reads headers or body
    app.add_middleware(SecurityHeadersMiddleware)  # the refusals above carry the headers too
    app.add_middleware(RequestObserver)  # request id, log line and metrics of every answer, refusals included
    install_proxy_headers(app, settings.trusted_proxies)  # outermost: every layer sees the client's address
    install_error_handlers(app)
    install_page_error_handlers(app)  # HTML error pages for page routes; API answers stay problem+json
    app.include_router(ops_router)  # /healthz, /readyz, /metrics
    app.include_router(accounts_router)
    app.include_router(catalog_router)
    app.include_router(import_router)
    app.include_router(identity_router)
    app.include_router(identity_admin_router)
    app.include_router(testdrive_router)
    app.include_router(rentals_router)
    app.include_router(fleet_router)
    app.include_router(subscriptions_router)
    app.include_router(ways_api.router)
    app.include_router(telematics_router)
    for ownership_module in (servicing_api, service_booking_api, recall_api):
        app.include_router(ownership_module.router)
    app.include_router(testdrive_pages)  # storefront and back-office test-drive pages
    app.include_router(fleet_pages)  # the back office's fleet utilisation
    for rental_module in (rental_pages, rental_change_pages, rental_staff_pages):
        app.include_router(rental_module.router)  # rent a car, my rentals, the back office's rental desk
    for subscription_module in (subscription_pages, subscription_change_pages):
        app.include_router(subscription_module.router)  # subscribe, my subscriptions, swap, pause, resume, notice
    app.include_router(subscription_conversion_pages.router)  # buy the subscription's car
    app.include_router(ways_pages.router)  # buy, lease, subscribe or rent a model, side by side
    app.include_router(telematics_pages)  # the back office's telemetry page of a car
    for service_pages in (service_staff_pages, service_owner_pages, schedule_pages, recall_pages):
        app.include_router(service_pages.router)  # workshop calendar, owner's service and booking, schedules, recalls
    for finance_module in (
        api_programs,
        api_quotes,
        api_applications,
        api_orders,
        program_pages,
        quote_pages,
        application_pages,
        order_pages,
    ):
        app.include_router(finance_module.router)
    for marketing_module in (api_events, api_campaigns, api_attribution, dashboard_pages, leads_api, lead_pages):
        app.include_router(marketing_module.router)
    for ownership_module in (api_ownerships, api_garage, api_leases, garage_pages, lease_pages, ownership_pages):
        app.include_router(ownership_module.router)
    app.include_router(backoffice_pages)
    backoffice_access.install(app)  # its sign-in redirect and 403 page
    app.include_router(account_pages)
    app.include_router(reset_pages)
    app.include_router(sign_up_pages)
    app.include_router(catalog_pages)  # before the /static mount: it serves /static/photos/* itself
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    install_openapi(app)  # documents what the shared plumbing answers: problem documents, 401/403/404/503...

    return app
