"""The lease page of an owner's car: `/garage/{reference}/lease` — the allowance, km driven, daily rate, projection
and excess charge, each with its arithmetic written out (the template turns the core's steps into sentences in
the page's language), the pace, and from 120 days before the end the lease-end options with their figures."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from forecourt.backoffice.access import sign_in_url
from forecourt.core.clock import utcnow
from forecourt.core.http import DbSession
from forecourt.ownership.leases import service as leases
from forecourt.ownership.leases.lease_end import LEASE_END_NOTICE_DAYS
from forecourt.ownership.records import service as records
from forecourt.web.errors import PAGES_TAG
from forecourt.web.page_helpers import here, redirect
from forecourt.web.templating import PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/garage/{reference}/lease", response_model=None)
def my_lease(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    ownership = records.get_for_owner(session, page.user.user_id, reference)
    view = leases.lease_view(session, ownership, utcnow())
    response = page.render(
        "ownership/lease.html",
        user=page.user,
        view=view,
        notice_days=LEASE_END_NOTICE_DAYS,
        options_from=view.mileage.terms.end_day - timedelta(days=LEASE_END_NOTICE_DAYS),
        nav="garage",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
