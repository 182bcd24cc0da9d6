"""Shopper-facing account pages: sign-up, sign-in/out, my account, API tokens, password reset.

Thin: check the form's CSRF token, call one accounts use case, render or redirect. Plain HTML forms that
work without JavaScript. Anonymous forms are protected by the double-submit cookie of `web.csrf`; forms of
a signed-in user carry the session's CSRF token, which `accounts.security.current_user` checks.
A refused sign-in is returned by `service.sign_in`, not raised, so its counters commit with the page.
"""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import AfterValidator

from forecourt.accounts import reset, service
from forecourt.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from forecourt.accounts.principal import Principal, Role, RoleGrant
from forecourt.accounts.security import (
    CurrentUser,
    clear_session_cookie,
    set_session_cookie,
)
from forecourt.catalog import service as catalog
from forecourt.core.errors import Conflict, InvalidInput
from forecourt.core.http import DbSession
from forecourt.core.outbox import relay_outbox
from forecourt.core.request_guard import no_nul
from forecourt.marketing.visitors import COOKIE as VISITOR_COOKIE
from forecourt.marketing.visitors import stitch_visitor
from forecourt.web import csrf
from forecourt.web.errors import PAGES_TAG, render_error
from forecourt.web.i18n import N_
from forecourt.web.templating import Page, PageContext, get_page

