"""Daily spend import: all or nothing, every problem with line and column, re-import replaces the day."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from forecourt.marketing import campaign_repository
from forecourt.marketing.spend_files import parse_spend_csv
from tests.marketing.helpers import (
    make_campaign,
    marketer_headers,
    run_cli,
)

SPEND = "/api/v1/campaigns/spend/import"


def upload(client, headers, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(SPEND, files={"file": ("spend.csv", data, "text/csv")}, headers=headers)


def test_import_then_reimport_replaces_days(client, db_session):
    campaign = make_campaign(db_session)
    headers = marketer_headers(db_session)
    first = upload(
        client,
        headers,
        '\ufeffcampaign_code,day,amount\nbaidu-mondeo,2026-12-01,1200.50\nBAIDU-MONDEO,2026-12-02,"1,000"\n',
    )
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 2, "created": 2, "replaced": 0, "campaigns": ["baidu-mondeo"], "total": "2200.50"}
    again = upload(client, headers, "campaign_code,day,amount\nbaidu-mondeo,2026-12-02,999.99\n")
    assert again.json()["replaced"] == 1
    spend = campaign_repository.spend_of(db_session, campaign.id)
    assert [(str(day), amount) for day, amount in spend] == [
        ("2026-12-01", Decimal("1200.50")),
        ("2026-12-02", Decimal("999.99")),
    ]
    assert client.get(f"/api/v1/campaigns/{campaign.code}", headers=headers).json()["spent"] == "2200.49"


def test_every_problem_is_listed_and_nothing_lands(client, db_session):
    campaign = make_campaign(db_session)
    headers = marketer_headers(db_session)
    text = (
        "campaign_code,day,amount\n"
        "baidu-mondeo,2026-12-01,100\n"
        "baidu-mondeo,2026-13-01,100\n"
        "nope,2026-12-01,-3\n"
        "baidu-mondeo,2026-12-01,100\n"
        "baidu-mondeo,2026-12-03,1.005\n"
        "baidu-mondeo,2026-12-04\n"
    )
    response = upload(client, headers, text)
    assert response.status_code == 422
    problems = [(p["line"], p["column"]) for p in response.json()["problems"]]
    assert problems == [(3, "day"), (4, "amount"), (4, "campaign_code"), (5, "day"), (6, "amount"), (7, None)]
    assert campaign_repository.spend_of(db_session, campaign.id) == []


def test_a_file_of_many_bad_rows_answers_the_first_100_and_counts_them_all(client, db_session):
    make_campaign(db_session)
    headers = marketer_headers(db_session)
    rows = "".join(f"baidu-mondeo,2026-12-{1 + n % 28:02d},-{n}\n" for n in range(1, 5001))
    rows += "".join(f"nope-{n},2026-12-01,1\n" for n in range(1000))
    response = upload(client, headers, "campaign_code,day,amount\n" + rows)
    assert response.status_code == 422 and len(response.content) < 40_000
    body = response.json()
    assert (body["problem_count"], body["problems_truncated"], len(body["problems"])) == (6000, True, 100)
    assert [p["line"] for p in body["problems"]] == list(range(2, 102))
    assert body["problem_counts"] == [
        {"code": "invalid_value", "column": "amount", "count": 5000},
        {"code": "unknown_code", "column": "campaign_code", "count": 1000},
    ]
    assert len(body["errors"]) == 100


@pytest.mark.parametrize("data", [b"", b"\xff\xfe\x00bad", b"code,day\nx,2026-12-01\n", b"PK\x03\x04\x00\x00"])
def test_unusable_files(client, db_session, data):
    headers = marketer_headers(db_session)
    response = upload(client, headers, data)
    assert response.status_code == 422 and response.json()["code"] == "spend_file_rejected"


def test_parse_is_pure_and_tolerates_crlf():
    rows, problems, _ = parse_spend_csv(b"campaign_code,day,amount\r\nA,2026-12-01,\xef\xbf\xa51.50\r\n")
    assert problems == [] and rows[0].amount == Decimal("1.50") and rows[0].campaign_code == "a"


def test_cli_import_spend(cli_database, tmp_path):
    with Session(cli_database) as session:
        make_campaign(session)
    file = tmp_path / "spend.csv"
    file.write_text("campaign_code,day,amount\nbaidu-mondeo,2026-12-01,10\nmissing,2026-12-01,1\n", encoding="utf-8")
    result = run_cli("import-spend", str(file))
    assert result.exit_code == 2, result.output
    assert "missing" in result.output
    file.write_text("campaign_code,day,amount\nbaidu-mondeo,2026-12-01,10\n", encoding="utf-8")
    result = run_cli("import-spend", str(file))
    assert result.exit_code == 0, result.output
    assert "1 day(s) imported" in result.output
