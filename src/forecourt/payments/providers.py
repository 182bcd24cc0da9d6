"""Pluggable payment providers: charge a payment method, refund part or all of a charge.

A real adapter wraps a processor (Alipay, WeChat Pay, UnionPay); only the demo adapter ships, and it
moves no money. Every call carries an idempotency key so a retried request never charges twice.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

_Result = TypeVar("_Result")


class PaymentDeclined(Exception):
    """The provider refused the payment; `str(exc)` is for the payer, `code` is stable for programs."""

    def __init__(self, message: str, code: str = "payment_declined") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ProviderCharge:
    provider: str
    reference: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class ProviderRefund:
    provider: str
    reference: str
    amount: Decimal


class PaymentProvider(Protocol):
    name: str

    def charge(
        self, *, amount: Decimal, currency: str, method_token: str, description: str, idempotency_key: str
    ) -> ProviderCharge: ...

    def refund(self, *, charge_reference: str, amount: Decimal, idempotency_key: str) -> ProviderRefund: ...


def _check_amount(amount: Decimal) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"amount must be a finite Decimal, got {amount!r}")
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"amount must have at most 2 decimal places, got {amount}")


def _digest(key: str) -> str:
    if not key:
        raise ValueError("an idempotency key is required")
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class DemoPaymentProvider:
    """A DEMO processor: moves no money and contacts no one.

    Method tokens ``demo-card-ok`` and ``demo-wallet-ok`` succeed; ``demo-card-declined`` is declined
    (code ``card_declined``); any other token is ``unknown_payment_method``. References derive from the
    idempotency key (``demo-ch-``/``demo-rf-`` + 16 hex digits of its SHA-256), and a repeated key returns
    the first answer, as a real processor would; repeating a key with a different request is a programming
    error (ValueError). Remembered in memory only, per instance.
    """

    name = "demo-pay"
    ACCEPTED_TOKENS = frozenset({"demo-card-ok", "demo-wallet-ok"})
    DECLINED_TOKEN = "demo-card-declined"

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one instance serves every request thread
        self._charges: dict[str, tuple[tuple[object, ...], ProviderCharge]] = {}
        self._refunds: dict[str, tuple[tuple[object, ...], ProviderRefund]] = {}

    def charge(
        self, *, amount: Decimal, currency: str, method_token: str, description: str, idempotency_key: str
    ) -> ProviderCharge:
        _check_amount(amount)
        request = (amount, currency, method_token)
        with self._lock:
            if idempotency_key in self._charges:
                return self._replay(self._charges[idempotency_key], request, idempotency_key)
            self._authorise(method_token)
            result = ProviderCharge(self.name, "demo-ch-" + _digest(idempotency_key), amount, currency)
            self._charges[idempotency_key] = (request, result)
            return result

    def refund(self, *, charge_reference: str, amount: Decimal, idempotency_key: str) -> ProviderRefund:
        _check_amount(amount)
        if not charge_reference:
            raise ValueError("a charge reference is required to refund")
        request = (charge_reference, amount)
        with self._lock:
            if idempotency_key in self._refunds:
                return self._replay(self._refunds[idempotency_key], request, idempotency_key)
            result = ProviderRefund(self.name, "demo-rf-" + _digest(idempotency_key), amount)
            self._refunds[idempotency_key] = (request, result)
            return result

    def _authorise(self, method_token: str) -> None:
        if method_token == self.DECLINED_TOKEN:
            raise PaymentDeclined("Your card was declined; please try another card or a wallet.", code="card_declined")
        if method_token not in self.ACCEPTED_TOKENS:
            raise PaymentDeclined(
                "We do not recognise this payment method; please choose another.", code="unknown_payment_method"
            )

    @staticmethod
    def _replay(remembered: tuple[tuple[object, ...], _Result], request: tuple[object, ...], key: str) -> _Result:
        first_request, result = remembered
        if first_request != request:
            raise ValueError(f"idempotency key {key!r} was already used for a different request")
        return result
