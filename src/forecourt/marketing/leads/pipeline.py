"""The lead pipeline as rules (pure, standard library only): stages in order, what an event does to a lead,
which manual moves are allowed, and which follow-up task a stage opens.

new → contacted → test_drive → application → won | lost

* Events only move a lead forward (test drive booked/taken → test_drive, credit application → application,
  order → won); an event that would move it back or sideways changes nothing.
* Staff move a lead forward by hand, to any later stage (skipping is allowed: a walk-in may apply at once), or
  close it as won or lost; lost needs a reason.
* Moving back, or reopening a won/lost lead, is for admins only, and needs a reason too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

STAGES: tuple[str, ...] = ("new", "contacted", "test_drive", "application", "won", "lost")
OPEN_STAGES: tuple[str, ...] = ("new", "contacted", "test_drive", "application")
CLOSED_STAGES: tuple[str, ...] = ("won", "lost")
RANK = {stage: rank for rank, stage in enumerate(STAGES[:5])} | {"lost": 4}

# Event types that create a lead when the person has no open lead.
CREATING_EVENTS: tuple[str, ...] = (
    "test_drive_booked",
    "test_drive_taken",
    "quote_request",
    "credit_application",
    "contact",
)
# Event types that move an open lead forward.
EVENT_STAGE: dict[str, str] = {
    "test_drive_booked": "test_drive",
    "test_drive_taken": "test_drive",
    "credit_application": "application",
    "order": "won",
}

TASK_KINDS: tuple[str, ...] = ("first_contact", "propose_test_drive", "test_drive_follow_up", "application_follow_up")
TASK_STATES: tuple[str, ...] = ("open", "done", "cancelled")
# The task a stage opens, and how long staff have for it (first_contact's due time is the SLA's).
STAGE_TASK: dict[str, tuple[str, timedelta]] = {
    "contacted": ("propose_test_drive", timedelta(days=2)),
    "test_drive": ("test_drive_follow_up", timedelta(days=1)),
    "application": ("application_follow_up", timedelta(days=1)),
}
REASON_LIMITS = (3, 500)


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    status: int  # 409 for a state conflict, 403 for a move only an admin may make, 422 for bad input


def event_target(current: str, event_type: str) -> str | None:
    """The stage an event moves the lead to, or None when it leaves the lead where it is."""
    target = EVENT_STAGE.get(event_type)
    if target is None or current in CLOSED_STAGES or RANK[target] <= RANK[current]:
        return None
    return target


def check_manual_move(current: str, target: str, *, reason: str, is_admin: bool) -> Refusal | None:
    """Why a manual move is refused, or None when it is allowed."""
    if target not in STAGES:
        return Refusal("invalid_stage", f"Unknown stage {target!r}; use one of {', '.join(STAGES)}", 422)
    if target == current:
        return Refusal("already_in_stage", f"The lead is already {current}", 409)
    reason_ok = REASON_LIMITS[0] <= len(reason.strip()) <= REASON_LIMITS[1]
    backwards = current in CLOSED_STAGES or (target in OPEN_STAGES and RANK[target] < RANK[current])
    if backwards:
        if not is_admin:
            return Refusal(
                "backwards_move_admin_only", f"Only an admin may move a lead from {current} back to {target}", 403
            )
        if not reason_ok:
            return Refusal("reason_required", "Moving a lead back needs a reason (3–500 characters)", 422)
        return None
    if target == "lost" and not reason_ok:
        return Refusal("reason_required", "Closing a lead as lost needs a reason (3–500 characters)", 422)
    return None


def manual_targets(current: str, *, is_admin: bool) -> tuple[str, ...]:
    """The stages a person may move a lead to by hand (given a reason where one is needed): what the lead page
    offers, decided by `check_manual_move` itself so the two cannot disagree."""
    return tuple(
        stage
        for stage in STAGES
        if check_manual_move(current, stage, reason="x" * REASON_LIMITS[0], is_admin=is_admin) is None
    )
