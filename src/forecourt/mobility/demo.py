"""Mobility demo data: three model classes with rental plans, and the Guangzhou self-service store renting Mondeos
and Kugas by the hour and day — one rental out now, one returned yesterday with its bill, one booked for later.

Everything goes through the real use cases: the cars move from the store's test-drive fleet to its rental fleet by a
pool move (only cars nothing holds), the renter is verified by the demo identity provider, and each rental is held,
confirmed (the time charge paid, the deposit waived by the renter's credit score), handed over with its pick-up code
and, for yesterday's, returned and billed. Times are full hours inside the store's opening hours. Idempotent: once
the classes exist, nothing is loaded again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.accounts import repository as accounts_repository
from forecourt.accounts import service as accounts
from forecourt.accounts.demo import DEMO_PASSWORD, DEMO_SELF_SERVICE_STORE, MANAGER_EMAIL
from forecourt.accounts.principal import Role, RoleGrant
from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import FleetPool
from forecourt.core.clock import utcnow
from forecourt.core.crypto import FieldCipher, field_cipher_from_config
from forecourt.core.errors import DomainError, NotFound
from forecourt.core.settings import Settings
from forecourt.identity import service as identity
from forecourt.identity.providers import IdentityClaim
from forecourt.integrations import DEMO_ID_HIGH_SCORE, build_integrations
from forecourt.mobility.fleet import repository as fleet_repository
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.models import MobilityClass, RentalPlan, SubscriptionPlan
from forecourt.mobility.rentals import handover
from forecourt.mobility.rentals import service as rentals
from forecourt.mobility.subscriptions import billing_run
from forecourt.mobility.subscriptions import service as subscriptions
from forecourt.testdrive import policy as policies
from forecourt.testdrive import reservations
from forecourt.testdrive.availability import OpeningHours, is_open_at
from forecourt.testdrive.handover import Reading

T = TypeVar("T")
RENTER_EMAIL = "renter@demo.forecourt.dev"
SUBSCRIBER_EMAIL = "subscriber@demo.forecourt.dev"
SUBSCRIBER2_EMAIL = "subscriber2@demo.forecourt.dev"
SUBSCRIPTION_MODELS = {"focus": 2, "kuga": 2}
# class code: monthly price, km a month, per km over
SUBSCRIPTION_PLANS = {
    "compact": ("3299.00", 1500, "0.80"),
    "mid": ("4599.00", 2000, "1.00"),
    "large": ("6299.00", 2000, "1.30"),
}
RENTAL_MODELS = {"mondeo": 3, "kuga": 3}
CLASSES = (
    # code, English, Chinese, models, hourly, daily, km/h, km/day, per km over, late/h, energy/point, deposit
    (
        "compact",
        "Compact",
        "紧凑型",
        ["escort", "focus", "ecosport"],
        "35.00",
        "228.00",
        15,
        200,
        "0.90",
        "45.00",
        "2.50",
        "1500.00",
    ),
    ("mid", "Mid-size", "中型", ["mondeo", "kuga"], "45.00", "298.00", 20, 250, "1.20", "60.00", "3.50", "2000.00"),
    (
        "large",
        "Large",
        "大型",
        ["taurus", "edge", "explorer"],
        "60.00",
        "398.00",
        20,
        250,
        "1.60",
        "80.00",
        "4.50",
        "3000.00",
    ),
)


def _classes(session: Session) -> None:
    for rank, (code, en, zh, models, hourly, daily, km_h, km_d, over, late, energy, deposit) in enumerate(CLASSES):
        mobility_class = MobilityClass(code=code, name_en=en, name_zh=zh, model_codes=models, rank=rank)
        session.add(mobility_class)
        session.flush()
        session.add(
            RentalPlan(
                class_id=mobility_class.id,
                hourly=Decimal(hourly),
                daily=Decimal(daily),
                km_per_hour=km_h,
                km_per_day=km_d,
                per_km_over=Decimal(over),
                late_per_hour=Decimal(late),
                late_grace_minutes=30,
                energy_per_percent=Decimal(energy),
                deposit=Decimal(deposit),
                free_cancel_hours=24,
                late_cancel_keep_percent=50,
                currency="CNY",
            )
        )
        price, km, over = SUBSCRIPTION_PLANS[code]
        session.add(
            SubscriptionPlan(
                class_id=mobility_class.id, monthly_price=Decimal(price), km_per_month=km, per_km_over=Decimal(over)
            )
        )
    session.flush()


def _open_hour(hours: OpeningHours, moment: datetime, step: timedelta) -> datetime:
    """The first full hour from `moment` (going by `step`) at which the store is open."""
    hour = moment.replace(minute=0, second=0, microsecond=0)
    if step > timedelta(0) and hour < moment:
        hour += step
    for _ in range(48):
        if is_open_at(hours, hour):
            return hour
        hour += step
    raise RuntimeError("the store is never open")


def _renter(session: Session, settings: Settings, now: datetime, email: str = RENTER_EMAIL, name: str = "陈静") -> int:
    user = accounts_repository.get_user_by_email(session, email)
    if user is None:
        user = accounts.create_user(
            session, email=email, password=DEMO_PASSWORD, display_name=name, grants=[RoleGrant(Role.SHOPPER)]
        )
    integrations = build_integrations(settings)
    identity.verify_driver(
        session,
        user.id,
        IdentityClaim(name, DEMO_ID_HIGH_SCORE, date(now.year + 5, 1, 1)),
        identity=integrations.identity,
        credit=integrations.credit,
        secret_key=settings.secret_key.get_secret_value(),
        cipher=_cipher(settings),
        today=now.date(),
    )
    return user.id


def _maybe(session: Session, action: Callable[[], T]) -> T | None:
    """Run one demo step in a savepoint; a small catalog without a free car for it skips the step (None)."""
    try:
        with session.begin_nested():
            return action()
    except DomainError:
        return None


def _cipher(settings: Settings) -> FieldCipher:
    return field_cipher_from_config(
        settings.field_encryption_keys.get_secret_value(), settings.secret_key.get_secret_value()
    )


def _move_cars(session: Session, store_code: str, pool: FleetPool, models: dict[str, int], now: datetime) -> int:
    moved = 0
    fleet_cars = catalog.list_test_drive_fleet(session, store_code=store_code)
    for model, wanted in models.items():
        free = [v for v in fleet_cars if v.model.code == model and not reservations.live_ahead(session, v.id, now=now)]
        for vehicle in free[:wanted]:
            fleet.move_car(session, vehicle.vin, pool, actor=None, allowed_store_ids=None, now=now)
            moved += 1
    return moved


def load_mobility_demo(session: Session, settings: Settings, now: datetime | None = None) -> str:
    now = now or utcnow()
    if fleet_repository.class_by_code(session, "mid") is not None:
        return "mobility: demo classes already present"
    manager = accounts.find_user(session, MANAGER_EMAIL)
    try:
        store = catalog.get_store(session, DEMO_SELF_SERVICE_STORE)
    except NotFound:  # a catalog without the demo stores gets no mobility demo
        return "mobility: the demo's self-service store is missing"
    _classes(session)
    moved = _move_cars(session, store.code, FleetPool.RENTAL, RENTAL_MODELS, now)
    for_subscription = _move_cars(session, store.code, FleetPool.SUBSCRIPTION, SUBSCRIPTION_MODELS, now)
    if manager is None or moved == 0:
        return f"mobility: {len(CLASSES)} classes with rental plans; no rental cars at {store.code}"
    renter = _renter(session, settings, now)
    made = _rentals(session, settings, store, renter, manager.id, now)
    subscribed = _subscriptions(session, settings, store, now) if for_subscription else "no subscription cars"
    return (
        f"mobility: {len(CLASSES)} classes with rental and subscription plans, {moved} rental and "
        f"{for_subscription} subscription cars at {store.code}, {made}; {subscribed}"
    )


def _subscriptions(session: Session, settings: Settings, store, now: datetime) -> str:
    """A subscriber who took a Focus 40 days ago and swapped it for a Kuga five days ago (the first month invoiced),
    and one who took a Focus 20 days ago."""
    zone = ZoneInfo(store.time_zone)
    today = now.astimezone(zone).date()
    made = []
    for email, name, days_ago in ((SUBSCRIBER_EMAIL, "王芳", 40), (SUBSCRIBER2_EMAIL, "刘洋", 20)):
        user_id = _renter(session, settings, now, email, name)
        start = today - timedelta(days=days_ago)
        subscriber = subscriptions.Subscriber(user_id, email, None, "zh-Hans")
        subscription = _maybe(
            session,
            lambda subscriber=subscriber, start=start: subscriptions.subscribe(
                session,
                subscriber,
                store_code=store.code,
                class_code="compact",
                start_day=start,
                payment_method="demo-card-ok",
                now=datetime.combine(start, datetime.min.time(), zone),
            ),
        )
        if subscription is None:
            continue
        made.append(subscription.reference)
        if days_ago == 40:
            swap_day = today - timedelta(days=5)
            _maybe(
                session,
                lambda user_id=user_id, reference=subscription.reference, swap_day=swap_day: subscriptions.swap(
                    session,
                    user_id,
                    reference,
                    "mid",
                    on_day=swap_day,
                    now=datetime.combine(swap_day, datetime.min.time(), zone),
                ),
            )
    invoices = billing_run.bill_due(session, build_integrations(settings).payments, now=now)
    return f"subscriptions {', '.join(made) or 'none (no free car)'}; {invoices} invoice(s)"


def _rent(session: Session, settings: Settings, renter: int, request: rentals.RentalRequest, at: datetime):
    shown = rentals.hold(session, rentals.Renter(renter, RENTER_EMAIL, None, "zh-Hans"), request, now=at)
    provider = build_integrations(settings).payments
    return rentals.confirm(
        session,
        renter,
        shown.rental.reference,
        payment_method="demo-card-ok",
        payment_provider=provider,
        secret_key=settings.secret_key.get_secret_value(),
        cipher=_cipher(settings),
        now=at + timedelta(minutes=2),
    )


def _rentals(session: Session, settings: Settings, store, renter: int, staff: int, now: datetime) -> str:
    """Yesterday's rental, returned and billed; one out now; one for tomorrow afternoon. A small catalog without a free
    car for one of them skips it."""
    hours = policies.opening_hours(store)
    local_now = now.astimezone(ZoneInfo(store.time_zone))
    secret = settings.secret_key.get_secret_value()
    provider = build_integrations(settings).payments

    def hand_over(reference: str, code: str, reading: Reading, at: datetime) -> None:
        handover.check_out(
            session,
            reference,
            reading,
            staff_user_id=staff,
            allowed_store_ids=None,
            pickup_code=code,
            secret_key=secret,
            now=at,
        )

    def returned_yesterday() -> str:
        # 10:00 to 14:00, back at 14:20 with 60 km over the 80 included and the tank a little lower.
        start = (local_now - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        request = rentals.RentalRequest(store.code, "kuga", start, start + timedelta(hours=4))
        done, code = _rent(session, settings, renter, request, start - timedelta(hours=20))
        hand_over(done.rental.reference, code, Reading(18_240, 92), start - timedelta(minutes=5))
        handover.return_car(
            session,
            done.rental.reference,
            handover.ReturnIn(Reading(18_380, 85)),
            actor=staff,
            allowed_store_ids=None,
            renter_user_id=None,
            payment_provider=provider,
            now=start + timedelta(hours=4, minutes=20),
        )
        return f"{done.rental.reference} (returned)"

    def out_now() -> str:
        start = _open_hour(hours, local_now - timedelta(hours=2), timedelta(hours=-1))
        end = _open_hour(hours, local_now + timedelta(hours=3), timedelta(hours=1))
        request = rentals.RentalRequest(store.code, "mondeo", start, end)
        out, code = _rent(session, settings, renter, request, start - timedelta(hours=3))
        hand_over(out.rental.reference, code, Reading(9_610, 88), start)
        return f"{out.rental.reference} (out now)"

    def tomorrow() -> str:
        start = (local_now + timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
        request = rentals.RentalRequest(store.code, "kuga", start, start + timedelta(hours=3))
        later, _ = _rent(session, settings, renter, request, now)
        return f"{later.rental.reference} (tomorrow)"

    made = [_maybe(session, step) for step in (returned_yesterday, out_now, tomorrow)]
    return "rentals " + (", ".join(m for m in made if m) or "none (no free car)")
