"""Shared helpers of the accounts tests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.audit.models import AuditEvent

SIGN_IN = "/api/v1/auth/sign-in"


def sign_in(client, identifier: str, password: str):
    return client.post(SIGN_IN, json={"identifier": identifier, "password": password})


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
