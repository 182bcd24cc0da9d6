"""The class of issue 13, finding 4: no page offers an action to someone who cannot take it.

For every role (signed out, and each demo role, plus staff of another store and a marketer who is also staff
elsewhere), the pages in scope — the vehicle page (a car in each status), the quote pages (open, the shopper's,
expired, of a car reserved since), the lead list and a lead, the shopper's order pages and the back office's —
are rendered; every POST form on them is collected from the HTML and submitted as rendered (its hidden fields,
each select's chosen option, its first named submit button), each on the same world (rolled back after), and
every link to an action page (reserve, apply, new quote, book a test drive) is followed. A form or link offered
to the wrong role ends in 401/403/404/405/409, or in a sign-in page for someone signed in, and fails the test.
A 422 is allowed: the form is right to be there and says what to fill in (empty text fields are sent empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session

from forecourt.core import clock
from tests.backoffice.helpers import sign_in
from tests.finance.quotes.helpers import NOW
from tests.web.action_world import ActionWorld, make_action_world, rolled_back

ROLES = (
    "anonymous",
    "shopper",
    "store_staff",
    "other_store_staff",
    "finance_officer",
    "marketer",
    "staff_and_marketer",
    "admin",
)
REFUSED = {401, 403, 404, 405, 409}
ACTION_PAGES = ("/orders/new", "/finance/apply", "/quotes/new", "/test-drives/book")


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    submit: tuple[str, str] | None = None


class _Collector(HTMLParser):
    """The forms (with the values a browser would send untouched) and the links of one page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self._form = Form(self.page, a.get("action") or self.page, (a.get("method") or "get").lower())
            return
        form, name = self._form, a.get("name")
        if form is None:
            return
        kind = a.get("type", "submit" if tag == "button" else "text")
        if tag in ("input", "button") and kind == "submit":
            if name and form.submit is None:
                form.submit = (name, a.get("value", ""))
        elif tag == "input" and name:
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.setdefault(name, a.get("value") or "on")
            else:
                form.fields.setdefault(name, a.get("value", ""))
        elif tag == "textarea" and name:
            form.fields.setdefault(name, "")
        elif tag == "select" and name:
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self._form is not None:
            name, options = self._select
            chosen = next((v for v, selected in options if selected), options[0][0] if options else "")
            self._form.fields.setdefault(name, chosen)
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _pages(world: ActionWorld) -> list[str]:
    cars = world.cars
    return [
        *(f"/vehicles/{car.vin}" for car in cars.values()),
        f"/quotes/new?vin={cars['available'].vin}",
        f"/quotes/new?vin={cars['in_transit'].vin}",
        f"/quotes/{world.open_quote}",
        f"/quotes/{world.shopper_quote}",
        f"/quotes/{world.expired_quote}",
        f"/quotes/{world.quote_of_reserved_car}",
        "/backoffice/leads",
        f"/backoffice/leads/{world.lead_reference}",
        "/orders",
        f"/orders/{world.order_reference}",
        f"/orders/new?quote={world.cash_quote}",
        "/backoffice/orders",
        f"/backoffice/orders/{world.order_reference}",
    ]


def _signed_in_elsewhere(response, signed_in: bool) -> bool:
    return signed_in and response.status_code in (302, 303) and "/account/sign-in" in response.headers["location"]


@pytest.fixture
def world(db_session: Session) -> Iterator[ActionWorld]:
    with clock.pinned(NOW):
        yield make_action_world(db_session)


@pytest.mark.parametrize("role", ROLES)
def test_every_offered_form_and_action_link_can_be_used_by_whoever_sees_it(client, db_connection, world, role):
    signed_in = role != "anonymous"
    if signed_in:
        sign_in(client, world.users[role])
    cookies = dict(client.cookies)
    forms: list[Form] = []
    links: set[tuple[str, str]] = set()
    with clock.pinned(NOW):
        for url in _pages(world):
            response = client.get(url + ("&" if "?" in url else "?") + "lang=en", follow_redirects=False)
            if response.status_code != 200:  # a page this role may not open offers them nothing
                continue
            collector = _Collector(url)
            collector.feed(response.text)
            forms += [f for f in collector.forms if f.method == "post"]
            links |= {(url, href) for href in collector.links if urlsplit(href).path in ACTION_PAGES}

        failures = []
        for form in forms:
            data = dict(form.fields)
            if form.submit:
                data.setdefault(*form.submit)
            with rolled_back(db_connection):
                answer = client.post(form.action, data=data, follow_redirects=False)
            client.cookies.clear()  # signing out (a form of every page) must not sign this role out of the rest
            client.cookies.update(cookies)
            if answer.status_code in REFUSED or _signed_in_elsewhere(answer, signed_in):
                failures.append(f"{form.page}: POST {form.action} {sorted(data)} → {answer.status_code}")
        for page, href in sorted(links):
            answer = client.get(href, follow_redirects=False)
            if answer.status_code in REFUSED or _signed_in_elsewhere(answer, signed_in):
                failures.append(f"{page}: link {href} → {answer.status_code}")
    assert not failures, f"{role} is offered what they cannot do:\n" + "\n".join(failures)
    _the_pages_offered_something(role, forms, links, world)


def _the_pages_offered_something(role: str, forms: list[Form], links: set[tuple[str, str]], world) -> None:
    """The check above is only as good as the pages it saw: each role must have met the actions meant for it."""
    actions = {urlsplit(f.action).path for f in forms}
    hrefs = {href for _, href in links}
    assert "/quotes" in actions and f"/vehicles/{world.cars['available'].vin}/contact" in actions
    assert f"/orders/new?quote={world.cash_quote}" in hrefs or role not in ("shopper",)
    lead_actions = {a for a in actions if a.startswith("/backoffice/leads/")}
    if role in ("store_staff", "admin"):
        assert f"/backoffice/leads/tasks/{world.task_id}/complete" in lead_actions
        assert f"/backoffice/leads/{world.lead_reference}/stage" in lead_actions
        assert f"/backoffice/orders/{world.order_reference}/confirm" in actions
    else:
        assert not lead_actions  # marketers and the rest read leads, if at all, without a button
    if role == "shopper":
        assert f"/orders/{world.order_reference}/cancel" in actions and "/orders/new" in actions
    if role == "store_staff":
        assert f"/backoffice/leads/{world.lead_reference}/reveal" in lead_actions
