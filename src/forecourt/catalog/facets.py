"""Disjunctive facet counts, computed in one pass over grouped vehicle rows. Pure: stdlib + numpy.

Each facet counts the vehicles that match every *other* selected facet (so choosing "SUV" still shows
how many sedans there are). The database returns one row per distinct combination of the facet
columns with its count; here every row is checked once against each facet's selection, and a row
that fails exactly one facet counts only toward that facet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

FACET_DIMENSIONS = ("brand", "model", "body_type", "powertrain", "colour", "model_year", "city", "store", "status")


@dataclass(frozen=True)
class Label:
    en: str
    zh: str


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: Label
    count: int
    selected: bool


@dataclass(frozen=True)
class FacetResult:
    total: int
    facets: dict[str, tuple[FacetValue, ...]]


def compute_facets(
    rows: Sequence[tuple[Mapping[str, str], int]],
    selected: Mapping[str, frozenset[str]],
    labels: Mapping[str, Mapping[str, Label]],
) -> FacetResult:
    """rows: (value per dimension, vehicle count). selected: chosen values per dimension (absent = any)."""
    counts = np.fromiter((count for _, count in rows), dtype=np.int64, count=len(rows))
    codes: dict[str, np.ndarray] = {}
    vocab: dict[str, list[str]] = {}
    passes: dict[str, np.ndarray] = {}
    for dim in FACET_DIMENSIONS:
        index: dict[str, int] = {}
        codes[dim] = np.fromiter(
            (index.setdefault(values[dim], len(index)) for values, _ in rows), dtype=np.int64, count=len(rows)
        )
        vocab[dim] = list(index)
        chosen = selected.get(dim)
        allowed = np.array([not chosen or value in chosen for value in vocab[dim]] + [False], dtype=bool)
        passes[dim] = allowed[codes[dim]]
    failures = np.zeros(len(rows), dtype=np.int64)
    for mask in passes.values():
        failures += ~mask
    matches_all = failures == 0
    facets: dict[str, tuple[FacetValue, ...]] = {}
    for dim in FACET_DIMENSIONS:
        counted = matches_all | ((failures == 1) & ~passes[dim])
        per_value = np.bincount(codes[dim][counted], weights=counts[counted], minlength=len(vocab[dim]))
        facets[dim] = _facet_values(dim, vocab[dim], per_value, selected.get(dim) or frozenset(), labels)
    return FacetResult(total=int(counts[matches_all].sum()), facets=facets)


def _facet_values(
    dim: str,
    vocab: list[str],
    per_value: np.ndarray,
    chosen: frozenset[str],
    labels: Mapping[str, Mapping[str, Label]],
) -> tuple[FacetValue, ...]:
    found = {value: int(count) for value, count in zip(vocab, per_value, strict=True) if count > 0}
    for value in chosen:
        found.setdefault(value, 0)
    dim_labels = labels.get(dim, {})
    items = [
        FacetValue(value, dim_labels.get(value, Label(value, value)), count, value in chosen)
        for value, count in found.items()
    ]
    if dim == "model_year":
        items.sort(key=lambda item: item.value, reverse=True)
    else:
        items.sort(key=lambda item: (-item.count, item.value))
    return tuple(items)
