"""Disjunctive facet counts, computed in one pass over grouped vehicle rows. Pure: stdlib + numpy.

Each facet counts the vehicles that match every *other* selected facet (so choosing "SUV" still shows
how many sedans there are). The database returns one row per distinct combination of the facet
columns with its count; here every row is checked once against each facet's selection, and a row
that fails exactly one facet counts only toward that facet.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
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


@dataclass(frozen=True)
class FacetColumn:
    """One facet dimension over the grouped rows: a code per row indexing into `vocab`."""

    codes: np.ndarray
    vocab: Sequence[str]


def encode(values: Sequence[Hashable]) -> tuple[np.ndarray, list[Hashable]]:
    """Codes per row into the list of distinct values (in first-seen order)."""
    distinct = list(dict.fromkeys(values))
    position = {key: index for index, key in enumerate(distinct)}
    return np.fromiter((position[v] for v in values), dtype=np.int64, count=len(values)), distinct


def project(codes: np.ndarray, value_of_code: Sequence[str]) -> FacetColumn:
    """Map base codes (e.g. one per trim) to a coarser facet (e.g. the trim's model) without touching rows."""
    vocab = list(dict.fromkeys(value_of_code))
    position = {value: index for index, value in enumerate(vocab)}
    lookup = np.array([position[v] for v in value_of_code], dtype=np.int64)
    return FacetColumn(lookup[codes] if len(codes) else np.zeros(0, dtype=np.int64), vocab)


def compute_facets(
    rows: Sequence[tuple[Mapping[str, str], int]],
    selected: Mapping[str, frozenset[str]],
    labels: Mapping[str, Mapping[str, Label]],
) -> FacetResult:
    """Facets from rows given as (value per dimension, vehicle count); see compute_facet_columns."""
    columns = {}
    for dim in FACET_DIMENSIONS:
        codes, distinct = encode([values[dim] for values, _ in rows])
        columns[dim] = FacetColumn(codes, [str(v) for v in distinct])
    counts = np.fromiter((count for _, count in rows), dtype=np.int64, count=len(rows))
    return compute_facet_columns(columns, counts, selected, labels)


def compute_facet_columns(
    columns: Mapping[str, FacetColumn],
    counts: np.ndarray,
    selected: Mapping[str, frozenset[str]],
    labels: Mapping[str, Mapping[str, Label]],
) -> FacetResult:
    """counts: vehicles per grouped row. selected: chosen values per dimension (absent or empty = any)."""
    passes: dict[str, np.ndarray] = {}
    for dim in FACET_DIMENSIONS:
        chosen = selected.get(dim)
        column = columns[dim]
        allowed = np.array([not chosen or value in chosen for value in column.vocab] + [False], dtype=bool)
        passes[dim] = allowed[column.codes]
    failures = np.zeros(len(counts), dtype=np.int64)
    for mask in passes.values():
        failures += ~mask
    matches_all = failures == 0
    facets: dict[str, tuple[FacetValue, ...]] = {}
    for dim in FACET_DIMENSIONS:
        column = columns[dim]
        counted = matches_all | ((failures == 1) & ~passes[dim])
        per_value = np.bincount(column.codes[counted], weights=counts[counted], minlength=len(column.vocab))
        facets[dim] = _facet_values(dim, list(column.vocab), per_value, selected.get(dim) or frozenset(), labels)
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
