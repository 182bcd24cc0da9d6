"""FastAPI dependencies: who is calling (Bearer token or session cookie), role checks and CSRF.

CSRF: a browser sends the session cookie on its own (ambient authority), so a state-changing request
authenticated by the cookie must also prove it came from our pages by echoing the session's CSRF token.
A Bearer token is never sent by the browser on its own, so token requests are exempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from forecourt.accounts import api_tokens, sessions, signing_in
from forecourt.accounts.principal import Principal, Role, can_manage_store, managed_store_ids, staff_store_ids
from forecourt.accounts.tokens import same_secret
from forecourt.core.db import write_lock_first
from forecourt.core.errors import Forbidden, Unauthenticated
from forecourt.core.http import DbSession
from forecourt.core.request_log import note_user

__all__ = [
    "CurrentUser",
    "RequiredUser",
    "can_manage_store",
    "managed_store_ids",
    "require_roles",
    "require_user",
    "staff_store_ids",
]

SECURE_COOKIE = "__Host-forecourt_session"  # __Host-: Secure, Path=/, no Domain; cannot be set by a subdomain
PLAIN_COOKIE = "forecourt_session"  # plain-HTTP development only (browsers refuse __Host- without Secure)
log = logging.getLogger("forecourt.accounts")
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    return SECURE_COOKIE if _is_https(request) else PLAIN_COOKIE


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(
        cookie_name(request),
        secret,
        max_age=int(sessions.SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=_is_https(request),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(cookie_name(request), path="/", secure=_is_https(request), httponly=True, samesite="lax")


async def _check_csrf(request: Request, principal: Principal) -> None:
    given = request.headers.get(CSRF_HEADER)
    if not given and request.headers.get("content-type", "").split(";")[0].strip().lower() in FORM_TYPES:
        form = await request.form()  # Starlette caches the parsed form, so the handler still sees it
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not same_secret(given, principal.csrf_token):
        raise Forbidden(
            f"Missing or wrong CSRF token: send the {CSRF_HEADER} header (or a {CSRF_FIELD} form field) "
            "with the value from /api/v1/me",
            code="csrf_failed",
        )


def check_password_ahead(request: Request, identifier: str, password: str, ip: str) -> signing_in.PasswordCheck | None:
    """A sign-in's password verified in a read-only transaction of its own, before the request's transaction takes
    SQLite's write lock: argon2 then runs beside other writers instead of in front of them."""
    with request.app.state.session_factory() as reading:
        return signing_in.check_password_ahead(reading, identifier, password, ip)


def _record_token_use(session_factory: Callable[[], Session], secret: str) -> None:
    """After the response, in a write transaction of its own: the request's may be a read-only GET's.
    The last-used time is a courtesy for the token's owner, so a database too busy to take it skips it."""
    try:
        with session_factory() as session:
            write_lock_first(session)
            api_tokens.record_api_token_use(session, secret)
            session.commit()
    except OperationalError as exc:
        log.warning("API token use not recorded: %s", exc.orig)


def _authenticate(request: Request, session: DbSession, background: BackgroundTasks) -> Principal | None:
    """Sync, so FastAPI runs its queries in the thread pool rather than on the event loop.
    A presented but invalid Bearer token is a 401, not anonymity: the caller meant to be someone."""
    authorization = request.headers.get("Authorization")
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("Use `Authorization: Bearer fc_...`", code="invalid_token")
        authenticated = api_tokens.authenticate_api_token(session, secret.strip())
        if authenticated is None:
            raise Unauthenticated("The API token is invalid or revoked", code="invalid_token")
        if authenticated.record_use:
            background.add_task(_record_token_use, request.app.state.session_factory, secret.strip())
        return authenticated.principal
    secret = request.cookies.get(SECURE_COOKIE) or request.cookies.get(PLAIN_COOKIE)
    if not secret:
        return None
    return sessions.authenticate_session(session, secret)


async def current_user(
    request: Request, principal: Annotated[Principal | None, Depends(_authenticate)]
) -> Principal | None:
    """The caller, or None when anonymous; enforces CSRF on cookie-authenticated writes."""
    if principal is not None:
        note_user(request, principal.user_id)  # the request's log line names who made it
        if principal.via == "session" and request.method in UNSAFE_METHODS:
            await _check_csrf(request, principal)
    return principal


CurrentUser = Annotated[Principal | None, Depends(current_user)]


def require_user(user: CurrentUser) -> Principal:
    if user is None:
        raise Unauthenticated()
    return user


RequiredUser = Annotated[Principal, Depends(require_user)]


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting users holding any of `roles` (admin always passes)."""
    allowed = frozenset(roles) | {"admin"}

    def dependency(user: RequiredUser) -> Principal:
        if not user.has_role(*allowed):
            raise Forbidden(f"This needs one of the roles: {', '.join(sorted(allowed))}", code="forbidden_role")
        return user

    return dependency


MarketerUser = Annotated[Principal, Depends(require_roles(Role.MARKETER))]  # marketers and admins (API)
# Store staff and admins (API: 401/403). The back office's pages have their own (backoffice.access.StaffUser),
# which sends a signed-out visitor to sign in and shows a translated 403 page.
StaffUser = Annotated[Principal, Depends(require_roles(Role.STORE_STAFF))]
