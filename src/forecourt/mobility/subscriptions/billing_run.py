"""The monthly invoices, billed in arrears once a period is over (`billing.period_invoice`).

Exactly once across workers: a worker claims subscriptions with `FOR UPDATE SKIP LOCKED`, and the invoice's unique
(subscription, period) key refuses a second invoice of a period whatever happens. The payment provider's
idempotency key is the subscription and period, so a retried charge is not taken twice either. A declined charge
leaves the invoice unpaid (no payment) for the store to follow up; the subscription still moves on.

Km driven come from the cars' own odometers (telematics): for each car of the period, its highest reading of the
period's last day (or the last before it) less the last reading before the period's first day. A car that did not
report in a period bills those km in the next period it reports in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.mobility import billing
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.models import Subscription, SubscriptionInvoice, SubscriptionSegment
from forecourt.mobility.subscriptions import repository, terms
from forecourt.payments import service as payments
from forecourt.payments.providers import PaymentProvider
from forecourt.telematics import query_service as telemetry
from forecourt.testdrive import reservations
from forecourt.testdrive.models import BookingPurpose

INVOICE_PURPOSE = "subscription_invoice"


def _class_terms(session: Session, class_id: int) -> billing.ClassTerms:
    plan = repository.plan(session, class_id)
    code = next(c.code for c in fleet.classes(session) if c.id == class_id)
    return billing.ClassTerms(code, plan.monthly_price, plan.km_per_month, plan.per_km_over)


def _reading_before(readings: list, day: date) -> int | None:
    earlier = [r.km for r in readings if r.day < day]
    return max(earlier) if earlier else None


def km_driven(session: Session, vehicle_id: int, first: date, last: date, zone: str) -> int:
    """The car's km from the start of `first` to the end of `last` (local days), by its own odometer."""
    tz = ZoneInfo(zone)
    start = datetime.combine(first - timedelta(days=400), datetime.min.time(), tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz)
    readings = telemetry.daily_odometer(session, vehicle_id, start, end, zone)
    at_start = _reading_before(readings, first)
    at_end = _reading_before(readings, last + timedelta(days=1))
    if at_end is None:
        return 0
    if at_start is None:  # the car's first report is inside the period: measure from it
        at_start = min(r.km for r in readings if first <= r.day <= last)
    return max(0, at_end - at_start)


def _segments_in(
    session: Session, segments: list[SubscriptionSegment], first: date, last: date
) -> list[tuple[SubscriptionSegment, date, date]]:
    found = []
    for segment in segments:
        seg_last = segment.last_day or last
        a, b = max(segment.first_day, first), min(seg_last, last)
        if a <= b:
            found.append((segment, a, b))
    return found


@dataclass(frozen=True)
class PeriodBill:
    """A period's invoice figures, written nowhere: its first day, the last day billed, the bill."""

    first: date
    last: date
    bill: billing.PeriodInvoice


def period_bill(
    session: Session, subscription: Subscription, index: int, now: datetime, *, ends_on: date | None, km_carried_in: int
) -> PeriodBill:
    """Period `index`'s figures, up to `ends_on` when the subscription ends inside the period: each day then costs
    and earns what it would in the full period (`billing.period_invoice`'s `full_period_days`)."""
    first, last = terms.period(subscription.started_on, index)
    full_period_days = (last - first).days + 1
    if ends_on is not None:
        last = min(last, ends_on)
    store = catalog.stores_by_id(session)[subscription.store_id]
    parts = _segments_in(session, list(repository.segments(session, subscription.id)), first, last)
    segments = [billing.Segment(_class_terms(session, s.class_id), a, b, s.paused) for s, a, b in parts]
    driven = 0
    for segment, a, b in parts:
        if segment.reservation_reference and not segment.paused:
            car = reservations.get(session, segment.reservation_reference, BookingPurpose.SUBSCRIPTION, now=now)
            driven += km_driven(session, car.vehicle_id, a, b, store.time_zone)
    fees = [s.swap_fee for s, a, _ in parts if s.swap_fee > 0 and s.first_day == a]
    bill = billing.period_invoice(
        period_first_day=first,
        period_last_day=last,
        segments=segments,
        km_driven=driven,
        km_carried_in=km_carried_in,
        rollover_cap_km=terms.FAMILY.rollover_cap_km,
        swap_fees=fees,
        pause_fee_per_day=terms.FAMILY.pause_fee_per_day,
        full_period_days=full_period_days,
    )
    return PeriodBill(first, last, bill)


