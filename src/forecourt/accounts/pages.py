"""Shopper-facing account pages: sign-in/out, my account, API tokens (sign-up: sign_up_pages.py; password
reset: reset_pages.py).

Thin: check the form's CSRF token, call one accounts use case, render or redirect. Plain HTML forms that
work without JavaScript. Anonymous forms are protected by the double-submit cookie of `web.csrf`; forms of
a signed-in user carry the session's CSRF token, which `accounts.security.current_user` checks.
A refused sign-in is returned by `signing_in.sign_in`, not raised, so its counters commit with the page.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from forecourt.accounts import api_tokens, sessions, signing_in
from forecourt.accounts.page_support import (
    ENTER_IDENTIFIER,
    ENTER_PASSWORD,
    AnonymousPage,
    FormText,
    anonymous_form,
    forbidden,
    no_store,
    redirect,
    safe_next,
    sign_in_url,
)
from forecourt.accounts.passwords import MAX_LENGTH
from forecourt.accounts.principal import Principal, Role
from forecourt.accounts.security import (
    CurrentUser,
    check_password_ahead,
    clear_session_cookie,
    set_session_cookie,
)
from forecourt.catalog import service as catalog
from forecourt.core.client_address import client_ip
from forecourt.core.errors import InvalidInput
from forecourt.core.http import DbSession
from forecourt.marketing.visitor_cookies import proven_visitor_id
from forecourt.marketing.visitors import stitch_visitor
from forecourt.web import csrf
from forecourt.web.errors import PAGES_TAG
from forecourt.web.i18n import N_
from forecourt.web.templating import Page, PageContext

router = APIRouter(prefix="/account", tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

ROLE_NAMES = {
    Role.SHOPPER: N_("Shopper"),
    Role.STORE_STAFF: N_("Store staff"),
    Role.FINANCE_OFFICER: N_("Finance officer"),
    Role.MARKETER: N_("Marketer"),
    Role.ADMIN: N_("Administrator"),
}
_TOKEN_NAME = N_("Give the token a name of 1 to 80 characters.")


# --- sign-in and sign-out -----------------------------------------------------------------------------------


@router.get("/sign-in")
def sign_in_form(page: PageContext, next: str = "/", changed: str = "") -> Response:
    if page.user is not None:
        return redirect(safe_next(next))
    return anonymous_form(
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
        return forbidden(request)
    identifier, next_path = identifier.strip(), safe_next(next)
    errors: dict[str, str] = {}
    if not identifier:
        errors["identifier"] = page.gettext(ENTER_IDENTIFIER)
    if not password:
        errors["password"] = page.gettext(ENTER_PASSWORD)
    notice, retry_minutes, headers = None, 0, {}
    if not errors:
        given, secret, ip = identifier[:254], password[:MAX_LENGTH], client_ip(request)
        checked = check_password_ahead(request, given, secret, ip)  # argon2 before the write lock
        outcome = signing_in.sign_in(session, given, secret, ip, checked)
        if outcome.error is None:
            assert outcome.session_secret is not None and outcome.principal is not None
            stitch_visitor(session, proven_visitor_id(request), outcome.principal.user_id)
            response = redirect(next_path)
            set_session_cookie(request, response, outcome.session_secret)
            return response
        # Returned, not raised: the failure counters and lock-out commit when this handler returns.
        notice, headers = outcome.error.code, outcome.error.headers
        retry_minutes = math.ceil(int(outcome.error.extra.get("retry_after", 0)) / 60)
    status_code = 429 if notice in ("account_locked", "rate_limited") else 422
    response = anonymous_form(
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
        sessions.sign_out(session, user)
    response = redirect("/")
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
        return redirect(sign_in_url("/account"))
    return no_store(page.render("account/account.html", roles=_role_rows(session, page, page.user)))


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
    tokens = api_tokens.list_api_tokens(session, user.user_id)
    return no_store(
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
        return redirect(sign_in_url("/account/tokens"))
    return _tokens_page(session, page, page.user)


@router.post("/tokens")
def create_token(session: DbSession, page: PageContext, name: FormText = "") -> Response:
    if page.user is None:
        return redirect(sign_in_url("/account/tokens"))
    try:
        token, secret = api_tokens.create_api_token(session, page.user.user_id, name)
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
        return redirect(sign_in_url("/account/tokens"))
    api_tokens.revoke_api_token(session, page.user.user_id, token_id)  # someone else's token: 404 page
    return redirect("/account/tokens")
