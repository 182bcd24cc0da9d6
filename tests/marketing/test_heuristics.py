"""Rule-based attribution: hand-computed cases per model, conservation of credit, cost metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.marketing.attribution.heuristics import (
    COST_COLUMNS,
    CREDIT_COLUMNS,
    MODELS,
    NO_CAMPAIGN,
    UNATTRIBUTED,
    attribute,
    cost_metrics,
)
from forecourt.marketing.attribution.paths import build_paths

DAY = 86_400

Touch = tuple[str, str | None, int]  # channel, campaign, seconds before the conversion


def paths_frame(*paths: tuple[list[Touch], float]) -> pl.DataFrame:
    """A frame shaped like build_paths' output, from (touches oldest first, value) pairs."""
    return pl.DataFrame(
        {
            "conversion_id": [f"c{i}" for i in range(len(paths))],
            "value": [value for _, value in paths],
            "channels": [[t[0] for t in touches] for touches, _ in paths],
            "campaigns": [[t[1] for t in touches] for touches, _ in paths],
            "seconds_before": [[t[2] for t in touches] for touches, _ in paths],
        },
        schema={
            "conversion_id": pl.String,
            "value": pl.Float64,
            "channels": pl.List(pl.String),
            "campaigns": pl.List(pl.String),
            "seconds_before": pl.List(pl.Int64),
        },
    )


def credit_of(frame: pl.DataFrame) -> dict[str, float]:
    return dict(zip(frame["key"].to_list(), frame["conversions"].to_list(), strict=True))


SEARCH_EMAIL_DIRECT = [("search", "spring", 3 * DAY), ("email", None, 2 * DAY), ("direct", None, DAY)]
FIVE = [(c, None, (10 - i) * DAY) for i, c in enumerate(["a", "b", "c", "d", "e"])]
REPEAT = [("search", "s1", 3 * DAY), ("email", "e1", 2 * DAY), ("search", "s2", DAY)]
TWO = [("social", None, 2 * DAY), ("search", None, DAY)]
ONE = [("display", None, DAY)]
ALL_DIRECT = [("direct", None, 2 * DAY), ("direct", None, DAY)]
THIRD = 1 / 3

CASES = [
    # (id, model, touches, options, expected credit per key)
    ("first", "first_touch", SEARCH_EMAIL_DIRECT, {}, {"search": 1.0}),
    ("last", "last_touch", SEARCH_EMAIL_DIRECT, {}, {"direct": 1.0}),
    ("last-non-direct", "last_non_direct", SEARCH_EMAIL_DIRECT, {}, {"email": 1.0}),
    ("last-non-direct-all-direct", "last_non_direct", ALL_DIRECT, {}, {"direct": 1.0}),
    ("last-non-direct-no-direct", "last_non_direct", TWO, {}, {"search": 1.0}),
    (
        "last-non-direct-custom-label",
        "last_non_direct",
        [("search", None, 2 * DAY), ("(direct)", None, DAY)],
        {"direct_channel": "(direct)"},
        {"search": 1.0},
    ),
    ("linear", "linear", SEARCH_EMAIL_DIRECT, {}, {"search": THIRD, "email": THIRD, "direct": THIRD}),
    ("linear-repeat", "linear", REPEAT, {}, {"search": 2 / 3, "email": THIRD}),
    ("linear-one", "linear", ONE, {}, {"display": 1.0}),
    # half-life 1 day, touches 3, 2, 1 days old: raw 1/8, 1/4, 1/2 -> 1/7, 2/7, 4/7
    (
        "time-decay-1d",
        "time_decay",
        SEARCH_EMAIL_DIRECT,
        {"half_life": timedelta(days=1)},
        {"search": 1 / 7, "email": 2 / 7, "direct": 4 / 7},
    ),
    # default half-life 7 days, touches 7 days and 0 s old: raw 1/2, 1 -> 1/3, 2/3
    (
        "time-decay-default",
        "time_decay",
        [("tv", None, 7 * DAY), ("search", None, 0)],
        {},
        {"tv": THIRD, "search": 2 / 3},
    ),
    ("time-decay-same-age", "time_decay", [("a", None, DAY), ("b", None, DAY)], {}, {"a": 0.5, "b": 0.5}),
    ("position-three", "position_based", SEARCH_EMAIL_DIRECT, {}, {"search": 0.4, "email": 0.2, "direct": 0.4}),
    ("position-five", "position_based", FIVE, {}, {"a": 0.4, "b": 0.2 / 3, "c": 0.2 / 3, "d": 0.2 / 3, "e": 0.4}),
    ("position-repeat", "position_based", REPEAT, {}, {"search": 0.8, "email": 0.2}),
    ("position-two", "position_based", TWO, {}, {"social": 0.5, "search": 0.5}),
    ("position-one", "position_based", ONE, {}, {"display": 1.0}),
    (
        "position-custom-two",
        "position_based",
        TWO,
        {"position_weights": (0.3, 0.5, 0.2)},
        {"social": 0.6, "search": 0.4},
    ),
    (
        "position-custom-four",
        "position_based",
        [("a", None, 4), ("b", None, 3), ("c", None, 2), ("d", None, 1)],
        {"position_weights": (0.3, 0.5, 0.2)},
        {"a": 0.3, "b": 0.25, "c": 0.25, "d": 0.2},
    ),
    *[(f"empty-{m}", m, [], {}, {UNATTRIBUTED: 1.0}) for m in MODELS],
]


