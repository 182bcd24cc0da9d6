"""Attribution through the service on a dataset small enough to check by hand (both backends), built by
tests/marketing/factories.seed_small.

Period: 2 to 8 March 2026 (UTC days). Spend: search CNY 300.00 (3 March), email CNY 50.00 (4 March).

- visitor a: search click (3 Mar 10:00), email click (4 Mar 10:00), test drive booked (5 Mar 10:00)
- visitor b: search click (3 Mar 11:00), test drive booked (3 Mar 12:00), order of CNY 150,000.00 (6 Mar)
- visitor c: direct visit (4 Mar 09:00), nothing else
- visitor d: email click 40 days before the period's end, test drive booked on 7 March: outside the 30-day lookback

Last touch: search 1, email 1, (none) 1 → cost per test drive search 300.00, email 50.00.
Linear: a splits ½ / ½, b all search → search 1.5 (cost 200.00), email 0.5 (cost 100.00).
Orders, last touch: search 1 with value 150,000.00 → ROAS 150000 / 300 = 500.00, cost per sale 300.00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from forecourt.core.errors import InvalidInput
from forecourt.marketing import attribution_comparison, attribution_query, attribution_service
from tests.marketing.factories import FIRST, LAST, seed_small

TODAY = date(2026, 3, 20)


def _query(**changes: object) -> attribution_query.Query:
    arguments: dict = {
        "first_day": FIRST,
        "last_day": LAST,
        "conversion": "test_drive_booked",
        "model": "last_touch",
        "order": None,
        "by": "channel",
        "today": TODAY,
    }
    arguments.update(changes)
    return attribution_query.check_query(**arguments)


def _rows(report: attribution_service.Report) -> dict[str, tuple[float, Decimal, Decimal | None, Decimal | None]]:
    return {r.key: (r.conversions, r.spend, r.cost_per_conversion, r.roas) for r in report.rows}


def test_last_touch_credit_and_cost_per_test_drive(db_session: Session) -> None:
    seed_small(db_session)
    report = attribution_service.attribution_report(db_session, _query())
    assert report.conversions == 3
    assert report.spend == Decimal("350.00")
    assert _rows(report) == {
        "search": (1.0, Decimal("300.00"), Decimal("300.00"), None),  # test drives carry no value: no ROAS
        "email": (1.0, Decimal("50.00"), Decimal("50.00"), None),
        "(none)": (1.0, Decimal(0), Decimal("0.00"), None),
    }


def test_linear_splits_the_two_touch_path(db_session: Session) -> None:
    seed_small(db_session)
    rows = _rows(attribution_service.attribution_report(db_session, _query(model="linear")))
    assert rows["search"][:3] == (1.5, Decimal("300.00"), Decimal("200.00"))
    assert rows["email"][:3] == (0.5, Decimal("50.00"), Decimal("100.00"))


def test_orders_give_value_and_roas(db_session: Session) -> None:
    seed_small(db_session)
    report = attribution_service.attribution_report(db_session, _query(conversion="order"))
    search = next(r for r in report.rows if r.key == "search")
    assert (search.conversions, search.value, search.cost_per_conversion, search.roas) == (
        1.0,
        Decimal("150000.00"),
        Decimal("300.00"),
        Decimal("500.00"),
    )
    assert report.value == Decimal("150000.00")


def test_by_campaign_keys_are_campaign_codes(db_session: Session) -> None:
    seed_small(db_session)
    rows = _rows(attribution_service.attribution_report(db_session, _query(by="campaign")))
    assert rows["t-search"][:3] == (1.0, Decimal("300.00"), Decimal("300.00"))
    assert rows["t-email"][:3] == (1.0, Decimal("50.00"), Decimal("50.00"))


def test_a_longer_lookback_reaches_the_old_touch(db_session: Session) -> None:
    seed_small(db_session)
    rows = _rows(attribution_service.attribution_report(db_session, _query(lookback_days=60)))
    assert rows["email"][0] == 2.0 and "(none)" not in rows


def test_filter_by_vehicle_model_and_city(db_session: Session) -> None:
    seed_small(db_session)
    assert attribution_service.attribution_report(db_session, _query(vehicle_model="kuga")).conversions == 2
    assert attribution_service.attribution_report(db_session, _query(city="shanghai")).conversions == 1


def test_every_model_hands_out_the_same_total(db_session: Session) -> None:
    seed_small(db_session)
    comparison = attribution_comparison.compare_models(db_session, _query(model="markov"))
    assert comparison.models == attribution_query.MODELS
    for model in attribution_query.MODELS:
        if model != "markov":  # markov hands out nothing when no channel has a removal effect
            assert comparison.totals[model] == pytest.approx(3.0)
    search = next(r for r in comparison.rows if r.key == "search")
    assert search.credit["last_touch"] == 1.0 and search.credit["first_touch"] == 2.0
    assert search.spend == Decimal("300.00")


def test_comparison_costs_use_the_chosen_model(db_session: Session) -> None:
    seed_small(db_session)
    comparison = attribution_comparison.compare_models(db_session, _query(model="linear"))
    rows = {r.key: r for r in comparison.rows}
    assert rows["search"].cost_per_test_drive == Decimal("200.00")
    assert rows["search"].cost_per_sale == Decimal("300.00")
    assert rows["search"].roas == Decimal("500.00")
    assert rows["email"].cost_per_sale is None  # no sale credited to email
    # the counts behind the costs: linear splits visitor a's drive between search and email
    assert (rows["search"].test_drives, rows["search"].sales, rows["search"].sales_value) == (
        1.5,
        1.0,
        Decimal("150000.00"),
    )
    assert (rows["email"].test_drives, rows["email"].sales, rows["email"].sales_value) == (0.5, 0.0, Decimal("0.00"))
    # totals: 3 drives (d's falls outside the lookback, so "(none)" holds it), 1 sale, all spend in the period
    assert (comparison.test_drives, comparison.sales, comparison.spend) == (3.0, 1.0, Decimal("350.00"))
    assert comparison.cost_per_test_drive == Decimal("116.67")  # 350 / 3, half up
    assert comparison.cost_per_sale == Decimal("350.00")
    assert comparison.roas == Decimal("428.57")  # 150,000 / 350


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"conversion": "signup"}, "conversion"),
        ({"model": "magic"}, "model"),
        ({"by": "city"}, "by"),
        ({"order": 2}, "order"),  # last_touch has no order
        ({"model": "markov", "order": 4}, "order"),
        ({"model": "markov", "order": 0}, "order"),
        ({"first_day": date(2026, 3, 9)}, "from"),
        ({"first_day": date(2025, 1, 1)}, "to"),  # 432 days
        ({"first_day": date(1999, 12, 31)}, "from"),
        ({"last_day": date(9999, 12, 31)}, "to"),
        ({"lookback_days": 0}, "lookback_days"),
        ({"lookback_days": 181}, "lookback_days"),
    ],
)
def test_check_query_names_the_bad_field(changes: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _query(**changes)
    assert field in [e.field for e in caught.value.errors]


def test_check_query_defaults_to_the_last_30_days() -> None:
    query = attribution_query.check_query(
        first_day=None, last_day=None, conversion="order", model="markov", order=None, by="channel", today=TODAY
    )
    assert (query.period.first_day, query.period.last_day, query.order) == (date(2026, 2, 19), TODAY, 1)
    assert query.period.days == 30


def test_period_in_a_time_zone() -> None:
    period = attribution_query.Period(FIRST, FIRST, "Asia/Shanghai")
    assert period.start == datetime(2026, 3, 1, 16, tzinfo=UTC)
    assert period.end == datetime(2026, 3, 2, 16, tzinfo=UTC)
