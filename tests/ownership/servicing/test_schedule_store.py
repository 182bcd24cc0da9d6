"""The stored schedule table: export → import → export gives the same bytes (CSV and YAML), a file with problems
changes nothing and lists each with its line, a table without a row for every car is refused, who may change it,
and the CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from forecourt.ownership.servicing import service as servicing
from forecourt.ownership.servicing.schedules import DEFAULT_TABLE
from tests.factories import auth_headers, make_small_catalog, make_token, make_user

EXPORT = "/api/v1/service-schedules/export"
IMPORT = "/api/v1/service-schedules/import"
KUGA = (
    "model_code,powertrain,first_km,first_months,every_km,every_months\n"
    ",,5000,3,10000,6\n,bev,10000,12,20000,12\nkuga,,7500,6,7500,6\n"
)


@pytest.fixture
def people(db_session) -> dict[str, dict[str, str]]:
    store_id = make_small_catalog(db_session)["stores"]["gz-tianhe"].id
    headers = {
        "officer": auth_headers(make_token(db_session, make_user(db_session, roles=[("finance_officer", None)]))),
        "staff": auth_headers(make_token(db_session, make_user(db_session, roles=[("store_staff", store_id)]))),
        "shopper": auth_headers(make_token(db_session, make_user(db_session, roles=[("shopper", None)]))),
    }
    db_session.commit()
    return headers


def test_the_migration_seeds_the_defaults(db_session):
    assert servicing.schedule_table(db_session) == DEFAULT_TABLE


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_round_trip_gives_the_same_bytes(client, people, fmt):
    imported = client.post(IMPORT, files={"file": ("s.csv", KUGA.encode(), "text/csv")}, headers=people["officer"])
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"rows": 3}
    first = client.get(EXPORT, params={"format": fmt}, headers=people["officer"]).content
    again = client.post(IMPORT, files={"file": (f"s.{fmt}", first, "text/plain")}, headers=people["officer"])
    assert again.status_code == 200, again.text
    assert client.get(EXPORT, params={"format": fmt}, headers=people["officer"]).content == first


def test_the_most_specific_plan_applies_after_import(client, db_session, people):
    client.post(IMPORT, files={"file": ("s.csv", KUGA.encode(), "text/csv")}, headers=people["officer"])
    table = servicing.schedule_table(db_session)
    assert table.plan_for("kuga", "ice").first.km == 7500
    assert table.plan_for("mondeo", "bev").first.km == 10000


def test_every_problem_with_its_line_and_nothing_changes(client, db_session, people):
    bad = "model_code,powertrain,first_km,first_months,every_km,every_months\n,,0,3,10000,6\nkuga,diesel,5000,3,x,6\n,,5000,3,10000,6\n"
    response = client.post(IMPORT, files={"file": ("s.csv", bad.encode(), "text/csv")}, headers=people["officer"])
    assert response.status_code == 422 and response.json()["code"] == "file_rejected"
    problems = [(p["line"], p["column"]) for p in response.json()["problems"]]
    assert problems == [(2, "first_km"), (3, "powertrain"), (3, "every_km")]
    assert servicing.schedule_table(db_session) == DEFAULT_TABLE


def test_a_table_needs_a_row_for_every_car(client, db_session, people):
    only_kuga = "model_code,powertrain,first_km,first_months,every_km,every_months\nkuga,,7500,6,7500,6\n"
    response = client.post(IMPORT, files={"file": ("s.csv", only_kuga.encode(), "text/csv")}, headers=people["officer"])
    assert response.status_code == 422 and response.json()["code"] == "file_rejected"
    assert servicing.schedule_table(db_session) == DEFAULT_TABLE


def test_who_may_read_and_change_the_table(client, people):
    upload = {"file": ("s.csv", KUGA.encode(), "text/csv")}
    assert client.post(IMPORT, files=upload).status_code == 401
    assert client.post(IMPORT, files=upload, headers=people["staff"]).status_code == 403
    assert client.post(IMPORT, files=upload, headers=people["shopper"]).status_code == 403
    assert client.get(EXPORT, headers=people["staff"]).status_code == 200
    assert client.get(EXPORT, headers=people["shopper"]).status_code == 403


def test_cli_export_and_import(tmp_path, monkeypatch, database_url, db_session):
    """The CLI works on its own transaction: run against the test database URL, then put the defaults back."""
    from forecourt.cli import app
    from forecourt.core.settings import get_settings

    monkeypatch.setenv("FORECOURT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text("model_code,powertrain,first_km,first_months,every_km,every_months\n,,5000,0,10000,6\n")
    refused = runner.invoke(app, ["service-schedules", "import", str(bad)])
    assert refused.exit_code == 1 and "line 2, first_months" in refused.output
    exported = runner.invoke(app, ["service-schedules", "export", "--format", "yaml"])
    assert exported.exit_code == 0 and "schedules:" in exported.output
    good = tmp_path / "good.yaml"
    good.write_text(exported.output)
    assert runner.invoke(app, ["service-schedules", "import", str(good)]).output.strip() == "2 schedule row(s) imported"
    get_settings.cache_clear()
