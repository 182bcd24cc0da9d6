"""Password reset: a single-use, 30-minute random token sent through the outbox.

The request answers the same whether or not the account exists (no account enumeration); the message is
written to the outbox in the same transaction and sent by the relay after commit.
"""

from __future__ import annotations

from datetime import timedelta

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


def confirm_password_reset(session: Session, secret: str, new_password: str) -> int:
    """Set the new password, burn the token and every other outstanding one, sign out every session.
    Returns the user id."""
    # Hashed before the first query, so that argon2's CPU time does not hold SQLite's write lock (which the
    # request takes at its first statement); a refused token or password wastes one hash, as a failed sign-in does.
    new_hash = hash_password(new_password)
    now = clock.utcnow()
    token = repository.get_reset_token_by_hash(session, digest(secret)) if secret else None
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise InvalidInput(
            "This reset link is invalid, used or expired; ask for a new one",
            code="invalid_reset_token",
            errors=[FieldError("token", "invalid, used or expired")],
        )
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
