"""Accounts tables: users, role grants, server-side sessions, API tokens, reset tokens, sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forecourt.accounts.principal import Role
from forecourt.core.clock import utcnow
from forecourt.core.db import Base, UTCDateTime

_ROLE_VALUES = ", ".join(f"'{r.value}'" for r in Role)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email IS NOT NULL OR mobile IS NOT NULL", name="has_identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)  # lower-cased
    mobile: Mapped[str | None] = mapped_column(String(11), unique=True, nullable=True)  # 11 digits, no +86
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # consecutive; reset on success and lock
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserRole.id"
    )


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_VALUES})", name="role_valid"),
        CheckConstraint("role <> 'store_staff' OR store_id IS NOT NULL", name="staff_has_store"),
        # NULL store ids are distinct in a unique constraint, so unscoped grants are de-duplicated by the service.
        UniqueConstraint("user_id", "role", "store_id", name="uq_user_roles_grant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), nullable=True)

    user: Mapped[User] = relationship(back_populates="roles")


class LoginSession(Base):
    """A browser sign-in. The cookie holds a random id; only its SHA-256 digest is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PasswordResetToken(Base):
    """A reset code (only its digest is stored). Opening the emailed link exchanges the code for a grant bound to
    that browser by a cookie: from then on only the grant works, so a copy of the link or code is worthless."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    grant_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)


class LoginAttempt(Base):
    """Every sign-in attempt, so the per-IP limit holds across processes (and leaves a trail)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_ip_at", "ip", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(45))
    identifier: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class SignInLock(Base):
    """Failed sign-ins of an identifier that names no account, so it locks exactly as an account would (the
    lock-out must not reveal which identifiers exist). Keyed by the SHA-256 of the normalised identifier:
    what people mistype is not kept in the clear. Accounts keep their counters on `users`."""

    __tablename__ = "sign_in_locks"

    identifier_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SignUpRequest(Base):
    """A sign-up waiting for its owner to prove they hold the email address or mobile number. The account is
    created from it when the emailed link (or texted code) comes back; each request keeps its own password
    hash, so a second sign-up for the same identifier cannot change the password of the first."""

    __tablename__ = "sign_up_requests"
    __table_args__ = (CheckConstraint("email IS NOT NULL OR mobile IS NOT NULL", name="has_identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    mobile: Mapped[str | None] = mapped_column(String(11), nullable=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
