"""Marketing demo data: a seeded simulation of campaigns, their daily spend and shopper journeys.

The journeys come from `attribution.simulation.simulate` over the demo catalog's real model codes (priced at
their cheapest trim), cities and stores, over the last `DEMO_DAYS` days before the clock's today. Rows go in
with core INSERTs in batches (no ORM object per event). Idempotent: when the demo campaigns exist, nothing is
loaded. Demo ids are prefixed (`demo-`) so they never collide with real visitors, events or campaigns.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from forecourt.catalog.demo_lineup import CITIES, MODELS, STORES
from forecourt.core.clock import utcnow
from forecourt.marketing import dashboard_repository as repository
from forecourt.marketing.attribution.simulation import Market, Simulation, simulate

DEMO_SEED = 2018
DEMO_VISITORS = 15_000  # about 30,000 events: a few seconds on SQLite
DEMO_DAYS = 91  # thirteen weeks
PREFIX = "demo-"
_CENT = Decimal("0.01")


def demo_market() -> Market:
    """Cities weighted by their number of stores; models by their demo popularity, priced at the cheapest trim."""
    stores: dict[str, list[str]] = {}
    for store in STORES:
        stores.setdefault(store.city_code, []).append(store.code)
    cities = tuple(c.code for c in CITIES if c.code in stores)
    return Market(
        cities=cities,
        city_weights=tuple(float(len(stores[c])) for c in cities),
        models=tuple(m.code for m in MODELS),
        model_weights=tuple(float(m.popularity) for m in MODELS),
        model_prices_minor=tuple(int(min(t.msrp for t in m.trims) * 100) for m in MODELS),
        stores={c: tuple(stores[c]) for c in cities},
    )


def demo_simulation(visitors: int = DEMO_VISITORS, days: int = DEMO_DAYS, seed: int = DEMO_SEED) -> Simulation:
    """The simulated period ending yesterday (UTC), relative to the clock."""
    start = utcnow().date() - timedelta(days=days)
    return simulate(seed, visitors, start, days, market=demo_market())


def _money(minor: int | None) -> Decimal | None:
    return None if minor is None else (Decimal(minor) * _CENT)


def _campaign_rows(sim: Simulation) -> list[dict[str, Any]]:
    return [
        {
            "code": PREFIX + row["code"],
            "name": row["name"],
            "channel": row["channel"],
            "utm_source": row["utm_source"],
            "utm_medium": row["utm_medium"],
            "utm_campaign": PREFIX.replace("-", "_") + row["utm_campaign"],
            "budget": _money(row["budget_minor"]),
            "currency": "CNY",
            "starts_on": row["starts_on"],
            "ends_on": row["ends_on"],
            "target_models": list(row["target_models"]),
            "target_cities": list(row["target_cities"]),
        }
        for row in sim.campaigns.iter_rows(named=True)
    ]


def _event_rows(events: pl.DataFrame, campaign_ids: dict[str, int]) -> Iterator[dict[str, Any]]:
    for row in events.iter_rows(named=True):
        code = row["campaign_code"]
        yield {
            "event_id": PREFIX + row["event_id"],
            "type": row["type"],
            "occurred_at": row["occurred_at"],
            "received_at": row["occurred_at"],
            "source": "demo",
            "visitor_id": PREFIX + row["visitor_id"],
            "user_id": None,
            "channel": row["channel"],
            "campaign_id": campaign_ids.get(PREFIX + code) if code else None,
            "model_code": row["model_code"],
            "city": row["city"],
            "store_code": row["store_code"],
            "subject": None,
            "value": _money(row["value_minor"]),
        }


def load_marketing_demo(session: Session, *, visitors: int = DEMO_VISITORS, days: int = DEMO_DAYS) -> str:
    """Load the simulated campaigns, spend and shopper journeys; return a one-line summary."""
    if repository.campaigns_with_prefix_exist(session, PREFIX):  # before simulating: `make run` calls this each time
        return "marketing demo: already loaded"
    sim = demo_simulation(visitors, days)
    codes = [PREFIX + code for code in sim.campaigns["code"].to_list()]
    repository.bulk_insert(session, "campaigns", _campaign_rows(sim))
    ids = repository.campaign_ids(session, codes)
    spend_rows = (
        {"campaign_id": ids[PREFIX + code], "day": day, "amount": _money(amount)}
        for code, day, amount in sim.daily_spend.iter_rows()
    )
    spend_days = repository.bulk_insert(session, "spend", spend_rows)
    now = utcnow()
    events = sim.events.filter(pl.col("occurred_at") <= now)  # journeys may run past today: keep the past only
    first_seen = events.group_by("visitor_id").agg(pl.col("occurred_at").min()).sort("visitor_id")
    visitor_rows = (
        {
            "visitor_id": PREFIX + visitor_id,
            "user_id": None,
            "consent": "granted",
            "consent_at": at,
            "first_seen_at": at,
        }
        for visitor_id, at in first_seen.iter_rows()
    )
    people = repository.bulk_insert(session, "visitors", visitor_rows)
    count = repository.bulk_insert(session, "events", _event_rows(events, ids))
    session.flush()
    return (
        f"marketing demo: {len(codes)} campaigns, {spend_days} campaign-days of spend, {people} visitors, "
        f"{count} events over {days} days"
    )
