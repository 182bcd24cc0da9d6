"""GET /api/v1/vehicles and the catalog read endpoints, on SQLite and PostgreSQL.

Every search is checked against a brute-force answer computed in Python from the vehicles the test
created: which vehicles match, in which order, and the disjunctive facet counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecourt.catalog.facets import FACET_DIMENSIONS
from forecourt.catalog.vin import build_vin
from tests.factories import make_small_catalog, make_vehicle

URL = "/api/v1/vehicles"
DEFAULT_STATUSES = ("available", "in_transit")
ALL_STATUSES = ["available", "in_transit", "reserved", "sold"]
MONEY = re.compile(r"^\d+\.\d{2}$")


@dataclass(frozen=True)
class Car:
    id: int
    vin: str
    trim: str
    price: Decimal
    mileage: int
    fleet: bool
    created_at: datetime
    facets: dict[str, str]  # value per facet dimension


def _record(vehicle, cat) -> Car:
    trim = vehicle.trim
    model = trim.model
    return Car(
        id=vehicle.id,
        vin=vehicle.vin,
        trim=trim.code,
        price=vehicle.price,
        mileage=vehicle.mileage_km,
        fleet=vehicle.is_test_drive_fleet,
        created_at=vehicle.created_at,
        facets={
            "brand": model.brand.code,
            "model": model.code,
            "body_type": model.body_type,
            "powertrain": trim.powertrain,
            "colour": vehicle.colour.code if vehicle.colour else "unspecified",
            "model_year": str(vehicle.model_year),
            "city": vehicle.store.city.code,
            "store": vehicle.store.code,
            "status": vehicle.status,
        },
    )


# (trim, store, colour, price, year, mileage, status, fleet)
FLEET = [
    ("mondeo-ecoboost180", "gz-tianhe", "white", "169800.00", 2018, 0, "available", False),
    ("mondeo-ecoboost180", "sh-pudong", None, "169800.00", 2019, 12000, "available", False),
    ("mondeo-hybrid", "sh-pudong", "white", "252800.00", 2020, 0, "available", False),
    ("mondeo-hybrid", "gz-self", "white", "239800.00", 2021, 5000, "in_transit", False),
    ("kuga-ecoboost245", "gz-tianhe", "black", "249800.00", 2019, 30000, "available", True),
    ("kuga-ecoboost245", "gz-tianhe", "black", "249800.00", 2019, 30000, "available", False),
    ("kuga-ecoboost245", "gz-tianhe", "black", "219800.00", 2018, 80000, "reserved", False),
    ("kuga-ecoboost245", "sh-pudong", None, "229800.00", 2020, 0, "sold", False),
    ("navigator-reserve", "sh-pudong", None, "1348000.00", 2021, 0, "available", False),
    ("navigator-reserve", "gz-self", None, "1298000.00", 2020, 15000, "in_transit", True),
    ("mondeo-ecoboost180", "gz-self", "white", "159800.00", 2018, 45000, "available", True),
    ("kuga-ecoboost245", "sh-pudong", "black", "239800.00", 2021, 1000, "available", False),
]


@pytest.fixture
def cars(db_session) -> list[Car]:
    cat = make_small_catalog(db_session)
    made = []
    for trim, store, colour, price, year, mileage, status, fleet in FLEET:
        made.append(
            make_vehicle(
                db_session,
                cat["trims"][trim],
                cat["stores"][store],
                cat["colours"][colour] if colour else None,
                price=price,
                model_year=year,
                mileage_km=mileage,
                status=status,
                test_drive_fleet=fleet,
            )
        )
    db_session.commit()
    return [_record(v, cat) for v in made]


# --- the brute-force oracle --------------------------------------------------------------------------------

SORT_KEYS = {
    "price": lambda c: (c.price, c.id),
    "-price": lambda c: (-c.price, c.id),
    "-year": lambda c: (-int(c.facets["model_year"]), c.price, c.id),
    "year": lambda c: (int(c.facets["model_year"]), c.price, c.id),
    "mileage": lambda c: (c.mileage, c.price, c.id),
    "-mileage": lambda c: (-c.mileage, c.price, c.id),
    "newest": lambda c: (-c.created_at.timestamp(), c.id),
}


def _selection(params: dict) -> dict[str, set[str]]:
    selected = {dim: {str(v) for v in _as_list(params.get(dim, []))} for dim in FACET_DIMENSIONS}
    selected["status"] = selected["status"] or set(DEFAULT_STATUSES)
    return selected


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _passes_base(car: Car, params: dict, trims: set[str] | None) -> bool:
    year = int(car.facets["model_year"])
    return (
        (trims is None or car.trim in trims)
        and ("price_min" not in params or car.price >= Decimal(str(params["price_min"])))
        and ("price_max" not in params or car.price <= Decimal(str(params["price_max"])))
        and ("year_min" not in params or year >= params["year_min"])
        and ("year_max" not in params or year <= params["year_max"])
        and ("mileage_max" not in params or car.mileage <= params["mileage_max"])
        and ("test_drive_fleet" not in params or car.fleet == (params["test_drive_fleet"] == "true"))
    )


def expected_search(cars: list[Car], params: dict, trims: set[str] | None = None):
    """(matching VINs in order, {dim: {value: count}}) for a query; `trims` = what `q` should match."""
    selected = _selection(params)
    base = [c for c in cars if _passes_base(c, params, trims)]

    def passes(car: Car, skip: str | None = None) -> bool:
        return all(not chosen or car.facets[d] in chosen for d, chosen in selected.items() if d != skip)

    matching = sorted((c for c in base if passes(c)), key=SORT_KEYS[params.get("sort", "price")])
    facets = {}
    for dim in FACET_DIMENSIONS:
        counts = {value: 0 for value in selected[dim]}
        for car in base:
            if passes(car, skip=dim):
                counts[car.facets[dim]] = counts.get(car.facets[dim], 0) + 1
        facets[dim] = counts
    return [c.vin for c in matching], facets


def _search(client, params: dict) -> dict:
    response = client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _facet_counts(body: dict) -> dict[str, dict[str, int]]:
    return {dim: {v["value"]: v["count"] for v in values} for dim, values in body["facets"].items()}


FILTER_CASES = [
    ({}, None),
    ({"brand": "ford"}, None),
    ({"brand": "lincoln"}, None),
    ({"model": ["mondeo", "navigator"]}, None),
    ({"body_type": "suv"}, None),
    ({"body_type": ["suv", "sedan"]}, None),
    ({"powertrain": "hybrid"}, None),
    ({"colour": "agate-black"}, None),
    ({"colour": ["oxford-white", "agate-black"]}, None),
    ({"model_year": [2019, 2021]}, None),
    ({"city": "guangzhou"}, None),
    ({"store": "gz-self-service"}, None),
    ({"status": "reserved"}, None),
    ({"status": ALL_STATUSES}, None),
    ({"status": "sold", "model": "kuga"}, None),
    ({"price_min": "230000"}, None),
    ({"price_max": "249800.00"}, None),
    ({"price_min": "169800", "price_max": "239800"}, None),
    ({"year_min": 2020}, None),
    ({"year_max": 2019}, None),
    ({"year_min": 2019, "year_max": 2020}, None),
    ({"mileage_max": 12000}, None),
    ({"mileage_max": 0}, None),
    ({"test_drive_fleet": "true"}, None),
    ({"test_drive_fleet": "false"}, None),
    ({"q": "kuga"}, {"kuga-ecoboost245"}),
    ({"q": "Mondeo Hybrid"}, {"mondeo-hybrid"}),
    ({"q": "ECOBOOST"}, {"mondeo-ecoboost180", "kuga-ecoboost245"}),
    ({"q": "翼虎"}, {"kuga-ecoboost245"}),
    ({"q": "蒙迪欧"}, {"mondeo-ecoboost180", "mondeo-hybrid"}),
    ({"q": "林肯"}, {"navigator-reserve"}),
    ({"q": "ＫＵＧＡ"}, {"kuga-ecoboost245"}),
    ({"q": "tesla"}, set()),
    ({"q": "   "}, None),
    # Facet-count combinations: several selections narrowing each other, plus non-facet filters.
    ({"body_type": "suv", "city": "guangzhou"}, None),
    ({"brand": "ford", "city": "shanghai", "colour": "oxford-white"}, None),
    ({"model": "kuga", "store": ["gz-tianhe", "sh-pudong"], "status": ALL_STATUSES, "price_max": "240000"}, None),
    ({"powertrain": ["ice", "hybrid"], "model_year": 2018, "city": "guangzhou", "test_drive_fleet": "true"}, None),
    (
        {"q": "ford", "body_type": "sedan", "year_min": 2019, "status": ["available", "sold"]},
        {"mondeo-ecoboost180", "mondeo-hybrid", "kuga-ecoboost245"},
    ),
    ({"brand": "lincoln", "model": "mondeo"}, None),  # contradictory selections: nothing matches
]


def test_filters_and_facets_match_brute_force(client, cars):
    """All FILTER_CASES against one data set (building it per case would dominate the run time)."""
    failures = []
    for params, trims in FILTER_CASES:
        vins, facets = expected_search(cars, params, trims)
        body = _search(client, {**params, "page_size": 100})
        selected = {dim: {v["value"] for v in values if v["selected"]} for dim, values in body["facets"].items()}
        got = ([item["vin"] for item in body["items"]], body["total"], _facet_counts(body), selected)
        want = (vins, len(vins), facets, _selection(params))
        if got != want:
            failures.append(f"{params}: got {got}, expected {want}")
    assert not failures, "\n".join(failures)


UNIVERSE = {
    "brand": ["ford", "lincoln"],
    "model": ["mondeo", "kuga", "navigator"],
    "body_type": ["sedan", "suv", "mpv"],
    "powertrain": ["ice", "hybrid", "bev"],
    "colour": ["oxford-white", "agate-black"],
    "model_year": ["2018", "2019", "2020", "2021", "2025"],
    "city": ["guangzhou", "shanghai"],
    "store": ["gz-tianhe", "gz-self-service", "sh-pudong"],
    "status": ALL_STATUSES,
}
random_queries = st.fixed_dictionaries(
    {},
    optional={
        **{dim: st.lists(st.sampled_from(vs), min_size=1, max_size=3, unique=True) for dim, vs in UNIVERSE.items()},
        "price_max": st.sampled_from(["169800", "239800.00", "300000"]),
        "year_min": st.integers(2018, 2021),
        "mileage_max": st.sampled_from([0, 12000, 50000]),
        "test_drive_fleet": st.sampled_from(["true", "false"]),
        "sort": st.sampled_from(list(SORT_KEYS)),
    },
)


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=random_queries)
def test_random_queries_match_brute_force(client, cars, params):
    """The key property: any combination of selections gets the brute-force answer (searches only read)."""
    vins, facets = expected_search(cars, params)
    body = _search(client, {**params, "page_size": 100})
    assert [item["vin"] for item in body["items"]] == vins
    assert body["total"] == len(vins)
    assert _facet_counts(body) == facets


@pytest.mark.parametrize("q", ["蒙迪欧混动", "福特蒙迪欧"])
def test_unspaced_chinese_query_across_names(client, cars, q):
    expected = {"蒙迪欧混动": {"mondeo-hybrid"}, "福特蒙迪欧": {"mondeo-ecoboost180", "mondeo-hybrid"}}[q]
    vins, _ = expected_search(cars, {"q": q}, expected)
    assert vins
    assert [item["vin"] for item in _search(client, {"q": q})["items"]] == vins


def test_every_facet_value_is_a_working_filter(client, cars):
    """Selecting any offered facet value (alone) returns exactly the count the facet showed for it."""
    facets = _search(client, {"page_size": 100})["facets"]
    checked = 0
    for dim, values in facets.items():
        for value in values:
            if (dim, value["value"]) == ("colour", "unspecified"):
                continue  # see test_unspecified_colour_is_a_working_filter
            body = _search(client, {dim: value["value"], "page_size": 100})
            assert body["total"] == value["count"], (dim, value)
            checked += 1
    assert checked >= 20


def test_unspecified_colour_is_a_working_filter(client, cars):
    offered = {v["value"]: v["count"] for v in _search(client, {})["facets"]["colour"]}
    assert offered["unspecified"] == 3
    response = client.get(URL, params={"colour": "unspecified"})
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 3


def test_default_status_hides_reserved_and_sold(client, cars):
    body = _search(client, {"page_size": 100})
    assert {item["status"] for item in body["items"]} == set(DEFAULT_STATUSES)
    hidden = {c.vin for c in cars if c.facets["status"] in ("reserved", "sold")}
    assert len(hidden) == 2 and hidden.isdisjoint(item["vin"] for item in body["items"])
    statuses = _facet_counts(body)["status"]
    assert statuses == {"available": 8, "in_transit": 2, "reserved": 1, "sold": 1}


def _walk(client, params: dict) -> list[str]:
    first = _search(client, {**params, "page": 1})
    seen = [item["vin"] for item in first["items"]]
    for page in range(2, first["pages"] + 1):
        body = _search(client, {**params, "page": page})
        assert body["total"] == first["total"] and body["pages"] == first["pages"]
        assert len(body["items"]) <= params["page_size"]
        seen += [item["vin"] for item in body["items"]]
    assert first["pages"] == -(-first["total"] // params["page_size"])
    return seen


@pytest.mark.parametrize("sort", list(SORT_KEYS))
def test_sort_and_walk_pages(client, cars, sort):
    params = {"sort": sort, "status": ALL_STATUSES, "page_size": 2}
    expected, _ = expected_search(cars, params)
    assert len(expected) == len(FLEET)
    seen = _walk(client, params)
    assert seen == expected  # in order: every vehicle once, no repeats, ties broken by id
    assert _search(client, {**params, "page_size": 100})["sort"] == sort


@pytest.mark.parametrize("sort", list(SORT_KEYS))
def test_walk_pages_with_many_ties(client, db_session, sort):
    cat = make_small_catalog(db_session)
    same_moment = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    made = []
    for _ in range(7):
        vehicle = make_vehicle(
            db_session,
            cat["trims"]["kuga-ecoboost245"],
            cat["stores"]["gz-tianhe"],
            price="199800.00",
            model_year=2020,
            mileage_km=100,
        )
        vehicle.created_at = same_moment
        made.append(vehicle)
    db_session.commit()
    expected = [v.vin for v in sorted(made, key=lambda v: v.id)]
    assert _walk(client, {"sort": sort, "page_size": 2}) == expected


def test_pages_total_and_beyond_the_end(client, cars):
    body = _search(client, {"page_size": 3})
    assert (body["total"], body["pages"], body["page"], body["page_size"]) == (10, 4, 1, 3)
    last = _search(client, {"page_size": 3, "page": 4})
    assert len(last["items"]) == 1
    beyond = _search(client, {"page_size": 3, "page": 5})
    assert beyond["items"] == [] and beyond["total"] == 10 and beyond["pages"] == 4
    far = _search(client, {"page": 10_000, "page_size": 100})
    assert far["items"] == [] and far["total"] == 10
    assert _facet_counts(beyond) == _facet_counts(body)


def test_empty_catalog(client):
    body = _search(client, {})
    assert (body["items"], body["total"], body["pages"]) == ([], 0, 0)
    assert body["facets"]["status"] == [
        {"value": v, "label_en": en, "label_zh": zh, "count": 0, "selected": True}
        for v, en, zh in (("available", "Available", "在售"), ("in_transit", "In transit", "在途"))
    ]


def test_facet_labels_are_bilingual(client, cars):
    facets = _search(client, {})["facets"]
    model = next(v for v in facets["model"] if v["value"] == "mondeo")
    assert (model["label_en"], model["label_zh"]) == ("Mondeo", "蒙迪欧")
    hybrid = next(v for v in facets["powertrain"] if v["value"] == "hybrid")
    assert (hybrid["label_en"], hybrid["label_zh"]) == ("Hybrid", "混合动力")
    assert [v["value"] for v in facets["model_year"]] == ["2021", "2020", "2019", "2018"]


def test_money_fields_are_two_decimal_strings(client, cars):
    body = _search(client, {"q": "mondeo", "page_size": 100})
    assert body["items"]
    for item in body["items"]:
        for value in (item["price"], item["list_price"], item["trim"]["msrp"]):
            assert isinstance(value, str) and MONEY.match(value), value
        assert item["offer_price"] is None
        if item["colour"]:
            assert item["colour"]["surcharge"] == "0.00"
        assert item["currency"] == "CNY"
    cheapest = body["items"][0]
    assert (cheapest["price"], cheapest["trim"]["msrp"]) == ("159800.00", "179800.00")


def test_get_vehicle(client, cars):
    car = cars[2]
    response = client.get(f"{URL}/{car.vin}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["vin"] == car.vin and body["price"] == "252800.00"
    assert body["model"]["code"] == "mondeo" and body["model"]["brand"]["code"] == "ford"
    assert body["store"]["city"]["code"] == "shanghai"
    assert body["trim"]["powertrain"] == "hybrid"
    assert datetime.fromisoformat(body["created_at"]).utcoffset().total_seconds() == 0
    assert client.get(f"{URL}/{car.vin.lower()}").json()["vin"] == car.vin


def test_get_vehicle_404_and_422(client, cars):
    missing = build_vin("LVS", "HCAMB", 2020, "Z", 999_998)
    response = client.get(f"{URL}/{missing}")
    assert response.status_code == 404 and response.json()["code"] == "vehicle_not_found"
    bad = client.get(f"{URL}/{missing[:8]}{'0' if missing[8] != '0' else '1'}{missing[9:]}")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_vin"
    assert "check digit" in bad.json()["detail"]


def test_models(client, cars):
    response = client.get("/api/v1/models")
    assert response.status_code == 200
    models = response.json()
    assert [m["code"] for m in models] == ["kuga", "mondeo", "navigator"]
    mondeo = client.get("/api/v1/models/mondeo").json()
    assert mondeo["brand"] == {"code": "ford", "name_en": "Ford", "name_zh": "福特"}
    assert [t["code"] for t in mondeo["trims"]] == ["mondeo-ecoboost180", "mondeo-hybrid"]  # by msrp
    assert [t["msrp"] for t in mondeo["trims"]] == ["179800.00", "252800.00"]
    assert [c["code"] for c in mondeo["colours"]] == ["oxford-white"]
    missing = client.get("/api/v1/models/model-t")
    assert missing.status_code == 404 and missing.json()["code"] == "model_not_found"
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_stores(client, cars):
    stores = client.get("/api/v1/stores").json()
    assert [s["code"] for s in stores] == ["gz-self-service", "gz-tianhe", "sh-pudong"]
    store = client.get("/api/v1/stores/sh-pudong").json()
    assert store["city"]["name_zh"] == "上海" and store["kind"] == "dealer"
    assert store["opening_hours"]["mon"] == [["09:00", "18:00"]]
    missing = client.get("/api/v1/stores/nowhere")
    assert missing.status_code == 404 and missing.json()["code"] == "store_not_found"
