"""Errors on pages: friendly, translated HTML instead of the API's problem+json.

`install_page_error_handlers` wraps the JSON handlers that `core.http` installed: a request handled by
a page route (tagged "pages"), or a browser's request for an unknown non-API path, gets an HTML page
in the shopper's language; everything else keeps the RFC 9457 answer unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from forecourt.core.errors import DomainError
from forecourt.core.http import BUSY_HEADERS, allowed_methods
from forecourt.core.request_guard import UNSTORABLE
from forecourt.web.i18n import N_
from forecourt.web.templating import get_page

log = logging.getLogger("forecourt.web")
PAGES_TAG = "pages"
Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


# Messages by the stable DomainError code; %(vin)s and %(code)s come from the path.
_MESSAGES_BY_CODE = {
    "vehicle_not_found": N_("We couldn't find a car with VIN %(vin)s. It may have been sold."),
    "invalid_vin": N_("“%(vin)s” is not a valid VIN. A VIN has 17 letters and digits (no I, O or Q)."),
    "store_not_found": N_("We couldn't find a store called “%(code)s”."),
    "model_not_found": N_("We couldn't find a model called “%(code)s”."),
    "car_not_found": N_(
        "None of your cars has VIN %(vin)s: only its owner sees a car's service. Sign in as the owner."
    ),
    "service_job_not_found": N_("We couldn't find that service job among yours."),
    "csrf_failed": N_("This form has expired or did not come from this site. Go back, reload the page and try again."),
    "unstorable_value": N_(
        "Something you entered contains a character that cannot be stored. Remove it and try again."
    ),
    "payload_too_large": N_("What you sent is too large for this form. Send less at once, or a smaller file."),
    "headers_too_large": N_(
        "Your browser sent too much data with this request. Clear this site's cookies and try again."
    ),
}
_TITLES_BY_STATUS = {
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not allowed"),
    413: N_("Too large"),
    422: N_("That doesn't look right"),
    431: N_("Too large"),
}
_MESSAGES_BY_STATUS = {
    403: N_("You can't do that here."),
    404: N_("We couldn't find that page."),
    405: N_("This page can't be used that way."),
    422: N_("Something in the address isn't valid."),
}
_INTERNAL_TITLE = N_("Something went wrong")
_INTERNAL_MESSAGE = N_("Something went wrong on our side. Please try again in a moment.")


def is_page_request(request: Request) -> bool:
    route = request.scope.get("route")
    if route is not None:
        return PAGES_TAG in (getattr(route, "tags", None) or [])
    # No route matched (an unknown path): answer browsers with a page, programs with problem+json.
    path = request.url.path
    return not path.startswith(("/api/", "/static/")) and "text/html" in request.headers.get("accept", "")


def render_error(request: Request, status: int, code: str | None = None) -> Response:
    page = get_page(request, getattr(request.state, "page_user", None))
    params = {"vin": request.path_params.get("vin", ""), "code": request.path_params.get("code", "")}
    message_id = _MESSAGES_BY_CODE.get(code or "") or _MESSAGES_BY_STATUS.get(status, _INTERNAL_MESSAGE)
    title_id = _TITLES_BY_STATUS.get(status, _INTERNAL_TITLE)
    return page.render(
        "error.html",
        status_code=status,
        title=page.gettext(title_id),
        message=page.gettext(message_id, **params),
        status=status,
    )


def install_page_error_handlers(app: FastAPI) -> None:
    """Call after `core.http.install_error_handlers`, whose handlers this wraps."""

    def wrap(original: Handler | None, status_of: Callable[[Exception], tuple[int, str | None]]) -> Handler:
        async def handler(request: Request, exc: Exception) -> Response:
            if is_page_request(request):
                status, code = status_of(exc)
                if status >= 500:
                    log.exception("unhandled error on page %s", request.url.path, exc_info=exc)
                try:
                    response = render_error(request, status, code)
                    # e.g. the Allow header of a 405 belongs on the page too
                    response.headers.update(getattr(exc, "headers", None) or {})
                    if status == 405:
                        response.headers["Allow"] = allowed_methods(request)
                    if isinstance(exc, OperationalError):
                        response.headers.update(BUSY_HEADERS)
                    return response
                except Exception:  # the error page itself failed: fall back to the plain answer
                    log.exception("error page failed to render")
            assert original is not None
            result = original(request, exc)
            return await result if isinstance(result, Awaitable) else result

        return handler

    handlers = app.exception_handlers
    app.add_exception_handler(DomainError, wrap(handlers.get(DomainError), lambda e: (e.status, e.code)))  # type: ignore[attr-defined]
    app.add_exception_handler(
        StarletteHTTPException,
        wrap(handlers.get(StarletteHTTPException), lambda e: (e.status_code, None)),  # type: ignore[attr-defined]
    )
    app.add_exception_handler(RequestValidationError, wrap(handlers.get(RequestValidationError), lambda e: (422, None)))
    app.add_exception_handler(OperationalError, wrap(handlers.get(OperationalError), lambda e: (503, None)))  # type: ignore[attr-defined]
    app.add_exception_handler(DataError, wrap(handlers.get(DataError), lambda e: (422, UNSTORABLE)))
    app.add_exception_handler(Exception, wrap(handlers.get(Exception), lambda e: (500, None)))
