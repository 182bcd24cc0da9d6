"""Both query plans of a search page (walk the sort index / sort the matches) give the same pages."""

from __future__ import annotations

import pytest

from forecourt.catalog import repository
from forecourt.catalog.criteria import SortKey, VehicleCriteria
from tests.factories import make_small_catalog, make_vehicle


@pytest.fixture
def fleet(db_session):
    cat = make_small_catalog(db_session)
    trims, stores = list(cat["trims"].values()), list(cat["stores"].values())
    for n in range(30):
        make_vehicle(
            db_session,
            trims[n % len(trims)],
            stores[n % len(stores)],
            price=f"{100000 + (n % 7) * 10000}.00",
            model_year=2018 + n % 2,
            mileage_km=(n * 37) % 11,
        )
    return cat


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("restricted", [False, True])
def test_index_walk_and_sorted_matches_agree(db_session, fleet, sort, restricted):
    trims = fleet["trims"]
    criteria = VehicleCriteria(
        trim_ids=frozenset({trims["mondeo-hybrid"].id, trims["kuga-ecoboost245"].id}) if restricted else None
    )
    pages = {}
    for few_matches in (False, True):
        pages[few_matches] = [
            v.vin
            for offset in range(0, 30, 4)
            for v in repository.search_vehicles(db_session, criteria, sort, 4, offset, few_matches=few_matches)
        ]
    assert pages[False] == pages[True]
    assert len(pages[True]) == len(set(pages[True])) == (15 if restricted else 30)
