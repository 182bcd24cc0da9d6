"""The outside services Forecourt calls, chosen by settings: identity checks, credit scores, payments.

Only demo adapters ship. They implement the same interfaces a real provider would and contact no one.
"""

from __future__ import annotations

from dataclasses import dataclass

from forecourt.core.settings import Settings
from forecourt.identity.credit import CreditScoreProvider, DemoCreditScoreProvider
from forecourt.identity.providers import DemoIdentityProvider, IdentityProvider
from forecourt.payments.providers import DemoPaymentProvider, PaymentProvider

# Demo ID numbers with known scores, so a newcomer can see both sides of the deposit waiver (README).
DEMO_ID_HIGH_SCORE = "440106199003071231"
DEMO_ID_LOW_SCORE = "440106199208151235"
DEMO_PINNED_SCORES = {DEMO_ID_HIGH_SCORE: 780, DEMO_ID_LOW_SCORE: 610}


@dataclass(frozen=True)
class Integrations:
    identity: IdentityProvider
    credit: CreditScoreProvider
    payments: PaymentProvider


def build_integrations(settings: Settings) -> Integrations:
    # Each setting has one value today ("demo"); a real adapter adds a value and a branch here.
    return Integrations(
        identity=DemoIdentityProvider(key=f"demo-identity:{settings.secret_key.get_secret_value()}"),
        credit=DemoCreditScoreProvider(scores=DEMO_PINNED_SCORES),
        payments=DemoPaymentProvider(),
    )
