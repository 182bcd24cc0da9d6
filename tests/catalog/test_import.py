from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from forecourt.catalog import inventory_import
from forecourt.catalog.inventory_import import import_file, parse_csv, parse_json
from forecourt.catalog.models import Option, Vehicle
from forecourt.core.errors import InvalidInput
from tests.catalog.factories import COLUMNS, row, stored, to_csv, vin
from tests.factories import make_small_catalog


@pytest.fixture
def catalog(db_session: Session) -> dict:
    cat = make_small_catalog(db_session)
    mondeo = cat["models"][0]
    db_session.add_all(
        [
            Option(
                model=mondeo, code="panoramic-sunroof", name_en="Sunroof", name_zh="全景天窗", price=Decimal("8000")
            ),
            Option(model=mondeo, code="sync3-navigation", name_en="SYNC 3", name_zh="SYNC 3", price=Decimal("3000")),
        ]
    )
    db_session.flush()
    return cat


def test_good_rows_land_with_every_column(db_session, catalog):
    rows = [
        row(
            1,
            offer_price="169800.00",
            test_drive_fleet="yes",
            photo_urls="https://cdn.example/1.jpg|/media/2.jpg",
            options="panoramic-sunroof|sync3-navigation",
            mileage_km="1,200",
            status="in_transit",
        ),
        row(2, trim="kuga-ecoboost245", colour="agate-black", store="sh-pudong", list_price="249800", options=""),
        row(3, colour=""),
    ]
    result = import_file(db_session, to_csv(rows), "csv")
    assert (result.created, result.updated, result.unchanged, result.errors, result.total) == (3, 0, 0, [], 3)
    first = stored(db_session, vin(1))
    assert first.trim.code == "mondeo-ecoboost180" and first.colour.code == "oxford-white"
    assert (first.list_price, first.offer_price, first.price) == (
        Decimal("179800.00"),
        Decimal("169800.00"),
        Decimal("169800.00"),
    )
    assert first.mileage_km == 1200 and first.status == "in_transit" and first.is_test_drive_fleet is True
    assert first.photo_urls == ["https://cdn.example/1.jpg", "/media/2.jpg"]
    assert first.option_codes == ["panoramic-sunroof", "sync3-navigation"]
    second = stored(db_session, vin(2))
    assert (second.store.code, second.price, second.status, second.currency) == (
        "sh-pudong",
        Decimal("249800.00"),
        "available",
        "CNY",
    )
    assert stored(db_session, vin(3)).colour_id is None


def _bad_check_digit() -> str:
    good = vin(2)
    return good[:8] + ("5" if good[8] != "5" else "6") + good[9:]


BAD_ROWS = [
    ("bad VIN check digit", {"vin": _bad_check_digit()}, "vin", "position 9 check digit is"),
    ("VIN too short", {"vin": "LVSHCAMB"}, "vin", "must be 17 characters"),
    ("missing VIN", {"vin": ""}, "vin", "vin is required"),
    ("unknown trim", {"trim": "mondeo-ecoboost18"}, "trim", "did you mean mondeo-ecoboost180"),
    ("colour of another model", {"colour": "agate-black"}, "colour", "belongs to kuga, not mondeo"),
    ("unknown colour", {"colour": "oxford-whit"}, "colour", "did you mean oxford-white"),
    ("unknown store", {"store": "gz-tianh"}, "store", "did you mean gz-tianhe"),
    ("negative mileage", {"mileage_km": "-5"}, "mileage_km", "cannot be negative"),
    ("fractional mileage", {"mileage_km": "12.5"}, "mileage_km", "whole number"),
    ("price with 3 decimals", {"list_price": "179800.123"}, "list_price", "more decimal places"),
    ("price not a number", {"list_price": "¥179800"}, "list_price", "is not a number"),
    ("zero price", {"list_price": "0"}, "list_price", "greater than 0"),
    (
        "offer above list",
        {"list_price": "180000.00", "offer_price": "200000.00"},
        "offer_price",
        "offer_price 200000.00 is above list_price 180000.00",
    ),
    ("model year out of range", {"model_year": "1890"}, "model_year", "outside 1980-2100"),
    ("unknown status", {"status": "on-hold"}, "status", "use one of in_transit, available, reserved, sold"),
    ("bad flag", {"test_drive_fleet": "maybe"}, "test_drive_fleet", "true or false"),
    (
        "bad photo URL",
        {"photo_urls": "https://ok.example/a.jpg|ftp://x/b.jpg"},
        "photo_urls",
        "photo 2 'ftp://x/b.jpg'",
    ),
    ("option of another model", {"options": "panoramic-sunroof|tow-bar"}, "options", "unknown mondeo option 'tow-bar'"),
]


