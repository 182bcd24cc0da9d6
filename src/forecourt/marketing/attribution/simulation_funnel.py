"""Journey simulator, the visitors: who they are and when they are touched, which funnel stage each reaches,
when, and the ground truth of every channel (what switching it off costs, with common random numbers).

Pure: numpy, polars and the standard library. See `simulation` for the model of the world.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from forecourt.marketing.attribution.simulation_world import ChannelSpec, Funnel, Market

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
FUNNEL_STAGES = EVENT_TYPES[3:]
US = 1_000_000
DAY_US = 86_400 * US
HOUR_US = 3_600 * US
TIMESTAMP = pl.Datetime("us", "UTC")


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True, eq=False)
class Visitors:
    city: np.ndarray
    model: np.ndarray
    intent: np.ndarray
    window_start_us: np.ndarray
    window_us: np.ndarray
    touches: np.ndarray  # (visitors, channels) counts
    uniforms: np.ndarray  # (visitors, 6): view, calculator, booking, drive, credit, order


def draw_visitors(
    rng: np.random.Generator, visitors: int, days: int, channels: Sequence[ChannelSpec], market: Market, funnel: Funnel
) -> Visitors:
    reach = np.array([c.reach for c in channels])
    touches = rng.poisson(reach, size=(visitors, len(channels)))
    touches[np.arange(visitors), rng.choice(len(channels), size=visitors, p=reach / reach.sum())] += 1
    window_days = np.minimum(rng.uniform(1.0, 21.0, visitors), days)
    window_us = (window_days * DAY_US).astype(np.int64)
    return Visitors(
        city=rng.choice(
            len(market.cities), size=visitors, p=np.asarray(market.city_weights) / sum(market.city_weights)
        ),
        model=rng.choice(
            len(market.models), size=visitors, p=np.asarray(market.model_weights) / sum(market.model_weights)
        ),
        intent=funnel.view_logit + rng.normal(0.0, funnel.intent_sd, visitors),
        window_start_us=(rng.uniform(0.0, 1.0, visitors) * (days * DAY_US - window_us)).astype(np.int64),
        window_us=window_us,
        touches=touches,
        uniforms=rng.uniform(size=(visitors, 6)),
    )


def funnel_stages(v: Visitors, lift: np.ndarray, order_lift: np.ndarray, funnel: Funnel) -> dict[str, np.ndarray]:
    """Which visitors reach each funnel stage, given touch counts (the only thing a removal changes)."""
    u = v.uniforms
    viewed = u[:, 0] < sigmoid(v.intent + v.touches @ lift)
    calculated = viewed & (u[:, 1] < funnel.calculator)
    booked = viewed & (u[:, 2] < np.where(calculated, funnel.booking_after_calculator, funnel.booking))
    taken = booked & (u[:, 3] < funnel.drive_taken)
    ordered = taken & (u[:, 5] < sigmoid(funnel.order_logit + v.touches @ order_lift))
    credit = taken & (u[:, 4] < np.where(ordered, funnel.credit_if_order, funnel.credit_if_no_order))
    return dict(zip(FUNNEL_STAGES, (viewed, calculated, booked, taken, credit, ordered), strict=True))


def ground_truth(v: Visitors, channels: Sequence[ChannelSpec], funnel: Funnel) -> pl.DataFrame:
    lift = np.array([c.lift for c in channels])
    order_lift = np.array([c.order_lift for c in channels])
    actual = funnel_stages(v, lift, order_lift, funnel)
    rows = []
    for i, channel in enumerate(channels):
        switched_off = Visitors(**{**v.__dict__, "touches": np.where(np.arange(len(channels)) == i, 0, v.touches)})
        removed = funnel_stages(switched_off, lift, order_lift, funnel)
        for kind in CONVERSION_TYPES:
            rows.append((kind, channel.name, int(actual[kind].sum()), int(actual[kind].sum() - removed[kind].sum())))
    frame = pl.DataFrame(rows, schema=["type", "channel", "conversions", "incremental"], orient="row")
    total = pl.col("incremental").sum().over("type")
    return frame.with_columns(share=pl.when(total > 0).then(pl.col("incremental") / total).otherwise(0.0))


def funnel_times(rng: np.random.Generator, decision_us: np.ndarray) -> dict[str, np.ndarray]:
    """Strictly increasing stage times: view < calculator < booking < drive < credit < order."""
    n = len(decision_us)

    def exp_us(mean_us: float) -> np.ndarray:
        return rng.exponential(mean_us, n).astype(np.int64)

    view = decision_us + 60 * US + exp_us(600 * US)
    booked = view + 1_200 * US + exp_us(3 * HOUR_US)
    taken = booked + DAY_US + exp_us(3 * DAY_US)
    credit = taken + HOUR_US + exp_us(DAY_US)
    return {
        "vehicle_view": view,
        "calculator_use": view + 30 * US + rng.integers(0, 900 * US, n),
        "test_drive_booked": booked,
        "test_drive_taken": taken,
        "credit_application": credit,
        "order": credit + HOUR_US + exp_us(2 * DAY_US),
    }
