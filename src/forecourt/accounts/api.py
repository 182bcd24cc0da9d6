"""REST API of accounts: sign-up, sign-in/out, me, personal API tokens, password reset."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Request, Response, status
from fastapi.responses import JSONResponse

from forecourt.accounts import api_tokens, reset, sessions, sign_up, signing_in
from forecourt.accounts.principal import Principal, staff_store_ids
from forecourt.accounts.schemas import (
    Accepted,
    MeOut,
    ResetConfirmIn,
    ResetRequestIn,
    RoleOut,
    SignInIn,
    SignUpConfirmIn,
    SignUpIn,
    TokenCreatedOut,
    TokenCreateIn,
    TokenOut,
    UserOut,
)
from forecourt.accounts.security import RequiredUser, check_password_ahead, clear_session_cookie, set_session_cookie
from forecourt.core.client_address import client_ip
from forecourt.core.http import DbSession, domain_problem
from forecourt.core.outbox import relay_outbox
from forecourt.marketing.visitor_cookies import proven_visitor_id
from forecourt.marketing.visitors import stitch_visitor

router = APIRouter(prefix="/api/v1", tags=["accounts"])
_PROBLEM = {"content": {"application/problem+json": {}}}
RESET_ANSWER = "If the account exists, a reset code has been sent to it."
SIGN_UP_ANSWER = (
    "Check your email or text messages to continue: we have sent a confirmation code to the address or number you gave."
)


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


@router.post(
    "/auth/sign-up",
    response_model=Accepted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask for a shopper account; a confirmation code is sent (same answer whether or not it exists)",
    description=(
        "Answers 202 for any well-formed request, so it cannot be used to learn which addresses have accounts. "
        "A free email address or mobile number gets a single-use confirmation link and code (valid 24 hours), "
        "to be sent to POST /auth/sign-up/confirm; a taken one creates nothing, and its owner is told that "
        "someone tried to sign up with it."
    ),
    responses={422: {"description": "Malformed identifier or weak password", **_PROBLEM}},
)
def request_sign_up(request: Request, session: DbSession, background: BackgroundTasks, body: SignUpIn) -> Accepted:
    sign_up.request_sign_up(
        session,
        email=body.email,
        mobile=body.mobile,
        password=body.password,
        display_name=body.display_name,
        base_url=str(request.base_url),
    )
    background.add_task(_relay_after_response, request)
    return Accepted(detail=SIGN_UP_ANSWER)


@router.post(
    "/auth/sign-up/confirm",
    response_model=MeOut,
    status_code=201,
    summary="Create the account of a confirmed sign-up and sign in",
    responses={422: {"description": "Invalid, used or expired code", **_PROBLEM}},
)
def confirm_sign_up(request: Request, response: Response, session: DbSession, body: SignUpConfirmIn) -> MeOut:
    user = sign_up.confirm_sign_up(session, body.token)
    principal, secret = sessions.start_session(session, user)
    stitch_visitor(session, proven_visitor_id(request), user.id)
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
    ip = client_ip(request)
    checked = check_password_ahead(request, body.identifier, body.password, ip)
    outcome = signing_in.sign_in(session, body.identifier, body.password, ip, checked)
    if outcome.error is not None:
        return domain_problem(outcome.error)  # returned, not raised: the failure counters must commit
    assert outcome.principal is not None and outcome.session_secret is not None
    stitch_visitor(session, proven_visitor_id(request), outcome.principal.user_id)
    set_session_cookie(request, response, outcome.session_secret)
    return _me(outcome.principal)


@router.post("/auth/sign-out", status_code=204, summary="Sign out: revoke this session and clear the cookie")
def sign_out(request: Request, session: DbSession, user: RequiredUser) -> Response:
    sessions.sign_out(session, user)
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
    return [TokenOut.model_validate(t) for t in api_tokens.list_api_tokens(session, user.user_id)]


@router.post(
    "/me/tokens",
    response_model=TokenCreatedOut,
    status_code=201,
    summary="Create a personal API token; its secret is in this answer only",
)
def create_token(session: DbSession, user: RequiredUser, body: TokenCreateIn) -> TokenCreatedOut:
    token, secret = api_tokens.create_api_token(session, user.user_id, body.name)
    return TokenCreatedOut(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.delete(
    "/me/tokens/{token_id}",
    status_code=204,
    summary="Revoke one of my API tokens",
    responses={404: {"description": "No such token", **_PROBLEM}},
)
def revoke_token(
    session: DbSession,
    user: RequiredUser,
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],  # an INTEGER key
) -> Response:
    api_tokens.revoke_api_token(session, user.user_id, token_id)
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
