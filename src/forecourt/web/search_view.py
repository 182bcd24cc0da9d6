"""What the vehicle search page shows: facet groups, sort options, pagination and friendly errors.

Kept apart from `catalog/pages.py` so the route handler stays a thin parse-call-render function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from forecourt.catalog.criteria import SortKey
from forecourt.catalog.facets import FacetResult, Label
from forecourt.core.errors import InvalidInput
from forecourt.web.forms import FormError
from forecourt.web.i18n import N_

# The order a shopper narrows down in. Status is left out: shoppers see what is for sale (the service's
# default); a `status` parameter in a shared URL is still honoured and kept as a hidden input.
SHOWN_FACETS = ("body_type", "brand", "model", "powertrain", "city", "store", "colour", "model_year")
# `lang` too, so that a search keeps the language a shared link asked for even where cookies are refused.
HIDDEN_PARAMS = ("status", "year_min", "year_max", "mileage_max", "test_drive_fleet", "page_size", "lang")
CODE_FIELDS = frozenset({"brand", "model", "colour", "city", "store"})

FIELD_LABELS = {
    "q": N_("Search"),
    "brand": N_("Brand"),
    "model": N_("Model"),
    "body_type": N_("Body type"),
    "powertrain": N_("Powertrain"),
    "colour": N_("Colour"),
    "model_year": N_("Model year"),
    "city": N_("City"),
    "store": N_("Store"),
    "status": N_("Availability"),
    "price_min": N_("Lowest price"),
    "price_max": N_("Highest price"),
    "year_min": N_("Earliest model year"),
    "year_max": N_("Latest model year"),
    "mileage_max": N_("Highest mileage"),
    "test_drive_fleet": N_("Test-drive cars"),
    "sort": N_("Sort by"),
    "page": N_("Page"),
    "page_size": N_("Results per page"),
}
SORT_LABELS = {
    SortKey.PRICE_ASC: N_("Price: low to high"),
    SortKey.PRICE_DESC: N_("Price: high to low"),
    SortKey.YEAR_DESC: N_("Model year: newest first"),
    SortKey.YEAR_ASC: N_("Model year: oldest first"),
    SortKey.MILEAGE_ASC: N_("Mileage: lowest first"),
    SortKey.MILEAGE_DESC: N_("Mileage: highest first"),
    SortKey.NEWEST: N_("Recently added"),
}


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: Label
    count: int
    selected: bool
    input_id: str  # stable across htmx swaps, so the checkbox keeps keyboard focus


@dataclass(frozen=True)
class FacetGroup:
    name: str
    title: str
    options: tuple[FacetOption, ...]

    @property
    def selected_count(self) -> int:
        return sum(option.selected for option in self.options)


@dataclass
class SearchView:
    q: str
    price_min: str
    price_max: str
    sort: str
    hidden: list[tuple[str, str]]
    sort_options: list[tuple[str, str]]
    facets: list[FacetGroup] = field(default_factory=list)
    vehicles: Sequence[Any] = ()
    total: int = 0
    page: int = 1
    pages: int = 0
    errors: list[FormError] = field(default_factory=list)

    @property
    def page_links(self) -> list[int | None]:
        """Page numbers to link, None for a gap: 1 … 4 5 [6] 7 8 … 20."""
        if self.pages <= 1:
            return []
        wanted = {1, self.pages, *range(self.page - 2, self.page + 3)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        links: list[int | None] = []
        for number in numbers:
            if links and number - (links[-1] or 0) > 1:
                links.append(None)
            links.append(number)
        return links


def new_view(params: QueryParams, gettext: Callable[[str], str]) -> SearchView:
    """The form as the shopper submitted it, echoed back even when it is invalid."""
    return SearchView(
        q=params.get("q", ""),
        price_min=params.get("price_min", ""),
        price_max=params.get("price_max", ""),
        sort=params.get("sort", SortKey.PRICE_ASC.value),
        hidden=[(k, v) for k, v in params.multi_items() if k in HIDDEN_PARAMS and v.strip()],
        sort_options=[(key.value, gettext(label)) for key, label in SORT_LABELS.items()],
    )


def facet_groups(facets: FacetResult, gettext: Callable[[str], str]) -> list[FacetGroup]:
    groups = []
    for name in SHOWN_FACETS:
        values = facets.facets.get(name, ())
        if name == "brand" and len(values) < 2 and not any(v.selected for v in values):
            continue  # a one-brand catalogue needs no brand filter
        if not values:
            continue
        options = tuple(FacetOption(v.value, v.label, v.count, v.selected, f"f-{name}-{v.value}") for v in values)
        groups.append(FacetGroup(name, gettext(FIELD_LABELS[name]), options))
    return groups


def service_errors(exc: InvalidInput, gettext: Callable[[str], str]) -> list[FormError]:
    """Translate the service's field errors. Their messages are English for programs; pick ours by field."""
    errors = []
    for error in exc.errors or []:
        if error.field == "price_min":
            message = N_("The lowest price is higher than the highest price.")
        elif error.field == "year_min":
            message = N_("The earliest model year is later than the latest one.")
        elif error.field in CODE_FIELDS:
            message = N_("We don't know this value. Choose one of the values offered.")
        else:
            message = N_("This value is not valid.")
        errors.append(FormError(error.field, gettext(FIELD_LABELS.get(error.field, error.field)), gettext(message)))
    if not errors:
        errors.append(FormError("request", gettext(N_("Search")), gettext(N_("This value is not valid."))))
    return errors
