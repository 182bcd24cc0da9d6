"""Journey simulator, the event frame: touches and funnel events of every visitor as one time-ordered table,
with the store a visitor books at and the value of an order.

Pure: numpy, polars and the standard library.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from forecourt.marketing.attribution.simulation_funnel import EVENT_TYPES, FUNNEL_STAGES, TIMESTAMP, Visitors
from forecourt.marketing.attribution.simulation_world import ChannelSpec, Market


def lookup(values: Sequence[str], index: np.ndarray) -> pl.Series:
    """Strings by index, null where the index is -1."""
    table = pl.Series(list(values) + [None], dtype=pl.String)
    return table.gather(np.where(index < 0, len(values), index))


def store_index(rng: np.random.Generator, market: Market, city: np.ndarray) -> tuple[list[str], np.ndarray]:
    codes = sorted({s for stores in market.stores.values() for s in stores})
    per_city = [[codes.index(s) for s in market.stores[c]] for c in market.cities]
    width = max(len(p) for p in per_city)
    padded = np.array([p + [p[0]] * (width - len(p)) for p in per_city])
    sizes = np.array([len(p) for p in per_city])
    slot = np.floor(rng.uniform(size=len(city)) * sizes[city]).astype(np.int64)
    return codes, padded[city, slot]


def events_frame(
    seed: int,
    v: Visitors,
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
    for kind in FUNNEL_STAGES:
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
            "type": lookup(EVENT_TYPES, col["type"]),
            "visitor_id": pl.Series(col["visitor"]).cast(pl.String).str.zfill(width),
            "occurred_at": pl.Series(col["at"]).cast(TIMESTAMP),
            "channel": lookup([c.name for c in channels], col["channel"]),
            "campaign_code": lookup(campaign_codes, col["campaign"]),
            "model_code": lookup(market.models, col["model"]),
            "city": lookup(market.cities, v.city[col["visitor"]]),
            "store_code": lookup(store[0], col["store"]),
            "value_minor": pl.Series(col["value"]).cast(pl.Int64),
        }
    ).with_columns(
        pl.concat_str(pl.lit(f"e{seed}-"), "event_id").alias("event_id"),
        pl.concat_str(pl.lit("v"), "visitor_id").alias("visitor_id"),
        pl.when(pl.col("value_minor") >= 0).then("value_minor").alias("value_minor"),
    )
