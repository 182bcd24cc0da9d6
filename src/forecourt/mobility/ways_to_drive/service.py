"""Gather what the comparison of ways to drive one model at one store needs, each from its own engine, and price it
with the pure `compare` module. Nothing is stored.

- Buy and lease: finance's own figures (`finance.quotes.service.price_unstored`, exactly as its comparison prices)
  for the cheapest car of the model for sale at the store, over the horizon's months, with 20 % of the price down
  and the shopper's km a year; the car's value at the end is the lease's residual (the lessor's forecast for that
  term and mileage).
- Subscribe: the subscription plan of the model's class, at a store whose subscription fleet has a car of the class.
- Rent: the rental plan of the model's class, at a store that rents the model.
A way that does not apply says why, with the stores where it does (the next step).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.catalog import search
from forecourt.catalog import service as catalog
from forecourt.catalog.criteria import SortKey
from forecourt.catalog.lifecycle import FleetPool, VehicleStatus
from forecourt.catalog.models import Store, Vehicle, VehicleModel
from forecourt.catalog.schemas import VehicleSearchQuery
from forecourt.core.errors import DomainError, FieldError, InvalidInput, NotFound
from forecourt.finance.quotes import service as quotes
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.models import MobilityClass, RentalPlan
from forecourt.mobility.subscriptions import repository as subscription_plans
from forecourt.mobility.subscriptions import terms
from forecourt.mobility.ways_to_drive import compare
from forecourt.mobility.ways_to_drive.compare import Way

DOWN_PERCENT = Decimal("0.20")  # buy and lease: the usual minimum down payment of a car loan
DEFAULTS = {"months": 36, "km_per_month": 1_500, "rental_days": 8}


@dataclass(frozen=True)
class Unavailable:
    """Why a way does not apply here, and where it does (the next step)."""

    code: str  # no_car_for_sale, finance_not_offered, no_class, no_plan, not_at_store
    message: str
    stores: tuple[Store, ...] = ()  # other stores where this way is offered for the model
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    way: Way
    cost: compare.Cost | None
    unavailable: Unavailable | None
    terms: Any = None  # what the figures came from: finance's figures, the subscription or rental plan


@dataclass(frozen=True)
class WaysToDrive:
    model: VehicleModel
    store: Store
    stores: Sequence[Store]
    horizon: compare.Horizon
    vehicle: Vehicle | None  # the car buying and leasing are priced on
    mobility_class: MobilityClass | None
    columns: tuple[Column, ...]  # buy, lease, subscribe, rent

    @property
    def cheapest(self) -> Way | None:
        return compare.cheapest([c.cost for c in self.columns if c.cost is not None])

    def column(self, way: Way) -> Column:
        return next(c for c in self.columns if c.way == way)


def horizon_of(months: int, km_per_month: int, rental_days: int) -> compare.Horizon:
    """The horizon, or 422 `invalid_horizon` naming every field out of bounds."""
    problems = []
    if months not in compare.HORIZONS:
        problems.append(FieldError("months", f"one of {', '.join(map(str, compare.HORIZONS))}", months))
    if not 0 <= km_per_month <= compare.MAX_KM_PER_MONTH:
        problems.append(FieldError("km_per_month", f"0 to {compare.MAX_KM_PER_MONTH}", km_per_month))
    if not 1 <= rental_days <= compare.MAX_RENTAL_DAYS:
        problems.append(FieldError("rental_days", f"1 to {compare.MAX_RENTAL_DAYS}", rental_days))
    if problems:
        raise InvalidInput("The comparison has invalid fields; see errors.", code="invalid_horizon", errors=problems)
    return compare.Horizon(months, km_per_month, rental_days)


def choices(session: Session, model_code: str) -> tuple[VehicleModel, Sequence[Store]]:
    """The model (404 `model_not_found`) and the stores to choose from: the comparison's form without figures."""
    return catalog.get_model(session, model_code), catalog.list_stores(session)


