"""Shapley-value attribution after Zhao, Mahboobi and Bagheri (2018), "Shapley Value Methods for
Attribution Modeling in Online Advertising".

The game: the players are channels, and the worth of a coalition S is the number (or any
additive amount) of conversions whose set of *distinct* channels is a subset of S,
``v(S) = sum over T ⊆ S of R(T)`` with R(T) the conversions of paths whose channel set is T.

- ``shapley_exact`` evaluates the textbook formula over all coalitions (exponential; for
  checking, at most ``MAX_EXACT_CHANNELS`` channels).
- ``shapley_per_path`` is the paper's simplified formula: ``phi_j = sum over T ∋ j of R(T) / |T|``
  — each converting path's conversions are split evenly among its distinct channels. The two
  agree exactly for this game (the paper's identity; the tests check it).
- ``ordered_shapley`` is the paper's ordered variant: a path's share for channel j is credited
  to the position at which j *first* appears among the path's distinct channels (1-based), so
  ``sum over i of phi_j^i == phi_j``.

Conversions on a path with no touches count towards v(∅), which a Shapley value never
distributes; they go unattributed by every function here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

MAX_EXACT_CHANNELS = 16


def _checked(paths: Sequence[tuple[str, ...]], conversions: Sequence[float]) -> list[tuple[tuple[str, ...], float]]:
    if len(paths) != len(conversions):
        raise ValueError(f"{len(conversions)} conversion counts for {len(paths)} paths.")
    out = []
    for path, conv in zip(paths, conversions, strict=True):
        if isinstance(path, str) or not all(isinstance(c, str) for c in path):
            raise ValueError(f"A path is a tuple of channel names (got {path!r}).")
        if not math.isfinite(conv) or conv < 0:
            raise ValueError(f"Conversions must be finite and non-negative (got {conv}).")
        out.append((tuple(dict.fromkeys(path)), float(conv)))  # distinct channels, first-touch order
    return out


def shapley_per_path(paths: Sequence[tuple[str, ...]], conversions: Sequence[float]) -> dict[str, float]:
    """Channel -> credit: each path's conversions split evenly among its distinct channels.

    Every channel seen on a path is present (0.0 if it never converted).
    """
    credit: dict[str, float] = {}
    for distinct, conv in _checked(paths, conversions):
        for c in distinct:
            credit[c] = credit.get(c, 0.0) + (conv / len(distinct))
    return credit


def ordered_shapley(paths: Sequence[tuple[str, ...]], conversions: Sequence[float]) -> dict[tuple[str, int], float]:
    """(channel, position) -> credit, position being the 1-based first-touch position of the
    channel among the path's distinct channels. Only pairs that occur on some path are present.
    """
    credit: dict[tuple[str, int], float] = defaultdict(float)
    for distinct, conv in _checked(paths, conversions):
        for position, c in enumerate(distinct, start=1):
            credit[(c, position)] += conv / len(distinct)
    return dict(credit)


def shapley_exact(paths: Sequence[tuple[str, ...]], conversions: Sequence[float]) -> dict[str, float]:
    """Channel -> Shapley value of the game ``v(S) = conversions whose channel set ⊆ S``,
    computed over every coalition (O(n 2^n)); raises ValueError above ``MAX_EXACT_CHANNELS``.
    """
    rows = _checked(paths, conversions)
    players = sorted({c for distinct, _ in rows for c in distinct})
    n = len(players)
    if n > MAX_EXACT_CHANNELS:
        raise ValueError(f"The exact Shapley value is limited to {MAX_EXACT_CHANNELS} channels (got {n}).")
    if n == 0:
        return {}
    bit = {c: 1 << i for i, c in enumerate(players)}
    size = 1 << n
    # R(T) on the coalition's bitmask, then the subset-sum (zeta) transform gives v(S).
    v = np.zeros(size)
    for distinct, conv in rows:
        v[sum(bit[c] for c in distinct)] += conv
    masks = np.arange(size)
    for i in range(n):
        has = (masks >> i) & 1 == 1
        v[has] += v[masks[has] ^ (1 << i)]
    popcount = np.zeros(size, dtype=np.intp)
    for i in range(n):
        popcount += (masks >> i) & 1
    # Weight of a coalition S not containing i: |S|! (n - |S| - 1)! / n!
    weight = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])
    out = {}
    for i, c in enumerate(players):
        without = masks[(masks >> i) & 1 == 0]
        out[c] = float(np.sum(weight[popcount[without]] * (v[without | (1 << i)] - v[without])))
    return out
