"""Password-reset pages: ask for a code, open the emailed link, choose a new password.

The emailed link's token is in a URL, and URLs end up in access logs, proxies and browser history. So the link's
first GET exchanges the token for a grant (`accounts.reset.open_reset_link`): a random id in a cookie scoped to
these pages, whose digest the database keeps; the page then redirects to itself without the token, and the form
works from the grant. A code typed on the page (SMS users) travels in the form body only.

The grant cookie is SameSite=Lax rather than Strict: a link clicked in a mail client starts a cross-site
navigation, and browsers withhold Strict cookies for the whole redirect chain, so the page would not see the
grant it has just set. Lax still keeps it off cross-site POSTs, and the form's POST also needs the double-submit
CSRF token of `web.csrf`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, Response

from forecourt.accounts import reset
from forecourt.accounts.page_support import (
    ENTER_IDENTIFIER,
    PASSWORD_IS_IDENTIFIER,
    SIGN_IN,
    AnonymousPage,
    FormText,
    anonymous_form,
    forbidden,
    no_store,
    password_errors,
    redirect,
    relay_after_response,
)
from forecourt.core import clock
from forecourt.core.errors import InvalidInput
from forecourt.core.http import DbSession, WriteSession
from forecourt.web import csrf
from forecourt.web.errors import PAGES_TAG
from forecourt.web.i18n import N_
from forecourt.web.templating import PageContext

router = APIRouter(prefix="/account", tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

GRANT_COOKIE = "forecourt_reset"
GRANT_COOKIE_PATH = "/account/password-reset"  # sent to the reset pages only
_BAD_RESET_CODE = N_("This reset code is invalid, used or expired. Ask for a new one.")
_BAD_RESET_LINK = N_(
    "This reset link is invalid, used or expired, or it was opened in another browser. Ask for a new one."
)
_ENTER_RESET_CODE = N_("Enter the reset code from your email or text message.")
_MAX_CODE_LENGTH = 200


def _set_grant_cookie(request: Request, response: Response, grant: reset.ResetGrant) -> None:
    response.set_cookie(
        GRANT_COOKIE,
        grant.secret,
        max_age=max(1, int((grant.expires_at - clock.utcnow()).total_seconds())),
        path=GRANT_COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )


def _clear_grant_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        GRANT_COOKIE, path=GRANT_COOKIE_PATH, secure=request.url.scheme == "https", httponly=True, samesite="lax"
    )


@router.get("/password-reset")
def reset_request_form(page: PageContext, token: str = "") -> Response:
    if token:  # a link in the old form: the confirm page exchanges it
        return redirect(f"{reset.RESET_PATH}?{urlencode({'token': token})}")
    return anonymous_form(page, "account/reset_request.html", errors={}, form={}, sent=False)


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
        return forbidden(request)
    identifier = identifier.strip()
    if not identifier:
        errors = {"identifier": page.gettext(ENTER_IDENTIFIER)}
        return anonymous_form(page, "account/reset_request.html", status_code=422, errors=errors, form={}, sent=False)
    # The same answer whether or not the account exists.
    reset.request_password_reset(session, identifier[:254], str(request.base_url))
    background.add_task(relay_after_response, request)
    return anonymous_form(page, "account/reset_request.html", errors={}, form={"identifier": identifier}, sent=True)


@router.get("/password-reset/confirm")
def reset_confirm_form(
    session: WriteSession, request: Request, page: PageContext, token: str = "", link: str = ""
) -> Response:
    """A GET that writes: opening a link records the exchange for a grant (WriteSession: the write lock first)."""
    held = request.cookies.get(GRANT_COOKIE)
    if token:
        grant = reset.open_reset_link(session, token[:_MAX_CODE_LENGTH], held)
        if grant is None:
            return no_store(redirect(f"{reset.RESET_PATH}?link=invalid"))
        response = redirect(reset.RESET_PATH)
        _set_grant_cookie(request, response, grant)
        return no_store(response)
    has_grant = reset.grant_is_valid(session, held)
    errors = {"token": page.gettext(_BAD_RESET_LINK)} if link == "invalid" and not has_grant else {}
    return anonymous_form(page, "account/reset_confirm.html", errors=errors, form={}, has_grant=has_grant)


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
    """A typed code wins over the grant cookie: someone may type a fresh code in a browser holding an old grant."""
    if not csrf.is_valid(request, csrf_token):
        return forbidden(request)
    token = token.strip()[:_MAX_CODE_LENGTH]
    grant = "" if token else (request.cookies.get(GRANT_COOKIE) or "")[:_MAX_CODE_LENGTH]
    errors = {} if token or grant else {"token": page.gettext(_ENTER_RESET_CODE)}
    errors.update(password_errors(page, password, password_confirm))
    if not errors:
        try:
            if token:
                reset.confirm_password_reset(session, token, password)
            else:
                reset.confirm_password_reset_with_grant(session, grant, password)
        except InvalidInput as exc:
            if exc.code == "weak_password":
                errors["password"] = page.gettext(PASSWORD_IS_IDENTIFIER)
            else:
                errors["token"] = page.gettext(_BAD_RESET_CODE if token else _BAD_RESET_LINK)
        else:
            response = redirect(f"{SIGN_IN}?changed=1")
            _clear_grant_cookie(request, response)
            return response
    has_grant = bool(grant) and "token" not in errors and reset.grant_is_valid(session, grant)
    return anonymous_form(
        page, "account/reset_confirm.html", status_code=422, errors=errors, form={"token": token}, has_grant=has_grant
    )
