"""My garage pages: `/garage` (the owner's cars) and `/garage/{reference}` (one car: contract and standing, the
payment schedule, the car's connected status, documents, and the slots servicing and recalls fill).

Thin: the signed-out are sent to sign in; another person's car answers the 404 page (records.get_for_owner).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from forecourt.backoffice.access import sign_in_url
from forecourt.core.clock import utcnow
from forecourt.core.http import DbSession
from forecourt.ownership.garage import service as garage
from forecourt.ownership.garage.sections import SLOTS
from forecourt.web.errors import PAGES_TAG
from forecourt.web.page_helpers import here, redirect
from forecourt.web.templating import PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/garage", response_model=None)
def my_garage(session: DbSession, page: PageContext) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    cards = garage.my_cards(session, page.user.user_id, utcnow())
    response = page.render("ownership/garage.html", user=page.user, cards=cards, nav="garage")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/garage/{reference}", response_model=None)
def my_car(session: DbSession, page: PageContext, reference: str) -> Response:
    if page.user is None:
        return redirect(sign_in_url(here(page.request)))
    card = garage.my_card(session, page.user.user_id, reference, utcnow())
    response = page.render("ownership/car.html", user=page.user, card=card, slots=SLOTS, nav="garage")
    response.headers["Cache-Control"] = "no-store"
    return response
