"""The marketing demo: loads a simulated quarter relative to the clock, once, and the dashboard shows it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecourt.catalog.demo_lineup import CITIES, MODELS, STORES
from forecourt.core import clock
from forecourt.marketing import attribution_query, attribution_service
from forecourt.marketing.demo import PREFIX, demo_market, load_marketing_demo
from forecourt.marketing.models import Campaign, CampaignSpend, MarketingEvent, Visitor
from forecourt.marketing.vocabulary import CHANNELS
from tests.backoffice.helpers import sign_in
from tests.factories import make_user

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
VISITORS = 3_000


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(t)) for t in (Campaign, CampaignSpend, Visitor, MarketingEvent)
    )


def test_the_demo_market_is_the_demo_catalog() -> None:
    market = demo_market()
    assert set(market.models) == {m.code for m in MODELS}
    assert set(market.cities) == {c.code for c in CITIES}
    assert {s for stores in market.stores.values() for s in stores} == {s.code for s in STORES}


def test_load_is_idempotent_and_relative_to_the_clock(db_session: Session) -> None:
    with clock.pinned(NOW):
        summary = load_marketing_demo(db_session, visitors=VISITORS)
        before = _counts(db_session)
        assert load_marketing_demo(db_session, visitors=VISITORS) == "marketing demo: already loaded"
    assert _counts(db_session) == before
    campaigns, spend_days, visitors, events = before
    assert campaigns > 10 and spend_days > 100 and visitors == VISITORS and events > 3 * VISITORS // 2
    assert f"{events} events" in summary
    first, last = db_session.execute(
        select(func.min(MarketingEvent.occurred_at), func.max(MarketingEvent.occurred_at))
    ).one()
    assert date(2026, 9, 1) <= first.date() and last <= NOW
    sources = set(db_session.scalars(select(MarketingEvent.source).distinct()))
    assert sources == {"demo"}
    assert all(code.startswith(PREFIX) for code in db_session.scalars(select(Campaign.code)))
    models = set(
        db_session.scalars(select(MarketingEvent.model_code).distinct().where(MarketingEvent.model_code.is_not(None)))
    )
    assert models <= {m.code for m in MODELS}
    stores = set(
        db_session.scalars(select(MarketingEvent.store_code).distinct().where(MarketingEvent.store_code.is_not(None)))
    )
    assert stores <= {s.code for s in STORES}


def test_the_dashboard_on_demo_data_shows_every_channel(client: TestClient, db_session: Session) -> None:
    with clock.pinned(NOW):
        load_marketing_demo(db_session, visitors=VISITORS)
    user = make_user(db_session, roles=[("marketer", None)])
    db_session.commit()
    sign_in(client, user)
    response = client.get("/backoffice/marketing?from=2026-09-01&to=2026-11-30&lang=en&model=markov")
    assert response.status_code == 200
    table = response.text.split('id="attribution-table"', 1)[1].split("</table>", 1)[0]
    for label in (
        "Search",
        "Social",
        "Display",
        "Video",
        "Marketplace",
        "Email",
        "SMS",
        "Referral",
        "Direct",
        "Offline event",
    ):
        assert f">{label}</th>" in table, label
    query = attribution_query.check_query(
        first_day=date(2026, 9, 1),
        last_day=date(2026, 11, 30),
        conversion="test_drive_booked",
        model="markov",
        order=None,
        by="channel",
    )
    report = attribution_service.attribution_report(db_session, query)
    assert report.conversions > 20
    assert {r.key for r in report.rows} >= set(CHANNELS)
