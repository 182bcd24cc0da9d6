"""Storefront pages through the ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from forecourt.catalog.vin import build_vin
from tests.factories import make_small_catalog, make_vehicle

HTML = {"accept": "text/html"}


@pytest.fixture
def stock(db_session):
    cat = make_small_catalog(db_session)
    t, s, c = cat["trims"], cat["stores"], cat["colours"]
    vehicles = {
        "mondeo": make_vehicle(db_session, t["mondeo-ecoboost180"], s["gz-tianhe"], c["white"], price="169800.00"),
        "hybrid": make_vehicle(db_session, t["mondeo-hybrid"], s["sh-pudong"], c["white"]),
        "kuga": make_vehicle(db_session, t["kuga-ecoboost245"], s["gz-tianhe"], c["black"], mileage_km=1200),
        "sold": make_vehicle(db_session, t["kuga-ecoboost245"], s["gz-tianhe"], c["black"], status="sold"),
    }
    vehicles["kuga"].offer_price = Decimal("239800.00")
    vehicles["kuga"].price = Decimal("239800.00")
    db_session.commit()
    return vehicles


def _get(client, url, headers=None, **kwargs):
    response = client.get(url, headers={**HTML, **(headers or {})}, **kwargs)
    assert response.headers["content-type"].startswith("text/html"), response.text[:300]
    return response


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            ['<html lang="en">', "Find your next car", "Mondeo", "From CN¥179,800.00", "Guangzhou", "Store gz-tianhe"],
        ),
        (
            "zh-Hans",
            ['<html lang="zh-Hans">', "找到您的下一辆车", "蒙迪欧", "¥179,800.00 起", "广州", "门店 gz-tianhe"],
        ),
    ],
)
def test_home_in_both_languages(client, stock, lang, expected):
    response = _get(client, f"/?lang={lang}")
    assert response.status_code == 200
    for text in expected:
        assert text in response.text
    assert 'href="/vehicles?model=navigator"' in response.text  # every model, even without stock


def test_search_shows_results_and_disjunctive_facet_counts(client, stock):
    response = _get(client, "/vehicles?body_type=suv&city=guangzhou&lang=en")
    assert response.status_code == 200
    page = response.text
    assert "1 car found" in page
    assert f'href="/vehicles/{stock["kuga"].vin}"' in page
    assert stock["mondeo"].vin not in page  # a sedan: filtered out
    assert 'id="f-body_type-suv" name="body_type" value="suv" checked' in page
    # Disjunctive: with SUV chosen, the sedans in Guangzhou are still counted on the sedan box.
    assert '<label for="f-body_type-sedan">Sedan <span class="count">1</span></label>' in page
    assert '<label for="f-city-shanghai">Shanghai <span class="count">0</span>' not in page  # no Shanghai SUV
    assert "CN¥239,800.00" in page and "<s>CN¥249,800.00</s>" in page  # offer and struck-out list price
    assert 'alt="Kuga EcoBoost 245 4WD in Agate Black"' in page


def test_search_in_chinese_with_text_query_and_sort(client, stock):
    response = _get(client, "/vehicles", params={"q": "蒙迪欧", "sort": "-price", "lang": "zh-Hans"})
    assert response.status_code == 200
    page = response.text
    assert "找到 2 辆车" in page
    assert page.index("¥252,800.00") < page.index("¥169,800.00")  # price high to low
    assert '<option value="-price" selected>价格从高到低</option>' in page
    assert 'value="蒙迪欧"' in page  # the query is echoed back into the search box


def test_pagination_links_keep_the_filters(client, stock):
    page = _get(client, "/vehicles?page_size=1&sort=price&lang=en").text
    assert "3 cars found" in page
    assert 'href="/vehicles?page_size=1&amp;sort=price&amp;lang=en&amp;page=2"' in page
    assert 'aria-current="page">1</a>' in page
    assert '<input type="hidden" name="page_size" value="1">' in page  # kept when the filters change


@pytest.mark.parametrize(
    ("query", "lang", "message"),
    [
        ("price_min=cheap", "en", "<strong>Lowest price</strong>: Enter a number."),
        ("model=model-t", "en", "<strong>Model</strong>: We don&#39;t know this value."),
        ("price_min=300000&price_max=100000", "en", "The lowest price is higher than the highest price."),
        ("page_size=1000", "en", "<strong>Results per page</strong>: Enter 100 or less."),
        ("body_type=spaceship", "zh-Hans", "<strong>车身类型</strong>：请从提供的选项中选择。"),
        ("model_year=1850", "zh-Hans", "请输入不小于 1980 的数值。"),
    ],
)
def test_invalid_search_is_a_friendly_422_page(client, stock, query, lang, message):
    response = _get(client, f"/vehicles?{query}&lang={lang}")
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert message.replace("：", ": ") in response.text.replace("：", ": ")
    assert 'id="search-form"' in response.text  # the form is still there to fix the search


def test_unknown_parameters_such_as_tracking_tags_are_ignored(client, stock):
    assert _get(client, "/vehicles?utm_source=baidu&lang=en").status_code == 200


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "Kuga <span",
                "Offer price",
                "CN¥239,800.00",
                "<s>CN¥249,800.00</s>",
                "You save",
                "CN¥10,000.00",
                "1,200 km",
                "6.5 L/100 km",
                "1 Test Road",
                "Available",
            ],
        ),
        ("zh-Hans", ["翼虎 <span", "优惠价", "¥239,800.00", "节省", "1,200公里", "测试路1号", "在售", "规格参数"]),
    ],
)
def test_vehicle_page_in_both_languages(client, stock, lang, expected):
    vin = stock["kuga"].vin
    response = _get(client, f"/vehicles/{vin}?lang={lang}")
    assert response.status_code == 200
    for text in expected:
        assert text in response.text
    assert "https://uri.amap.com/marker?position=113.264385%2C23.129110" in response.text
    assert vin in response.text


def test_unknown_vin_is_a_404_page_and_malformed_vin_a_422_page(client, stock):
    vin = build_vin("LVS", "HCAMB", 2018, "Z", 999_999)  # valid check digit, no such car
    unknown = _get(client, f"/vehicles/{vin}?lang=zh-Hans")
    assert unknown.status_code == 404
    assert f"找不到车架号为 {vin} 的车辆" in unknown.text
    malformed = _get(client, "/vehicles/NOT-A-VIN?lang=en")
    assert malformed.status_code == 422
    assert "“NOT-A-VIN” is not a valid VIN" in malformed.text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Opening hours", "Monday", "9:00\u202fAM–6:00\u202fPM", "Dealer showroom", "China Time"]),
        ("zh-Hans", ["营业时间", "星期一", "09:00–18:00", "经销商展厅", "中国时间"]),
    ],
)
def test_store_pages(client, stock, lang, expected):
    listing = _get(client, f"/stores?lang={lang}")
    assert listing.status_code == 200
    assert 'href="/stores/gz-self-service"' in listing.text
    detail = _get(client, f"/stores/gz-tianhe?lang={lang}")
    assert detail.status_code == 200
    for text in expected:
        assert text in detail.text
    assert 'href="/vehicles?store=gz-tianhe"' in detail.text
    assert "openstreetmap.org/?mlat=23.129110&amp;mlon=113.264385" in detail.text
    assert _get(client, "/stores/atlantis").status_code == 404


def test_lang_parameter_sets_a_cookie_that_later_pages_remember(client, stock):
    first = _get(client, "/?lang=en", headers={"accept-language": "zh-CN"})
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("lang=en;")
    assert "Max-Age=31536000" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert first.headers["content-language"] == "en"
    assert "Accept-Language" in first.headers["vary"] and "Cookie" in first.headers["vary"]
    later = client.get("/stores", headers={**HTML, "accept-language": "zh-CN"})
    assert '<html lang="en">' in later.text  # the cookie beats the browser's Chinese
    assert "set-cookie" not in later.headers  # nothing new to remember


def test_without_cookie_accept_language_then_default_decide(client, stock):
    assert '<html lang="en">' in client.get("/", headers={"accept-language": "en-GB,en;q=0.9"}).text
    assert '<html lang="zh-Hans">' in client.get("/", headers={"accept-language": "fr"}).text  # default zh-Hans


def test_language_switch_keeps_the_current_url(client, stock):
    page = _get(client, "/vehicles?body_type=suv&lang=en").text
    assert 'id="lang-switch" class="lang-switch" href="/vehicles?body_type=suv&amp;lang=zh-Hans"' in page


def test_photos_fall_back_to_the_placeholder_drawing(client):
    response = client.get("/static/photos/demo/mondeo/1.jpg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert client.get("/static/css/site.css").status_code == 200
    assert client.get("/static/js/htmx.min.js").status_code == 200


def test_api_errors_stay_problem_json_and_browsers_get_an_html_404(client):
    api = client.get("/api/v1/vehicles/NOT-A-VIN", headers=HTML)
    assert api.status_code == 422 and api.headers["content-type"].startswith("application/problem+json")
    assert client.get("/no-such-page").headers["content-type"].startswith("application/problem+json")
    browser = _get(client, "/no-such-page?lang=en")
    assert browser.status_code == 404 and "We couldn&#39;t find that page." in browser.text


def test_pages_keep_to_what_a_strict_content_security_policy_allows(client, stock):
    """No inline scripts, event-handler attributes or style attributes (script-src/style-src 'self')."""
    for url in ("/", "/vehicles", f"/vehicles/{stock['kuga'].vin}", "/stores", "/stores/gz-tianhe", "/vehicles/BAD"):
        page = _get(client, url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert not re.search(r"\son[a-z]+\s*=", page), url
        assert not re.search(r"\sstyle\s*=", page) and "<style" not in page, url


def test_wrong_method_on_a_page_is_a_405_page_with_allow(client):
    response = client.post("/stores?lang=en")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers.get("allow") == "GET"


def test_an_unexpected_error_on_a_page_is_a_translated_500_page(client, monkeypatch):
    from forecourt.catalog import service

    def broken(session):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "list_stores", broken)
    response = _get(client, "/stores?lang=zh-Hans")
    assert response.status_code == 500
    assert "我们这边出了点问题" in response.text and "boom" not in response.text
