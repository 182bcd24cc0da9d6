"""Password reset: a single-use, 30-minute random token sent through the outbox.

The request answers the same whether or not the account exists (no account enumeration); the message is
written to the outbox in the same transaction and sent by the relay after commit.

The emailed link carries the token in its query string, which servers and proxies write to their logs. So the
first GET of the link exchanges the token for a grant: a fresh random id set as a cookie in that browser (only
its digest is stored) and the page redirects to itself without the token. From then on the token itself is
refused, typed or linked, and only the browser holding the grant can finish the reset: a token read from a log
is worthless. A code typed on the page (SMS users) is posted in the form body and never opened as a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from forecourt.accounts import repository
from forecourt.accounts.models import PasswordResetToken
from forecourt.accounts.passwords import hash_password, password_problem
from forecourt.accounts.service import find_user
from forecourt.accounts.tokens import digest, new_secret
from forecourt.audit import service as audit
from forecourt.core import clock
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.core.outbox import Channel, enqueue

RESET_LIFETIME = timedelta(minutes=30)
RESET_PATH = "/account/password-reset/confirm"  # the page that takes the token (accounts/pages.py)


def request_password_reset(session: Session, identifier: str, base_url: str = "") -> None:
    """Queue a reset message when the identifier names an active account; otherwise do nothing, silently."""
    user = find_user(session, identifier)
    if user is None or not user.is_active:
        return
    now = clock.utcnow()
    secret = new_secret()
    session.add(
        PasswordResetToken(user_id=user.id, token_hash=digest(secret), created_at=now, expires_at=now + RESET_LIFETIME)
    )
    link = f"{base_url.rstrip('/')}{RESET_PATH}?token={secret}"
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    if user.email and "@" in identifier:
        enqueue(
            session,
            Channel.EMAIL,
            user.email,
            "Reset your Forecourt password",
            f"Someone asked to reset the password of your Forecourt account.\n\n"
            f"To choose a new password, open {link} within {minutes} minutes.\n"
            f"Reset code: {secret}\n\nIf it was not you, ignore this message; your password is unchanged.",
        )
    else:
        enqueue(
            session,
            Channel.SMS,
            user.mobile or user.email or "",
            "",
            f"【Forecourt】Password reset code: {secret} (valid {minutes} min). Ignore if not requested.",
        )
    audit.record(session, user.id, "auth.password_reset_requested", "user", user.id)
    session.flush()


def _invalid() -> InvalidInput:
    return InvalidInput(
        "This reset link is invalid, used or expired; ask for a new one",
        code="invalid_reset_token",
        errors=[FieldError("token", "invalid, used or expired")],
    )


def _usable(token: PasswordResetToken | None, now: datetime) -> bool:
    return token is not None and token.used_at is None and token.expires_at > now


@dataclass(frozen=True)
class ResetGrant:
    """What the browser keeps after opening a reset link: the grant's secret and when it stops working."""

    secret: str
    expires_at: datetime


def open_reset_link(session: Session, secret: str, held_grant: str | None = None) -> ResetGrant | None:
    """Exchange a linked token for a grant, once. None when the token is unknown, used, expired or already opened
    by another browser; a second opening by the browser that holds the grant (`held_grant`) gives it back."""
    now = clock.utcnow()
    token = repository.get_reset_token_by_hash(session, digest(secret)) if secret else None
    if token is None or not _usable(token, now):
        return None
    if token.opened_at is not None:
        if held_grant and token.grant_hash == digest(held_grant):
            return ResetGrant(held_grant, token.expires_at)
        return None
    grant = new_secret()
    token.opened_at, token.grant_hash = now, digest(grant)
    audit.record(session, token.user_id, "auth.password_reset_link_opened", "user", token.user_id)
    session.flush()
    return ResetGrant(grant, token.expires_at)


def grant_is_valid(session: Session, grant: str | None) -> bool:
    """Whether the browser's grant can still set a password (for showing the form without the code field)."""
    token = repository.get_reset_token_by_grant_hash(session, digest(grant), lock=False) if grant else None
    return _usable(token, clock.utcnow())


def confirm_password_reset(session: Session, secret: str, new_password: str) -> int:
    """Reset with a typed (or API-posted) code. A code whose link was opened is refused: only the grant of the
    browser that opened it works from then on. Returns the user id."""
    new_hash = hash_password(new_password)  # before the first query: argon2's CPU time holds no write lock
    now = clock.utcnow()
    token = repository.get_reset_token_by_hash(session, digest(secret)) if secret else None
    if token is None or not _usable(token, now) or token.opened_at is not None:
        raise _invalid()
    return _reset(session, token, new_password, new_hash, now)


def confirm_password_reset_with_grant(session: Session, grant: str, new_password: str) -> int:
    """Reset from the browser that opened the link. Returns the user id."""
    new_hash = hash_password(new_password)  # before the first query, as above
    now = clock.utcnow()
    token = repository.get_reset_token_by_grant_hash(session, digest(grant)) if grant else None
    if token is None or not _usable(token, now):
        raise _invalid()
    return _reset(session, token, new_password, new_hash, now)


def _reset(session: Session, token: PasswordResetToken, new_password: str, new_hash: str, now: datetime) -> int:
    """Set the new password (`new_hash`, made before the transaction's first query so that on SQLite the write
    lock is not held through argon2; a refused code wastes one hash, as a failed sign-in does), burn the token and
    every other outstanding one, sign out every session."""
    user = repository.get_user(session, token.user_id)
    assert user is not None  # the foreign key guarantees it
    problem = password_problem(new_password, [user.email, user.mobile])
    if problem:
        raise InvalidInput(f"Password {problem}", code="weak_password", errors=[FieldError("password", problem)])
    user.password_hash = new_hash
    user.failed_logins, user.locked_until = 0, None
    token.used_at = now
    repository.expire_reset_tokens(session, user.id, now)
    revoked = repository.revoke_user_sessions(session, user.id, now)
    audit.record(session, user.id, "auth.password_reset", "user", user.id, sessions_revoked=revoked)
    session.flush()
    return user.id
