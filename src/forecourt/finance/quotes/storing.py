"""Storing a comparison: one Quote row per offered product, each with its inputs, the program version's terms as
they were, figures and disclosure, sharing one JSON entry (`inputs["comparison"]`) that names every product's
reference and the products not offered. Only `service.compare` stores; `service.new_car_request` never does."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.catalog.models import Vehicle
from forecourt.core.clock import utcnow
from forecourt.core.references import new_reference
from forecourt.finance.models import FinanceProvider, Quote, RateProgram
from forecourt.finance.quotes import repository
from forecourt.finance.quotes.disclosures import money
from forecourt.finance.quotes.products import CASH, PRODUCTS, USE, ZERO, Car, NotOffered, Priced, QuoteInputs

QUOTE_LIFETIME = timedelta(days=7)


def program_snapshot(program: RateProgram, provider_code: str) -> dict[str, Any]:
    """The program version's terms as they were when quoted (the row itself stays, retired, for reference)."""

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "id": program.id,
        "provider": provider_code,
        "code": program.code,
        "version": program.version,
        "name_en": program.name_en,
        "name_zh": program.name_zh,
        "product": program.product,
        "term_months": program.term_months,
        "credit_tier": program.credit_tier,
        "annual_rate": text(program.annual_rate),
        "money_factor": text(program.money_factor),
        "subvention_rate": text(program.subvention_rate),
        "subvention_by": program.subvention_by,
        "min_down_percent": text(program.min_down_percent),
        "max_balloon_percent": text(program.max_balloon_percent),
        "fee": money(program.fee),
        "cash_rebate": money(program.cash_rebate),
        "purchase_price": money(program.purchase_price),
        "disposition_fee": money(program.disposition_fee),
        "excess_km_rate": text(program.excess_km_rate),
        "valid_from": program.valid_from.isoformat(),
        "valid_to": program.valid_to.isoformat(),
    }


def _unique_references(count: int) -> list[str]:
    references: list[str] = []
    while len(references) < count:
        candidate = new_reference("Q")
        if candidate not in references:
            references.append(candidate)
    return references


def store(
    session: Session,
    vehicle: Vehicle,
    car: Car,
    inputs: QuoteInputs,
    on: date,
    provider: FinanceProvider,
    user_id: int | None,
    results: dict[str, Priced | NotOffered],
) -> tuple[str, tuple[Quote, ...], tuple[NotOffered, ...]]:
    """One Quote row per offered product, sharing the comparison's entry; returns (the comparison's reference,
    the rows in PRODUCTS order, the products not offered)."""
    priced = [results[p] for p in PRODUCTS if isinstance(results[p], Priced)]
    not_offered = tuple(r for p in PRODUCTS if isinstance(r := results[p], NotOffered))
    references = dict(zip((p.product for p in priced), _unique_references(len(priced))))  # type: ignore[union-attr]
    group = {"reference": references[CASH], "quotes": references, "not_offered": [n.as_dict() for n in not_offered]}
    shared = {
        "vin": vehicle.vin,
        "vehicle_price": money(car.price),
        "msrp": money(car.msrp),
        "currency": car.currency,
        "model": car.model_code,
        "trim": car.trim_code,
        "powertrain": car.powertrain,
        "use": USE,
        "down_payment_given": money(inputs.down_payment) if inputs.down_payment is not None else None,
        "down_percent": str(inputs.down_percent) if inputs.down_percent is not None else None,
        "term_months": inputs.term_months,
        "annual_mileage": inputs.annual_mileage,
        "balloon_percent": str(inputs.balloon_percent) if inputs.balloon_percent is not None else None,
        "tier": inputs.tier,
        "on": on.isoformat(),
        "provider": provider.code,
        "comparison": group,
    }
    now = utcnow()
    rows = []
    for result in priced:
        assert isinstance(result, Priced)
        program = result.program
        rows.append(
            Quote(
                reference=references[result.product],
                user_id=user_id,
                vehicle_id=vehicle.id,
                store_id=vehicle.store_id,
                product=result.product,
                program_id=program.id if program else None,
                price=Decimal(result.figures["net_price"]),
                currency=car.currency,
                monthly_payment=result.monthly_payment,
                inputs={
                    **shared,
                    "down_payment": result.figures["down_payment"],
                    "balloon": result.figures.get("balloon", money(ZERO)),
                    "program": program_snapshot(program, provider.code) if program else None,
                },
                figures=result.figures,
                disclosure=result.disclosure,
                created_at=now,
                expires_at=now + QUOTE_LIFETIME,
            )
        )
    repository.add(session, rows)
    return references[CASH], tuple(rows), not_offered
