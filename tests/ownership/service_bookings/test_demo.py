"""The service demo loads through the real use cases, deterministically and once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.service_bookings import completion
from forecourt.ownership.service_bookings import service as bookings
from forecourt.ownership.service_bookings.demo import RECALL_CODE, demo_cars, load_service_demo
from forecourt.ownership.servicing import service as servicing
from tests.live_server import demo_database

NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 08:30 in Guangzhou


def _load_twice(session: Session) -> tuple[str, str]:
    return load_service_demo(session, NOW), load_service_demo(session, NOW)


def test_the_service_demo(tmp_path):
    seen = {}

    def then(session: Session) -> None:
        first, second = _load_twice(session)
        seen["summaries"] = (first, second)
        store = catalog.get_store(session, "gz-tianhe")
        jobs = bookings.store_calendar(session, store, NOW.date(), 2)
        seen["jobs"] = sorted((j.job_type, j.status) for j in jobs)
        cars = demo_cars(session, NOW)
        seen["models"] = sorted(c.model_code for c in cars)
        kuga = next(c for c in cars if c.model_code == "kuga")
        mondeo = next(c for c in cars if c.model_code == "mondeo")
        seen["recalls"] = [n.code for n in recalls.open_notices(session, kuga.vin)]
        seen["history"] = [j.job_type for j in completion.history(session, mondeo.vin)]
        seen["mondeo_stage"] = servicing.service_status(session, mondeo, NOW.date()).stage.name

    demo_database(tmp_path, vehicles=300, then=then)
    first, second = seen["summaries"]
    assert first.startswith("service: 3 bays, 2 advisors") and "already present" in second
    assert seen["models"] == ["kuga", "mondeo"]
    assert seen["jobs"] == [("recall", "confirmed"), ("repair", "completed"), ("tyres", "confirmed")]
    assert seen["recalls"] == [RECALL_CODE]
    assert seen["history"] == ["repair"]
    assert seen["mondeo_stage"] == "DUE"  # delivered seven months ago, first service not done: due by date
