"""REST API of accounts: sign-up, sign-in/out, me, personal API tokens, password reset."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Request, Response, status
from fastapi.responses import JSONResponse

from forecourt.accounts import reset, service
from forecourt.accounts.principal import Principal, Role, RoleGrant, staff_store_ids
from forecourt.accounts.schemas import (
    Accepted,
    MeOut,
    ResetConfirmIn,
    ResetRequestIn,
    RoleOut,
    SignInIn,
    SignUpIn,
    TokenCreatedOut,
    TokenCreateIn,
    TokenOut,
    UserOut,
)
from forecourt.accounts.security import RequiredUser, check_password_ahead, clear_session_cookie, set_session_cookie
from forecourt.core.http import DbSession, domain_problem
from forecourt.core.outbox import relay_outbox
from forecourt.marketing.visitors import COOKIE as VISITOR_COOKIE
from forecourt.marketing.visitors import stitch_visitor

router = APIRouter(prefix="/api/v1", tags=["accounts"])
_PROBLEM = {"content": {"application/problem+json": {}}}
RESET_ANSWER = "If the account exists, a reset code has been sent to it."


def _me(principal: Principal) -> MeOut:
    return MeOut(
        user=UserOut(
            id=principal.user_id, email=principal.email, mobile=principal.mobile, display_name=principal.display_name
        ),
        roles=sorted(
            (RoleOut(role=g.role, store_id=g.store_id) for g in principal.grants),
            key=lambda r: (r.role, r.store_id or 0),
        ),
        stores=sorted(staff_store_ids(principal)),
        csrf_token=principal.csrf_token,
    )


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/auth/sign-up",
    response_model=MeOut,
    status_code=201,
    summary="Create a shopper account and sign in",
    responses={409: {"description": "Identifier taken", **_PROBLEM}},
)
def sign_up(request: Request, response: Response, session: DbSession, body: SignUpIn) -> MeOut:
    user = service.create_user(
        session,
        email=body.email,
        mobile=body.mobile,
        password=body.password,
        display_name=body.display_name,
        grants=[RoleGrant(Role.SHOPPER)],
    )
    principal, secret = service.start_session(session, user)
    set_session_cookie(request, response, secret)
    return _me(principal)


@router.post(
    "/auth/sign-in",
    response_model=MeOut,
    summary="Sign in with email or mobile and password; sets the session cookie",
    responses={
        401: {"description": "Wrong identifier or password", **_PROBLEM},
        429: {"description": "Account locked or too many attempts; see Retry-After", **_PROBLEM},
    },
)
def sign_in(request: Request, response: Response, session: DbSession, body: SignInIn) -> MeOut | JSONResponse:
    ip = _client_ip(request)
    checked = check_password_ahead(request, body.identifier, body.password, ip)
    outcome = service.sign_in(session, body.identifier, body.password, ip, checked)
    if outcome.error is not None:
        return domain_problem(outcome.error)  # returned, not raised: the failure counters must commit
    assert outcome.principal is not None and outcome.session_secret is not None
    stitch_visitor(session, request.cookies.get(VISITOR_COOKIE), outcome.principal.user_id)
    set_session_cookie(request, response, outcome.session_secret)
    return _me(outcome.principal)


@router.post("/auth/sign-out", status_code=204, summary="Sign out: revoke this session and clear the cookie")
def sign_out(request: Request, session: DbSession, user: RequiredUser) -> Response:
    service.sign_out(session, user)
    response = Response(status_code=204)
    clear_session_cookie(request, response)
    return response


@router.get(
    "/me",
    response_model=MeOut,
    summary="The signed-in user, roles, stores and CSRF token",
    responses={401: {"description": "Not signed in", **_PROBLEM}},
)
def me(user: RequiredUser) -> MeOut:
    return _me(user)


@router.get("/me/tokens", response_model=list[TokenOut], summary="My personal API tokens (secrets are never shown)")
def list_tokens(session: DbSession, user: RequiredUser) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in service.list_api_tokens(session, user.user_id)]


@router.post(
    "/me/tokens",
    response_model=TokenCreatedOut,
    status_code=201,
    summary="Create a personal API token; its secret is in this answer only",
)
def create_token(session: DbSession, user: RequiredUser, body: TokenCreateIn) -> TokenCreatedOut:
    token, secret = service.create_api_token(session, user.user_id, body.name)
    return TokenCreatedOut(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.delete(
    "/me/tokens/{token_id}",
    status_code=204,
    summary="Revoke one of my API tokens",
    responses={404: {"description": "No such token", **_PROBLEM}},
)
def revoke_token(
    session: DbSession, user: RequiredUser, token_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> Response:
    service.revoke_api_token(session, user.user_id, token_id)
    return Response(status_code=204)


def _relay_after_response(request: Request) -> None:
    """Runs after the response, i.e. after the request's transaction committed the outbox row."""
    relay_outbox(request.app.state.session_factory, request.app.state.outbox_adapters())


@router.post(
    "/auth/password-reset",
    response_model=Accepted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask for a password reset code (same answer whether or not the account exists)",
)
def request_reset(request: Request, session: DbSession, background: BackgroundTasks, body: ResetRequestIn) -> Accepted:
    reset.request_password_reset(session, body.identifier, str(request.base_url))
    background.add_task(_relay_after_response, request)
    return Accepted(detail=RESET_ANSWER)


@router.post(
    "/auth/password-reset/confirm",
    status_code=204,
    summary="Set a new password with a reset code; signs out every session",
    responses={422: {"description": "Invalid, used or expired code, or weak password", **_PROBLEM}},
)
def confirm_reset(session: DbSession, body: ResetConfirmIn) -> Response:
    reset.confirm_password_reset(session, body.token, body.password)
    return Response(status_code=204)
