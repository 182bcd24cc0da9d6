"""Storefront pages of the catalog: home, vehicle search, vehicle, stores. Thin: parse, call the service, render.

Errors other than the search form's own (unknown VIN, malformed VIN, unknown store) propagate as
DomainErrors and become translated HTML error pages in `web.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import ValidationError

from forecourt.catalog import service
from forecourt.catalog.models import City, Store, VehicleModel
from forecourt.catalog.schemas import VehicleSearchQuery
from forecourt.core.errors import InvalidInput
from forecourt.core.http import DbSession
from forecourt.web import search_view
from forecourt.web.errors import PAGES_TAG
from forecourt.web.forms import model_from_query, validation_errors
from forecourt.web.templating import PLACEHOLDER_PHOTO, PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)


@dataclass(frozen=True)
class ModelCard:
    model: VehicleModel
    from_price: Decimal | None
    currency: str


@dataclass(frozen=True)
class CityStores:
    city: City
    stores: Sequence[Store]


def _model_cards(models: Sequence[VehicleModel]) -> list[ModelCard]:
    cards = []
    for model in models:
        cheapest = min(model.trims, key=lambda trim: trim.msrp, default=None)
        cards.append(ModelCard(model, cheapest.msrp if cheapest else None, cheapest.currency if cheapest else "CNY"))
    return cards


def _stores_by_city(stores: Sequence[Store]) -> list[CityStores]:
    """Cities in code order: codes are pinyin, so the order suits both languages."""
    cities: dict[str, CityStores] = {}
    for store in stores:
        cities.setdefault(store.city.code, CityStores(store.city, []))
        cities[store.city.code].stores.append(store)  # type: ignore[attr-defined]
    return [cities[code] for code in sorted(cities)]


@router.get("/")
def home(session: DbSession, page: PageContext) -> HTMLResponse:
    return page.render(
        "home.html",
        model_cards=_model_cards(service.list_models(session)),
        cities=_stores_by_city(service.list_stores(session)),
    )


@router.get("/vehicles")
def search(session: DbSession, page: PageContext) -> HTMLResponse:
    params = page.request.query_params
    view = search_view.new_view(params, page.gettext)
    try:
        query = model_from_query(params, VehicleSearchQuery)
        outcome = service.search_vehicles(session, query)
    except ValidationError as exc:
        view.errors = validation_errors(exc, search_view.FIELD_LABELS, page.gettext)
    except InvalidInput as exc:
        view.errors = search_view.service_errors(exc, page.gettext)
    else:
        view.facets = search_view.facet_groups(outcome.facets, page.gettext)
        view.vehicles, view.total, view.page, view.pages = outcome.vehicles, outcome.total, outcome.page, outcome.pages
    return page.render("search.html", view=view, status_code=422 if view.errors else 200)


@router.get("/vehicles/{vin}")
def vehicle(session: DbSession, page: PageContext, vin: str) -> HTMLResponse:
    found = service.get_vehicle(session, vin)
    model = service.get_model(session, found.model.code)  # for the names of the fitted options
    options = {option.code: option for option in model.options}
    fitted = [options[code] for code in found.option_codes if code in options]
    return page.render("vehicle.html", vehicle=found, model=model, options=fitted)


@router.get("/stores")
def stores(session: DbSession, page: PageContext) -> HTMLResponse:
    return page.render("stores.html", cities=_stores_by_city(service.list_stores(session)))


@router.get("/stores/{code}")
def store(session: DbSession, page: PageContext, code: str) -> HTMLResponse:
    return page.render("store.html", store=service.get_store(session, code))


# Registered before the /static mount, which would otherwise answer 404: vehicle photo URLs point at
# /static/photos/…, and until real photos are stored every one of them shows the generic drawing.
@router.get("/static/photos/{path:path}", response_class=FileResponse)
def photo(path: str) -> FileResponse:
    return FileResponse(
        PLACEHOLDER_PHOTO, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )
