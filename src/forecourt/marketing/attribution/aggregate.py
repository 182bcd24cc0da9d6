"""One entry point from path frames to every attribution model.

Pure code (polars, numpy through the models, standard library). Input frames are those of
:mod:`forecourt.marketing.attribution.paths`: ``paths`` from ``build_paths`` (filter it by
``type`` first to attribute one kind of conversion) and ``non_converting`` from
``build_non_converting_paths`` (built with conversions of that same type, so a visitor who
booked a test drive but did not order still counts as a null journey for orders).

Every model returns the frame of :func:`heuristics.attribute`: ``key, conversions, value``,
sorted by credit (descending) then key, keys without credit left out. Conversions whose path
is empty go to ``"(none)"`` under every model, so each model hands out the same totals and the
columns of :func:`compare_models` add up alike (Markov excepted when no channel has a positive
removal effect: then nothing is handed out).

- Heuristic models read the paths directly (time decay needs ``seconds_before``).
- ``markov`` counts distinct paths (:func:`path_counts`) and needs ``non_converting``: the
  null journeys are what tell a channel that converts from one that is merely present.
- ``shapley`` is the per-path closed form of Zhao et al. (2018) on distinct converting paths;
  it ignores non-converting paths, as the paper's game does.
- Ordered Shapley gives credit per (key, position), which is not the common shape, so it has
  its own function, :func:`ordered_shapley_credit`, and is not one of :data:`MODELS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import polars as pl

from forecourt.marketing.attribution import heuristics, markov, shapley
from forecourt.marketing.attribution.heuristics import (
    CREDIT_COLUMNS,
    NO_CAMPAIGN,
    UNATTRIBUTED,
    By,
)

MODELS: tuple[str, ...] = (*heuristics.MODELS, "markov", "shapley")
Measure = str  # "conversions" or "value"

_PATH = "_path"


def _keys(by: By) -> pl.Expr:
    if by == "channel":
        return pl.col("channels").cast(pl.List(pl.String))
    if by == "campaign":
        return pl.col("campaigns").cast(pl.List(pl.String)).list.eval(pl.element().fill_null(NO_CAMPAIGN))
    raise ValueError(f"by must be 'channel' or 'campaign', got {by!r}")


def _distinct_paths(paths: pl.DataFrame, non_converting: pl.DataFrame | None, by: By) -> pl.DataFrame:
    """``_path, conversions, nulls, value`` per distinct non-empty path, sorted by path."""
    converting = (
        paths.lazy()
        .select(_keys(by).alias(_PATH), pl.col("value").cast(pl.Float64).fill_null(0.0))
        .filter(pl.col(_PATH).list.len() > 0)
        .group_by(_PATH)
        .agg(pl.len().cast(pl.Float64).alias("conversions"), pl.col("value").sum())
    )
    if non_converting is None:
        nulls = pl.LazyFrame(schema={_PATH: pl.List(pl.String), "nulls": pl.Float64})
    else:
        nulls = (
            non_converting.lazy()
            .select(_keys(by).alias(_PATH))
            .filter(pl.col(_PATH).list.len() > 0)
            .group_by(_PATH)
            .agg(pl.len().cast(pl.Float64).alias("nulls"))
        )
    return (
        converting.join(nulls, on=_PATH, how="full", coalesce=True)
        .with_columns(pl.col("conversions", "nulls", "value").fill_null(0.0))
        .sort(pl.col(_PATH).list.join("\x1f"))
        .select(_PATH, "conversions", "nulls", "value")
        .collect()
    )


def path_counts(
    paths: pl.DataFrame, non_converting: pl.DataFrame | None = None, *, by: By = "channel"
) -> markov.PathCounts:
    """Distinct non-empty paths (of channels, or of campaigns with ``"(no campaign)"`` for a
    touch without one), each with its conversions, its nulls (non-converting journeys with the
    same path) and its total conversion value. ``values`` is None when every value is 0 or null.
    Empty paths carry no channel, so they are left out (see :func:`run_model` for their credit).
    """
    distinct = _distinct_paths(paths, non_converting, by)
    values = distinct["value"].to_list()
    return markov.PathCounts(
        paths=[tuple(p) for p in distinct[_PATH].to_list()],
        conversions=distinct["conversions"].to_list(),
        nulls=distinct["nulls"].to_list(),
        values=values if any(values) else None,
    )


def _unattributed(paths: pl.DataFrame) -> tuple[float, float]:
    empty = paths.filter(pl.col("channels").list.len() == 0)
    return float(empty.height), float(empty["value"].cast(pl.Float64).fill_null(0.0).sum())


def _credit_frame(credit: dict[str, tuple[float, float]], unattributed: tuple[float, float]) -> pl.DataFrame:
    rows = [(k, c, v) for k, (c, v) in credit.items()]
    if unattributed[0] > 0:
        rows.append((UNATTRIBUTED, *unattributed))
    return (
        pl.DataFrame(rows, schema={"key": pl.String, "conversions": pl.Float64, "value": pl.Float64}, orient="row")
        .filter((pl.col("conversions") > 0) | (pl.col("value") != 0))
        .sort(["conversions", "key"], descending=[True, False])
        .select(CREDIT_COLUMNS)
    )


def _markov(paths: pl.DataFrame, non_converting: pl.DataFrame | None, by: By, order: int) -> pl.DataFrame:
    if non_converting is None:
        raise ValueError(
            "the markov model needs non_converting paths (its nulls); pass build_non_converting_paths(...)"
        )
    unattributed = _unattributed(paths)
    counts = path_counts(paths, non_converting, by=by)
    total_value = float(paths["value"].cast(pl.Float64).fill_null(0.0).sum()) - unattributed[1]
    credit = markov.attribute(
        counts,
        order=order,
        total_conversions=float(sum(counts.conversions)),
        total_value=total_value if counts.values is not None else 0.0,
    )
    return _credit_frame(credit, unattributed)


def _shapley(paths: pl.DataFrame, by: By) -> pl.DataFrame:
    counts = path_counts(paths, by=by)
    conversions = shapley.shapley_per_path(counts.paths, counts.conversions)
    values = shapley.shapley_per_path(counts.paths, counts.values or [0.0] * len(counts.paths))
    return _credit_frame({k: (conversions[k], values[k]) for k in conversions}, _unattributed(paths))


def run_model(
    paths: pl.DataFrame,
    non_converting: pl.DataFrame | None,
    model: str,
    *,
    by: By = "channel",
    order: int = 1,
    half_life: timedelta = timedelta(days=7),
    position_weights: Sequence[float] = (0.4, 0.2, 0.4),
    direct_channel: str = "direct",
) -> pl.DataFrame:
    """Credit per channel or campaign under ``model`` (one of :data:`MODELS`): ``key, conversions, value``.

    ``non_converting`` is required by ``markov`` (its null journeys) and ignored by the others.
    ``order`` (1-3 in practice) applies to ``markov``; ``half_life``, ``position_weights`` and
    ``direct_channel`` to the heuristics of the same names (see :func:`heuristics.attribute`).
    """
    if model in heuristics.MODELS:
        return heuristics.attribute(
            paths, model, by=by, half_life=half_life, position_weights=position_weights, direct_channel=direct_channel
        )
    if model == "markov":
        return _markov(paths, non_converting, by, order)
    if model == "shapley":
        return _shapley(paths, by)
    raise ValueError(f"unknown attribution model {model!r}; expected one of {', '.join(MODELS)}")


def compare_models(
    paths: pl.DataFrame,
    non_converting: pl.DataFrame | None,
    models: Sequence[str] = MODELS,
    *,
    measure: Measure = "conversions",
    by: By = "channel",
    order: int = 1,
    half_life: timedelta = timedelta(days=7),
    position_weights: Sequence[float] = (0.4, 0.2, 0.4),
    direct_channel: str = "direct",
) -> pl.DataFrame:
    """Side by side: column ``key`` then one Float64 column per model (named after it) holding
    credited ``measure`` (``"conversions"`` or ``"value"``), 0.0 where a model gave a key nothing.
    Rows are sorted by the first model's column (descending), then key. ``markov`` in
    ``models`` needs ``non_converting``.
    """
    if measure not in ("conversions", "value"):
        raise ValueError(f"measure must be 'conversions' or 'value', got {measure!r}")
    if not models:
        raise ValueError("compare_models needs at least one model")
    credited = {
        model: run_model(
            paths,
            non_converting,
            model,
            by=by,
            order=order,
            half_life=half_life,
            position_weights=position_weights,
            direct_channel=direct_channel,
        )
        for model in models
    }
    return side_by_side(credited, measure=measure)


def side_by_side(credited: Mapping[str, pl.DataFrame], *, measure: Measure = "conversions") -> pl.DataFrame:
    """The table of :func:`compare_models` from frames already credited by :func:`run_model` (model -> frame), for
    a caller that needs some of those frames whole too and should not run the models twice."""
    if measure not in ("conversions", "value"):
        raise ValueError(f"measure must be 'conversions' or 'value', got {measure!r}")
    if not credited:
        raise ValueError("side_by_side needs at least one model")
    models = list(credited)
    frames = [frame.select("key", pl.col(measure).alias(model)) for model, frame in credited.items()]
    joined = frames[0]
    for frame in frames[1:]:
        joined = joined.join(frame, on="key", how="full", coalesce=True)
    return joined.with_columns(pl.col(models).fill_null(0.0)).sort([models[0], "key"], descending=[True, False])


def ordered_shapley_credit(paths: pl.DataFrame, *, by: By = "channel") -> pl.DataFrame:
    """Ordered Shapley (Zhao et al. 2018): ``key, position, conversions, value``, position being
    the 1-based place where the key first appears among the path's distinct keys. Summed over
    positions it equals the ``shapley`` model; empty paths are left out (no position to give).
    """
    counts = path_counts(paths, by=by)
    conversions = shapley.ordered_shapley(counts.paths, counts.conversions)
    values = shapley.ordered_shapley(counts.paths, counts.values or [0.0] * len(counts.paths))
    rows = [(k, p, c, values.get((k, p), 0.0)) for (k, p), c in conversions.items()]
    return pl.DataFrame(
        rows,
        schema={"key": pl.String, "position": pl.Int64, "conversions": pl.Float64, "value": pl.Float64},
        orient="row",
    ).sort(["key", "position"])