@pytest.mark.parametrize(("model", "touches", "options", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hand_computed_credit(model: str, touches: list[Touch], options: dict, expected: dict[str, float]) -> None:
    result = attribute(paths_frame((touches, 250.0)), model, **options)
    assert result.columns == list(CREDIT_COLUMNS)
    assert credit_of(result) == pytest.approx(expected)
    values = dict(zip(result["key"].to_list(), result["value"].to_list(), strict=True))
    assert values == pytest.approx({k: 250.0 * v for k, v in expected.items()})


BY_CAMPAIGN = [
    ("first_touch", {"spring": 1.0}),
    ("last_touch", {NO_CAMPAIGN: 1.0}),
    ("last_non_direct", {NO_CAMPAIGN: 1.0}),  # the email touch, which has no campaign
    ("linear", {"spring": THIRD, NO_CAMPAIGN: 2 / 3}),
    ("position_based", {"spring": 0.4, NO_CAMPAIGN: 0.6}),
]


@pytest.mark.parametrize(("model", "expected"), BY_CAMPAIGN)
def test_credit_by_campaign(model: str, expected: dict[str, float]) -> None:
    result = attribute(paths_frame((SEARCH_EMAIL_DIRECT, 10.0)), model, by="campaign")
    assert credit_of(result) == pytest.approx(expected)


def test_last_non_direct_by_campaign_follows_the_channel() -> None:
    touches = [("search", "brand", 3 * DAY), ("email", "newsletter", 2 * DAY), ("direct", "leak", DAY)]
    result = attribute(paths_frame((touches, 1.0)), "last_non_direct", by="campaign")
    assert credit_of(result) == {"newsletter": 1.0}


def test_credit_adds_up_over_several_conversions_and_is_sorted() -> None:
    paths = paths_frame((SEARCH_EMAIL_DIRECT, 300.0), (TWO, 100.0), ([], 50.0), (ONE, 0.0))
    result = attribute(paths, "linear")
    expected = [
        (UNATTRIBUTED, 1.0, 50.0),
        ("display", 1.0, 0.0),
        ("search", THIRD + 0.5, 100.0 + 50.0),
        ("social", 0.5, 50.0),
        ("direct", THIRD, 100.0),
        ("email", THIRD, 100.0),
    ]
    assert result["key"].to_list() == [row[0] for row in expected]
    assert result["conversions"].to_list() == pytest.approx([row[1] for row in expected])
    assert result["value"].to_list() == pytest.approx([row[2] for row in expected])


def test_no_paths_give_no_rows() -> None:
    result = attribute(paths_frame(), "linear")
    assert result.height == 0
    assert result.columns == list(CREDIT_COLUMNS)


def test_time_decay_does_not_underflow_for_old_touches() -> None:
    touches = [("old", None, 60 * DAY), ("older", None, 61 * DAY)]
    result = attribute(paths_frame((touches[::-1], 1.0)), "time_decay", half_life=timedelta(seconds=1))
    assert credit_of(result) == pytest.approx({"old": 1.0})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "u_shaped"}, "unknown attribution model"),
        ({"model": "linear", "by": "source"}, "by must be"),
        ({"model": "time_decay", "half_life": timedelta(0)}, "half_life"),
        ({"model": "position_based", "position_weights": (0.5, 0.5, 0.5)}, "sum to 1"),
        ({"model": "position_based", "position_weights": (0.5, 0.5)}, "first, middle, last"),
        ({"model": "position_based", "position_weights": (0.0, 1.0, 0.0)}, "first or last"),
    ],
)
def test_bad_options_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        attribute(paths_frame((ONE, 1.0)), **kwargs)


