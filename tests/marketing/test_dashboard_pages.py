"""The marketing dashboard page and its CSV exports: who may see them, what they show, safe CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from forecourt.marketing import attribution_query, dashboard
from tests.backoffice.helpers import sign_in
from tests.factories import make_small_catalog, make_user
from tests.marketing.factories import seed_small

PERIOD = "from=2026-03-02&to=2026-03-08"


def _signed_in(client: TestClient, session: Session, role: str | None) -> None:
    if role == "store_staff":
        store = make_small_catalog(session)["stores"]["gz-tianhe"]
        user = make_user(session, roles=[("store_staff", store.id)])
    else:
        user = make_user(session, roles=[(role, None)] if role else [])
    session.commit()
    sign_in(client, user)


PATHS = (
    "/backoffice/marketing",
    "/backoffice/marketing/funnel.csv",
    "/backoffice/marketing/attribution.csv",
    "/backoffice/marketing/trends.csv",
)


@pytest.mark.parametrize(
    ("role", "status"),
    [("shopper", 403), ("store_staff", 403), ("finance_officer", 403), ("marketer", 200), ("admin", 200)],
)
def test_roles(client: TestClient, db_session: Session, role: str, status: int) -> None:
    _signed_in(client, db_session, role)
    for path in PATHS:
        assert client.get(f"{path}?{PERIOD}").status_code == status, path
    nav = client.get("/backoffice/finance/review" if role == "finance_officer" else "/backoffice/marketing").text
    assert ('href="/backoffice/marketing"' in nav) == (status == 200)


def test_a_marketer_starts_the_back_office_at_the_dashboard(client: TestClient, db_session: Session) -> None:
    _signed_in(client, db_session, "marketer")
    response = client.get("/backoffice", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/backoffice/marketing"
    assert 'href="/backoffice"' in client.get("/?lang=en").text  # the site header offers the back office


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get(f"/backoffice/marketing?{PERIOD}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/account/sign-in?next=/backoffice/marketing")


def test_the_page_shows_funnel_attribution_and_trends(client: TestClient, db_session: Session) -> None:
    seed_small(db_session)
    _signed_in(client, db_session, "marketer")
    response = client.get(f"/backoffice/marketing?{PERIOD}&model=linear&lang=en")
    assert response.status_code == 200
    html = response.text
    for part in (
        'id="funnel-chart"',
        'id="funnel-table"',
        'id="model-chart"',
        'id="attribution-table"',
        'id="drive-cost-chart"',
        'id="sale-cost-chart"',
        'id="cost-table"',
        'id="conversion-chart"',
        'id="spend-chart"',
        'id="trends-table"',
        'href="/backoffice/marketing"',
        'aria-current="page">Marketing<',
    ):
        assert part in html, part
    assert "<title" in html and 'role="img"' in html
    # search under the linear model: CNY 300 spent, 1.5 drives (CNY 200 each), 1 sale of CNY 150,000 (ROAS 500)
    cost_table = html[html.index('id="cost-table"') :]
    search_row = re.search(r"<tr><th scope=\"row\">Search</th>(.*?)</tr>", cost_table, re.S)
    assert search_row is not None
    cells = re.findall(r'<td class="num">(.*?)</td>', search_row.group(1))
    assert [c.replace("CN", "") for c in cells] == [
        "¥300.00",
        "1.5",
        "¥200.00",
        "1.0",
        "¥150,000.00",
        "¥300.00",
        "500.00×",
    ]
    # the cost chart ranks the cheapest first: e-mail's CNY 100 per drive before search's CNY 200
    drive_chart = html[html.index('id="drive-cost-chart"') : html.index('id="sale-cost-chart"')]
    assert drive_chart.index("Email: CN¥100.00") < drive_chart.index("Search: CN¥200.00")
    assert "/backoffice/marketing/attribution.csv?from=2026-03-02&amp;to=2026-03-08&amp;model=linear" in html


def test_invalid_filters_fall_back_with_a_422(client: TestClient, db_session: Session) -> None:
    _signed_in(client, db_session, "marketer")
    response = client.get("/backoffice/marketing?from=2026-03-09&to=2026-03-01&model=markov&order=7&by=x&dimension=y")
    assert response.status_code == 422
    assert 'id="problem"' in response.text


@pytest.mark.parametrize(
    "query",
    [
        "from=%00",
        "order=%FF",
        "from=9999-12-31",
        "to=0001-01-01&from=0001-01-01",
        "city=" + "x" * 500,
        "model=markov&order=99999999999999999999",
    ],
)
def test_hostile_filters_never_fail(client: TestClient, db_session: Session, query: str) -> None:
    _signed_in(client, db_session, "marketer")
    for path in ("/backoffice/marketing", "/backoffice/marketing/attribution.csv"):
        assert client.get(f"{path}?{query}").status_code in (200, 400, 422)


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="marketing-')
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_exports(client: TestClient, db_session: Session) -> None:
    seed_small(db_session)
    _signed_in(client, db_session, "marketer")
    rows = _csv(client.get(f"/backoffice/marketing/attribution.csv?{PERIOD}&model=linear"))
    assert rows[0] == [
        "channel",
        "first_touch",
        "last_touch",
        "last_non_direct",
        "linear",
        "time_decay",
        "position_based",
        "markov",
        "shapley",
        "spend",
        "test_drives",
        "cost_per_test_drive",
        "sales",
        "sales_value",
        "cost_per_sale",
        "roas",
    ]
    search = dict(zip(rows[0], next(r for r in rows if r[0] == "search"), strict=True))
    assert search == search | {
        "linear": "1.5",
        "spend": "300.00",
        "test_drives": "1.5",
        "cost_per_test_drive": "200.00",
        "sales": "1.0",
        "sales_value": "150000.00",
        "cost_per_sale": "300.00",
        "roas": "500.00",
    }
    funnel = _csv(client.get(f"/backoffice/marketing/funnel.csv?{PERIOD}&dimension=city"))
    assert funnel[0] == ["city", "visit", "vehicle_view", "test_drive_booked", "credit_application", "order"]
    assert ["shanghai", "1", "1", "1", "0", "1"] in funnel
    trends = _csv(client.get(f"/backoffice/marketing/trends.csv?{PERIOD}&model=last_touch"))
    assert trends[0] == ["week", "channel", "conversions", "spend"]
    assert ["2026-03-02", "search", "1.0", "300.00"] in trends


def test_csv_is_safe_against_formula_injection(client: TestClient, db_session: Session) -> None:
    seed_small(db_session, search_code='=HYPERLINK("http://evil.test","x")')
    _signed_in(client, db_session, "marketer")
    rows = _csv(client.get(f"/backoffice/marketing/attribution.csv?{PERIOD}&by=campaign"))
    keys = [r[0] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil.test","x")' in keys
    assert not any(k.startswith(("=", "+", "-", "@")) for k in keys)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("广州", "广州"),
        (None, ""),
        (3, 3),
        (Decimal("-1.50"), Decimal("-1.50")),
        ("a=b", "a=b"),
    ],
)
def test_safe_cell(value: object, cell: object) -> None:
    assert dashboard.safe_cell(value) == cell


def test_csv_bytes_keeps_chinese_text_for_excel() -> None:
    data = dashboard.csv_bytes(["城市", "n"], [["广州", 1]])
    assert data == "\ufeff城市,n\r\n广州,1\r\n".encode()


def test_weekly_credit_and_spend() -> None:
    period = attribution_query.Period(date(2026, 3, 2), date(2026, 3, 8))
    assert dashboard.weeks(period) == [date(2026, 3, 2)]
    spend = dashboard.weekly_spend(
        [(date(2026, 3, 3), "search", "x", Decimal("1.10")), (date(2026, 3, 9), "search", "x", Decimal("2.00"))],
        "channel",
    )
    assert spend == {date(2026, 3, 2): {"search": Decimal("1.10")}, date(2026, 3, 9): {"search": Decimal("2.00")}}
