"""Attribution input: people's touches and conversions loaded from the stored events, and the converting and
non-converting paths built from them for one conversion type and period.

Touches are the stored impression, click and visit events that carry a channel; conversions are the stored
events of the chosen type in the period. People are stitched across devices by `person_events_frame`.
Models come from `attribution.aggregate.run_model`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
from sqlalchemy.orm import Session

from forecourt.marketing import event_repository
from forecourt.marketing.attribution import aggregate
from forecourt.marketing.attribution.paths import (
    build_non_converting_paths,
    build_paths,
)
from forecourt.marketing.vocabulary import CONVERSION_TYPES, TOUCH_TYPES

LOAD_CHUNK = timedelta(days=7)

Progress = Callable[[str, int, int], None]  # (step, done, total)


def no_progress(step: str, done: int, total: int) -> None:
    del step, done, total


@dataclass(frozen=True, eq=False)
class Journeys:
    """Touches (``visitor_id, at, channel, campaign``) and conversions (``conversion_id, visitor_id, at, type,
    value, model_code, city``) of people, the visitor id being the stitched person id."""

    touchpoints: pl.DataFrame
    conversions: pl.DataFrame


def load_journeys(
    session: Session, start: datetime, end: datetime, lookback: timedelta, progress: Progress = no_progress
) -> Journeys:
    """Touches in [start − lookback, end) and conversions of every type in [start − lookback, end), loaded a week at
    a time (so a progress bar moves on long periods)."""
    first = start - lookback
    bounds = []
    at = first
    while at < end:
        bounds.append((at, min(at + LOAD_CHUNK, end)))
        at += LOAD_CHUNK
    frames = []
    for done, (a, b) in enumerate(bounds, start=1):
        frames.append(event_repository.person_events_frame(session, TOUCH_TYPES + CONVERSION_TYPES, a, b))
        progress("load", done, len(bounds))
    events = pl.concat(frames) if frames else event_repository.person_events_frame(session, (), start, end)
    return journeys_from_events(events)


def journeys_from_events(events: pl.DataFrame) -> Journeys:
    """Split a `person_events_frame` into touchpoints (touches with a channel) and conversions."""
    touches = events.filter(pl.col("type").is_in(TOUCH_TYPES) & pl.col("channel").is_not_null()).select(
        pl.col("person_id").alias("visitor_id"), "at", "channel", pl.col("campaign_code").alias("campaign")
    )
    conversions = events.filter(pl.col("type").is_in(CONVERSION_TYPES)).select(
        pl.col("event_id").alias("conversion_id"),
        pl.col("person_id").alias("visitor_id"),
        "at",
        "type",
        pl.col("value").cast(pl.Float64),
        "model_code",
        "city",
    )
    return Journeys(touches, conversions)


@dataclass(frozen=True, eq=False)
class PathSet:
    paths: pl.DataFrame  # converting paths of the conversion type in the period
    non_converting: pl.DataFrame


def path_set(
    journeys: Journeys,
    conversion: str,
    start: datetime,
    end: datetime,
    lookback: timedelta,
    *,
    vehicle_model: str | None = None,
    city: str | None = None,
) -> PathSet:
    of_type = journeys.conversions.filter(pl.col("type") == conversion)
    in_period = of_type.filter((pl.col("at") >= start) & (pl.col("at") < end))
    if vehicle_model:
        in_period = in_period.filter(pl.col("model_code") == vehicle_model)
    if city:
        in_period = in_period.filter(pl.col("city") == city)
    touches = journeys.touchpoints.filter(pl.col("at") < end)
    paths = build_paths(touches, in_period, lookback=lookback)
    # Null journeys: touched within the last window, no conversion of this type after the touches.
    non_converting = build_non_converting_paths(
        touches, of_type, end=end - timedelta(microseconds=1), lookback=lookback
    )
    return PathSet(paths, non_converting)


def credit(paths: PathSet, model: str, *, by: str = "channel", order: int = 1) -> pl.DataFrame:
    """``key, conversions, value`` (floats) of one model."""
    return aggregate.run_model(paths.paths, paths.non_converting, model, by=by, order=order)  # type: ignore[arg-type]
