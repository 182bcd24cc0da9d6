"""Who may use the back office: store staff (their stores) and admins (every store).

Anonymous visitors are sent to the sign-in page (303, with ?next= the page they asked for); a signed-in
user without a staff role, or staff reaching for another store's object, gets a translated 403 page.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from forecourt.accounts.principal import Principal, Role, managed_store_ids
from forecourt.accounts.security import CurrentUser
from forecourt.core.errors import InvalidInput
from forecourt.core.request_guard import UNSTORABLE, has_nul
from forecourt.web.templating import get_page

SIGN_IN_PATH = "/account/sign-in"


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class NotAllowed(Exception):
    """A signed-in user may not see this back-office page or object."""


def staff_user(request: Request, user: CurrentUser) -> Principal:
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path if request.method == "GET" else request.url.path)
    if not user.has_role(Role.STORE_STAFF, Role.ADMIN):
        raise NotAllowed()
    return user


StaffUser = Annotated[Principal, Depends(staff_user)]


def back_office_user(request: Request, user: CurrentUser) -> Principal:
    """Anyone with a back-office role: store staff, finance officers, marketers, admins."""
    if user is None:
        raise SignInRequired(request.url.path)
    if not user.has_role(Role.STORE_STAFF, Role.FINANCE_OFFICER, Role.MARKETER, Role.ADMIN):
        raise NotAllowed()
    return user


BackOfficeUser = Annotated[Principal, Depends(back_office_user)]


def admin_user(user: StaffUser) -> Principal:
    if not user.is_admin:
        raise NotAllowed()
    return user


AdminUser = Annotated[Principal, Depends(admin_user)]


async def _form(request: Request) -> FormData:
    """The posted form (parsed once: the CSRF check may already have read it). A NUL in any field is refused here,
    for every page at once: PostgreSQL cannot store it, and no one types it."""
    form = await request.form()
    if has_nul(value for _, value in form.multi_items()):
        raise InvalidInput("The form contains a NUL character; remove it and send again", code=UNSTORABLE)
    return form


PostedForm = Annotated[FormData, Depends(_form)]


def store_scope(user: Principal) -> frozenset[int] | None:
    """The store ids the user may act on; None for every store (admin)."""
    return managed_store_ids(user)


def sign_in_url(next_path: str) -> str:
    return f"{SIGN_IN_PATH}?next={quote(next_path, safe='/')}"


def install(app: FastAPI) -> None:
    """Answers of the two refusals; call when including the back-office router."""

    async def _sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return RedirectResponse(sign_in_url(exc.next_path), status_code=303)

    async def _refused(request: Request, exc: Exception) -> Response:
        # The page dependency has stored who is signed in, so the header still shows them.
        page = get_page(request, getattr(request.state, "page_user", None))
        return page.render("backoffice/forbidden.html", status_code=403)

    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(NotAllowed, _refused)
