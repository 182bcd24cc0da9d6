"""How a driver verification is stored: the name and the birth date only as tokens (the age rule opens the date at
its boundary), masks for everyone but the shopper, and the tokens follow a data-key rotation."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.crypto import DecryptionError, FieldCipher, Keyring, derive_index_key
from forecourt.identity.id_number import check_character
from forecourt.identity.key_rotation import rotate_verification_keys
from forecourt.identity.models import DriverVerification
from forecourt.identity.service import context
from tests.conftest import _joined_session
from tests.testdrive.helpers import NOW, VERIFY, Fleet, confirm, hold, make_fleet, verify


@pytest.fixture
def fleet(db_session: Session) -> Iterator[Fleet]:
    with clock.pinned(NOW):
        yield make_fleet(db_session)


def _id_born(yyyymmdd: str) -> str:
    body = f"440106{yyyymmdd}123"
    return body + check_character(body)


def _row(session: Session, user_id: int) -> DriverVerification:
    session.expire_all()
    return session.scalars(select(DriverVerification).where(DriverVerification.user_id == user_id)).one()


@pytest.mark.parametrize(("born", "refused"), [("20081202", False), ("20081203", True)])
def test_the_age_rule_reads_the_encrypted_birth_date_on_the_drive_day(client, fleet, born, refused):
    # The drive is on 2 December 2026: 18 that day may drive, 18 the day after may not.
    verify(client, fleet.shopper, _id_born(born))
    reference = hold(client, fleet.shopper, vin=fleet.dealer_cars[0].vin).json()["reference"]
    answer = confirm(client, fleet.shopper, reference, payment_method="demo-card-ok")
    assert (answer.status_code, answer.json().get("code")) == ((409, "under_minimum_age") if refused else (200, None))


def test_only_tokens_and_masks_are_stored_and_only_the_shopper_sees_the_details(client, fleet, db_session, admin_token):
    mine = verify(client, fleet.shopper, name="Wang Xiaoming")
    assert (mine["full_name"], mine["date_of_birth"], mine["id_number"]) == (
        "Wang Xiaoming",
        "1990-03-07",
        "4****************1",
    )
    assert client.get(VERIFY, headers=fleet.shopper).json()["full_name"] == "Wang Xiaoming"
    row = _row(db_session, fleet.shopper_id)
    assert row.full_name_enc.startswith("fc1:") and row.date_of_birth_enc.startswith("fc1:")
    assert row.full_name_masked == "W***" and row.id_number_masked == "4****************1"
    assert "440106199003071231" not in row.provider_reference
    admin = {"Authorization": f"Bearer {admin_token}"}
    url = f"/api/v1/users/{fleet.shopper_id}/premium-membership"
    granted = client.put(url, json={"premium_member": True}, headers=admin).json()
    assert (granted["full_name"], granted["date_of_birth"]) == ("W***", None)
    cipher = client.app.state.field_cipher
    with pytest.raises(DecryptionError):  # bound to its row and field
        cipher.decrypt(row.full_name_enc, context=context(row.id, "date_of_birth"))


def test_key_rotation_moves_the_tokens_under_the_new_key(client, fleet, db_session, db_connection):
    old_key, new_key = Keyring.generate_key_text("k1"), Keyring.generate_key_text("k2")
    index_key = derive_index_key("x" * 40)
    client.app.state.field_cipher = FieldCipher(Keyring.parse(old_key), index_key=index_key)
    verify(client, fleet.shopper)
    both = FieldCipher(Keyring.parse(f"{new_key},{old_key}"), index_key=index_key)
    assert rotate_verification_keys(partial(_joined_session, db_connection), both) == (1, 2)
    assert rotate_verification_keys(partial(_joined_session, db_connection), both) == (1, 0)  # resumable
    row = _row(db_session, fleet.shopper_id)
    new_only = FieldCipher(Keyring.parse(new_key), index_key=index_key)
    assert new_only.decrypt(row.date_of_birth_enc, context=context(row.id, "date_of_birth")) == "1990-03-07"
    assert row.full_name_enc.startswith("fc1:k2:")