router = APIRouter(prefix="/account", tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

SIGN_IN = "/account/sign-in"
MAX_NEXT_LENGTH = 2000
FormText = Annotated[str, Form(max_length=4000), AfterValidator(no_nul)]

ROLE_NAMES = {
    Role.SHOPPER: N_("Shopper"),
    Role.STORE_STAFF: N_("Store staff"),
    Role.FINANCE_OFFICER: N_("Finance officer"),
    Role.MARKETER: N_("Marketer"),
    Role.ADMIN: N_("Administrator"),
}
_ENTER_IDENTIFIER = N_("Enter your email address or mobile number.")
_BAD_EMAIL = N_("Enter a valid email address, like name@example.com.")
_BAD_IDENTIFIER = N_(
    "Enter a valid email address, or a mainland China mobile number of 11 digits starting with 13 to 19."
)
_ACCOUNT_EXISTS = N_(
    "An account with this email address or mobile number already exists. Sign in, or reset your password if you have forgotten it."
)
_NAME_TOO_LONG = N_("Use at most 80 characters for your name.")
_ENTER_PASSWORD = N_("Enter your password.")
_PASSWORD_TOO_SHORT = N_("Use at least %(min)s characters for your password.")
_PASSWORD_TOO_LONG = N_("Use at most %(max)s characters for your password.")
_PASSWORD_IS_IDENTIFIER = N_("Choose a password that is not your email address or mobile number.")
_PASSWORDS_DIFFER = N_("The two passwords are not the same.")
_BAD_RESET_CODE = N_("This reset code is invalid, used or expired. Ask for a new one.")
_ENTER_RESET_CODE = N_("Enter the reset code from your email or text message.")
_TOKEN_NAME = N_("Give the token a name of 1 to 80 characters.")


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site (an open redirect).

    Only a relative path starting with a single "/" is kept; "//host" and "/\\host" (which browsers read
    as another host), absolute URLs and anything with control characters or backslashes become "/".
    """
    if (
        not value
        or len(value) > MAX_NEXT_LENGTH
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)
    ):
        return "/"
    return value


def _sign_in_url(next_path: str) -> str:
    return f"{SIGN_IN}?{urlencode({'next': next_path})}"


def _anonymous_page(request: Request) -> Page:
    """The page of an anonymous form's POST. It does not look at the session cookie: a stale session
    must not make the sign-in form fail its (session) CSRF check."""
    return get_page(request)


AnonymousPage = Annotated[Page, Depends(_anonymous_page)]


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # personal pages and one-time secrets stay out of caches
    return response


def _anonymous_form(page: Page, template: str, *, status_code: int = 200, **context: object) -> HTMLResponse:
    """Render a form that works before sign-in, with a double-submit CSRF token."""
    token = csrf.token_for(page.request)
    response = page.render(template, status_code=status_code, csrf_token=token, **context)
    csrf.set_cookie(page.request, response, token)
    _no_store(response)
    return response


def _forbidden(request: Request) -> Response:
    return render_error(request, 403, "csrf_failed")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _password_errors(page: Page, password: str, confirmation: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not password:
        errors["password"] = page.gettext(_ENTER_PASSWORD)
    elif len(password) < MIN_LENGTH:
        errors["password"] = page.gettext(_PASSWORD_TOO_SHORT, min=MIN_LENGTH)
    elif len(password) > MAX_LENGTH:
        errors["password"] = page.gettext(_PASSWORD_TOO_LONG, max=MAX_LENGTH)
    if password and confirmation != password:
        errors["password_confirm"] = page.gettext(_PASSWORDS_DIFFER)
    return errors


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- sign-up ------------------------------------------------------------------------------------------------


@router.get("/sign-up")
def sign_up_form(page: PageContext, next: str = "/") -> Response:
    if page.user is not None:
        return _redirect(safe_next(next))
    return _anonymous_form(page, "account/sign_up.html", errors={}, form={}, next=safe_next(next))


@router.post("/sign-up")
def sign_up(
    request: Request,
    session: DbSession,
    page: AnonymousPage,
    csrf_token: FormText = "",
    identifier: FormText = "",
    display_name: FormText = "",
    password: FormText = "",
    password_confirm: FormText = "",
    next: FormText = "/",
) -> Response:
    if not csrf.is_valid(request, csrf_token):
        return _forbidden(request)
    identifier, display_name, next_path = identifier.strip(), display_name.strip(), safe_next(next)
    errors: dict[str, str] = {}
    if not identifier:
        errors["identifier"] = page.gettext(_ENTER_IDENTIFIER)
    else:
        is_email = "@" in identifier
        try:  # checked up front, so every field's problem is shown at once
            (service.normalise_email if is_email else service.normalise_mobile)(identifier)
        except InvalidInput:
            errors["identifier"] = page.gettext(_BAD_EMAIL if is_email else _BAD_IDENTIFIER)
    if len(display_name) > 80:
        errors["display_name"] = page.gettext(_NAME_TOO_LONG)
    errors.update(_password_errors(page, password, password_confirm))
    if not errors:
        is_email = "@" in identifier
        try:
            user = service.create_user(
                session,
                email=identifier if is_email else None,
                mobile=None if is_email else identifier,
                password=password,
                display_name=display_name,
                grants=[RoleGrant(Role.SHOPPER)],
            )
        except Conflict:
            errors["identifier"] = page.gettext(_ACCOUNT_EXISTS)
        except InvalidInput as exc:
            if exc.code == "weak_password":
                errors["password"] = page.gettext(_PASSWORD_IS_IDENTIFIER)
            else:
                errors["identifier"] = page.gettext(_BAD_EMAIL if is_email else _BAD_IDENTIFIER)
        else:
            _, secret = service.start_session(session, user)
            stitch_visitor(session, request.cookies.get(VISITOR_COOKIE), user.id)  # earlier visits count for them
            response = _redirect(next_path)
            set_session_cookie(request, response, secret)
            return response
    form = {"identifier": identifier, "display_name": display_name}  # passwords are never echoed back
    return _anonymous_form(page, "account/sign_up.html", status_code=422, errors=errors, form=form, next=next_path)


# --- sign-in and sign-out -----------------------------------------------------------------------------------


@router.get("/sign-in")
def sign_in_form(page: PageContext, next: str = "/", changed: str = "") -> Response:
    if page.user is not None:
        return _redirect(safe_next(next))
    return _anonymous_form(
        page,
        "account/sign_in.html",
        errors={},
        notice=None,
        retry_minutes=0,
        form={},
        next=safe_next(next),
        password_changed=changed == "1",
    )


@router.post("/sign-in")
def sign_in(
    request: Request,
    session: DbSession,
    page: AnonymousPage,
    csrf_token: FormText = "",
    identifier: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    if not csrf.is_valid(request, csrf_token):
        return _forbidden(request)
    identifier, next_path = identifier.strip(), safe_next(next)
    errors: dict[str, str] = {}
    if not identifier:
        errors["identifier"] = page.gettext(_ENTER_IDENTIFIER)
    if not password:
        errors["password"] = page.gettext(_ENTER_PASSWORD)
    notice, retry_minutes, headers = None, 0, {}
    if not errors:
        outcome = service.sign_in(session, identifier[:254], password[:MAX_LENGTH], _client_ip(request))
        if outcome.error is None:
            assert outcome.session_secret is not None and outcome.principal is not None
            stitch_visitor(session, request.cookies.get(VISITOR_COOKIE), outcome.principal.user_id)
            response = _redirect(next_path)
            set_session_cookie(request, response, outcome.session_secret)
            return response
        # Returned, not raised: the failure counters and lock-out commit when this handler returns.
        notice, headers = outcome.error.code, outcome.error.headers
        retry_minutes = math.ceil(int(outcome.error.extra.get("retry_after", 0)) / 60)
    status_code = 429 if notice in ("account_locked", "rate_limited") else 422
    response = _anonymous_form(
        page,
        "account/sign_in.html",
        status_code=status_code,
        errors=errors,
        notice=notice,
        retry_minutes=retry_minutes,
        form={"identifier": identifier},
        next=next_path,
        password_changed=False,
    )
    response.headers.update(headers)
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """The session's CSRF token (hidden field) was checked by `current_user`."""
    if user is not None and user.via == "session":
        service.sign_out(session, user)
    response = _redirect("/")
    clear_session_cookie(request, response)
    return response


# --- my account and API tokens ------------------------------------------------------------------------------


def _role_rows(session: DbSession, page: Page, user: Principal) -> list[tuple[str, str | None]]:
    """(role name, store name or None) for each grant, in a stable order."""
    stores = {store.id: store for store in catalog.list_stores(session)} if user.grants else {}
    rows = []
    for grant in sorted(user.grants, key=lambda g: (g.role, g.store_id or 0)):
        store = stores.get(grant.store_id) if grant.store_id is not None else None
        store_name = (store.name_zh if page.lang == "zh-Hans" else store.name_en) if store else None
        rows.append((page.gettext(ROLE_NAMES.get(grant.role, grant.role)), store_name))
    return rows


@router.get("")
def account(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return _redirect(_sign_in_url("/account"))
    return _no_store(page.render("account/account.html", roles=_role_rows(session, page, page.user)))


def _tokens_page(
    session: DbSession,
    page: Page,
    user: Principal,
    *,
    status_code: int = 200,
    new_token: str | None = None,
    new_token_name: str = "",
    errors: dict[str, str] | None = None,
    name: str = "",
) -> Response:
    tokens = service.list_api_tokens(session, user.user_id)
    return _no_store(
        page.render(
            "account/tokens.html",
            status_code=status_code,
            tokens=tokens,
            new_token=new_token,
            new_token_name=new_token_name,
            errors=errors or {},
            name=name,
        )
    )


@router.get("/tokens")
def tokens(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return _redirect(_sign_in_url("/account/tokens"))
    return _tokens_page(session, page, page.user)


@router.post("/tokens")
def create_token(session: DbSession, page: PageContext, name: FormText = "") -> Response:
    if page.user is None:
        return _redirect(_sign_in_url("/account/tokens"))
    try:
        token, secret = service.create_api_token(session, page.user.user_id, name)
    except InvalidInput:
        return _tokens_page(
            session,
            page,
            page.user,
            status_code=422,
            name=name.strip()[:80],
            errors={"name": page.gettext(_TOKEN_NAME)},
        )
    # The secret is in this answer only (not stored, not in a redirect's URL); `no-store` keeps it out of caches.
    return _tokens_page(session, page, page.user, status_code=201, new_token=secret, new_token_name=token.name)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(session: DbSession, page: PageContext, token_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> Response:
    if page.user is None:
        return _redirect(_sign_in_url("/account/tokens"))
    service.revoke_api_token(session, page.user.user_id, token_id)  # someone else's token: 404 page
    return _redirect("/account/tokens")


# --- password reset -----------------------------------------------------------------------------------------


def _relay_after_response(request: Request) -> None:
    """Runs after the response, i.e. after the request's transaction committed the outbox row."""
    relay_outbox(request.app.state.session_factory, request.app.state.outbox_adapters())


@router.get("/password-reset")
def reset_request_form(page: PageContext, token: str = "") -> Response:
    if token:  # a link in the old form: the code belongs on the confirm page
        return _redirect(f"{reset.RESET_PATH}?{urlencode({'token': token})}")
    return _anonymous_form(page, "account/reset_request.html", errors={}, form={}, sent=False)


@router.post("/password-reset")
def reset_request(
    request: Request,
    session: DbSession,
    page: AnonymousPage,
    background: BackgroundTasks,
    csrf_token: FormText = "",
    identifier: FormText = "",
) -> Response:
    if not csrf.is_valid(request, csrf_token):
        return _forbidden(request)
    identifier = identifier.strip()
    if not identifier:
        errors = {"identifier": page.gettext(_ENTER_IDENTIFIER)}
        return _anonymous_form(page, "account/reset_request.html", status_code=422, errors=errors, form={}, sent=False)
    # The same answer whether or not the account exists.
    reset.request_password_reset(session, identifier[:254], str(request.base_url))
    background.add_task(_relay_after_response, request)
    return _anonymous_form(page, "account/reset_request.html", errors={}, form={"identifier": identifier}, sent=True)


@router.get("/password-reset/confirm")
def reset_confirm_form(page: PageContext, token: str = "") -> Response:
    return _anonymous_form(page, "account/reset_confirm.html", errors={}, form={"token": token[:200]})


@router.post("/password-reset/confirm")
def reset_confirm(
    request: Request,
    session: DbSession,
    page: AnonymousPage,
    csrf_token: FormText = "",
    token: FormText = "",
    password: FormText = "",
    password_confirm: FormText = "",
) -> Response:
    if not csrf.is_valid(request, csrf_token):
        return _forbidden(request)
    token = token.strip()
    errors = {} if token else {"token": page.gettext(_ENTER_RESET_CODE)}
    errors.update(_password_errors(page, password, password_confirm))
    if not errors:
        try:
            reset.confirm_password_reset(session, token[:200], password)
        except InvalidInput as exc:
            if exc.code == "weak_password":
                errors["password"] = page.gettext(_PASSWORD_IS_IDENTIFIER)
            else:
                errors["token"] = page.gettext(_BAD_RESET_CODE)
        else:
            return _redirect(f"{SIGN_IN}?changed=1")
    return _anonymous_form(
        page, "account/reset_confirm.html", status_code=422, errors=errors, form={"token": token[:200]}
    )