touch_strategy = st.tuples(
    st.sampled_from(["search", "social", "email", "direct", "display"]),
    st.one_of(st.none(), st.sampled_from(["spring", "launch", "brand"])),
    st.integers(min_value=0, max_value=90 * DAY),
)
path_strategy = st.tuples(
    st.lists(touch_strategy, max_size=8).map(lambda ts: sorted(ts, key=lambda t: -t[2])),
    st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=150, deadline=None)
@given(
    paths=st.lists(path_strategy, max_size=12),
    model=st.sampled_from(MODELS),
    by=st.sampled_from(["channel", "campaign"]),
    half_life_seconds=st.integers(min_value=1, max_value=60 * DAY),
    first=st.integers(min_value=0, max_value=10),
    middle=st.integers(min_value=0, max_value=10),
)
def test_every_conversion_hands_out_exactly_one_credit_and_its_value(
    paths: list[tuple[list[Touch], float]], model: str, by: str, half_life_seconds: int, first: int, middle: int
) -> None:
    last = 10
    total = first + middle + last
    result = attribute(
        paths_frame(*paths),
        model,
        by=by,
        half_life=timedelta(seconds=half_life_seconds),
        position_weights=(first / total, middle / total, last / total),
    )
    assert result["conversions"].sum() == pytest.approx(len(paths), abs=1e-9)
    assert result["value"].sum() == pytest.approx(sum(v for _, v in paths), rel=1e-9, abs=1e-6)
    assert (result["conversions"] > 0).all()
    assert result["key"].n_unique() == result.height
    unattributed = sum(1 for touches, _ in paths if not touches)
    assert credit_of(result).get(UNATTRIBUTED, 0.0) == unattributed


def test_cost_metrics_per_key() -> None:
    credit = pl.DataFrame(
        {
            "key": ["search", "social", "email", UNATTRIBUTED],
            "conversions": [4.0, 2.0, 0.5, 1.0],
            "value": [8000.0, 0.0, 100.0, 50.0],
        }
    )
    spend = pl.DataFrame(
        {
            "key": ["search", "search", "social", "email", "tv"],
            "amount": [Decimal("1000.00"), Decimal("1000.00"), Decimal("300"), Decimal("0"), Decimal("500")],
        }
    )
    result = cost_metrics(credit, spend)
    assert result.columns == list(COST_COLUMNS)
    assert {row[0]: row[1:] for row in result.rows()} == {
        "search": (4.0, 8000.0, 2000.0, 500.0, 4.0),
        "social": (2.0, 0.0, 300.0, 150.0, 0.0),
        UNATTRIBUTED: (1.0, 50.0, 0.0, 0.0, None),  # no spend: free conversions, ROAS undefined
        "email": (0.5, 100.0, 0.0, 0.0, None),
        "tv": (0.0, 0.0, 500.0, None, 0.0),  # spend without credited conversions
    }
    assert result["key"].to_list() == ["search", "social", UNATTRIBUTED, "email", "tv"]


def test_cost_per_test_drive_end_to_end() -> None:
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    touchpoints = pl.DataFrame(
        {
            "visitor_id": ["v1", "v1", "v2", "v3"],
            "at": [t0 - timedelta(days=5), t0 - timedelta(days=1), t0 - timedelta(days=2), t0 - timedelta(days=40)],
            "channel": ["search", "email", "search", "social"],
            "campaign": ["brand", "nl", "brand", "launch"],
        }
    )
    conversions = pl.DataFrame(
        {
            "conversion_id": ["d1", "d2", "o1"],
            "visitor_id": ["v1", "v2", "v3"],
            "at": [t0, t0, t0],
            "type": ["test_drive_taken", "test_drive_taken", "order"],
            "value": [0.0, 0.0, 42_000.0],
        }
    )
    paths = build_paths(touchpoints, conversions, lookback={"order": timedelta(days=45)})
    drives = attribute(paths.filter(pl.col("type") == "test_drive_taken"), "last_touch", by="campaign")
    metrics = cost_metrics(drives, pl.DataFrame({"key": ["brand", "nl", "launch"], "amount": [90.0, 10.0, 4200.0]}))
    per_drive = dict(zip(metrics["key"].to_list(), metrics["cost_per_conversion"].to_list(), strict=True))
    assert per_drive == {"brand": 90.0, "nl": 10.0, "launch": None}
    orders = attribute(paths.filter(pl.col("type") == "order"), "first_touch", by="campaign")
    roas = cost_metrics(orders, pl.DataFrame({"key": ["launch"], "amount": [4200.0]}))
    assert roas.row(0) == ("launch", 1.0, 42_000.0, 4200.0, 4200.0, 10.0)
