"""From path frames to every model: distinct-path counts, hand-computed credit per model, totals
conserved by every model, by-campaign keys, and the side-by-side comparison."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from forecourt.marketing.attribution.aggregate import (
    MODELS,
    compare_models,
    ordered_shapley_credit,
    path_counts,
    run_model,
)
from forecourt.marketing.attribution.paths import (
    build_non_converting_paths,
    build_paths,
)
from forecourt.marketing.attribution.simulation import simulate


def _paths(rows: list[tuple[list[str], list[str | None], float | None]]) -> pl.DataFrame:
    """A frame shaped like build_paths' output: (channels, campaigns, value) per conversion."""
    return pl.DataFrame(
        {
            "value": [r[2] for r in rows],
            "channels": [r[0] for r in rows],
            "campaigns": [r[1] for r in rows],
            "seconds_before": [list(range(len(r[0]), 0, -1)) for r in rows],
        },
        schema={
            "value": pl.Float64,
            "channels": pl.List(pl.String),
            "campaigns": pl.List(pl.String),
            "seconds_before": pl.List(pl.Int64),
        },
    )


def _non_converting(channel_paths: list[list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"channels": channel_paths, "campaigns": [[None] * len(p) for p in channel_paths]},
        schema={"channels": pl.List(pl.String), "campaigns": pl.List(pl.String)},
    )


# A→B converts (value 100), B converts (value 50), one conversion had no touch (value 10);
# A alone did not convert. The same chain as test_markov's SMALL case, plus the empty path.
PATHS = _paths([(["A", "B"], ["a1", None], 100.0), (["B"], ["b1"], 50.0), ([], [], 10.0)])
NULLS = _non_converting([["A"]])


def _flat(credit: dict) -> dict:
    """key -> (conversions, value) as one flat mapping, for pytest.approx."""
    return {(k, m): x for k, pair in credit.items() for m, x in zip(("conv", "value"), pair, strict=True)}


def _credit(frame: pl.DataFrame) -> dict:
    return _flat({k: (c, v) for k, c, v in frame.iter_rows()})


def test_path_counts_groups_distinct_paths_and_joins_nulls():
    paths = _paths([(["A", "B"], ["x", "y"], 5.0), (["A", "B"], ["x", "z"], None), (["C"], ["w"], 1.0)])
    counts = path_counts(paths, _non_converting([["A", "B"], ["D"], ["D"], []]))
    assert list(counts.paths) == [("A", "B"), ("C",), ("D",)]
    assert list(counts.conversions) == [2.0, 1.0, 0.0]
    assert list(counts.nulls) == [1.0, 0.0, 2.0]
    assert list(counts.values) == [5.0, 1.0, 0.0]


def test_path_counts_without_values_or_nulls():
    counts = path_counts(_paths([(["A"], ["x"], None), (["A"], ["x"], None)]))
    assert list(counts.paths) == [("A",)]
    assert list(counts.conversions) == [2.0]
    assert list(counts.nulls) == [0.0]
    assert counts.values is None


def test_path_counts_by_campaign_names_missing_campaigns():
    counts = path_counts(PATHS, NULLS, by="campaign")
    assert list(counts.paths) == [("(no campaign)",), ("a1", "(no campaign)"), ("b1",)]
    assert list(counts.conversions) == [0.0, 1.0, 1.0]
    assert list(counts.nulls) == [1.0, 0.0, 0.0]


def test_markov_by_hand():
    """Chain (as in test_markov): start→A 2/3, start→B 1/3, A→B 1/2, A→null 1/2, B→conv 1.
    Removal effects A 1/2, B 1, so the 2 attributed conversions split A 2/3, B 4/3.

    Value chain: the null path carries 1 × mean value (150 / 2 = 75): start→A 175/225,
    start→B 50/225, A→B 100/175; P = 150/225 = 2/3; without A 50/225, effect 2/3; without B 0,
    effect 1. The 150 of value split A 60, B 90. The empty path's 1 conversion and 10 go to (none).
    """
    credit = _credit(run_model(PATHS, NULLS, "markov"))
    assert credit == pytest.approx(_flat({"B": (4 / 3, 90.0), "A": (2 / 3, 60.0), "(none)": (1.0, 10.0)}), abs=1e-9)


def test_shapley_by_hand():
    """A→B: 1 conversion (100) split A ½, B ½; B: 1 (50) to B; the empty path to (none)."""
    credit = _credit(run_model(PATHS, NULLS, "shapley"))
    assert credit == pytest.approx(_flat({"B": (1.5, 100.0), "A": (0.5, 50.0), "(none)": (1.0, 10.0)}), abs=1e-12)


