"""The back-office recall figures page (/backoffice/recalls): each campaign with the cars it reached and the cars
fixed, counted over the staff member's stores' cars (admins: every store). Campaigns are opened by admins through
the API (POST /api/v1/recalls); this page only reads."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from forecourt.backoffice.access import StaffUser, store_scope
from forecourt.core.http import DbSession
from forecourt.ownership.recalls import service as recalls
from forecourt.web.errors import PAGES_TAG
from forecourt.web.templating import PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/backoffice/recalls")
def figures_page(session: DbSession, page: PageContext, user: StaffUser) -> HTMLResponse:
    rows = recalls.figures(session, store_scope(user))
    response = page.render(
        "service/recalls.html", user=user, csrf_token=user.csrf_token or "", rows=rows, section="service"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
