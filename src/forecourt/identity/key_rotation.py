"""Re-encrypt driver verifications (name, date of birth) under the current data key after a key rotation; run by
`forecourt keys rotate` with the credit applications' rotation (finance/credit/key_rotation.py explains the two steps)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from forecourt.core.crypto import FieldCipher
from forecourt.identity import repository
from forecourt.identity.service import ENCRYPTED_COLUMNS, context

BATCH = 200


def rotate_verification_keys(
    session_factory: Callable[[], Session], cipher: FieldCipher, progress: Callable[[int], None] = lambda _: None
) -> tuple[int, int]:
    """(rows checked, tokens rewritten); each batch commits on its own, so a stopped run can be resumed."""
    rows = rewritten = last_id = 0
    while True:
        with session_factory() as session, session.begin():
            batch = repository.verifications_after(session, last_id, BATCH)
            for verification in batch:
                for field, column in ENCRYPTED_COLUMNS.items():
                    token = getattr(verification, column)
                    if token and cipher.needs_rotation(token):
                        setattr(verification, column, cipher.rotate(token, context=context(verification.id, field)))
                        rewritten += 1
        if not batch:
            return rows, rewritten
        rows += len(batch)
        last_id = batch[-1].id
        progress(len(batch))