def test_heuristics_pass_through():
    assert _credit(run_model(PATHS, None, "first_touch")) == pytest.approx(
        _flat({"A": (1.0, 100.0), "B": (1.0, 50.0), "(none)": (1.0, 10.0)})
    )
    assert _credit(run_model(PATHS, None, "last_touch")) == pytest.approx(
        _flat({"B": (2.0, 150.0), "(none)": (1.0, 10.0)})
    )


def test_by_campaign_markov_and_shapley():
    shapley = _credit(run_model(PATHS, NULLS, "shapley", by="campaign"))
    assert shapley == pytest.approx(
        _flat({"b1": (1.0, 50.0), "(none)": (1.0, 10.0), "a1": (0.5, 50.0), "(no campaign)": (0.5, 50.0)})
    )
    markov = _credit(run_model(PATHS, NULLS, "markov", by="campaign"))
    assert sum(x for (_, m), x in markov.items() if m == "conv") == pytest.approx(3.0)
    assert (markov[("(none)", "conv")], markov[("(none)", "value")]) == pytest.approx((1.0, 10.0))


def test_markov_needs_non_converting_paths():
    with pytest.raises(ValueError, match="non_converting"):
        run_model(PATHS, None, "markov")


def test_unknown_model_or_by():
    with pytest.raises(ValueError, match="unknown attribution model"):
        run_model(PATHS, NULLS, "ordered_shapley")
    with pytest.raises(ValueError, match="by must be"):
        run_model(PATHS, NULLS, "shapley", by="store")


def test_markov_order_two_by_hand():
    """A→C converts once, B→C does not. First order pools C: start→A ½, start→B ½, C→conv ½;
    removing A or B halves P (effects ½, ½), removing C zeroes it (1): A ¼, B ¼, C ½.
    Second order tells (A,C), which converts, from (B,C), which does not: removing A zeroes P
    (effect 1), removing B changes nothing (0), C 1: A ½, B 0 (left out), C ½."""
    paths = _paths([(["A", "C"], [None, None], None)])
    nulls = _non_converting([["B", "C"]])
    first = _credit(run_model(paths, nulls, "markov", order=1))
    assert first == pytest.approx(_flat({"A": (0.25, 0.0), "B": (0.25, 0.0), "C": (0.5, 0.0)}), abs=1e-12)
    second = _credit(run_model(paths, nulls, "markov", order=2))
    assert second == pytest.approx(_flat({"A": (0.5, 0.0), "C": (0.5, 0.0)}), abs=1e-12)


def test_ordered_shapley_positions_sum_to_shapley():
    ordered = ordered_shapley_credit(PATHS)
    assert ordered.columns == ["key", "position", "conversions", "value"]
    assert _flat({(k, p): (c, v) for k, p, c, v in ordered.iter_rows()}) == pytest.approx(
        _flat({("A", 1): (0.5, 50.0), ("B", 1): (1.0, 50.0), ("B", 2): (0.5, 50.0)})
    )
    summed = ordered.group_by("key").agg(pl.col("conversions", "value").sum())
    shapley = _credit(run_model(PATHS, None, "shapley"))
    for key, conversions, value in summed.iter_rows():
        assert (shapley[(key, "conv")], shapley[(key, "value")]) == pytest.approx((conversions, value))


@pytest.fixture(scope="module")
def simulated() -> tuple[pl.DataFrame, pl.DataFrame]:
    sim = simulate(11, 20_000, date(2026, 3, 1), 45)
    orders = sim.conversions.filter(pl.col("type") == "order")
    lookback = timedelta(days=60)
    paths = build_paths(sim.touchpoints, orders, lookback=lookback)
    return paths, build_non_converting_paths(sim.touchpoints, orders, end=sim.end, lookback=lookback)


@pytest.mark.parametrize("by", ["channel", "campaign"])
@pytest.mark.parametrize("model", MODELS)
def test_every_model_conserves_conversions_and_value(simulated, model, by):
    paths, nulls = simulated
    credit = run_model(paths, nulls, model, by=by, order=2 if model == "markov" else 1)
    assert credit.columns == ["key", "conversions", "value"]
    assert credit["conversions"].sum() == pytest.approx(paths.height, rel=1e-9)
    assert credit["value"].sum() == pytest.approx(paths["value"].sum(), rel=1e-9)
    assert credit["key"].n_unique() == credit.height
    assert (credit["conversions"] >= 0).all()


def test_compare_models_side_by_side(simulated):
    paths, nulls = simulated
    table = compare_models(paths, nulls, ("markov", "shapley", "last_touch"), measure="value")
    assert table.columns == ["key", "markov", "shapley", "last_touch"]
    assert table["markov"].to_list() == sorted(table["markov"].to_list(), reverse=True)
    for model in ("markov", "shapley", "last_touch"):
        assert table[model].sum() == pytest.approx(paths["value"].sum(), rel=1e-9)
    with pytest.raises(ValueError, match="measure"):
        compare_models(paths, nulls, ("shapley",), measure="roas")
