"""What the account pages share (sign-in and account: pages.py; sign-up: sign_up_pages.py; password reset:
reset_pages.py): the messages of the account forms, the safe "next" address, anonymous forms with their
double-submit CSRF token, redirects, and the outbox relay after the response. Helpers only; no routes."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import AfterValidator

from forecourt.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from forecourt.core.outbox import relay_outbox
from forecourt.core.request_guard import no_nul
from forecourt.web import csrf
from forecourt.web.errors import render_error
from forecourt.web.i18n import N_
from forecourt.web.templating import Page, get_page

SIGN_IN = "/account/sign-in"
MAX_NEXT_LENGTH = 2000
FormText = Annotated[str, Form(max_length=4000), AfterValidator(no_nul)]

ENTER_IDENTIFIER = N_("Enter your email address or mobile number.")
BAD_EMAIL = N_("Enter a valid email address, like name@example.com.")
BAD_IDENTIFIER = N_(
    "Enter a valid email address, or a mainland China mobile number of 11 digits starting with 13 to 19."
)
ENTER_PASSWORD = N_("Enter your password.")
PASSWORD_TOO_SHORT = N_("Use at least %(min)s characters for your password.")
PASSWORD_TOO_LONG = N_("Use at most %(max)s characters for your password.")
PASSWORD_IS_IDENTIFIER = N_("Choose a password that is not your email address or mobile number.")
PASSWORDS_DIFFER = N_("The two passwords are not the same.")


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


def sign_in_url(next_path: str) -> str:
    return f"{SIGN_IN}?{urlencode({'next': next_path})}"


def anonymous_page(request: Request) -> Page:
    """The page of an anonymous form's POST. It does not look at the session cookie: a stale session
    must not make the sign-in form fail its (session) CSRF check."""
    return get_page(request)


AnonymousPage = Annotated[Page, Depends(anonymous_page)]


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # personal pages and one-time secrets stay out of caches
    return response


def anonymous_form(page: Page, template: str, *, status_code: int = 200, **context: object) -> HTMLResponse:
    """Render a form that works before sign-in, with a double-submit CSRF token."""
    token = csrf.token_for(page.request)
    response = page.render(template, status_code=status_code, csrf_token=token, **context)
    csrf.set_cookie(page.request, response, token)
    no_store(response)
    return response


def forbidden(request: Request) -> Response:
    return render_error(request, 403, "csrf_failed")


def relay_after_response(request: Request) -> None:
    """Runs after the response, i.e. after the request's transaction committed the outbox row."""
    relay_outbox(request.app.state.session_factory, request.app.state.outbox_adapters())


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def password_errors(page: Page, password: str, confirmation: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not password:
        errors["password"] = page.gettext(ENTER_PASSWORD)
    elif len(password) < MIN_LENGTH:
        errors["password"] = page.gettext(PASSWORD_TOO_SHORT, min=MIN_LENGTH)
    elif len(password) > MAX_LENGTH:
        errors["password"] = page.gettext(PASSWORD_TOO_LONG, max=MAX_LENGTH)
    if password and confirmation != password:
        errors["password_confirm"] = page.gettext(PASSWORDS_DIFFER)
    return errors
