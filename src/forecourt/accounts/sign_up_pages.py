"""Sign-up pages: the form, the "check your email or text messages" answer, and the confirmation page.

The form answers the same for a free and a taken email address or mobile number (see `accounts.sign_up`);
the account is created, and its owner signed in, when the code from the message comes back to
/account/sign-up/confirm. Anonymous forms: double-submit CSRF cookie (`web.csrf`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forecourt.accounts import identifiers, sessions, sign_up
from forecourt.accounts.page_support import (
    BAD_EMAIL,
    BAD_IDENTIFIER,
    ENTER_IDENTIFIER,
    PASSWORD_IS_IDENTIFIER,
    AnonymousPage,
    anonymous_form,
    forbidden,
    password_errors,
    redirect,
    relay_after_response,
    safe_next,
)
from forecourt.accounts.security import set_session_cookie
from forecourt.core.errors import InvalidInput
from forecourt.core.http import DbSession, WriteSession
from forecourt.marketing.visitor_cookies import proven_visitor_id
from forecourt.marketing.visitors import stitch_visitor
from forecourt.web import csrf
from forecourt.web.errors import PAGES_TAG
from forecourt.web.i18n import N_
from forecourt.web.templating import PageContext

router = APIRouter(prefix="/account", tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)

FormText = Annotated[str, Form(max_length=4000)]
_NAME_TOO_LONG = N_("Use at most 80 characters for your name.")
_ENTER_SIGN_UP_CODE = N_("Enter the confirmation code from your email or text message.")
_BAD_SIGN_UP_CODE = N_("This confirmation code is invalid, used or expired. Sign up again to get a new one.")


@router.get("/sign-up")
def sign_up_form(page: PageContext, next: str = "/") -> Response:
    if page.user is not None:
        return redirect(safe_next(next))
    return anonymous_form(page, "account/sign_up.html", errors={}, form={}, next=safe_next(next), sent=False)


@router.post("/sign-up")
def request_sign_up(
    request: Request,
    session: DbSession,
    page: AnonymousPage,
    background: BackgroundTasks,
    csrf_token: FormText = "",
    identifier: FormText = "",
    display_name: FormText = "",
    password: FormText = "",
    password_confirm: FormText = "",
    next: FormText = "/",
) -> Response:
    if not csrf.is_valid(request, csrf_token):
        return forbidden(request)
    identifier, display_name, next_path = identifier.strip(), display_name.strip(), safe_next(next)
    is_email = "@" in identifier
    errors: dict[str, str] = {}
    if not identifier:
        errors["identifier"] = page.gettext(ENTER_IDENTIFIER)
    else:
        try:  # checked up front, so every field's problem is shown at once
            (identifiers.normalise_email if is_email else identifiers.normalise_mobile)(identifier)
        except InvalidInput:
            errors["identifier"] = page.gettext(BAD_EMAIL if is_email else BAD_IDENTIFIER)
    if len(display_name) > 80:
        errors["display_name"] = page.gettext(_NAME_TOO_LONG)
    errors.update(password_errors(page, password, password_confirm))
    if not errors:
        try:
            sign_up.request_sign_up(
                session,
                email=identifier if is_email else None,
                mobile=None if is_email else identifier,
                password=password,
                display_name=display_name,
                base_url=str(request.base_url),
                next_path=next_path,
            )
        except InvalidInput as exc:
            if exc.code == "weak_password":
                errors["password"] = page.gettext(PASSWORD_IS_IDENTIFIER)
            else:
                errors["identifier"] = page.gettext(BAD_EMAIL if is_email else BAD_IDENTIFIER)
        else:
            # The same page whether the identifier was free (a code was sent) or taken (its owner was told).
            background.add_task(relay_after_response, request)
            form = {"identifier": identifier}
            return anonymous_form(page, "account/sign_up.html", errors={}, form=form, next=next_path, sent=True)
    form = {"identifier": identifier, "display_name": display_name}  # passwords are never echoed back
    return anonymous_form(
        page, "account/sign_up.html", status_code=422, errors=errors, form=form, next=next_path, sent=False
    )


@router.get("/sign-up/confirm")
def sign_up_confirm_form(
    session: WriteSession, request: Request, page: PageContext, token: str = "", next: str = "/", link: str = ""
) -> Response:
    """The e-mailed link confirms on first use (a GET that writes: WriteSession) and redirects without its code, so
    a link that a proxy or browser history kept is worthless afterwards; without a code the page asks for it."""
    next_path = safe_next(next)
    if token:
        confirmed = _confirm(session, request, token.strip()[:200], next_path)
        return confirmed or redirect(f"{sign_up.CONFIRM_PATH}?{urlencode({'next': next_path, 'link': 'invalid'})}")
    errors = {"token": page.gettext(_BAD_SIGN_UP_CODE)} if link == "invalid" else {}
    return anonymous_form(page, "account/sign_up_confirm.html", errors=errors, form={"token": ""}, next=next_path)


def _confirm(session: Session, request: Request, token: str, next_path: str) -> Response | None:
    """Create the account and sign its owner in; None for an invalid, used or expired code."""
    try:
        user = sign_up.confirm_sign_up(session, token)
    except InvalidInput:
        return None
    _, secret = sessions.start_session(session, user)
    stitch_visitor(session, proven_visitor_id(request), user.id)  # earlier visits count for them
    response = redirect(next_path)
    set_session_cookie(request, response, secret)
    return response


@router.post("/sign-up/confirm")
def confirm_sign_up(
    request: Request,
    session: DbSession,
    page: AnonymousPage,
    csrf_token: FormText = "",
    token: FormText = "",
    next: FormText = "/",
) -> Response:
    if not csrf.is_valid(request, csrf_token):
        return forbidden(request)
    token, next_path = token.strip()[:200], safe_next(next)
    confirmed = _confirm(session, request, token, next_path) if token else None
    if confirmed is not None:
        return confirmed
    errors = {"token": page.gettext(_BAD_SIGN_UP_CODE if token else _ENTER_SIGN_UP_CODE)}
    return anonymous_form(
        page, "account/sign_up_confirm.html", status_code=422, errors=errors, form={"token": ""}, next=next_path
    )
