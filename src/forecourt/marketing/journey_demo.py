"""Marketing demo data: how the demo customers (`accounts.demo.CUSTOMERS`) came to the stores. Each clicked an ad of a
simulated campaign that reached Guangzhou that day (`marketing/demo.py`) three to four weeks ago, visited and looked at
two cars of the campaign, and signed up there and then, which stitched the browser's visitor id to the new account
(`visitors.stitch_visitor`, as signing in does).

Their drives, applications and orders reach marketing later as the platform's conversions, through the outbox: the
leads they become carry the campaign of that first click, and attribution credits campaigns that exist. The events go
in through the ingestion use case (`events.ingest`, source "demo"). Idempotent by the visitors' ids; without the
marketing demo's campaigns nothing is loaded.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.accounts.demo import CUSTOMERS, DEMO_STORE, DemoCustomer, ensure_demo_customers
from forecourt.catalog import service as catalog
from forecourt.core import clock
from forecourt.marketing import campaigns, event_repository, visitors
from forecourt.marketing.events import Sender, ingest
from forecourt.marketing.models import Campaign

CITY = "guangzhou"
FIRST_CLICK_DAYS_AGO = 21  # the first customer's; each next one a day earlier
EVENING = time(20, 15)  # when people browse cars


def visitor_id(customer: DemoCustomer) -> str:
    return "demo-journey-" + customer.email.split("@")[0].replace(".", "-")


def load_customer_journeys(session: Session, now: datetime | None = None) -> str:
    now = now or clock.utcnow()
    if event_repository.get_visitor(session, visitor_id(CUSTOMERS[0])) is not None:
        return "customer journeys: already loaded"
    customers = ensure_demo_customers(session)
    zone = ZoneInfo(catalog.get_store(session, DEMO_STORE).time_zone)
    today = now.astimezone(zone).date()
    stitched = 0
    for n, customer in enumerate(CUSTOMERS):
        clicked_at = datetime.combine(today - timedelta(days=FIRST_CLICK_DAYS_AGO + n), EVENING, zone)
        reaching = _campaigns_reaching_the_city(session, clicked_at)
        if not reaching:
            continue
        campaign = reaching[n % len(reaching)]
        _browse(session, customer, campaign, clicked_at, n)
        with clock.pinned(clicked_at + timedelta(minutes=12)):
            stitched += visitors.stitch_visitor(session, visitor_id(customer), customers[customer.email])
    return f"customer journeys: {stitched} customers came through a campaign's ad and signed up"


def _campaigns_reaching_the_city(session: Session, at: datetime) -> list[Campaign]:
    running = campaigns.list_campaigns(session, active_on=at.date(), limit=500)
    return sorted((c for c in running if not c.target_cities or CITY in c.target_cities), key=lambda c: c.code)


def _browse(session: Session, customer: DemoCustomer, campaign: Campaign, at: datetime, n: int) -> None:
    """The ad's click and the visit it opened (both carry the campaign's UTM tags), then two cars of the campaign."""
    models = campaign.target_models or [None]
    utm = {"utm_source": campaign.utm_source, "utm_medium": campaign.utm_medium, "utm_campaign": campaign.utm_campaign}
    steps = [
        ("click", utm, None),
        ("visit", utm, None),
        ("vehicle_view", {}, models[n % len(models)]),
        ("vehicle_view", {}, models[(n + 1) % len(models)]),
    ]
    records = [
        (
            k,
            {
                "event_id": f"{visitor_id(customer)}-{k}",
                "type": kind,
                "occurred_at": (at + timedelta(minutes=3 * k)).isoformat(),
                "visitor_id": visitor_id(customer),
                "city": CITY,
                **tags,
                **({"model_code": model} if model else {}),
            },
        )
        for k, (kind, tags, model) in enumerate(steps)
    ]
    with clock.pinned(at):  # received as they happened
        report = ingest(session, records, Sender(None, True, "demo"))
    if report.rejected:
        raise ValueError(f"a demo journey event was refused: {report.rejected[0].reason}")
