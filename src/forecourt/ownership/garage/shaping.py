"""Garage cards and lease views as their API shapes (garage.schemas): the pure core's figures, unchanged."""

from __future__ import annotations

from forecourt.ownership.garage.schemas import (
    ConnectedOut,
    DocumentOut,
    FaultCodeOut,
    GarageCardOut,
    PaymentOut,
    StandingOut,
)
from forecourt.ownership.garage.service import GarageCard
from forecourt.ownership.records.contracts import Payment
from forecourt.ownership.records.shaping import contract_out


def payment_out(payment: Payment) -> PaymentOut:
    return PaymentOut(
        number=payment.number, due_on=payment.due_on, amount=payment.amount, balance_after=payment.balance_after
    )


def card_out(card: GarageCard, *, with_schedule: bool) -> GarageCardOut:
    ownership, status, connected = card.ownership, card.status, card.connected
    return GarageCardOut(
        reference=ownership.reference,
        vin=ownership.vin,
        model=card.model.code,
        model_name_en=card.model.name_en,
        model_name_zh=card.model.name_zh,
        model_year=card.vehicle.model_year if card.vehicle else None,
        store=card.vehicle.store.code if card.vehicle else "",
        started_on=ownership.started_on,
        contract=contract_out(card.terms) if card.terms else None,
        standing=StandingOut(
            payments_made=status.payments_made,
            payments_left=status.payments_left,
            next_payment=payment_out(status.next_payment) if status.next_payment else None,
            balance=status.balance,
            final_amount=status.final_amount,
            end_day=status.end_day,
        )
        if status
        else None,
        schedule=[payment_out(p) for p in card.schedule] if with_schedule else None,
        connected=ConnectedOut(
            reported_at=connected.reported_at,
            odometer_km=connected.odometer_km,
            level_percent=connected.level_percent,
            electric=connected.electric,
            fault_codes=[FaultCodeOut(code=d.code, en=d.en, zh=d.zh, severe=d.severe) for d in connected.fault_codes],
        )
        if connected
        else None,
        documents=[DocumentOut(kind=d.kind, url=d.url) for d in card.documents],
        sections={slot: section.data for slot, section in card.sections.items()},
        lease_url=f"/api/v1/garage/{ownership.reference}/lease" if card.has_lease else None,
    )