def ways_to_drive(
    session: Session, model_code: str, store_code: str | None, horizon: compare.Horizon, now: datetime
) -> WaysToDrive:
    """The four ways at the store (by default the first store that sells the model), priced on the store's day."""
    model = catalog.get_model(session, model_code)
    stores = catalog.list_stores(session)
    store = catalog.get_store(session, store_code) if store_code else _default_store(session, model, stores)
    today = now.astimezone(ZoneInfo(store.time_zone)).date()
    vehicle = _cheapest_for_sale(session, model.code, store.code)
    mobility_class = _class_of(session, model.code)
    buy, lease = _financed(session, model, vehicle, stores, horizon, today)
    return WaysToDrive(
        model,
        store,
        stores,
        horizon,
        vehicle,
        mobility_class,
        (
            buy,
            lease,
            _subscribe(session, model, mobility_class, store, stores, horizon),
            _rent(session, model, mobility_class, store, horizon),
        ),
    )


# --- buy and lease ------------------------------------------------------------------------------------------------


def _financed(
    session: Session,
    model: VehicleModel,
    vehicle: Vehicle | None,
    stores: Sequence[Store],
    horizon: compare.Horizon,
    today: date,
) -> tuple[Column, Column]:
    if vehicle is None:
        selling = catalog.model_stock_by_store(session, model.code)
        missing = Unavailable(
            "no_car_for_sale",
            f"No {model.name_en} is for sale at this store",
            tuple(s for s in stores if selling.get(s.id)),
        )
        return Column(Way.BUY, None, missing), Column(Way.LEASE, None, missing)
    inputs = quotes.QuoteInputs(
        term_months=horizon.months, down_percent=DOWN_PERCENT, annual_mileage=horizon.km_per_month * 12
    )
    leased = _priced(session, vehicle, quotes.LEASE, inputs, today)
    loan = _priced(session, vehicle, quotes.LOAN, inputs, today)
    lease_column = _column(Way.LEASE, leased, lambda f: compare.lease(horizon, _lease_figures(f)))
    value_at_end = None if isinstance(leased, Unavailable) else Decimal(leased["residual_value"])
    buy_column = _column(Way.BUY, loan, lambda f: compare.buy(horizon, _loan_figures(f, value_at_end)))
    return buy_column, lease_column


def _priced(
    session: Session, vehicle: Vehicle, product: str, inputs: quotes.QuoteInputs, today: date
) -> dict[str, Any] | Unavailable:
    try:
        priced = quotes.price_unstored(session, vehicle, product, inputs, today)
    except DomainError as exc:  # no finance provider at all
        return Unavailable("finance_not_offered", exc.message)
    if isinstance(priced, quotes.NotOffered):
        return Unavailable("finance_not_offered", priced.message, details={"reason": priced.code, **priced.details})
    return priced.figures


def _column(way: Way, priced: dict[str, Any] | Unavailable, cost: Any) -> Column:
    if isinstance(priced, Unavailable):
        return Column(way, None, priced)
    return Column(way, cost(priced), None, priced)


def _loan_figures(figures: dict[str, Any], value_at_end: Decimal | None) -> compare.LoanFigures:
    return compare.LoanFigures(
        down_payment=Decimal(figures["down_payment"]),
        monthly_payment=Decimal(figures["monthly_payment"]),
        term_months=int(figures["term_months"]),
        total_of_payments=Decimal(figures["total_of_payments"]),
        value_at_end=value_at_end,
    )


def _lease_figures(figures: dict[str, Any]) -> compare.LeaseFigures:
    return compare.LeaseFigures(
        due_at_signing=Decimal(figures["due_at_signing"]),
        monthly_payment=Decimal(figures["monthly_payment"]),
        term_months=int(figures["term_months"]),
        total_of_payments=Decimal(figures["total_of_payments"]),
        km_allowed=int(figures["mileage_allowance_total"]),
        per_km_over=Decimal(figures["excess_mileage_rate"]),
    )


# --- subscribe and rent -------------------------------------------------------------------------------------------


