"""Credit bureaus behind one interface, and a DEMO bureau that contacts no one.

A real adapter (PBOC Credit Reference Center through a licensed channel, Baihang, ...) implements
`CreditBureau.pull`. Only the demo ships: `DemoCreditBureau` derives a report from a keyed hash of the ID
number, so the same person always gets the same score, late payments and reported debts, and pins a few
demo ID numbers to chosen reports so the demo and the tests can show every outcome.

A pre-qualification is a soft inquiry (it does not show to lenders and does not affect the score);
an application is a hard one. The report says which kind it was.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from forecourt.identity.credit import DemoCreditScoreProvider

Inquiry = Literal["soft", "hard"]
DEMO_BUREAU_CODE = "demo-bureau"


@dataclass(frozen=True)
class BureauReport:
    bureau: str  # the bureau's code, e.g. "demo-bureau"
    bureau_name: str  # how the adverse-action notice names it
    reference: str  # the bureau's id of this inquiry
    inquiry: Inquiry
    score: int | None  # 350–950; None: no credit file (or too thin to score)
    delinquencies_24m: int
    monthly_debt_payments: Decimal  # instalments the bureau knows of (loans, cards' minimum payments)


class CreditBureau(Protocol):
    code: str
    name: str

    def pull(self, *, id_type: str, id_number: str, inquiry: Inquiry) -> BureauReport: ...


@dataclass(frozen=True)
class DemoProfile:
    score: int | None
    delinquencies_24m: int = 0
    monthly_debt_payments: Decimal = Decimal("0.00")


# Valid resident ID numbers (check characters included) with chosen reports, listed in the README.
DEMO_ID_GOOD = "440106199003071231"  # score 780: the test-drive demo's high score too
DEMO_ID_FAIR = "440106199208151235"  # score 610: below the lowest tier (620), declined
DEMO_ID_NO_FILE = "110105198506150014"  # no credit file: manual review
DEMO_ID_LATE_PAYER = "310104198801010023"  # score 700 but 4 late payments in 24 months: declined
DEMO_PROFILES: dict[str, DemoProfile] = {
    DEMO_ID_GOOD: DemoProfile(780, 0, Decimal("1500.00")),
    DEMO_ID_FAIR: DemoProfile(610, 1, Decimal("800.00")),
    DEMO_ID_NO_FILE: DemoProfile(None, 0, Decimal("0.00")),
    DEMO_ID_LATE_PAYER: DemoProfile(700, 4, Decimal("2000.00")),
}


class DemoCreditBureau:
    """A DEMO bureau: deterministic per ID number, contacts no one, keeps only inquiry references."""

    code = DEMO_BUREAU_CODE
    name = "Forecourt Demo Credit Bureau"

    def __init__(self, salt: str = "forecourt-demo-bureau", profiles: dict[str, DemoProfile] | None = None) -> None:
        self._salt = salt.encode()
        self._profiles = dict(DEMO_PROFILES if profiles is None else profiles)
        self._scores = DemoCreditScoreProvider(salt=salt)
        self.inquiries: list[tuple[str, Inquiry]] = []  # (reference, kind): what a real bureau would log

    def pull(self, *, id_type: str, id_number: str, inquiry: Inquiry) -> BureauReport:
        if inquiry not in ("soft", "hard"):
            raise ValueError(f"inquiry must be 'soft' or 'hard', not {inquiry!r}")
        number = "".join(id_number.split()).upper()
        profile = self._profiles.get(number) or self._derived(f"{id_type}:{number}")
        reference = f"DEMO-{'S' if inquiry == 'soft' else 'H'}-{secrets.token_hex(6).upper()}"
        self.inquiries.append((reference, inquiry))
        return BureauReport(
            self.code,
            self.name,
            reference,
            inquiry,
            profile.score,
            profile.delinquencies_24m,
            profile.monthly_debt_payments,
        )

    def _derived(self, key: str) -> DemoProfile:
        digest = hmac.new(self._salt, key.encode(), hashlib.sha256).digest()
        if digest[4] % 20 == 0:  # one person in twenty has no credit file
            return DemoProfile(None)
        delinquencies = (0, 0, 0, 0, 0, 0, 1, 1, 2, 3)[digest[5] % 10]
        debts = Decimal(digest[6] % 31 * 100).quantize(Decimal("0.01"))  # 0–3,000 a month in hundreds
        return DemoProfile(self._scores.score(key).score, delinquencies, debts)


def bureau_for(code: str, configured: CreditBureau | None = None) -> CreditBureau:
    """The bureau a provider uses: the configured adapter (the app's `state.credit_bureau`) or the demo."""
    if configured is not None:
        return configured
    if code in ("", DEMO_BUREAU_CODE):
        return _DEMO
    raise LookupError(f"No credit bureau adapter for {code!r}; only the demo bureau ships")


_DEMO = DemoCreditBureau()
