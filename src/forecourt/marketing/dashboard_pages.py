"""The marketing dashboard in the back office (/backoffice/marketing), for marketers and admins: the funnel,
attribution by every model side by side, weekly trends, and a CSV export of each table.

Thin: read the filters from the query string (bad values fall back to defaults and the page says why, with a
422), call one `dashboard` service function, draw the charts' geometry (`charts`) and render.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from forecourt.accounts.principal import Principal, Role
from forecourt.accounts.security import CurrentUser
from forecourt.backoffice.access import NotAllowed, SignInRequired
from forecourt.catalog import service as catalog
from forecourt.core import dates
from forecourt.core.clock import utcnow
from forecourt.core.errors import InvalidInput
from forecourt.core.http import DbSession
from forecourt.marketing import attribution_comparison, attribution_query, charts
from forecourt.marketing import dashboard as service
from forecourt.marketing.vocabulary import CONVERSION_TYPES
from forecourt.web import i18n
from forecourt.web.errors import PAGES_TAG
from forecourt.web.templating import Page, PageContext

router = APIRouter(
    prefix="/backoffice/marketing", tags=[PAGES_TAG], include_in_schema=False, default_response_class=HTMLResponse
)

DEFAULT_MODEL = "markov"
MODEL_CHART_GROUPS = 12  # the chart shows the keys the chosen model credits most; the table shows them all


def marketer_user(request: Request, user: CurrentUser) -> Principal:
    """Marketers and admins; anonymous visitors are sent to sign in, anyone else gets the 403 page."""
    if user is None:
        raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if not user.has_role(Role.MARKETER, Role.ADMIN):
        raise NotAllowed()
    return user


MarketerUser = Annotated[Principal, Depends(marketer_user)]


def _day(text: str | None) -> date | None:
    return dates.parse_day(text)  # outside 2000..2100 counts as invalid, like a malformed day


def _order(text: str | None) -> int | None:
    try:
        return int(text) if text and text.strip() else None
    except ValueError:
        return 0  # out of range: reported


def _choice(text: str | None, allowed: tuple[str, ...], default: str) -> str:
    return text if text in allowed else default


def _filters(page: Page) -> tuple[attribution_query.Query, str, list[str]]:
    """The query, the funnel dimension and the names of the fields that were invalid (replaced by defaults)."""
    params = page.request.query_params
    zone = page.request.app.state.settings.time_zone
    today = utcnow().astimezone(ZoneInfo(zone)).date()
    model = _choice(params.get("model"), attribution_query.MODELS, DEFAULT_MODEL)
    raw = {
        "first_day": _day(params.get("from")),
        "last_day": _day(params.get("to")),
        "conversion": _choice(params.get("conversion"), CONVERSION_TYPES, "test_drive_booked"),
        "model": model,
        "order": _order(params.get("order")) if model == "markov" else None,
        "by": _choice(params.get("by"), attribution_query.BY, "channel"),
        "vehicle_model": (params.get("vehicle_model") or "").strip()[:40] or None,
        "city": (params.get("city") or "").strip()[:60] or None,
    }
    dimension = _choice(params.get("dimension"), service.DIMENSIONS, "channel")
    invalid = [name for name in ("from", "to") if params.get(name) and _day(params.get(name)) is None]
    try:
        query = attribution_query.check_query(**raw, zone=zone, today=today)
    except InvalidInput as exc:
        invalid += [e.field for e in exc.errors]
        raw.update(first_day=None, last_day=None, order=None)
        query = attribution_query.check_query(**raw, zone=zone, today=today)
    return query, dimension, invalid


def _names(page: Page, rows: Any) -> dict[str, str]:
    return {row.code: i18n.localized(row, "name", page.lang) for row in rows}


def _charts(board: service.Dashboard, names: dict[str, str]) -> dict[str, Any]:
    funnel = board.funnel
    stage_values = [[row.counts[i] for row in funnel.rows] for i in range(len(service.FUNNEL_STAGES))]
    keys = [names.get(k, k) for k in funnel.keys]
    comparison = board.comparison
    groups = [r.key for r in comparison.rows if any(r.credit.values())][:MODEL_CHART_GROUPS]
    series = [
        (m, [next(r.credit[m] for r in comparison.rows if r.key == g) for g in groups]) for m in comparison.models
    ]
    trend = board.trends
    top = trend.keys[: service.TREND_LINES]
    # Whole weeks only: a week the period cuts short would be drawn as a drop (the table lists it, marked partial).
    whole = [i for i, w in enumerate(trend.weeks) if w not in trend.partial]
    labels = [trend.weeks[i].strftime("%m-%d") for i in whole]
    every = max(1, len(labels) // 12)
    return {
        **_cost_charts(comparison),
        "funnel_chart": charts.stacked_rows(service.FUNNEL_STAGES, keys, stage_values),
        "model_chart": charts.grouped_bars(groups, series),
        "conversion_chart": charts.lines(
            labels, [(k, [trend.conversions[k][i] for i in whole]) for k in top], every=every
        ),
        "spend_chart": charts.lines(labels, [(k, [float(trend.spend[k][i]) for i in whole]) for k in top], every=every),
    }


def _cost_charts(comparison: attribution_comparison.Comparison) -> dict[str, charts.RowBarChart]:
    """Cheapest first: the cost per test drive and per sale of each key that had spend and was credited some."""

    def ranking(cost_of: Callable[[attribution_comparison.ComparisonRow], Decimal | None]) -> list[tuple[str, Decimal]]:
        costs = [(row.key, cost) for row in comparison.rows if row.spend > 0 and (cost := cost_of(row)) is not None]
        return sorted(costs, key=lambda item: (item[1], item[0]))

    return {
        "drive_cost_chart": charts.ranked_bars(ranking(lambda row: row.cost_per_test_drive), fill=charts.colour(0)),
        "sale_cost_chart": charts.ranked_bars(ranking(lambda row: row.cost_per_sale), fill=charts.colour(2)),
    }


@router.get("")
def dashboard_page(session: DbSession, page: PageContext, user: MarketerUser) -> HTMLResponse:
    query, dimension, invalid = _filters(page)
    board = service.dashboard(session, query, dimension)
    models = catalog.list_models(session)
    cities = sorted(
        {store.city.code: store.city for store in catalog.list_stores(session)}.values(), key=lambda c: c.code
    )
    model_names, city_names = _names(page, models), _names(page, cities)
    names = city_names if dimension == "city" else model_names if dimension == "model" else {}
    response = page.render(
        "marketing/dashboard.html",
        status_code=422 if invalid else 200,
        user=user,
        csrf_token=user.csrf_token or "",
        section="marketing",
        board=board,
        query=query,
        dimension=dimension,
        invalid=invalid,
        names=names,
        model_names=model_names,
        city_names=city_names,
        models=attribution_query.MODELS,
        conversions=CONVERSION_TYPES,
        stages=service.FUNNEL_STAGES,
        dimensions=service.DIMENSIONS,
        tick_label=charts.tick_label,
        **_charts(board, names),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _csv(body: bytes, name: str, query: attribution_query.Query) -> Response:
    filename = f"marketing-{name}-{query.period.first_day.isoformat()}-{query.period.last_day.isoformat()}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/funnel.csv")
def funnel_csv(session: DbSession, page: PageContext, user: MarketerUser) -> Response:
    query, dimension, _ = _filters(page)
    part = service.funnel(session, query.period, dimension, vehicle_model=query.vehicle_model, city=query.city)
    return _csv(service.funnel_csv(part), "funnel", query)


@router.get("/attribution.csv")
def attribution_csv(session: DbSession, page: PageContext, user: MarketerUser) -> Response:
    query, _, _ = _filters(page)
    return _csv(service.attribution_csv(attribution_comparison.compare_models(session, query)), "attribution", query)


@router.get("/trends.csv")
def trends_csv(session: DbSession, page: PageContext, user: MarketerUser) -> Response:
    query, dimension, _ = _filters(page)
    board = service.dashboard(session, query, dimension)
    return _csv(service.trends_csv(board.trends, query.by), "trends", query)
