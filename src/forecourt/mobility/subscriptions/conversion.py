"""Convert a subscription to a purchase: the subscriber buys the car they drive, with the purchase credit (a share
of the subscription fees paid) towards it and a loan from finance's own engine for the rest.

The conversion day (the store's local day) is the subscription's last day. No notice and no minimum term apply:
they keep a returned car from standing idle in the fleet, and a sold car does not come back. The days not yet
invoiced up to that day are billed now (`billing_run.final_bills` / `bill_to_end`), each day at the price it has in
its full period, and charged with the subscriber's payment token; that final invoice counts among the fees paid, so
the credit includes it. A declined final charge refuses the conversion (402 `final_invoice_declined`).

The quote (`conversion_quote`, nothing stored) prices the loan with `finance.quotes.price_unstored`: the credit
plus the cash the subscriber adds is the down payment, so the engine's figures are those of the reduced amount.
`convert` makes the same checks, then in the caller's one transaction: the final invoices, the subscription
reservation finished (the car stays with its driver), the car moved to the sale pool, finance's comparison stored
for the subscriber (`quotes.compare`, the same inputs) and an order reserved on its loan quote
(`orders.reservation.reserve`: the deposit charged on the same token, the car reserved). The normal order flow
continues from there: a credit application on the quote, the store's confirm, the hand-over. Refusals, each with
its stable code: docs/mobility.md#converting-a-subscription-to-a-purchase.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import FleetPool, VehicleStatus
from forecourt.catalog.models import Vehicle
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound
from forecourt.core.money import round_money
from forecourt.finance.models import Order
from forecourt.finance.orders import reservation as orders
from forecourt.finance.quotes import service as quotes
from forecourt.mobility import billing
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.models import Subscription, SubscriptionSegment
from forecourt.mobility.subscriptions import billing_run, repository, terms
from forecourt.mobility.subscriptions.service import SUBSCRIPTION, current_segment, local_today
from forecourt.payments.providers import PaymentProvider
from forecourt.payments.service import PaymentFailed
from forecourt.testdrive import reservations

PRODUCTS = (quotes.LOAN, quotes.BALLOON)  # a purchase: the car is the buyer's, not a lessor's
MAX_CASH = Decimal("10000000.00")  # CNY 10 million: above any car Forecourt sells, refused as a typo
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ConversionInputs:
    product: str = quotes.LOAN
    term_months: int = 36
    cash_down: Decimal = ZERO  # the subscriber's own cash beside the credit
    balloon_percent: Decimal | None = None  # balloon loans: None is the program's maximum


@dataclass(frozen=True)
class LoanFigures:
    """The engine's figures of the loan, as its comparison stores them (percentages with two decimals)."""

    program: str
    rebate: Decimal
    net_price: Decimal
    fee: Decimal
    amount_financed: Decimal  # the net price less the down payment
    monthly_payment: Decimal
    term_months: int
    balloon: Decimal
    apr_percent: Decimal
    annualised_rate_percent: Decimal
    finance_charge: Decimal
    total_of_payments: Decimal

    @classmethod
    def of(cls, priced: quotes.Priced) -> LoanFigures:
        figures, program = priced.figures, priced.program
        assert program is not None  # a financed product always has its program
        amounts = ("rebate", "net_price", "fee", "amount_financed", "monthly_payment", "balloon", "finance_charge")
        return cls(
            program=program.code,
            term_months=int(figures["term_months"]),
            apr_percent=Decimal(figures["apr"]),
            annualised_rate_percent=Decimal(figures["annualised_rate"]),
            total_of_payments=Decimal(figures["total_of_payments"]),
            **{name: Decimal(figures[name]) for name in amounts},
        )


@dataclass(frozen=True)
class ConversionQuote:
    subscription: Subscription
    segment: SubscriptionSegment
    vehicle: Vehicle
    today: date  # the conversion day: the subscription's last day
    inputs: ConversionInputs
    final_bills: tuple[billing_run.PeriodBill, ...]  # the days not yet invoiced, billed on converting
    fees_paid_before: Decimal  # invoices already paid
    purchase_credit: Decimal  # of the fees paid before plus the final invoice, capped
    priced: quotes.Priced | None  # the engine's figures for the price less credit and cash
    not_offered: quotes.NotOffered | None  # or why the engine offers no loan for these figures

    @property
    def car_price(self) -> Decimal:
        return self.vehicle.price

    @property
    def final_invoice(self) -> Decimal:
        return sum((bill.bill.total for bill in self.final_bills), ZERO)

    @property
    def down_payment(self) -> Decimal:
        return self.purchase_credit + self.inputs.cash_down

    @property
    def loan(self) -> LoanFigures | None:
        return None if self.priced is None else LoanFigures.of(self.priced)

    @property
    def amount_to_finance(self) -> Decimal | None:
        """The price after the program's rebate less the down payment (the loan's amount financed)."""
        return None if self.priced is None else Decimal(self.priced.figures["amount_financed"])

    @property
    def minimum_down_payment(self) -> Decimal | None:
        """When the down payment is under the loan's minimum: that minimum (the credit counts towards it)."""
        refused = self.not_offered
        minimum = refused.details.get("minimum_down_payment") if refused else None
        return None if minimum is None else Decimal(minimum)


