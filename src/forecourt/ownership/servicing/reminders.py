"""Service reminders: which stage a car's next service has reached, and which stages are new (pure).

Stages, after FordPass's maintenance minder (FIELD-NOTES "Service"), by the next service's day (`due_on`: the
calendar day or the predicted km day, whichever first) and the km left to the due km:
    due     on or after the day, or at or past the km
    soon    14 days or fewer left, or 500 km or fewer left
    notice  30 days or fewer left
    none    otherwise
Boundaries are inclusive: exactly 30 days left is a notice, exactly 500 km left is soon. The thresholds are data
(ReminderThresholds), because a fixed "< 7 days or < 50 miles" was too tight for heavy drivers (LubeLogger).

Each stage is sent at most once per due service: the job keeps the highest stage reached for that service
(storage keys it by car and service) and asks `stage_change(highest so far, stage now)`. Stages only go up: a stage
computed lower than one already reached (the owner drove less, so the km day moved later) sends nothing, and a
stage passed over in one step (none → soon) is recorded but not sent late; only the highest new stage is sent. A
completed service starts a new due service (schedules.service_due from it), whose stages start again at none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import IntEnum

from forecourt.ownership.servicing.schedules import NextService


class ReminderStage(IntEnum):
    NONE = 0
    NOTICE = 1
    SOON = 2
    DUE = 3


@dataclass(frozen=True)
class ReminderThresholds:
    notice_days: int = 30
    soon_days: int = 14
    soon_km: int = 500

    def __post_init__(self) -> None:
        for name in ("notice_days", "soon_days", "soon_km"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number ≥ 0, got {value!r}")
        if self.soon_days > self.notice_days:
            raise ValueError("the 'soon' reminder cannot come before the notice: soon_days ≤ notice_days")


DEFAULT_THRESHOLDS = ReminderThresholds()


@dataclass(frozen=True)
class StageChange:
    newly_reached: tuple[ReminderStage, ...]  # ascending; record the last as the highest reached
    send: ReminderStage | None  # the one reminder to send now
    highest: ReminderStage  # the highest stage reached so far, to store


def reminder_stage(days_left: int, km_left: int, thresholds: ReminderThresholds = DEFAULT_THRESHOLDS) -> ReminderStage:
    """The stage for `days_left` to the due day and `km_left` to the due km (either may be negative: overdue)."""
    if days_left <= 0 or km_left <= 0:
        return ReminderStage.DUE
    if days_left <= thresholds.soon_days or km_left <= thresholds.soon_km:
        return ReminderStage.SOON
    if days_left <= thresholds.notice_days:
        return ReminderStage.NOTICE
    return ReminderStage.NONE


def stage_for(
    service: NextService,
    today: date,
    current_km: int | None = None,
    thresholds: ReminderThresholds = DEFAULT_THRESHOLDS,
) -> ReminderStage:
    """The stage of a predicted next service today; `current_km` defaults to the latest reading kept."""
    km = service.as_of.km if current_km is None else current_km
    return reminder_stage((service.due_on - today).days, service.due.due_km - km, thresholds)


def stage_change(highest_so_far: ReminderStage, now: ReminderStage) -> StageChange:
    """The stages newly reached between the evaluation that reached `highest_so_far` and this one."""
    if now <= highest_so_far:
        return StageChange((), None, highest_so_far)
    new = tuple(ReminderStage(value) for value in range(highest_so_far + 1, now + 1))
    return StageChange(new, now, now)
