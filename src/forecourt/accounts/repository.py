"""Every query of the accounts context."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from forecourt.accounts.models import (
    ApiToken,
    LoginAttempt,
    LoginSession,
    PasswordResetToken,
    SignInLock,
    SignUpRequest,
    User,
    UserRole,
)


def get_user(session: Session, user_id: int) -> User | None:
    return session.scalars(select(User).where(User.id == user_id).options(selectinload(User.roles))).one_or_none()


def users_by_id(session: Session, user_ids: Collection[int]) -> Sequence[User]:
    return session.scalars(select(User).where(User.id.in_(user_ids))).all() if user_ids else []


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email).options(selectinload(User.roles))).one_or_none()


def get_user_by_mobile(session: Session, mobile: str) -> User | None:
    return session.scalars(select(User).where(User.mobile == mobile).options(selectinload(User.roles))).one_or_none()


def get_session_by_hash(session: Session, token_hash: str) -> LoginSession | None:
    return session.scalars(select(LoginSession).where(LoginSession.token_hash == token_hash)).one_or_none()


def get_api_token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).one_or_none()


def get_api_token(session: Session, user_id: int, token_id: int) -> ApiToken | None:
    statement = select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    return session.scalars(statement).one_or_none()


def list_api_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    statement = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return session.scalars(statement).all()


def get_reset_token_by_hash(session: Session, token_hash: str) -> PasswordResetToken | None:
    statement = select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash).with_for_update()
    return session.scalars(statement).one_or_none()


def get_reset_token_by_grant_hash(session: Session, grant_hash: str, *, lock: bool = True) -> PasswordResetToken | None:
    statement = select(PasswordResetToken).where(PasswordResetToken.grant_hash == grant_hash)
    return session.scalars(statement.with_for_update() if lock else statement).one_or_none()


def revoke_user_sessions(session: Session, user_id: int, at: datetime) -> int:
    statement = (
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return session.execute(statement).rowcount or 0


def expire_reset_tokens(session: Session, user_id: int, at: datetime) -> None:
    statement = (
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=at)
    )
    session.execute(statement)


def failed_attempts_since(session: Session, ip: str, since: datetime) -> tuple[int, datetime | None]:
    """How many failed sign-ins came from `ip` since `since`, and when the oldest of them was."""
    statement = select(func.count(), func.min(LoginAttempt.at)).where(
        LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
    )
    count, oldest = session.execute(statement).one()  # min() keeps the column's UTCDateTime type
    return int(count), oldest


def list_users(session: Session, limit: int, offset: int = 0) -> Sequence[User]:
    statement = select(User).options(selectinload(User.roles)).order_by(User.id).limit(limit).offset(offset)
    return session.scalars(statement).all()


def staff_emails(session: Session, store_id: int) -> Sequence[str]:
    statement = (
        select(User.email)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role == "store_staff",
            UserRole.store_id == store_id,
            User.is_active.is_(True),
            User.email.is_not(None),
        )
        .distinct()
        .order_by(User.email)
    )
    return session.scalars(statement).all()


def staff_user_ids(session: Session, store_id: int) -> Sequence[int]:
    statement = (
        select(UserRole.user_id)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role == "store_staff", UserRole.store_id == store_id, User.is_active.is_(True))
        .order_by(UserRole.user_id)
    )
    return session.scalars(statement).all()


def get_sign_in_lock(session: Session, identifier_digest: str) -> SignInLock | None:
    return session.get(SignInLock, identifier_digest)


def sign_in_lock_for_update(session: Session, identifier_digest: str) -> SignInLock:
    """The counter row of an identifier without an account, made on its first failure (insert-or-ignore, so two
    concurrent first failures do not collide on the key) and locked for the update that follows."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(SignInLock).values(identifier_digest=identifier_digest, failed_logins=0)
    session.execute(statement.on_conflict_do_nothing(index_elements=["identifier_digest"]))
    query = select(SignInLock).where(SignInLock.identifier_digest == identifier_digest).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()


def get_sign_up_request_by_hash(session: Session, token_hash: str) -> SignUpRequest | None:
    statement = select(SignUpRequest).where(SignUpRequest.token_hash == token_hash).with_for_update()
    return session.scalars(statement).one_or_none()
