"""Lending limits: maximum loan-to-value (so a minimum down payment) and maximum term.

China's defaults (`LendingPolicy.china_default`):
- 《汽车贷款管理办法》 (PBOC & CBRC Order 2017 No. 2): a car loan runs at most 5 years,
  a second-hand car loan at most 3 years (terms include extensions).
- 《关于调整汽车贷款有关政策的通知》 (PBOC & CBRC, 银发〔2017〕234号): maximum LTV 80% for
  self-use conventional (ICE, incl. non-plug-in hybrid) cars, 85% for self-use NEVs (BEV, PHEV),
  70% for commercial conventional vehicles, 75% for commercial NEVs, 70% for second-hand cars.
- The 2024 notice of the same name (PBOC & NFRA) lets each institution set the self-use limits
  itself and keeps the commercial and second-hand ones; the defaults keep the 2017 self-use
  figures as the prudent choice, and every limit is configurable.
The LTV base is the vehicle's price; fees are outside this check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from types import MappingProxyType

from forecourt.core.money import quantum

USES = ("personal", "commercial", "used")
POWERTRAINS = ("ice", "hybrid", "phev", "bev")
NEW_ENERGY = frozenset({"phev", "bev"})  # China's NEV class; a non-plug-in hybrid is conventional

_CHINA_LTV_BY_USE: Mapping[str, tuple[Decimal, Decimal]] = {
    # use: (conventional, new-energy)
    "personal": (Decimal("0.80"), Decimal("0.85")),
    "commercial": (Decimal("0.70"), Decimal("0.75")),
    "used": (Decimal("0.70"), Decimal("0.70")),
}
_CHINA_MAX_TERM_MONTHS = {"personal": 60, "commercial": 60, "used": 36}


_USE_WORDS = {"personal": "self-use", "commercial": "commercial", "used": "second-hand"}
_POWERTRAIN_WORDS = {
    "ice": "petrol/diesel",
    "hybrid": "hybrid",
    "phev": "plug-in hybrid",
    "bev": "battery-electric",
}


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class LendingPolicy:
    max_ltv_by_use_powertrain: Mapping[tuple[str, str], Decimal]
    max_term_months: Mapping[str, int] = field(default_factory=lambda: _frozen(_CHINA_MAX_TERM_MONTHS))

    def __post_init__(self) -> None:
        # Copy into read-only views so a caller's later edit cannot change a policy in use.
        object.__setattr__(self, "max_ltv_by_use_powertrain", _frozen(self.max_ltv_by_use_powertrain))
        object.__setattr__(self, "max_term_months", _frozen(self.max_term_months))
        for key, ltv in self.max_ltv_by_use_powertrain.items():
            if not isinstance(ltv, Decimal) or not 0 < ltv <= 1:
                raise ValueError(f"The maximum loan-to-value for {key} must be a Decimal above 0 and at most 1.")
        for use, months in self.max_term_months.items():
            if isinstance(months, bool) or not isinstance(months, int) or months < 1:
                raise ValueError(f"The maximum term for {use!r} must be a whole number of months, at least 1.")

    @classmethod
    def china_default(cls) -> LendingPolicy:
        ltv = {
            (use, powertrain): new_energy if powertrain in NEW_ENERGY else conventional
            for use, (conventional, new_energy) in _CHINA_LTV_BY_USE.items()
            for powertrain in POWERTRAINS
        }
        return cls(max_ltv_by_use_powertrain=ltv, max_term_months=_CHINA_MAX_TERM_MONTHS)

    def max_ltv(self, use: str, powertrain: str) -> Decimal:
        try:
            return self.max_ltv_by_use_powertrain[(use, powertrain)]
        except KeyError:
            raise ValueError(
                f"No loan-to-value limit for use {use!r} with powertrain {powertrain!r}; "
                f"uses are {', '.join(USES)} and powertrains {', '.join(POWERTRAINS)}."
            ) from None

    def term_limit(self, use: str) -> int:
        try:
            return self.max_term_months[use]
        except KeyError:
            raise ValueError(f"No maximum term for use {use!r}; uses are {', '.join(USES)}.") from None


@dataclass(frozen=True)
class PolicyBreach:
    code: str
    message: str
    limit: Decimal | int


def minimum_down_payment(price: Decimal, use: str, powertrain: str, policy: LendingPolicy) -> Decimal:
    """price × (1 − max LTV), rounded UP to the cent so the loan never exceeds the limit by a fraction."""
    _require_amount("price", price)
    minimum = price * (1 - policy.max_ltv(use, powertrain))
    return minimum.quantize(quantum(), rounding=ROUND_CEILING)


def check_loan(
    price: Decimal, down_payment: Decimal, term_months: int, use: str, powertrain: str, policy: LendingPolicy
) -> list[PolicyBreach]:
    """Every limit the proposed loan breaks; an empty list means it is within policy."""
    _require_amount("down payment", down_payment)
    breaches: list[PolicyBreach] = []
    required = minimum_down_payment(price, use, powertrain, policy)
    if down_payment < required:
        ltv = policy.max_ltv(use, powertrain)
        vehicle = f"{_USE_WORDS.get(use, use)} {_POWERTRAIN_WORDS.get(powertrain, powertrain)} vehicle"
        breaches.append(
            PolicyBreach(
                code="ltv_exceeded",
                message=(
                    f"A {vehicle} can be financed up to {_percent(ltv)} of its price: "
                    f"the down payment must be at least {required} (got {down_payment})."
                ),
                limit=ltv,
            )
        )
    max_term = policy.term_limit(use)
    if term_months > max_term:
        breaches.append(
            PolicyBreach(
                code="term_too_long",
                message=(
                    f"A {_USE_WORDS.get(use, use)} vehicle loan can run at most {max_term} months "
                    f"(asked for {term_months})."
                ),
                limit=max_term,
            )
        )
    return breaches


def _percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f}%"


def _require_amount(label: str, amount: Decimal) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise ValueError(f"The {label} must be a non-negative Decimal amount (got {amount!r}).")
