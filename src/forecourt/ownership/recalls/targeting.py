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


def target_problems(target: RecallTarget) -> list[tuple[str, str]]:
    """(field, message) for each thing wrong with a target; empty: it can be saved."""
    if target.kind == TargetKind.VINS:
        bad = sorted(v for v in target.vins if len(v) != VIN_LENGTH or not v.isalnum())
        if not target.vins:
            return [("vins", "list at least one VIN")]
        return [("vins", f"not a 17-character VIN: {', '.join(bad[:5])}")] if bad else []
    if target.kind == TargetKind.VIN_RANGE:
        ends = (target.vin_from, target.vin_to)
        if any(len(v) != VIN_LENGTH or not v.isalnum() for v in ends):
            return [("vin_from", "give both ends of the range as 17-character VINs")]
        if _family(target.vin_from) != _family(target.vin_to):
            return [("vin_to", "both ends must share positions 1–8 and 10–11 (maker, model, year and plant)")]
        if _serial(target.vin_from) > _serial(target.vin_to):
            return [("vin_to", "the range ends before it starts")]
        return []
    if not target.model_code:
        return [("model_code", "name the model")]
    if target.year_from is not None and target.year_to is not None and target.year_from > target.year_to:
        return [("year_to", "the last model year is before the first")]
    return []


def normal_vins(vins: Collection[str]) -> frozenset[str]:
    return frozenset(v.strip().upper() for v in vins if v.strip())
