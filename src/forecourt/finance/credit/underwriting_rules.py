"""The rule set an underwriter applies: score tiers (`ScoreTier`) and the provider-wide rules (`RuleSet`),
each validated on construction, and their JSON/YAML-safe mapping form (`RuleSet.to_mapping`/`from_mapping`).

Split from `underwriting`, which holds the decision logic and re-exports `ScoreTier` and `RuleSet`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from forecourt.finance.calc.loan import MAX_TERM_MONTHS
from forecourt.finance.calc.policy import LendingPolicy

RATIO_QUANTUM = Decimal("0.0001")
SCORE_RANGE = (350, 950)
NO_SCORE_POLICIES = ("decline", "manual_review", "lowest_tier")


@dataclass(frozen=True)
class ScoreTier:
    name: str
    min_score: int
    max_pti: Decimal
    max_dti: Decimal
    max_ltv: Decimal
    max_term_months: int

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("name: a tier needs a name")
        check_int("min_score", self.min_score, *SCORE_RANGE)
        for key in ("max_pti", "max_dti", "max_ltv"):
            _check_ratio(key, getattr(self, key))
        check_int("max_term_months", self.max_term_months, 1, MAX_TERM_MONTHS)


@dataclass(frozen=True)
class RuleSet:
    tiers: tuple[ScoreTier, ...]  # kept best first (highest min_score); below the lowest → score_too_low
    min_age: int = 18
    max_age_at_maturity: int = 65
    min_employment_months: int = 6
    max_delinquencies_24m: int = 2
    no_score_policy: Literal["decline", "manual_review", "lowest_tier"] = "manual_review"
    lending_policy: LendingPolicy = LendingPolicy.china_default()

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError("tiers: a rule set needs at least one score tier")
        object.__setattr__(self, "tiers", tuple(sorted(self.tiers, key=lambda t: -t.min_score)))
        for key, values in (("name", [t.name for t in self.tiers]), ("min_score", [t.min_score for t in self.tiers])):
            if len(set(values)) != len(values):
                raise ValueError(f"tiers: each tier needs its own {key}")
        check_int("min_age", self.min_age, 0, 150)
        check_int("max_age_at_maturity", self.max_age_at_maturity, self.min_age, 150)
        check_int("min_employment_months", self.min_employment_months, 0, 1200)
        check_int("max_delinquencies_24m", self.max_delinquencies_24m, 0, 1000)
        if self.no_score_policy not in NO_SCORE_POLICIES:
            raise ValueError(f"no_score_policy: must be one of {', '.join(NO_SCORE_POLICIES)}")
        if not isinstance(self.lending_policy, LendingPolicy):
            raise ValueError("lending_policy: must be a LendingPolicy")

    @classmethod
    def china_default(cls) -> RuleSet:
        """Tiers on a 350–950 score; PTI/DTI after the 50%/55% income tests Chinese banks use for loans."""
        return cls(
            tiers=(
                ScoreTier("A", 750, Decimal("0.40"), Decimal("0.55"), Decimal("0.85"), 60),
                ScoreTier("B", 680, Decimal("0.35"), Decimal("0.50"), Decimal("0.80"), 60),
                ScoreTier("C", 620, Decimal("0.30"), Decimal("0.45"), Decimal("0.70"), 36),
            )
        )

    def to_mapping(self) -> dict[str, Any]:
        """JSON/YAML-safe: Decimals as strings, the policy's LTV table nested use → powertrain."""
        policy = self.lending_policy
        ltv: dict[str, dict[str, str]] = {}
        for (use, powertrain), limit in policy.max_ltv_by_use_powertrain.items():
            ltv.setdefault(use, {})[powertrain] = str(limit)
        return {
            "tiers": [
                {
                    "name": t.name,
                    "min_score": t.min_score,
                    "max_pti": str(t.max_pti),
                    "max_dti": str(t.max_dti),
                    "max_ltv": str(t.max_ltv),
                    "max_term_months": t.max_term_months,
                }
                for t in self.tiers
            ],
            **{key: getattr(self, key) for key in _RULE_KEYS},
            "lending_policy": {"max_ltv": ltv, "max_term_months": dict(policy.max_term_months)},
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RuleSet:
        """The inverse of to_mapping; a missing key keeps its default. ValueError names the bad key."""
        data = _check_keys("", data, {"tiers", *_RULE_KEYS, "lending_policy"}, required={"tiers"})
        if not isinstance(data["tiers"], list | tuple):
            raise ValueError("tiers: must be a list of tiers")
        tiers = tuple(_tier_from_mapping(f"tiers[{i}]", item) for i, item in enumerate(data["tiers"]))
        options = {key: data[key] for key in _RULE_KEYS if key in data}
        if "lending_policy" in data:
            options["lending_policy"] = _policy_from_mapping(data["lending_policy"])
        return cls(tiers=tiers, **options)


_RULE_KEYS = ("min_age", "max_age_at_maturity", "min_employment_months", "max_delinquencies_24m", "no_score_policy")
_TIER_KEYS = {"name", "min_score", "max_pti", "max_dti", "max_ltv", "max_term_months"}


# --- validation -----------------------------------------------------------------------------------


def check_int(key: str, value: object, low: int, high: int) -> None:
    """ValueError naming `key` unless value is an int (not a bool) from low to high; `underwriting` uses it too."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key}: must be a whole number from {low} to {high} (got {value!r})")


def _check_ratio(key: str, value: object) -> None:
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or not 0 < value <= 1
        or value != value.quantize(RATIO_QUANTUM)
    ):
        raise ValueError(
            f"{key}: must be a Decimal fraction above 0, at most 1, with at most 4 decimals (got {value!r})"
        )


def _mapping(where: str, data: object) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: must be a mapping (got {type(data).__name__})")
    return data


def _check_keys(where: str, data: object, allowed: set[str], required: set[str]) -> Mapping[str, Any]:
    for key in _mapping(where or "rules", data):
        if key not in allowed:
            raise ValueError(f"{where}.{key}: unknown key; expected one of {', '.join(sorted(allowed))}".lstrip("."))
    for key in sorted(required - set(data)):
        raise ValueError(f"{where}.{key}: missing".lstrip("."))
    return data


def _decimal(key: str, value: object) -> Decimal:
    """Decimals travel as strings ("0.35"); a float is refused because it is not the figure it looks like."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f'{key}: write the number as a string, e.g. "0.35" (got {value!r})')
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{key}: {value!r} is not a number") from None


def _tier_from_mapping(where: str, data: object) -> ScoreTier:
    data = _check_keys(where, data, _TIER_KEYS, required=_TIER_KEYS)
    ratios = {key: _decimal(f"{where}.{key}", data[key]) for key in ("max_pti", "max_dti", "max_ltv")}
    return _prefixed(
        f"{where}.",
        lambda: ScoreTier(
            name=data["name"], min_score=data["min_score"], max_term_months=data["max_term_months"], **ratios
        ),
    )


def _policy_from_mapping(data: object) -> LendingPolicy:
    keys = {"max_ltv", "max_term_months"}
    data = _check_keys("lending_policy", data, keys, required=keys)
    ltv: dict[tuple[str, str], Decimal] = {}
    for use, by_powertrain in _mapping("lending_policy.max_ltv", data["max_ltv"]).items():
        for powertrain, limit in _mapping(f"lending_policy.max_ltv.{use}", by_powertrain).items():
            ltv[(use, powertrain)] = _decimal(f"lending_policy.max_ltv.{use}.{powertrain}", limit)
    terms = dict(_mapping("lending_policy.max_term_months", data["max_term_months"]))
    return _prefixed("lending_policy: ", lambda: LendingPolicy(ltv, terms))


def _prefixed(where: str, build: Callable[[], Any]) -> Any:
    try:
        return build()
    except ValueError as exc:
        raise ValueError(f"{where}{exc}") from None
