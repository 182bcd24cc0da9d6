"""Shapley attribution (Zhao et al. 2018): hand cases, the coalition formula against the per-path
closed form, and the ordered variant summing to the unordered one."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.marketing.attribution.shapley import (
    MAX_EXACT_CHANNELS,
    ordered_shapley,
    shapley_exact,
    shapley_per_path,
)

PATHS = [("A", "B"), ("A",), ("B", "C", "B"), ("C",)]
CONVERSIONS = [2, 1, 3, 0]


def test_small_case_by_hand():
    """A→B converts 2, A converts 1, B→C→B converts 3 (channel set {B, C}), C converts 0.

    Per path: A 2/2 + 1 = 2, B 2/2 + 3/2 = 5/2, C 3/2.
    Coalitions: v(A) = 1, v(B) = v(C) = 0, v(AB) = 3, v(AC) = 1, v(BC) = 3, v(ABC) = 6; for
    A the weights are 1/3, 1/6, 1/6, 1/3 over ∅, {B}, {C}, {B, C}:
    1/3·1 + 1/6·3 + 1/6·1 + 1/3·(6 − 3) = 2.
    """
    expected = {"A": 2.0, "B": 2.5, "C": 1.5}
    assert shapley_per_path(PATHS, CONVERSIONS) == pytest.approx(expected, abs=1e-12)
    assert shapley_exact(PATHS, CONVERSIONS) == pytest.approx(expected, abs=1e-12)


def test_ordered_small_case_by_hand():
    """Positions are first touches among distinct channels: B→C→B is B at 1, C at 2."""
    assert ordered_shapley(PATHS, CONVERSIONS) == pytest.approx(
        {("A", 1): 2.0, ("B", 2): 1.0, ("B", 1): 1.5, ("C", 2): 1.5, ("C", 1): 0.0}, abs=1e-12
    )


def test_paths_without_touches_are_not_attributed():
    assert shapley_per_path([(), ("A",)], [5, 1]) == {"A": 1.0}
    assert shapley_exact([(), ("A",)], [5, 1]) == pytest.approx({"A": 1.0})
    assert ordered_shapley([(), ("A",)], [5, 1]) == {("A", 1): 1.0}


def test_unseen_channel_gets_nothing_and_empty_input():
    assert "Z" not in shapley_per_path(PATHS, CONVERSIONS)
    assert shapley_per_path([], []) == {} == shapley_exact([], []) == ordered_shapley([], [])


@pytest.mark.parametrize(
    ("paths", "conversions", "message"),
    [
        ([("A",)], [1, 2], "2 conversion counts for 1 paths"),
        ([("A",)], [-1], "non-negative"),
        ([("A",)], [math.inf], "finite"),
        (["AB"], [1], "tuple of channel names"),
    ],
)
def test_bad_input_is_rejected(paths, conversions, message):
    for fn in (shapley_per_path, shapley_exact, ordered_shapley):
        with pytest.raises(ValueError, match=message):
            fn(paths, conversions)


def test_exact_is_limited_to_small_channel_counts():
    paths = [(f"c{i}",) for i in range(MAX_EXACT_CHANNELS + 1)]
    with pytest.raises(ValueError, match="limited"):
        shapley_exact(paths, [1] * len(paths))


_rows = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["A", "B", "C", "D", "E", "F"]), max_size=8).map(tuple),
        st.one_of(st.integers(0, 50), st.floats(0, 1e4, allow_nan=False)),
    ),
    max_size=15,
)


@settings(max_examples=200, deadline=None)
@given(rows=_rows)
def test_exact_coalition_formula_equals_per_path_split(rows):
    paths = [p for p, _ in rows]
    conversions = [c for _, c in rows]
    per_path = shapley_per_path(paths, conversions)
    exact = shapley_exact(paths, conversions)
    assert exact == pytest.approx(per_path, rel=1e-9, abs=1e-9)
    attributable = sum(c for p, c in rows if p)
    assert sum(per_path.values()) == pytest.approx(attributable, rel=1e-9, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(rows=_rows)
def test_ordered_sums_to_unordered_per_channel(rows):
    paths = [p for p, _ in rows]
    conversions = [c for _, c in rows]
    ordered = ordered_shapley(paths, conversions)
    summed: dict[str, float] = {}
    for (channel, position), credit in ordered.items():
        assert 1 <= position <= len({c for p in paths for c in p})
        summed[channel] = summed.get(channel, 0.0) + credit
    assert summed == pytest.approx(shapley_per_path(paths, conversions), rel=1e-9, abs=1e-9)
