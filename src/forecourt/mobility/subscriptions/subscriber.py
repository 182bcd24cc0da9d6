"""What the subscriber's pages read besides the subscription itself: the plan family each store offers, and a
subscription as its subscriber sees it — the car now, the cars and pauses so far, the invoices line by line, the
period's km against its allowance, the next invoice, and which changes may take effect on which days.

The days come from the rules the use cases enforce (`service.change_window`, `service.swap_days` with
`terms.next_swap_day`, `terms.notice_end`, `terms.FAMILY.longest_pause_days`), so a page offers a change only for
days its route accepts. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import FleetPool
from forecourt.catalog.models import Store, VehicleModel
from forecourt.core.crypto import FieldCipher
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.models import MobilityClass, Subscription, SubscriptionInvoice, SubscriptionPlan
from forecourt.mobility.models import SubscriptionSegment as Segment
from forecourt.mobility.subscriptions import billing_run, eligibility, repository, terms
from forecourt.mobility.subscriptions import service as subscriptions
from forecourt.testdrive import reservations
from forecourt.testdrive.models import BookingPurpose

CHANGEABLE = ("active", "paused")


@dataclass(frozen=True)
class Plan:
    """A class offered by subscription at a store: its plan, and its models the store has."""

    mobility_class: MobilityClass
    plan: SubscriptionPlan
    models: tuple[VehicleModel, ...]


@dataclass(frozen=True)
class StoreOffer:
    store: Store
    plans: tuple[Plan, ...]

    def plan(self, class_code: str) -> Plan | None:
        return next((p for p in self.plans if p.mobility_class.code == class_code), None)


def subscription_offer(session: Session) -> list[StoreOffer]:
    """Stores with cars in their subscription fleet, in code order, each with the classes (smallest first) that have
    a plan and a model the store has."""
    models = {model.code: model for model in catalog.list_models(session)}
    stores = catalog.stores_by_id(session)
    planned = [(c, repository.plan(session, c.id)) for c in fleet.classes(session)]
    offer = []
    for store_id, codes in catalog.pool_store_models(session, FleetPool.SUBSCRIPTION).items():
        plans = []
        for mobility_class, plan in planned:
            here = tuple(models[code] for code in mobility_class.model_codes if code in codes and code in models)
            if plan is not None and here:
                plans.append(Plan(mobility_class, plan, here))
        if plans and store_id in stores:
            offer.append(StoreOffer(stores[store_id], tuple(plans)))
    return sorted(offer, key=lambda found: found.store.code)


@dataclass(frozen=True)
class SegmentView:
    segment: Segment
    mobility_class: MobilityClass
    car: reservations.Reservation | None  # None while paused


@dataclass(frozen=True)
class InvoiceLine:
    code: str
    quantity: int
    unit: str
    amount: Decimal
    mobility_class: MobilityClass | None  # the class the days were spent in (subscription and pause lines)


@dataclass(frozen=True)
class InvoiceView:
    invoice: SubscriptionInvoice
    lines: tuple[InvoiceLine, ...]

    @property
    def paid(self) -> bool:
        return self.invoice.payment_id is not None


@dataclass(frozen=True)
class Window:
    """The days a change may take effect on, both included."""

    first: date
    last: date


@dataclass(frozen=True)
class SwapOffer:
    plans: tuple[Plan, ...]  # the store's other classes
    fee: Decimal
    window: Window | None  # None: no day in reach allows a swap
    next_swap_on: date  # the first day a swap may take effect
    limited: bool  # a swap this month already pushes the first day to a later month


@dataclass(frozen=True)
class SubscriberView:
    subscription: Subscription
    store: Store
    segments: tuple[SegmentView, ...]
    now: SegmentView  # the car (or pause) of today, or the first one before the start
    upcoming: tuple[SegmentView, ...]  # changes that take effect after today
    plans: dict[int, SubscriptionPlan]  # by class id
    invoices: tuple[InvoiceView, ...]
    usage: billing_run.PeriodToDate | None
    next_invoice_on: date | None
    purchase_credit: Decimal
    swap: SwapOffer | None
    pause: Window | None
    resume: Window | None
    resume_by: date | None  # the last day a pause may end on
    notice_ends_on: date | None  # the last day, if notice were given today
    delivery_address: str | None
    today: date

    @property
    def plan(self) -> SubscriptionPlan:
        return self.plans[self.now.mobility_class.id]


def _segment_views(session: Session, subscription: Subscription, now: datetime) -> tuple[SegmentView, ...]:
    classes = {c.id: c for c in fleet.classes(session)}

    def car(reference: str | None) -> reservations.Reservation | None:
        return reservations.get(session, reference, BookingPurpose.SUBSCRIPTION, now=now) if reference else None

    return tuple(
        SegmentView(s, classes[s.class_id], car(s.reservation_reference))
        for s in repository.segments(session, subscription.id)
    )


def _invoice_views(session: Session, subscription: Subscription) -> tuple[InvoiceView, ...]:
    by_code = {c.code: c for c in fleet.classes(session)}
    return tuple(
        InvoiceView(
            invoice,
            tuple(
                InvoiceLine(
                    line["code"],
                    int(line["quantity"]),
                    line["unit"],
                    Decimal(line["amount"]),
                    by_code.get(line.get("class") or ""),
                )
                for line in invoice.lines
            ),
        )
        for invoice in repository.invoices(session, subscription.id)
    )


def next_invoice_on(subscription: Subscription, today: date) -> date | None:
    """The day the invoice of the first period not yet billed is made: the day after it ends (billed in arrears)."""
    if subscription.status == "ended":
        return None
    first_unbilled = subscription.billed_until + timedelta(days=1) if subscription.billed_until else None
    _, _, last = terms.period_of(subscription.started_on, first_unbilled or subscription.started_on)
    if subscription.ends_on is not None:
        last = min(last, subscription.ends_on)
    return max(last + timedelta(days=1), today)


def _swap_offer(
    subscription: Subscription, segments: tuple[SegmentView, ...], window: Window | None, plans: tuple[Plan, ...]
) -> SwapOffer | None:
    others = tuple(p for p in plans if p.mobility_class.id != segments[-1].mobility_class.id)
    if subscription.status != "active" or window is None or not others:
        return None
    swap_from = terms.next_swap_day(subscriptions.swap_days([s.segment for s in segments]), window.first)
    reachable = Window(swap_from, window.last) if swap_from <= window.last else None
    return SwapOffer(others, terms.FAMILY.swap_fee, reachable, swap_from, swap_from != window.first)


def subscriber_view(
    session: Session, user_id: int, reference: str, *, cipher: FieldCipher, now: datetime
) -> SubscriberView:
    subscription = subscriptions.get_own(session, user_id, reference)
    store = catalog.stores_by_id(session)[subscription.store_id]
    today = eligibility.local_today(store, now)
    segments = _segment_views(session, subscription, now)
    current = [s for s in segments if s.segment.first_day <= today]
    now_segment = current[-1] if current else segments[0]
    last = segments[-1]
    window = None
    if subscription.status in CHANGEABLE and subscription.ends_on is None:
        first, until = subscriptions.change_window(subscription, last.segment, today)
        window = Window(first, until) if first <= until else None
    resume_by = None
    resume = None
    if subscription.status == "paused" and window is not None:
        resume_by = last.segment.first_day + timedelta(days=terms.FAMILY.longest_pause_days)
        resume = Window(window.first, min(window.last, resume_by)) if window.first <= resume_by else None
    offer = next((o for o in subscription_offer(session) if o.store.id == store.id), None)
    address = None
    if subscription.delivery_address_enc:
        context = eligibility.address_context(subscription.reference)
        address = cipher.decrypt(subscription.delivery_address_enc, context=context)
    return SubscriberView(
        subscription=subscription,
        store=store,
        segments=segments,
        now=now_segment,
        upcoming=tuple(s for s in segments if s.segment.first_day > today and s is not now_segment),
        plans={c.id: p for c in fleet.classes(session) if (p := repository.plan(session, c.id)) is not None},
        invoices=_invoice_views(session, subscription),
        usage=billing_run.period_to_date(session, subscription, today, now=now),
        next_invoice_on=next_invoice_on(subscription, today),
        purchase_credit=billing_run.purchase_credit(session, subscription),
        swap=_swap_offer(subscription, segments, window, offer.plans if offer else ()),
        pause=window if subscription.status == "active" else None,
        resume=resume,
        resume_by=resume_by,
        notice_ends_on=(
            terms.notice_end(subscription.started_on, subscription.minimum_until, max(today, subscription.started_on))
            if subscription.status in CHANGEABLE
            else None
        ),
        delivery_address=address,
        today=today,
    )


def my_subscriptions(session: Session, user_id: int, *, cipher: FieldCipher, now: datetime) -> list[SubscriberView]:
    """The subscriber's subscriptions, newest first."""
    return [
        subscriber_view(session, user_id, s.reference, cipher=cipher, now=now)
        for s in subscriptions.my_subscriptions(session, user_id)
    ]
