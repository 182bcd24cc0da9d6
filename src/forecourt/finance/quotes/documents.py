"""A comparison as one JSON-able document: what the quote API answers and the quote pages and PDF show."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from forecourt.finance.quotes.disclosures import money

if TYPE_CHECKING:
    from forecourt.finance.quotes.service import Comparison


def comparison_document(comparison: Comparison, now: datetime) -> dict[str, Any]:
    """The comparison as one JSON-able document: what the API answers and the PDF and pages show."""
    vehicle = comparison.vehicle
    inputs = comparison.inputs
    products = []
    for entry in comparison.entries():
        quote, refusal = entry.quote, entry.not_offered
        figures = quote.figures if quote else {}
        products.append(
            {
                "product": entry.product,
                "offered": quote is not None,
                "reference": quote.reference if quote else None,
                "program": (quote.inputs.get("program") if quote else None),
                "monthly_payment": figures.get("monthly_payment"),
                "due_at_signing": figures.get("due_at_signing"),
                "total_cost": figures.get("total_cost"),
                "apr": figures.get("apr"),
                "annualised_rate": figures.get("annualised_rate"),
                "figures": figures,
                "disclosure": quote.disclosure if quote else {"boxes": []},
                "reason": refusal.as_dict() if refusal else None,
            }
        )
    return {
        "reference": comparison.reference,
        "requested": comparison.requested or comparison.reference,
        "vin": vehicle.vin,
        "vehicle": {
            "model": vehicle.model.code,
            "model_name_en": vehicle.model.name_en,
            "model_name_zh": vehicle.model.name_zh,
            "trim": vehicle.trim.code,
            "trim_name_en": vehicle.trim.name_en,
            "trim_name_zh": vehicle.trim.name_zh,
            "model_year": vehicle.model_year,
            "store": vehicle.store.code,
            "store_name_en": vehicle.store.name_en,
            "store_name_zh": vehicle.store.name_zh,
        },
        "price": money(comparison.quotes[0].price),
        "currency": comparison.quotes[0].currency,
        "inputs": {
            "down_payment": inputs.get("down_payment_given"),
            "down_percent": inputs.get("down_percent"),
            "term_months": inputs.get("term_months"),
            "annual_mileage": inputs.get("annual_mileage"),
            "balloon_percent": inputs.get("balloon_percent"),
            "on": inputs.get("on"),
        },
        "created_at": comparison.created_at,
        "expires_at": comparison.expires_at,
        "expired": comparison.is_expired(now),
        "products": products,
    }