@dataclass(frozen=True)
class Conversion:
    subscription: Subscription
    order: Order
    quote_reference: str
    purchase_credit: Decimal
    final_invoice: Decimal


def check_inputs(inputs: ConversionInputs) -> None:
    problems: list[FieldError] = []
    if inputs.product not in PRODUCTS:
        problems.append(FieldError("product", f"must be one of {', '.join(PRODUCTS)}", inputs.product))
    term = inputs.term_months
    if isinstance(term, bool) or not isinstance(term, int) or not 1 <= term <= 120:
        problems.append(FieldError("term_months", "must be 1 to 120 months", term))
    cash = inputs.cash_down
    if not isinstance(cash, Decimal) or not cash.is_finite() or not ZERO <= cash <= MAX_CASH:
        problems.append(FieldError("cash_down", f"must be an amount from 0 to {MAX_CASH:,.2f}", str(cash)))
    elif cash != round_money(cash):
        problems.append(FieldError("cash_down", "must be in whole fen (two decimals)", str(cash)))
    share = inputs.balloon_percent
    if share is not None and (inputs.product != quotes.BALLOON or not (share.is_finite() and 0 < share < 1)):
        problems.append(FieldError("balloon_percent", "a fraction above 0 and below 1, balloon loans only", str(share)))
    if problems:
        raise InvalidInput("The conversion has invalid fields; see errors.", code="invalid_conversion", errors=problems)


def conversion_quote(
    session: Session, user_id: int, reference: str, inputs: ConversionInputs, now: datetime, *, lock: bool = False
) -> ConversionQuote:
    """What buying the subscription's car today comes to, or the refusal that stops it (nothing is stored)."""
    check_inputs(inputs)
    subscription = _own(session, user_id, reference, lock)
    store = catalog.stores_by_id(session)[subscription.store_id]
    today = local_today(store, now)
    segment = _driving_today(session, subscription, today)
    vehicle = _car_of(session, segment, now)
    bills = tuple(billing_run.final_bills(session, subscription, today, now))
    paid_before = _fees_paid(session, subscription)
    credit = billing.purchase_credit(
        paid_before + sum((bill.bill.total for bill in bills), ZERO),
        share_percent=terms.FAMILY.purchase_credit_percent,
        cap=terms.FAMILY.purchase_credit_cap,
    )
    if credit >= vehicle.price:
        raise Conflict(
            f"The purchase credit {credit:,.2f} covers the car's price {vehicle.price:,.2f}; ask the store",
            code="credit_exceeds_price",
            extra={"purchase_credit": str(credit), "price": str(vehicle.price)},
        )
    asked = quotes.QuoteInputs(
        term_months=inputs.term_months, down_payment=credit + inputs.cash_down, balloon_percent=inputs.balloon_percent
    )
    priced = quotes.price_unstored(session, vehicle, inputs.product, asked, today)
    if isinstance(priced, quotes.NotOffered):
        _refuse_choice(priced, inputs.term_months)
    return ConversionQuote(
        subscription=subscription,
        segment=segment,
        vehicle=vehicle,
        today=today,
        inputs=inputs,
        final_bills=bills,
        fees_paid_before=paid_before,
        purchase_credit=credit,
        priced=None if isinstance(priced, quotes.NotOffered) else priced,
        not_offered=priced if isinstance(priced, quotes.NotOffered) else None,
    )


def convert(
    session: Session,
    user_id: int,
    reference: str,
    inputs: ConversionInputs,
    *,
    payment_method: str | None,
    payment_provider: PaymentProvider,
    now: datetime,
) -> Conversion:
    """Buy the subscription's car, all or nothing in the caller's transaction (the module's docstring). The final
    invoice and the order's deposit are charged with `payment_method` (a reusable token), by default the
    subscription's own; a new one becomes the subscription's."""
    quote = conversion_quote(session, user_id, reference, inputs, now, lock=True)
    if quote.not_offered is not None:
        raise InvalidInput(quote.not_offered.message, code=quote.not_offered.code, extra=quote.not_offered.details)
    subscription, vehicle = quote.subscription, quote.vehicle
    if payment_method and payment_method.strip():
        subscription.payment_method = payment_method.strip()[:64]
    subscription.ends_on = quote.segment.last_day = quote.today
    final = _bill_final(session, subscription, payment_provider, now)
    credit = billing_run.purchase_credit(session, subscription)
    reservations.finish_with_sale(session, quote.segment.reservation_reference or "", SUBSCRIPTION, now=now)
    fleet.move_car(session, vehicle.vin, FleetPool.SALE, actor=user_id, allowed_store_ids=None, now=now)
    asked = quotes.QuoteInputs(
        term_months=inputs.term_months, down_payment=credit + inputs.cash_down, balloon_percent=inputs.balloon_percent
    )
    comparison = quotes.compare(session, vehicle.vin, asked, quote.today, user_id=user_id)
    loan = comparison.quote_for(inputs.product)
    if loan is None:  # priced a moment ago on the same figures: only a program retired in between gets here
        raise Conflict("Finance no longer offers this loan; ask for a new quote", code="conversion_quote_changed")
    order = orders.reserve(
        session, user_id, loan.reference, subscription.payment_method, now, payment_provider=payment_provider
    )
    subscription.status, subscription.updated_at = "converted", now
    subscription.conversion_order_reference, subscription.conversion_credit = order.reference, credit
    session.flush()
    audit.record(
        session,
        user_id,
        "mobility.subscription_converted",
        "subscription",
        subscription.reference,
        subscription.store_id,
        vin=vehicle.vin,
        order=order.reference,
        quote=loan.reference,
        purchase_credit=str(credit),
        final_invoice=str(final),
    )
    return Conversion(subscription, order, loan.reference, credit, final)


