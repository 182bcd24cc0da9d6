"""Giving deposits back through the payment provider, recorded on the booking."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.payments import service as payments
from forecourt.payments.providers import PaymentProvider
from forecourt.testdrive.models import TestDriveBooking


def refund_deposit(
    session: Session, booking: TestDriveBooking, amount: Decimal, provider: PaymentProvider, why: str
) -> None:
    """Refund `amount` of the booking's deposit; `why` keys the provider's idempotency (one refund per reason)."""
    if booking.payment_id is None or amount <= 0:
        return
    payment = payments.get_payment(session, booking.payment_id)
    if payment is not None:
        booking.refunded_amount += payments.refund(session, provider, payment, amount, f"{booking.reference}:{why}")
