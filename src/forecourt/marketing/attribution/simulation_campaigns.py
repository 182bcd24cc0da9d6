"""Journey simulator, the campaigns: an always-on campaign per channel plus targeted bursts, which campaign each
touch belongs to, and the campaign and daily-spend frames.

Pure: numpy, polars and the standard library.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import polars as pl

from forecourt.marketing.attribution.simulation_events import lookup
from forecourt.marketing.attribution.simulation_world import ChannelSpec, Market


def campaign_table(rng: np.random.Generator, channels: Sequence[ChannelSpec], market: Market, days: int) -> list[dict]:
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


def assign_campaigns(
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


def campaign_frames(
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
        lookup([row["code"] for row in table], spend["campaign"].to_numpy()).alias("campaign_code"),
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
