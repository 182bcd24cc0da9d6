"""The back-office form that opens a recall campaign (/backoffice/recalls/new): both languages, each target kind,
the preview of the cars covered (nothing written), every refusal re-rendered beside its field with what was typed,
a double submit opening one campaign, and who may use it (admins, as in the API)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.audit.models import AuditEvent
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.recalls import campaign_form
from forecourt.ownership.recalls.messages import MESSAGES
from forecourt.ownership.recalls.models import RecallCampaign
from tests.backoffice.helpers import sign_in
from tests.factories import make_small_catalog, make_user
from tests.ownership.service_bookings.helpers import installed

NEW = "/backoffice/recalls/new"
A = "LVSHCAMB1TZ000100"
B = "LVSHCAMB7TZ000950"
FORM = {
    "code": "s-2026-031",
    "title_en": "Brake hose may chafe",
    "title_zh": "制动软管可能磨损",
    "remedy_en": "Replace the front brake hoses.",
    "remedy_zh": "更换前制动软管。",
    "target": "model_year",
    "vins": "",
    "vin_from": "",
    "vin_to": "",
    "model_code": "kuga",
    "year_from": "2023",
    "year_to": "2024",
}


@dataclass
class People:
    admin: Any
    staff: Any
    finance: Any
    shopper: Any


@pytest.fixture
def people(db_session: Session) -> People:
    catalog = make_small_catalog(db_session)
    store = catalog["stores"]["gz-tianhe"]
    found = People(
        admin=make_user(db_session, roles=[("admin", None)]),
        staff=make_user(db_session, roles=[("store_staff", store.id)]),
        finance=make_user(db_session, roles=[("finance_officer", None)]),
        shopper=make_user(db_session, roles=[("shopper", None)]),
    )
    db_session.commit()
    return found


@pytest.fixture
def cars() -> Iterator[list[OwnedCar]]:
    """Owned cars the preview counts: two Kugas of 2023 and 2024, one of 2022, a Mondeo of 2024."""

    def car(serial: int, model: str, year: int) -> OwnedCar:
        return OwnedCar(f"LVSHCAMB1TZ{serial:06d}", 1, 1, model, "ice", year, date(2025, 1, 1), 0)

    fleet = [car(101, "kuga", 2023), car(102, "kuga", 2024), car(103, "kuga", 2022), car(960, "mondeo", 2024)]
    yield from (fleet for _ in installed(fleet))


def _form_page(client, lang: str = "en") -> tuple[str, dict[str, str]]:
    page = client.get(NEW, params={"lang": lang})
    assert page.status_code == 200, page.text[:300]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    return page.text, {name: html.unescape(value) for name, value in hidden.items()}


def _post(client, tokens: dict[str, str], lang: str = "en", **changes: str):
    data = {**FORM, **tokens, "action": "open", **changes}
    return client.post(NEW, params={"lang": lang}, data=data, follow_redirects=False)


def _campaigns(session: Session) -> list[RecallCampaign]:
    session.expire_all()
    return list(session.scalars(select(RecallCampaign).order_by(RecallCampaign.code)))


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Open a recall campaign", "A VIN range", "Preview the cars covered", "Title in Chinese"]),
        ("zh-Hans", ["发起召回活动", "VIN 区间", "预览覆盖的车辆", "中文标题"]),
    ],
)
def test_the_form_renders_in_both_languages(client, people, lang, words):
    sign_in(client, people.admin)
    page, hidden = _form_page(client, lang)
    assert f'lang="{lang}"' in page
    for word in words:
        assert word in page, word
    assert hidden["csrf_token"] and len(hidden["idempotency_key"]) == 36
    assert '<option value="kuga">' in page  # the catalog's models are offered
    figures = client.get("/backoffice/recalls", params={"lang": lang}).text
    assert 'href="/backoffice/recalls/new"' in figures
    assert 'href="/backoffice/recalls/new"' in client.get("/backoffice/service", params={"lang": lang}).text


def test_a_model_and_years_campaign_is_opened(client, db_session, people):
    sign_in(client, people.admin)
    _, tokens = _form_page(client)
    opened = _post(client, tokens)
    assert opened.status_code == 303 and opened.headers["location"] == "/backoffice/recalls?opened=S-2026-031"
    [campaign] = _campaigns(db_session)
    assert (campaign.code, campaign.target_kind, campaign.model_code) == ("S-2026-031", "model_year", "kuga")
    assert (campaign.year_from, campaign.year_to, campaign.remedy_zh) == (2023, 2024, "更换前制动软管。")
    assert campaign.created_by == people.admin.id
    audit = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "recall.created")).one()
    assert audit.object_id == "S-2026-031"
    shown = client.get(opened.headers["location"] + "&lang=en").text
    assert 'id="opened"' in shown and "S-2026-031" in shown


def test_a_pasted_vin_list_and_a_vin_range_are_read(client, db_session, people):
    sign_in(client, people.admin)
    _, tokens = _form_page(client)
    pasted = f"{A.lower()}\r\n{B}, LVSHCAMB1TZ000101；LVSHCAMB1TZ000101\n\n"
    assert _post(client, tokens, code="R-LIST", target="vins", vins=pasted).status_code == 303
    _, tokens = _form_page(client)
    assert _post(client, tokens, code="R-RANGE", target="vin_range", vin_from=A, vin_to=B.lower()).status_code == 303
    listed, ranged = _campaigns(db_session)
    assert listed.target_kind == "vins" and listed.vins == sorted({A, B, "LVSHCAMB1TZ000101"})
    assert (ranged.target_kind, ranged.vin_from, ranged.vin_to) == ("vin_range", A, B)
    assert ranged.vins == [] and ranged.model_code == ""  # the other kinds' fields are not stored


def test_a_double_submit_opens_one_campaign(client, db_session, people):
    sign_in(client, people.admin)
    _, tokens = _form_page(client)
    first, again = _post(client, tokens), _post(client, tokens)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert len(_campaigns(db_session)) == 1
    _, fresh = _form_page(client)
    taken = _post(client, fresh)  # a new form with the same code: the code is taken
    assert taken.status_code == 409 and 'id="code-error"' in taken.text
    preview = _post(client, fresh, action="preview")  # the preview says so before anyone presses Open
    assert preview.status_code == 200 and 'id="code-error"' in preview.text and 'id="reach"' in preview.text
    assert MESSAGES["code_taken"] in taken.text and len(_campaigns(db_session)) == 1


def test_the_preview_counts_the_cars_covered_and_writes_nothing(client, db_session, people, cars):
    sign_in(client, people.admin)
    _, tokens = _form_page(client)
    preview = _post(client, tokens, action="preview")
    assert preview.status_code == 200 and "This recall covers 2 owned cars today." in preview.text
    assert 'value="S-2026-031"' not in preview.text and 'value="s-2026-031"' in preview.text  # as typed
    one = _post(client, tokens, action="preview", year_from="2024", lang="zh-Hans")
    assert one.status_code == 200 and 'id="reach"' in one.text and "1" in one.text
    every_year = _post(client, tokens, action="preview", year_from="", year_to="")
    assert "covers 3 owned cars" in every_year.text
    vins = _post(client, tokens, action="preview", target="vins", vins="LVSHCAMB1TZ000960")
    assert "covers 1 owned car today." in vins.text
    assert _campaigns(db_session) == []
    assert _post(client, tokens).status_code == 303  # the same form's key then opens it


_LONG = "x" * 201
REFUSALS = [
    ({"code": ""}, "code", "code"),
    ({"code": "S 2026/031"}, "code", "code"),
    ({"code": "S" * 21}, "code", "code"),
    ({"title_en": ""}, "title_en", "title"),
    ({"title_zh": "   "}, "title_zh", "title"),
    ({"title_en": _LONG}, "title_en", "title"),
    ({"remedy_en": "y" * 2001}, "remedy_en", "remedy"),
    ({"target": ""}, "target", "target"),
    ({"target": "dealer"}, "target", "target"),
    ({"target": "vins", "vins": " , \n"}, "vins", "vins_empty"),
    ({"target": "vins", "vins": f"{A}\nLVSHCAMB1TZ00010"}, "vins", "vins_bad"),
    ({"target": "vins", "vins": f"{A[:-1]}Ａ"}, "vins", "vins_bad"),  # a full-width letter is no VIN character
    ({"target": "vins", "vins": "\n".join(f"bad{n}" for n in range(7))}, "vins", "vins_bad"),
    ({"target": "vin_range", "vin_from": "", "vin_to": B}, "vin_from", "vin_end"),
    ({"target": "vin_range", "vin_from": A, "vin_to": B + "1"}, "vin_to", "vin_end"),
    ({"target": "vin_range", "vin_from": A, "vin_to": "LVSHCAMB1SZ000950"}, "vin_to", "vin_family"),
    ({"target": "vin_range", "vin_from": B, "vin_to": A}, "vin_to", "vin_order"),
    ({"model_code": ""}, "model_code", "model"),
    ({"model_code": "Kuga Vignale!"}, "model_code", "model"),
    ({"year_from": "1989"}, "year_from", "year"),
    ({"year_to": "2101"}, "year_to", "year"),
    ({"year_from": "二〇二三"}, "year_from", "year"),
    ({"year_to": "24"}, "year_to", "year"),
    ({"year_from": "2025", "year_to": "2024"}, "year_to", "year_order"),
]


@pytest.mark.parametrize(("changes", "field", "key"), REFUSALS)
def test_every_refusal_is_shown_beside_its_field_with_what_was_typed(client, db_session, people, changes, field, key):
    sign_in(client, people.admin)
    _, tokens = _form_page(client)
    refused = _post(client, tokens, **changes)
    assert refused.status_code == 422, refused.text[:300]
    shown = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', refused.text)
    assert shown, refused.text
    bad = sorted(v.upper() for v in re.split(r"[\s,]+", changes.get("vins", "")) if v and v.upper() != A)
    expected = MESSAGES[key] % {"vins": ", ".join(bad[:5])}  # the first five bad VINs are named
    assert html.unescape(shown.group(1)) == expected
    assert 'value="Brake hose may chafe"' in refused.text or changes.get("title_en") is not None
    assert "制动软管可能磨损" in refused.text or "title_zh" in changes  # what was typed is kept
    assert _campaigns(db_session) == []


def test_refusals_are_translated(client, db_session, people):
    sign_in(client, people.admin)
    _, tokens = _form_page(client, "zh-Hans")
    refused = _post(client, tokens, "zh-Hans", code="", target="vins", vins="LVSHCAMB1TZ00010")
    assert refused.status_code == 422
    assert "请更正下面标出的字段" in refused.text
    code_error = re.search(r'id="code-error">([^<]*)<', refused.text)
    vins_error = re.search(r'id="vins-error">([^<]*)<', refused.text)
    assert code_error and vins_error
    assert code_error.group(1) != MESSAGES["code"] and "活动编号" in html.unescape(code_error.group(1))
    assert "LVSHCAMB1TZ00010" in vins_error.group(1) and "VIN" in vins_error.group(1)


def test_an_expired_form_is_refused_at_the_top(client, db_session, people):
    sign_in(client, people.admin)
    _, tokens = _form_page(client)
    refused = _post(client, {**tokens, "idempotency_key": ""})
    assert refused.status_code == 422 and "This form has expired" in refused.text
    assert _campaigns(db_session) == []


@pytest.mark.parametrize("who", ["staff", "finance", "shopper"])
def test_only_admins_may_open_a_campaign(client, db_session, people, who):
    csrf = sign_in(client, getattr(people, who))
    assert client.get(NEW, follow_redirects=False).status_code == 403
    posted = client.post(NEW, data={**FORM, "csrf_token": csrf, "idempotency_key": "k" * 36}, follow_redirects=False)
    assert posted.status_code == 403 and _campaigns(db_session) == []
    if who == "staff":  # staff read the figures, without the link to the form
        figures = client.get("/backoffice/recalls", params={"lang": "en"}).text
        assert "/backoffice/recalls/new" not in figures
        assert "/backoffice/recalls/new" not in client.get("/backoffice/service").text


def test_anonymous_visitors_are_sent_to_sign_in(client, db_session, people):
    got = client.get(NEW, follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"] == "/account/sign-in?next=/backoffice/recalls/new"
    assert client.post(NEW, data=FORM, follow_redirects=False).status_code in (303, 403)
    assert _campaigns(db_session) == []


# --- the form's reading (pure) ---------------------------------------------------------------------------------------


def test_split_vins_takes_the_separators_staff_paste():
    text = "a1, b2;c3\td4\r\ne5，f6、g7；a1"
    assert campaign_form.split_vins(text) == {"A1", "B2", "C3", "D4", "E5", "F6", "G7"}


def test_the_most_vins_a_list_may_hold():
    many = "\n".join(f"LVSHCAMB1TZ{n:06d}" for n in range(campaign_form.MAX_VINS))
    values = {**FORM, "target": "vins", "vins": many}
    form, issues = campaign_form.read_form(values)
    assert issues == [] and form is not None and len(form.target.vins) == campaign_form.MAX_VINS
    assert len(many) < campaign_form.VINS_TEXT_LIMIT
    over = many + "\nLVSHCAMB1TZ999999"
    assert campaign_form.read_form({**values, "vins": over}) == (None, [("vins", "vins_too_many", "")])


@pytest.mark.parametrize(("year", "accepted"), [("1990", True), ("2100", True), ("1989", False), ("2101", False)])
def test_model_year_ends(year, accepted):
    form, issues = campaign_form.read_form({**FORM, "year_from": year, "year_to": ""})
    assert (
        (form is not None and form.target.year_from == int(year)) if accepted else issues == [("year_from", "year", "")]
    )


def test_titles_of_200_characters_are_accepted():
    form, issues = campaign_form.read_form({**FORM, "title_en": "x" * 200, "remedy_zh": "y" * 2000})
    assert issues == [] and form is not None


def test_the_fields_of_other_kinds_are_ignored():
    form, issues = campaign_form.read_form({**FORM, "vins": "not a vin", "vin_from": "x"})
    assert issues == [] and form is not None and form.target.vins == frozenset()
