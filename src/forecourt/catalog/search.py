"""Vehicle search: resolve the query against the catalog, count facets, fetch one page.

Kept apart from the inventory use cases in service.py; callers use it as `service.search_vehicles`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy.orm import Session

from forecourt.catalog import repository
from forecourt.catalog.criteria import VehicleCriteria
from forecourt.catalog.facets import FacetColumn, FacetResult, Label, compute_facet_columns, encode, project
from forecourt.catalog.lifecycle import VehicleStatus
from forecourt.catalog.models import Vehicle, VehicleModel
from forecourt.catalog.repository import CatalogSnapshot
from forecourt.catalog.schemas import VehicleSearchQuery
from forecourt.catalog.text_search import build_document, matching_ids
from forecourt.core.errors import FieldError, InvalidInput

FEW_MATCHES = 20_000  # up to this many matches, sorting them beats walking a sort index (see repository)
NO_COLOUR = "unspecified"  # the colour facet value of vehicles recorded without a colour
SHOPPER_VISIBLE_STATUSES = frozenset({VehicleStatus.AVAILABLE.value, VehicleStatus.IN_TRANSIT.value})


@dataclass(frozen=True)
class SearchOutcome:
    vehicles: Sequence[Vehicle]
    total: int
    page: int
    page_size: int
    facets: FacetResult

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.page_size) if self.total else 0


@dataclass(frozen=True)
class _Resolved:
    criteria: VehicleCriteria
    selected: dict[str, frozenset[str]]
    rows_criteria: VehicleCriteria


def search_vehicles(
    session: Session, query: VehicleSearchQuery, *, store_ids: Collection[int] | None = None
) -> SearchOutcome:
    """`store_ids`: restrict the search (results and facet counts) to these stores (None: every store).
    Plain ids, so the back office can scope a search to the caller's stores without the catalog knowing
    of accounts."""
    snapshot = repository.load_catalog_snapshot(session)
    resolved = _resolve(snapshot, query, None if store_ids is None else frozenset(store_ids))
    rows = [] if resolved.rows_criteria.matches_nothing() else repository.facet_rows(session, resolved.rows_criteria)
    columns, counts = _facet_columns(snapshot, rows)
    facets = compute_facet_columns(columns, counts, resolved.selected, _facet_labels(snapshot))
    offset = (query.page - 1) * query.page_size
    vehicles: Sequence[Vehicle] = []
    if facets.total > offset and not resolved.criteria.matches_nothing():
        few_matches = facets.total <= FEW_MATCHES
        vehicles = repository.search_vehicles(
            session, resolved.criteria, query.sort, query.page_size, offset, few_matches=few_matches
        )
    return SearchOutcome(vehicles, facets.total, query.page, query.page_size, facets)


def _resolve(
    snapshot: CatalogSnapshot, query: VehicleSearchQuery, restriction: frozenset[int] | None = None
) -> _Resolved:
    """Check every code against the catalog and turn the query into id-level criteria."""
    errors: list[FieldError] = []
    _check_codes(errors, "brand", query.brand, {b.code for b in snapshot.brands})
    _check_codes(errors, "model", query.model, {m.code for m in snapshot.models})
    _check_codes(errors, "colour", query.colour, {c.code for c in snapshot.colours} | {NO_COLOUR})
    _check_codes(errors, "city", query.city, {c.code for c in snapshot.cities})
    _check_codes(errors, "store", query.store, {s.code for s in snapshot.stores})
    if query.price_min is not None and query.price_max is not None and query.price_min > query.price_max:
        errors.append(FieldError("price_min", "price_min is greater than price_max"))
    if query.year_min is not None and query.year_max is not None and query.year_min > query.year_max:
        errors.append(FieldError("year_min", "year_min is greater than year_max"))
    if errors:
        raise InvalidInput("Some search filters are not valid", code="invalid_filter", errors=errors)

    text_trims = _trims_matching_text(snapshot, query.q) if query.q and query.q.strip() else None
    selected = {
        "brand": frozenset(query.brand),
        "model": frozenset(query.model),
        "body_type": frozenset(b.value for b in query.body_type),
        "powertrain": frozenset(p.value for p in query.powertrain),
        "colour": frozenset(query.colour),
        "model_year": frozenset(str(y) for y in query.model_year),
        "city": frozenset(query.city),
        "store": frozenset(query.store),
        "status": frozenset(s.value for s in query.status) or SHOPPER_VISIBLE_STATUSES,
    }
    rows_criteria = VehicleCriteria(
        trim_ids=text_trims,
        store_ids=restriction,
        price_min=query.price_min,
        price_max=query.price_max,
        year_min=query.year_min,
        year_max=query.year_max,
        mileage_max=query.mileage_max,
        test_drive_fleet=query.test_drive_fleet,
    )
    return _Resolved(_full_criteria(snapshot, rows_criteria, selected), selected, rows_criteria)


def _check_codes(errors: list[FieldError], field: str, given: Sequence[str], known: set[str]) -> None:
    unknown = sorted(set(given) - known)
    if unknown:
        sample = ", ".join(sorted(known)[:20])
        errors.append(FieldError(field, f"unknown {field} {', '.join(unknown)}; known values include: {sample}"))


def _trims_matching_text(snapshot: CatalogSnapshot, text: str) -> frozenset[int]:
    models = {m.id: m for m in snapshot.models}
    brands = {b.id: b for b in snapshot.brands}
    documents = {}
    for trim in snapshot.trims:
        model = models[trim.model_id]
        brand = brands[model.brand_id]
        documents[trim.id] = build_document(
            (brand.name_en, model.name_en, trim.name_en, model.code, trim.code),
            (brand.name_zh, model.name_zh, trim.name_zh),
        )
    return matching_ids(text, documents)


def _full_criteria(
    snapshot: CatalogSnapshot, base: VehicleCriteria, selected: dict[str, frozenset[str]]
) -> VehicleCriteria:
    """Narrow the base criteria by every selected facet value."""
    models = {m.id: m for m in snapshot.models}
    brand_codes = {b.id: b.code for b in snapshot.brands}
    trim_ids = base.trim_ids
    for dim in ("brand", "model", "body_type", "powertrain"):
        if not selected[dim]:
            continue
        matching = frozenset(
            t.id for t in snapshot.trims if _trim_value(t, models[t.model_id], brand_codes, dim) in selected[dim]
        )
        trim_ids = matching if trim_ids is None else trim_ids & matching
    store_ids = base.store_ids
    if selected["city"] or selected["store"]:
        city_codes = {c.id: c.code for c in snapshot.cities}
        chosen = frozenset(
            s.id
            for s in snapshot.stores
            if (not selected["city"] or city_codes[s.city_id] in selected["city"])
            and (not selected["store"] or s.code in selected["store"])
        )
        store_ids = chosen if store_ids is None else store_ids & chosen
    colour_ids: frozenset[int | None] | None = None
    if selected["colour"]:
        colour_ids = frozenset(c.id for c in snapshot.colours if c.code in selected["colour"])
        if NO_COLOUR in selected["colour"]:
            colour_ids |= {None}
    years = frozenset(int(y) for y in selected["model_year"]) if selected["model_year"] else None
    return replace(
        base,
        trim_ids=trim_ids,
        colour_ids=colour_ids,
        store_ids=store_ids,
        statuses=selected["status"],
        model_years=years,
    )


def _trim_value(trim, model: VehicleModel, brand_codes: dict[int, str], dim: str) -> str:
    if dim == "brand":
        return brand_codes[model.brand_id]
    if dim == "model":
        return model.code
    if dim == "body_type":
        return model.body_type
    return trim.powertrain


def _facet_columns(snapshot: CatalogSnapshot, rows: Sequence[tuple]) -> tuple[dict[str, FacetColumn], np.ndarray]:
    """Facet columns from the grouped (trim, colour, store, year, status, count) rows.

    Each id column is encoded once; brand, model, body type and powertrain are projections of the trim
    codes and city of the store codes, so per-row work stays in numpy however many rows there are.
    """
    trim_ids, colour_ids, store_ids, years, statuses, counts = zip(*rows, strict=True) if rows else ((),) * 6
    models = {m.id: m for m in snapshot.models}
    brand_codes = {b.id: b.code for b in snapshot.brands}
    trims = {t.id: t for t in snapshot.trims}
    colour_codes = {c.id: c.code for c in snapshot.colours}
    city_codes = {c.id: c.code for c in snapshot.cities}
    stores = {s.id: s for s in snapshot.stores}

    trim_codes, trim_keys = encode(trim_ids)
    trim_models = [models[trims[key].model_id] for key in trim_keys]
    store_codes, store_keys = encode(store_ids)
    colour_col, colour_keys = encode(colour_ids)
    year_col, year_keys = encode(years)
    status_col, status_keys = encode(statuses)
    columns = {
        "brand": project(trim_codes, [brand_codes[m.brand_id] for m in trim_models]),
        "model": project(trim_codes, [m.code for m in trim_models]),
        "body_type": project(trim_codes, [m.body_type for m in trim_models]),
        "powertrain": project(trim_codes, [trims[key].powertrain for key in trim_keys]),
        "colour": project(colour_col, [colour_codes.get(key, NO_COLOUR) for key in colour_keys]),
        "model_year": project(year_col, [str(key) for key in year_keys]),
        "city": project(store_codes, [city_codes[stores[key].city_id] for key in store_keys]),
        "store": project(store_codes, [stores[key].code for key in store_keys]),
        "status": project(status_col, [str(key) for key in status_keys]),
    }
    return columns, np.asarray(counts, dtype=np.int64)


_ENUM_LABELS = {
    "body_type": {
        "sedan": Label("Sedan", "轿车"),
        "hatchback": Label("Hatchback", "两厢车"),
        "suv": Label("SUV", "SUV"),
        "mpv": Label("MPV", "MPV"),
        "coupe": Label("Coupe", "轿跑"),
        "convertible": Label("Convertible", "敞篷车"),
        "pickup": Label("Pickup", "皮卡"),
        "wagon": Label("Wagon", "旅行车"),
    },
    "powertrain": {
        "ice": Label("Petrol", "燃油"),
        "hybrid": Label("Hybrid", "混合动力"),
        "phev": Label("Plug-in hybrid", "插电混动"),
        "bev": Label("Electric", "纯电动"),
    },
    "status": {
        "in_transit": Label("In transit", "在途"),
        "available": Label("Available", "在售"),
        "reserved": Label("Reserved", "已预订"),
        "sold": Label("Sold", "已售"),
    },
}


def _facet_labels(snapshot: CatalogSnapshot) -> dict[str, dict[str, Label]]:
    colours: dict[str, Label] = {NO_COLOUR: Label("Not specified", "未指定")}
    for colour in snapshot.colours:
        colours.setdefault(colour.code, Label(colour.name_en, colour.name_zh))
    return {
        **_ENUM_LABELS,
        "brand": {b.code: Label(b.name_en, b.name_zh) for b in snapshot.brands},
        "model": {m.code: Label(m.name_en, m.name_zh) for m in snapshot.models},
        "colour": colours,
        "city": {c.code: Label(c.name_en, c.name_zh) for c in snapshot.cities},
        "store": {s.code: Label(s.name_en, s.name_zh) for s in snapshot.stores},
    }
