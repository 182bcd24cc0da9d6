"""Seeded simulator of car-buying journeys whose true channel effects are known.

Pure code (numpy, polars, standard library), vectorised: every step draws arrays for all
visitors or all touches at once, so a million touchpoints take two to three seconds.

The world it simulates:

- Each visitor has a city, a model of interest, an intent (logit) and a consideration window
  of 1-21 days. Channel exposure is *exogenous*: every visitor gets one touch from a channel
  drawn in proportion to reach, plus Poisson(reach) touches per channel, independent of intent.
  A touch lands at ``Beta(a, b)`` of the way through the window, so awareness channels (video,
  social) come early and reminders (email, sms, direct) late.
- At the end of the window the visitor views a vehicle with probability
  ``sigmoid(intent + sum of per-touch lifts)``; then calculator use, test-drive booking,
  the drive itself, a credit application and an order follow at fixed rates, except that the
  order also has per-touch lifts (events and referrals help close a sale).
- Every decision compares one pre-drawn uniform with its probability. The ground truth of a
  channel is what switching it off costs: the same visitors, the same uniforms (common random
  numbers), the channel's touches gone. ``incremental`` is conversions lost, ``share`` its
  fraction of the sum over channels. The truth is defined by the simulation, not by any model.

Default channels: search, video and marketplace are strong (large lift and reach), offline
events and referrals strong per touch but rare, social medium, display, email, sms and direct
near zero. Presence-based models (Markov removal effects, Shapley) can approach the truth only
because exposure here does not depend on intent (with retargeting they could not), and even
so a zero-effect channel collects credit for every converting path it merely shares: in the
default world Shapley's shares stay within about 0.08 of the truth and first-order Markov's
within about 0.14 (tests/marketing/test_simulation.py). Last touch is fooled by timing alone:
late, useless reminders take the last click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from forecourt.marketing.attribution.simulation_world import DEFAULT_CHANNELS, ChannelSpec, Funnel, Market

__all__ = [
    "CONVERSION_TYPES",
    "DEFAULT_CHANNELS",
    "EVENT_TYPES",
    "ChannelSpec",
    "Funnel",
    "Market",
    "Simulation",
    "simulate",
]

CONVERSION_TYPES: tuple[str, ...] = ("test_drive_booked", "order")
EVENT_TYPES: tuple[str, ...] = (
    "impression",
    "click",
    "visit",
    "vehicle_view",
    "calculator_use",
    "test_drive_booked",
    "test_drive_taken",
    "credit_application",
    "order",
)
_FUNNEL = EVENT_TYPES[3:]
_US = 1_000_000
_DAY_US = 86_400 * _US
_HOUR_US = 3_600 * _US
_TS = pl.Datetime("us", "UTC")


@dataclass(frozen=True, eq=False)
class Simulation:
    """Frames of one simulated period ``[start, end)``; see the module docstring for the model.

    - ``campaigns``: code, name, channel, utm_source, utm_medium, utm_campaign, budget_minor (fen),
      starts_on, ends_on, target_models, target_cities (lists of codes).
    - ``daily_spend``: campaign_code, day, amount_minor (fen; touches that day × cost per touch).
    - ``events``: event_id, type (:data:`EVENT_TYPES`), visitor_id, occurred_at (UTC), channel and
      campaign_code (touches only; direct has no campaign), model_code, city, store_code (bookings,
      drives, credit applications, orders), value_minor (orders only), sorted by time.
    - ``touchpoints`` (visitor_id, at, channel, campaign) and ``conversions`` (conversion_id,
      visitor_id, at, type, value) as ``paths.build_paths`` takes them; conversion types are
      :data:`CONVERSION_TYPES`. Funnel events may fall after ``end`` (an order weeks after a drive).
    - ``ground_truth``: type, channel, conversions, incremental (conversions lost with the
      channel switched off), share (of the sum of incrementals for that type).
    """

    campaigns: pl.DataFrame
    daily_spend: pl.DataFrame
    events: pl.DataFrame
    touchpoints: pl.DataFrame
    conversions: pl.DataFrame
    ground_truth: pl.DataFrame
    start: datetime
    end: datetime


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True, eq=False)
class _Visitors:
    city: np.ndarray
    model: np.ndarray
    intent: np.ndarray
    window_start_us: np.ndarray
    window_us: np.ndarray
    touches: np.ndarray  # (visitors, channels) counts
    uniforms: np.ndarray  # (visitors, 6): view, calculator, booking, drive, credit, order


def _draw_visitors(
    rng: np.random.Generator, visitors: int, days: int, channels: Sequence[ChannelSpec], market: Market, funnel: Funnel
) -> _Visitors:
    reach = np.array([c.reach for c in channels])
    touches = rng.poisson(reach, size=(visitors, len(channels)))
    touches[np.arange(visitors), rng.choice(len(channels), size=visitors, p=reach / reach.sum())] += 1
    window_days = np.minimum(rng.uniform(1.0, 21.0, visitors), days)
    window_us = (window_days * _DAY_US).astype(np.int64)
    return _Visitors(
        city=rng.choice(
            len(market.cities), size=visitors, p=np.asarray(market.city_weights) / sum(market.city_weights)
        ),
        model=rng.choice(
            len(market.models), size=visitors, p=np.asarray(market.model_weights) / sum(market.model_weights)
        ),
        intent=funnel.view_logit + rng.normal(0.0, funnel.intent_sd, visitors),
        window_start_us=(rng.uniform(0.0, 1.0, visitors) * (days * _DAY_US - window_us)).astype(np.int64),
        window_us=window_us,
        touches=touches,
        uniforms=rng.uniform(size=(visitors, 6)),
    )


def _stages(v: _Visitors, lift: np.ndarray, order_lift: np.ndarray, funnel: Funnel) -> dict[str, np.ndarray]:
    """Which visitors reach each funnel stage, given touch counts (the only thing a removal changes)."""
    u = v.uniforms
    viewed = u[:, 0] < _sigmoid(v.intent + v.touches @ lift)
    calculated = viewed & (u[:, 1] < funnel.calculator)
    booked = viewed & (u[:, 2] < np.where(calculated, funnel.booking_after_calculator, funnel.booking))
    taken = booked & (u[:, 3] < funnel.drive_taken)
    ordered = taken & (u[:, 5] < _sigmoid(funnel.order_logit + v.touches @ order_lift))
    credit = taken & (u[:, 4] < np.where(ordered, funnel.credit_if_order, funnel.credit_if_no_order))
    return dict(zip(_FUNNEL, (viewed, calculated, booked, taken, credit, ordered), strict=True))


def _ground_truth(v: _Visitors, channels: Sequence[ChannelSpec], funnel: Funnel) -> pl.DataFrame:
    lift = np.array([c.lift for c in channels])
    order_lift = np.array([c.order_lift for c in channels])
    actual = _stages(v, lift, order_lift, funnel)
    rows = []
    for i, channel in enumerate(channels):
        switched_off = _Visitors(**{**v.__dict__, "touches": np.where(np.arange(len(channels)) == i, 0, v.touches)})
        removed = _stages(switched_off, lift, order_lift, funnel)
        for kind in CONVERSION_TYPES:
            rows.append((kind, channel.name, int(actual[kind].sum()), int(actual[kind].sum() - removed[kind].sum())))
    frame = pl.DataFrame(rows, schema=["type", "channel", "conversions", "incremental"], orient="row")
    total = pl.col("incremental").sum().over("type")
    return frame.with_columns(share=pl.when(total > 0).then(pl.col("incremental") / total).otherwise(0.0))


def _campaign_table(rng: np.random.Generator, channels: Sequence[ChannelSpec], market: Market, days: int) -> list[dict]:
    """Per channel an always-on campaign over the period plus bursts aimed at two models and cities."""
    rows = []
    for ci, ch in enumerate(channels):
        if ch.name == "direct":  # typed-in visits come from no campaign
            continue
        rows.append(
            {
                "channel_index": ci,
                "code": f"{ch.name}-always-on",
                "first_day": 0,
                "last_day": days - 1,
                "models": list(market.models),
                "cities": list(market.cities),
            }
        )
        for b in range(ch.bursts):
            length = int(rng.integers(min(7, days), min(21, days) + 1))
            first = int(rng.integers(0, days - length + 1))
            models = sorted(rng.choice(len(market.models), min(2, len(market.models)), replace=False))
            cities = sorted(rng.choice(len(market.cities), min(2, len(market.cities)), replace=False))
            rows.append(
                {
                    "channel_index": ci,
                    "code": f"{ch.name}-burst-{b + 1}",
                    "first_day": first,
                    "last_day": first + length - 1,
                    "models": [market.models[m] for m in models],
                    "cities": [market.cities[c] for c in cities],
                }
            )
    return rows


def _assign_campaigns(
    rng: np.random.Generator,
    table: list[dict],
    market: Market,
    channel: np.ndarray,
    day: np.ndarray,
    model: np.ndarray,
    city: np.ndarray,
) -> np.ndarray:
    """Campaign row per touch (-1 for none), uniform among the channel's campaigns live that day and
    aimed at the visitor's model and city; one channel at a time keeps the mask small."""
    out = np.full(len(channel), -1, dtype=np.int64)
    pick = rng.uniform(size=len(channel))
    for ci in np.unique(channel):
        rows = [k for k, row in enumerate(table) if row["channel_index"] == ci]
        if not rows:
            continue
        idx = np.flatnonzero(channel == ci)
        eligible = np.zeros((len(idx), len(rows)), dtype=bool)
        for j, k in enumerate(rows):
            row = table[k]
            model_ok = np.isin(np.arange(len(market.models)), [market.models.index(m) for m in row["models"]])
            city_ok = np.isin(np.arange(len(market.cities)), [market.cities.index(c) for c in row["cities"]])
            eligible[:, j] = (day[idx] >= row["first_day"]) & (day[idx] <= row["last_day"])
            eligible[:, j] &= model_ok[model[idx]] & city_ok[city[idx]]
        count = eligible.sum(axis=1)
        nth = np.floor(pick[idx] * count).astype(np.int64)
        chosen = np.asarray(rows)[np.argmax(np.cumsum(eligible, axis=1) > nth[:, None], axis=1)]
        out[idx] = np.where(count > 0, chosen, -1)
    return out


