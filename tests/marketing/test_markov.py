"""Markov removal-effect attribution: hand-computed chains of order 1 to 3, properties, and
agreement with marketing-attribution-models (mam) on first-order removal effects."""

from __future__ import annotations

import math
import random
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.marketing.attribution.markov import (
    CONVERSION,
    NULL,
    START,
    PathCounts,
    attribute,
    build_chain,
    removal_effects,
)


def _approx(expected: dict, rel: float = 1e-12, abs_: float = 1e-12):
    return pytest.approx(expected, rel=rel, abs=abs_)


def _flat(credit: dict[str, tuple[float, float]]) -> dict[tuple[str, str], float]:
    """Channel -> (conversions, value) as one flat mapping, for pytest.approx."""
    return {(c, k): x for c, pair in credit.items() for k, x in zip(("conv", "value"), pair, strict=True)}


# --- hand-computed, first order ---------------------------------------------------------------

SMALL = PathCounts(paths=[("A", "B"), ("A",), ("B",)], conversions=[1, 0, 1], nulls=[0, 1, 0])


def test_first_order_small_case_by_hand():
    """Paths: A→B→conv ×1, A→null ×1, B→conv ×1.

    Transitions (each path weighted by conversions + nulls = 1):
      start→A 2/3, start→B 1/3;  A→B 1/2, A→null 1/2;  B→conv 1.
    P(conv) = 2/3·1/2·1 + 1/3·1 = 2/3.
    Remove A (start→A goes to null): P = 1/3, effect 1 − (1/3)/(2/3) = 1/2.
    Remove B (start→B and A→B go to null): P = 0, effect 1.
    Attribution of the 2 conversions: A 2·(1/2)/(3/2) = 2/3, B 2·1/(3/2) = 4/3.
    """
    chain = build_chain(SMALL)
    assert chain.transitions() == _approx(
        {
            (START, ("A",)): 2 / 3,
            (START, ("B",)): 1 / 3,
            (("A",), ("B",)): 1 / 2,
            (("A",), NULL): 1 / 2,
            (("B",), CONVERSION): 1.0,
        }
    )
    assert chain.conversion_probability() == pytest.approx(2 / 3, abs=1e-12)
    assert removal_effects(SMALL) == _approx({"A": 0.5, "B": 1.0})
    credit = attribute(SMALL)
    assert {c: conv for c, (conv, _) in credit.items()} == _approx({"A": 2 / 3, "B": 4 / 3})
    # No values given: value credit is 0 unless a total is supplied, then split like conversions.
    assert {c: v for c, (_, v) in credit.items()} == {"A": 0.0, "B": 0.0}
    with_total = attribute(SMALL, total_conversions=6, total_value=300)
    assert _flat(with_total) == _approx(_flat({"A": (2.0, 100.0), "B": (4.0, 200.0)}))


def test_self_loops_do_not_change_first_order_results():
    repeated = PathCounts(paths=[("A", "A", "B"), ("A", "A"), ("B", "B", "B")], conversions=[1, 0, 1], nulls=[0, 1, 0])
    assert removal_effects(repeated) == _approx(removal_effects(SMALL))


# --- hand-computed, orders 2 and 3 ------------------------------------------------------------

ORDER2 = PathCounts(paths=[("A", "B", "C"), ("B", "C"), ("A", "C")], conversions=[1, 0, 2], nulls=[0, 1, 0])


