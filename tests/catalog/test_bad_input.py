"""Bad input anywhere in the API is a 4xx RFC 9457 problem naming what is wrong, never a 500.

Input that is refused before any query runs (types, ranges, enums, routes, methods) is checked once,
against an app on an empty SQLite database (`api`); input that reaches the database runs on both
backends through the `client` fixture.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from forecourt.app import create_app
from forecourt.catalog.lifecycle import VehicleStatus
from forecourt.catalog.models import BodyType
from forecourt.core.db import make_engine
from forecourt.core.migrate import upgrade
from forecourt.core.settings import Settings
from tests.factories import make_brand, make_city, make_model, make_store, make_trim, make_vehicle

V = "/api/v1/vehicles"
SORT_VALUES = ["price", "-price", "-year", "year", "mileage", "-mileage", "newest"]


def assert_problem(response, status: int | None = None, code: str | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == response.status_code
    assert body["code"] and body["title"] and body["detail"]
    assert body["type"].endswith("/" + body["code"])
    if code is not None:
        assert body["code"] == code, body
    return body


def field_messages(body: dict) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body.get("errors", [])}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('bad-input') / 'forecourt.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    reports = tmp_path_factory.mktemp("bad-input-reports")
    app = create_app(Settings(environment="test", database_url=url, import_report_dir=reports))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def seeded(db_session):
    """One vehicle and the rows it needs; validation failures below never reach the database anyway."""
    model = make_model(db_session, make_brand(db_session), "kuga", "Kuga", "翼虎", "suv")
    trim = make_trim(db_session, model, "kuga-ecoboost245", "EcoBoost 245", "EcoBoost 245", "249800.00")
    store = make_store(db_session, make_city(db_session, "guangzhou", "Guangzhou", "广州"), "gz-tianhe")
    vehicle = make_vehicle(db_session, trim, store)
    db_session.commit()
    return vehicle


SEARCH_CASES = [
    # (params, field the error must name, fragment of its message)
    ({"page": "abc"}, "page", "valid integer"),
    ({"page": "1.5"}, "page", "integer"),
    ({"page": "0"}, "page", "greater than or equal to 1"),
    ({"page": "-3"}, "page", "greater than or equal to 1"),
    ({"page": "10001"}, "page", "less than or equal to 10000"),
    ({"page": "9" * 40}, "page", "less than or equal to"),
    ({"page_size": "10000"}, "page_size", "less than or equal to 100"),
    ({"page_size": "0"}, "page_size", "greater than or equal to 1"),
    ({"page_size": "-1"}, "page_size", "greater than or equal to 1"),
    ({"price_min": "abc"}, "price_min", "decimal"),
    ({"price_min": "-1"}, "price_min", "greater than or equal to 0"),
    ({"price_max": "NaN"}, "price_max", "finite"),
    ({"price_min": "NaN"}, "price_min", "finite"),
    ({"price_min": "Infinity"}, "price_min", "finite"),
    ({"price_min": "-Infinity"}, "price_min", "finite"),
    ({"price_min": "inf"}, "price_min", "finite"),
    ({"price_min": "1e400"}, "price_min", "digits"),
    ({"price_min": "1.234"}, "price_min", "2 decimal places"),
    ({"price_max": "100000000.01"}, "price_max", "less than or equal to"),
    ({"price_min": "0x10"}, "price_min", "decimal"),
    ({"model_year": "9999"}, "model_year.0", "less than or equal to 2100"),
    ({"model_year": "1900"}, "model_year.0", "greater than or equal to 1980"),
    ({"model_year": "twenty"}, "model_year.0", "integer"),
    ({"year_min": "-2020"}, "year_min", "greater than or equal to 1980"),
    ({"mileage_max": "-5"}, "mileage_max", "greater than or equal to 0"),
    ({"mileage_max": "1e3"}, "mileage_max", "integer"),
    ({"test_drive_fleet": "maybe"}, "test_drive_fleet", "boolean"),
    ({"q": "x" * 201}, "q", "at most 200 characters"),
    ({"q": "蒙" * 5000}, "q", "at most 200 characters"),
    ({"brand": ""}, "brand.0", "at least 1 character"),
    ({"brand": "b" * 61}, "brand.0", "at most 60 characters"),
    ({"store": ["gz-tianhe"] * 51}, "store", "at most 50 items"),
    ({"model_year": ["2020"] * 31}, "model_year", "at most 30 items"),
    ({"foo": "bar"}, "foo", "unknown parameter"),
    ({"pagesize": "10"}, "pagesize", "unknown parameter"),
    ({"Brand": "ford"}, "Brand", "unknown parameter"),
]


@pytest.mark.parametrize(("params", "field", "fragment"), SEARCH_CASES, ids=[str(p)[:50] for p, _, _ in SEARCH_CASES])
def test_search_rejects_bad_parameters(api, params, field, fragment):
    body = assert_problem(api.get(V, params=params), 422, "validation_error")
    messages = field_messages(body)
    assert field in messages, messages
    assert fragment in messages[field], messages


@pytest.mark.parametrize(
    ("params", "field", "allowed"),
    [
        ({"sort": "cheapest"}, "sort", SORT_VALUES),
        ({"body_type": "tank"}, "body_type.0", [b.value for b in BodyType]),
        ({"status": "lost"}, "status.0", [s.value for s in VehicleStatus]),
        ({"powertrain": "steam"}, "powertrain.0", ["ice", "hybrid", "phev", "bev"]),
    ],
)
def test_invalid_enum_lists_allowed_values(api, params, field, allowed):
    message = field_messages(assert_problem(api.get(V, params=params), 422, "validation_error"))[field]
    for value in allowed:
        assert f"'{value}'" in message, message


def test_several_errors_are_reported_together(api):
    body = assert_problem(api.get(V, params={"page": "x", "price_min": "y", "sort": "z", "nope": "1"}), 422)
    assert {"page", "price_min", "sort", "nope"} <= set(field_messages(body))


@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        ({"price_min": "300000", "price_max": "100000"}, "price_min", "greater than price_max"),
        ({"year_min": "2021", "year_max": "2019"}, "year_min", "greater than year_max"),
        ({"brand": "tesla"}, "brand", "unknown brand tesla"),
        ({"city": ["guangzhou", "atlantis"]}, "city", "unknown city atlantis"),
        ({"colour": "oxford-white\u202e"}, "colour", "unknown colour"),
    ],
)
def test_semantically_invalid_filters(client, seeded, params, field, fragment):
    messages = field_messages(assert_problem(client.get(V, params=params), 422, "invalid_filter"))
    assert fragment in messages[field], messages


def test_unknown_code_lists_known_values(client, seeded):
    message = field_messages(assert_problem(client.get(V, params={"model": "model-t"}), 422))["model"]
    assert "unknown model model-t" in message and "kuga" in message


@pytest.mark.parametrize(
    "params",
    [
        {"page": "10000", "page_size": "100"},
        {"q": "'; DROP TABLE vehicles; --"},
        {"q": "%_\\"},
        {"price_min": "0E-1000"},
        {"price_min": "1E+7"},
        {"price_max": "100000000"},
        {"q": "x" * 200},
        {"test_drive_fleet": "1"},
        {"q": "\ud7ff\U0001f697"},
    ],
)
def test_odd_but_valid_input_is_answered(client, seeded, params):
    response = client.get(V, params=params)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"{V}/{'A' * 41}", 422, "validation_error"),
        (f"{V}/%00", 400, "invalid_url"),  # control characters are refused before routing
        (f"{V}/%20", 422, "invalid_vin"),
        (f"{V}/LVSHCAMB9JZ0001%C3%9F", 422, "invalid_vin"),  # 'ß' upper-cases to 'SS'
        (f"{V}/LVSHCAMB0JZ000123", 422, "invalid_vin"),
        ("/api/v1/models/UPPER", 422, "validation_error"),
        ("/api/v1/models/-lead", 422, "validation_error"),
        ("/api/v1/models/%00", 400, "invalid_url"),
        (f"/api/v1/stores/{'a' * 61}", 422, "validation_error"),
        ("/api/v1/stores/%E4%B8%8A%E6%B5%B7", 422, "validation_error"),
        ("/api/v1/nope", 404, "not_found"),
        ("/nope", 404, "not_found"),
        (f"{V}/LVSHCAMB9JZ000123/extra", 404, "not_found"),
    ],
)
def test_bad_paths(api, path, status, code):
    assert_problem(api.get(path), status, code)


@pytest.mark.parametrize("params", [{"store": "\x00"}, {"q": "\x00"}, {"q": "a\x00b"}])
def test_a_nul_byte_in_the_query_is_refused_before_routing(api, params):
    assert_problem(api.get(V, params=params), 400, "invalid_url")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", V),
        ("POST", V),
        ("PUT", "/api/v1/models"),
        ("PATCH", "/api/v1/stores/sh-pudong"),
        ("GET", f"{V}/LVSHCAMB9JZ000123/status"),
        ("DELETE", f"{V}/LVSHCAMB9JZ000123"),
    ],
)
def test_wrong_method_is_405_problem(api, method, path):
    assert_problem(api.request(method, path), 405, "method_not_allowed")


def test_405_carries_allow_header(api):
    response = api.delete(V)
    assert response.status_code == 405
    assert response.headers.get("allow") == "GET"


def _status_url(vehicle) -> str:
    return f"{V}/{vehicle.vin}/status"


@pytest.mark.parametrize(
    ("kwargs", "field_pattern"),
    [
        ({"content": "{bad json", "headers": {"content-type": "application/json"}}, None),
        ({"content": "", "headers": {"content-type": "application/json"}}, None),
        ({"json": {"status": "sold", "extra": 1}}, r"^extra$"),
        ({"json": {"state": "sold"}}, r"^(state|status)$"),
        ({"json": {}}, r"^status$"),
        ({"json": {"status": None}}, r"^status$"),
        ({"json": {"status": 3}}, r"^status$"),
        ({"json": {"status": "SOLD"}}, r"^status$"),
        ({"json": []}, None),
        ({"json": "sold"}, None),
        ({"json": None}, None),
        ({}, None),
        ({"content": "status=sold", "headers": {"content-type": "application/x-www-form-urlencoded"}}, None),
        ({"content": "<status>sold</status>", "headers": {"content-type": "application/xml"}}, None),
    ],
)
def test_status_body_problems(admin_client, seeded, kwargs, field_pattern):
    body = assert_problem(admin_client.post(_status_url(seeded), **kwargs), 422, "validation_error")
    if field_pattern:
        assert any(re.match(field_pattern, f) for f in field_messages(body)), body
    assert admin_client.get(f"{V}/{seeded.vin}").json()["status"] == "available"  # nothing changed


def test_undecodable_body_is_a_400_problem(admin_client, seeded):
    body = assert_problem(
        admin_client.post(_status_url(seeded), content=b"\xff\xfe\x00", headers={"content-type": "application/json"}),
        400,
    )
    assert "pars" in body["detail"]


def test_malformed_json_says_so(admin_client, seeded):
    response = admin_client.post(_status_url(seeded), content="{bad", headers={"content-type": "application/json"})
    body = assert_problem(response, 422, "validation_error")
    assert any("JSON" in m for m in field_messages(body).values()), body


def test_extra_field_names_it(admin_client, seeded):
    body = assert_problem(admin_client.post(_status_url(seeded), json={"status": "sold", "note": "x"}), 422)
    assert field_messages(body)["note"].startswith("unknown parameter")


def _openapi_operations(client) -> list[tuple[str, str, dict]]:
    spec = client.get("/openapi.json").json()
    return [(path, method.upper(), op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


@pytest.mark.parametrize("junk", ["%00", "x" * 300, "%FF%FE", "..%2F..%2Fetc", "%F0%9F%9A%97", "%20"])
def test_every_operation_survives_junk_path_and_body(client, seeded, junk):
    """Runs over whatever routes exist at run time, including those added after this file was written."""
    operations = _openapi_operations(client)
    assert len(operations) >= 7
    methods_of: dict[str, set[str]] = {}
    for path, method, _ in operations:
        methods_of.setdefault(path, set()).add(method)
    for path, method, _ in operations:
        url = _fill(path, junk)
        response = client.request(method, url, content=b"{\x00", headers={"content-type": "application/json"})
        assert response.status_code < 500, (method, url, response.status_code, response.text)
        if response.status_code >= 400:
            assert_problem(response)
        unused = next(m for m in ("PUT", "PATCH", "DELETE") if m not in methods_of[path])
        assert_problem(client.request(unused, _fill(path, "x")), 405, "method_not_allowed")
