"""Pace warnings: tell the owner once when their driving runs 10 % over the allowance, and once when 20 % (pure).

"Pace" is the projection at the lease's end (leases.mileage) against the allowance, in whole km as the page shows
them: a threshold is reached when projected km ≥ allowance × (1 + threshold), so exactly 10 % over warns. Each
threshold is warned about at most once in a lease's life: the job keeps the thresholds already reached (storage
keys them per lease) and passes them in. When both are reached at one evaluation (the first projection after 14
days already runs 25 % over), only the 20 % warning is sent and both are recorded, so the 10 % one never comes
after it. A pace that falls back and rises again sends nothing new. No warning while the projection is hidden or
once the lease has ended: then the lease-end options say what the excess costs.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum

from forecourt.ownership.leases.mileage import LeaseMileage


class PaceThreshold(IntEnum):
    """Percent over the allowance."""

    OVER_10 = 10
    OVER_20 = 20


@dataclass(frozen=True)
class PaceWarnings:
    newly_reached: tuple[PaceThreshold, ...]  # ascending; record them all as reached
    send: PaceThreshold | None  # the one warning to send now: the highest newly reached


def reached_thresholds(projected_km: int, allowance_km: int) -> tuple[PaceThreshold, ...]:
    """Every threshold the projection has reached: 100 × projected ≥ (100 + threshold) × allowance, in integers."""
    if allowance_km <= 0:
        raise ValueError(f"the allowance must be positive, got {allowance_km}")
    return tuple(t for t in PaceThreshold if 100 * projected_km >= (100 + t) * allowance_km)


def pace_warnings(mileage: LeaseMileage, already_reached: Collection[int]) -> PaceWarnings:
    """What this evaluation adds to the thresholds already reached, and the warning to send, if any."""
    projection = mileage.projection
    if projection is None or mileage.ended:
        return PaceWarnings((), None)
    return newly_reached(reached_thresholds(projection.projected_km, projection.allowance_km), already_reached)


def newly_reached(reached_now: Collection[PaceThreshold], already_reached: Collection[int]) -> PaceWarnings:
    new = tuple(sorted(t for t in reached_now if int(t) not in {int(a) for a in already_reached}))
    if not new or max(new) < max((int(a) for a in already_reached), default=0):
        # A lower threshold after a higher one was warned about is stale news: record it, send nothing.
        return PaceWarnings(new, None)
    return PaceWarnings(new, new[-1])
