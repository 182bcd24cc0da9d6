"""The demo's customers on a normal day, loaded by `forecourt demo load` after every other demo: the campaign each
came through (marketing), their drives at both Guangzhou stores (test drives), their credit applications and their
orders (finance) — in that order, each using only what the demos before it left free (cars, slots). Who they are:
`accounts.demo.CUSTOMERS`; what each context makes of them: its own demo module.

Then `relay_the_day` sends what the day wrote to the outbox, as after any request: the conversions reach marketing
and become leads, the e-mails and SMS go to the development outbox files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.core.clock import utcnow
from forecourt.core.outbox import relay_outbox
from forecourt.core.settings import Settings
from forecourt.finance.credit_demo import load_credit_demo
from forecourt.finance.orders.demo import load_order_demo
from forecourt.marketing.journey_demo import load_customer_journeys
from forecourt.marketing.platform_events import outbox_adapters
from forecourt.testdrive.calendar_demo import load_calendar_demo


def load_customers_day(session: Session, settings: Settings, now: datetime | None = None) -> list[str]:
    """Every step idempotent; one summary line per context."""
    now = now or utcnow()
    return [
        load_customer_journeys(session, now),
        load_calendar_demo(session, settings, now),
        load_credit_demo(session, settings, now),
        load_order_demo(session, settings, now),
    ]


def relay_the_day(session_factory: Callable[[], Session], settings: Settings) -> str:
    relayed = relay_outbox(session_factory, outbox_adapters(session_factory, settings.outbox_dir))
    return f"outbox: {relayed} message(s) relayed (conversions to marketing; e-mail and SMS to {settings.outbox_dir})"
