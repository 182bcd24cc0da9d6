"""The journey simulator: determinism, frame schemas, funnel invariants, spend bookkeeping, the
counterfactual ground truth, and how well the models recover that truth."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from forecourt.catalog.demo_lineup import MODELS as DEMO_MODELS
from forecourt.catalog.demo_lineup import STORES as DEMO_STORES
from forecourt.marketing.attribution.aggregate import compare_models
from forecourt.marketing.attribution.paths import (
    build_non_converting_paths,
    build_paths,
)
from forecourt.marketing.attribution.simulation import (
    CONVERSION_TYPES,
    DEFAULT_CHANNELS,
    EVENT_TYPES,
    Market,
    simulate,
)

START = date(2026, 3, 1)
_TS = pl.Datetime("us", "UTC")


@pytest.fixture(scope="module")
def small():
    return simulate(42, 8_000, START, 30)


def test_same_seed_same_frames_other_seed_other_frames(small):
    again = simulate(42, 8_000, START, 30)
    for name in ("campaigns", "daily_spend", "events", "touchpoints", "conversions", "ground_truth"):
        assert getattr(small, name).equals(getattr(again, name)), name
    assert not simulate(43, 8_000, START, 30).events.equals(small.events)


def test_frame_schemas(small):
    assert small.campaigns.schema == pl.Schema(
        {
            "code": pl.String,
            "name": pl.String,
            "channel": pl.String,
            "utm_source": pl.String,
            "utm_medium": pl.String,
            "utm_campaign": pl.String,
            "budget_minor": pl.Int64,
            "starts_on": pl.Date,
            "ends_on": pl.Date,
            "target_models": pl.List(pl.String),
            "target_cities": pl.List(pl.String),
        }
    )
    assert small.daily_spend.schema == pl.Schema({"campaign_code": pl.String, "day": pl.Date, "amount_minor": pl.Int64})
    assert small.events.schema == pl.Schema(
        {
            "event_id": pl.String,
            "type": pl.String,
            "visitor_id": pl.String,
            "occurred_at": _TS,
            "channel": pl.String,
            "campaign_code": pl.String,
            "model_code": pl.String,
            "city": pl.String,
            "store_code": pl.String,
            "value_minor": pl.Int64,
        }
    )
    assert small.touchpoints.columns == ["visitor_id", "at", "channel", "campaign"]
    assert small.conversions.columns == ["conversion_id", "visitor_id", "at", "type", "value"]
    assert small.ground_truth.columns == ["type", "channel", "conversions", "incremental", "share"]


def test_events_are_well_formed(small):
    events = small.events
    assert events["event_id"].n_unique() == events.height
    assert set(events["type"].unique()) == set(EVENT_TYPES)
    touches = events.filter(pl.col("type").is_in(["impression", "click", "visit"]))
    assert touches["channel"].null_count() == 0
    assert touches.height == small.touchpoints.height
    assert set(touches["channel"].unique()) == {c.name for c in DEFAULT_CHANNELS}
    assert touches.filter(pl.col("channel") != "direct")["campaign_code"].null_count() == 0
    assert (
        touches.filter(pl.col("channel") == "direct")["campaign_code"].null_count()
        == touches.filter(pl.col("channel") == "direct").height
    )
    funnel = events.filter(~pl.col("type").is_in(["impression", "click", "visit"]))
    assert funnel["channel"].null_count() == funnel.height
    assert funnel["model_code"].null_count() == 0
    orders = events.filter(pl.col("type") == "order")
    assert (orders["value_minor"] > 0).all()
    assert events.filter(pl.col("type") != "order")["value_minor"].null_count() == events.height - orders.height
    assert events["occurred_at"].is_sorted()


def test_default_market_uses_the_demo_catalogue():
    market = Market()
    demo_models = {m.code for m in DEMO_MODELS}
    demo_stores = {s.code: s.city_code for s in DEMO_STORES}
    assert set(market.models) <= demo_models
    for city, stores in market.stores.items():
        assert set(stores) <= set(demo_stores)
        if city in {s.city_code for s in DEMO_STORES}:
            assert {demo_stores[s] for s in stores} == {city}


def test_funnel_order_per_visitor(small):
    """Each funnel event happens at most once per visitor, and only after the stage before it:
    view → booking → drive → order; calculator after view; credit application after the drive
    and before any order; every touch before the vehicle view."""
    funnel = small.events.filter(~pl.col("type").is_in(["impression", "click", "visit"]))
    assert funnel.group_by("visitor_id", "type").len()["len"].max() == 1
    at = funnel.pivot(on="type", index="visitor_id", values="occurred_at")
    pairs = [
        ("vehicle_view", "calculator_use"),
        ("vehicle_view", "test_drive_booked"),
        ("calculator_use", "test_drive_booked"),
        ("test_drive_booked", "test_drive_taken"),
        ("test_drive_taken", "credit_application"),
        ("test_drive_taken", "order"),
        ("credit_application", "order"),
    ]
    for before, after in pairs:
        if before == "calculator_use" or (before == "credit_application"):
            rows = at.filter(pl.col(before).is_not_null() & pl.col(after).is_not_null())
        else:
            rows = at.filter(pl.col(after).is_not_null())
            assert rows[before].null_count() == 0, f"{after} without {before}"
        assert (rows[before] < rows[after]).all(), f"{after} not after {before}"
    last_touch = small.touchpoints.group_by("visitor_id").agg(pl.col("at").max())
    viewed = at.join(last_touch, on="visitor_id").filter(pl.col("vehicle_view").is_not_null())
    assert (viewed["at"] < viewed["vehicle_view"]).all()


def test_stores_match_the_visitor_city(small):
    market = Market()
    booked = small.events.filter(pl.col("type") == "test_drive_booked")
    for city, store in booked.select("city", "store_code").unique().iter_rows():
        assert store in market.stores[city]


def test_daily_spend_follows_touches_and_stays_in_budget(small):
    spend = small.daily_spend.join(small.campaigns, left_on="campaign_code", right_on="code")
    assert (spend["day"] >= spend["starts_on"]).all() and (spend["day"] <= spend["ends_on"]).all()
    totals = spend.group_by("campaign_code").agg(pl.col("amount_minor").sum(), pl.col("budget_minor").first())
    assert (totals["amount_minor"] <= totals["budget_minor"]).all()
    cost = {c.name: c.cost_per_touch_minor for c in DEFAULT_CHANNELS}
    touches = small.touchpoints.filter(pl.col("campaign").is_not_null()).group_by("channel").len()
    by_channel = spend.group_by("channel").agg(pl.col("amount_minor").sum())
    expected = {ch: n * cost[ch] for ch, n in touches.iter_rows()}
    assert dict(by_channel.iter_rows()) == expected


def test_ground_truth_is_a_counterfactual_share(small):
    truth = small.ground_truth
    assert set(truth["type"].unique()) == set(CONVERSION_TYPES)
    assert (truth["incremental"] >= 0).all()  # lifts are non-negative, so removal never helps
    for kind in CONVERSION_TYPES:
        of_type = truth.filter(pl.col("type") == kind)
        assert of_type["share"].sum() == pytest.approx(1.0)
        assert of_type["conversions"].unique().to_list() == [small.conversions.filter(pl.col("type") == kind).height]
    zero_lift = {c.name for c in DEFAULT_CHANNELS if c.lift == 0 and c.order_lift == 0}
    assert set(truth.filter(pl.col("incremental") == 0)["channel"]) >= zero_lift


# --- recovering the truth ---------------------------------------------------------------------

STRONG = ("search", "marketplace", "video")
NEAR_ZERO = ("display", "email", "sms", "direct")
LATE_REMINDERS = ("email", "sms", "direct")


@pytest.fixture(scope="module")
def recovered() -> pl.DataFrame:
    """Shares of test drives (channels only, "(none)" left out) beside the true shares; about
    270,000 touchpoints and 2,500 test drives."""
    sim = simulate(2026, 150_000, START, 90)
    booked = sim.conversions.filter(pl.col("type") == "test_drive_booked")
    lookback = timedelta(days=91)  # the whole period: journeys are never cut short
    paths = build_paths(sim.touchpoints, booked, lookback=lookback)
    nulls = build_non_converting_paths(sim.touchpoints, booked, end=sim.end, lookback=lookback)
    models = ("markov", "shapley", "last_touch")
    credit = compare_models(paths, nulls, models).filter(pl.col("key") != "(none)")
    truth = sim.ground_truth.filter(pl.col("type") == "test_drive_booked")
    return truth.select(pl.col("channel").alias("key"), pl.col("share").alias("truth")).join(
        credit.with_columns(pl.col(m) / pl.col(m).sum() for m in models), on="key"
    )


def _share(frame: pl.DataFrame, model: str) -> dict[str, float]:
    return dict(frame.select("key", model).iter_rows())


@pytest.mark.parametrize("model", ["markov", "shapley"])
def test_markov_and_shapley_rank_strong_channels_above_near_zero_ones(recovered, model):
    share = _share(recovered, model)
    assert min(share[c] for c in STRONG) > max(share[c] for c in NEAR_ZERO)


# Presence-based models hand a zero-effect channel credit for every converting path it merely
# shares with an effective one, which the counterfactual truth never does; with the default
# world (1.8 touches per visitor) that structural bias reaches 0.08 of share for Shapley and
# 0.14 for first-order Markov (which, being memoryless, also under-credits channels whose
# effect shows after later touches), far above the sampling noise (about 0.01 of share at
# 2,500 conversions). The tolerances are that bias plus a margin of 0.02; they catch a model
# that breaks, not one that is imperfect by design.
MAX_SHARE_ERROR = {"shapley": 0.10, "markov": 0.16}
MAX_TOTAL_VARIATION = {"shapley": 0.22, "markov": 0.35}


@pytest.mark.parametrize("model", ["markov", "shapley"])
def test_shares_are_within_the_structural_bias_of_the_truth(recovered, model):
    error = recovered.select((pl.col(model) - pl.col("truth")).abs())[model]
    assert error.max() <= MAX_SHARE_ERROR[model]
    assert error.sum() / 2 <= MAX_TOTAL_VARIATION[model]


def test_last_touch_is_fooled_by_late_reminders(recovered):
    """Email, sms and direct come last in a journey and change nothing; last touch hands them
    far more than the presence-based models do, and starves video, which comes early."""
    truth, last = _share(recovered, "truth"), _share(recovered, "last_touch")
    markov, shapley = _share(recovered, "markov"), _share(recovered, "shapley")
    reminders = {
        name: sum(s[c] for c in LATE_REMINDERS)
        for name, s in [("truth", truth), ("last", last), ("markov", markov), ("shapley", shapley)]
    }
    assert reminders["truth"] < 0.01
    assert reminders["last"] > 0.25
    assert reminders["last"] > reminders["markov"] + 0.05 > reminders["shapley"] + 0.05
    assert last["video"] < 0.6 * truth["video"] < shapley["video"]