def _funnel_times(rng: np.random.Generator, decision_us: np.ndarray) -> dict[str, np.ndarray]:
    """Strictly increasing stage times: view < calculator < booking < drive < credit < order."""
    n = len(decision_us)

    def exp_us(mean_us: float) -> np.ndarray:
        return rng.exponential(mean_us, n).astype(np.int64)

    view = decision_us + 60 * _US + exp_us(600 * _US)
    booked = view + 1_200 * _US + exp_us(3 * _HOUR_US)
    taken = booked + _DAY_US + exp_us(3 * _DAY_US)
    credit = taken + _HOUR_US + exp_us(_DAY_US)
    return {
        "vehicle_view": view,
        "calculator_use": view + 30 * _US + rng.integers(0, 900 * _US, n),
        "test_drive_booked": booked,
        "test_drive_taken": taken,
        "credit_application": credit,
        "order": credit + _HOUR_US + exp_us(2 * _DAY_US),
    }


def _lookup(values: Sequence[str], index: np.ndarray) -> pl.Series:
    """Strings by index, null where the index is -1."""
    table = pl.Series(list(values) + [None], dtype=pl.String)
    return table.gather(np.where(index < 0, len(values), index))


def _store_index(rng: np.random.Generator, market: Market, city: np.ndarray) -> tuple[list[str], np.ndarray]:
    codes = sorted({s for stores in market.stores.values() for s in stores})
    per_city = [[codes.index(s) for s in market.stores[c]] for c in market.cities]
    width = max(len(p) for p in per_city)
    padded = np.array([p + [p[0]] * (width - len(p)) for p in per_city])
    sizes = np.array([len(p) for p in per_city])
    slot = np.floor(rng.uniform(size=len(city)) * sizes[city]).astype(np.int64)
    return codes, padded[city, slot]


