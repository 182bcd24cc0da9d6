"""The Jinja2 environment of the storefront, and `Page`: one page request's language and rendering.

There is one Environment per language, each with its gettext catalog installed once. Installing a
catalog per request on a shared Environment would race between the worker threads that serve sync
handlers; two environments cost only a second copy of the compiled templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from forecourt import __version__
from forecourt.accounts.principal import Principal, Role
from forecourt.accounts.security import CurrentUser
from forecourt.catalog.lifecycle import is_on_sale
from forecourt.web import i18n
from forecourt.web.labels import LABELS
from forecourt.web.maps import amap_url, osm_url

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
PLACEHOLDER_PHOTO = STATIC_DIR / "img" / "car-placeholder.svg"


def _bilingual(label: Any, lang: str) -> str:
    """A label object with `.en` and `.zh` (the catalog's facet labels)."""
    return label.zh if lang == "zh-Hans" else label.en


@lru_cache(maxsize=None)
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,  # a misspelt variable fails the page tests instead of rendering blank
    )
    env.install_gettext_translations(i18n.get_translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        lang=lang,
        other_lang=i18n.other_language(lang),
        language_names=i18n.LANGUAGE_NAMES,
        weekday_names=i18n.weekday_names(lang),
        weekdays=i18n.WEEKDAYS,
        asset_version=__version__,
        amap_url=amap_url,
        osm_url=osm_url,
        on_sale=is_on_sale,  # {% if on_sale(vehicle.status) %}: offer quote, credit and reserve actions
    )
    env.filters.update(
        money=lambda amount, currency="CNY": i18n.format_money(amount, currency, lang),
        number=lambda value: i18n.format_number(value, lang),
        km=lambda value: i18n.format_km(value, lang),
        fuel=lambda value: i18n.format_fuel(value, lang),
        day=lambda value, time_zone=None, format="long": i18n.format_day(value, lang, time_zone, format),
        clock=lambda value: i18n.format_clock(value, lang),
        moment=lambda value, time_zone: i18n.format_moment(value, lang, time_zone),
        zone=lambda value: i18n.format_zone(value, lang),
        time_range=lambda start, end, time_zone: i18n.format_time_range(start, end, lang, time_zone),
        income_band=lambda band: i18n.format_income_band(band, lang),
        l10n=lambda obj, attribute="name": i18n.localized(obj, attribute, lang),
        bilingual=lambda label: _bilingual(label, lang),
        # {{ vehicle.status|enum_label("status") }}: the translated display name of a catalog enum value.
        enum_label=lambda value, kind: i18n.get_translations(lang).gettext(LABELS[kind].get(str(value), str(value))),
    )
    return env


@dataclass
class Page:
    """What every page handler needs: the negotiated language, URL helpers and rendering."""

    request: Request
    lang: str
    remember_language: bool  # `?lang=` chose a language the cookie does not hold yet
    user: Principal | None = None  # the signed-in shopper or staff member (the header shows who)

    @property
    def is_staff(self) -> bool:
        """Whether the header offers the back office."""
        return self.user is not None and self.user.has_role(
            Role.STORE_STAFF, Role.FINANCE_OFFICER, Role.MARKETER, Role.ADMIN
        )

    def gettext(self, message: str, **variables: Any) -> str:
        text = i18n.get_translations(self.lang).gettext(message)
        return text % variables if variables else text

    def url_with(self, **changes: str | int | None) -> str:
        """The current path and query with some parameters replaced (None removes one); order is kept."""
        pairs = [(k, v) for k, v in self.request.query_params.multi_items() if k not in changes]
        pairs += [(k, str(v)) for k, v in changes.items() if v is not None]
        query = urlencode(pairs)
        return self.request.url.path + (f"?{query}" if query else "")

    def language_url(self, lang: str) -> str:
        return self.url_with(lang=lang)

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = environment(self.lang).get_template(template).render(page=self, **context)
        response = HTMLResponse(html, status_code=status_code)
        response.headers["Content-Language"] = self.lang
        # The same URL answers in either language depending on these two headers: tell caches.
        response.headers["Vary"] = "Accept-Language, Cookie"
        if self.remember_language:
            response.set_cookie(i18n.LANG_COOKIE, self.lang, max_age=i18n.LANG_COOKIE_MAX_AGE, path="/", samesite="lax")
        return response


def get_page(request: Request, user: Principal | None = None) -> Page:
    asked = request.query_params.get("lang")
    cookie = request.cookies.get(i18n.LANG_COOKIE)
    lang = i18n.request_language(request)
    return Page(
        request, lang, remember_language=i18n.normalize_language(asked) is not None and cookie != lang, user=user
    )


def _page_dependency(request: Request, user: CurrentUser) -> Page:
    request.state.page_user = user  # so an error page rendered for this request still knows who is signed in
    return get_page(request, user)


PageContext = Annotated[Page, Depends(_page_dependency)]
