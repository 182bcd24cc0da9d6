"""Language negotiation, locale formatting and the message catalogs. Pure: no database."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

from forecourt.web import i18n

SRC = Path(i18n.__file__).resolve().parents[1]  # src/forecourt
TRANSLATIONS = i18n.TRANSLATIONS_DIR


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "default", "expected"),
    [
        ("en", "zh-Hans", "zh-CN", "zh-Hans", "en"),  # ?lang= beats everything
        ("zh-hans", None, "en", "en", "zh-Hans"),  # any case
        ("fr", "en", "zh-CN", "zh-Hans", "en"),  # an unsupported ?lang= is ignored: the cookie decides
        (None, "en", "zh-CN,zh;q=0.9", "zh-Hans", "en"),  # cookie beats Accept-Language
        (None, "klingon", "en-GB,en;q=0.8", "zh-Hans", "en"),  # junk cookie ignored
        (None, None, "fr-FR, en-US;q=0.7, zh;q=0.8", "en", "zh-Hans"),  # highest q among supported
        (None, None, "zh-TW", "en", "zh-Hans"),  # every Chinese tag reads zh-Hans
        (None, None, "en;q=0, zh;q=0", "zh-Hans", "zh-Hans"),  # q=0 means "not this one"
        (None, None, "fr, de", "en", "en"),  # nothing supported: the default
        (None, None, "*", "zh-Hans", "zh-Hans"),
        (None, None, None, "zh-Hans", "zh-Hans"),
        (None, None, ";;;,q=x,", "en", "en"),  # malformed header: no error
    ],
)
def test_negotiation_order(query, cookie, accept, default, expected):
    assert i18n.negotiate_language(query, cookie, accept, default) == expected


@pytest.mark.parametrize(
    ("url", "headers", "expected"),
    [
        ("/x?lang=en", {"cookie": "lang=zh-Hans", "accept-language": "zh-CN"}, "en"),
        ("/x", {"cookie": "lang=en", "accept-language": "zh-CN"}, "en"),
        ("/x", {"accept-language": "zh-CN"}, "zh-Hans"),
        ("/x", {}, "zh-Hans"),  # the app's default
    ],
)
def test_a_requests_language_is_read_from_the_query_the_cookie_the_header_then_the_default(url, headers, expected):
    app = Starlette()
    app.state.settings = SimpleNamespace(default_language="zh-Hans")
    seen = []

    async def endpoint(request: Request) -> PlainTextResponse:
        seen.append(i18n.request_language(request))
        return PlainTextResponse("")

    app.add_route("/x", endpoint)
    TestClient(app).get(url, headers=headers)
    assert seen == [expected]


def test_accept_language_keeps_header_order_for_equal_quality():
    assert i18n.parse_accept_language("zh-CN, en;q=0.5, fr") == ["zh-CN", "fr", "en"]


@pytest.mark.parametrize(
    ("amount", "lang", "expected"),
    [
        (Decimal("179800.00"), "zh-Hans", "¥179,800.00"),
        (Decimal("179800.00"), "en", "CN¥179,800.00"),
        (Decimal("1348000"), "zh-Hans", "¥1,348,000.00"),
        (Decimal("0.125"), "en", "CN¥0.13"),  # half up at the boundary where a figure is shown
        (Decimal("0.135"), "zh-Hans", "¥0.14"),
    ],
)
def test_money_is_formatted_per_locale(amount, lang, expected):
    assert i18n.format_money(amount, "CNY", lang) == expected


def test_money_refuses_float():
    with pytest.raises(TypeError):
        i18n.format_money(179800.0, "CNY", "en")  # type: ignore[arg-type]


def test_dates_numbers_units_and_days():
    moment = datetime(2018, 6, 30, 20, 0, tzinfo=UTC)  # already 1 July in Shanghai
    assert i18n.format_day(moment, "en", "Asia/Shanghai") == "July 1, 2018"
    assert i18n.format_day(moment, "zh-Hans", "Asia/Shanghai") == "2018年7月1日"
    assert i18n.format_km(12345, "en") == "12,345 km"
    assert i18n.format_km(12345, "zh-Hans") == "12,345公里"
    assert i18n.format_clock("09:00", "en") == "9:00\u202fAM"  # CLDR puts a narrow no-break space there
    assert i18n.format_clock("09:00", "zh-Hans") == "09:00"
    assert i18n.weekday_names("en")["mon"] == "Monday"
    assert i18n.weekday_names("zh-Hans")["sun"] == "星期日"


def test_localized_picks_the_language_column():
    row = {"name_en": "Mondeo", "name_zh": "蒙迪欧"}
    assert i18n.localized(row, "name", "en") == "Mondeo"
    assert i18n.localized(row, "name", "zh-Hans") == "蒙迪欧"


def test_catalog_translates_a_known_message():
    assert i18n.get_translations("zh-Hans").gettext("Cars in stock") == "现车库存"
    assert i18n.get_translations("en").gettext("Cars in stock") == "Cars in stock"


def _catalog(lang_dir: str):
    with open(TRANSLATIONS / lang_dir / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def test_every_message_in_the_code_is_translated_into_chinese():
    """Extract the msgids as pybabel would; each must have a current (non-fuzzy) Chinese translation."""
    method_map = [
        ("web/**.py", "python"),
        ("catalog/pages.py", "python"),
        ("accounts/pages.py", "python"),
        ("web/templates/**.html", "jinja2"),
    ]
    extracted = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(SRC), method_map)
    }
    catalog = _catalog("zh_Hans")
    untranslated = sorted(
        msgid
        for msgid in extracted
        if not (entry := catalog.get(msgid))
        or entry.fuzzy
        or not all(entry.string if isinstance(entry.string, tuple) else [entry.string])
    )
    assert not untranslated, f"untranslated (see web/babel.cfg for the commands): {untranslated}"


@pytest.mark.parametrize("lang_dir", ["zh_Hans", "en"])
def test_compiled_catalogs_match_their_sources(lang_dir):
    """The committed .mo is what `pybabel compile` makes of the committed .po, byte for byte."""
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(lang_dir))
    committed = (TRANSLATIONS / lang_dir / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert compiled.getvalue() == committed, "run `pybabel compile -d web/translations` (see web/babel.cfg)"