def invoice_period(
    session: Session, subscription: Subscription, index: int, provider: PaymentProvider, now: datetime
) -> SubscriptionInvoice | None:
    """Bill period `index` of the subscription, once; None when another worker billed it first."""
    figures = period_bill(
        session, subscription, index, now, ends_on=subscription.ends_on, km_carried_in=subscription.km_carried
    )
    first, last, bill = figures.first, figures.last, figures.bill
    invoice = SubscriptionInvoice(
        subscription_id=subscription.id,
        period_first_day=first,
        period_last_day=last,
        lines=[
            {
                "code": line.code.value,
                "quantity": line.quantity,
                "unit": line.unit.value,
                "amount": str(line.amount),
                "class": line.class_code,
            }
            for line in bill.lines
        ],
        total=bill.total,
        km_driven=bill.km_driven,
        km_carried_out=bill.km_carried_out,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(invoice)
            session.flush()
    except IntegrityError:
        return None
    if bill.total > 0:
        try:
            invoice.payment_id = payments.charge(
                session,
                provider,
                user_id=subscription.subscriber_user_id,
                purpose=INVOICE_PURPOSE,
                subject=subscription.reference,
                amount=bill.total,
                currency="CNY",
                method_token=subscription.payment_method,
                idempotency_key=f"{subscription.reference}:{first.isoformat()}",
            ).id
        except payments.PaymentFailed:
            invoice.payment_id = None  # unpaid: the store follows up
    subscription.km_carried = bill.km_carried_out
    subscription.billed_until = last
    if subscription.ends_on is not None and last >= subscription.ends_on:
        subscription.status = "ended"
    subscription.updated_at = now
    session.flush()
    audit.record(
        session,
        None,
        "mobility.subscription_invoiced",
        "subscription",
        subscription.reference,
        subscription.store_id,
        period=first.isoformat(),
        total=str(bill.total),
        paid=invoice.payment_id is not None,
    )
    return invoice


def bill_due(session: Session, provider: PaymentProvider, *, now: datetime) -> int:
    """Invoice every period that is over and not yet billed; returns how many invoices were made."""
    made = 0
    zone_today = {s.id: now.astimezone(ZoneInfo(s.time_zone)).date() for s in catalog.stores_by_id(session).values()}
    for subscription in repository.claim_billable(session, max(zone_today.values(), default=now.date())):
        today = zone_today[subscription.store_id]
        while True:
            next_day = (
                subscription.billed_until + timedelta(days=1) if subscription.billed_until else subscription.started_on
            )
            if subscription.ends_on is not None and next_day > subscription.ends_on:
                break
            index, _, last = terms.period_of(subscription.started_on, next_day)
            if last >= today and not (subscription.ends_on is not None and subscription.ends_on < today):
                break  # the period is not over yet
            if invoice_period(session, subscription, index, provider, now) is None:
                break
            made += 1
    return made


@dataclass(frozen=True)
class PeriodToDate:
    """The billing period holding today, as its invoice would read it so far."""

    first_day: date
    last_day: date  # the period's end, or the subscription's last day if that comes first
    km_driven: int  # by the cars' own odometers, up to the end of today
    km_earned: int  # the allowance the period's days earn if nothing changes before its end
    km_carried_in: int  # banked by the last invoice (at most the rollover cap)

    @property
    def km_available(self) -> int:
        return self.km_earned + self.km_carried_in


def period_to_date(session: Session, subscription: Subscription, today: date, *, now: datetime) -> PeriodToDate | None:
    """The current period's km so far against its allowance, read as `invoice_period` will; None before the first
    day and after the last."""
    if today < subscription.started_on or (subscription.ends_on is not None and today > subscription.ends_on):
        return None
    _, first, last = terms.period_of(subscription.started_on, today)
    if subscription.ends_on is not None:
        last = min(last, subscription.ends_on)
    zone = catalog.stores_by_id(session)[subscription.store_id].time_zone
    parts = _segments_in(session, list(repository.segments(session, subscription.id)), first, last)
    earned = billing.period_invoice(
        period_first_day=first,
        period_last_day=last,
        segments=[billing.Segment(_class_terms(session, s.class_id), a, b, s.paused) for s, a, b in parts],
        km_driven=0,
        km_carried_in=subscription.km_carried,
        rollover_cap_km=terms.FAMILY.rollover_cap_km,
        swap_fees=[],
        pause_fee_per_day=terms.FAMILY.pause_fee_per_day,
    ).km_earned
    driven = 0
    for segment, a, b in parts:
        if segment.reservation_reference and not segment.paused and a <= today:
            car = reservations.get(session, segment.reservation_reference, BookingPurpose.SUBSCRIPTION, now=now)
            driven += km_driven(session, car.vehicle_id, a, min(b, today), zone)
    return PeriodToDate(first, last, driven, earned, subscription.km_carried)


def unbilled_periods(subscription: Subscription, through: date) -> list[int]:
    """The indices of the periods with days not yet invoiced from the first such day up to `through`."""
    day = subscription.billed_until + timedelta(days=1) if subscription.billed_until else subscription.started_on
    indices = []
    while day <= through:
        index, _, last = terms.period_of(subscription.started_on, day)
        indices.append(index)
        day = last + timedelta(days=1)
    return indices


def final_bills(session: Session, subscription: Subscription, last_day: date, now: datetime) -> list[PeriodBill]:
    """What ending the subscription on `last_day` would invoice, written nowhere: each period not yet billed, the
    last one up to `last_day`, with the unused km carried from one to the next as the billing run carries them."""
    bills, carried = [], subscription.km_carried
    for index in unbilled_periods(subscription, last_day):
        figures = period_bill(session, subscription, index, now, ends_on=last_day, km_carried_in=carried)
        bills.append(figures)
        carried = figures.bill.km_carried_out
    return bills


def bill_to_end(
    session: Session, subscription: Subscription, provider: PaymentProvider, now: datetime
) -> list[SubscriptionInvoice]:
    """Invoice every period up to the subscription's last day (`ends_on`) now, over or not: the subscription has
    ended early (bought by its subscriber). The caller holds the subscription's row, so no billing run bills these
    periods at the same time."""
    assert subscription.ends_on is not None, "set the last day before the final invoices"
    made = []
    for index in unbilled_periods(subscription, subscription.ends_on):
        invoice = invoice_period(session, subscription, index, provider, now)
        if invoice is not None:
            made.append(invoice)
    return made


def purchase_credit(session: Session, subscription: Subscription) -> Decimal:
    """What buying the car would credit: a share of the subscription fees paid, capped."""
    paid = sum((i.total for i in repository.invoices(session, subscription.id) if i.payment_id), Decimal("0.00"))
    return billing.purchase_credit(
        paid, share_percent=terms.FAMILY.purchase_credit_percent, cap=terms.FAMILY.purchase_credit_cap
    )
