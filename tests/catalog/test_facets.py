"""Pure tests of disjunctive facet counting and the bilingual name search; no database."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecourt.catalog.facets import FACET_DIMENSIONS, Label, compute_facets
from forecourt.catalog.text_search import build_document, matching_ids, normalize, tokens

BASE = {dim: "x" for dim in FACET_DIMENSIONS}


def row(count: int = 1, **values: str) -> tuple[dict[str, str], int]:
    return ({**BASE, **values}, count)


def counts(result, dim: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[dim]}


ROWS = [
    row(3, body_type="suv", city="guangzhou", brand="ford"),
    row(2, body_type="sedan", city="guangzhou", brand="ford"),
    row(4, body_type="suv", city="shanghai", brand="lincoln"),
    row(1, body_type="sedan", city="shanghai", brand="ford"),
]


def test_no_selection_counts_everything():
    result = compute_facets(ROWS, {}, {})
    assert result.total == 10
    assert counts(result, "body_type") == {"suv": 7, "sedan": 3}
    assert counts(result, "city") == {"guangzhou": 5, "shanghai": 5}
    assert all(not v.selected for vs in result.facets.values() for v in vs)
    assert set(result.facets) == set(FACET_DIMENSIONS)


def test_a_selection_does_not_narrow_its_own_facet():
    result = compute_facets(ROWS, {"body_type": frozenset({"suv"})}, {})
    assert result.total == 7
    assert counts(result, "body_type") == {"suv": 7, "sedan": 3}  # other body types still shown
    assert counts(result, "city") == {"shanghai": 4, "guangzhou": 3}  # narrowed by the SUV choice
    assert counts(result, "brand") == {"lincoln": 4, "ford": 3}


def test_two_selections_narrow_each_other_but_not_themselves():
    result = compute_facets(ROWS, {"body_type": frozenset({"suv"}), "city": frozenset({"guangzhou"})}, {})
    assert result.total == 3
    assert counts(result, "body_type") == {"suv": 3, "sedan": 2}  # Guangzhou only
    assert counts(result, "city") == {"shanghai": 4, "guangzhou": 3}  # SUVs only
    assert counts(result, "brand") == {"ford": 3}  # both apply


def test_several_values_of_one_facet_are_ored():
    result = compute_facets(ROWS, {"city": frozenset({"guangzhou", "shanghai"}), "brand": frozenset({"lincoln"})}, {})
    assert result.total == 4
    assert counts(result, "city") == {"shanghai": 4, "guangzhou": 0}  # selected, so listed even at zero
    assert counts(result, "brand") == {"ford": 6, "lincoln": 4}


def test_empty_rows():
    result = compute_facets([], {}, {})
    assert result.total == 0
    assert all(values == () for values in result.facets.values())


def test_empty_rows_still_list_selected_values():
    result = compute_facets([], {"status": frozenset({"available", "in_transit"})}, {})
    assert result.total == 0
    assert [(v.value, v.count, v.selected) for v in result.facets["status"]] == [
        ("available", 0, True),
        ("in_transit", 0, True),
    ]


def test_selected_value_with_zero_count_is_listed_and_marked():
    result = compute_facets(ROWS, {"body_type": frozenset({"mpv"})}, {})
    assert result.total == 0
    values = {v.value: (v.count, v.selected) for v in result.facets["body_type"]}
    assert values == {"suv": (7, False), "sedan": (3, False), "mpv": (0, True)}
    assert counts(result, "city") == {}  # nothing passes the MPV choice


def test_order_and_labels():
    rows = [
        row(1, model_year="2019", colour="red"),
        row(5, model_year="2021", colour="blue"),
        row(5, model_year="2020", colour="azure"),
    ]
    labels = {"colour": {"red": Label("Race Red", "竞速红")}}
    result = compute_facets(rows, {}, labels)
    assert [v.value for v in result.facets["model_year"]] == ["2021", "2020", "2019"]  # newest first
    assert [v.value for v in result.facets["colour"]] == ["azure", "blue", "red"]  # count desc, then value
    red = result.facets["colour"][-1]
    assert red.label == Label("Race Red", "竞速红")
    assert result.facets["colour"][0].label == Label("azure", "azure")  # unlabelled values fall back to the code


DIM_VALUES = {
    "brand": ["ford", "lincoln"],
    "body_type": ["suv", "sedan", "mpv"],
    "city": ["gz", "sh"],
    "status": ["available", "sold"],
}
rows_strategy = st.lists(
    st.tuples(st.fixed_dictionaries({d: st.sampled_from(v) for d, v in DIM_VALUES.items()}), st.integers(1, 5)),
    max_size=12,
)
selection_strategy = st.fixed_dictionaries(
    {}, optional={d: st.frozensets(st.sampled_from(v), max_size=2) for d, v in DIM_VALUES.items()}
)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(rows_strategy, selection_strategy)
def test_matches_brute_force(partial_rows, selected):
    rows = [({**BASE, **values}, count) for values, count in partial_rows]
    result = compute_facets(rows, selected, {})

    def passes(values, skip=None):
        return all(not chosen or values[d] in chosen for d, chosen in selected.items() if d != skip)

    assert result.total == sum(c for v, c in rows if passes(v))
    for dim in FACET_DIMENSIONS:
        expected: dict[str, int] = {}
        for values, count in rows:
            if passes(values, skip=dim):
                expected[values[dim]] = expected.get(values[dim], 0) + count
        for value in selected.get(dim, ()):
            expected.setdefault(value, 0)
        assert counts(result, dim) == expected, dim
        assert {v.value for v in result.facets[dim] if v.selected} == set(selected.get(dim, ()))


# --- text search --------------------------------------------------------------------------------------------

# One document per trim, English parts first and Chinese parts together, so an unspaced Chinese query
# that runs from brand to model to trim ("福特蒙迪欧混动") is a substring of the compact form.
DOCS = {
    1: build_document(
        ("Ford", "Mondeo", "Hybrid Titanium", "mondeo", "mondeo-hybrid"), ("福特", "蒙迪欧", "混动 智尚型")
    ),
    2: build_document(
        ("Ford", "Mondeo", "EcoBoost 180 Trend", "mondeo", "mondeo-ecoboost180"),
        ("福特", "蒙迪欧", "EcoBoost 180 时尚型"),
    ),
    3: build_document(
        ("Ford", "Kuga", "EcoBoost 245 4WD", "kuga", "kuga-ecoboost245"), ("福特", "翼虎", "EcoBoost 245 四驱")
    ),
    4: build_document(
        ("Lincoln", "Navigator", "Reserve", "navigator", "navigator-reserve"), ("林肯", "领航员", "尊耀版")
    ),
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mondeo", {1, 2}),
        ("MONDEO", {1, 2}),
        ("Mondeo Hybrid", {1}),
        ("ford ecoboost", {2, 3}),
        ("ecoboost 245", {3}),
        ("ford navigator", set()),  # tokens are ANDed
        ("ford,kuga", {3}),
        ("福特、翼虎", {3}),
        ("蒙迪欧", {1, 2}),
        ("蒙迪欧混动", {1}),  # unspaced Chinese spanning model and trim names
        ("福特蒙迪欧混动", {1}),
        ("蒙迪欧 混动", {1}),
        ("混动智尚型", {1}),
        ("林肯领航员", {4}),
        ("四驱", {3}),
        ("ＭＯＮＤＥＯ", {1, 2}),  # full-width Latin letters, NFKC
        ("ｅｃｏｂｏｏｓｔ　１８０", {2}),  # full-width digits and ideographic space
        ("mondeo-hybrid", {1}),
        ("mondeohybrid", {1}),  # matched against the compact document
        ("tesla", set()),
        ("", {1, 2, 3, 4}),
        ("   ", {1, 2, 3, 4}),
        (" , 、 ", {1, 2, 3, 4}),
    ],
)
def test_matching_ids(query, expected):
    assert matching_ids(query, DOCS) == frozenset(expected)


def test_normalize_and_tokens():
    assert normalize("ＦＯＲＤ　Ｍｏｎｄｅｏ") == "ford mondeo"
    assert normalize("Straße") == "strasse"  # casefold, not lower
    assert tokens("  Ford,Kuga / 翼虎，四驱 ") == ["ford", "kuga", "翼虎", "四驱"]
    assert tokens("") == []


def test_build_document_has_spaced_and_compact_forms():
    spaced, compact = build_document(("Ford", "Mondeo", "mondeo-hybrid"), ("混动 智尚型",))
    assert spaced == "ford mondeo mondeo-hybrid 混动 智尚型"
    assert compact == "fordmondeomondeohybrid\x00混动智尚型"  # each language run together on its own


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(["ford", "福特", "蒙迪欧", "混动", "ecoboost", "245", "reserve", "tesla"]), max_size=3))
def test_more_tokens_never_match_more(words):
    for prefix_length in range(len(words)):
        shorter = matching_ids(" ".join(words[:prefix_length]), DOCS)
        longer = matching_ids(" ".join(words[: prefix_length + 1]), DOCS)
        assert longer <= shorter


def test_every_permutation_of_tokens_matches_the_same():
    words = ["ford", "ecoboost", "245"]
    results = {matching_ids(" ".join(p), DOCS) for p in itertools.permutations(words)}
    assert results == {frozenset({3})}