def _subscribe(
    session: Session,
    model: VehicleModel,
    mobility_class: MobilityClass | None,
    store: Store,
    stores: Sequence[Store],
    horizon: compare.Horizon,
) -> Column:
    plan = subscription_plans.plan(session, mobility_class.id) if mobility_class else None
    if mobility_class is None or plan is None:
        return Column(Way.SUBSCRIBE, None, Unavailable("no_plan", f"{model.name_en} is not offered by subscription"))
    in_fleet = catalog.pool_store_models(session, FleetPool.SUBSCRIPTION)
    offering = [s for s in stores if set(in_fleet.get(s.id, ())) & set(mobility_class.model_codes)]
    if store.id not in {s.id for s in offering}:
        missing = Unavailable("not_at_store", "This store has no subscription car of the class", tuple(offering))
        return Column(Way.SUBSCRIBE, None, missing, plan)
    figures = compare.SubscriptionFigures(
        plan.monthly_price, plan.km_per_month, plan.per_km_over, terms.FAMILY.minimum_months
    )
    return Column(Way.SUBSCRIBE, compare.subscribe(horizon, figures), None, plan)


def _rent(
    session: Session, model: VehicleModel, mobility_class: MobilityClass | None, store: Store, horizon: compare.Horizon
) -> Column:
    plan = _rental_plan(session, mobility_class)
    if plan is None:
        return Column(Way.RENT, None, Unavailable("no_plan", f"{model.name_en} is not offered for rental"))
    offering = [found.store for found in fleet.rental_offer(session) if model.code in {m.code for m in found.models}]
    if store.id not in {s.id for s in offering}:
        missing = Unavailable("not_at_store", f"This store does not rent the {model.name_en}", tuple(offering))
        return Column(Way.RENT, None, missing, plan)
    figures = compare.RentalFigures(plan.daily, plan.km_per_day, plan.per_km_over)
    return Column(Way.RENT, compare.rent(horizon, figures), None, plan)


# --- lookups ------------------------------------------------------------------------------------------------------


def _class_of(session: Session, model_code: str) -> MobilityClass | None:
    try:
        return fleet.class_of_model(session, model_code)
    except NotFound:
        return None


def _rental_plan(session: Session, mobility_class: MobilityClass | None) -> RentalPlan | None:
    if mobility_class is None:
        return None
    try:
        return fleet.rental_plan(session, mobility_class)
    except NotFound:
        return None


def _cheapest_for_sale(session: Session, model_code: str, store_code: str) -> Vehicle | None:
    """The cheapest car of the model on sale at the store, as the storefront's search sorts them."""
    query = VehicleSearchQuery(
        model=[model_code], store=[store_code], status=[VehicleStatus.AVAILABLE], sort=SortKey.PRICE_ASC, page_size=1
    )
    found = search.search_vehicles(session, query).vehicles
    return found[0] if found else None


def _default_store(session: Session, model: VehicleModel, stores: Sequence[Store]) -> Store:
    """The first store (by code) that sells the model, else the first that rents it, else the first store."""
    if not stores:
        raise NotFound("No store", code="store_not_found")
    selling = catalog.model_stock_by_store(session, model.code)
    renting = {found.store.id for found in fleet.rental_offer(session) if model.code in {m.code for m in found.models}}
    ordered = sorted(stores, key=lambda s: s.code)
    return next((s for s in ordered if selling.get(s.id)), next((s for s in ordered if s.id in renting), ordered[0]))


def included(column: Column) -> dict[str, Any]:
    """What a way's figures include, for the page and the API: the rates and allowances behind them."""
    source = column.terms
    if source is None:
        return {}
    down = int(DOWN_PERCENT * 100)
    if column.way == Way.BUY:
        return {"down_percent": down, "term_months": source["term_months"], "apr_percent": Decimal(source["apr"])}
    if column.way == Way.LEASE:
        return {
            "down_percent": down,
            "km_per_year": source["annual_mileage"],
            "per_km_over": Decimal(source["excess_mileage_rate"]),
            "disposition_fee": Decimal(source["disposition_fee"]),
        }
    if column.way == Way.SUBSCRIBE:
        family = terms.FAMILY
        return {
            "km_per_month": source.km_per_month,
            "per_km_over": source.per_km_over,
            "minimum_months": family.minimum_months,
            "rollover_cap_km": family.rollover_cap_km,
            "swap_fee": family.swap_fee,
            "notice_days": family.notice_days,
        }
    return {
        "hourly": source.hourly,
        "daily": source.daily,
        "km_per_hour": source.km_per_hour,
        "km_per_day": source.km_per_day,
        "per_km_over": source.per_km_over,
        "deposit": source.deposit,
    }
