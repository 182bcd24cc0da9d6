"""The per-program charge per km over a lease's allowance (`excess_km_rate`) in rate-program files, the API and the
back-office form: leases and lease-to-own only, 0 < rate ≤ 10 with at most 4 decimal places, CNY 0.50 when not
given (also for a file written before the column), and exact through export → import on both databases."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecourt.finance import models
from forecourt.finance.models import RateProgram
from forecourt.finance.programs import files
from forecourt.finance.programs.messages import MESSAGES
from tests.backoffice.helpers import sign_in
from tests.factories import auth_headers, make_small_catalog, make_token, make_user
from tests.finance.factories import make_provider

API = "/api/v1/finance"
PAGES = "/backoffice/finance"
LEASE = {
    "code": "lease-36",
    "product": "lease",
    "name_en": "Lease",
    "name_zh": "租赁",
    "term_months": "36",
    "annual_rate": "0.036",
    "money_factor": "0.0015",
    "valid_from": "2026-01-01",
    "valid_to": "2027-12-31",
}
LOAN = {**LEASE, "code": "loan-36", "product": "loan", "money_factor": ""}
LTO = {**LEASE, "code": "lto-36", "product": "lease_to_own", "money_factor": "", "purchase_price": "1.00"}


def _parse(**changes: object) -> tuple[files.ProgramFields | None, dict[str, str]]:
    base = LOAN if changes.get("product") in ("loan", "balloon") else LEASE
    program, problems = files.parse_program({**base, **changes})
    return program, dict(problems)


# --- the rule (pure) ------------------------------------------------------------------------------------------------


def test_the_default_is_the_tables_default():
    assert files.DEFAULT_EXCESS_KM_RATE == models.DEFAULT_EXCESS_KM_RATE == Decimal("0.50")


@pytest.mark.parametrize(
    ("rate", "accepted"),
    [
        ("0", False),  # the lower end is excluded
        ("0.0001", True),  # the smallest rate with 4 places
        ("0.00001", False),  # 5 places
        ("0.50000", True),  # trailing zeros are not places
        ("9.9999", True),
        ("10", True),  # the upper end is included
        ("10.0000", True),
        ("10.0001", False),
        ("11", False),
        ("-0.5", False),
        ("0.1234", True),
        ("0.12345", False),
    ],
)
def test_rate_boundaries(rate, accepted):
    program, problems = _parse(excess_km_rate=rate)
    if accepted:
        assert problems == {} and program is not None and program.excess_km_rate == Decimal(rate)
    else:
        assert problems == {"excess_km_rate": MESSAGES["excess_km_rate"]}


@pytest.mark.parametrize("text", ["0,50", "¥0.50", "0.5 CNY", "NaN", "1e1", "Infinity"])
def test_a_rate_not_written_as_a_number_is_refused(text):
    assert _parse(excess_km_rate=text)[1] == {"excess_km_rate": MESSAGES["number"]}


@pytest.mark.parametrize("product", ["lease", "lease_to_own"])
def test_leases_and_lease_to_own_take_a_rate_or_the_default(product):
    base = LEASE if product == "lease" else LTO
    given_rate, _ = files.parse_program({**base, "excess_km_rate": "1.25"})
    empty, _ = files.parse_program({**base, "excess_km_rate": ""})
    absent, _ = files.parse_program(base)  # a file or request from before the column
    assert given_rate is not None and given_rate.excess_km_rate == Decimal("1.25")
    assert empty is not None and empty.excess_km_rate == Decimal("0.50")
    assert absent is not None and absent.excess_km_rate == Decimal("0.50")


@pytest.mark.parametrize("product", ["loan", "balloon"])
def test_other_products_refuse_a_rate_and_have_none(product):
    changes = {"product": product, "max_balloon_percent": "0.4" if product == "balloon" else "0"}
    assert _parse(**changes, excess_km_rate="0.50")[1] == {"excess_km_rate": MESSAGES["excess_km_rate_lease_only"]}
    program, problems = _parse(**changes, excess_km_rate="")
    assert problems == {} and program is not None and program.excess_km_rate is None


def test_a_typed_decimal_is_checked_like_text():
    assert _parse(excess_km_rate=Decimal("10.00001"))[1] == {"excess_km_rate": MESSAGES["excess_km_rate"]}
    assert _parse(excess_km_rate=0.5)[1] == {"excess_km_rate": MESSAGES["number"]}  # a float lost exactness


RATES = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10), places=4, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(rate=RATES, fmt=st.sampled_from(files.FORMATS), product=st.sampled_from(("lease", "lease_to_own")))
def test_every_valid_rate_round_trips_exactly_through_a_file(rate, fmt, product):
    base = LEASE if product == "lease" else LTO
    program, problems = files.parse_program({**base, "excess_km_rate": str(rate)})
    assert program is not None and not problems
    exported = files.format_programs([program], fmt)
    parsed = files.parse_programs(exported, fmt)
    assert parsed.problems == []
    [(_, again)] = parsed.rows
    assert again.excess_km_rate == rate and again == program
    assert files.format_programs([again], fmt) == exported


def test_a_bad_rate_in_a_file_is_reported_with_its_line_and_column():
    header = "code,product,name_en,name_zh,term_months,annual_rate,money_factor,excess_km_rate,valid_from,valid_to\n"
    csv_file = (
        header
        + "lease-36,lease,Lease,租赁,36,0.036,0.0015,0.75,2026-01-01,2027-12-31\n"
        + "lease-48,lease,Lease,租赁,48,0.036,0.0015,10.5,2026-01-01,2027-12-31\n"
        + "loan-36,loan,Loan,贷款,36,0.05,,0.50,2026-01-01,2027-12-31\n"
    )
    parsed = files.parse_programs(csv_file.encode(), "csv")
    assert [(p.line, p.column, p.key, p.message) for p in parsed.problems] == [
        (3, "excess_km_rate", "lease-48", MESSAGES["excess_km_rate"]),
        (4, "excess_km_rate", "loan-36", MESSAGES["excess_km_rate_lease_only"]),
    ]
    yaml_file = (
        "programs:\n- code: lease-36\n  product: lease\n  name_en: Lease\n  name_zh: 租赁\n  term_months: 36\n"
        "  annual_rate: 0.036\n  money_factor: 0.0015\n  excess_km_rate: 0.00001\n"
        "  valid_from: 2026-01-01\n  valid_to: 2027-12-31\n"
    )
    problems = files.parse_programs(yaml_file.encode(), "yaml").problems
    assert [(p.line, p.column) for p in problems] == [(2, "excess_km_rate")]


def test_the_export_writes_the_column_after_the_lease_end_fees():
    program, _ = files.parse_program({**LEASE, "excess_km_rate": "0.80"})
    loan, _ = files.parse_program(LOAN)
    assert program is not None and loan is not None
    exported = files.format_programs([program, loan], "csv").decode("utf-8-sig").splitlines()
    assert ",disposition_fee,excess_km_rate,valid_from," in exported[0]
    assert ",0.8,2026-01-01," in exported[1] and ",,2026-01-01," in exported[2]  # lease 0.8; the loan none
    assert b"excess_km_rate: '0.8'" in files.format_programs([program], "yaml")


# --- the API and files on both databases ----------------------------------------------------------------------------


@pytest.fixture
def finance(db_session: Session) -> dict[str, str]:
    make_small_catalog(db_session)
    make_provider(db_session)
    headers = auth_headers(make_token(db_session, make_user(db_session, roles=[("finance_officer", None)])))
    db_session.commit()
    return headers


def _body(values: dict[str, str], **changes: str) -> dict[str, object]:
    body = {k: v for k, v in {**values, **changes}.items() if v != ""}
    body["term_months"] = int(str(body["term_months"]))
    return body


def _rows(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(RateProgram))


def test_the_api_creates_shows_and_changes_the_rate(client, db_session, finance):
    created = client.post(f"{API}/programs", json=_body(LEASE, excess_km_rate="0.75"), headers=finance)
    assert created.status_code == 201, created.text
    assert created.json()["excess_km_rate"] == "0.75"
    default = client.post(f"{API}/programs", json=_body(LTO), headers=finance)
    assert default.status_code == 201 and default.json()["excess_km_rate"] == "0.5"
    loan = client.post(f"{API}/programs", json=_body(LOAN), headers=finance)
    assert loan.status_code == 201 and loan.json()["excess_km_rate"] is None
    changed = client.put(f"{API}/programs/lease-36", json=_body(LEASE, excess_km_rate="1.2"), headers=finance)
    assert changed.json()["new_version"] is True and changed.json()["excess_km_rate"] == "1.2"
    stored = db_session.scalars(select(RateProgram).where(RateProgram.code == "lease-36", RateProgram.is_current))
    assert stored.one().excess_km_rate == Decimal("1.2")


@pytest.mark.parametrize(
    ("values", "rate", "message"),
    [
        (LEASE, "0", "excess_km_rate"),
        (LEASE, "10.0001", "excess_km_rate"),
        (LEASE, "0.12345", "excess_km_rate"),
        (LOAN, "0.50", "excess_km_rate_lease_only"),
    ],
)
def test_the_api_refuses_a_bad_rate_by_field(client, db_session, finance, values, rate, message):
    before = _rows(db_session)
    response = client.post(f"{API}/programs", json=_body(values, excess_km_rate=rate), headers=finance)
    assert response.status_code == 422 and response.json()["code"] == "invalid_program"
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [("excess_km_rate", MESSAGES[message])]
    assert _rows(db_session) == before


def _upload(client, headers: dict[str, str], content: bytes, name: str = "programs.csv"):
    return client.post(
        f"{API}/programs/import", headers=headers, files={"file": (name, content, "application/octet-stream")}
    )


def test_a_file_with_a_bad_rate_is_refused_with_line_and_column_and_changes_nothing(client, db_session, finance):
    assert client.post(f"{API}/programs", json=_body(LEASE, excess_km_rate="0.75"), headers=finance).status_code == 201
    before = _rows(db_session)
    header = "code,product,name_en,name_zh,term_months,annual_rate,money_factor,excess_km_rate,valid_from,valid_to\n"
    bad = (
        header
        + "lease-36,lease,Lease,租赁,36,0.036,0.0015,0.90,2026-01-01,2027-12-31\n"  # a good change, not applied
        + "lease-48,lease,Lease,租赁,48,0.036,0.0015,-1,2026-01-01,2027-12-31\n"
    )
    response = _upload(client, finance, bad.encode())
    assert response.status_code == 422 and response.json()["code"] == "file_rejected"
    assert [(p["line"], p["column"], p["key"]) for p in response.json()["problems"]] == [
        (3, "excess_km_rate", "lease-48")
    ]
    assert _rows(db_session) == before
    current = client.get(f"{API}/programs", params={"product": "lease"}).json()
    assert [(p["code"], p["excess_km_rate"]) for p in current] == [("lease-36", "0.75")]


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_export_then_import_gives_the_same_rates_and_changes_nothing(client, db_session, finance, fmt):
    rates = ["0.0001", "0.5", "0.1234", "9.9999", "10"]
    for term, rate in zip((12, 24, 36, 48, 60), rates, strict=True):
        body = _body(LEASE, code=f"lease-{term}", term_months=str(term), excess_km_rate=rate)
        assert client.post(f"{API}/programs", json=body, headers=finance).status_code == 201
    assert client.post(f"{API}/programs", json=_body(LOAN), headers=finance).status_code == 201
    exported = client.get(f"{API}/programs/export", params={"format": fmt}, headers=finance)
    parsed = files.parse_programs(exported.content, fmt)
    assert parsed.problems == []
    assert {p.code: p.excess_km_rate for _, p in parsed.rows} == {
        **{f"lease-{t}": Decimal(r) for t, r in zip((12, 24, 36, 48, 60), rates, strict=True)},
        "loan-36": None,
    }
    again = _upload(client, finance, exported.content, f"programs.{fmt}")
    assert again.status_code == 200 and again.json()["created"] == again.json()["updated"] == []
    assert client.get(f"{API}/programs/export", params={"format": fmt}, headers=finance).content == exported.content
    db_session.expire_all()
    stored = db_session.scalars(select(RateProgram).where(RateProgram.product == "lease")).all()
    assert sorted(p.excess_km_rate for p in stored) == sorted(Decimal(r) for r in rates)


def test_an_older_file_without_the_column_gives_leases_the_default(client, db_session, finance):
    old = (
        "code,product,name_en,name_zh,term_months,annual_rate,money_factor,valid_from,valid_to\n"
        "lease-36,lease,Lease,租赁,36,0.036,0.0015,2026-01-01,2027-12-31\n"
        "loan-36,loan,Loan,贷款,36,0.05,,2026-01-01,2027-12-31\n"
    )
    assert _upload(client, finance, old.encode()).json()["created"] == ["lease-36", "loan-36"]
    shown = {p["code"]: p["excess_km_rate"] for p in client.get(f"{API}/programs").json()}
    assert shown == {"lease-36": "0.5", "loan-36": None}
    assert _upload(client, finance, old.encode()).json()["unchanged"] == ["lease-36", "loan-36"]


# --- the back-office form -------------------------------------------------------------------------------------------


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert found
    return html.unescape(found.group(1))


def _form_values(page: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input id="\w+" name="(\w+)" type="\w+" value="([^"]*)"', page)
    }


@pytest.mark.parametrize(("lang", "label"), [("en", "Charge per km over the allowance (CNY)"), ("zh-Hans", "超里程")])
def test_the_form_shows_and_saves_the_rate(client, db_session, finance, lang, label):
    officer = make_user(db_session, roles=[("finance_officer", None)])
    db_session.commit()
    assert client.post(f"{API}/programs", json=_body(LEASE, excess_km_rate="0.75"), headers=finance).status_code == 201
    sign_in(client, officer)
    page = client.get(f"{PAGES}/programs/lease-36?lang={lang}")
    assert page.status_code == 200 and label in page.text
    form = _form_values(page.text)
    assert form["excess_km_rate"] == "0.75"
    form.update(product="lease", model_code="", subvention_by="", csrf_token=_csrf(page.text))
    refused = client.post(f"{PAGES}/programs/lease-36?lang={lang}", data={**form, "excess_km_rate": "12"})
    assert refused.status_code == 422 and 'id="excess_km_rate-error"' in refused.text
    assert 'value="12"' in refused.text  # what was typed is kept
    saved = client.post(f"{PAGES}/programs/lease-36", data={**form, "excess_km_rate": "0.9"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    assert client.get(f"{API}/programs", params={"product": "lease"}).json()[0]["excess_km_rate"] == "0.9"
    listing = client.get(f"{PAGES}/programs?lang={lang}").text
    assert re.search(r'<td class="num">0\.9</td>', listing)


def test_the_new_program_form_refuses_a_rate_on_a_loan(client, db_session, finance):
    officer = make_user(db_session, roles=[("finance_officer", None)])
    db_session.commit()
    sign_in(client, officer)
    client.headers["Accept-Language"] = "en"
    page = client.get(f"{PAGES}/programs/new").text
    form = {**_form_values(page), **LOAN, "model_code": "", "subvention_by": "", "csrf_token": _csrf(page)}
    refused = client.post(f"{PAGES}/programs/new", data={**form, "excess_km_rate": "0.5"})
    assert refused.status_code == 422 and "Only leases and lease-to-own programs" in refused.text
    created = client.post(f"{PAGES}/programs/new", data={**form, "excess_km_rate": ""}, follow_redirects=False)
    assert created.status_code == 303
    lto = {**form, **LTO, "excess_km_rate": "0.6"}
    assert client.post(f"{PAGES}/programs/new", data=lto, follow_redirects=False).status_code == 303
    assert {p["code"]: p["excess_km_rate"] for p in client.get(f"{API}/programs").json()} == {
        "loan-36": None,
        "lto-36": "0.6",
    }
