"""The service demo loads on the ownership demo's owners through the real use cases, deterministically and once:
the leased Kuga with its services and the open recall, the Mondeo due now and booked, the workshop's day."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.core import clock
from forecourt.finance.programs.demo import ensure_finance_demo
from forecourt.ownership.demo import OWNER3_EMAIL, OWNER4_EMAIL, OWNER_EMAIL, load_ownership_demo
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.service_bookings import completion
from forecourt.ownership.service_bookings import service as bookings
from forecourt.ownership.service_bookings.demo import RECALL_CODE, demo_cars, load_service_demo
from forecourt.ownership.servicing import service as servicing
from tests.live_server import demo_database

NOW = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)  # 12:30 in Guangzhou, a Tuesday


def test_the_service_demo(tmp_path):
    seen = {}

    def then(session: Session) -> None:
        with clock.pinned(NOW):
            ensure_finance_demo(session)
            load_ownership_demo(session, NOW)
            seen["summaries"] = (load_service_demo(session, NOW), load_service_demo(session, NOW))
        store = catalog.get_store(session, "gz-tianhe")
        today = NOW.astimezone(catalog_zone(store)).date()
        seen["today"] = sorted((j.job_type, j.status) for j in bookings.store_calendar(session, store, today, 1))
        seen["tomorrow"] = [j.job_type for j in bookings.store_calendar(session, store, today.replace(day=2), 1)]
        cars = demo_cars(session, NOW)
        kuga = next(c for c in cars[OWNER_EMAIL] if c.model_code == "kuga")
        mondeo = next(c for c in cars[OWNER_EMAIL] if c.model_code == "mondeo")
        seen["owners"] = {email: sorted(c.model_code for c in owned) for email, owned in cars.items()}
        seen["recalls"] = [n.code for n in recalls.open_notices(session, kuga.vin)]
        seen["kuga_history"] = [(j.job_type, j.odometer_km) for j in completion.history(session, kuga.vin)]
        seen["mondeo_history"] = [j.job_type for j in completion.history(session, mondeo.vin)]
        seen["mondeo_stage"] = servicing.service_status(session, mondeo, today).stage.name
        seen["kuga_stage"] = servicing.service_status(session, kuga, today).stage.name

    demo_database(tmp_path, vehicles=300, then=then)
    first, second = seen["summaries"]
    assert first.startswith("service: 3 bays, 2 advisors") and "already present" in second
    assert "8 past services" in first and "4 jobs today and tomorrow" in first
    assert seen["owners"] == {OWNER_EMAIL: ["kuga", "mondeo"], OWNER3_EMAIL: ["explorer"], OWNER4_EMAIL: ["mondeo"]}
    # This morning's repair is done; the tyres and the due Mondeo's service are booked; a periodic service tomorrow.
    assert seen["today"] == [("periodic_service", "confirmed"), ("repair", "completed"), ("tyres", "confirmed")]
    assert seen["tomorrow"] == ["periodic_service"]
    assert seen["recalls"] == [RECALL_CODE]
    # Five services of the Kuga, newest first, each at the odometer the car reported: rising with time.
    kms = [km for _, km in seen["kuga_history"]]
    assert [t for t, _ in seen["kuga_history"]] == ["periodic_service"] * 5 and kms == sorted(kms, reverse=True)
    assert seen["mondeo_history"] == ["periodic_service"]
    assert seen["mondeo_stage"] == "DUE"  # first service at 55 days, the next 6 months later: a few days ago
    assert seen["kuga_stage"] in ("NONE", "NOTICE")  # serviced at 28 months: the next at 34


def catalog_zone(store):
    from zoneinfo import ZoneInfo

    return ZoneInfo(store.time_zone)
