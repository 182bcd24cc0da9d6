"""Catalog and inventory use cases. Takes the session first, may flush, never commits."""

from __future__ import annotations

import math
from decimal import Decimal
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import repository
from forecourt.catalog import edits
from forecourt.catalog.criteria import VehicleCriteria
from forecourt.catalog.facets import FacetColumn, FacetResult, Label, compute_facet_columns, encode, project
from forecourt.catalog.lifecycle import IllegalTransition, VehicleStatus, check_transition
from forecourt.catalog.models import Store, Vehicle, VehicleModel
from forecourt.catalog.repository import CatalogSnapshot
from forecourt.catalog.schemas import VehicleSearchQuery
from forecourt.catalog.text_search import build_document, matching_ids
from forecourt.catalog.vin import VinError, validate_vin
from forecourt.core.clock import utcnow
from forecourt.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound

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
    for dim, attribute in (("brand", None), ("model", "code"), ("body_type", "body_type"), ("powertrain", None)):
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
    return VehicleCriteria(
        trim_ids=trim_ids,
        colour_ids=colour_ids,
        store_ids=store_ids,
        statuses=selected["status"],
        model_years=years,
        price_min=base.price_min,
        price_max=base.price_max,
        year_min=base.year_min,
        year_max=base.year_max,
        mileage_max=base.mileage_max,
        test_drive_fleet=base.test_drive_fleet,
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


def get_vehicle(session: Session, vin: str) -> Vehicle:
    try:
        normalized = validate_vin(vin)
    except VinError as exc:
        raise InvalidInput(f"{vin!r} is not a valid VIN: {exc}", code="invalid_vin", errors=[FieldError("vin", str(exc))]) from exc
    vehicle = repository.get_vehicle_by_vin(session, normalized)
    if vehicle is None:
        raise NotFound(f"No vehicle with VIN {normalized}", code="vehicle_not_found")
    return vehicle


def change_vehicle_status(
    session: Session,
    vin: str,
    target: VehicleStatus,
    *,
    allowed_store_ids: Collection[int] | None = None,
    actor: int | None = None,
) -> Vehicle:
    """`allowed_store_ids`: the stores the caller may change (None: every store). Plain ids, so the catalog
    knows nothing of accounts; the caller decides who may act where. `actor` is recorded in the audit trail."""
    vehicle = get_vehicle(session, vin)
    if allowed_store_ids is not None and vehicle.store_id not in allowed_store_ids:
        # Vehicles are public, so saying that it exists leaks nothing: a 403, not a 404.
        raise Forbidden(f"Vehicle {vehicle.vin} belongs to store {vehicle.store.code}, which is not one of your stores",
                        code="store_forbidden")  # fmt: skip
    vehicle = repository.get_vehicle_by_vin(session, vehicle.vin, for_update=True) or vehicle
    try:
        check_transition(VehicleStatus(vehicle.status), target)
    except IllegalTransition as exc:
        raise Conflict(str(exc), code="illegal_status_transition", extra={"current": vehicle.status}) from exc
    if vehicle.status != target.value:
        previous = vehicle.status
        vehicle.status = target.value
        vehicle.status_changed_at = utcnow()
        session.flush()
        audit.record(session, actor, "vehicle.status_changed", "vehicle", vehicle.vin, vehicle.store_id,
                     **{"from": previous, "to": target.value})  # fmt: skip
    return vehicle


EDITABLE_VEHICLE_FIELDS = frozenset({"offer_price", "mileage_km", "colour", "photo_urls", "is_test_drive_fleet", "status"})


def _check_store(vehicle: Vehicle, allowed_store_ids: Collection[int] | None) -> None:
    if allowed_store_ids is not None and vehicle.store_id not in allowed_store_ids:
        raise Forbidden(f"Vehicle {vehicle.vin} belongs to store {vehicle.store.code}, which is not one of your stores",
                        code="store_forbidden")  # fmt: skip


def get_vehicle_for_staff(session: Session, vin: str, *, allowed_store_ids: Collection[int] | None) -> Vehicle:
    """A vehicle the caller may edit (Forbidden when it belongs to another store)."""
    vehicle = get_vehicle(session, vin)
    _check_store(vehicle, allowed_store_ids)
    return vehicle


def _jsonable(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


def update_vehicle(
    session: Session,
    vin: str,
    changes: dict[str, object],
    *,
    allowed_store_ids: Collection[int] | None,
    actor: int | None,
) -> Vehicle:
    """Apply a hand edit: offer_price (blank/None removes it), mileage_km, colour (a code of the vehicle's
    model, None/blank for none), photo_urls (a list or one URL per line), is_test_drive_fleet, status.

    Every field is checked before anything changes; problems are one InvalidInput (422) naming each field,
    or a Conflict (409) when the only problem is an illegal status change. The changed fields are audited
    with their values before and after."""
    unknown = sorted(set(changes) - EDITABLE_VEHICLE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(unknown)}", code="unknown_field",
                           errors=[FieldError(name, "unknown field") for name in unknown])  # fmt: skip
    vehicle = get_vehicle_for_staff(session, vin, allowed_store_ids=allowed_store_ids)
    vehicle = repository.get_vehicle_by_vin(session, vehicle.vin, for_update=True) or vehicle
    problems: list[edits.Problem] = []
    new: dict[str, object] = {}
    if "offer_price" in changes:
        new["offer_price"] = edits.parse_offer(changes["offer_price"], vehicle.list_price, vehicle.currency, problems)
    if "mileage_km" in changes:
        new["mileage_km"] = edits.parse_mileage(changes["mileage_km"], problems)
    if "colour" in changes:
        code = changes["colour"]
        new["colour_id"] = None
        if code is not None and str(code).strip():
            colour = next((c for c in vehicle.model.colours if c.code == str(code).strip()), None)
            if colour is None:
                problems.append(("colour", edits.MSG_COLOUR))
            else:
                new["colour_id"] = colour.id
    if "photo_urls" in changes:
        new["photo_urls"] = edits.parse_photos(changes["photo_urls"], problems)
    if "is_test_drive_fleet" in changes:
        new["is_test_drive_fleet"] = bool(changes["is_test_drive_fleet"])
    status_problem: str | None = None
    if "status" in changes:
        try:
            target = VehicleStatus(str(changes["status"]))
            check_transition(VehicleStatus(vehicle.status), target)
            new["status"] = target.value
        except ValueError as exc:  # IllegalTransition is a ValueError too
            status_problem = str(exc) if isinstance(exc, IllegalTransition) else f"unknown status {changes['status']!r}"
    errors = [FieldError(name, message) for name, message in problems]
    if status_problem:
        errors.append(FieldError("status", status_problem))
        if not problems:
            raise Conflict(status_problem, code="illegal_status_transition", errors=errors,
                           extra={"current": vehicle.status})  # fmt: skip
    if errors:
        raise InvalidInput("Some fields are not valid", code="invalid_vehicle_change", errors=errors)

    changed: dict[str, dict[str, object]] = {}
    for name, value in new.items():
        before = getattr(vehicle, name)
        if before != value:
            changed[name] = {"before": _jsonable(before), "after": _jsonable(value)}
            setattr(vehicle, name, value)
    if "offer_price" in changed:
        vehicle.price = vehicle.offer_price if vehicle.offer_price is not None else vehicle.list_price
    if "status" in changed:
        vehicle.status_changed_at = utcnow()
    if changed:
        session.flush()
        audit.record(session, actor, "vehicle.updated", "vehicle", vehicle.vin, vehicle.store_id, changes=changed)
        if "status" in changed:
            audit.record(session, actor, "vehicle.status_changed", "vehicle", vehicle.vin, vehicle.store_id,
                         **{"from": changed["status"]["before"], "to": changed["status"]["after"]})  # fmt: skip
        session.refresh(vehicle)
    return vehicle


def list_managed_stores(session: Session, store_ids: Collection[int] | None) -> Sequence[Store]:
    """The stores among `store_ids` (None: every store), in code order."""
    return [s for s in repository.list_stores(session) if store_ids is None or s.id in store_ids]


def get_store_for_staff(session: Session, code: str, *, allowed_store_ids: Collection[int] | None) -> Store:
    store = get_store(session, code)
    if allowed_store_ids is not None and store.id not in allowed_store_ids:
        raise Forbidden(f"Store {store.code} is not one of your stores", code="store_forbidden")
    return store


def update_store_settings(
    session: Session,
    code: str,
    *,
    opening_hours: dict[str, list[tuple[str | None, str | None]]],
    phone: str | None,
    allowed_store_ids: Collection[int] | None,
    actor: int | None,
) -> Store:
    """Replace a store's weekly opening hours (per weekday up to two periods; none: closed) and phone."""
    store = get_store_for_staff(session, code, allowed_store_ids=allowed_store_ids)
    problems: list[edits.Problem] = []
    hours = edits.parse_opening_hours(opening_hours, problems)
    phone_n = edits.parse_phone(phone, problems)
    if problems:
        raise InvalidInput("Some fields are not valid", code="invalid_store_settings",
                           errors=[FieldError(name, message) for name, message in problems])  # fmt: skip
    changed: dict[str, dict[str, object]] = {}
    if store.opening_hours != hours:
        changed["opening_hours"] = {"before": store.opening_hours, "after": hours}
        store.opening_hours = hours
    if store.phone != phone_n:
        changed["phone"] = {"before": store.phone, "after": phone_n}
        store.phone = phone_n
    if changed:
        session.flush()
        audit.record(session, actor, "store.updated", "store", store.code, store.id, changes=changed)
    return store


def list_models(session: Session) -> Sequence[VehicleModel]:
    return repository.list_models_with_details(session)


def get_model(session: Session, code: str) -> VehicleModel:
    model = repository.get_model_by_code(session, code)
    if model is None:
        raise NotFound(f"No model with code {code!r}", code="model_not_found")
    return model


def list_stores(session: Session) -> Sequence[Store]:
    return repository.list_stores(session)


def get_store(session: Session, code: str) -> Store:
    store = repository.get_store_by_code(session, code)
    if store is None:
        raise NotFound(f"No store with code {code!r}", code="store_not_found")
    return store
