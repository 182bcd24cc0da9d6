"""Input a page cannot use is never silently replaced (issue 13, finding 3), in both languages:

- the test-drive booking page shows the days asked for, or says what was wrong with them (a start in the past, an
  end before the start, more than a month, a date it cannot read, a length not offered) and which days it shows
  instead;
- the vehicle searches (storefront and back office) name the limit a value went past ("Use at most 200
  characters.") rather than "This value is out of range".
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.testdrive.slot_picker import MAX_DAYS_SHOWN
from tests.backoffice.helpers import sign_in
from tests.factories import make_user
from tests.testdrive.helpers import NOW, Fleet, make_fleet
from tests.web.testdrive_forms import People, hold

BOOK = "/test-drives/book"
TODAY = "2026-12-01"  # tests/testdrive/helpers.NOW in Guangzhou
DATE_RANGE = ("from_invalid", "from_past", "to_invalid", "to_before_from", "range_too_long")


@pytest.fixture
def fleet(db_session: Session) -> Iterator[Fleet]:
    with clock.pinned(NOW):
        yield make_fleet(db_session)


def _adjusted(page: str) -> list[str]:
    return re.findall(r'<li data-what="([a-z_]+)">', page)


def _shown(page: str) -> tuple[str, str]:
    first = re.search(r'id="from" name="from" type="date" value="([^"]*)"', page)
    last = re.search(r'id="to" name="to" type="date" value="([^"]*)"', page)
    assert first and last
    return first.group(1), last.group(1)


@pytest.mark.parametrize(
    ("query", "what", "shown"),
    [
        ("from=2026-11-30", ["from_past"], ("2026-12-01", "2026-12-14")),
        ("from=garbage", ["from_invalid"], ("2026-12-01", "2026-12-14")),
        ("from=1999-12-31", ["from_invalid"], ("2026-12-01", "2026-12-14")),  # outside 2000..2100
        ("from=2026-12-05&to=2026-12-04", ["to_before_from"], ("2026-12-05", "2026-12-18")),
        ("to=2026-11-30", ["to_before_from"], ("2026-12-01", "2026-12-14")),
        ("from=2026-12-01&to=2027-01-01", ["range_too_long"], ("2026-12-01", "2026-12-14")),  # 32 days
        ("from=2026-12-05&to=nope", ["to_invalid"], ("2026-12-05", "2026-12-18")),
        ("from=2026-11-01&to=2026-11-02", ["from_past", "to_before_from"], ("2026-12-01", "2026-12-14")),
        ("kind=self_service&days=99", ["days_not_offered"], ("2026-12-01", "2026-12-14")),
        ("kind=self_service&days=0", ["days_not_offered"], ("2026-12-01", "2026-12-14")),
        ("minutes=45", ["minutes_not_offered"], ("2026-12-01", "2026-12-14")),
        ("minutes=abc", ["minutes_not_offered"], ("2026-12-01", "2026-12-14")),
        # What is honoured, with no note: today, one day, the longest range, every offered length.
        ("from=2026-12-01&to=2026-12-01", [], ("2026-12-01", "2026-12-01")),
        ("from=2026-12-01&to=2026-12-31", [], ("2026-12-01", "2026-12-31")),  # 31 days
        ("from=2026-12-10", [], ("2026-12-10", "2026-12-23")),
        ("kind=self_service&days=3&minutes=30", [], ("2026-12-01", "2026-12-14")),
        ("", [], ("2026-12-01", "2026-12-14")),
    ],
)
def test_the_booking_page_says_what_it_could_not_use_and_what_it_shows(client, fleet: Fleet, query, what, shown):
    response = client.get(f"{BOOK}?vin={fleet.dealer_cars[0].vin}&lang=en&{query}")
    assert response.status_code == 200, response.text[:300]
    assert _adjusted(response.text) == what
    assert _shown(response.text) == shown
    if set(what) & set(DATE_RANGE):
        first, last = (f"{d.split('-')[0]}" for d in shown)  # the years, to find the sentence
        sentence = re.search(r'<p id="range-shown">([^<]*)</p>', response.text)
        assert sentence and sentence.group(1).startswith("Showing free times from ")
        assert first in sentence.group(1) and last in sentence.group(1)
    else:
        assert 'id="range-shown"' not in response.text
    if not what:
        assert 'id="search-adjusted"' not in response.text


def test_the_booking_page_says_it_in_chinese(client, fleet: Fleet):
    response = client.get(f"{BOOK}?vin={fleet.dealer_cars[0].vin}&lang=zh-Hans&from=2026-11-30&days=99")
    assert "开始日期已过：空闲时段从今天开始。" in response.text
    assert "现改为显示 2026年12月1日 至 2026年12月14日 的空闲时段。" in response.text
    assert "不提供该时长：自助试驾为 1 至 3 天。" in response.text


def test_the_longest_range_is_the_finders_limit(client, fleet: Fleet):
    """The page's limit is the finder's: one more day is refused by the use case, so the page must adjust it."""
    from forecourt.testdrive.finder import MAX_RANGE_DAYS

    assert MAX_DAYS_SHOWN == MAX_RANGE_DAYS
    response = client.get(f"{BOOK}?vin={fleet.dealer_cars[0].vin}&lang=en&to=2027-01-01")
    assert _adjusted(response.text) == ["range_too_long"]
    assert f"at most {MAX_DAYS_SHOWN} days at a time" in response.text


def test_the_reschedule_page_says_it_too(client, fleet: Fleet, db_session: Session):
    people = People(db_session, fleet)
    sign_in(client, people.shopper)
    reference = hold(client, fleet.dealer_cars[0].vin)
    response = client.get(f"/test-drives/{reference}/reschedule?lang=en&from=2026-11-01&to=garbage")
    assert response.status_code == 200 and _adjusted(response.text) == ["from_past", "to_invalid"]
    assert 'id="range-shown"' in response.text


# --- the vehicle searches ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "says"),
    [("en", "Use at most 200 characters."), ("zh-Hans", "最多可输入 200 个字符。")],
)
def test_a_5000_character_search_names_the_limit(client, lang, says):
    response = client.get(f"/vehicles?lang={lang}&q={'x' * 5000}")
    assert response.status_code == 422 and says in response.text
    assert "out of range" not in response.text and "超出范围" not in response.text


def test_a_200_character_search_is_allowed(client):
    assert client.get(f"/vehicles?q={'x' * 200}").status_code == 200
    assert "Use at most 200 characters." in client.get(f"/vehicles?lang=en&q={'x' * 201}").text


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("price_max=100000001", "Enter 100,000,000 or less."),
        ("price_min=-1", "Enter 0 or more."),
        ("price_min=1.234", "Use at most 2 decimal places."),
        ("page_size=0", "Enter 1 or more."),
        ("page=0", "Enter 1 or more."),
        ("year_min=1979", "Enter 1980 or more."),
        ("year_max=2101", "Enter 2100 or less."),
        ("mileage_max=2000001", "Enter 2,000,000 or less."),
        ("model_year=1979", "Enter 1980 or more."),
    ],
)
def test_each_search_limit_is_named(client, query, says):
    response = client.get(f"/vehicles?lang=en&{query}")
    assert response.status_code == 422 and html.unescape(says) in html.unescape(response.text), query


def test_every_wrong_search_field_is_reported_at_once(client):
    response = client.get(f"/vehicles?lang=en&q={'x' * 300}&price_max=100000001&page_size=0")
    for says in ("Use at most 200 characters.", "Enter 100,000,000 or less.", "Enter 1 or more."):
        assert says in response.text
    assert f'value="{"x" * 300}"' in response.text  # what was typed stays in the box


def test_the_back_office_search_names_the_limit(client, db_session: Session):
    staff = make_user(db_session, roles=[("admin", None)])
    db_session.commit()
    sign_in(client, staff)
    response = client.get(f"/backoffice/vehicles?lang=zh-Hans&q={'x' * 5000}")
    assert response.status_code == 422 and "最多可输入 200 个字符。" in response.text


def test_the_date_fields_are_named_as_dates_in_chinese(client, fleet: Fleet):
    """The booking form's From/To are days, not the price filter's lowest/highest (最低/最高)."""
    response = client.get(f"{BOOK}?vin={fleet.dealer_cars[0].vin}&lang=zh-Hans")
    assert '<label for="from">开始日期</label>' in response.text and '<label for="to">结束日期</label>' in response.text
