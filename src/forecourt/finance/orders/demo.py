"""Order demo data: the demo customers' orders at the Guangzhou Tianhe store in every state, made through the real use
cases at their own times (the clock pinned, as the demo simulator may): reserved with the demo card (`reservation.
reserve`), confirmed, completed and cancelled as the store or the buyer would.

- reserved, waiting for the store: 胡敏's cash order from yesterday, and 孙悦's loan, approved by the finance officer
  (the store may confirm both); 黄丽's loan, approved with conditions, waits for finance;
- confirmed, waiting for delivery: 刘强's loan (approved) and 何雪's cash purchase after her loan was declined;
- completed: 郑浩 took delivery five days ago and owns the car (`ownership.records`);
- cancelled: 林峰 changed his mind within the cooling-off period and had his deposit back.

A financed order is reserved on the quote of the customer's application (`finance/credit_demo.py`, loaded first); a
cash order on a new comparison of a car at the store. Idempotent: nothing is added once the customers have orders;
a catalog that would be left with fewer than `KEEP_ON_SALE` cars at the store gets fewer orders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.accounts.demo import CUSTOMER, DEMO_STORE, MANAGER_EMAIL, ensure_demo_customers
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core import clock
from forecourt.core.errors import DomainError
from forecourt.core.settings import Settings
from forecourt.finance.credit import review
from forecourt.finance.demo_days import CarsForSale, moment
from forecourt.finance.models import Order
from forecourt.finance.orders import cancellation, lookups, reservation
from forecourt.finance.orders import service as orders
from forecourt.finance.quotes import service as quotes
from forecourt.integrations import build_integrations
from forecourt.payments.providers import PaymentProvider

KEEP_ON_SALE = 4  # cars a small demo catalog keeps available at the store (its own pages and tests pick from them)
TERMS = quotes.QuoteInputs(term_months=36, down_percent=Decimal("0.2"))  # compared as the customers did
QUOTED_BEFORE = timedelta(minutes=15)
Step = tuple[int, time]  # (days from the store's today, local time)


@dataclass(frozen=True)
class DemoOrder:
    customer: str  # a key of accounts.demo.CUSTOMER
    reserved: Step
    financed: bool = False  # on the loan quote of the customer's application; else cash
    models: tuple[str, ...] = ()  # a cash order's car (none: the car of the customer's application)
    confirmed: Step | None = None
    completed: Step | None = None
    cancelled: tuple[int, time, str] | None = None  # by the buyer, with their reason


ORDERS = (
    DemoOrder("liu.qiang", (-2, time(16)), financed=True, confirmed=(-1, time(10, 30))),
    DemoOrder("huang.li", (-1, time(17)), financed=True),
    DemoOrder("sun.yue", (0, time(10)), financed=True),
    DemoOrder("hu.min", (-1, time(14, 30)), models=("focus", "escort")),
    DemoOrder("he.xue", (-3, time(11)), confirmed=(-2, time(15))),
    DemoOrder("zheng.hao", (-9, time(11)), models=("edge", "kuga"), confirmed=(-8, time(10)), completed=(-5, time(16))),
    DemoOrder(
        "lin.feng", (-2, time(12)), models=("taurus", "mondeo"), cancelled=(-1, time(18), "想再比较一下其他车型")
    ),
)


@dataclass
class _SalesDesk:
    """What every order needs: the session, the store, its manager, one payment provider for charges and refunds."""

    session: Session
    store: Store
    manager_id: int
    payments: PaymentProvider
    now: datetime
    cars: CarsForSale  # a cash order takes none of the cars the customers applied for


def load_order_demo(session: Session, settings: Settings, now: datetime | None = None) -> str:
    now = now or clock.utcnow()
    manager = accounts.find_user(session, MANAGER_EMAIL)
    if manager is None:
        return "orders: skipped (no demo store manager)"
    customers = ensure_demo_customers(session)
    if any(lookups.list_my_orders(session, user_id) for user_id in customers.values()):
        return "orders: the customers' orders are already there"
    store = catalog.get_store(session, DEMO_STORE)
    applied = {row.vehicle_id for user_id in customers.values() for row in review.list_own(session, user_id)}
    cars = CarsForSale.at(session, store, taken=applied)
    desk = _SalesDesk(session, store, manager.id, build_integrations(settings).payments, now, cars)
    made = []
    for spec in ORDERS:
        if len(cars.on_sale()) <= KEEP_ON_SALE:
            break
        user_id = customers[CUSTOMER[spec.customer].email]
        order = _maybe(session, lambda spec=spec, user_id=user_id: _order(desk, spec, user_id))
        if order is not None:
            made.append(order)
    if not made:
        return f"orders: none ({DEMO_STORE} keeps its last {KEEP_ON_SALE} cars on sale)"
    shown = ", ".join(f"{count} {status}" for status, count in sorted(Counter(m.status for m in made).items()))
    return f"orders: {len(made)} at {DEMO_STORE} ({shown})"


def _maybe(session: Session, step: Callable[[], Order | None]) -> Order | None:
    try:
        with session.begin_nested():
            return step()
    except DomainError:
        return None


def _order(desk: _SalesDesk, spec: DemoOrder, user_id: int) -> Order | None:
    at = moment(desk.store, desk.now, *spec.reserved)
    quote = _quote(desk, spec, user_id, at)
    if quote is None:
        return None
    with clock.pinned(at):
        order = reservation.reserve(desk.session, user_id, quote, "demo-card-ok", at, payment_provider=desk.payments)
    if spec.confirmed is not None:
        at = moment(desk.store, desk.now, *spec.confirmed)
        with clock.pinned(at):
            orders.confirm(desk.session, order.reference, desk.manager_id, now=at)
    if spec.completed is not None:
        at = moment(desk.store, desk.now, *spec.completed)
        with clock.pinned(at):
            orders.complete(desk.session, order.reference, desk.manager_id, now=at)
    if spec.cancelled is not None:
        day, local, reason = spec.cancelled
        at = moment(desk.store, desk.now, day, local)
        with clock.pinned(at):
            cancellation.cancel(
                desk.session, order.reference, user_id, False, reason, at, payment_provider=desk.payments
            )
    return order


def _quote(desk: _SalesDesk, spec: DemoOrder, user_id: int, at: datetime) -> str | None:
    """The reference to reserve from: the loan quote the customer applied on, or a new cash quote (of the car of their
    latest application when the order names no models)."""
    applied = [row for row in review.list_own(desk.session, user_id) if row.kind == "application"]
    if spec.financed:
        return review.quote_reference(desk.session, applied[0]) if applied else None
    if spec.models:
        car = desk.cars.take(spec.models)
        vin = car.vin if car is not None else None
    else:
        vin = catalog.get_vehicle_by_id(desk.session, applied[0].vehicle_id).vin if applied else None
    if vin is None:
        return None
    with clock.pinned(at - QUOTED_BEFORE):
        comparison = quotes.compare(desk.session, vin, TERMS, clock.utcnow().date(), user_id=user_id)
    cash = comparison.quote_for("cash")
    return cash.reference if cash is not None else None
