"""The vehicle page's payment widget in a real browser, over the demo finance programs: shared by the finance
journey and the form-layout tests. Pin `forecourt.core.clock` at NOW around the widget (the live server runs in
this process): the demo programs are valid 2026-01-01 to 2027-12-31, whatever the real date."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.catalog.models import Trim, Vehicle, VehicleModel
from forecourt.finance.programs.demo import NEV_TRIMS, ensure_finance_demo

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Guangzhou, inside the demo programs' validity
MILEAGE = 20_000


def finance_demo_and_two_mondeos(session: Session) -> list[str]:
    """The demo finance programs, and the VINs of two available petrol Mondeos for sale."""
    ensure_finance_demo(session)
    return list(
        session.scalars(
            select(Vehicle.vin)
            .join(Trim, Vehicle.trim_id == Trim.id)
            .join(VehicleModel, Trim.model_id == VehicleModel.id)
            .where(
                VehicleModel.code == "mondeo",
                Trim.code != NEV_TRIMS["mondeo"],
                Vehicle.status == "available",
                Vehicle.fleet_pool == "sale",
            )
            .order_by(Vehicle.vin)
            .limit(2)
        )
    )


def open_the_widget(page: Any, server: str, vin: str, lang: str) -> Any:
    """The vehicle page's payment widget with 20 % down, 36 months and 20,000 km a year chosen."""
    from playwright.sync_api import expect

    page.goto(f"{server}/vehicles/{vin}?lang={lang}")
    widget = page.locator("section.payment-widget")
    expect(widget.locator("form[action='/quotes']")).to_be_visible()
    widget.locator("#pw-down").select_option("20")
    widget.locator("#pw-term").select_option("36")
    widget.locator("#pw-mileage").select_option(str(MILEAGE))  # not the default: the choice must reach the quote
    return widget


def submit_the_widget(page: Any, widget: Any) -> str:
    """Compare: a plain form post, sent (303) to the comparison; returns its reference."""
    widget.locator("#compare-finance").click()
    page.wait_for_url(re.compile(r"/quotes/Q[A-Z0-9]+$"))
    return page.url.rsplit("/", 1)[1]
