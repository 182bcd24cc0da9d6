"""Language negotiation and locale-aware formatting for the storefront pages (en and zh-Hans).

The page language is chosen, in order, by an explicit `?lang=` parameter (which the page then remembers
in a `lang` cookie), the `lang` cookie, the browser's Accept-Language header, and finally
`settings.default_language`. Message catalogs are Babel gettext catalogs under `translations/`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton, get_day_names, get_timezone_name
from babel.dates import format_time as babel_format_time
from babel.numbers import format_currency, format_decimal
from babel.support import Translations
from babel.units import format_unit
from starlette.requests import Request

from forecourt.core.i18n_marks import N_  # also re-exported: the web layer's modules import it from here
from forecourt.core.money import round_money

SUPPORTED_LANGUAGES = ("en", "zh-Hans")
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 60 * 60
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# zh_Hans_CN rather than bare zh_Hans: the shoppers are in mainland China, and the territory decides
# details such as the currency symbol (¥ rather than CN¥).
_BABEL_LOCALES = {"en": "en", "zh-Hans": "zh_Hans_CN"}
_CATALOG_DIRS = {"en": "en", "zh-Hans": "zh_Hans"}
LANGUAGE_NAMES = {"en": "English", "zh-Hans": "中文"}


def normalize_language(tag: str | None) -> str | None:
    """Map a BCP 47 tag (any case, `-` or `_`) to a supported language, or None.

    Every Chinese tag maps to zh-Hans, including zh-TW and zh-Hant: a reader of Traditional Chinese
    reads Simplified far more easily than English, and zh-Hans is the only Chinese we have.
    """
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    if primary == "en":
        return "en"
    if primary == "zh":
        return "zh-Hans"
    return None


def parse_accept_language(header: str | None) -> list[str]:
    """The header's language tags, most preferred first; q=0 ("not acceptable") and junk are dropped."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:32]):  # cap the work a hostile header can cause
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate_language(query: str | None, cookie: str | None, accept_language: str | None, default: str) -> str:
    for candidate in (query, cookie):
        language = normalize_language(candidate)
        if language:
            return language
    for tag in parse_accept_language(accept_language):
        if tag == "*":
            break
        language = normalize_language(tag)
        if language:
            return language
    return normalize_language(default) or SUPPORTED_LANGUAGES[0]


def request_language(request: Request) -> str:
    """The language a request asks for, by the same order as the pages (?lang=, the cookie, Accept-Language, the
    default): an API caller's messages (e-mails, SMS, documents) go out in the language it used."""
    return negotiate_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        request.app.state.settings.default_language,
    )


def babel_locale(lang: str) -> Locale:
    return Locale.parse(_BABEL_LOCALES[lang])


@lru_cache(maxsize=None)
def get_translations(lang: str) -> Translations:
    """The compiled catalog for `lang`; msgids are English, so `en` needs no translation to work."""
    return Translations.load(str(TRANSLATIONS_DIR), [_CATALOG_DIRS[lang]], DOMAIN)


def other_language(lang: str) -> str:
    return "en" if lang == "zh-Hans" else "zh-Hans"


def column_suffix(lang: str) -> str:
    """Which of a bilingual table's columns (`name_zh`, `name_en`) a reader of `lang` reads."""
    return "zh" if lang == "zh-Hans" else "en"


def localized(obj: Any, attribute: str, lang: str) -> str:
    """`obj.name_zh` in Chinese, `obj.name_en` in English; works for ORM rows and dicts alike."""
    suffix = column_suffix(lang)
    if isinstance(obj, Mapping):
        return obj[f"{attribute}_{suffix}"]
    return getattr(obj, f"{attribute}_{suffix}")


