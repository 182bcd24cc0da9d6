"""Personal API tokens: creating, listing and revoking them, and authenticating a request that bears one.

Takes the session first, may flush, never commits. A token's secret is shown once and stored only as a digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from forecourt.accounts import repository
from forecourt.accounts.models import ApiToken
from forecourt.accounts.principal import Principal
from forecourt.accounts.service import principal_for
from forecourt.accounts.tokens import API_TOKEN_PREFIX, digest, display_prefix, new_api_token
from forecourt.audit import service as audit
from forecourt.core import clock
from forecourt.core.errors import FieldError, InvalidInput, NotFound

TOKEN_LAST_USED_GRANULARITY = timedelta(minutes=1)  # avoid a write on every API call


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
