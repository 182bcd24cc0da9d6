"""Accounts use cases: sign-up, sign-in (with lock-out and per-IP limits), sessions, API tokens, roles.

Takes the session first, may flush, never commits. A refused sign-in is *returned* (SignInOutcome.error),
not raised, because its counters and audit event must be committed with the refusal.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from forecourt.accounts import repository
from forecourt.accounts.models import ApiToken, LoginAttempt, LoginSession, SignInLock, User, UserRole
from forecourt.accounts.passwords import burn_verification_time, hash_password, password_problem, verify_password
from forecourt.accounts.principal import Principal, Role, RoleGrant
from forecourt.accounts.tokens import API_TOKEN_PREFIX, digest, display_prefix, new_api_token, new_secret
from forecourt.audit import service as audit
from forecourt.core import clock
from forecourt.core.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound, TooManyRequests

SESSION_LIFETIME = timedelta(days=14)
LOCK_AFTER_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
IP_FAILURE_LIMIT = 20
IP_WINDOW = timedelta(minutes=15)
TOKEN_LAST_USED_GRANULARITY = timedelta(minutes=1)  # avoid a write on every API call

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MOBILE_PATTERN = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


# --- identifiers --------------------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    if len(value) > 254 or not EMAIL_PATTERN.match(value):
        raise InvalidInput(
            "Not a valid email address", code="invalid_email", errors=[FieldError("email", "not a valid email address")]
        )
    return value


def normalise_mobile(mobile: str) -> str:
    compact = re.sub(r"[\s\-]", "", mobile)
    match = MOBILE_PATTERN.match(compact)
    if not match:
        raise InvalidInput(
            "Not a mainland China mobile number (11 digits starting 13-19, +86 optional)",
            code="invalid_mobile",
            errors=[FieldError("mobile", "not a mainland mobile number")],
        )
    return match.group(1)


def normalise_identifier(identifier: str) -> str:
    """The email address or mobile number as stored; anything malformed only trimmed and lower-cased."""
    try:
        return normalise_email(identifier) if "@" in identifier else normalise_mobile(identifier)
    except InvalidInput:
        return identifier.strip().lower()


def find_user(session: Session, identifier: str) -> User | None:
    """The user an email address or mobile number names, or None (also for malformed identifiers)."""
    try:
        if "@" in identifier:
            return repository.get_user_by_email(session, normalise_email(identifier))
        return repository.get_user_by_mobile(session, normalise_mobile(identifier))
    except InvalidInput:
        return None


# --- users and roles ----------------------------------------------------------------------------------------


def check_new_account(email: str | None, mobile: str | None, password: str) -> tuple[str | None, str | None]:
    """The normalised (email, mobile) of a new account, or InvalidInput. Looks at the input only, never at
    who exists, so a sign-up's refusal reveals nothing about other accounts."""
    if not email and not mobile:
        raise InvalidInput(
            "Give an email address or a mobile number",
            code="identifier_required",
            errors=[FieldError("email", "an email address or a mobile number is required")],
        )
    email_n = normalise_email(email) if email else None
    mobile_n = normalise_mobile(mobile) if mobile else None
    problem = password_problem(password, [email_n, mobile_n, email, mobile])
    if problem:
        raise InvalidInput(f"Password {problem}", code="weak_password", errors=[FieldError("password", problem)])
    return email_n, mobile_n


def owners_of(session: Session, email: str | None, mobile: str | None) -> list[User]:
    """The accounts already holding a normalised email address or mobile number (none, one or two)."""
    found = [
        repository.get_user_by_email(session, email) if email else None,
        repository.get_user_by_mobile(session, mobile) if mobile else None,
    ]
    return list({user.id: user for user in found if user is not None}.values())


def create_user(
    session: Session,
    *,
    password: str,
    email: str | None = None,
    mobile: str | None = None,
    display_name: str = "",
    grants: Iterable[RoleGrant] = (),
    actor: int | None = None,
) -> User:
    """An account made by an operator (CLI, demo), who may be told that an identifier is taken. Shoppers sign up
    through `accounts.sign_up`, which answers alike for taken and free identifiers."""
    email_n, mobile_n = check_new_account(email, mobile, password)
    password_hash = hash_password(password)  # before the first query: argon2's CPU time holds no write lock
    if owners_of(session, email_n, mobile_n):
        raise Conflict("An account with this email address or mobile number already exists", code="account_exists")
    return add_user(session, email_n, mobile_n, password_hash, display_name, grants=grants, actor=actor)


def add_user(
    session: Session,
    email_n: str | None,
    mobile_n: str | None,
    password_hash: str,
    display_name: str,
    *,
    grants: Iterable[RoleGrant] = (),
    actor: int | None = None,
) -> User:
    """Insert a checked account (normalised identifiers, hashed password)."""
    user = User(
        email=email_n,
        mobile=mobile_n,
        password_hash=password_hash,
        display_name=display_name.strip() or (email_n or mobile_n or "").split("@")[0],
        is_active=True,
        failed_logins=0,
        created_at=clock.utcnow(),
    )
    session.add(user)
    session.flush()
    for grant in grants:
        grant_role(session, user, grant.role, grant.store_id, actor=actor)
    return user


