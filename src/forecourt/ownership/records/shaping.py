"""Ownership rows and contract terms as their API shapes (records.schemas)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.ownership.models import Ownership
from forecourt.ownership.records import repository
from forecourt.ownership.records import service as records
from forecourt.ownership.records.contracts import ContractTerms
from forecourt.ownership.records.schemas import ContractOut, OwnershipOut


def contract_out(terms: ContractTerms) -> ContractOut:
    program = terms.program or {}
    return ContractOut(
        product=terms.product,
        currency=terms.currency,
        price=terms.price,
        down_payment=terms.down_payment,
        term_months=terms.term_months,
        monthly_payment=terms.monthly_payment,
        annual_rate=terms.annual_rate,
        money_factor=terms.money_factor,
        balloon=terms.balloon,
        fee=terms.fee,
        residual_value=terms.residual_value,
        disposition_fee=terms.disposition_fee,
        annual_allowance_km=terms.annual_allowance_km,
        excess_km_rate=terms.excess_km_rate,
        delivered_on=terms.delivered_on,
        delivery_odometer_km=terms.delivery_odometer_km,
        end_day=terms.end_day,
        quote_reference=terms.quote_reference,
        program_code=program.get("code"),
        program_version=program.get("version"),
    )


def ownership_out(session: Session, ownership: Ownership) -> OwnershipOut:
    contract = records.contract_of(session, ownership)
    previous = repository.get_by_id(session, ownership.previous_id) if ownership.previous_id else None
    return OwnershipOut(
        reference=ownership.reference,
        vin=ownership.vin,
        model=ownership.model_code,
        store=catalog.stores_by_id(session)[ownership.store_id].code,
        owner_user_id=ownership.user_id,
        status=ownership.status,
        source=ownership.source,
        order_reference=ownership.order_reference,
        previous_reference=previous.reference if previous else None,
        started_on=ownership.started_on,
        start_odometer_km=ownership.start_odometer_km,
        ended_on=ownership.ended_on,
        end_reason=ownership.end_reason,
        end_odometer_km=ownership.end_odometer_km,
        contract=contract_out(records.terms_of(contract)) if contract is not None else None,
    )