# --- checks ------------------------------------------------------------------------------------------------------


def owned_subscription(session: Session, user_id: int, reference: str, *, lock: bool = False) -> Subscription:
    """The subscriber's subscription in any status (404 `subscription_not_found` for anyone else's)."""
    subscription = repository.get(session, reference.strip().upper()[:12], for_update=lock)
    if subscription is None or subscription.subscriber_user_id != user_id:
        raise NotFound(f"No subscription {reference}", code="subscription_not_found")
    return subscription


def _own(session: Session, user_id: int, reference: str, lock: bool) -> Subscription:
    subscription = owned_subscription(session, user_id, reference, lock=lock)
    if subscription.status != "active":
        raise Conflict(
            f"Subscription {subscription.reference} is {subscription.status}; only an active one converts",
            code="subscription_not_active",
            extra={"subscription_status": subscription.status, "order": subscription.conversion_order_reference},
        )
    return subscription


def _driving_today(session: Session, subscription: Subscription, today: date) -> SubscriptionSegment:
    """The segment with the car the subscriber drives today, which must be the last: a swap or pause booked for a
    later day would leave the car or the days after the purchase undecided."""
    if today < subscription.started_on:
        raise Conflict(
            f"Subscription {subscription.reference} starts on {subscription.started_on}; convert from that day",
            code="subscription_not_started",
            extra={"from": subscription.started_on.isoformat()},
        )
    segment = current_segment(session, subscription)
    if segment.first_day > today or segment.paused or not segment.reservation_reference:
        raise Conflict(
            f"A change to subscription {subscription.reference} is booked for {segment.first_day}; "
            "convert from that day",
            code="subscription_change_pending",
            extra={"from": segment.first_day.isoformat()},
        )
    return segment


def _car_of(session: Session, segment: SubscriptionSegment, now: datetime) -> Vehicle:
    reserved = reservations.get(session, segment.reservation_reference or "", SUBSCRIPTION, now=now)
    vehicle = catalog.get_vehicle_by_id(session, reserved.vehicle_id)
    in_fleet = vehicle.fleet_pool == FleetPool.SUBSCRIPTION.value and vehicle.status == VehicleStatus.IN_SERVICE.value
    if not in_fleet or reserved.status not in ("confirmed", "in_progress"):
        raise Conflict(
            f"Vehicle {vehicle.vin} cannot be sold from the subscription fleet now; ask the store",
            code="car_not_convertible",
            extra={"vin": vehicle.vin, "vehicle_status": vehicle.status, "fleet_pool": vehicle.fleet_pool},
        )
    return vehicle


def _fees_paid(session: Session, subscription: Subscription) -> Decimal:
    return sum((i.total for i in repository.invoices(session, subscription.id) if i.payment_id), ZERO)


def _refuse_choice(refused: quotes.NotOffered, term_months: int) -> None:
    """A product or term finance does not offer on this car is the subscriber's choice to correct (422, with the
    terms offered); a down payment under the minimum and the like are the answer, with the figure that cures it."""
    if refused.code == "no_program":
        raise InvalidInput(refused.message, code="product_not_offered", errors=[FieldError("product", refused.message)])
    if refused.code in ("no_program_for_term", "term_too_long"):
        offered = list(refused.details.get("offered_terms") or [])
        raise InvalidInput(
            refused.message,
            code="term_not_offered",
            errors=[FieldError("term_months", refused.message, term_months)],
            extra={"offered_terms": offered},
        )


def _bill_final(session: Session, subscription: Subscription, provider: PaymentProvider, now: datetime) -> Decimal:
    invoices = billing_run.bill_to_end(session, subscription, provider, now)
    unpaid = [i for i in invoices if i.total > 0 and i.payment_id is None]
    if unpaid:
        raise PaymentFailed(
            f"The final invoice of subscription {subscription.reference} was declined; use another card",
            code="final_invoice_declined",
        )
    return sum((i.total for i in invoices), ZERO)