def grant_role(session: Session, user: User, role: str, store_id: int | None = None, *, actor: int | None) -> bool:
    """Give a role (idempotent); True when it was new."""
    if role not in {r.value for r in Role}:
        raise InvalidInput(f"Unknown role {role!r}", code="unknown_role")
    if role == Role.STORE_STAFF and store_id is None:
        raise InvalidInput("store_staff needs a store", code="store_required")
    if any(r.role == role and r.store_id == store_id for r in user.roles):
        return False
    user.roles.append(UserRole(role=role, store_id=store_id))
    session.flush()
    audit.record(session, actor, "role.granted", "user", user.id, store_id, role=role)
    return True


def revoke_role(session: Session, user: User, role: str, store_id: int | None = None, *, actor: int | None) -> bool:
    kept = [r for r in user.roles if not (r.role == role and r.store_id == store_id)]
    if len(kept) == len(user.roles):
        return False
    user.roles[:] = kept
    session.flush()
    audit.record(session, actor, "role.revoked", "user", user.id, store_id, role=role)
    return True


def get_user(session: Session, user_id: int) -> User:
    user = repository.get_user(session, user_id)
    if user is None:
        raise NotFound("No such user", code="user_not_found")
    return user


def users_by_id(session: Session, user_ids: Collection[int]) -> dict[int, User]:
    """The users of these ids that exist (an audit trail names people by id), by id."""
    return {user.id: user for user in repository.users_by_id(session, set(user_ids))}


def principal_for(user: User, via: str, login: LoginSession | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        display_name=user.display_name,
        email=user.email,
        mobile=user.mobile,
        grants=frozenset(RoleGrant(r.role, r.store_id) for r in user.roles),
        via="session" if via == "session" else "token",
        session_id=login.id if login else None,
        csrf_token=login.csrf_token if login else None,
    )


# --- sign-in and sessions -----------------------------------------------------------------------------------


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


def authenticate_api_token(session: Session, secret: str) -> TokenAuthentication | None:
    """Reads only, so that a GET stays read-only: the caller records the use afterwards (`record_api_token_use`)
    in a write transaction of its own when `record_use` says it is due."""
    if not secret.startswith(API_TOKEN_PREFIX):
        return None
    token = repository.get_api_token_by_hash(session, digest(secret))
    if token is None or token.revoked_at is not None:
        return None
    user = repository.get_user(session, token.user_id)
    if user is None or not user.is_active:
        return None
    return TokenAuthentication(principal_for(user, "token"), _use_due(token, clock.utcnow()))


@dataclass(frozen=True)
class TokenAuthentication:
    principal: Principal
    record_use: bool  # last_used_at is older than TOKEN_LAST_USED_GRANULARITY


def _use_due(token: ApiToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_GRANULARITY


def record_api_token_use(session: Session, secret: str) -> None:
    token = repository.get_api_token_by_hash(session, digest(secret))
    now = clock.utcnow()
    if token is not None and _use_due(token, now):
        token.last_used_at = now
        session.flush()


# --- personal API tokens ------------------------------------------------------------------------------------


def create_api_token(session: Session, user_id: int, name: str) -> tuple[ApiToken, str]:
    """The stored token and its secret; the secret is not kept and cannot be shown again."""
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput(
            "A token needs a name of 1 to 80 characters",
            code="invalid_token_name",
            errors=[FieldError("name", "1 to 80 characters")],
        )
    secret = new_api_token()
    token = ApiToken(
        user_id=user_id, name=name, prefix=display_prefix(secret), token_hash=digest(secret), created_at=clock.utcnow()
    )
    session.add(token)
    session.flush()
    audit.record(session, user_id, "token.created", "api_token", token.id, name=name)
    return token, secret


def list_api_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    return repository.list_api_tokens(session, user_id)


def revoke_api_token(session: Session, user_id: int, token_id: int) -> ApiToken:
    token = repository.get_api_token(session, user_id, token_id)
    if token is None:  # someone else's token answers the same as a missing one
        raise NotFound("No such token", code="token_not_found")
    if token.revoked_at is None:
        token.revoked_at = clock.utcnow()
        session.flush()
        audit.record(session, user_id, "token.revoked", "api_token", token.id, name=token.name)
    return token


def revoke_all_sessions(session: Session, user_id: int) -> int:
    return repository.revoke_user_sessions(session, user_id, clock.utcnow())


def list_users(session: Session, *, limit: int = 50, offset: int = 0) -> Sequence[User]:
    """Users with their roles, oldest account first (for the admin's user list)."""
    return repository.list_users(session, limit, offset)


def staff_emails(session: Session, store_id: int) -> Sequence[str]:
    """E-mail addresses of a store's active staff (who hear about a car out on a drive that raised an alert)."""
    return repository.staff_emails(session, store_id)


def staff_user_ids(session: Session, store_id: int) -> Sequence[int]:
    """Active store staff of a store (e.g. the salespeople who can ride along on a test drive)."""
    return repository.staff_user_ids(session, store_id)
