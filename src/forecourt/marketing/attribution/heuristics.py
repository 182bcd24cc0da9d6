"""Rule-based attribution: first / last / last non-direct touch, linear, time decay, position-based.

Pure code (polars and the standard library only). Input is the frame of
:func:`forecourt.marketing.attribution.paths.build_paths` (columns ``value``, ``channels``,
``campaigns``, ``seconds_before``); filter it by ``type`` first to attribute one kind of
conversion (test drives, orders, ...). Every conversion hands out exactly 1.0 of credit and
exactly its value: a conversion with an empty path credits ``"(none)"``, a touch without a
campaign credits ``"(no campaign)"`` when attributing by campaign.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Literal, get_args

import polars as pl

Model = Literal["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based"]
By = Literal["channel", "campaign"]
MODELS: tuple[str, ...] = get_args(Model)
UNATTRIBUTED = "(none)"
NO_CAMPAIGN = "(no campaign)"
CREDIT_COLUMNS: tuple[str, ...] = ("key", "conversions", "value")
COST_COLUMNS: tuple[str, ...] = ("key", "conversions", "value", "spend", "cost_per_conversion", "roas")

_CV, _I, _N, _W, _VALUE, _FRESHEST, _RAW = "_cv", "_i", "_n", "_w", "_value", "_freshest", "_raw"


def _check_position_weights(weights: Sequence[float]) -> tuple[float, float, float]:
    if len(weights) != 3:
        raise ValueError(f"position_weights needs (first, middle, last), got {tuple(weights)}")
    first, middle, last = (float(w) for w in weights)
    if min(first, middle, last) < 0 or not math.isclose(first + middle + last, 1.0, abs_tol=1e-9):
        raise ValueError(f"position_weights must be non-negative and sum to 1, got {tuple(weights)}")
    if first + last <= 0:
        raise ValueError("position_weights must give the first or last touch some credit")
    return first, middle, last


def _weight(
    model: str, *, half_life: timedelta, position_weights: tuple[float, float, float], direct_channel: str
) -> pl.Expr:
    """The share of its conversion's credit each exploded touch receives (sums to 1 per ``_cv``)."""
    i, n = pl.col(_I), pl.col(_N)
    if model == "first_touch":
        return (i == 0).cast(pl.Float64)
    if model == "last_touch":
        return (i == n - 1).cast(pl.Float64)
    if model == "last_non_direct":
        last_non_direct = pl.when(pl.col("channels") != direct_channel).then(i).otherwise(None).max().over(_CV)
        return (i == last_non_direct.fill_null(n - 1)).cast(pl.Float64)
    if model == "linear":
        return 1.0 / n.cast(pl.Float64)
    if model == "time_decay":
        # _RAW is 2 ** (−(seconds_before − freshest) / half_life), computed in an earlier stage
        # (a window expression nested in another is very slow): the shift by the freshest touch
        # makes the largest raw weight 1, so old touches cannot underflow into 0 / 0.
        return pl.col(_RAW) / pl.col(_RAW).sum().over(_CV)
    if model == "position_based":
        first, middle, last = position_weights
        return (
            pl.when(n == 1)
            .then(1.0)
            .when(n == 2)
            .then(pl.when(i == 0).then(first / (first + last)).otherwise(last / (first + last)))
            .when(i == 0)
            .then(first)
            .when(i == n - 1)
            .then(last)
            .otherwise(middle / (n - 2).cast(pl.Float64))
        )
    raise ValueError(f"unknown attribution model {model!r}; expected one of {', '.join(MODELS)}")


