"""Server-side sign-in sessions: opening one for a checked user, reading its cookie secret, ending it.

Takes the session first, may flush, never commits. The cookie holds a secret stored only as a digest.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from forecourt.accounts import repository
from forecourt.accounts.models import LoginSession, User
from forecourt.accounts.principal import Principal
from forecourt.accounts.service import principal_for
from forecourt.accounts.tokens import digest, new_secret
from forecourt.audit import service as audit
from forecourt.core import clock

SESSION_LIFETIME = timedelta(days=14)


def start_session(session: Session, user: User) -> tuple[Principal, str]:
    """Open a server-side session for a user whose credentials were just checked; returns the cookie secret."""
    now = clock.utcnow()
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    secret = new_secret()
    login = LoginSession(
        token_hash=digest(secret),
        user_id=user.id,
        csrf_token=new_secret(),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(login)
    session.flush()
    audit.record(session, user.id, "auth.signed_in", "user", user.id, session_id=login.id)
    return principal_for(user, "session", login), secret


def sign_out(session: Session, principal: Principal) -> None:
    if principal.session_id is not None:
        login = session.get(LoginSession, principal.session_id)
        if login is not None and login.revoked_at is None:
            login.revoked_at = clock.utcnow()
    audit.record(session, principal.user_id, "auth.signed_out", "user", principal.user_id)
    session.flush()


def authenticate_session(session: Session, secret: str) -> Principal | None:
    login = repository.get_session_by_hash(session, digest(secret))
    if login is None or login.revoked_at is not None or login.expires_at <= clock.utcnow():
        return None
    user = repository.get_user(session, login.user_id)
    if user is None or not user.is_active:
        return None
    return principal_for(user, "session", login)


def revoke_all_sessions(session: Session, user_id: int) -> int:
    return repository.revoke_user_sessions(session, user_id, clock.utcnow())