def test_second_order_small_case_by_hand():
    """A→B→C conv ×1, B→C null ×1, A→C conv ×2; states are the last two channels.

    Walks: start→(A)→(A,B)→(B,C)→conv (w 1), start→(B)→(B,C)→null (w 1),
           start→(A)→(A,C)→conv (w 2).
    start→(A) 3/4, start→(B) 1/4; (A)→(A,B) 1/3, (A)→(A,C) 2/3; (A,B)→(B,C) 1; (B)→(B,C) 1;
    (B,C)→conv 1/2, (B,C)→null 1/2; (A,C)→conv 1.
    P(conv) = 3/4·(1/3·1/2 + 2/3) + 1/4·1/2 = 3/4.
    Remove A ((A), (A,B), (A,C) gone): P = 1/4·1/2 = 1/8, effect 1 − (1/8)/(3/4) = 5/6.
    Remove B ((A,B), (B), (B,C) gone): P = 3/4·2/3 = 1/2, effect 1/3.
    Remove C: P = 0, effect 1.
    First order merges every walk in C (C→conv 3/4), so P(conv) = 3/4 still, but removing A
    leaves 1/4·3/4 (effect 3/4) and removing B leaves 3/4·2/3·3/4 = 3/8 (effect 1/2).
    """
    chain = build_chain(ORDER2, order=2)
    assert chain.transitions() == _approx(
        {
            (START, ("A",)): 3 / 4,
            (START, ("B",)): 1 / 4,
            (("A",), ("A", "B")): 1 / 3,
            (("A",), ("A", "C")): 2 / 3,
            (("A", "B"), ("B", "C")): 1.0,
            (("B",), ("B", "C")): 1.0,
            (("B", "C"), CONVERSION): 1 / 2,
            (("B", "C"), NULL): 1 / 2,
            (("A", "C"), CONVERSION): 1.0,
        }
    )
    assert chain.conversion_probability() == pytest.approx(3 / 4, abs=1e-12)
    assert removal_effects(ORDER2, order=2) == _approx({"A": 5 / 6, "B": 1 / 3, "C": 1.0})
    assert removal_effects(ORDER2, order=1) == _approx({"A": 3 / 4, "B": 1 / 2, "C": 1.0})
    total = 5 / 6 + 1 / 3 + 1
    conv = {c: x for c, (x, _) in attribute(ORDER2, order=2).items()}
    assert conv == _approx({"A": 3 * (5 / 6) / total, "B": 3 * (1 / 3) / total, "C": 3 / total})


ORDER3 = PathCounts(
    paths=[("A", "B", "C", "D"), ("B", "C", "D"), ("X", "C", "D")], conversions=[1, 0, 1], nulls=[0, 1, 0]
)


def test_third_order_small_case_by_hand():
    """A→B→C→D conv, B→C→D null, X→C→D conv (one each); states are the last three channels.

    Walks: start→(A)→(A,B)→(A,B,C)→(B,C,D)→conv, start→(B)→(B,C)→(B,C,D)→null,
           start→(X)→(X,C)→(X,C,D)→conv.
    (B,C,D) is shared by the first two: conv 1/2, null 1/2. start→(A), (B), (X) 1/3 each.
    P(conv) = 1/3·1/2 + 1/3·1/2 + 1/3 = 2/3.
    Remove A: P = 1/2 → 1/4.  Remove B: only X's walk survives, P = 1/3 → 1/2.
    Remove X: P = 1/3 → 1/2.  Remove C or D: P = 0 → 1.
    (Order 2 merges all three walks in (C,D) and gives A 1/3 instead.)
    """
    chain = build_chain(ORDER3, order=3)
    assert chain.transitions() == _approx(
        {
            (START, ("A",)): 1 / 3,
            (START, ("B",)): 1 / 3,
            (START, ("X",)): 1 / 3,
            (("A",), ("A", "B")): 1.0,
            (("A", "B"), ("A", "B", "C")): 1.0,
            (("A", "B", "C"), ("B", "C", "D")): 1.0,
            (("B",), ("B", "C")): 1.0,
            (("B", "C"), ("B", "C", "D")): 1.0,
            (("B", "C", "D"), CONVERSION): 1 / 2,
            (("B", "C", "D"), NULL): 1 / 2,
            (("X",), ("X", "C")): 1.0,
            (("X", "C"), ("X", "C", "D")): 1.0,
            (("X", "C", "D"), CONVERSION): 1.0,
        }
    )
    assert removal_effects(ORDER3, order=3) == _approx({"A": 1 / 4, "B": 1 / 2, "C": 1.0, "D": 1.0, "X": 1 / 2})
    assert removal_effects(ORDER3, order=2)["A"] == pytest.approx(1 / 3, abs=1e-12)


# --- value ------------------------------------------------------------------------------------


def test_value_uses_the_value_weighted_chain():
    """(A) conv 1 worth 10 + null 1; (B) conv 1 worth 30 + null 1. Mean value per conversion 20.

    Value chain: start→A 10 + 1·20 = 30, start→B 30 + 20 = 50 (of 80);
    A→conv 10/30, B→conv 30/50. P = 30/80·1/3 + 50/80·3/5 = 1/2.
    Remove A: P = 3/8 → 1/4; remove B: P = 1/8 → 3/4. Value 40 splits 10 / 30,
    while the conversions chain is symmetric and splits the 2 conversions 1 / 1.
    """
    counts = PathCounts(paths=[("A",), ("B",)], conversions=[1, 1], nulls=[1, 1], values=[10, 30])
    assert _flat(attribute(counts)) == _approx(_flat({"A": (1.0, 10.0), "B": (1.0, 30.0)}))


