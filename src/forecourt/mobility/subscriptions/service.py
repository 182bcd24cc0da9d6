"""Subscriptions: subscribe (credit check, a car of the class), swap, pause, resume, cancel with notice.

Each car a subscriber has is a reservation of the fleet's one reservation table (purpose 'subscription'), from
10:00 on its first day (delivery or pick-up at the store) and open-ended until the subscription, a swap or a pause
gives it back (at 09:00 local): no rental, test drive or other subscriber can be promised the same car then.
A subscription's days are segments — a class with its car, or a pause — which the monthly invoice reads
(`billing_run.py`). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import FleetPool
from forecourt.catalog.models import Store
from forecourt.core import references
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.models import MobilityClass, Subscription, SubscriptionSegment
from forecourt.mobility.subscriptions import eligibility, repository, terms
from forecourt.mobility.subscriptions.eligibility import local_today
from forecourt.testdrive import policy as policies
from forecourt.testdrive import reservations
from forecourt.testdrive.models import BookingPurpose

SUBSCRIPTION = BookingPurpose.SUBSCRIPTION
# A car is given back at 09:00 and handed out at 10:00, so the store's turnaround fits between a returned car and
# the next subscriber's the same morning.
RETURN_TIME, HANDOVER_TIME = time(9, 0), time(10, 0)
OPEN_ENDED = timedelta(days=5 * 366)  # a reservation's end until the car is given back
CHANGES_WITHIN = timedelta(days=30)


@dataclass(frozen=True)
class Subscriber:
    user_id: int
    email: str | None
    mobile: str | None
    language: str


def _at(store: Store, day: date, at: time = HANDOVER_TIME) -> datetime:
    return datetime.combine(day, at, ZoneInfo(store.time_zone))


def _reserve_car(session: Session, store: Store, user_id: int, mobility_class: MobilityClass, day: date, now: datetime):
    cars = fleet.pool_cars(session, FleetPool.SUBSCRIPTION, store_id=store.id, model_codes=mobility_class.model_codes)
    policy = policies.store_policy(session, store)
    start = _at(store, day)
    reservation = reservations.reserve(
        session,
        reservations.ReservationRequest(
            purpose=SUBSCRIPTION,
            store_id=store.id,
            user_id=user_id,
            candidates=cars,
            start=start,
            end=start + OPEN_ENDED,
            buffer=timedelta(minutes=policy.buffer_minutes),
            hold_until=None,
            reference_prefix="SC",
        ),
        now=now,
    )
    if reservation is None:
        raise Conflict(
            f"No {mobility_class.name_en} car of store {store.code} is free from {day.isoformat()}; "
            "pick another day or class",
            code="no_subscription_car",
            extra={"cars": len(cars)},
        )
    return reservation


def _give_back(session: Session, store: Store, reference: str | None, day: date) -> None:
    if reference:
        policy = policies.store_policy(session, store)
        reservations.end_at(
            session,
            reference,
            SUBSCRIPTION,
            _at(store, day, RETURN_TIME),
            buffer=timedelta(minutes=policy.buffer_minutes),
        )


def subscribe(
    session: Session,
    subscriber: Subscriber,
    *,
    store_code: str,
    class_code: str,
    start_day: date,
    payment_method: str,
    now: datetime,
    handover: eligibility.Handover = eligibility.PICKUP,
    cipher: FieldCipher | None = None,
) -> Subscription:
    """Check credit (the bureau's score on the verified identity), then reserve a car of the class from the start
    day, collected at the store or delivered (the address sealed with `cipher`). A refusal names every reason (409
    `subscription_declined`)."""
    store = catalog.get_store(session, store_code)
    mobility_class = fleet.get_class(session, class_code)
    plan = repository.plan(session, mobility_class.id)
    if plan is None:
        raise NotFound(f"Class {class_code} is not offered by subscription", code="class_not_offered")
    first, last = eligibility.start_window(store, now)
    if not first <= start_day <= last:
        raise InvalidInput(
            "A subscription starts today or within 60 days",
            code="subscription_start_invalid",
            errors=[FieldError("start", f"between {first.isoformat()} and {last.isoformat()}")],
        )
    reference = references.new_reference("SB")
    address = eligibility.seal_address(handover, reference, cipher)
    decision, score = eligibility.credit_check(session, subscriber.user_id)
    reasons = [{"code": r.code, "message": r.message} for r in decision.reasons]
    if not decision.approved:
        raise Conflict(decision.reasons[0].message, code="subscription_declined", extra={"reasons": reasons})
    reservation = _reserve_car(session, store, subscriber.user_id, mobility_class, start_day, now)
    subscription = Subscription(
        reference=reference,
        subscriber_user_id=subscriber.user_id,
        store_id=store.id,
        status="active",
        started_on=start_day,
        minimum_until=terms.minimum_until(start_day),
        km_carried=0,
        payment_method=payment_method,
        credit_score=score,
        decision=reasons,
        handover=handover.kind,
        delivery_address_enc=address,
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    session.flush()
    session.add(
        SubscriptionSegment(
            subscription_id=subscription.id,
            class_id=mobility_class.id,
            reservation_reference=reservation.reference,
            first_day=start_day,
            paused=False,
        )
    )
    session.flush()
    audit.record(
        session,
        subscriber.user_id,
        "mobility.subscribed",
        "subscription",
        subscription.reference,
        store.id,
        mobility_class=class_code,
        start=start_day.isoformat(),
        handover=handover.kind,
    )
    return subscription


def get_own(session: Session, user_id: int, reference: str) -> Subscription:
    subscription = repository.get(session, reference.strip().upper(), for_update=True)
    if subscription is None or subscription.subscriber_user_id != user_id:
        raise NotFound(f"No subscription {reference}", code="subscription_not_found")
    return subscription


def current_segment(session: Session, subscription: Subscription) -> SubscriptionSegment:
    return repository.segments(session, subscription.id)[-1]


def change_window(subscription: Subscription, current: SubscriptionSegment, today: date) -> tuple[date, date]:
    """The first and last day a swap, pause or resume may take effect on: from today (not before the start, and
    after the day the current car or pause began: `_change_day` and `_close`) to 30 days ahead."""
    first = max(today, subscription.started_on, current.first_day + timedelta(days=1))
    return first, today + CHANGES_WITHIN


def _change_day(subscription: Subscription, store: Store, on_day: date | None, now: datetime) -> date:
    today = local_today(store, now)
    day = on_day or today
    if day < max(today, subscription.started_on) or day > today + CHANGES_WITHIN:
        raise InvalidInput(
            "Pick a day from today to 30 days ahead, after the subscription starts",
            code="change_day_invalid",
            errors=[FieldError("on", "from today, at most 30 days ahead")],
        )
    if subscription.ends_on is not None and day > subscription.ends_on:
        raise Conflict(
            f"Subscription {subscription.reference} ends on {subscription.ends_on}", code="subscription_ending"
        )
    return day


def _close(segment: SubscriptionSegment, day: date) -> None:
    if day <= segment.first_day:
        raise Conflict("Only one change a day: the current car or pause began that day", code="change_same_day")
    segment.last_day = day - timedelta(days=1)


@dataclass(frozen=True)
class Change:
    subscription: Subscription
    store: Store
    day: date
    current: SubscriptionSegment


def _begin_change(
    session: Session, user_id: int, reference: str, status: str, on_day: date | None, now: datetime
) -> Change:
    """The subscriber's subscription in `status` (409 otherwise), its store, the day the change takes effect and
    the segment it ends."""
    subscription = get_own(session, user_id, reference)
    if subscription.status != status:
        raise Conflict(
            f"Subscription {subscription.reference} is {subscription.status}, not {status}",
            code=f"subscription_not_{status}",
        )
    store = catalog.stores_by_id(session)[subscription.store_id]
    day = _change_day(subscription, store, on_day, now)
    return Change(subscription, store, day, current_segment(session, subscription))


def _audit_change(session: Session, user_id: int, action: str, change: Change, **details: str) -> None:
    audit.record(
        session,
        user_id,
        f"mobility.subscription_{action}",
        "subscription",
        change.subscription.reference,
        change.store.id,
        on=change.day.isoformat(),
        **details,
    )


def swap_days(segments: Sequence[SubscriptionSegment]) -> list[date]:
    """The days earlier swaps took effect (a segment a swap began carries its fee)."""
    return [s.first_day for s in segments if s.swap_fee > 0]


def swap(
    session: Session, user_id: int, reference: str, class_code: str, *, on_day: date | None, now: datetime
) -> Subscription:
    """Give the car back and take one of another class on `on_day` (fee; at most one swap a calendar month)."""
    change = _begin_change(session, user_id, reference, "active", on_day, now)
    subscription, store, day = change.subscription, change.store, change.day
    target = fleet.get_class(session, class_code)
    segments = repository.segments(session, subscription.id)
    current = change.current
    if current.class_id == target.id:
        raise Conflict("That is the class you have", code="swap_same_class")
    if repository.plan(session, target.id) is None:
        raise NotFound(f"Class {class_code} is not offered by subscription", code="class_not_offered")
    next_swap = terms.next_swap_day(swap_days(segments), day)
    if next_swap != day:
        raise Conflict(
            f"At most {terms.FAMILY.swaps_per_month} swap a month; swap again from {next_swap.isoformat()}",
            code="swap_limit_reached",
            extra={"next_swap_on": next_swap.isoformat()},
        )
    _close(current, day)
    _give_back(session, store, current.reservation_reference, day)
    reservation = _reserve_car(session, store, user_id, target, day, now)
    session.add(
        SubscriptionSegment(
            subscription_id=subscription.id,
            class_id=target.id,
            reservation_reference=reservation.reference,
            first_day=day,
            paused=False,
            swap_fee=terms.FAMILY.swap_fee,
        )
    )
    subscription.updated_at = now
    session.flush()
    _audit_change(session, user_id, "swapped", change, to=class_code)
    return subscription


def pause(session: Session, user_id: int, reference: str, *, on_day: date | None, now: datetime) -> Subscription:
    """Give the car back from `on_day`; paused days cost the pause fee and earn no allowance."""
    change = _begin_change(session, user_id, reference, "active", on_day, now)
    current, day = change.current, change.day
    _close(current, day)
    _give_back(session, change.store, current.reservation_reference, day)
    session.add(
        SubscriptionSegment(
            subscription_id=current.subscription_id, class_id=current.class_id, first_day=day, paused=True
        )
    )
    change.subscription.status, change.subscription.updated_at = "paused", now
    session.flush()
    _audit_change(session, user_id, "paused", change)
    return change.subscription


def resume(session: Session, user_id: int, reference: str, *, on_day: date | None, now: datetime) -> Subscription:
    """A car of the same class again from `on_day` (the longest pause is 60 days)."""
    change = _begin_change(session, user_id, reference, "paused", on_day, now)
    current, day = change.current, change.day
    if (day - current.first_day).days > terms.FAMILY.longest_pause_days:
        raise Conflict("A pause lasts at most 60 days", code="pause_too_long")
    _close(current, day)
    mobility_class = next(c for c in fleet.classes(session) if c.id == current.class_id)
    reservation = _reserve_car(session, change.store, user_id, mobility_class, day, now)
    session.add(
        SubscriptionSegment(
            subscription_id=current.subscription_id,
            class_id=current.class_id,
            reservation_reference=reservation.reference,
            first_day=day,
        )
    )
    change.subscription.status, change.subscription.updated_at = "active", now
    session.flush()
    _audit_change(session, user_id, "resumed", change)
    return change.subscription


def cancel(session: Session, user_id: int, reference: str, *, now: datetime) -> Subscription:
    """Give notice: the subscription ends at the end of the period the notice reaches (never inside the minimum
    term), and the car is given back the morning after. Giving notice twice changes nothing."""
    subscription = get_own(session, user_id, reference)
    if subscription.status in ("ending", "ended", "converted"):
        return subscription
    store = catalog.stores_by_id(session)[subscription.store_id]
    today = max(local_today(store, now), subscription.started_on)
    subscription.ends_on = terms.notice_end(subscription.started_on, subscription.minimum_until, today)
    current = current_segment(session, subscription)
    current.last_day = subscription.ends_on
    _give_back(session, store, current.reservation_reference, subscription.ends_on + timedelta(days=1))
    subscription.status, subscription.updated_at = "ending", now
    session.flush()
    audit.record(
        session,
        user_id,
        "mobility.subscription_cancelled",
        "subscription",
        subscription.reference,
        store.id,
        ends_on=subscription.ends_on.isoformat(),
    )
    return subscription


def my_subscriptions(session: Session, user_id: int) -> Sequence[Subscription]:
    return repository.of_subscriber(session, user_id)
