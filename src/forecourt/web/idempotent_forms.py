"""Forms that must act once: a hidden idempotency key makes a double submit replay the first outcome (the same
booking or order reference) instead of acting twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from forecourt.core import idempotency

T = TypeVar("T")


def once(
    session: Session,
    user_id: int,
    key: str,
    path: str,
    payload: dict[str, Any],
    run: Callable[[], tuple[str, T]],
    *,
    secret: str,
) -> tuple[str, T | None]:
    """Run `run` once per idempotency key (a hidden field of the form), inside a savepoint: the key is claimed with
    a keyed fingerprint of the POST (`secret`), and `run` returns the reference it made and its result. A second
    submit of the same form gets the first outcome's reference and None (the first answer's one-time secrets are
    not kept); a refused `run` leaves neither its writes nor the claim behind."""
    key = idempotency.check_key(key)
    with session.begin_nested():
        claimed = idempotency.begin(
            session, f"user:{user_id}", key, idempotency.fingerprint("POST", path, payload, key=secret)
        )
        if isinstance(claimed, idempotency.Replay):
            return str((claimed.body or {}).get("reference", "")), None
        reference, result = run()
        idempotency.finish(session, claimed, 303, {"reference": reference})
    return reference, result