@pytest.mark.parametrize(("overrides", "column", "reason"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_a_bad_row_is_reported_and_changes_nothing(db_session, catalog, overrides, column, reason):
    result = import_file(db_session, to_csv([row(1), row(2, **overrides), row(3)]), "csv")
    assert (result.created, result.rejected, result.total) == (2, 1, 3)
    [error] = result.errors
    assert (error.line, error.column) == (3, column)
    assert reason in error.reason, error.reason
    assert stored(db_session, vin(1)) and stored(db_session, vin(3))
    assert db_session.scalar(select(Vehicle).where(Vehicle.vin == vin(2))) is None


def test_every_problem_of_a_row_is_reported(db_session, catalog):
    result = import_file(
        db_session,
        to_csv([row(1, trim="nope", store="nope", list_price="-1", currency="USD")], [*COLUMNS, "currency"]),
        "csv",
    )
    assert {e.column for e in result.errors} == {"trim", "store", "list_price", "currency"}
    assert {e.line for e in result.errors} == {2} and result.rejected == 1 and result.created == 0


def test_duplicate_vin_in_one_file_keeps_the_first_row(db_session, catalog):
    result = import_file(db_session, to_csv([row(1), row(2), row(1, list_price="1.00")]), "csv")
    assert (result.created, result.rejected) == (2, 1)
    assert [(e.line, e.column) for e in result.errors] == [(4, "vin")]
    assert "duplicate of line 2" in result.errors[0].reason
    assert stored(db_session, vin(1)).list_price == Decimal("179800.00")


def test_reimport_is_idempotent(db_session, catalog):
    data = to_csv([row(n, options="sync3-navigation", photo_urls="/p/1.jpg") for n in range(1, 6)])
    assert import_file(db_session, data, "csv").created == 5
    before = stored(db_session, vin(1)).updated_at
    again = import_file(db_session, data, "csv")
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 5, [])
    assert stored(db_session, vin(1)).updated_at == before


def test_update_changes_prices_and_keeps_price_in_step(db_session, catalog):
    import_file(db_session, to_csv([row(1), row(2)]), "csv")
    result = import_file(db_session, to_csv([row(1, list_price="175000.00", offer_price="165000.00"), row(2)]), "csv")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    vehicle = stored(db_session, vin(1))
    assert (vehicle.list_price, vehicle.offer_price, vehicle.price) == (
        Decimal("175000.00"),
        Decimal("165000.00"),
        Decimal("165000.00"),
    )
    import_file(db_session, to_csv([row(1, list_price="175000.00")]), "csv")  # a blank offer ends the offer
    vehicle = stored(db_session, vin(1))
    assert (vehicle.offer_price, vehicle.price) == (None, Decimal("175000.00"))


def test_status_on_reimport_follows_the_lifecycle(db_session, catalog):
    import_file(db_session, to_csv([row(1, status="reserved"), row(2, status="sold")]), "csv")
    changed_at = stored(db_session, vin(1)).status_changed_at
    result = import_file(db_session, to_csv([row(1, status="sold"), row(2, status="available"), row(3)]), "csv")
    assert (result.created, result.updated, result.rejected) == (1, 1, 1)
    [error] = result.errors
    assert (error.line, error.column, error.vin) == (3, "status", vin(2))
    assert "from sold to available" in error.reason and "final" in error.reason
    assert stored(db_session, vin(1)).status == "sold" and stored(db_session, vin(1)).status_changed_at > changed_at
    assert stored(db_session, vin(2)).status == "sold"
    blank = import_file(db_session, to_csv([row(1), row(2)]), "csv")  # blank status keeps the current one
    assert (blank.unchanged, blank.errors) == (2, [])


def test_missing_optional_columns_keep_existing_values(db_session, catalog):
    import_file(
        db_session, to_csv([row(1, mileage_km="500", offer_price="170000.00", options="sync3-navigation")]), "csv"
    )
    result = import_file(
        db_session,
        to_csv([row(1, list_price="178000.00")], ["vin", "trim", "store", "model_year", "list_price"]),
        "csv",
    )
    assert result.updated == 1
    vehicle = stored(db_session, vin(1))
    assert (vehicle.mileage_km, vehicle.offer_price, vehicle.price) == (500, Decimal("170000.00"), Decimal("170000.00"))
    assert vehicle.colour.code == "oxford-white" and vehicle.option_codes == ["sync3-navigation"]


def test_csv_line_numbers_are_physical_lines(db_session, catalog):
    data = (
        to_csv([row(1)]).decode()
        + "\n"
        + f'{vin(2)},mondeo-ecoboost180,"oxford-\nwhite",gz-tianhe,2018,0,1,,,,,\n'
        + f"{vin(3)},mondeo-x,,gz-tianhe,2018,0,179800,,,,,\n"
        + f"{vin(4)},mondeo-ecoboost180,,gz-tianhe\n"
    )
    result = import_file(db_session, data.encode(), "csv")
    assert [(e.line, e.column) for e in result.errors] == [(4, "colour"), (6, "trim"), (7, None)]
    assert "4 fields but the header has 12" in result.errors[2].reason
    assert (result.created, result.total) == (1, 4)


def test_header_is_case_insensitive_with_bom_and_spaces(db_session, catalog):
    data = "\ufeff VIN ,Trim,STORE,Model_Year,List_Price\n" + f"{vin(1)},mondeo-ecoboost180,gz-tianhe,2018,179800\n"
    assert import_file(db_session, data.encode(), "csv").created == 1


def test_gb18030_csv(db_session, catalog):
    data = to_csv([row(1), row(2, trim="蒙迪欧")], encoding="gb18030")
    result = import_file(db_session, data, "csv")
    assert result.created == 1 and "'蒙迪欧'" in result.errors[0].reason


@pytest.mark.parametrize("shape", ["list", "object"])
def test_json_both_shapes(db_session, catalog, shape):
    items = [
        {
            "vin": vin(1),
            "trim": "mondeo-hybrid",
            "store": "gz-tianhe",
            "model_year": 2018,
            "list_price": 252800.5,
            "offer_price": "249800",
            "test_drive_fleet": True,
            "photo_urls": ["https://x.example/1.jpg"],
            "options": ["panoramic-sunroof"],
        },
        {"vin": vin(2), "trim": "kuga-ecoboost245", "store": "gz-tianhe", "model_year": 2018, "list_price": 1.005},
        "not an object",
    ]
    document = items if shape == "list" else {"vehicles": items}
    result = import_file(db_session, json.dumps(document).encode(), "json")
    assert (result.created, result.total) == (1, 3)
    assert [(e.line, e.column) for e in result.errors] == [(2, "list_price"), (3, None)]
    vehicle = stored(db_session, vin(1))
    assert (vehicle.list_price, vehicle.price, vehicle.is_test_drive_fleet) == (
        Decimal("252800.50"),
        Decimal("249800.00"),
        True,
    )
    assert vehicle.photo_urls == ["https://x.example/1.jpg"] and vehicle.option_codes == ["panoramic-sunroof"]


MALFORMED = [
    ("csv", b"", "empty_file"),
    ("csv", b"vin,trim,colr,store,model_year,list_price\n", "unknown_columns"),
    ("csv", b"vin,trim,model_year,list_price\n", "missing_columns"),
    ("csv", b"vin,vin,trim,store,model_year,list_price\n", "duplicate_columns"),
    ("csv", b"\x81\x30\xff\xfe vin", "bad_encoding"),
    ("csv", b"PK\x03\x04\x14\x00\x06\x00", "bad_encoding"),
    ("csv", b'vin,trim,store,model_year,list_price\n"' + b"x" * 200_000 + b'"\n', "malformed_csv"),
    ("csv", b"\n,,,\n", "empty_file"),
    ("json", b'[{"vin": "x",', "malformed_json"),
    ("json", b'{"cars": []}', "malformed_json"),
    ("json", b'[{"vin": "x", "prise": 1}]', "unknown_columns"),
]


@pytest.mark.parametrize(("file_format", "data", "code"), MALFORMED)
def test_malformed_files_raise_invalid_input(file_format, data, code):
    parse = parse_csv if file_format == "csv" else parse_json
    with pytest.raises(InvalidInput) as caught:
        parse(data)
    assert caught.value.code == code, caught.value.message


def test_unknown_column_names_the_typo(db_session, catalog):
    with pytest.raises(InvalidInput, match=r"'colr' \(did you mean colour\?\)"):
        import_file(db_session, b"vin,trim,colr,store,model_year,list_price\n", "csv")


def test_progress_reports_rows_processed(db_session, catalog, monkeypatch):
    monkeypatch.setattr(inventory_import, "CHUNK_SIZE", 2)
    seen: list[int] = []
    import_file(db_session, to_csv([row(n) for n in range(1, 6)]), "csv", seen.append)
    assert seen == [2, 4, 5]


def test_api_upload_reports_rows_and_lands_good_ones(admin_client, db_session, catalog):
    data = to_csv([row(1), row(2, offer_price="200000.00", list_price="180000.00"), row(3)])
    response = admin_client.post("/api/v1/inventory/imports", files={"file": ("stock.csv", data, "text/csv")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("created", "updated", "unchanged", "rejected", "total")} == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "total": 3,
    }
    assert body["errors"] == [
        {
            "line": 3,
            "column": "offer_price",
            "vin": vin(2),
            "code": "offer_above_list",
            "reason": "offer_price 200000.00 is above list_price 180000.00",
        }
    ]
    assert body["problem_counts"] == [{"code": "offer_above_list", "column": "offer_price", "count": 1}]
    assert (body["problems"], body["errors_truncated"]) == (1, False)
    report = admin_client.get(body["report_url"])
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    assert report.text.splitlines()[1:] == [
        f"3,offer_price,{vin(2)},offer_above_list,offer_price 200000.00 is above list_price 180000.00"
    ]
    assert stored(db_session, vin(1)) is not None and stored(db_session, vin(2)) is None
    again = admin_client.post(
        "/api/v1/inventory/imports",
        params={"format": "csv"},
        files={"file": ("stock", data, "application/octet-stream")},
    )
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)


