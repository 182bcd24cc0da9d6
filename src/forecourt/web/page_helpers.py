"""Helpers the storefront and back-office page modules share: the page's view of a refused use case, redirects
after a POST, running a use case in a savepoint (and showing its refusal), local times and small form readers.
Helpers only; no routes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from forecourt.core.errors import DomainError
from forecourt.core.http import app_secret  # noqa: F401 - the page modules take it from here
from forecourt.core.security_headers import policy_with_images_from
from forecourt.web.templating import Page

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """A refused use case, for the page: the stable code (translated by the template) and its details."""

    code: str
    status: int
    message: str  # the service's English sentence: shown on English pages for codes the template does not know
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, exc: DomainError) -> Problem:
        return cls(exc.code, exc.status, exc.message, dict(exc.extra))


def to_local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def hhmm(moment: datetime, zone: str) -> str:
    return to_local(moment, zone).strftime("%H:%M")


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def allow_map_tiles(request: Request, response: Response) -> Response:
    """A page that draws a route map: with a tile server configured (FORECOURT_MAP_TILE_URL) the map's images come
    from that server, so the page's Content-Security-Policy must allow its origin (the others' stays strict)."""
    url = request.app.state.settings.map_tile_url
    if url:
        response.headers["Content-Security-Policy"] = policy_with_images_from(url)
    return response


def attempt(session: Session, run: Callable[[], T]) -> T:
    """Run a use case in a savepoint: when it raises, its partial writes go and the page shows the refusal."""
    with session.begin_nested():
        return run()


def attempt_then(
    session: Session, run: Callable[[], T], *, done: str | Callable[[T], str], again: Callable[[Problem], Response]
) -> Response:
    """A form's use case in a savepoint (`attempt`), then on to `done` (a URL, or one made from what `run` returned).
    A refusal leaves nothing of the attempt behind and is shown by `again`: the form's page with the problem."""
    try:
        outcome = attempt(session, run)
    except DomainError as exc:
        return again(Problem.of(exc))
    return redirect(done if isinstance(done, str) else done(outcome))


def render_personal(page: Page, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of someone's own things (their drives, rentals, orders, cars) or of a store's desk: the user and the
    CSRF token its forms carry, the local-time helpers, and no caching: it names a person, and may show a pick-up
    code once."""
    user = page.user
    response = page.render(
        template,
        status_code=status_code,
        user=user,
        csrf_token=(user.csrf_token if user else "") or "",
        hhmm=hhmm,
        local=to_local,
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def form_text(posted: Any, name: str, limit: int = 200) -> str:
    value = posted.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""
