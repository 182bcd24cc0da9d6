"""Signing in with an identifier and a password, with lock-out per account and a limit per network.

Takes the session first, may flush, never commits. A refused sign-in is *returned* (SignInOutcome.error),
not raised, because its counters and audit event must be committed with the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from forecourt.accounts import repository
from forecourt.accounts.identifiers import normalise_identifier
from forecourt.accounts.models import LoginAttempt, SignInLock, User
from forecourt.accounts.passwords import burn_verification_time, verify_password
from forecourt.accounts.principal import Principal
from forecourt.accounts.service import find_user
from forecourt.accounts.sessions import start_session
from forecourt.accounts.tokens import digest
from forecourt.audit import service as audit
from forecourt.core import clock
from forecourt.core.errors import DomainError, TooManyRequests

LOCK_AFTER_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
IP_FAILURE_LIMIT = 20
IP_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class SignInOutcome:
    principal: Principal | None = None
    session_secret: str | None = None  # the cookie value; shown once, stored only as a digest
    error: DomainError | None = None


def _locked_error(until_text: str, seconds: int) -> TooManyRequests:
    return TooManyRequests(
        f"Too many failed sign-ins for this account; try again after {until_text} UTC", seconds, code="account_locked"
    )


@dataclass(frozen=True)
class PasswordCheck:
    """A password verified before the sign-in's transaction (`check_password_ahead`); the verdict holds while the
    account's stored hash is still the one it was verified against."""

    against: str | None  # the stored hash; None: no such account (the verification time was burnt)
    matches: bool
    new_hash: str | None


def _ip_limit(session: Session, ip: str, now: datetime) -> TooManyRequests | None:
    failures, oldest = repository.failed_attempts_since(session, ip, now - IP_WINDOW)
    if failures < IP_FAILURE_LIMIT or oldest is None:
        return None
    wait = int((oldest + IP_WINDOW - now).total_seconds()) + 1
    return TooManyRequests("Too many failed sign-ins from your network; wait and try again", wait, code="rate_limited")


def _lock_key(identifier: str) -> str:
    return digest(f"sign-in:{normalise_identifier(identifier)}")


def _lock_counter(session: Session, user: User | None, identifier: str) -> User | SignInLock | None:
    """Failures count against the account, or, when the identifier names none, against a row keyed by its
    digest: a missing account locks exactly like an existing one, so the lock-out reveals nothing."""
    return user if user is not None else repository.get_sign_in_lock(session, _lock_key(identifier))


def _is_locked(counter: User | SignInLock | None, now: datetime) -> bool:
    return counter is not None and counter.locked_until is not None and counter.locked_until > now


def check_password_ahead(session: Session, identifier: str, password: str, ip: str) -> PasswordCheck | None:
    """Reads only. Run in a transaction of its own before `sign_in`'s, it moves argon2's CPU time (~0.1 s, far more
    on a busy host) out of the write transaction, where on SQLite it would hold the single write lock and make
    every other writer wait. None when `sign_in` will not verify at all (a limited network, a locked identifier)."""
    now = clock.utcnow()
    if _ip_limit(session, ip, now) is not None:
        return None
    user = find_user(session, identifier)
    if _is_locked(_lock_counter(session, user, identifier), now):
        return None
    if user is None:
        burn_verification_time(password)
        return PasswordCheck(None, False, None)
    matches, new_hash = verify_password(user.password_hash, password)
    return PasswordCheck(user.password_hash, matches, new_hash)


def _verify(user: User | None, password: str, checked: PasswordCheck | None) -> tuple[bool, str | None]:
    if checked is not None and user is not None and checked.against == user.password_hash:
        return checked.matches, checked.new_hash
    if user is None:
        if checked is None or checked.against is not None:
            burn_verification_time(password)
        return False, None
    return verify_password(user.password_hash, password)  # no check ahead, or the password changed since


def sign_in(
    session: Session, identifier: str, password: str, ip: str, checked: PasswordCheck | None = None
) -> SignInOutcome:
    now = clock.utcnow()
    error: DomainError | None = _ip_limit(session, ip, now)
    if error is not None:
        audit.record(session, None, "auth.sign_in_rate_limited", "ip", ip)
        return SignInOutcome(error=error)

    user = find_user(session, identifier)
    counter = _lock_counter(session, user, identifier)
    attempt = LoginAttempt(ip=ip, identifier=identifier.strip().lower()[:254], at=now, succeeded=False)
    session.add(attempt)
    if _is_locked(counter, now):
        assert counter is not None and counter.locked_until is not None
        # Locked accounts are not even checked: that is what stops the guessing.
        seconds = int((counter.locked_until - now).total_seconds()) + 1
        user_id = user.id if user else None
        audit.record(session, user_id, "auth.sign_in_failed", "user", user_id, reason="locked")
        return SignInOutcome(error=_locked_error(f"{counter.locked_until:%Y-%m-%d %H:%M}", seconds))

    ok, new_hash = _verify(user, password, checked)
    if not ok or user is None or not user.is_active:
        error = DomainError("The identifier or the password is wrong", code="invalid_credentials", status=401)
        if counter is None:
            counter = repository.sign_in_lock_for_update(session, _lock_key(identifier))
        counter.failed_logins += 1
        if counter.failed_logins >= LOCK_AFTER_FAILURES:
            counter.failed_logins, counter.locked_until = 0, now + LOCK_DURATION
            error = _locked_error(f"{counter.locked_until:%Y-%m-%d %H:%M}", int(LOCK_DURATION.total_seconds()))
        audit.record(
            session,
            user.id if user else None,
            "auth.sign_in_failed",
            "user",
            user.id if user else None,
            reason="bad_credentials",
        )
        session.flush()
        return SignInOutcome(error=error)

    attempt.succeeded = True
    if new_hash:
        user.password_hash = new_hash
    principal, secret = start_session(session, user)
    return SignInOutcome(principal=principal, session_secret=secret)
