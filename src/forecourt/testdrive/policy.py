"""A store's test-drive policy: the stored settings over defaults that depend on the kind of store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog.models import Store
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.testdrive import repository
from forecourt.testdrive.availability import DriveKind, OpeningHours, SlotRules
from forecourt.testdrive.models import TestDriveSettings
from forecourt.testdrive.rules import StorePolicy


def _kind_defaults(store: Store) -> dict[str, Any]:
    # A self-service store has no salespeople to ride along; a dealer hands over no keys for days.
    self_service = store.kind == "self_service"
    return {"self_service_enabled": self_service, "accompanied_enabled": not self_service}


def store_policy(session: Session, store: Store) -> StorePolicy:
    row = repository.get_settings(session, store.id)
    return StorePolicy.from_mapping({**_kind_defaults(store), **(row.policy if row else {})})


def update_store_policy(session: Session, store: Store, changes: dict[str, Any], *, actor: int | None) -> StorePolicy:
    current = store_policy(session, store).to_mapping()
    try:
        policy = StorePolicy.from_mapping({**current, **changes})
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"Test-drive settings not saved: {exc}", code="invalid_policy") from exc
    problems = policy.validate()
    if problems:
        raise InvalidInput(
            "Test-drive settings not saved: " + "; ".join(f"{f}: {m}" for f, m in problems),
            code="invalid_policy",
            errors=[FieldError(f, m) for f, m in problems],
        )
    row = repository.get_settings(session, store.id) or TestDriveSettings(store_id=store.id)
    row.policy = policy.to_mapping()
    session.add(row)
    session.flush()
    audit.record(session, actor, "testdrive.policy_updated", "store", store.code, store.id, changes=changes)
    return policy


def opening_hours(store: Store) -> OpeningHours:
    return OpeningHours.from_json(store.time_zone, store.opening_hours or {})


def slot_rules(policy: StorePolicy, kind: DriveKind, *, minutes: int = 60, days: int = 1) -> SlotRules:
    return SlotRules(
        kind=kind,
        duration=timedelta(minutes=minutes),
        days=days,
        buffer=timedelta(minutes=policy.buffer_minutes),
        lead_time=timedelta(minutes=policy.lead_time_minutes),
        horizon=timedelta(days=policy.horizon_days),
    )


def check_drive_offered(policy: StorePolicy, kind: DriveKind, minutes: int, days: int) -> None:
    """Refuse a kind or length of drive the store does not offer, saying what it does offer."""
    if kind == DriveKind.ACCOMPANIED:
        if not policy.accompanied_enabled:
            raise InvalidInput("This store offers self-service drives only", code="drive_kind_not_offered")
        if minutes not in policy.accompanied_minutes:
            offered = ", ".join(str(m) for m in policy.accompanied_minutes)
            raise InvalidInput(
                f"Accompanied drives here last {offered} minutes",
                code="duration_not_offered",
                errors=[FieldError("minutes", f"choose one of {offered}")],
            )
    else:
        if not policy.self_service_enabled:
            raise InvalidInput("This store offers accompanied drives only", code="drive_kind_not_offered")
        if not 1 <= days <= policy.self_service_max_days:
            raise InvalidInput(
                f"Self-service drives last 1 to {policy.self_service_max_days} days",
                code="duration_not_offered",
                errors=[FieldError("days", f"choose 1 to {policy.self_service_max_days}")],
            )