def attribute(
    paths: pl.DataFrame,
    model: Model,
    *,
    by: By = "channel",
    half_life: timedelta = timedelta(days=7),
    position_weights: Sequence[float] = (0.4, 0.2, 0.4),
    direct_channel: str = "direct",
) -> pl.DataFrame:
    """Credit per channel or campaign: columns ``key``, ``conversions`` (credit), ``value`` (credit × value).

    - ``first_touch`` / ``last_touch``: all credit to the first / last touch.
    - ``last_non_direct``: the last touch whose channel is not ``direct_channel``; the last touch if all are.
    - ``linear``: equal shares.
    - ``time_decay``: weight ``2 ** (−seconds_before / half_life)``, normalised per conversion.
    - ``position_based``: 1 touch 100 %; 2 touches first/last in proportion (50/50 by default);
      3+ touches first 40 %, last 40 %, 20 % spread evenly over the middle.

    Rows are sorted by credit (descending), then key; keys that receive no credit are left out.
    """
    if model not in MODELS:
        raise ValueError(f"unknown attribution model {model!r}; expected one of {', '.join(MODELS)}")
    if by not in ("channel", "campaign"):
        raise ValueError(f"by must be 'channel' or 'campaign', got {by!r}")
    if half_life <= timedelta(0):
        raise ValueError(f"half_life must be positive, got {half_life}")
    weight = _weight(
        model,
        half_life=half_life,
        position_weights=_check_position_weights(position_weights),
        direct_channel=direct_channel,
    )
    base = (
        paths.lazy()
        .select(
            pl.col("value").cast(pl.Float64).fill_null(0.0).alias(_VALUE),
            pl.col("channels").cast(pl.List(pl.String)),
            pl.col("campaigns").cast(pl.List(pl.String)),
            pl.col("seconds_before").cast(pl.List(pl.Int64)),
        )
        .with_row_index(_CV)
        .with_columns(pl.col("channels").list.len().alias(_N))
    )
    unattributed = base.filter(pl.col(_N) == 0).select(pl.lit(UNATTRIBUTED).alias("key"), pl.lit(1.0).alias(_W), _VALUE)
    key = pl.col("channels") if by == "channel" else pl.col("campaigns").fill_null(NO_CAMPAIGN)
    touches = (
        base.filter(pl.col(_N) > 0)
        .with_columns(
            pl.int_ranges(0, pl.col(_N), dtype=pl.Int64).alias(_I),
            pl.col("seconds_before").list.min().cast(pl.Float64).alias(_FRESHEST),
        )
        .explode(["channels", "campaigns", "seconds_before", _I])
        .with_columns(
            pl.lit(2.0)
            .pow(-(pl.col("seconds_before").cast(pl.Float64) - pl.col(_FRESHEST)) / half_life.total_seconds())
            .alias(_RAW)
        )
        .select(key.alias("key"), weight.cast(pl.Float64).alias(_W), _VALUE)
    )
    return (
        pl.concat([unattributed, touches])
        .filter(pl.col(_W) > 0)
        .group_by("key")
        .agg(
            pl.col(_W).sum().alias("conversions"),
            (pl.col(_W) * pl.col(_VALUE)).sum().alias("value"),
        )
        .sort(["conversions", "key"], descending=[True, False])
        .select(CREDIT_COLUMNS)
        .collect()
    )


def cost_metrics(credit: pl.DataFrame, spend: pl.DataFrame) -> pl.DataFrame:
    """Join credit (``key, conversions, value``) with spend (``key, amount``; rows per key are summed).

    Adds ``spend``, ``cost_per_conversion`` (spend / credited conversions — cost per test drive
    or per sale when ``credit`` was computed over that conversion type) and ``roas``
    (value / spend). Keys present on one side only count 0 on the other; a ratio whose
    denominator is 0 is null.
    """
    spent = (
        spend.lazy()
        .select(pl.col("key").cast(pl.String), pl.col("amount").cast(pl.Float64))
        .group_by("key")
        .agg(pl.col("amount").sum().alias("spend"))
    )
    credited = credit.lazy().select(
        pl.col("key").cast(pl.String),
        pl.col("conversions").cast(pl.Float64),
        pl.col("value").cast(pl.Float64),
    )
    return (
        credited.join(spent, on="key", how="full", coalesce=True)
        .with_columns(pl.col("conversions", "value", "spend").fill_null(0.0))
        .with_columns(
            pl.when(pl.col("conversions") != 0)
            .then(pl.col("spend") / pl.col("conversions"))
            .otherwise(None)
            .alias("cost_per_conversion"),
            pl.when(pl.col("spend") != 0).then(pl.col("value") / pl.col("spend")).otherwise(None).alias("roas"),
        )
        .sort(["conversions", "key"], descending=[True, False])
        .select(COST_COLUMNS)
        .collect()
    )
