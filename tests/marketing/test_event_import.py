"""Event imports from CSV and Parquet: same checks as the API, a per-row report, chunks, duplicates skipped."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy.orm import Session

from forecourt.marketing import event_repository, events
from forecourt.marketing.event_files import CsvEvents, ParquetEvents
from tests.marketing.helpers import (
    EVENTS,
    event,
    marketer_headers,
    run_cli,
    stored,
)

IMPORT = "/api/v1/events/import"
HEADER = "event_id,type,occurred_at,visitor_id,utm_source,utm_medium,utm_campaign,value\n"
VID = "visitor-0001"


def csv_text(*rows: str) -> bytes:
    return ("\ufeff" + HEADER + "".join(row + "\n" for row in rows)).encode("utf-8")


def upload(client, headers, data: bytes, name: str = "events.csv"):
    return client.post(IMPORT, files={"file": (name, data, "application/octet-stream")}, headers=headers)


def test_csv_upload_reports_each_row(client, db_session):
    headers = marketer_headers(db_session)
    client.post(EVENTS, json={"events": [event(event_id="api-1")]})
    data = csv_text(
        f"i-1,click,2026-11-01T10:00:00+08:00,{VID},baidu,cpc,x,",
        f"i-1,click,2026-11-01T10:00:00+08:00,{VID},baidu,cpc,x,",  # duplicate in the file
        f"api-1,visit,2026-11-01T10:00:00Z,{VID},,,,",  # sent through the API before
        f"i-2,order,2026-11-01T10:00:00Z,{VID},,,,169800.00",  # a platform type
        f"i-3,visit,2026-11-01 10:00:00,{VID},,,,",  # naive
        "i-4,visit,2026-11-01T10:00:00Z",  # short row
        f"i-5,contact,2026-11-01T10:00:00Z,{VID},,,,12.50",
    )
    response = upload(client, headers, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["accepted"], body["duplicates"], body["rejected_count"]) == (7, 2, 2, 3)
    assert [(r["line"], r["event_id"]) for r in body["rejected"]] == [(5, "i-2"), (6, "i-3"), (7, "i-4")]
    assert stored(db_session, event_id="i-1")[0].channel == "search"
    assert str(stored(db_session, event_id="i-5")[0].value) == "12.50"
    again = upload(client, headers, data).json()  # idempotent
    assert (again["accepted"], again["duplicates"]) == (0, 4)


def test_parquet_upload(client, db_session):
    headers = marketer_headers(db_session)
    frame = pl.DataFrame(
        {
            "event_id": ["p-1", "p-2", "p-3"],
            "type": ["impression", "click", "visit"],
            "occurred_at": [datetime(2026, 11, 1, 2, tzinfo=UTC)] * 3,
            "visitor_id": [VID, VID, None],
            "user_id": [None, None, None],
            "value": [None, 1.5, None],
        },
        schema_overrides={"user_id": pl.Int64},
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    response = upload(client, headers, buffer.getvalue(), "events.parquet")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected_count"]) == (2, 1)
    assert body["rejected"][0]["line"] == 3 and body["rejected"][0]["field"] == "visitor_id"
    naive = pl.DataFrame(
        {"event_id": ["n-1"], "type": ["visit"], "occurred_at": [datetime(2026, 11, 1)], "visitor_id": [VID]}
    )
    buffer = io.BytesIO()
    naive.write_parquet(buffer)
    rejected = upload(client, headers, buffer.getvalue(), "naive.parquet").json()["rejected"]
    assert "UTC offset" in rejected[0]["reason"]


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"event_id,type,occured_at,visitor_id\n", "e.csv", "unknown_columns"),
        (b"event_id,visitor_id\nx,y\n", "e.csv", "missing_columns"),
        (b"", "e.csv", "empty_file"),
        (b"event_id,type,occurred_at\n\xff\xfe\n", "e.csv", "bad_encoding"),
        (b"PAR1 not really", "e.parquet", "malformed_parquet"),
    ],
)
def test_unusable_files_are_422(client, db_session, data, name, code):
    response = upload(client, marketer_headers(db_session), data, name)
    assert (response.status_code, response.json()["code"]) == (422, code)


def test_only_marketers_import(client, db_session):
    from tests.marketing.helpers import shopper

    _, headers = shopper(db_session)
    assert upload(client, headers, csv_text()).status_code == 403
    assert upload(client, {}, csv_text()).status_code == 401


def test_chunks_are_streamed(db_session, monkeypatch):
    monkeypatch.setattr("forecourt.marketing.events.CHUNK_SIZE", 3)
    rows = [f"c-{n},visit,2026-11-01T10:00:00Z,{VID},,,," for n in range(10)]
    reader = CsvEvents(io.BytesIO(csv_text(*rows)))
    seen: list[int] = []
    report = events.ingest(db_session, reader, events.Sender(None, True, "import"), progress=seen.append, chunk_size=3)
    assert report.accepted == 10 and seen == [3, 6, 9, 10]


def test_parquet_reader_slices(tmp_path, monkeypatch):
    monkeypatch.setattr("forecourt.marketing.event_files.PARQUET_SLICE", 4)
    path = tmp_path / "e.parquet"
    pl.DataFrame(
        {
            "event_id": [f"e{n}" for n in range(10)],
            "type": ["visit"] * 10,
            "occurred_at": ["2026-11-01T10:00:00Z"] * 10,
            "visitor_id": [VID] * 10,
        }
    ).write_parquet(path)
    assert [line for line, _ in ParquetEvents(path)] == list(range(1, 11))


def test_cli_import_events(cli_database, tmp_path):
    path = tmp_path / "events.parquet"
    pl.DataFrame(
        {
            "event_id": ["k-1", "k-2", "k-2"],
            "type": ["visit", "teleport", "visit"],
            "occurred_at": ["2026-11-01T10:00:00+08:00"] * 3,
            "visitor_id": [VID] * 3,
        }
    ).write_parquet(path)
    report = tmp_path / "report.csv"
    result = run_cli("import-events", str(path), "--report", str(report))
    assert result.exit_code == 1, result.output
    assert "teleport" in report.read_text(encoding="utf-8-sig")
    with Session(cli_database) as session:
        frame = event_repository.person_events_frame(session)
    assert frame["event_id"].to_list() == ["k-1", "k-2"]  # the rejected row did not claim its id
    bad = tmp_path / "bad.csv"
    bad.write_text("nope\n1\n", encoding="utf-8")
    assert run_cli("import-events", str(bad)).exit_code == 2
