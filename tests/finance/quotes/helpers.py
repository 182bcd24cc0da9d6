"""Shared set-up of the quote tests: a small catalog, a provider with the standard programs, residuals for the
Mondeo, a shopper, store staff and a pinned clock (1 December 2026, inside the programs' validity)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from tests.factories import auth_headers, make_small_catalog, make_token, make_user, make_vehicle
from tests.finance.factories import make_provider, make_residuals, make_standard_programs

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
QUOTES = "/api/v1/quotes"
SEARCH = "/api/v1/finance/payment-search"


@dataclass
class Lot:
    catalog: dict
    provider: object
    programs: dict
    mondeo: object  # EcoBoost 180, ICE, 179,800 at gz-tianhe
    hybrid: object  # Mondeo hybrid (conventional: 80 % LTV), 252,800 at gz-tianhe
    kuga: object  # no residuals for the Kuga: no lease
    navigator: object  # 1,348,000 at sh-pudong
    shopper: dict[str, str]
    other: dict[str, str]
    staff: dict[str, str]  # staff of gz-tianhe
    outsider: dict[str, str]  # staff of sh-pudong
    shopper_id: int


def make_lot(session: Session) -> Lot:
    catalog = make_small_catalog(session)
    trims, stores = catalog["trims"], catalog["stores"]
    provider = make_provider(session)
    programs = make_standard_programs(session, provider)
    make_residuals(session, provider, "mondeo")
    mondeo = make_vehicle(session, trims["mondeo-ecoboost180"], stores["gz-tianhe"])
    hybrid = make_vehicle(session, trims["mondeo-hybrid"], stores["gz-tianhe"])
    kuga = make_vehicle(session, trims["kuga-ecoboost245"], stores["gz-tianhe"])
    navigator = make_vehicle(session, trims["navigator-reserve"], stores["sh-pudong"])
    shopper = make_user(session, roles=[("shopper", None)])
    other = make_user(session, roles=[("shopper", None)])
    staff = make_user(session, roles=[("store_staff", stores["gz-tianhe"].id)])
    outsider = make_user(session, roles=[("store_staff", stores["sh-pudong"].id)])
    lot = Lot(
        catalog,
        provider,
        programs,
        mondeo,
        hybrid,
        kuga,
        navigator,
        auth_headers(make_token(session, shopper)),
        auth_headers(make_token(session, other)),
        auth_headers(make_token(session, staff)),
        auth_headers(make_token(session, outsider)),
        shopper.id,
    )
    session.commit()
    return lot