def test_api_json_by_content_type(admin_client, catalog):
    items = [{"vin": vin(1), "trim": "mondeo-hybrid", "store": "sh-pudong", "model_year": 2019, "list_price": "252800"}]
    response = admin_client.post(
        "/api/v1/inventory/imports", files={"file": ("upload", json.dumps(items), "application/json")}
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1


def test_api_malformed_json_is_a_422_problem(admin_client, catalog):
    response = admin_client.post("/api/v1/inventory/imports", files={"file": ("stock.json", b"[{", "application/json")})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "malformed_json" and "Not valid JSON" in response.json()["detail"]


def test_api_unknown_format_is_a_422_problem(admin_client, catalog):
    response = admin_client.post("/api/v1/inventory/imports", files={"file": ("stock.xml", b"<x/>", "application/xml")})
    assert (response.status_code, response.json()["code"]) == (422, "unknown_format")


def test_api_oversize_file_is_a_413_problem(admin_client, catalog):
    admin_client.app.state.settings.max_import_bytes = 100
    response = admin_client.post(
        "/api/v1/inventory/imports", files={"file": ("stock.csv", to_csv([row(1), row(2)]), "text/csv")}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "file_too_large" and response.json()["max_bytes"] == 100


@pytest.fixture
def cli_database(tmp_path, monkeypatch):
    from forecourt.core.db import make_engine
    from forecourt.core.migrate import upgrade
    from forecourt.core.settings import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FORECOURT_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        make_small_catalog(session)
        session.commit()
    yield engine
    get_settings.cache_clear()
    engine.dispose()


def _cli(*args: str):
    from forecourt.cli import app

    return CliRunner().invoke(app, ["inventory", "import", *args])


def _report(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_cli_exit_codes_and_report(cli_database, tmp_path):
    good, report = tmp_path / "good.csv", tmp_path / "report.csv"
    good.write_bytes(to_csv([row(1), row(2)]))
    result = _cli(str(good), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "created" in result.output and _report(report) == []
    with Session(cli_database) as session:
        assert session.scalar(select(Vehicle.price).where(Vehicle.vin == vin(2))) == Decimal("179800.00")

    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(to_csv([row(1), row(3, trim="mondeo-x"), row(4)]))
    result = _cli(str(mixed), "--format", "csv", "--report", str(report))
    assert result.exit_code == 1, result.output
    assert "mondeo-x" in result.output
    [problem] = _report(report)
    assert {k: problem[k] for k in ("line", "column", "vin", "code")} == {
        "line": "3",
        "column": "trim",
        "vin": vin(3),
        "code": "unknown_code",
    }
    assert "did you mean" in _report(report)[0]["reason"]
    with Session(cli_database) as session:
        assert session.scalar(select(Vehicle.vin).where(Vehicle.vin == vin(4))) == vin(4)

    broken = tmp_path / "broken.json"
    broken.write_text('{"vehicles": [{"vin": "x", "colr": "red"}]}')
    result = _cli(str(broken), "--report", str(report))
    assert result.exit_code == 2, result.output
    assert "colr" in result.output and "colr" in _report(report)[0]["reason"]
