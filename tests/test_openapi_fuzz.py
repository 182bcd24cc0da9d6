"""Property-based fuzzing of every operation in the app's OpenAPI document with schemathesis.

Whatever schemathesis generates from the spec, valid or deliberately invalid (positive and negative
generation modes), the answer is never a 5xx, a 2xx body matches its documented schema, and every 4xx is
an RFC 9457 problem. Routes are read from the app's /openapi.json, so operations added later (such as the
inventory import upload) are fuzzed too.

This runs on SQLite only, on purpose: it is about input validation and error mapping, which happen
before (or independently of) the database; the PostgreSQL behaviour of the same endpoints is covered by
the backend-parametrised tests in tests/catalog. The schema is loaded when the module is collected, from an
app whose database is never opened; before the first request a module fixture points that app at a
temporary SQLite file migrated with Alembic and seeded with tests.factories.make_small_catalog plus a few
vehicles, so lookups by real codes and VINs hit rows.

Kept fast and repeatable: derandomized, MAX_EXAMPLES per operation, no deadline. Schemathesis' "coverage"
phase (exhaustive boundary values per parameter) is switched off because on the 20-parameter search it
alone takes 10-15 s; tests/catalog/test_bad_input.py covers those boundaries explicitly.

(schemathesis.pytest.from_fixture would load the schema lazily from a fixture instead, but schemathesis
4.32 under pytest 9 fails there with "'Function' object has no attribute '_nodeid'".)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session

from forecourt.app import create_app
from forecourt.core.db import make_engine, make_session_factory
from forecourt.core.migrate import upgrade
from forecourt.core.settings import Settings
from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle

MAX_EXAMPLES = 40

# An in-memory URL that nothing connects to; `seeded_database` swaps in the real database before any request.
app = create_app(Settings(environment="test", database_url="sqlite://"))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
schema.config.phases.coverage.enabled = False


def _seed(url: str) -> str:
    """Build and seed the database; return an admin's API token, so protected writes are fuzzed past the
    authentication check (anonymous 401s are covered in tests/accounts)."""
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        cat = make_small_catalog(session)
        trims, stores, colours = cat["trims"], cat["stores"], cat["colours"]
        make_vehicle(session, trims["mondeo-ecoboost180"], stores["gz-tianhe"], colours["white"], price="169800.00")
        make_vehicle(session, trims["mondeo-hybrid"], stores["sh-pudong"], colours["white"], status="in_transit")
        make_vehicle(session, trims["kuga-ecoboost245"], stores["gz-self"], colours["black"], test_drive_fleet=True)
        make_vehicle(session, trims["navigator-reserve"], stores["sh-pudong"], status="reserved", model_year=2021)
        make_vehicle(session, trims["kuga-ecoboost245"], stores["gz-tianhe"], status="sold", mileage_km=12000)
        token = make_token(session, make_user(session, roles=[("admin", None)]))
        session.commit()
    engine.dispose()
    return token


@pytest.fixture(scope="module", autouse=True)
def seeded_database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'forecourt.db'}"
    token = _seed(url)
    placeholder = app.state.engine
    engine = make_engine(url)
    app.state.engine, app.state.session_factory = engine, make_session_factory(engine)
    outbox = tmp_path_factory.mktemp("fuzz-outbox")
    app.state.settings = Settings(
        environment="test", database_url=url, outbox_dir=outbox, import_report_dir=outbox / "import-reports"
    )
    yield token
    engine.dispose()
    placeholder.dispose()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, seeded_database):
    response = case.call(headers=auth_headers(seeded_database))
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json"), case.as_curl_command()
        problem = response.json()
        assert problem["code"] and problem["title"] and problem["detail"], problem
