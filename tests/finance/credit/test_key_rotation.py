"""Rotating the data key: every stored token moves under the new key and still opens; the old key can go."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.crypto import DecryptionError, FieldCipher, Keyring, derive_index_key
from forecourt.finance.credit.key_rotation import COLUMNS, rotate_application_keys
from forecourt.finance.credit.service import context
from forecourt.finance.models import CreditApplication
from tests.conftest import _joined_session
from tests.finance.credit.helpers import FAIR_ID, GOOD_ID, NOW, Finance, body, make_finance, submit

SECRET = "x" * 40


@pytest.fixture
def fin(db_session: Session) -> Iterator[Finance]:
    with clock.pinned(NOW):
        yield make_finance(db_session)


def test_rotation_rewrites_every_token_under_the_new_key(client, fin, db_session, db_connection):
    old_key, new_key = Keyring.generate_key_text("k1"), Keyring.generate_key_text("k2")
    old = FieldCipher(Keyring.parse(old_key), index_key=derive_index_key(SECRET))
    client.app.state.field_cipher = old
    shopper = fin.headers["shopper"]
    submit(client, shopper, body(fin.quote))
    submit(client, shopper, body(fin.quote, id_number=FAIR_ID))  # declined: has an encrypted notice too

    both = FieldCipher(Keyring.parse(f"{new_key},{old_key}"), index_key=derive_index_key(SECRET))
    report = rotate_application_keys(partial(_joined_session, db_connection), both)
    assert report.rows == 2 and report.tokens_rewritten >= 2 * 8 + 1
    assert rotate_application_keys(partial(_joined_session, db_connection), both).tokens_rewritten == 0  # resumable

    db_session.expire_all()
    first = db_session.scalars(select(CreditApplication).order_by(CreditApplication.id)).first()
    new_only = FieldCipher(Keyring.parse(new_key), index_key=derive_index_key(SECRET))
    assert new_only.decrypt(first.id_number_enc, context=context(first.id, "id_number")) == GOOD_ID
    for column in COLUMNS.values():
        token = getattr(first, column)
        assert token is None or token.startswith("fc1:k2:")
    with pytest.raises(DecryptionError):
        old.decrypt(first.id_number_enc, context=context(first.id, "id_number"))  # the old key alone no longer opens it
