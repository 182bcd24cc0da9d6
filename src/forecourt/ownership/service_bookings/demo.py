"""Service demo data on the ownership demo's owners, through the real use cases: bays and advisors at the demo
dealer, the services their cars have had, a recall of the leased Kuga's model year, and a normal day in the
workshop.

- owner@'s leased Kuga: serviced at 3, 9, 15, 21 and 28 months; the recall is open and not booked yet (the demo
  walk-through books it); owner@'s Mondeo (loan): first service done early, at 55 days, so the next is due now —
  booked for this afternoon.
- owner3@'s Explorer: a repair done this morning; owner4@'s Mondeo: tyres late this morning and its periodic service
  tomorrow.

Every car is an `OwnedCar` from the ownership records (the jobs and pages see the same). A past service is held,
confirmed and completed as of its own day, with the odometer the car reported the evening before. Idempotent:
nothing is added once the dealer has bays; needs the ownership demo loaded first (cli's demo load does).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.accounts.demo import DEMO_STORE, MANAGER_EMAIL
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core.clock import utcnow
from forecourt.core.errors import InvalidInput
from forecourt.ownership.calendar_months import add_months
from forecourt.ownership.demo import OWNER3_EMAIL, OWNER4_EMAIL, OWNER_EMAIL
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.recalls.targeting import RecallTarget, TargetKind
from forecourt.ownership.records import car_facts
from forecourt.ownership.service_bookings import completion
from forecourt.ownership.service_bookings import service as bookings
from forecourt.ownership.service_bookings.models import ServiceJob
from forecourt.telematics import query_service as telemetry

RECALL_CODE = "R-KUGA-HOSE-01"
OIL_SERVICE = completion.WorkDone(
    0,
    "定期保养：更换机油、机油滤清器，检查制动与轮胎",
    (completion.Part("机油 5W-30（4 升）", 1, Decimal("368.00")), completion.Part("机油滤清器", 1, Decimal("58.00"))),
    Decimal("606.00"),  # parts and ¥180 of labour
)


def demo_cars(session: Session, now: datetime) -> dict[str, list[OwnedCar]]:
    """The demo owners' current cars by owner e-mail (empty without the ownership demo)."""
    owned = car_facts.active_cars(session, now.date())  # once, not once per owner
    cars: dict[str, list[OwnedCar]] = {}
    for email in (OWNER_EMAIL, OWNER3_EMAIL, OWNER4_EMAIL):
        user = accounts.find_user(session, email)
        cars[email] = [c for c in owned if user is not None and c.owner_user_id == user.id]
    return cars


def _model(cars: list[OwnedCar], code: str) -> OwnedCar | None:
    return next((c for c in cars if c.model_code == code), None)


def load_service_demo(session: Session, now: datetime | None = None) -> str:
    now = now or utcnow()
    store = catalog.get_store(session, DEMO_STORE)
    manager = accounts.find_user(session, MANAGER_EMAIL)
    if manager is None or bookings.list_bays(session, store):
        return "service: demo workshop already present (or no demo accounts)"
    for number in (1, 2, 3):
        bookings.add_bay(session, store, f"B{number}", f"工位 {number}", actor=None)
    for name in ("王芳", "陈杰"):
        bookings.add_advisor(session, store, name, actor=None)
    cars = demo_cars(session, now)
    kuga, mondeo = _model(cars[OWNER_EMAIL], "kuga"), _model(cars[OWNER_EMAIL], "mondeo")
    _recall(session, kuga, now)
    recalls.notify_affected(session, [c for owned in cars.values() for c in owned], now)
    workshop = _Workshop(session, store, manager.id)
    past = 0
    if kuga is not None:
        for months in (3, 9, 15, 21, 28):
            past += workshop.past_service(kuga, add_months(kuga.delivered_on, months))
    if mondeo is not None:
        past += workshop.past_service(mondeo, mondeo.delivered_on + timedelta(days=55))
    explorer3, mondeo4 = _model(cars[OWNER3_EMAIL], "explorer"), _model(cars[OWNER4_EMAIL], "mondeo")
    if explorer3 is not None:
        for months in (3, 9):
            past += workshop.past_service(explorer3, add_months(explorer3.delivered_on, months))
    today = now.astimezone(workshop.zone).date()
    booked = workshop.todays_day(today, now, mondeo=mondeo, explorer=explorer3, other_mondeo=mondeo4)
    return (
        f"service: 3 bays, 2 advisors, recall {RECALL_CODE}, {past} past services, "
        f"{booked} jobs today and tomorrow at {DEMO_STORE}"
    )