def format_money(amount: Decimal, currency: str, lang: str) -> str:
    """Round half up to the minor unit (the rule wherever a figure is shown), then format per locale."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__}")
    return format_currency(round_money(amount, currency), currency, locale=babel_locale(lang))


def format_number(value: int | Decimal, lang: str) -> str:
    return format_decimal(value, locale=babel_locale(lang))


def format_km(value: int, lang: str) -> str:
    return format_unit(value, "length-kilometer", length="short", locale=babel_locale(lang))


def format_fuel(litres_per_100km: Decimal, lang: str) -> str:
    return format_unit(
        litres_per_100km, "consumption-liter-per-100-kilometer", length="short", locale=babel_locale(lang)
    )


def format_day(value: date | datetime, lang: str, time_zone: str | None = None, format: str = "long") -> str:
    """A calendar date; datetimes (stored in UTC) are shown in `time_zone` so the day is the local one."""
    if isinstance(value, datetime):
        if time_zone:
            value = value.astimezone(ZoneInfo(time_zone))
        value = value.date()
    return babel_format_date(value, format=format, locale=babel_locale(lang))


def format_clock(hh_mm: str, lang: str) -> str:
    """ "09:00" as the locale writes a time of day ("9:00 AM", "09:00"); "24:00" stays as given."""
    try:
        hours, minutes = (int(part) for part in hh_mm.split(":"))
        return babel_format_time(time(hours, minutes), format="short", locale=babel_locale(lang))
    except ValueError:
        return hh_mm


def format_moment(value: datetime, lang: str, time_zone: str) -> str:
    """A moment (stored in UTC) as a reader of `time_zone` reads it: "Dec 7, 2026 5:00 PM", "2026年12月7日 17:00"."""
    local = value.astimezone(ZoneInfo(time_zone))
    return f"{format_day(local, lang, format='medium')} {format_clock(local.strftime('%H:%M'), lang)}"


def weekday_names(lang: str) -> dict[str, str]:
    """{"mon": "Monday", ...} or {"mon": "星期一", ...}; Babel numbers the days from Monday = 0."""
    names = get_day_names("wide", locale=babel_locale(lang))
    return {key: names[index] for index, key in enumerate(WEEKDAYS)}


def format_zone(time_zone: str, lang: str) -> str:
    """A time zone's everyday name: "China Time", "中国时间"."""
    return get_timezone_name(ZoneInfo(time_zone), "long", locale=babel_locale(lang))


def format_time_range(start: datetime, end: datetime, lang: str, time_zone: str) -> str:
    """A span of time in one format: "12:30–13:30" within a day; across days both ends carry their date
    ("12月8日 12:30 – 12月9日 12:30", "Dec 8, 12:30 PM – Dec 9, 12:30 PM")."""
    zone = ZoneInfo(time_zone)
    first, last = start.astimezone(zone), end.astimezone(zone)
    clocks = [format_clock(moment.strftime("%H:%M"), lang) for moment in (first, last)]
    if first.date() == last.date():
        return f"{clocks[0]}–{clocks[1]}"
    days = [format_skeleton("MMMd", moment, locale=babel_locale(lang)) for moment in (first, last)]
    return f"{days[0]} {clocks[0]} – {days[1]} {clocks[1]}"


# How core.masking.mask_amount_band writes a monthly income band (stored so, for staff who may not see the figure).
_INCOME_BAND = re.compile(
    r"(?P<currency>[A-Z]{3}) (?:under (?P<under>[\d,]+)|(?P<low>[\d,]+)(?:–(?P<high>[\d,]+)|\+)) / month"
)


def format_income_band(band: str, lang: str) -> str:
    """A stored income band in the reader's language ("¥30,000–¥50,000 a month" as 每月 ¥30,000–¥50,000); a band
    in any other shape is shown as stored."""
    found = _INCOME_BAND.fullmatch(band)
    if not found:
        return band
    currency = found["currency"]

    def amount(digits: str) -> str:
        return format_currency(
            Decimal(digits.replace(",", "")), currency, "¤#,##0", currency_digits=False, locale=babel_locale(lang)
        )

    text = get_translations(lang).gettext
    if found["under"]:
        return text(N_("under %(high)s a month")) % {"high": amount(found["under"])}
    if found["high"]:
        return text(N_("%(low)s–%(high)s a month")) % {"low": amount(found["low"]), "high": amount(found["high"])}
    return text(N_("%(low)s or more a month")) % {"low": amount(found["low"])}