def _events(
    seed: int,
    v: _Visitors,
    touch: dict[str, np.ndarray],
    stages: dict[str, np.ndarray],
    times: dict[str, np.ndarray],
    store: tuple[list[str], np.ndarray],
    value: np.ndarray,
    channels: Sequence[ChannelSpec],
    market: Market,
    campaign_codes: list[str],
) -> pl.DataFrame:
    parts = [dict(touch, store=np.full(len(touch["visitor"]), -1), value=np.full(len(touch["visitor"]), -1))]
    parts[0]["type"] = np.array([EVENT_TYPES.index(c.touch_type) for c in channels])[touch["channel"]]
    parts[0]["model"] = np.full(len(touch["visitor"]), -1)
    for kind in _FUNNEL:
        who = np.flatnonzero(stages[kind])
        at_store = kind not in ("vehicle_view", "calculator_use")
        parts.append(
            {
                "visitor": who,
                "at": times[kind][who],
                "channel": np.full(len(who), -1),
                "campaign": np.full(len(who), -1),
                "type": np.full(len(who), EVENT_TYPES.index(kind)),
                "model": v.model[who],
                "store": store[1][who] if at_store else np.full(len(who), -1),
                "value": value[who] if kind == "order" else np.full(len(who), -1),
            }
        )
    col = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((col["type"], col["visitor"], col["at"]))
    col = {k: a[order] for k, a in col.items()}
    width = len(str(max(len(v.intent) - 1, 0)))
    return pl.DataFrame(
        {
            "event_id": pl.int_range(0, len(order), eager=True).cast(pl.String).str.zfill(10),
            "type": _lookup(EVENT_TYPES, col["type"]),
            "visitor_id": pl.Series(col["visitor"]).cast(pl.String).str.zfill(width),
            "occurred_at": pl.Series(col["at"]).cast(_TS),
            "channel": _lookup([c.name for c in channels], col["channel"]),
            "campaign_code": _lookup(campaign_codes, col["campaign"]),
            "model_code": _lookup(market.models, col["model"]),
            "city": _lookup(market.cities, v.city[col["visitor"]]),
            "store_code": _lookup(store[0], col["store"]),
            "value_minor": pl.Series(col["value"]).cast(pl.Int64),
        }
    ).with_columns(
        pl.concat_str(pl.lit(f"e{seed}-"), "event_id").alias("event_id"),
        pl.concat_str(pl.lit("v"), "visitor_id").alias("visitor_id"),
        pl.when(pl.col("value_minor") >= 0).then("value_minor").alias("value_minor"),
    )


