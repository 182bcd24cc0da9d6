"""Every operation of the OpenAPI document, fuzzed with schemathesis and every check, as each role, on both databases.

The document must say what the API does: no 5xx; every status code, content type and header of an answer is
documented (`status_code_conformance`, `content_type_conformance`, `response_headers_conformance`); bodies match
their schemas; data the schema calls invalid is refused (`negative_data_rejection`) and data it calls valid is
not refused (`positive_data_acceptance`, see BUSINESS_RULES for the one kind of refusal a schema cannot state).
A separate test checks that a 405's `Allow` lists exactly the documented methods of every path.

Budget (the suite runs it in `make test` on two cores): the app runs in-process with each test's rows in a rolled
back transaction, and argon2 at a test cost. Per backend, the admin — who reaches every operation's logic — gets
ADMIN_EXAMPLES positive and as many negative cases per operation; the other five roles get ROLE_EXAMPLES positive
cases each, enough to meet their 401/403 and store-scoped answers with every check. About 86 x (2 x 4 + 5 x 2)
≈ 1,500 requests per backend, about 25 s of one core each.
Derandomized, no deadline, no shrinking: a failure names the operation and a curl command to replay it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from forecourt.app import create_app
from forecourt.core.settings import Settings
from tests.conftest import _joined_session
from tests.factories import make_small_catalog, make_token, make_user, make_vehicle

ADMIN_EXAMPLES = 4
ROLE_EXAMPLES = 2
ROLES = ("anonymous", "shopper", "store_staff", "finance_officer", "marketer", "admin")

# 422 codes a valid-looking request may still get: rules that need the database or more than one field, which
# JSON Schema cannot say. Each stays a documented 422 problem; every other refusal of schema-valid data fails.
BUSINESS_RULES = {
    "invalid_vin": "the VIN check digit (position 9) is a checksum",
    "id_number_invalid": "the resident ID number's checksum and birth date",
    "invalid_filter": "colours, stores and cities are rows of the catalog",
    "invalid_attribution_query": "order applies to the Markov model only; a period spans at most 366 days",
    "vehicle_not_specified": "a vin, or a model (and a store), must be given",
    "invalid_reset_token": "a reset token must exist and be unused",
    "unknown_model": "campaign target models must exist in the catalog",
    "dates_out_of_order": "an end date is on or after its start date (two fields)",
    "place_not_specified": "an availability search names a store or a city (one of two optional parameters)",
    "malformed_json": "an uploaded JSON file must be valid JSON (the schema only says it is a file)",
    "invalid_sign_up_code": "a sign-up confirmation code must exist, be unused and unexpired",
    "invalid_applicant": "names and addresses are checked for plausibility",
    "invalid_contact": "a mobile or an e-mail, and consent, are needed together",
    "term_not_offered": "the terms on offer come from the finance provider's programs",
    "invalid_email": "the address syntax is checked after trimming and case folding",
    "empty_file": "an upload must hold rows",
    "unknown_format": "an upload's format comes from its file name or content",
    "spend_file_rejected": "an upload's rows are validated one by one",
    "file_rejected": "an upload's rows are validated one by one",
    "unknown_columns": "an upload's header row names known columns",
    "missing_columns": "an upload's header row names the required columns",
    "range_too_long": "a date range spans at most so many days",
    "invalid_range": "`to` must not be before `from`",
    "malformed_parquet": "an upload must be a readable file of its format",
    "owner_not_found": "an owner or buyer is an account, found by its e-mail or mobile",
    "unknown_store": "stores are rows of the catalog",
    "invalid_contract": "contract terms must be priceable by finance.calc (a term and its rate, a residual below the price)",
    "model_required": "a VIN outside the catalog needs its model named (one of two optional fields)",
    "day_in_future": "a sale or return day is not after today, in the store's time zone",
    "invalid_end_day": "an ownership ends on or after the day it started",
    "odometer_backwards": "an odometer at the end reads at least what it read at the start",
    "same_owner": "a buyer differs from the current owner",
    "invalid_recall_target": "a recall's VIN range ends share maker, year and plant; its years are in order",
    "courtesy_outside_hours": "a courtesy car is handed over at drop-off and back at pick-up within the store's hours",
    "vehicle_not_for_sale": "a lease swap's new car is a row of the catalog that is still for sale",
    "product_not_offered": "a lease swap's product needs a current program of the finance provider for that car",
    "delivery_address_invalid": "a delivery address has 5 to 200 characters once trimmed",
    "invalid_conversion": "a balloon share applies to a balloon loan only (two fields)",
    "down_payment_below_minimum": "a loan's minimum down payment comes from the finance provider's programs",
    "nothing_to_finance": "the purchase credit and cash must leave part of the car's price to finance",
    "balloon_above_maximum": "a balloon's largest share comes from the finance provider's programs",
}


def _seed(session: Session) -> dict[str, str]:
    """A small catalog and one API token per role; returns the Authorization headers by role."""
    cat = make_small_catalog(session)
    trims, stores, colours = cat["trims"], cat["stores"], cat["colours"]
    make_vehicle(session, trims["mondeo-ecoboost180"], stores["gz-tianhe"], colours["white"], price="169800.00")
    make_vehicle(session, trims["kuga-ecoboost245"], stores["gz-self"], colours["black"], test_drive_fleet=True)
    make_vehicle(session, trims["kuga-ecoboost245"], stores["gz-tianhe"], status="sold", mileage_km=12000)
    store_id = stores["gz-tianhe"].id
    grants = {
        "shopper": [("shopper", None)],
        "store_staff": [("store_staff", store_id)],
        "finance_officer": [("finance_officer", None)],
        "marketer": [("marketer", None)],
        "admin": [("admin", None)],
    }
    headers = {"anonymous": {}}
    for role, roles in grants.items():
        headers[role] = {"Authorization": f"Bearer {make_token(session, make_user(session, roles=roles))}"}
    session.commit()
    return headers


@pytest.fixture
def fuzz_app(
    db_connection: Connection, db_session: Session, database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple]:
    headers = _seed(db_session)
    app = create_app(
        Settings(
            environment="test",
            database_url=database_url,
            outbox_dir=tmp_path / "outbox",
            import_report_dir=tmp_path / "import-reports",
        )
    )
    app.state.session_factory = lambda: _joined_session(db_connection)
    yield app, headers
    app.state.engine.dispose()


def _refusal_is_a_business_rule(response) -> bool:
    if response.status_code != 422:
        return False
    problem = response.json()
    if problem.get("code") in BUSINESS_RULES:
        return True
    # A model validator's rule across fields ("give exactly one of down_payment and down_percent"): FastAPI
    # reports it on the whole request, never on one field, and JSON Schema here does not express it.
    errors = problem.get("errors") or []
    return problem.get("code") == "validation_error" and bool(errors) and all(e["field"] == "request" for e in errors)


def _fuzz(operation, mode: GenerationMode, examples: int, auth: dict[str, str], failures: list[str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        headers = dict(auth)  # replaces any Authorization the generator drew for the bearer scheme
        response = case.call(headers=headers)
        positive_refused = mode is GenerationMode.POSITIVE and response.status_code in (400, 422)
        excluded = [positive_data_acceptance] if positive_refused and _refusal_is_a_business_rule(response) else []
        case.validate_response(response, excluded_checks=excluded, headers=headers)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every operation, not the first
        failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented(fuzz_app, role: str) -> None:
    app, headers = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    examples = ADMIN_EXAMPLES if role == "admin" else ROLE_EXAMPLES
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 80, "the document lost operations"
    # Revoking a token could pull the caller's own credentials from under the operations fuzzed after it.
    for operation in sorted(operations, key=lambda op: op.path == "/api/v1/me/tokens/{token_id}"):
        # Invalid data is the admin's to send: the other roles are mostly refused before validation matters.
        negative = role == "admin" and (operation.body or any(True for _ in operation.iter_parameters()))
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if negative else (GenerationMode.POSITIVE,):
            _fuzz(operation, mode, examples, headers[role], failures)
    assert not failures, f"{len(failures)} operation(s) answer outside their documentation:\n\n" + "\n\n".join(failures)


def test_allow_lists_exactly_the_documented_methods(fuzz_app) -> None:
    """A 405's Allow header names every method of the path (FastAPI's router named only the first route's)."""
    from fastapi.testclient import TestClient

    app, _ = fuzz_app
    document = app.openapi()
    with TestClient(app, raise_server_exceptions=False) as client:
        for path, operations in document["paths"].items():
            documented = {method.upper() for method in operations} | ({"HEAD"} if "get" in operations else set())
            concrete = path.replace("{vin}", "LVSHCAMB9JZ000123").replace("{token_id}", "1").replace("{", "x")
            concrete = concrete.replace("}", "")
            response = client.request("TRACE", concrete)
            assert response.status_code == 405, (path, response.status_code)
            allowed = {m.strip() for m in response.headers["allow"].split(",")} - {"HEAD"}
            assert allowed == documented - {"HEAD"}, (path, response.headers["allow"])
