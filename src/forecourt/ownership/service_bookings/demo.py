"""Service demo data, through the real use cases: bays and advisors at the demo dealer, a recall of the 2018 Kuga,
and the demo shopper's two cars — a Mondeo whose first service is due (delivered seven months ago) and a Kuga with
the open recall — with a service done this morning, one confirmed for this afternoon and one for tomorrow.

The cars are `OwnedCar` facts built from the catalog's cars at the dealer (the ownership records, loaded by their
own demo, say the same of these VINs). The use cases take `now`, so this morning's job is held and confirmed as of
early this morning and completed now. Idempotent: nothing is added once the dealer has bays.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.accounts.demo import DEMO_STORE, MANAGER_EMAIL, SHOPPER_EMAIL
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Vehicle
from forecourt.core.clock import utcnow
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.recalls.targeting import RecallTarget, TargetKind
from forecourt.ownership.service_bookings import completion
from forecourt.ownership.service_bookings import service as bookings

RECALL_CODE = "R-2018-KUGA-01"


def _car(vehicle: Vehicle, owner_id: int, delivered: datetime, km: int) -> OwnedCar:
    return OwnedCar(
        vin=vehicle.vin,
        owner_user_id=owner_id,
        store_id=vehicle.store_id,
        model_code=vehicle.model.code,
        powertrain=vehicle.trim.powertrain,
        model_year=vehicle.model_year,
        delivered_on=delivered.date(),
        delivery_km=km,
        contact_email=SHOPPER_EMAIL,
        language="zh-Hans",
    )


def _first_of(session: Session, store_id: int, model_code: str) -> Vehicle | None:
    """The dealer's first car of the model (any store's when the dealer has none): the same car on every load."""
    rows = sorted(
        (r for r in catalog.list_searchable_vehicle_rows(session) if r.model_code == model_code),
        key=lambda r: (r.store_id != store_id, r.vin),
    )
    return catalog.get_vehicle_by_id(session, rows[0].id) if rows else None


def demo_cars(session: Session, now: datetime) -> list[OwnedCar]:
    """The demo shopper's serviced cars (empty without the demo catalog and accounts)."""
    shopper = accounts.find_user(session, SHOPPER_EMAIL)
    store = catalog.get_store(session, DEMO_STORE)
    picks = [(_first_of(session, store.id, "mondeo"), 210, 20), (_first_of(session, store.id, "kuga"), 400, 15)]
    if shopper is None:
        return []
    return [_car(v, shopper.id, now - timedelta(days=days), km) for v, days, km in picks if v is not None]


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
    target = RecallTarget(TargetKind.MODEL_YEAR, model_code="kuga", year_from=2018, year_to=2018)
    draft = recalls.CampaignDraft(
        RECALL_CODE,
        "Rear brake hose may chafe",
        "后制动软管可能磨损",
        target,
        "The dealer replaces both rear brake hoses, free of charge.",
        "经销商免费更换两根后制动软管。",
    )
    recalls.create_campaign(session, draft, actor=None, now=now)
    cars = demo_cars(session, now)
    recalls.notify_affected(session, cars, now)
    zone = ZoneInfo(store.time_zone)
    today = now.astimezone(zone).date()
    jobs = 0
    mondeo = next((c for c in cars if c.model_code == "mondeo"), None)
    if mondeo is not None:
        morning = datetime.combine(today, time(9, 0), zone)
        done = _book(session, mondeo, "repair", morning, morning - timedelta(hours=3))
        work = completion.WorkDone(
            4_850, "更换左前轮速传感器", (completion.Part("轮速传感器", 1, Decimal("420.00")),), Decimal("680.00")
        )
        completion.complete(
            session,
            done.reference,
            work,
            mondeo,
            staff_user_id=manager.id,
            allowed_store_ids=None,
            now=morning + timedelta(hours=3, minutes=30),
        )
        _book(session, mondeo, "tyres", datetime.combine(today, time(15, 0), zone), morning - timedelta(hours=3))
        jobs += 2
    kuga = next((c for c in cars if c.model_code == "kuga"), None)
    if kuga is not None:
        tomorrow = datetime.combine(today + timedelta(days=1), time(10, 0), zone)
        _book(session, kuga, "recall", tomorrow, now, recall=RECALL_CODE)
        jobs += 1
    return f"service: 3 bays, 2 advisors, recall {RECALL_CODE}, {jobs} demo service jobs at {DEMO_STORE}"


def _book(session: Session, car: OwnedCar, job_type: str, start: datetime, at: datetime, recall: str | None = None):
    request = bookings.ServiceRequest(DEMO_STORE, job_type, start, recall_code=recall)
    job = bookings.hold(session, car, request, at)
    return bookings.confirm(session, car.owner_user_id, job.reference, at)
