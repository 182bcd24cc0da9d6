"""Attribution use cases: credit per channel or campaign for one conversion type and period, joined with spend.

The query is checked in `attribution_query`, journeys and paths come from `attribution_journeys`, money is
rounded by `attribution_money`; all models side by side are in `attribution_comparison`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import polars as pl
from sqlalchemy.orm import Session

from forecourt.marketing import dashboard_repository as repository
from forecourt.marketing.attribution import heuristics
from forecourt.marketing.attribution_journeys import PathSet, Progress, credit, load_journeys, no_progress, path_set
from forecourt.marketing.attribution_money import cent_amount, cost_per, return_on_spend
from forecourt.marketing.attribution_query import Query


@dataclass(frozen=True)
class CreditRow:
    key: str
    conversions: float  # credited conversions (a share may be fractional)
    value: Decimal  # credited conversion value, rounded to the cent
    spend: Decimal
    cost_per_conversion: Decimal | None  # spend / credited conversions
    roas: Decimal | None  # credited value / spend


@dataclass(frozen=True)
class Report:
    query: Query
    rows: list[CreditRow]
    conversions: int
    value: Decimal
    spend: Decimal
    currency: str = "CNY"

    @property
    def cost_per_conversion(self) -> Decimal | None:
        return cost_per(self.spend, float(self.conversions))

    @property
    def roas(self) -> Decimal | None:
        return return_on_spend(self.value, self.spend) if self.value else None  # no value (test drives): no ROAS


def cost_rows(credited: pl.DataFrame, spend: Mapping[str, Decimal]) -> list[CreditRow]:
    """Credit joined with exact spend per key (via `heuristics.cost_metrics`, which decides the key set and order);
    the money columns are recomputed from the Decimal spend and rounded half up."""
    spend_frame = pl.DataFrame(
        {"key": list(spend), "amount": [float(a) for a in spend.values()]},
        schema={"key": pl.String, "amount": pl.Float64},
    )
    joined = heuristics.cost_metrics(credited, spend_frame)
    rows = []
    for key, conversions, value, *_ in joined.iter_rows():
        exact = spend.get(key, Decimal(0))
        money_value = cent_amount(value)
        rows.append(
            CreditRow(
                key, conversions, money_value, exact, cost_per(exact, conversions), return_on_spend(money_value, exact)
            )
        )
    return rows


def report_from_paths(
    query: Query, paths: PathSet, spend: Mapping[str, Decimal], progress: Progress = no_progress
) -> Report:
    progress("solve", 0, 1)
    credited = credit(paths, query.model, by=query.by, order=query.order)
    progress("solve", 1, 1)
    rows = cost_rows(credited, spend)
    value = cent_amount(float(paths.paths["value"].cast(pl.Float64).fill_null(0.0).sum()))
    if not value:  # conversions that carry no value (test drives, applications) have no return on spend
        rows = [replace(row, roas=None) for row in rows]
    return Report(query, rows, paths.paths.height, value, sum(spend.values(), Decimal(0)))


def attribution_report(session: Session, query: Query, progress: Progress = no_progress) -> Report:
    """Credit, spend, cost per conversion and ROAS per channel or campaign for one model."""
    period = query.period
    journeys = load_journeys(session, period.start, period.end, query.lookback, progress)
    progress("paths", 0, 1)
    paths = path_set(
        journeys,
        query.conversion,
        period.start,
        period.end,
        query.lookback,
        vehicle_model=query.vehicle_model,
        city=query.city,
    )
    progress("paths", 1, 1)
    spend = repository.spend_totals(session, period.first_day, period.last_day, query.by)
    return report_from_paths(query, paths, spend, progress)
