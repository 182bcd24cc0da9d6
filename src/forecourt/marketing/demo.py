"""(scaffold) Marketing demo data."""

from __future__ import annotations

from sqlalchemy.orm import Session


def load_marketing_demo(session: Session) -> str:
    """Load the simulated campaigns, spend and shopper journeys; return a one-line summary."""
    del session
    return "marketing demo: not loaded"
