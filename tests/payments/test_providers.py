"""The demo payment provider: accepted and declined methods, amount checks, idempotent retries."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from forecourt.payments.providers import (
    DemoPaymentProvider,
    PaymentDeclined,
    PaymentProvider,
    ProviderCharge,
    ProviderRefund,
)


def charge(provider: DemoPaymentProvider, amount: str = "99.00", token: str = "demo-card-ok", key: str = "k1"):
    return provider.charge(
        amount=Decimal(amount), currency="CNY", method_token=token, description="deposit TD-1", idempotency_key=key
    )


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@pytest.mark.parametrize("token", ["demo-card-ok", "demo-wallet-ok"])
def test_accepted_methods_charge(token):
    result = charge(DemoPaymentProvider(), token=token)
    assert result == ProviderCharge("demo-pay", "demo-ch-" + digest("k1"), Decimal("99.00"), "CNY")


@pytest.mark.parametrize(
    ("token", "code"),
    [("demo-card-declined", "card_declined"), ("tok_visa", "unknown_payment_method"), ("", "unknown_payment_method")],
)
def test_refused_methods_raise_with_a_code_and_a_message(token, code):
    with pytest.raises(PaymentDeclined) as caught:
        charge(DemoPaymentProvider(), token=token)
    assert caught.value.code == code
    assert str(caught.value)


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", "99.001", "NaN", "Infinity"])
def test_charge_amount_must_be_positive_with_at_most_two_decimals(amount):
    with pytest.raises(ValueError):
        charge(DemoPaymentProvider(), amount=amount)


def test_charge_amount_must_be_a_decimal():
    with pytest.raises(ValueError):
        DemoPaymentProvider().charge(
            amount=99.0,
            currency="CNY",
            method_token="demo-card-ok",  # type: ignore[arg-type]
            description="",
            idempotency_key="k",
        )


@pytest.mark.parametrize("amount", ["0.01", "1", "99.5", "198.00"])
def test_whole_and_short_amounts_are_fine(amount):
    assert charge(DemoPaymentProvider(), amount=amount).amount == Decimal(amount)


def test_a_retried_charge_returns_the_same_charge():
    provider = DemoPaymentProvider()
    assert charge(provider) == charge(provider)
    assert charge(provider, key="k2").reference != charge(provider).reference


def test_references_depend_only_on_the_key():
    assert charge(DemoPaymentProvider()).reference == charge(DemoPaymentProvider()).reference


@pytest.mark.parametrize("changes", [{"amount": "198.00"}, {"token": "demo-wallet-ok"}])
def test_reusing_a_key_for_a_different_charge_is_an_error(changes):
    provider = DemoPaymentProvider()
    charge(provider)
    with pytest.raises(ValueError, match="already used"):
        charge(provider, **changes)


def test_a_declined_charge_is_not_remembered():
    provider = DemoPaymentProvider()
    with pytest.raises(PaymentDeclined):
        charge(provider, token="demo-card-declined")
    assert charge(provider, token="demo-card-ok").amount == Decimal("99.00")


def test_an_idempotency_key_is_required():
    with pytest.raises(ValueError, match="idempotency key"):
        charge(DemoPaymentProvider(), key="")


def test_refund():
    provider: PaymentProvider = DemoPaymentProvider()
    result = provider.refund(charge_reference="demo-ch-abc", amount=Decimal("49.50"), idempotency_key="r1")
    assert result == ProviderRefund("demo-pay", "demo-rf-" + digest("r1"), Decimal("49.50"))
    assert provider.refund(charge_reference="demo-ch-abc", amount=Decimal("49.50"), idempotency_key="r1") == result


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.005"])
def test_refund_amount_must_be_positive_with_at_most_two_decimals(amount):
    with pytest.raises(ValueError):
        DemoPaymentProvider().refund(charge_reference="demo-ch-abc", amount=Decimal(amount), idempotency_key="r1")


def test_reusing_a_refund_key_for_a_different_amount_is_an_error():
    provider = DemoPaymentProvider()
    provider.refund(charge_reference="demo-ch-abc", amount=Decimal("10.00"), idempotency_key="r1")
    with pytest.raises(ValueError, match="already used"):
        provider.refund(charge_reference="demo-ch-abc", amount=Decimal("20.00"), idempotency_key="r1")


def test_payment_declined_defaults_its_code():
    assert PaymentDeclined("no").code == "payment_declined"
