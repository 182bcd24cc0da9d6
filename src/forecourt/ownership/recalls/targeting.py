"""Which cars a recall campaign covers (pure: no web, no ORM).

Three ways a maker names the affected cars:
- a VIN list: exactly those VINs;
- a VIN range: the way recall notices print "VIN LFA…000101 to LFA…000950". Position 9 of a VIN is its check
  digit, different for nearly every car, so a range is not a string interval over whole VINs: the two ends must
  share the maker and descriptor (positions 1–8) and the model year and plant (10–11), and a VIN is in the range
  when it shares those and its serial (positions 12–17) lies between the ends', both included;
- a model and model years (both included; an open end is every year on that side).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from forecourt.ownership.recalls.messages import MESSAGES

VIN_LENGTH = 17


class TargetKind(StrEnum):
    VINS = "vins"
    VIN_RANGE = "vin_range"
    MODEL_YEAR = "model_year"


@dataclass(frozen=True)
class RecallTarget:
    kind: TargetKind
    vins: frozenset[str] = frozenset()
    vin_from: str = ""
    vin_to: str = ""
    model_code: str = ""
    year_from: int | None = None
    year_to: int | None = None

    def matches(self, vin: str, model_code: str, model_year: int) -> bool:
        vin = vin.strip().upper()
        if self.kind == TargetKind.VINS:
            return vin in self.vins
        if self.kind == TargetKind.VIN_RANGE:
            return (
                len(vin) == VIN_LENGTH
                and _family(vin) == _family(self.vin_from)
                and (_serial(self.vin_from) <= _serial(vin) <= _serial(self.vin_to))
            )
        if model_code != self.model_code:
            return False
        return (self.year_from is None or model_year >= self.year_from) and (
            self.year_to is None or model_year <= self.year_to
        )


def _family(vin: str) -> str:
    return vin[:8] + vin[9:11]


def _serial(vin: str) -> str:
    return vin[11:]


def target_issues(target: RecallTarget) -> list[tuple[str, str, str]]:
    """(field, message key of `messages.MESSAGES`, detail) for each thing wrong with a target; empty: it can be saved.
    The detail is the bad VINs of a list (at most five), else empty."""
    if target.kind == TargetKind.VINS:
        bad = sorted(v for v in target.vins if not is_vin_text(v))
        if not target.vins:
            return [("vins", "vins_empty", "")]
        return [("vins", "vins_bad", ", ".join(bad[:5]))] if bad else []
    if target.kind == TargetKind.VIN_RANGE:
        ends = [(name, vin) for name, vin in (("vin_from", target.vin_from), ("vin_to", target.vin_to))]
        wrong = [(name, "vin_end", "") for name, vin in ends if not is_vin_text(vin)]
        if wrong:
            return wrong
        if _family(target.vin_from) != _family(target.vin_to):
            return [("vin_to", "vin_family", "")]
        if _serial(target.vin_from) > _serial(target.vin_to):
            return [("vin_to", "vin_order", "")]
        return []
    if not target.model_code:
        return [("model_code", "model", "")]
    if target.year_from is not None and target.year_to is not None and target.year_from > target.year_to:
        return [("year_to", "year_order", "")]
    return []


def target_problems(target: RecallTarget) -> list[tuple[str, str]]:
    """(field, English sentence) for each thing wrong with a target (`target_issues`, worded); empty: it can be saved."""
    return [(field, MESSAGES[key] % {"vins": detail}) for field, key, detail in target_issues(target)]


def is_vin_text(vin: str) -> bool:
    """17 letters and digits (the check digit and the letters I, O, Q are the catalog's business, not a recall's)."""
    return len(vin) == VIN_LENGTH and vin.isascii() and vin.isalnum()


def normal_vins(vins: Collection[str]) -> frozenset[str]:
    return frozenset(v.strip().upper() for v in vins if v.strip())
