"""(scaffold) Lead demo data."""

from __future__ import annotations

from sqlalchemy.orm import Session


def load_lead_demo(session: Session) -> str:
    """Load the demo lead history and train the scoring model; return a one-line summary."""
    del session
    return "lead demo: not loaded"
