"""A world for the "no action leads nowhere" tests: cars in every status, quotes made by the real use case (one
open to anyone, one of a signed-in shopper, one expired, one whose car was reserved since), a reserved cash order,
a lead with its open first-contact task, and a person for each role (the demo's roles, plus staff of another
store and a marketer who is also store staff: the case where "may see" and "may change" differ)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from forecourt.core.references import new_reference
from forecourt.finance.models import Order
from forecourt.finance.quotes import service as quotes
from forecourt.marketing.leads.repository import tasks_of_lead
from tests.backoffice.helpers import _lead_of_store
from tests.factories import make_user, make_vehicle
from tests.finance.quotes.helpers import NOW, TODAY, make_lot

INPUTS = quotes.QuoteInputs(term_months=36, down_percent=Decimal("0.2"), annual_mileage=15_000)


@dataclass
class ActionWorld:
    cars: dict[str, Any]  # by status: available, in_transit, reserved, sold (and "ordered": the order's car)
    users: dict[str, Any]  # by role name; "anonymous" is not a user
    open_quote: str  # made signed out: anyone with the reference may open it
    shopper_quote: str  # the shopper's own comparison of the available car
    cash_quote: str  # its cash row
    loan_quote: str  # its loan row
    expired_quote: str
    quote_of_reserved_car: str  # made while the car was on sale; it has been reserved since
    order_reference: str  # the shopper's reserved cash order
    lead_reference: str  # a new lead of gz-tianhe with an open first-contact task
    task_id: int


def _compare(session: Session, vehicle: Any, user_id: int | None) -> quotes.Comparison:
    return quotes.compare(session, vehicle.vin, INPUTS, TODAY, user_id)


def make_action_world(session: Session) -> ActionWorld:
    """Call with the clock pinned at NOW."""
    lot = make_lot(session)
    stores, trims = lot.catalog["stores"], lot.catalog["trims"]
    home, away = stores["gz-tianhe"], stores["sh-pudong"]
    users = {
        "shopper": make_user(session, roles=[("shopper", None)]),
        "store_staff": make_user(session, roles=[("store_staff", home.id)]),
        "other_store_staff": make_user(session, roles=[("store_staff", away.id)]),
        "finance_officer": make_user(session, roles=[("finance_officer", None)]),
        "marketer": make_user(session, roles=[("marketer", None)]),
        "staff_and_marketer": make_user(session, roles=[("store_staff", away.id), ("marketer", None)]),
        "admin": make_user(session, roles=[("admin", None)]),
    }
    mondeo = trims["mondeo-ecoboost180"]
    cars = {
        "available": lot.mondeo,
        "in_transit": make_vehicle(session, mondeo, home, status="in_transit"),
        "reserved": lot.kuga,
        "sold": make_vehicle(session, mondeo, home, status="sold"),
        "ordered": lot.hybrid,
    }
    shopper = users["shopper"]
    opened = _compare(session, lot.mondeo, None)
    mine = _compare(session, lot.mondeo, shopper.id)
    expired = _compare(session, lot.mondeo, None)
    for row in expired.quotes:
        row.expires_at = NOW - timedelta(minutes=1)
    of_reserved = _compare(session, lot.kuga, None)
    lot.kuga.status = "reserved"
    ordered = _compare(session, lot.hybrid, shopper.id)
    cash = ordered.quote_for(quotes.CASH)
    lot.hybrid.status = "reserved"
    order = Order(
        reference=new_reference("OR"),
        user_id=shopper.id,
        vehicle_id=lot.hybrid.id,
        store_id=lot.hybrid.store_id,
        quote_id=cash.id,
        product="cash",
        status="reserved",
        price=cash.price,
        currency=cash.currency,
        deposit_amount=Decimal("10000.00"),
        refunded_amount=Decimal("0.00"),
        cancel_reason="",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(order)
    lead = _lead_of_store(session, shopper, home)
    lead.name_masked = "Z***"  # contact details to reveal (masked only: the reveal shows nothing more, and is logged)
    session.flush()
    task_id = tasks_of_lead(session, lead.id)[0].id
    session.commit()
    return ActionWorld(
        cars=cars,
        users=users,
        open_quote=opened.reference,
        shopper_quote=mine.reference,
        cash_quote=mine.quote_for(quotes.CASH).reference,
        loan_quote=mine.quote_for(quotes.LOAN).reference,
        expired_quote=expired.reference,
        quote_of_reserved_car=of_reserved.reference,
        order_reference=order.reference,
        lead_reference=lead.reference,
        task_id=task_id,
    )


@contextmanager
def rolled_back(connection: Connection) -> Iterator[None]:
    """Requests made inside change nothing for the ones after: each form is tried on the same world."""
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()
