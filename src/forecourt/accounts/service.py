"""Accounts use cases for users and roles: finding, creating and listing accounts, granting and revoking roles.

Takes the session first, may flush, never commits. Other contexts reach accounts through these functions.
Sign-in lives in `signing_in.py`, server-side sessions in `sessions.py`, personal API tokens in `api_tokens.py`
and identifier normalisation in `identifiers.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from sqlalchemy.orm import Session

from forecourt.accounts import repository
from forecourt.accounts.identifiers import normalise_email, normalise_mobile
from forecourt.accounts.models import LoginSession, User, UserRole
from forecourt.accounts.passwords import hash_password, password_problem
from forecourt.accounts.principal import Principal, Role, RoleGrant
from forecourt.audit import service as audit
from forecourt.core import clock
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound


def find_user(session: Session, identifier: str) -> User | None:
    """The user an email address or mobile number names, or None (also for malformed identifiers)."""
    try:
        if "@" in identifier:
            return repository.get_user_by_email(session, normalise_email(identifier))
        return repository.get_user_by_mobile(session, normalise_mobile(identifier))
    except InvalidInput:
        return None


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


def list_users(session: Session, *, limit: int = 50, offset: int = 0) -> Sequence[User]:
    """Users with their roles, oldest account first (for the admin's user list)."""
    return repository.list_users(session, limit, offset)


def staff_emails(session: Session, store_id: int) -> Sequence[str]:
    """E-mail addresses of a store's active staff (who hear about a car out on a drive that raised an alert)."""
    return repository.staff_emails(session, store_id)


def staff_user_ids(session: Session, store_id: int) -> Sequence[int]:
    """Active store staff of a store (e.g. the salespeople who can ride along on a test drive)."""
    return repository.staff_user_ids(session, store_id)
