"""A lease contract's terms as the pure lease core takes them (pure: standard library and sibling pure modules).

The contract (ownership.records.contracts) knows payments; the lease core (mileage, lease_end) knows distance and
the end. These two conversions are the only place the one becomes the other.
"""

from __future__ import annotations

from datetime import date

from forecourt.ownership.leases.lease_end import LeaseEndContract
from forecourt.ownership.leases.mileage import LeaseMileageTerms
from forecourt.ownership.odometer import OdometerReading
from forecourt.ownership.records.contracts import ContractTerms, contract_status


def mileage_terms(terms: ContractTerms) -> LeaseMileageTerms:
    assert terms.annual_allowance_km is not None and terms.excess_km_rate is not None
    return LeaseMileageTerms(
        delivery=OdometerReading(terms.delivered_on, terms.delivery_odometer_km),
        term_months=terms.term_months,
        annual_allowance_km=terms.annual_allowance_km,
        excess_km_rate=terms.excess_km_rate,
        currency=terms.currency,
    )


def lease_end_contract(terms: ContractTerms, today: date) -> LeaseEndContract:
    assert terms.annual_allowance_km is not None and terms.excess_km_rate is not None
    status = contract_status(terms, today)
    return LeaseEndContract(
        delivery_day=terms.delivered_on,
        term_months=terms.term_months,
        annual_allowance_km=terms.annual_allowance_km,
        excess_km_rate=terms.excess_km_rate,
        residual_value=terms.residual_value,
        disposition_fee=terms.disposition_fee,
        monthly_payment=terms.monthly_payment,
        payments_left=status.payments_left,
        purchase_option_fee=terms.purchase_option_fee,
        currency=terms.currency,
    )
