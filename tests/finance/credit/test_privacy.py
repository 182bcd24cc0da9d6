"""Privacy of credit applications: no plaintext ID number, exact income or name in any column, API answer or log
line; tokens bound to their row and field; the blind index finds the same person without decrypting."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.core.crypto import DecryptionError
from forecourt.core.db import Base
from forecourt.finance.credit.service import context, id_index
from forecourt.finance.models import CreditApplication
from tests.finance.credit.helpers import (
    APPLY,
    FAIR_ID,
    GOOD_ID,
    INCOME,
    NO_FILE_ID,
    NOW,
    PREQUALIFY,
    REVIEW,
    Finance,
    body,
    make_finance,
    submit,
)

SECRETS = (
    GOOD_ID,
    FAIR_ID,
    NO_FILE_ID,
    INCOME,
    INCOME.replace(".", ""),
    "31,234",
    "Zhang Wei",
    "Tianhe Road",
    "Pearl River",
)


@pytest.fixture
def fin(db_session: Session) -> Iterator[Finance]:
    with clock.pinned(NOW):
        yield make_finance(db_session)


def _assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} found in {where}"


def _text_columns(table_name: str) -> list:
    table = Base.metadata.tables[table_name]
    return [c for c in table.columns if isinstance(c.type, String | Text) or c.type.__class__.__name__ == "JSON"]


def _submit_all(client, fin) -> list:
    shopper = fin.headers["shopper"]
    return [
        submit(client, shopper, body(fin.quote)),
        submit(client, shopper, body(fin.quote, id_number=FAIR_ID)),
        submit(client, shopper, body(fin.quote, id_number=NO_FILE_ID)),
        submit(client, shopper, body(fin.quote, consents=["prequalification"]), url=PREQUALIFY),
    ]


def test_no_plaintext_personal_data_in_any_text_column(client, fin, db_session):
    answers = _submit_all(client, fin)
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    reference = answers[2].json()["reference"]
    client.post(
        f"{REVIEW}/{reference}/decision",
        json={"outcome": "declined", "reason": "Could not verify"},
        headers=fin.headers["officer"],
    )
    client.get(f"{REVIEW}/{reference}", params={"reveal": "id_number"}, headers=fin.headers["officer"])
    db_session.expire_all()
    for table in ("credit_applications", "consents", "audit_events", "idempotency_records"):
        columns = _text_columns(table)
        rows = db_session.execute(select(*columns)).all()
        assert rows or table == "consents"
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                _assert_clean(str(value), f"{table}.{column.name}")
    # The encrypted columns hold tokens, and the masks are masks.
    for row in db_session.scalars(select(CreditApplication)):
        assert row.id_number_enc.startswith("fc1:") and row.monthly_income_enc.startswith("fc1:")
        assert "*" in row.id_number_masked and "*" in row.full_name_masked
        assert row.adverse_action_notice is None or row.adverse_action_notice.startswith("fc1:")


def test_tokens_open_only_in_their_own_row_and_field(client, fin, db_session):
    _submit_all(client, fin)
    cipher = client.app.state.field_cipher
    first, second = db_session.scalars(select(CreditApplication).order_by(CreditApplication.id)).all()[:2]
    assert cipher.decrypt(first.id_number_enc, context=context(first.id, "id_number")) == GOOD_ID
    assert cipher.decrypt_decimal(first.monthly_income_enc, context=context(first.id, "monthly_income")) == Decimal(
        INCOME
    )
    with pytest.raises(DecryptionError):
        cipher.decrypt(first.id_number_enc, context=context(second.id, "id_number"))  # copied into another row
    with pytest.raises(DecryptionError):
        cipher.decrypt(first.monthly_income_enc, context=context(first.id, "monthly_debts"))  # another field
    # The same person is found by the blind index, without decrypting.
    assert first.id_number_index == id_index(cipher, "resident_id", GOOD_ID) != second.id_number_index


def test_api_answers_carry_masks_only(client, fin):
    answers = _submit_all(client, fin)
    shopper = fin.headers["shopper"]
    reference = answers[0].json()["reference"]
    pages = [
        *answers,
        client.get(APPLY, headers=shopper),
        client.get(f"{APPLY}/{reference}", headers=shopper),
        client.get(
            REVIEW, params={"status": ["approved", "declined", "manual_review"]}, headers=fin.headers["staff_a"]
        ),
        client.get(f"{REVIEW}/{reference}", headers=fin.headers["staff_a"]),
    ]
    for response in pages:
        assert response.status_code in (200, 201), response.text
        _assert_clean(response.text, response.url.path)
    # The officer's record: the exact income, but the ID masked unless revealed.
    officer = client.get(f"{REVIEW}/{reference}", headers=fin.headers["officer"])
    assert GOOD_ID not in officer.text and INCOME in officer.text


def test_log_lines_are_redacted(client, fin, caplog):
    caplog.set_level(logging.DEBUG)
    answers = _submit_all(client, fin)
    client.get(
        f"{REVIEW}/{answers[0].json()['reference']}", params={"reveal": "id_number"}, headers=fin.headers["officer"]
    )
    logging.getLogger("forecourt.finance.credit.service").warning("applicant %s earns %s", GOOD_ID, "x")
    assert any("4****************1" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        for secret in (GOOD_ID, FAIR_ID, NO_FILE_ID):
            assert secret not in record.getMessage(), record.name
    assert any(r.name == "forecourt.finance.credit.service" and "decided" in r.getMessage() for r in caplog.records)


def test_reprs_hide_personal_data():
    from datetime import date
    from decimal import Decimal

    from forecourt.finance.credit.service import ApplicantInput

    person = ApplicantInput(
        "Zhang Wei",
        "resident_id",
        GOOD_ID,
        date(1990, 3, 7),
        "88 Tianhe Road",
        "Pearl River",
        48,
        Decimal(INCOME),
        Decimal(0),
        Decimal(0),
    )
    _assert_clean(repr(person), "repr")
