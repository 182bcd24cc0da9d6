"""Re-encrypt credit applications under the current data key after a key rotation.

Rotation is two steps for an operator: put the new key FIRST in FORECOURT_FIELD_ENCRYPTION_KEYS (old keys
stay after it, so existing tokens still decrypt), then run `forecourt keys rotate`, which rewrites every
token not under the current key; once it reports 0 left, the old key can be removed from the setting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from forecourt.core.crypto import FieldCipher
from forecourt.finance.credit import repository
from forecourt.finance.credit.decisions import PRIVATE_FIELD
from forecourt.finance.credit.service import ENCRYPTED_FIELDS, context

BATCH = 200
# Column of each encrypted field (the field name is also the AES-GCM context label).
COLUMNS = {field: f"{field}_enc" for field in ENCRYPTED_FIELDS} | {
    "adverse_action_notice": "adverse_action_notice",
    PRIVATE_FIELD: f"{PRIVATE_FIELD}_enc",
}


@dataclass(frozen=True)
class RotationReport:
    rows: int
    tokens_rewritten: int


def rotate_application_keys(
    session_factory: Callable[[], Session], cipher: FieldCipher, progress: Callable[[int], None] = lambda _: None
) -> RotationReport:
    """Each batch commits on its own, so a long rotation can be stopped and resumed (rewritten tokens are
    under the current key and are skipped next time)."""
    rows = rewritten = last_id = 0
    while True:
        with session_factory() as session, session.begin():
            batch = repository.applications_after(session, last_id, BATCH)
            for application in batch:
                rewritten += _rotate_row(cipher, application)
        if not batch:
            return RotationReport(rows, rewritten)
        rows += len(batch)
        last_id = batch[-1].id
        progress(len(batch))


def _rotate_row(cipher: FieldCipher, application: object) -> int:
    rewritten = 0
    for field, column in COLUMNS.items():
        token = getattr(application, column)
        if token and cipher.needs_rotation(token):
            setattr(application, column, cipher.rotate(token, context=context(application.id, field)))  # type: ignore[attr-defined]
            rewritten += 1
    return rewritten
