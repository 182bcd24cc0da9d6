"""Every form answers every problem at once and keeps what was typed (issue 13, finding 3), in both languages.

For each storefront and back-office form in scope — the credit application, the vehicle page's "Ask about this
car", the back office's decision on an application — the form is posted empty, then with one bad value per field
while every other field is right: one answer must name exactly the wrong fields (no second round), echo every
other typed value, and never echo a secret (the ID number, the income), saying instead that it was cleared.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.catalog.models import Vehicle
from forecourt.core import clock
from tests.backoffice.helpers import sign_in
from tests.finance.credit.helpers import (
    GOOD_ID,
    INCOME,
    NO_FILE_ID,
    NOW,
    Finance,
    applicant,
    body,
    make_finance,
    submit,
)
from tests.marketing.leads.helpers import make_world

APPLY = "/finance/apply"
REVIEW = "/backoffice/finance/review"
CONSENTS = {"application": ("credit_check", "share_with_provider"), "prequalification": ("prequalification",)}
# What a browser sends for the untouched form: the select has its first option, every text is empty.
EMPTY_FORM = {
    "full_name": "",
    "id_type": "resident_id",
    "id_number": "",
    "date_of_birth": "",
    "address": "",
    "employer": "",
    "employment_months": "",
    "monthly_income": "",
    "monthly_housing_cost": "",
    "monthly_other_debts": "",
}
REQUIRED = {"full_name", "id_number", "date_of_birth", "address", "employer", "employment_months", "monthly_income"}
ECHOED = ("full_name", "date_of_birth", "address", "employer", "employment_months", "monthly_housing_cost")
CLEARED = {
    "en": "For your privacy we did not send your ID number and your income back to your browser",
    "zh-Hans": "为保护您的隐私，我们没有将您的证件号码和收入发回浏览器",
}


@pytest.fixture
def fin(db_session: Session) -> Iterator[Finance]:
    with clock.pinned(NOW):
        yield make_finance(db_session)


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def _errors(page: str, prefix: str = "") -> set[str]:
    return set(re.findall(rf'id="{prefix}([a-z_]+)-error"', page))


def _apply(client, fin: Finance, fields: dict, *, kind: str = "application", consents=None, lang: str = "en"):
    page = client.get(f"{APPLY}?quote={fin.quote}&lang={lang}")
    assert page.status_code == 200, page.text[:300]
    data = {
        **fields,
        "csrf_token": _hidden(page.text, "csrf_token"),
        "idempotency_key": _hidden(page.text, "idempotency_key"),
        "quote": fin.quote,
        "kind": kind,
        **{f"consent_{p}": "yes" for p in (CONSENTS[kind] if consents is None else consents)},
    }
    return client.post(f"{APPLY}?lang={lang}", data=data, follow_redirects=False)


def _good_form(**changes: str) -> dict[str, str]:
    return {name: str(value) for name, value in {**applicant(), **changes}.items()}


def _assert_kept(page: str, form: dict[str, str], *, except_for: str = "") -> None:
    for name in ECHOED:
        if name != except_for:
            assert f'name="{name}"' in page and f'value="{html.escape(form[name])}"' in page, name
    assert GOOD_ID not in page and INCOME not in page and "31,234" not in page


# --- the credit application ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
@pytest.mark.parametrize("kind", ["application", "prequalification"])
def test_an_empty_application_names_every_field_and_consent_in_one_answer(client, fin, lang, kind):
    sign_in(client, fin.users["shopper"])
    response = _apply(client, fin, EMPTY_FORM, kind=kind, consents=(), lang=lang)
    assert response.status_code == 422 and response.headers["content-language"] == lang
    expected = REQUIRED | set(CONSENTS[kind])
    assert _errors(response.text) == expected
    assert set(re.findall(r'<li data-field="([a-z_]+)">', response.text)) == expected  # the summary lists them
    assert 'id="secrets-cleared"' not in response.text  # nothing typed, nothing cleared


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_every_field_wrong_at_once_is_reported_at_once_and_the_typed_values_kept(client, fin, lang):
    sign_in(client, fin.users["shopper"])
    form = _good_form(
        full_name="Z",
        id_number="440106199003071232",
        date_of_birth="someday",
        address="abc",
        employer="",
        employment_months="ten",
        monthly_income="lots",
        monthly_housing_cost="-5",
        monthly_other_debts="1.234",
    )
    response = _apply(client, fin, form, consents=("credit_check",), lang=lang)
    assert response.status_code == 422
    assert _errors(response.text) == REQUIRED - {"id_type"} | {
        "monthly_housing_cost",
        "monthly_other_debts",
        "share_with_provider",
    }
    _assert_kept(response.text, form)
    assert 'id="consent_credit_check" name="consent_credit_check" value="yes" checked' in response.text
    assert CLEARED[lang] in response.text and 'id="id_number-cleared"' in response.text


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("full_name", "Z"),
        ("full_name", "Z" * 61),  # one past the limit: refused, not cut to 60
        ("id_type", "driving_licence"),
        ("id_number", "440106199003071232"),  # wrong check character
        ("date_of_birth", "garbage"),
        ("date_of_birth", "1990-03-08"),  # not the ID's birth date
        ("address", "abc"),
        ("address", "A" * 201),
        ("employer", ""),
        ("employer", "E" * 121),
        ("employment_months", "x"),
        ("employment_months", "1201"),
        ("monthly_income", "abc"),
        ("monthly_income", "-1"),
        ("monthly_housing_cost", "nine"),
        ("monthly_other_debts", "1.234"),
    ],
)
def test_one_bad_field_is_the_only_error_and_every_other_value_is_kept(client, fin, field, bad):
    sign_in(client, fin.users["shopper"])
    form = _good_form(**{field: bad})
    response = _apply(client, fin, form)
    assert response.status_code == 422, response.text[:300]
    assert _errors(response.text) == {field}
    _assert_kept(response.text, form, except_for=field)
    if field in ECHOED and field != "date_of_birth":  # a date input cannot hold "garbage"
        assert f'value="{html.escape(bad)}"' in response.text  # the wrong value too, to correct it
    assert 'id="secrets-cleared"' in response.text


@pytest.mark.parametrize("kind", ["application", "prequalification"])
def test_a_missing_consent_alone_is_the_only_error(client, fin, kind):
    sign_in(client, fin.users["shopper"])
    form = _good_form()
    response = _apply(client, fin, form, kind=kind, consents=CONSENTS[kind][1:])
    assert response.status_code == 422 and _errors(response.text) == {CONSENTS[kind][0]}
    _assert_kept(response.text, form)


def test_the_longest_allowed_values_are_accepted(client, fin):
    sign_in(client, fin.users["shopper"])
    form = _good_form(full_name="Z" * 60, address="A" * 200, employer="E" * 120, employment_months="1200")
    assert _apply(client, fin, form).status_code == 303


def test_a_post_without_a_kind_says_so_and_still_checks_the_fields(client, fin):
    sign_in(client, fin.users["shopper"])
    response = _apply(client, fin, _good_form(full_name="Z"), kind="application", consents=())
    assert _errors(response.text) == {"full_name", "credit_check", "share_with_provider"}
    page = client.get(f"{APPLY}?quote={fin.quote}")
    data = {**_good_form(), "csrf_token": _hidden(page.text, "csrf_token"), "quote": fin.quote, "kind": "loan"}
    data["idempotency_key"] = _hidden(page.text, "idempotency_key")
    refused = client.post(f"{APPLY}?lang=en", data=data)
    assert refused.status_code == 422 and 'data-code="invalid_kind"' in refused.text
    assert "Choose Pre-qualify or Apply" in refused.text


def test_the_api_names_the_missing_consents_with_the_applicant_errors(client, fin):
    response = submit(client, fin.headers["shopper"], body(fin.quote, consents=[], full_name="Z"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_applicant"
    assert problem["missing_consents"] == ["credit_check", "share_with_provider"]
    assert [e["field"] for e in problem["errors"]] == [
        "full_name",
        "consents.credit_check",
        "consents.share_with_provider",
    ]
    alone = submit(client, fin.headers["shopper"], body(fin.quote, consents=["credit_check"])).json()
    assert alone["code"] == "consent_required" and alone["missing_consents"] == ["share_with_provider"]


# --- the back office's decision on an application ---------------------------------------------------------------


def _in_review(client, fin: Finance) -> str:
    sign_in(client, fin.users["shopper"])
    response = _apply(client, fin, _good_form(id_number=NO_FILE_ID, date_of_birth="1985-06-15"))
    assert response.status_code == 303, response.text[:300]
    client.cookies.clear()
    return response.headers["location"].rsplit("/", 1)[1]


@pytest.mark.parametrize(
    ("data", "wrong"),
    [
        ({}, {"outcome", "reason"}),
        ({"outcome": "maybe", "reason": "Bank statements checked"}, {"outcome"}),
        ({"outcome": "approved", "reason": "ok"}, {"reason"}),
        ({"outcome": "approved", "reason": "R" * 501}, {"reason"}),  # refused and kept, not cut to 500
    ],
)
def test_the_decision_form_names_every_wrong_field_and_keeps_the_reason(client, fin, data, wrong):
    reference = _in_review(client, fin)
    csrf = sign_in(client, fin.users["officer_a"])
    response = client.post(f"{REVIEW}/{reference}/decision?lang=zh-Hans", data={"csrf_token": csrf, **data})
    assert response.status_code == 422 and _errors(response.text) == wrong
    if data.get("reason"):
        assert f">{data['reason']}</textarea>" in response.text
    if data.get("outcome") == "approved":
        assert 'value="approved" checked' in response.text


# --- "Ask about this car" on the vehicle page --------------------------------------------------------------------


@pytest.fixture
def vin(db_session: Session) -> str:
    make_world(db_session)
    return db_session.scalars(select(Vehicle.vin)).first()


GOOD_CONTACT = {"name": "Han Meimei", "mobile": "13800138000", "email": "han@example.com", "message": "Still there?"}


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_an_empty_question_names_name_contact_and_consent_at_once(client, vin, lang):
    response = client.post(f"/vehicles/{vin}/contact?lang={lang}", data={"name": "", "mobile": "", "message": ""})
    assert response.status_code == 422 and _errors(response.text, "cf-") == {"name", "mobile", "consent"}


@pytest.mark.parametrize(
    ("field", "bad", "says"),
    [
        ("name", "", "Please give your name."),
        ("name", "N" * 61, "Use at most 60 characters."),
        ("mobile", "123", "This is not a mainland mobile number."),
        ("email", "nope", "This is not an e-mail address."),
        ("message", "M" * 1001, "Use at most 1000 characters."),
        ("consent", "", "Please agree to be contacted"),
    ],
)
def test_one_bad_contact_field_is_the_only_error_and_the_rest_is_kept(client, vin, field, bad, says):
    data = {**GOOD_CONTACT, "consent": "yes", field: bad}
    response = client.post(f"/vehicles/{vin}/contact?lang=en", data=data)
    assert response.status_code == 422 and _errors(response.text, "cf-") == {field}
    assert says in response.text
    for name in ("name", "mobile", "email"):
        if name != field:
            assert f'value="{html.escape(data[name])}"' in response.text, name
    if field != "message":
        assert f">{data['message']}</textarea>" in response.text
    if field != "consent":
        assert 'id="cf-consent" name="consent" type="checkbox" value="yes" checked' in response.text


def test_the_longest_allowed_contact_values_are_accepted(client, vin):
    data = {**GOOD_CONTACT, "name": "N" * 60, "message": "M" * 1000, "consent": "yes"}
    response = client.post(f"/vehicles/{vin}/contact", data=data, follow_redirects=False)
    assert response.status_code == 303


def test_the_contact_form_limits_are_in_chinese_too(client, vin):
    data = {**GOOD_CONTACT, "name": "N" * 61, "message": "M" * 1001, "consent": "yes"}
    response = client.post(f"/vehicles/{vin}/contact?lang=zh-Hans", data=data)
    assert "最多可输入 60 个字符。" in response.text and "最多可输入 1000 个字符。" in response.text
