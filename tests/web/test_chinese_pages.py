"""The class of issue 13, finding 6: a Chinese page says everything in Chinese.

Every GET page of the route table is rendered in zh-Hans on the whole demo (tests/web/demo_site.py), as the
first demo role that may open it, and its visible text is read as a person would meet it: text nodes outside
script, style and hidden elements, plus the attributes a browser shows or reads aloud (title, placeholder, alt,
aria-label, a button's value). A run of text holding a Latin word fails unless the word is a name the Chinese
catalog itself writes in Latin letters (Ford, Kuga, EcoBoost...), a demo person's own name, a unit or code that
is read out as it is (CNY, VIN, APR, PDF...), or a part of a VIN, a reference, an e-mail or web address.
All offenders are reported at once, page by page. A new page is covered without a change here; a new path
parameter without a demo value (demo_site.path_values) fails the test, naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from forecourt.accounts.models import User
from forecourt.app import create_app
from forecourt.catalog.models import Brand, Colour, Option, Store, Trim, VehicleModel
from forecourt.core.db import make_engine, make_session_factory, transaction
from tests.backoffice.test_access_matrix import iter_routes
from tests.web.demo_site import DemoSite, build_demo_site, sign_in

# Not pages: probes, downloads (CSV, PDF, calendar file) and photos.
NOT_PAGES = re.compile(r"^/(healthz|readyz|metrics|static/)|\.(csv|pdf|ics)$")
STOREFRONT_ROLES = ("anonymous", "shopper", "owner", "subscriber")
BACKOFFICE_ROLES = ("store_staff", "finance_officer", "marketer", "admin")
# Names and codes a Chinese page writes in Latin letters too: the product, the language switch's "English" (a
# language is offered in its own name), the map service, and abbreviations read out as they are.
CODES = {"Forecourt", "English", "OpenStreetMap", "CNY", "VIN", "APR", "PDF", "CSV", "YAML", "JSON", "ics", "API"}
CODES |= {"ID", "km", "UTC", "SUV", "MPV", "PTI", "DTI", "LTV", "ROAS"}
# Not words to translate: e-mail and web addresses, paths, VINs and references (8 to 17 capitals and digits), and
# codes of capitals with a digit (6AT, 5W-30, R-KUGA-HOSE-01, B1) or hyphenated with a digit (loan-36-escort).
NOT_WORDS = re.compile(
    r"\S+@\S+|https?://\S+|(?<!\S)/\S+|\b[A-Z0-9]{8,17}\b|\b(?=[A-Z0-9-]*\d)[A-Z0-9]+(?:-[A-Z0-9]+)*\b"
    r"|\b(?=[\w-]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+\b"
)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}(?:['’][A-Za-z]+)*")  # one letter (a credit tier "A") is a code
LITERAL = ("code", "kbd", "samp")  # marked up as something to type or read exactly as written
SHOWN_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """The runs of text a person sees or hears on a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, hides what is inside)

    def _hidden(self) -> bool:
        return any(hides for _, hides in self._open)

    def _literal(self) -> bool:
        return any(tag in LITERAL for tag, _ in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        hides = tag in ("script", "style", "template") or "hidden" in a or a.get("aria-hidden") == "true"
        hides = hides or (tag == "head" and not self._hidden())
        if tag == "title":
            hides = False  # shown in the tab, though inside <head>
        if not (hides or self._hidden()) or tag == "title":
            self.runs += [a[name] for name in SHOWN_ATTRIBUTES if a.get(name)]
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.runs.append(a["value"])
        if tag not in VOID:
            self._open.append((tag, hides and tag != "title"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth][0] == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        title = bool(self._open) and self._open[-1][0] == "title"
        if (title or not (self._hidden() or self._literal())) and data.strip():
            self.runs.append(" ".join(data.split()))


def visible_runs(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.runs


def untranslated(runs: list[str], allowed: set[str]) -> list[str]:
    return sorted({run for run in runs if any(w not in allowed for w in LATIN_WORD.findall(NOT_WORDS.sub(" ", run)))})


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    return build_demo_site(tmp_path_factory.mktemp("demo-site"))


@pytest.fixture(scope="module")
def allowed(site: DemoSite) -> set[str]:
    """Latin words that are names: as the Chinese catalog writes its brands, models, trims, colours, options and
    stores, and the demo's people as they call themselves."""
    engine = make_engine(site.settings.database_url)
    with transaction(make_session_factory(engine)) as session:
        columns = (Brand.name_zh, VehicleModel.name_zh, Trim.name_zh, Colour.name_zh, Option.name_zh, Store.name_zh)
        names = [name for column in (*columns, User.display_name) for name in session.scalars(select(column))]
    engine.dispose()
    return CODES | {word for name in names for word in LATIN_WORD.findall(name)}


@pytest.fixture(scope="module")
def clients(site: DemoSite) -> Iterator[dict[str, TestClient]]:
    app = create_app(site.settings)
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        by_role = {"anonymous": anonymous}
        for role in (*STOREFRONT_ROLES[1:], *BACKOFFICE_ROLES):
            by_role[role] = TestClient(app, raise_server_exceptions=False)
            sign_in(by_role[role], role)
        for client in by_role.values():
            client.cookies.set("lang", "zh-Hans")
        yield by_role
    app.state.engine.dispose()


def _page_paths(site: DemoSite) -> tuple[list[str], list[str]]:
    """Each GET page with its path parameters filled from the demo, and the parameters the demo cannot fill."""
    app = create_app(site.settings)
    pages, unfilled = [], []
    for route in iter_routes(app.routes):
        if "GET" not in route.methods or route.path.startswith("/api/") or NOT_PAGES.search(route.path):
            continue
        path = route.path
        for name in route.param_convertors:
            value = next(
                (v for k, v in site.path_values.items() if k.startswith(f"{name}@") and k.split("@")[1] in path),
                site.path_values.get(name),
            )
            if value is None:
                unfilled.append(f"{route.path} {{{name}}}")
                break
            path = re.sub(r"\{" + name + r"(:[^}]*)?\}", value, path)
        else:
            query = site.queries.get(route.path)
            pages.append(f"{path}?{query}" if query else path)
    app.state.engine.dispose()
    return pages, unfilled


def _elsewhere(answer) -> bool:
    return answer.is_redirect and not answer.headers["location"].startswith("/account/sign-in")


def test_every_chinese_page_says_everything_in_chinese(site, allowed, clients):
    pages, unfilled = _page_paths(site)
    assert not unfilled, f"path parameters with no demo value (add them to tests/web/demo_site.py): {unfilled}"
    unopened, offenders = [], {}
    for page in pages:
        roles = BACKOFFICE_ROLES if page.startswith("/backoffice") else STOREFRONT_ROLES
        answer, sent_on = None, False
        for role in roles:  # the first role that may open it
            tried = clients[role].get(page, follow_redirects=False)
            if tried.status_code == 200:
                answer = tried
                break
            sent_on = sent_on or _elsewhere(tried)
        if answer is None and sent_on:
            continue  # a route that only sends on to a page of its own (/backoffice to its first section)
        if answer is None or not answer.headers["content-type"].startswith("text/html"):
            unopened.append(page)
            continue
        assert '<html lang="zh-Hans">' in answer.text, page
        if found := untranslated(visible_runs(answer.text), allowed):
            offenders[page] = found
    report = "\n".join(f"{page}:\n" + "\n".join(f"    {run!r}" for run in runs) for page, runs in offenders.items())
    assert not offenders, f"untranslated text on {len(offenders)} Chinese pages:\n{report}"
    assert not unopened, f"no demo role could open these pages (200, HTML): {unopened}"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>价格 <b>Price</b></p>", ["Price"]),
        ('<p hidden>Hidden</p><script>var x = "code"</script><style>p{color:red}</style><p>可见</p>', []),
        ('<input type="hidden" name="next" value="/x"><input type="submit" value="Send">', ["Send"]),
        ('<img alt="Kuga in Agate Black"><a title="Open" aria-label="打开">打开</a>', ["Kuga in Agate Black", "Open"]),
        ("<head><title>Cars</title><meta name=x content=y></head><body><br>车</body>", ["Cars"]),
        ('<span aria-hidden="true">Icon</span><ul><li>一<li>two</ul>', ["two"]),
        ("<p>上传含 <code>model_code</code> 列的文件</p>", []),
    ],
)
def test_visible_text_is_what_a_person_meets(html, expected):
    assert untranslated(visible_runs(html), set()) == expected


@pytest.mark.parametrize(
    ("run", "offends"),
    [
        ("福特 Kuga EcoBoost 245", False),  # names the catalog writes in Latin letters
        ("车架号 LVSHFFAL1JS123456 · 参考号 Q4JLUBMF9", False),
        ("manager@demo.forecourt.dev", False),
        ("¥3,000 CNY / 月", False),
        ("机油 5W-30 · 6AT · 召回 R-KUGA-HOSE-01 · 线索 LDNLFUNHBU · 工位 B1", False),
        ("方案 loan-36-escort", False),
        ("门店 gz-tianhe", True),  # a code a person would not say
        ("kuga", True),  # the model's code, not its name
        ("12:30 PM", True),
        ("Monthly payment", True),
    ],
)
def test_what_counts_as_untranslated(run, offends):
    assert bool(untranslated([run], {"Kuga", "EcoBoost"} | CODES)) is offends
