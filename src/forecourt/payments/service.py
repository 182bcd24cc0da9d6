"""Payment use cases: charge through the provider and record the payment; refund part or all of it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError
from forecourt.core.money import round_money
from forecourt.payments.models import Payment
from forecourt.payments.providers import PaymentDeclined, PaymentProvider


class PaymentFailed(DomainError):
    def __init__(self, message: str, code: str = "payment_declined") -> None:
        super().__init__(message, code=code, status=402)


def charge(
    session: Session,
    provider: PaymentProvider,
    *,
    user_id: int,
    purpose: str,
    subject: str,
    amount: Decimal,
    currency: str,
    method_token: str,
    idempotency_key: str,
) -> Payment:
    try:
        result = provider.charge(
            amount=amount,
            currency=currency,
            method_token=method_token,
            description=f"{purpose} {subject}",
            idempotency_key=idempotency_key,
        )
    except PaymentDeclined as exc:
        raise PaymentFailed(str(exc), code=getattr(exc, "code", "payment_declined")) from exc
    payment = Payment(
        user_id=user_id,
        purpose=purpose,
        subject=subject,
        provider=result.provider,
        provider_reference=result.reference,
        amount=result.amount,
        currency=result.currency,
        status="captured",
        refunded_amount=Decimal("0.00"),
        refund_reference="",
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(payment)
    session.flush()
    return payment


def refund(
    session: Session, provider: PaymentProvider, payment: Payment, amount: Decimal, idempotency_key: str
) -> Decimal:
    """Refund up to what is left of the payment; returns the amount refunded (0 when nothing was due)."""
    amount = min(round_money(amount, payment.currency), payment.amount - payment.refunded_amount)
    if amount <= 0:
        return Decimal("0.00")
    result = provider.refund(
        charge_reference=payment.provider_reference, amount=amount, idempotency_key=idempotency_key
    )
    payment.refunded_amount += result.amount
    payment.refund_reference = result.reference
    payment.status = "refunded" if payment.refunded_amount == payment.amount else "partially_refunded"
    session.flush()
    return result.amount


def get_payment(session: Session, payment_id: int) -> Payment | None:
    return session.get(Payment, payment_id)
