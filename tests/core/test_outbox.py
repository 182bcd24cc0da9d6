"""Outbox: attachments reach the adapter; a body holding a secret is blanked once delivered."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from forecourt.core.outbox import REDACTED_BODY, Channel, OutboxMessage, enqueue, file_adapters, relay_outbox


def test_attachments_are_written_and_secrets_removed_after_sending(db_session: Session, tmp_path: Path):
    invite = enqueue(
        db_session,
        Channel.EMAIL,
        "a@example.test",
        "Confirmed",
        "See you",
        attachments=[{"filename": "TD1.ics", "content_type": "text/calendar", "content": "BEGIN:VCALENDAR"}],
    )
    secret = enqueue(db_session, Channel.SMS, "13800138000", "Code", "Pick-up code 12345678", sensitive=True)
    db_session.commit()
    assert relay_outbox(lambda: db_session, file_adapters(tmp_path)) == 2
    assert (tmp_path / "attachments" / f"{invite.id}-TD1.ics").read_text() == "BEGIN:VCALENDAR"
    assert "12345678" in (tmp_path / "sms.log").read_text()  # delivered (the dev adapter is the SMS gateway)
    db_session.expire_all()
    assert db_session.get(OutboxMessage, secret.id).body == REDACTED_BODY
    assert db_session.get(OutboxMessage, invite.id).body == "See you"
