"""The storefront page comparing the ways to drive a model: `/models/{code}/ways-to-drive?store=&months=&km_per_month=
&rental_days=`. Thin: read the form (a GET that reads back into the page), call `service.ways_to_drive`, render. A
bad field is named on the form (422) and nothing is priced; an unknown model or store is the usual 404 page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from forecourt.core.clock import utcnow
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.core.http import DbSession
from forecourt.mobility.ways_to_drive import compare, service
from forecourt.web.errors import PAGES_TAG
from forecourt.web.page_helpers import form_text
from forecourt.web.templating import PageContext

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse)
NUMBERS = ("months", "km_per_month", "rental_days")


def _horizon(form: dict[str, str]) -> compare.Horizon:
    numbers: dict[str, int] = {}
    problems = []
    for name in NUMBERS:
        try:
            numbers[name] = int(form[name].replace(",", ""))
        except ValueError:
            problems.append(FieldError(name, "must be a whole number", form[name]))
    if problems:
        raise InvalidInput("The comparison has invalid fields; see errors.", code="invalid_horizon", errors=problems)
    return service.horizon_of(numbers["months"], numbers["km_per_month"], numbers["rental_days"])


@router.get("/models/{code}/ways-to-drive")
def ways_to_drive(session: DbSession, page: PageContext, code: str) -> HTMLResponse:
    query = page.request.query_params
    form = {name: form_text(query, name, 12) or str(service.DEFAULTS[name]) for name in NUMBERS}
    form["store"] = form_text(query, "store", 40)
    found, errors, status = None, {}, 200
    try:
        found = service.ways_to_drive(session, code, form["store"] or None, _horizon(form), utcnow())
    except InvalidInput as exc:
        errors, status = {e.field: e.message for e in exc.errors}, exc.status
    model, stores = (found.model, found.stores) if found else service.choices(session, code)
    return page.render(
        "mobility/ways_to_drive.html",
        status_code=status,
        user=page.user,
        model=model,
        stores=stores,
        form=form,
        found=found,
        errors=errors,
        horizons=compare.HORIZONS,
        included=service.included,
    )
