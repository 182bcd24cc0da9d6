"""Access matrix generated from the route table.

Every route under /backoffice and /api/v1 whose path names an object by a path parameter is requested as an
anonymous visitor, a shopper and staff of *another* store, and must be refused: anonymous → redirect to the
sign-in page (pages) or 401 (API); the others → 403 or 404. Every state-changing page route must refuse a
form post without the CSRF token. A new route with a path parameter that `ROUTES` does not describe fails
`test_every_parameterised_route_is_in_the_matrix`, so each future route gets exercised (or is consciously
declared public); a route without a path parameter may be listed too (the admin-only recall form).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from forecourt.app import create_app
from forecourt.core.settings import Settings
from tests.backoffice.helpers import World, make_world, sign_in
from tests.factories import auth_headers, make_token
from tests.routes import iter_routes

PREFIXES = ("/backoffice", "/api/v1")
# How to exercise each route. Kinds:
#   "store"  — an object of a store; refused to anonymous, shoppers and staff of another store
#   "admin"  — admins only; refused to anonymous, shoppers and any staff
#   "owner"  — the caller's own object (e.g. their API token); others' ids answer 404
#   "public" — readable by anyone on purpose (the storefront's catalog API); not exercised here
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/backoffice/vehicles/{vin}"): "store",
    ("POST", "/backoffice/vehicles/{vin}"): "store",
    ("GET", "/backoffice/stores/{code}"): "store",
    ("POST", "/backoffice/stores/{code}"): "store",
    ("POST", "/backoffice/users/{user_id}/roles"): "admin",
    ("GET", "/backoffice/stores/{code}/test-drives"): "store",
    ("GET", "/backoffice/test-drives/{reference}"): "store",
    ("POST", "/backoffice/test-drives/{reference}/check-out"): "store",
    ("POST", "/backoffice/test-drives/{reference}/check-in"): "store",
    ("POST", "/backoffice/test-drives/{reference}/no-show"): "store",
    ("POST", "/backoffice/rentals/{reference}/check-out"): "store",
    ("POST", "/backoffice/rentals/{reference}/check-in"): "store",
    ("POST", "/api/v1/vehicles/{vin}/status"): "store",
    ("PATCH", "/api/v1/vehicles/{vin}"): "store",
    ("GET", "/api/v1/vehicles/{vin}"): "public",
    # Telemetry: positions are personal data; staff of the car's store and admins only.
    ("GET", "/api/v1/vehicles/{vin}/telemetry/latest"): "store",
    ("GET", "/api/v1/vehicles/{vin}/telemetry/samples"): "store",
    ("GET", "/api/v1/vehicles/{vin}/trips"): "store",
    ("GET", "/api/v1/vehicles/{vin}/alerts"): "store",
    ("GET", "/backoffice/vehicles/{vin}/telemetry"): "store",
    ("GET", "/api/v1/stores/{code}"): "public",
    ("GET", "/api/v1/models/{code}"): "public",
    ("GET", "/api/v1/models/{code}/ways-to-drive"): "public",
    ("DELETE", "/api/v1/me/tokens/{token_id}"): "owner",
    ("GET", "/api/v1/test-drives/bookings/{reference}"): "store",
    ("GET", "/api/v1/test-drives/bookings/{reference}/deposit"): "store",
    ("POST", "/api/v1/test-drives/bookings/{reference}/confirm"): "store",
    ("POST", "/api/v1/test-drives/bookings/{reference}/cancel"): "store",
    ("POST", "/api/v1/test-drives/bookings/{reference}/reschedule"): "store",
    ("POST", "/api/v1/test-drives/bookings/{reference}/pickup-code"): "store",
    ("POST", "/api/v1/test-drives/bookings/{reference}/check-out"): "store",
    ("POST", "/api/v1/test-drives/bookings/{reference}/check-in"): "store",
    ("POST", "/api/v1/test-drives/bookings/{reference}/no-show"): "store",
    ("GET", "/api/v1/stores/{code}/test-drives"): "store",
    ("GET", "/api/v1/stores/{code}/test-drive-settings"): "store",
    ("PATCH", "/api/v1/stores/{code}/test-drive-settings"): "store",
    ("PUT", "/api/v1/users/{user_id}/premium-membership"): "admin",
    # Quotes: one made anonymously is open to whoever holds its reference, so the route is public by design; a
    # signed-in shopper's quote answers 401 signed out and 404 to other users and other stores' staff
    # (tests/finance/quotes/test_quotes.py::test_who_may_see_a_quote).
    ("GET", "/api/v1/quotes/{reference}"): "public",
    ("GET", "/api/v1/quotes/{reference}.pdf"): "public",
    # Rate programs: reading one version is public; changes are for finance officers and admins ("admin": every
    # store's staff is refused too).
    ("GET", "/api/v1/finance/programs/versions/{program_id}"): "public",
    ("PUT", "/api/v1/finance/programs/{code:program_code}"): "admin",
    ("DELETE", "/api/v1/finance/programs/{code:program_code}"): "admin",
    ("GET", "/backoffice/finance/programs/{code}"): "admin",
    ("POST", "/backoffice/finance/programs/{code}"): "admin",
    ("POST", "/backoffice/finance/programs/{code}/retire"): "admin",
    ("GET", "/api/v1/orders/{reference}"): "store",
    ("POST", "/api/v1/orders/{reference}/confirm"): "store",
    ("POST", "/api/v1/orders/{reference}/cancel"): "store",
    ("POST", "/api/v1/orders/{reference}/complete"): "store",
    ("GET", "/api/v1/stores/{code}/orders"): "store",
    ("GET", "/backoffice/orders/{reference}"): "store",
    ("POST", "/backoffice/orders/{reference}/confirm"): "store",
    ("POST", "/backoffice/orders/{reference}/complete"): "store",
    ("POST", "/backoffice/orders/{reference}/cancel"): "store",
    # Credit applications: the applicant's own, or the finance officers and staff of the application's store.
    ("GET", "/api/v1/finance/applications/{reference}"): "store",
    ("GET", "/api/v1/finance/applications/{reference}/adverse-action-notice"): "store",
    ("GET", "/api/v1/finance/review/applications/{reference}"): "store",
    ("POST", "/api/v1/finance/review/applications/{reference}/decision"): "store",
    ("GET", "/backoffice/finance/review/{reference}"): "store",
    ("POST", "/backoffice/finance/review/{reference}/decision"): "store",
    ("POST", "/backoffice/finance/review/{reference}/reveal"): "store",
    # Leads: staff of the lead's store (marketers and admins read all; tests/marketing/leads/test_api.py).
    ("GET", "/api/v1/leads/{reference}"): "store",
    ("POST", "/api/v1/leads/{reference}/stage"): "store",
    ("POST", "/api/v1/leads/{reference}/contacted"): "store",
    ("POST", "/api/v1/leads/{reference}/reveal"): "store",
    ("POST", "/api/v1/leads/tasks/{task_id}/complete"): "store",
    ("GET", "/backoffice/leads/{reference}"): "store",
    ("POST", "/backoffice/leads/{reference}/stage"): "store",
    ("POST", "/backoffice/leads/{reference}/contacted"): "store",
    ("POST", "/backoffice/leads/{reference}/reveal"): "store",
    ("POST", "/backoffice/leads/tasks/{task_id}/complete"): "store",
    # Campaigns: marketers and admins only ("admin": every store's staff is refused too).
    ("GET", "/api/v1/campaigns/{code}"): "admin",
    ("PATCH", "/api/v1/campaigns/{code}"): "admin",
    # An import's problem report: only the user who made the import (staff_a here) or an admin.
    ("GET", "/api/v1/imports/{import_id}/report.csv"): "owner",
    # A visitor's consent: admins, or that visitor's own browser (its HttpOnly proof cookie, which none of the
    # callers here has; tests/marketing/test_consent_access.py covers the visitor's side).
    ("POST", "/api/v1/visitors/{visitor_id}/consent"): "admin",
    # Ownerships: staff of the ownership's store (and admins); owners read their own cars only through the garage,
    # where anyone else's reference answers 404.
    ("GET", "/api/v1/ownerships/{reference}"): "store",
    ("POST", "/api/v1/ownerships/{reference}/transfer"): "store",
    ("POST", "/api/v1/ownerships/{reference}/end"): "store",
    ("GET", "/api/v1/vehicles/{vin}/ownerships"): "store",
    ("GET", "/backoffice/ownerships/{reference}"): "store",
    ("POST", "/backoffice/ownerships/{reference}/transfer"): "store",
    ("POST", "/backoffice/ownerships/{reference}/end"): "store",
    ("GET", "/api/v1/garage/{reference}"): "owner",
    ("GET", "/api/v1/garage/{reference}/lease"): "owner",
    ("GET", "/api/v1/garage/{reference}/lease/swap"): "owner",
    # Service bookings: the owner's own job, or staff of the job's store; a store's bays, advisors and calendar for
    # its staff. A car's service status and history: its owner only (everyone else 404, tests/ownership/).
    ("GET", "/api/v1/service-bookings/{reference}"): "store",
    ("POST", "/api/v1/service-bookings/{reference}/confirm"): "store",
    ("POST", "/api/v1/service-bookings/{reference}/cancel"): "store",
    ("POST", "/api/v1/service-bookings/{reference}/complete"): "store",
    ("GET", "/api/v1/stores/{code}/service-bookings"): "store",
    ("GET", "/api/v1/stores/{code}/service-bays"): "store",
    ("POST", "/api/v1/stores/{code}/service-bays"): "store",
    ("POST", "/api/v1/stores/{code}/service-advisors"): "store",
    ("GET", "/api/v1/cars/{vin}/service-history"): "owner",
    ("GET", "/api/v1/cars/{vin}/service-status"): "owner",
    # The back office's service calendar and jobs: staff of the job's store (the owner's own /garage/... service
    # pages are outside these prefixes; tests/ownership/service_bookings/test_pages.py covers who may open them).
    ("GET", "/backoffice/stores/{code}/service"): "store",
    ("GET", "/backoffice/service-jobs/{reference}"): "store",
    ("POST", "/backoffice/service-jobs/{reference}/complete"): "store",
    ("POST", "/backoffice/service-jobs/{reference}/cancel"): "store",
    # Pages without a path parameter whose access is still worth the matrix: opening a recall campaign is for
    # admins, as in the API (tests/ownership/recalls/test_recall_form.py covers finance officers too).
    # Rentals: the renter's own, or staff of the rental's store.
    ("GET", "/api/v1/rentals/{reference}"): "store",
    ("POST", "/api/v1/rentals/{reference}/confirm"): "store",
    ("POST", "/api/v1/rentals/{reference}/cancel"): "store",
    ("POST", "/api/v1/rentals/{reference}/return"): "store",
    ("POST", "/api/v1/rentals/{reference}/pay"): "store",
    ("POST", "/api/v1/staff/rentals/{reference}/check-out"): "store",
    ("POST", "/api/v1/staff/rentals/{reference}/check-in"): "store",
    ("POST", "/api/v1/staff/vehicles/{vin}/pool"): "store",
    ("GET", "/api/v1/staff/stores/{code}/fleet"): "store",
    # Subscriptions: the subscriber's own; anyone else is told there is none.
    ("GET", "/api/v1/subscriptions/{reference}"): "owner",
    ("POST", "/api/v1/subscriptions/{reference}/swap"): "owner",
    ("POST", "/api/v1/subscriptions/{reference}/pause"): "owner",
    ("POST", "/api/v1/subscriptions/{reference}/resume"): "owner",
    ("POST", "/api/v1/subscriptions/{reference}/cancel"): "owner",
    ("POST", "/api/v1/subscriptions/{reference}/conversion-quote"): "owner",
    ("POST", "/api/v1/subscriptions/{reference}/convert"): "owner",
    ("GET", "/backoffice/recalls/new"): "admin",
    ("POST", "/backoffice/recalls/new"): "admin",
}
_READING = {"odometer_km": 1, "energy_percent": 50}
BODIES = {
    "/api/v1/vehicles/{vin}/status": {"status": "reserved"},
    "/api/v1/vehicles/{vin}": {"mileage_km": 1},
    "/api/v1/test-drives/bookings/{reference}/confirm": {},
    "/api/v1/test-drives/bookings/{reference}/cancel": {},
    "/api/v1/test-drives/bookings/{reference}/reschedule": {"start": "2030-01-02T14:00:00+08:00"},
    "/api/v1/test-drives/bookings/{reference}/check-out": _READING,
    "/api/v1/test-drives/bookings/{reference}/check-in": _READING,
    "/api/v1/stores/{code}/test-drive-settings": {"buffer_minutes": 30},
    "/api/v1/users/{user_id}/premium-membership": {"premium_member": True},
    "/api/v1/finance/programs/{code:program_code}": {
        "product": "loan",
        "name_en": "x",
        "name_zh": "x",
        "term_months": 36,
        "annual_rate": "0.05",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    },
    "/api/v1/orders/{reference}/cancel": {"reason": "access matrix"},
    "/api/v1/finance/review/applications/{reference}/decision": {"outcome": "approved", "reason": "access matrix"},
    "/api/v1/leads/{reference}/stage": {"status": "contacted"},
    "/api/v1/leads/{reference}/contacted": {},
    "/api/v1/leads/tasks/{task_id}/complete": {},
    "/api/v1/campaigns/{code}": {"name": "access matrix"},
    "/api/v1/visitors/{visitor_id}/consent": {"granted": False},
    "/api/v1/ownerships/{reference}/transfer": {
        "new_owner": "buyer@example.test",
        "on": "2026-01-02",
        "odometer_km": 1,
    },
    "/api/v1/ownerships/{reference}/end": {"reason": "returned", "on": "2026-01-02", "odometer_km": 1},
    "/api/v1/service-bookings/{reference}/complete": {"odometer_km": 1, "work_done": "access matrix", "cost": "0"},
    "/api/v1/stores/{code}/service-bays": {"code": "AM", "name": "access matrix"},
    "/api/v1/stores/{code}/service-advisors": {"name": "access matrix"},
    "/api/v1/rentals/{reference}/confirm": {},
    "/api/v1/rentals/{reference}/pay": {"payment_method": "demo-card-ok"},
    "/api/v1/staff/rentals/{reference}/check-out": _READING,
    "/api/v1/staff/rentals/{reference}/check-in": {},
    "/api/v1/staff/vehicles/{vin}/pool": {"pool": "rental"},
    "/api/v1/subscriptions/{reference}/swap": {"mobility_class": "mid"},
    "/api/v1/subscriptions/{reference}/pause": {},
    "/api/v1/subscriptions/{reference}/resume": {},
    "/api/v1/subscriptions/{reference}/conversion-quote": {},
    "/api/v1/subscriptions/{reference}/convert": {},
}
# Query parameters a route requires, so the request reaches its access check rather than a 422 (`{vin}`: car A).
QUERIES = {"/api/v1/garage/{reference}/lease/swap": "?vin={vin}&product=lease&term_months=36"}
IMPORT_REPORT_ID = "a" * 32  # a problem report of staff_a's, written by test_refused
# A `{reference}` names a test drive unless the path says whose reference it is.
REFERENCE_BY_PATH = {
    "/orders/": "order_reference",
    "/finance/applications/": "application_reference",
    "/finance/review/": "application_reference",
    "/leads/": "lead_reference",
    "/ownerships/": "ownership_reference",
    "/garage/": "ownership_reference",
    "/service-bookings/": "service_job_reference",
    "/service-jobs/": "service_job_reference",
    "/rentals/": "rental_reference",
    "/subscriptions/": "subscription_reference",
}


def _route_table() -> dict[tuple[str, str], APIRoute]:
    """(method, path) of every route under PREFIXES."""
    app = create_app(Settings(environment="test", database_url="sqlite://"))
    table = {}
    for route in iter_routes(app.routes):
        if route.path.startswith(PREFIXES):
            for method in route.methods - {"HEAD", "OPTIONS"}:
                table[(method, route.path)] = route
    return table


ALL_ROUTES = _route_table()
TABLE = {key: route for key, route in ALL_ROUTES.items() if route.param_convertors}
EXERCISED = sorted(key for key in ALL_ROUTES if ROUTES.get(key) in ("store", "admin", "owner"))
STATE_CHANGING_PAGES = sorted(k for k in ALL_ROUTES if k[1].startswith("/backoffice") and k[0] != "GET")


def test_every_parameterised_route_is_in_the_matrix():
    unknown = sorted(set(TABLE) - set(ROUTES))
    assert not unknown, (
        f"New routes with path parameters: {unknown}. Add each to ROUTES in {__name__} "
        "(and teach the matrix how to fill its parameters) so its access rules are tested."
    )
    stale = sorted(set(ROUTES) - set(ALL_ROUTES))
    assert not stale, f"ROUTES lists routes that no longer exist: {stale}"


def test_every_backoffice_route_with_an_object_is_exercised():
    assert all(ROUTES[k] != "public" for k in TABLE if k[1].startswith("/backoffice"))


def _fill(path: str, world: World, other_token_id: int) -> str:
    values = {
        "vin": world.vehicles["a"].vin,
        "code": world.store_a.code,
        "user_id": str(world.users["shopper"].id),
        "token_id": str(other_token_id),
        "reference": world.booking_reference,
        "task_id": str(world.lead_task_id),
        "visitor_id": "q1w2e3r4t5y6u7i8o9p0as",
        "import_id": IMPORT_REPORT_ID,
    }
    for fragment, attribute in REFERENCE_BY_PATH.items():
        if fragment in path:
            values["reference"] = getattr(world, attribute)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise AssertionError(f"the access matrix cannot fill the path parameter {{{name}}} of {path}")
        return values[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", replace, path + QUERIES.get(path, ""))


def _request(client, method: str, path: str, url: str, *, csrf: str | None, bearer: str | None = None):
    headers = auth_headers(bearer) if bearer else {}
    if path.startswith("/api/"):
        if csrf:
            headers["X-CSRF-Token"] = csrf
        body = BODIES.get(path) if method in ("POST", "PATCH", "PUT") else None
        headers["Idempotency-Key"] = "access-matrix-key"  # so a refusal cannot be blamed on a missing key
        return client.request(method, url, json=body, headers=headers, follow_redirects=False)
    data = {"csrf_token": csrf} if (csrf and method != "GET") else None
    return client.request(method, url, data=data, headers=headers, follow_redirects=False)


@pytest.fixture
def world(db_session) -> World:
    return make_world(db_session)


def _staff_a_import_report(directory: Path, owner_id: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{IMPORT_REPORT_ID}.csv").write_text("line,column,vin,code,reason\n", encoding="utf-8")
    (directory / f"{IMPORT_REPORT_ID}.json").write_text(json.dumps({"owner_id": owner_id}), encoding="utf-8")


@pytest.mark.parametrize(("method", "path"), EXERCISED)
@pytest.mark.parametrize("who", ["anonymous", "shopper", "staff_b"])
def test_refused(client, db_session, world, method, path, who):
    """Objects of store A (gz-tianhe) asked for by people who must not reach them."""
    kind = ROUTES[(method, path)]
    # A token that belongs to staff_a: nobody else may revoke it.
    from forecourt.accounts.api_tokens import list_api_tokens

    make_token(db_session, world.users["staff_a"])
    db_session.commit()
    _staff_a_import_report(client.app.state.settings.import_report_dir, world.users["staff_a"].id)
    token_id = list_api_tokens(db_session, world.users["staff_a"].id)[-1].id
    url = _fill(path, world, token_id)
    csrf = None if who == "anonymous" else sign_in(client, world.users[who])
    response = _request(client, method, path, url, csrf=csrf)
    if who == "anonymous":
        if path.startswith("/backoffice"):
            assert response.status_code == 303, response.text
            assert response.headers["location"].startswith("/account/sign-in?next=/backoffice/")
        else:
            assert response.status_code == 401, response.text
        return
    expected = {404} if kind == "owner" else {403, 404}
    assert response.status_code in expected, (who, method, url, response.status_code, response.text[:300])


@pytest.mark.parametrize(("method", "path"), STATE_CHANGING_PAGES)
def test_state_changing_pages_refuse_a_form_post_without_csrf(client, world, method, path):
    """Even the rightful user (admin: every store) is refused without the token."""
    sign_in(client, world.users["admin"])
    url = _fill(path, world, 0)
    response = client.request(
        method,
        url,
        data={"role": "admin", "action": "grant"},
        files={"file": ("a.csv", b"vin\n", "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 403, response.text[:300]
