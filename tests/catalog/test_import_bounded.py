"""A file of many bad rows: a small answer, exact counts, the first problems in file order, every problem in a
downloadable report (its owner's or an admin's), and memory that does not grow with the file."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest

from forecourt.catalog.inventory_import import import_stream
from forecourt.catalog.vin import build_vin
from forecourt.core.clock import utcnow
from forecourt.core.problem_reports import MAX_KEY, MAX_REASON, ProblemReport, delete_expired_reports, report_path
from tests.catalog.factories import COLUMNS, row, stored, to_csv, vin
from tests.factories import make_small_catalog


@pytest.fixture
def catalog(db_session) -> dict:
    return make_small_catalog(db_session)


KINDS = ("required", "invalid_vin", "offer_above_list", "out_of_range")
COLUMN_OF = {"required": "store", "invalid_vin": "vin", "offer_above_list": "offer_price", "out_of_range": "model_year"}


def bad_row(n: int) -> list[str]:
    """Exactly one problem, the kind chosen by n % 4, on a row with a well-formed VIN unless the VIN is the problem.
    (Cheap kinds: an unknown code costs a difflib suggestion, which would make the big file slow to test.)"""
    values = row(0)
    values["vin"] = build_vin("LVS", "HCAMB", 2018, "Z", n % 1_000_000)
    kind = KINDS[n % 4]
    if kind == "required":
        values["store"] = ""
    elif kind == "invalid_vin":
        values["vin"] = values["vin"][:8] + ("0" if values["vin"][8] != "0" else "1") + values["vin"][9:]
    elif kind == "offer_above_list":
        values["offer_price"] = "200000.00"
    else:
        values["model_year"] = "1900"
    return [values[c] for c in COLUMNS]


def bad_csv(rows: int, make=bad_row) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(make(n) for n in range(rows))
    return out.getvalue().encode()


def test_100k_bad_rows_answer_a_small_body_with_exact_counts_and_a_full_report(admin_client, catalog):
    rows = 100_000
    response = admin_client.post("/api/v1/inventory/imports", files={"file": ("bad.csv", bad_csv(rows), "text/csv")})
    assert response.status_code == 200, response.text[:500]
    assert len(response.content) < 40_000  # 100 problems and a handful of counts; it was 38 MB
    body = response.json()
    assert (body["created"], body["rejected"], body["total"], body["problems"]) == (0, rows, rows, rows)
    assert body["errors_truncated"] is True
    assert sorted((c["code"], c["column"], c["count"]) for c in body["problem_counts"]) == sorted(
        (kind, COLUMN_OF[kind], rows // 4) for kind in KINDS
    )
    # The first 100 problems are the first 100 rows, in file order (header = line 1), each of its own kind.
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(n + 2, KINDS[n % 4]) for n in range(100)]

    report = admin_client.get(body["report_url"])
    assert report.status_code == 200
    assert report.headers["content-type"] == "text/csv; charset=utf-8"
    path = admin_client.app.state.settings.import_report_dir / f"{body['report_url'].split('/')[-2]}.csv"
    # Served from the file on disk (FileResponse: its length and range support), not built in memory.
    assert int(report.headers["content-length"]) == path.stat().st_size and report.headers["accept-ranges"] == "bytes"
    assert "attachment" in report.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines[0] == ["line", "column", "vin", "code", "reason"]
    assert [(int(r[0]), r[3]) for r in lines[1:]] == [(n + 2, KINDS[n % 4]) for n in range(rows)]


def test_mixed_file_still_lands_its_good_rows_and_reports_the_bad(admin_client, db_session, catalog):
    data = bad_csv(6, lambda n: bad_row(n) if n % 2 else [row(n + 1)[c] for c in COLUMNS])
    body = admin_client.post("/api/v1/inventory/imports", files={"file": ("m.csv", data, "text/csv")}).json()
    assert (body["created"], body["rejected"], body["total"], body["errors_truncated"]) == (3, 3, 6, False)
    assert [e["line"] for e in body["errors"]] == [3, 5, 7]


def test_a_report_is_only_for_its_owner_or_an_admin(client, db_session):
    from tests.backoffice.helpers import make_world, sign_in

    world = make_world(db_session)
    data = to_csv([row(1, store="gz-tianhe", trim="mondeo-x")])
    csrf = sign_in(client, world.users["staff_a"])
    body = client.post(
        "/api/v1/inventory/imports", files={"file": ("s.csv", data, "text/csv")}, headers={"X-CSRF-Token": csrf}
    ).json()
    url = body["report_url"]
    assert client.get(url).status_code == 200  # the owner
    for who in ("staff_b", "shopper"):
        sign_in(client, world.users[who])
        refused = client.get(url)
        assert refused.status_code == 404 and refused.json()["code"] == "report_not_found"
    sign_in(client, world.users["admin"])
    assert client.get(url).status_code == 200
    assert client.get("/api/v1/imports/../../etc/passwd/report.csv").status_code == 404
    assert client.get("/api/v1/imports/" + "0" * 32 + "/report.csv").status_code == 404


def test_a_file_without_problems_leaves_no_report(admin_client, catalog):
    body = admin_client.post(
        "/api/v1/inventory/imports", files={"file": ("s.csv", to_csv([row(1)]), "text/csv")}
    ).json()
    assert (body["problems"], body["report_url"], body["problem_counts"]) == (0, None, [])
    assert not list(admin_client.app.state.settings.import_report_dir.glob("*"))


def test_a_file_malformed_midway_imports_nothing_and_keeps_no_report(admin_client, db_session, catalog, monkeypatch):
    from forecourt.catalog import inventory_import

    monkeypatch.setattr(inventory_import, "CHUNK_SIZE", 2)
    rows = "".join(f"{vin},mondeo-x,,gz-tianhe,2018,0,1.00,,,,,\n" for vin in ("a", "b", "c", "d"))
    data = to_csv([row(1), row(2), row(3)]) + rows.encode() + b'"' + b"x" * 200_000 + b'"\n'
    response = admin_client.post("/api/v1/inventory/imports", files={"file": ("s.csv", data, "text/csv")})
    assert (response.status_code, response.json()["code"]) == (422, "malformed_csv")
    db_session.expire_all()
    assert stored(db_session, vin(1)) is None
    assert not list(admin_client.app.state.settings.import_report_dir.glob("*"))


def test_long_cells_are_clipped_in_the_report(tmp_path):
    report = ProblemReport("vin", directory=tmp_path, owner_id=1)
    report.add(2, "trim", "V" * 10_000, "unknown_code", "unknown trim " + "x" * 100_000)
    summary = report.close()
    [problem] = summary.first
    assert len(problem.key) == MAX_KEY and len(problem.reason) == MAX_REASON
    assert (tmp_path / f"{summary.report_id}.csv").stat().st_size < 1_000


def test_expired_reports_are_deleted(tmp_path):
    import os

    old, new = (ProblemReport(directory=tmp_path, owner_id=1) for _ in range(2))
    for report in (old, new):
        report.add(2, None, None, "x", "y")
        report.close()
    stamp = (utcnow() - timedelta(days=8)).timestamp()
    os.utime(tmp_path / f"{old.report_id}.json", (stamp, stamp))
    assert delete_expired_reports(tmp_path, timedelta(days=7)) == 1
    assert report_path(tmp_path, old.report_id, 1, False) is None
    assert report_path(tmp_path, new.report_id, 1, False) == tmp_path / f"{new.report_id}.csv"
    assert report_path(tmp_path, new.report_id, 2, False) is None and report_path(tmp_path, new.report_id, 2, True)


def _peak_bytes(db_session, path: Path, reports: Path) -> tuple[int, int]:
    """Peak traced memory of importing the file (opened from disk), and the problems found."""
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            result = import_stream(
                db_session, stream, "csv", report=ProblemReport("vin", directory=reports, owner_id=1)
            )
        return tracemalloc.get_traced_memory()[1], result.summary.problems
    finally:
        tracemalloc.stop()


def _unremembered_row(n: int) -> list[str]:
    """Two problems, and a VIN too malformed to be remembered for the duplicate check (that map is the one
    thing that grows: about 100 bytes per distinct well-formed VIN)."""
    values = row(0, vin=f"BAD{n:08d}", model_year="1900")
    return [values[c] for c in COLUMNS]


def test_memory_of_a_bad_file_does_not_grow_with_its_size(db_session, catalog, tmp_path, monkeypatch):
    from forecourt.catalog import inventory_import

    monkeypatch.setattr(inventory_import, "CHUNK_SIZE", 300)  # many chunks from a file small enough to be quick
    peaks = {}
    for rows in (3_000, 12_000):
        path = tmp_path / f"bad-{rows}.csv"
        path.write_bytes(bad_csv(rows, _unremembered_row))
        peaks[rows], problems = _peak_bytes(db_session, path, tmp_path / "reports")
        assert problems == 2 * rows
    # Four times the rows and problems, the same peak: a chunk, the first 100 problems and the counts are in
    # memory, never the file or its problems (before: about 30 bytes per byte of file, 1.5 GB for 50 MB).
    assert peaks[12_000] < peaks[3_000] * 1.2 + 200_000, peaks
    assert peaks[12_000] < 3_000_000, peaks


def test_the_imports_page_shows_counts_the_first_problems_and_a_download_link(client, db_session, monkeypatch):
    from tests.backoffice.helpers import make_world, sign_in

    world = make_world(db_session)
    csrf = sign_in(client, world.users["staff_a"])
    rows = [row(1, store="gz-tianhe")] + [row(n, store="gz-tianhe", model_year="1900") for n in range(2, 107)]
    page = client.post(
        "/backoffice/imports", data={"csrf_token": csrf}, files={"file": ("s.csv", to_csv(rows), "text/csv")}
    )
    assert page.status_code == 200, page.text[:300]
    assert '<dd id="created">1</dd>' in page.text and '<dd id="rejected">105</dd>' in page.text
    assert 'id="problem-counts"' in page.text and "<code>out_of_range</code>" in page.text
    assert page.text.count('<td class="num">') == 100 + 1  # the first 100 problems and one count
    assert ">3</td>" in page.text and ">102</td>" in page.text and ">103</td>" not in page.text
    link = page.text.split('id="report-link" href="')[1].split('"')[0]
    assert len(client.get(link).text.splitlines()) == 1 + 105
    # A file found malformed midway leaves nothing behind, although the page answers (and commits) normally.
    monkeypatch.setattr("forecourt.catalog.inventory_import.CHUNK_SIZE", 1)
    broken = to_csv([row(7, store="gz-tianhe")]) + b'"' + b"x" * 200_000 + b'"\n'
    page = client.post("/backoffice/imports", data={"csrf_token": csrf}, files={"file": ("b.csv", broken, "text/csv")})
    assert page.status_code == 422 and "cannot be read" in page.text
    db_session.expire_all()
    assert stored(db_session, vin(1)) is not None and stored(db_session, vin(7)) is None
