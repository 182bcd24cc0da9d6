"""Lead demo data: a seeded history of closed leads whose outcomes are drawn from a latent model (so the trained
model's AUC is meaningful and not 1.0), a few open leads for the demo stores captured from demo events through the
real capture path (their first touch names a campaign of the marketing demo that ran that day, when one did), and a
trained scoring model. Idempotent: a second run adds nothing (and trains only if no model
exists). Needs the catalog's stores; it does not need the marketing demo.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core.clock import utcnow
from forecourt.core.references import new_reference
from forecourt.marketing import campaigns
from forecourt.marketing.leads import repository, scoring_service
from forecourt.marketing.leads.capture import capture
from forecourt.marketing.leads.models import Lead
from forecourt.marketing.models import Campaign, MarketingEvent
from forecourt.marketing.vocabulary import CHANNELS

HISTORY_LEADS = 3000
OPEN_LEADS = 24
SEED = 2018
HISTORY_KEY = "demo-history:"
OPEN_EVENT_PREFIX = "lead-demo-"
MODELS = ("focus", "mondeo", "kuga", "edge", "explorer", "escort", "taurus")
SOURCES = ("contact", "quote_request", "test_drive_booked", "credit_application")
SOURCE_WEIGHTS = (0.3, 0.35, 0.25, 0.1)


def _latent_logit(r: dict[str, float]) -> float:
    """The "true" propensity the history is drawn from (unknown to the model, which must learn it)."""
    return (
        -2.2
        + 0.9 * r["taken"]
        + 0.5 * r["booked"]
        + 0.9 * r["credit"]
        + 0.35 * r["calculator"]
        + 0.25 * r["configurator"]
        + 0.25 * math.log1p(r["views"])
        + 0.3 * r["model_known"]
        - 0.35 * math.log1p(r["distance"])
        + 0.6
        - 0.45 * math.log1p(r["response_h"])
        + 0.5
        - 0.3 * math.log1p(r["recency_d"])
        + 0.3 * (r["source"] == "test_drive_booked")
    )


def _history_lead(rng: random.Random, store: Store, now: datetime) -> Lead:
    source = rng.choices(SOURCES, SOURCE_WEIGHTS)[0]
    booked = source == "test_drive_booked" or rng.random() < 0.25
    r = {
        "source": source,
        "booked": float(booked),
        "taken": float(booked and rng.random() < 0.6),
        "credit": float(source == "credit_application" or rng.random() < 0.12),
        "calculator": float(rng.random() < 0.35),
        "configurator": float(rng.random() < 0.25),
        "views": float(int(rng.expovariate(1 / 4))),
        "model_known": float(rng.random() < 0.7),
        "distance": rng.lognormvariate(2.4, 0.7),
        "response_h": rng.lognormvariate(1.0, 1.2),
        "recency_d": rng.lognormvariate(1.5, 1.0),
    }
    won = rng.random() < 1 / (1 + math.exp(-_latent_logit(r)))
    created = now - timedelta(days=rng.uniform(30, 540))
    closed = created + timedelta(days=rng.uniform(3, 60))
    last = closed - timedelta(days=r["recency_d"])
    key = f"{HISTORY_KEY}{new_reference('', 10)}"
    return Lead(
        reference=new_reference("LD"),
        status="won" if won else "lost",
        person_kind="demo",
        person_key=key,
        open_person_key=None,
        store_id=store.id,
        routed_by="city_model",
        source=source,
        channel=rng.choice(CHANNELS),
        model_code=rng.choice(MODELS) if r["model_known"] else None,
        city=store.city.code,
        distance_km=round(r["distance"], 1),
        vehicle_views=int(r["views"]),
        calculator_uses=int(r["calculator"]),
        configurator_uses=int(r["configurator"]),
        quote_requests=int(source == "quote_request"),
        contacts=int(source == "contact"),
        test_drive_booked=bool(r["booked"]),
        test_drive_taken=bool(r["taken"]),
        credit_applied=bool(r["credit"]),
        last_activity_at=max(created, last),
        created_at=created,
        updated_at=closed,
        first_contact_due_at=created + timedelta(hours=2),
        first_contacted_at=created + timedelta(hours=r["response_h"]),
        closed_at=closed,
        # Typed by the demo's Guangzhou staff, in their language: "bought elsewhere", "no budget", "not reachable".
        lost_reason=None if won else rng.choice(("已在别处购车", "暂无预算", "联系不上")),
    )


class _RunningCampaigns:
    """The marketing demo's campaigns (none without it), to name the campaign of a lead's first touch: the first, by
    code, of its channel that ran that day in the lead's city. A day with none (the simulation ends yesterday) keeps
    the channel alone, as a touch from outside any campaign."""

    def __init__(self, session: Session) -> None:
        self.all = sorted(campaigns.list_campaigns(session, limit=500), key=lambda c: c.code)

    def campaign(self, channel: str, city: str, at: datetime) -> Campaign | None:
        day = at.date()
        return next(
            (
                c
                for c in self.all
                if c.channel == channel
                and c.starts_on <= day
                and (c.ends_on is None or day <= c.ends_on)
                and (not c.target_cities or city in c.target_cities)
            ),
            None,
        )


def _open_leads(session: Session, rng: random.Random, stores: list[Store], now: datetime) -> int:
    created = 0
    running = _RunningCampaigns(session)
    for n in range(OPEN_LEADS):
        store = stores[n % len(stores)]
        visitor = f"{OPEN_EVENT_PREFIX}visitor-{n}"
        start = now - timedelta(hours=rng.uniform(1, 96))
        model = rng.choice(MODELS)
        kinds = ["vehicle_view"] * rng.randint(0, 5) + (["calculator_use"] if rng.random() < 0.4 else [])
        kinds.append(rng.choice(SOURCES))
        if rng.random() < 0.2:
            kinds.append("test_drive_taken")
        for k, kind in enumerate(kinds):
            channel = rng.choice(CHANNELS) if k == 0 else None
            campaign = running.campaign(channel, store.city.code, start) if channel else None
            event = MarketingEvent(
                event_id=f"{OPEN_EVENT_PREFIX}{n}-{k}",
                type=kind,
                occurred_at=start + timedelta(minutes=20 * k),
                received_at=start + timedelta(minutes=20 * k),
                source="demo",
                visitor_id=visitor,
                channel=channel,
                campaign_id=campaign.id if campaign else None,
                model_code=model,
                city=store.city.code,
                store_code=store.code if kind != "vehicle_view" else None,
            )
            session.add(event)
            session.flush()
            if capture(session, event, now=start + timedelta(minutes=20 * k)) is not None and k == len(kinds) - 1:
                created += 1
    return created


def load_lead_demo(session: Session) -> str:
    """Load the demo lead history and train the scoring model; return a one-line summary."""
    stores = [s for s in catalog.list_stores(session) if s.kind == "dealer"] or list(catalog.list_stores(session))
    if not stores:
        return "lead demo: skipped (no stores; load the catalog demo first)"
    rng = random.Random(SEED)
    now = utcnow()
    history = repository.count_leads_with_key_prefix(session, HISTORY_KEY)
    added = 0
    if history == 0:
        for _ in range(HISTORY_LEADS):
            session.add(_history_lead(rng, rng.choice(stores), now))
        session.flush()
        added = HISTORY_LEADS
    opened = 0
    if repository.count_leads_with_key_prefix(session, f"visitor:{OPEN_EVENT_PREFIX}") == 0:
        demo_stores = [s for s in stores if s.code in ("gz-tianhe", "gz-baiyun")] or stores[:2]
        opened = _open_leads(session, random.Random(SEED + 1), demo_stores, now)
    model = repository.latest_model(session)
    if model is None:
        model = scoring_service.train_from_history(session, now=now, seed=SEED)
    return (
        f"lead demo: {added} closed leads added ({history} already there), {opened} open leads; scoring model "
        f"v{model.version} held-out AUC {model.held_out_auc:.3f}"
    )