def test_uniform_value_per_conversion_splits_value_like_conversions():
    counts = PathCounts(
        paths=[("A", "B"), ("B", "C", "A"), ("C",), ("A",)],
        conversions=[3, 1, 2, 0],
        nulls=[1, 4, 2, 5],
        values=[75, 25, 50, 0],
    )
    for order in (1, 2, 3):
        credit = attribute(counts, order=order)
        assert {c: v for c, (_, v) in credit.items()} == _approx({c: 25 * x for c, (x, _) in credit.items()})


# --- edge cases -------------------------------------------------------------------------------


def test_unseen_channels_and_zero_count_paths_get_no_credit():
    counts = PathCounts(paths=[("A",), ("Z",), ("B",)], conversions=[2, 0, 0], nulls=[1, 0, 3])
    effects = removal_effects(counts)
    assert "Z" not in effects and "Unseen" not in effects
    assert effects["B"] == 0.0  # only on non-converting paths
    assert _flat(attribute(counts)) == _approx(_flat({"A": (2.0, 0.0), "B": (0.0, 0.0)}))


def test_no_conversions_gives_no_credit():
    counts = PathCounts(paths=[("A",), ("A", "B")], conversions=[0, 0], nulls=[3, 1])
    assert removal_effects(counts) == {"A": 0.0, "B": 0.0}
    assert attribute(counts, total_conversions=5) == {"A": (0.0, 0.0), "B": (0.0, 0.0)}


def test_empty_input():
    assert removal_effects(PathCounts(paths=[], conversions=[], nulls=[])) == {}
    assert attribute(PathCounts(paths=[], conversions=[], nulls=[])) == {}


def test_direct_conversions_without_touches_keep_effects_in_range():
    """An empty path converts straight from start: no channel can claim it."""
    counts = PathCounts(paths=[(), ("A",)], conversions=[1, 1], nulls=[0, 1])
    # P = 1/3·1 + 2/3·1/2 = 2/3; removing A leaves 1/3: effect 1/2.
    assert removal_effects(counts) == _approx({"A": 0.5})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"paths": [("A",)], "conversions": [1, 2], "nulls": [0]}, "conversions has 2 entries"),
        ({"paths": [("A",)], "conversions": [-1], "nulls": [0]}, "non-negative"),
        ({"paths": [("A",)], "conversions": [1], "nulls": [math.nan]}, "finite"),
        ({"paths": ["AB"], "conversions": [1], "nulls": [0]}, "tuple of channel names"),
        ({"paths": [("A",)], "conversions": [1], "nulls": [0], "values": []}, "values has 0"),
    ],
)
def test_bad_input_is_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PathCounts(**kwargs)


@pytest.mark.parametrize("order", [0, -1, 1.5, True])
def test_bad_order_is_rejected(order):
    with pytest.raises(ValueError, match="order"):
        removal_effects(SMALL, order=order)


# --- properties -------------------------------------------------------------------------------