def _recall(session: Session, kuga: OwnedCar | None, now: datetime) -> None:
    year = kuga.model_year if kuga is not None else 2018
    target = RecallTarget(TargetKind.MODEL_YEAR, model_code="kuga", year_from=year, year_to=year)
    draft = recalls.CampaignDraft(
        RECALL_CODE,
        "Rear brake hose may chafe",
        "后制动软管可能磨损",
        target,
        "The dealer replaces both rear brake hoses, free of charge.",
        "经销商免费更换两根后制动软管。",
    )
    recalls.create_campaign(session, draft, actor=None, now=now)


class _Workshop:
    def __init__(self, session: Session, store: Store, staff_id: int) -> None:
        self.session, self.store, self.staff_id = session, store, staff_id
        self.zone = ZoneInfo(store.time_zone)

    def past_service(self, car: OwnedCar, day: date) -> int:
        """A periodic service on `day` (or the next day the workshop is open), with the odometer the car reported
        the evening before; 0 when the car has no reading then."""
        km = self._odometer_before(car, datetime.combine(day, time(0, 0), self.zone))
        if km is None:
            return 0
        job = self._book_first_open(car, "periodic_service", day, time(9, 0))
        work = completion.WorkDone(km, OIL_SERVICE.work_done, OIL_SERVICE.parts, OIL_SERVICE.cost)
        self._complete(job, car, work, job.ends_at)
        return 1

    def todays_day(
        self,
        today: date,
        now: datetime,
        *,
        mondeo: OwnedCar | None,
        explorer: OwnedCar | None,
        other_mondeo: OwnedCar | None,
    ) -> int:
        early = datetime.combine(today, time(6, 0), self.zone)  # booked before the workshop opened
        jobs = 0
        if explorer is not None:
            repair = self._book(explorer, "repair", datetime.combine(today, time(9, 0), self.zone), early)
            km = self._odometer_before(explorer, repair.starts_at)
            if km is not None and repair.ends_at <= now:  # done this morning, unless the demo loads before then
                work = completion.WorkDone(
                    km, "更换左前轮速传感器", (completion.Part("轮速传感器", 1, Decimal("420.00")),), Decimal("680.00")
                )
                self._complete(repair, explorer, work, repair.ends_at)
            jobs += 1
        if other_mondeo is not None:
            self._book(other_mondeo, "tyres", datetime.combine(today, time(11, 0), self.zone), early)
            tomorrow = datetime.combine(today + timedelta(days=1), time(10, 0), self.zone)
            self._book(other_mondeo, "periodic_service", tomorrow, early)
            jobs += 2
        if mondeo is not None:
            self._book(mondeo, "periodic_service", datetime.combine(today, time(15, 0), self.zone), early)
            jobs += 1
        return jobs

    def _book_first_open(self, car: OwnedCar, job_type: str, day: date, at: time) -> ServiceJob:
        for offset in range(7):
            start = datetime.combine(day + timedelta(days=offset), at, self.zone)
            try:
                return self._book(car, job_type, start, start - timedelta(days=2))
            except InvalidInput:
                continue  # closed that day
        raise RuntimeError(f"the demo workshop is not open in the week from {day}")

    def _book(self, car: OwnedCar, job_type: str, start: datetime, at: datetime) -> ServiceJob:
        request = bookings.ServiceRequest(DEMO_STORE, job_type, start)
        job = bookings.hold(self.session, car, request, at)
        return bookings.confirm(self.session, car.owner_user_id, job.reference, at)

    def _complete(self, job: ServiceJob, car: OwnedCar, work: completion.WorkDone, at: datetime) -> None:
        completion.complete(
            self.session, job.reference, work, car, staff_user_id=self.staff_id, allowed_store_ids=None, now=at
        )

    def _odometer_before(self, car: OwnedCar, start: datetime) -> int | None:
        vehicle = catalog.get_vehicle(self.session, car.vin)
        readings = telemetry.daily_odometer(
            self.session, vehicle.id, start - timedelta(days=3), start, self.store.time_zone
        )
        return readings[-1].km if readings else None