def _campaign_frames(
    table: list[dict], channels: Sequence[ChannelSpec], touch: dict[str, np.ndarray], start: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Campaigns and their daily spend: touches that day × the channel's cost per touch, in fen;
    the budget is total spend plus 10 %, rounded up to whole thousands of yuan."""
    live = touch["campaign"] >= 0
    cost = np.array([channels[row["channel_index"]].cost_per_touch_minor for row in table], dtype=np.int64)
    campaign = touch["campaign"][live]
    spend = (
        pl.DataFrame({"campaign": campaign, "day": touch["day"][live], "cost": cost[campaign]})
        .group_by("campaign", "day")
        .agg(pl.col("cost").sum().alias("amount_minor"))
    )
    daily = spend.select(
        _lookup([row["code"] for row in table], spend["campaign"].to_numpy()).alias("campaign_code"),
        (pl.lit(start) + pl.duration(days=pl.col("day"))).cast(pl.Date).alias("day"),
        "amount_minor",
    ).sort("campaign_code", "day")
    totals = dict(spend.group_by("campaign").agg(pl.col("amount_minor").sum()).iter_rows())
    budget_step = 100_000  # 1,000 yuan
    campaigns = pl.DataFrame(
        [
            {
                "code": row["code"],
                "name": f"{channels[row['channel_index']].name.replace('_', ' ').title()} {row['code'].split('-', 1)[1].replace('-', ' ')}",
                "channel": channels[row["channel_index"]].name,
                "utm_source": channels[row["channel_index"]].utm_source,
                "utm_medium": channels[row["channel_index"]].utm_medium,
                "utm_campaign": row["code"].replace("-", "_"),
                "budget_minor": max(1, -(-int(totals.get(k, 0) * 11 // 10) // budget_step)) * budget_step,
                "starts_on": start + timedelta(days=row["first_day"]),
                "ends_on": start + timedelta(days=row["last_day"]),
                "target_models": row["models"],
                "target_cities": row["cities"],
            }
            for k, row in enumerate(table)
        ],
        schema_overrides={
            "budget_minor": pl.Int64,
            "target_models": pl.List(pl.String),
            "target_cities": pl.List(pl.String),
        },
    )
    return campaigns, daily


def simulate(
    seed: int,
    visitors: int,
    start: date,
    days: int,
    *,
    channels: Sequence[ChannelSpec] = DEFAULT_CHANNELS,
    market: Market | None = None,
    funnel: Funnel | None = None,
) -> Simulation:
    """Journeys of ``visitors`` visitors over ``days`` days from ``start`` (UTC midnight).

    Everything is a function of ``seed``: separate random streams (spawned from one seed
    sequence) feed visitors, touch times, campaigns and funnel timing, so the same arguments
    give equal frames. About 1.8 touches per visitor with the default channels.
    """
    if visitors < 1 or days < 1:
        raise ValueError(f"visitors and days must be positive, got {visitors} and {days}")
    market = market or Market()
    funnel = funnel or Funnel()
    visitor_rng, touch_rng, campaign_rng, time_rng, store_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    v = _draw_visitors(visitor_rng, visitors, days, channels, market, funnel)
    n_channels = len(channels)
    counts = v.touches.ravel()
    visitor = np.repeat(np.repeat(np.arange(visitors), n_channels), counts)
    channel = np.repeat(np.tile(np.arange(n_channels), visitors), counts)
    shape = np.array([c.timing for c in channels])
    offset = (touch_rng.beta(shape[channel, 0], shape[channel, 1]) * v.window_us[visitor]).astype(np.int64)
    at_rel = v.window_start_us[visitor] + offset
    table = _campaign_table(campaign_rng, channels, market, days)
    day = at_rel // _DAY_US
    campaign = _assign_campaigns(campaign_rng, table, market, channel, day, v.model[visitor], v.city[visitor])
    start_dt = datetime(start.year, start.month, start.day, tzinfo=UTC)
    start_us = int(start_dt.timestamp()) * _US
    touch = {"visitor": visitor, "at": start_us + at_rel, "channel": channel, "campaign": campaign, "day": day}
    lift = np.array([c.lift for c in channels])
    order_lift = np.array([c.order_lift for c in channels])
    stages = _stages(v, lift, order_lift, funnel)
    times = _funnel_times(time_rng, start_us + v.window_start_us + v.window_us)
    store = _store_index(store_rng, market, v.city)
    price = np.asarray(market.model_prices_minor, dtype=np.int64)[v.model]
    value = price + (store_rng.uniform(0.0, 0.15, visitors) * price // 100).astype(np.int64) * 100
    campaigns, daily = _campaign_frames(table, channels, touch, start)
    del touch["day"]
    events = _events(seed, v, touch, stages, times, store, value, channels, market, [row["code"] for row in table])
    return Simulation(
        campaigns=campaigns,
        daily_spend=daily,
        events=events,
        touchpoints=events.filter(pl.col("channel").is_not_null()).select(
            "visitor_id", pl.col("occurred_at").alias("at"), "channel", pl.col("campaign_code").alias("campaign")
        ),
        conversions=events.filter(pl.col("type").is_in(CONVERSION_TYPES)).select(
            pl.col("event_id").alias("conversion_id"),
            "visitor_id",
            pl.col("occurred_at").alias("at"),
            "type",
            pl.col("value_minor").alias("value"),
        ),
        ground_truth=_ground_truth(v, channels, funnel),
        start=start_dt,
        end=start_dt + timedelta(days=days),
    )