_channel = st.sampled_from(["A", "B", "C", "D", "E"])
_rows = st.lists(
    st.tuples(
        st.lists(_channel, min_size=0, max_size=6).map(tuple),
        st.integers(0, 20),
        st.integers(0, 20),
        st.floats(0, 1000, allow_nan=False),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(rows=_rows, order=st.integers(1, 3))
def test_properties(rows, order):
    counts = PathCounts(
        paths=[r[0] for r in rows],
        conversions=[r[1] for r in rows],
        nulls=[r[2] for r in rows],
        values=[r[3] if r[1] > 0 else 0.0 for r in rows],
    )
    effects = removal_effects(counts, order=order)
    seen = {c for path, conv, null, _ in rows if conv + null > 0 for c in path}
    assert set(effects) == seen
    assert all(0.0 <= e <= 1.0 for e in effects.values())
    credit = attribute(counts, order=order)
    assert set(credit) == seen
    assert all(x >= 0 and v >= 0 for x, v in credit.values())
    if any(e > 0 for e in effects.values()):
        assert sum(x for x, _ in credit.values()) == pytest.approx(sum(counts.conversions), rel=1e-9)
    chain = build_chain(counts, order=order)
    rows_total = chain.q.sum(axis=1) + chain.to_conversion + chain.to_null
    assert all(abs(t - 1) < 1e-12 or t == 0 for t in rows_total)
    assert all(len(s) <= order for s in chain.states[1:])


def _dense_conversion_probability(chain, removed=None):
    """The textbook solve of (I - Q) x = r over every kept state, which the chain's step-by-step solve replaces."""
    keep = [i for i, s in enumerate(chain.states) if i == 0 or removed is None or removed not in s]
    q = chain.q[np.ix_(keep, keep)]
    return float(np.linalg.solve(np.eye(len(keep)) - q, chain.to_conversion[keep])[0])


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("order", [1, 2, 3])
def test_step_by_step_solve_equals_the_dense_solve(seed, order):
    """Paths that repeat channels (A, B, A, B...) make cycles of states, solved as blocks; the rest is substituted."""
    rng = random.Random(seed)
    channels = "ABCDEF"[: rng.randint(1, 6)]
    paths = sorted({tuple(rng.choices(channels, k=rng.randint(1, 8))) for _ in range(rng.randint(1, 50))})
    counts = PathCounts(paths, [rng.randint(0, 4) for _ in paths], [rng.randint(0, 9) for _ in paths])
    chain = build_chain(counts, order=order)
    for removed in (None, *chain.channels):
        expected = _dense_conversion_probability(chain, removed)
        assert chain.conversion_probability(removed) == pytest.approx(expected, rel=1e-12, abs=1e-15), removed


def test_a_cycle_of_states_is_solved_exactly():
    """Order 1, paths A→conv and A→B→A→B→null: A and B reach each other. Weights: A→conv 1, A→B 2, B→A 1,
    B→null 1, so x_A = 1/3 + 2/3 x_B and x_B = 1/2 x_A: x_A = 1/2. Without B: x_A = 1/3."""
    counts = PathCounts(paths=[("A",), ("A", "B", "A", "B")], conversions=[1, 0], nulls=[0, 1])
    chain = build_chain(counts)
    assert chain.conversion_probability() == pytest.approx(1 / 2, abs=1e-15)
    assert chain.conversion_probability("B") == pytest.approx(1 / 3, abs=1e-15)
    assert chain.conversion_probability() == pytest.approx(_dense_conversion_probability(chain), abs=1e-15)


def test_thousands_of_states_solve_quickly():
    rng = random.Random(7)
    channels = [f"ch{i}" for i in range(14)]
    paths = sorted({tuple(rng.choices(channels, k=rng.randint(1, 7))) for _ in range(1500)})
    counts = PathCounts(
        paths=paths,
        conversions=[rng.randint(0, 5) for _ in paths],
        nulls=[rng.randint(0, 30) for _ in paths],
    )
    chain = build_chain(counts, order=3)
    assert len(chain.states) > 2000
    started = time.perf_counter()
    effects = removal_effects(counts, order=3)
    assert time.perf_counter() - started < 60
    assert set(effects) == set(channels)
    assert all(0.0 <= e <= 1.0 for e in effects.values())


# --- agreement with marketing-attribution-models (mam) -----------------------------------------

# Grouped journeys: path, conversions, nulls.
MAM_ROWS = [
    ("Search > Email", 30, 20),
    ("Social > Search", 10, 40),
    ("Social", 0, 50),
    ("Email", 15, 5),
    ("Display > Social > Search > Email", 8, 12),
    ("Search > Search > Display", 4, 0),
    ("Display", 0, 25),
    ("Email > Search > Email", 6, 3),
]
# First-order removal effects printed by marketing-attribution-models 2.1.1
# (MAM(..., format_type="grouped_journey").run_markov().metadata["removal_effect"]).
MAM_REMOVAL_EFFECTS = {
    "Display": 0.12199670435554155,
    "Email": 0.8178606537883124,
    "Search": 0.7326566852007166,
    "Social": 0.4056899245673051,
}


def _mam_counts() -> PathCounts:
    return PathCounts(
        paths=[tuple(p.split(" > ")) for p, _, _ in MAM_ROWS],
        conversions=[c for _, c, _ in MAM_ROWS],
        nulls=[n for _, _, n in MAM_ROWS],
    )


def test_first_order_matches_pinned_mam_removal_effects():
    assert removal_effects(_mam_counts()) == pytest.approx(MAM_REMOVAL_EFFECTS, abs=1e-6)


def test_first_order_matches_installed_mam():
    mam = pytest.importorskip("mam")
    pl = pytest.importorskip("polars")
    rows = [(p, True, c) for p, c, _ in MAM_ROWS if c] + [(p, False, n) for p, _, n in MAM_ROWS if n]
    frame = pl.DataFrame({"path": [r[0] for r in rows], "conv": [r[1] for r in rows], "occ": [r[2] for r in rows]})
    model = mam.MAM(
        frame,
        format_type="grouped_journey",
        channels_colname="path",
        journey_with_conv_colname="conv",
        occurrences_colname="occ",
    )
    theirs = model.run_markov().metadata["removal_effect"]["removal_effect"].to_dict()
    assert removal_effects(_mam_counts()) == pytest.approx(theirs, abs=1e-6)
