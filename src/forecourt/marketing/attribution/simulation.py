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

from forecourt.marketing.attribution.simulation_campaigns import assign_campaigns, campaign_frames, campaign_table
from forecourt.marketing.attribution.simulation_events import events_frame, store_index
from forecourt.marketing.attribution.simulation_funnel import (
    CONVERSION_TYPES,
    DAY_US,
    EVENT_TYPES,
    US,
    draw_visitors,
    funnel_stages,
    funnel_times,
    ground_truth,
)
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
    v = draw_visitors(visitor_rng, visitors, days, channels, market, funnel)
    n_channels = len(channels)
    counts = v.touches.ravel()
    visitor = np.repeat(np.repeat(np.arange(visitors), n_channels), counts)
    channel = np.repeat(np.tile(np.arange(n_channels), visitors), counts)
    shape = np.array([c.timing for c in channels])
    offset = (touch_rng.beta(shape[channel, 0], shape[channel, 1]) * v.window_us[visitor]).astype(np.int64)
    at_rel = v.window_start_us[visitor] + offset
    table = campaign_table(campaign_rng, channels, market, days)
    day = at_rel // DAY_US
    campaign = assign_campaigns(campaign_rng, table, market, channel, day, v.model[visitor], v.city[visitor])
    start_dt = datetime(start.year, start.month, start.day, tzinfo=UTC)
    start_us = int(start_dt.timestamp()) * US
    touch = {"visitor": visitor, "at": start_us + at_rel, "channel": channel, "campaign": campaign, "day": day}
    lift = np.array([c.lift for c in channels])
    order_lift = np.array([c.order_lift for c in channels])
    stages = funnel_stages(v, lift, order_lift, funnel)
    times = funnel_times(time_rng, start_us + v.window_start_us + v.window_us)
    store = store_index(store_rng, market, v.city)
    price = np.asarray(market.model_prices_minor, dtype=np.int64)[v.model]
    value = price + (store_rng.uniform(0.0, 0.15, visitors) * price // 100).astype(np.int64) * 100
    campaigns, daily = campaign_frames(table, channels, touch, start)
    del touch["day"]
    events = events_frame(seed, v, touch, stages, times, store, value, channels, market, [row["code"] for row in table])
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
        ground_truth=ground_truth(v, channels, funnel),
        start=start_dt,
        end=start_dt + timedelta(days=days),
    )
