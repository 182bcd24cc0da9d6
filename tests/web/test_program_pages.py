"""Back-office rate-program and residual pages through the TestClient, in English and 简体中文: the list and its
filters, the form (create, new version, retire) with errors on the page, file imports with the problem table,
and who may see and change them. People sign in with the session cookie, so every post carries the CSRF token."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecourt.finance.models import RateProgram
from tests.backoffice.helpers import sign_in
from tests.factories import make_small_catalog, make_user
from tests.finance.factories import make_provider, make_residuals, make_standard_programs

PAGES = "/backoffice/finance"
FORM = {
    "code": "loan-24-kuga",
    "product": "loan",
    "name_en": "Kuga 24-month loan",
    "name_zh": "翼虎 24期贷款",
    "model_code": "kuga",
    "trim_code": "",
    "term_months": "24",
    "credit_tier": "*",
    "annual_rate": "0.0399",
    "money_factor": "",
    "subvention_rate": "0",
    "subvention_by": "",
    "min_down_percent": "0.2",
    "max_balloon_percent": "0",
    "fee": "0.00",
    "cash_rebate": "0.00",
    "purchase_price": "0.00",
    "disposition_fee": "0.00",
    "valid_from": "2026-01-01",
    "valid_to": "2027-12-31",
}


@dataclass
class People:
    finance: Any
    store_finance: Any
    staff: Any
    shopper: Any
    admin: Any


@pytest.fixture
def people(db_session: Session) -> People:
    catalog = make_small_catalog(db_session)
    provider = make_provider(db_session)
    make_standard_programs(db_session, provider, "mondeo")
    make_residuals(db_session, provider, "mondeo")
    store = catalog["stores"]["gz-tianhe"]
    found = People(
        finance=make_user(db_session, roles=[("finance_officer", None)]),
        store_finance=make_user(db_session, roles=[("finance_officer", store.id)]),
        staff=make_user(db_session, roles=[("store_staff", store.id)]),
        shopper=make_user(db_session, roles=[("shopper", None)]),
        admin=make_user(db_session, roles=[("admin", None)]),
    )
    db_session.commit()
    return found


@pytest.fixture(autouse=True)
def english(client) -> None:
    client.headers["Accept-Language"] = "en"  # the default language is Chinese; ?lang=zh-Hans switches


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert found, "no CSRF field"
    return html.unescape(found.group(1))


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return response.text


def _versions(session: Session, code: str) -> list[tuple[int, bool]]:
    session.expire_all()
    statement = select(RateProgram.version, RateProgram.is_current).where(RateProgram.code == code)
    return [(version, current) for version, current in session.execute(statement.order_by(RateProgram.version))]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Rate programs", "Mondeo", "Export as CSV", "Residual values", "Lease to own"]),
        ("zh-Hans", ["蒙迪欧", 'lang="zh-Hans"']),
    ],
)
def test_pages_render_in_both_languages(client, people, lang, words):
    sign_in(client, people.finance)
    listing = _get(client, f"{PAGES}/programs?lang={lang}")
    for word in words:
        assert word in listing, word
    assert listing.count('href="/backoffice/finance/programs/') >= 8
    assert "/backoffice/vehicles" not in listing  # a finance officer is not offered the store pages
    for url in ("/programs/new", "/programs/import", "/programs/loan-36", "/residuals"):
        assert 'lang="' + lang + '"' in _get(client, f"{PAGES}{url}?lang={lang}")
    residuals = _get(client, f"{PAGES}/residuals?lang={lang}")
    assert "62%" in residuals and "58%" in residuals


def test_list_filters(client, people):
    sign_in(client, people.finance)
    leases = _get(client, f"{PAGES}/programs?product=lease")
    assert "lease-36" in leases and "loan-36" not in leases
    assert "loan-12" in _get(client, f"{PAGES}/programs?term=12") and "loan-24" not in _get(
        client, f"{PAGES}/programs?term=12"
    )
    bad = client.get(f"{PAGES}/programs?term=abc&on=tomorrow")
    assert bad.status_code == 422 and 'id="term-error"' in bad.text and 'id="on-error"' in bad.text


def test_create_with_errors_on_the_page_then_succeed(client, db_session, people):
    sign_in(client, people.finance)
    csrf = _csrf(_get(client, f"{PAGES}/programs/new"))
    refused = client.post(
        f"{PAGES}/programs/new", data={**FORM, "csrf_token": csrf, "annual_rate": "3.99", "fee": "12.345"}
    )
    assert refused.status_code == 422
    assert 'id="annual_rate-error"' in refused.text and "0.0399 (3.99%)" in refused.text
    assert 'id="fee-error"' in refused.text and "at most two decimal places" in refused.text
    lease = client.post(f"{PAGES}/programs/new", data={**FORM, "csrf_token": csrf, "money_factor": "0.0015"})
    assert lease.status_code == 422 and "Only leases have a money factor" in lease.text
    assert 'value="翼虎 24期贷款"' in refused.text  # what was typed is kept
    assert _versions(db_session, "loan-24-kuga") == []

    zh = client.post(f"{PAGES}/programs/new?lang=zh-Hans", data={**FORM, "csrf_token": csrf, "term_months": "0"})
    assert zh.status_code == 422 and 'id="term_months-error"' in zh.text

    created = client.post(f"{PAGES}/programs/new", data={**FORM, "csrf_token": csrf}, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == f"{PAGES}/programs/loan-24-kuga?created=1"
    assert _versions(db_session, "loan-24-kuga") == [(1, True)]
    taken = client.post(f"{PAGES}/programs/new", data={**FORM, "csrf_token": csrf})
    assert taken.status_code == 409 and 'id="code-error"' in taken.text


def test_new_version_unchanged_and_retire(client, db_session, people):
    sign_in(client, people.finance)
    page = _get(client, f"{PAGES}/programs/loan-36")
    csrf = _csrf(page)
    form = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input id="\w+" name="(\w+)" type="\w+" value="([^"]*)"', page)
    }
    form.update(product="loan", model_code="mondeo", subvention_by="", csrf_token=csrf)
    same = client.post(f"{PAGES}/programs/loan-36", data=form, follow_redirects=False)
    assert same.headers["location"].endswith("?unchanged=1") and _versions(db_session, "loan-36") == [(1, True)]
    changed = client.post(f"{PAGES}/programs/loan-36", data={**form, "annual_rate": "0.0459"}, follow_redirects=False)
    assert changed.status_code == 303 and changed.headers["location"].endswith("?saved=1")
    assert _versions(db_session, "loan-36") == [(1, False), (2, True)]
    shown = _get(client, f"{PAGES}/programs/loan-36?saved=1")
    assert "Saved as a new version." in shown and shown.count("<tr>") >= 2 and "4.59%" in shown
    bad = client.post(f"{PAGES}/programs/loan-36", data={**form, "valid_to": "2020-01-01"})
    assert bad.status_code == 422 and 'id="valid_to-error"' in bad.text
    retired = client.post(f"{PAGES}/programs/loan-36/retire", data={"csrf_token": csrf}, follow_redirects=False)
    assert retired.status_code == 303 and _versions(db_session, "loan-36") == [(1, False), (2, False)]
    assert "This program is retired" in _get(client, f"{PAGES}/programs/loan-36?retired=1")
    assert client.get(f"{PAGES}/programs/no-such-program").status_code == 404


def test_import_shows_every_problem_and_writes_nothing_then_imports(client, db_session, people):
    sign_in(client, people.finance)
    csrf = _csrf(_get(client, f"{PAGES}/programs/import"))
    before = db_session.scalar(select(func.count()).select_from(RateProgram))
    bad = (
        "code,product,name_en,name_zh,term_months,annual_rate,valid_from,valid_to\n"
        "loan-72,loan,Loan,贷款,72,0.05,2026-01-01,2027-12-31\n"
        "loan-84,loan,Loan,贷款,84,5,2026-01-01,2027-12-31\n"
        "loan-96,loan,Loan,贷款,960,0.05,2026-01-01,2027-12-31\n"
    )
    refused = client.post(
        f"{PAGES}/programs/import",
        data={"csrf_token": csrf},
        files={"file": ("programs.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 422 and 'id="problems"' in refused.text
    assert re.search(r"<td class=\"num\">3</td><td>annual_rate</td><td>loan-84</td>", refused.text)
    assert re.search(r"<td class=\"num\">4</td><td>term_months</td><td>loan-96</td>", refused.text)
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(RateProgram)) == before

    zh = client.post(
        f"{PAGES}/programs/import?lang=zh-Hans",
        data={"csrf_token": csrf},
        files={"file": ("programs.csv", bad.encode(), "text/csv")},
    )
    assert zh.status_code == 422 and 'id="problems"' in zh.text

    good = bad.replace(",5,", ",0.05,").replace(",960,", ",96,")
    imported = client.post(
        f"{PAGES}/programs/import",
        data={"csrf_token": csrf},
        files={"file": ("programs.csv", good.encode(), "text/csv")},
    )
    assert imported.status_code == 200 and '<dd id="created">3</dd>' in imported.text
    again = client.post(
        f"{PAGES}/programs/import",
        data={"csrf_token": csrf},
        files={"file": ("programs.csv", good.encode(), "text/csv")},
    )
    assert '<dd id="unchanged">3</dd>' in again.text and '<dd id="created">0</dd>' in again.text
    nothing = client.post(f"{PAGES}/programs/import?lang=en", data={"csrf_token": csrf})
    assert nothing.status_code == 422 and "Choose a CSV or YAML file" in nothing.text


def test_residual_import_page(client, people):
    sign_in(client, people.admin)
    csrf = _csrf(_get(client, f"{PAGES}/residuals"))
    bad = "model_code,term_months,annual_mileage,residual_percent\nkuga,36,10000,0.5\nkuga,36,20000,0.6\n"
    refused = client.post(
        f"{PAGES}/residuals", data={"csrf_token": csrf}, files={"file": ("residuals.csv", bad.encode(), "text/csv")}
    )
    assert refused.status_code == 422 and "more driving must not raise the residual" in refused.text
    good = "residuals:\n- model_code: kuga\n  term_months: 36\n  annual_mileage: 10000\n  residual_percent: 0.57\n"
    done = client.post(
        f"{PAGES}/residuals",
        data={"csrf_token": csrf},
        files={"file": ("residuals.yaml", good.encode(), "application/yaml")},
    )
    assert done.status_code == 200 and '<dd id="replaced">1</dd>' in done.text and "57%" in done.text


def test_who_may_see_and_change(client, people):
    anonymous = client.get(f"{PAGES}/programs", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith(
        "/account/sign-in?next=/backoffice/finance"
    )
    for who in (people.staff, people.shopper):
        sign_in(client, who)
        for url in ("/programs", "/programs/new", "/programs/loan-36", "/residuals"):
            assert client.get(f"{PAGES}{url}").status_code == 403, url
    csrf = sign_in(client, people.store_finance)
    listing = _get(client, f"{PAGES}/programs")
    assert "New program" not in listing and "Export as CSV" in listing
    assert "readonly" in _get(client, f"{PAGES}/programs/loan-36")
    assert client.get(f"{PAGES}/programs/new").status_code == 403
    assert client.post(f"{PAGES}/programs/loan-36/retire", data={"csrf_token": csrf}).status_code == 403
    sign_in(client, people.admin)
    assert "New program" in _get(client, f"{PAGES}/programs")
    assert "/backoffice/vehicles" in _get(client, f"{PAGES}/programs")  # admins keep the whole navigation
    assert client.post(f"{PAGES}/programs/loan-36/retire", data={}).status_code == 403  # no CSRF token
