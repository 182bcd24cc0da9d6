"""Attribution of all models side by side: every model's credit per channel or campaign, with the cost per test
drive, cost per sale and ROAS under the query's model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import polars as pl
from sqlalchemy.orm import Session

from forecourt.marketing import dashboard_repository as repository
from forecourt.marketing.attribution import aggregate
from forecourt.marketing.attribution_journeys import Journeys, PathSet, credit, load_journeys, path_set
from forecourt.marketing.attribution_money import cent_amount, cost_per, return_on_spend
from forecourt.marketing.attribution_query import LOOKBACK_DAYS, MODELS, Query


@dataclass(frozen=True)
class ComparisonRow:
    key: str
    credit: dict[str, float]  # model -> credited conversions of the query's conversion type
    spend: Decimal
    test_drives: float  # test drives booked credited by the query's model
    cost_per_test_drive: Decimal | None  # spend / test_drives
    sales: float  # orders credited by the query's model
    sales_value: Decimal  # their credited value, rounded to the cent
    cost_per_sale: Decimal | None  # spend / sales
    roas: Decimal | None  # sales_value / spend


@dataclass(frozen=True)
class Comparison:
    query: Query
    models: tuple[str, ...]
    rows: list[ComparisonRow]
    conversions: int
    totals: dict[str, float] = field(default_factory=dict)
    spend: Decimal = Decimal(0)

    @property
    def test_drives(self) -> float:
        return sum(row.test_drives for row in self.rows)

    @property
    def sales(self) -> float:
        return sum(row.sales for row in self.rows)

    @property
    def sales_value(self) -> Decimal:
        return sum((row.sales_value for row in self.rows), Decimal(0))

    @property
    def cost_per_test_drive(self) -> Decimal | None:
        return cost_per(self.spend, self.test_drives)

    @property
    def cost_per_sale(self) -> Decimal | None:
        return cost_per(self.spend, self.sales)

    @property
    def roas(self) -> Decimal | None:
        return return_on_spend(self.sales_value, self.spend)


def compare_journeys(journeys: Journeys, query: Query, spend: Mapping[str, Decimal]) -> Comparison:
    """One row per key: every model's credit for the query's conversion type, then spend and the cost per test
    drive, cost per sale and ROAS under the query's model."""
    period = query.period

    def paths_of(conversion: str) -> PathSet:
        lookback = timedelta(days=query.lookback_days or LOOKBACK_DAYS.get(conversion, 30))
        return path_set(
            journeys, conversion, period.start, period.end, lookback, vehicle_model=query.vehicle_model, city=query.city
        )

    main = paths_of(query.conversion)
    credited = {m: credit(main, m, by=query.by, order=query.order) for m in MODELS}
    table = aggregate.side_by_side(credited)

    def credit_of(conversion: str) -> pl.DataFrame:  # the query's own conversion type is credited already
        if conversion == query.conversion:
            return credited[query.model]
        return credit(paths_of(conversion), query.model, by=query.by, order=query.order)

    drive_credit = {k: c for k, c, _ in credit_of("test_drive_booked").iter_rows()}
    sale_credit = {k: (c, v) for k, c, v in credit_of("order").iter_rows()}
    keys = list(table["key"])
    keys += [k for k in spend if k not in keys]
    keys += [k for k in list(drive_credit) + list(sale_credit) if k not in keys]
    by_key = {row[0]: row[1:] for row in table.iter_rows()}
    rows = []
    for key in keys:
        spent = spend.get(key, Decimal(0))
        credits = dict(zip(MODELS, by_key.get(key, (0.0,) * len(MODELS)), strict=True))
        drives_credited = drive_credit.get(key, 0.0)
        sold, sold_value = sale_credit.get(key, (0.0, 0.0))
        value = cent_amount(sold_value)
        rows.append(
            ComparisonRow(
                key,
                credits,
                spent,
                drives_credited,
                cost_per(spent, drives_credited),
                sold,
                value,
                cost_per(spent, sold),
                return_on_spend(value, spent),
            )
        )
    # The chosen model's ranking; credit equal but for float noise (two channels with the same removal effect) is a
    # tie, broken by spend and key, so the order does not hang on the last bit of a solve.
    rows.sort(key=lambda r: (-round(r.credit[query.model], 9), -r.spend, r.key))
    totals = {m: float(table[m].sum()) if table.height else 0.0 for m in MODELS}
    return Comparison(query, MODELS, rows, main.paths.height, totals, sum(spend.values(), Decimal(0)))


def compare_models(session: Session, query: Query) -> Comparison:
    period = query.period
    widest = max([*LOOKBACK_DAYS.values(), query.lookback_days or 0])
    journeys = load_journeys(session, period.start, period.end, timedelta(days=widest))
    spend = repository.spend_totals(session, period.first_day, period.last_day, query.by)
    return compare_journeys(journeys, query, spend)
