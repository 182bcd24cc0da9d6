"""Invariants of the demo lineup data module (pure; no database)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import fields, is_dataclass
from decimal import Decimal

import pytest

from forecourt.catalog import demo_lineup
from forecourt.catalog.demo_lineup import BRANDS, CITIES, MODELS, STORES

POWERTRAINS = {"ice", "hybrid", "phev", "bev"}
BODY_TYPES = {"sedan", "hatchback", "suv", "mpv", "coupe", "convertible", "pickup", "wagon"}
STORE_KINDS = {"dealer", "self_service"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
VIN_ALPHABET = set("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")  # A-Z without I, O, Q

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HEX = re.compile(r"^#[0-9a-f]{6}$")
HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
PHONE = re.compile(r"^\+86 \d{2,3} \d{4} \d{4}$")
CJK = re.compile(r"[\u4e00-\u9fff]")

# Rough bounding boxes (lat_min, lat_max, lon_min, lon_max) of each city's administrative area.
CITY_BOUNDS = {
    "guangzhou": (22.5, 23.95, 112.9, 114.05),
    "shanghai": (30.65, 31.9, 120.85, 122.2),
    "hangzhou": (29.2, 30.6, 118.3, 120.75),
    "beijing": (39.4, 41.1, 115.4, 117.5),
    "nanjing": (31.2, 32.65, 118.35, 119.25),
}

ALL_TRIMS = [(model, trim) for model in MODELS for trim in model.trims]
ALL_COLOURS = [(model, colour) for model in MODELS for colour in model.colours]
ALL_OPTIONS = [(model, option) for model in MODELS for option in model.options]


def _ids(pairs):
    return [f"{model.code}/{item.code}" for model, item in pairs]


def _decimal_places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int), f"{value!r} is not finite"
    return max(0, -exponent)


def _is_money(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and _decimal_places(value) <= 2


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _duplicates(codes) -> list[str]:
    return sorted(code for code, count in Counter(codes).items() if count > 1)


# -- shape ---------------------------------------------------------------------------------------------


def test_collections_are_tuples_of_frozen_dataclasses():
    for collection in (BRANDS, MODELS, CITIES, STORES):
        assert isinstance(collection, tuple) and collection
        for item in collection:
            assert is_dataclass(item)
            assert type(item).__dataclass_params__.frozen
    for model in MODELS:
        assert isinstance(model.trims, tuple)
        assert isinstance(model.colours, tuple)
        assert isinstance(model.options, tuple)


def test_specs_are_immutable_and_hashable():
    store = STORES[0]
    with pytest.raises(AttributeError):
        store.code = "changed"  # type: ignore[misc]
    hash(store)
    hash(MODELS[0])


def test_module_is_pure_standard_library():
    source = open(demo_lineup.__file__, encoding="utf-8").read()
    imports = re.findall(r"^\s*(?:from|import)\s+([\w.]+)", source, flags=re.MULTILINE)
    assert set(imports) <= {"__future__", "dataclasses", "decimal"}


def test_expected_counts():
    assert len(BRANDS) == 2
    assert len(MODELS) == 13
    assert len(CITIES) == 5
    assert len(STORES) >= 11


def test_expected_lineup():
    assert {brand.code for brand in BRANDS} == {"ford", "lincoln"}
    assert {model.code for model in MODELS} == {
        "focus",
        "escort",
        "mondeo",
        "taurus",
        "kuga",
        "ecosport",
        "edge",
        "explorer",
        "everest",
        "mustang",
        "mkc",
        "continental",
        "navigator",
    }
    assert {city.code for city in CITIES} == {"guangzhou", "shanghai", "hangzhou", "beijing", "nanjing"}
    mondeo = next(model for model in MODELS if model.code == "mondeo")
    assert any(trim.powertrain == "hybrid" for trim in mondeo.trims)


# -- codes ---------------------------------------------------------------------------------------------


def test_brand_model_city_store_codes_unique():
    for collection in (BRANDS, MODELS, CITIES, STORES):
        assert not _duplicates(item.code for item in collection)


def test_trim_codes_globally_unique():
    assert not _duplicates(trim.code for _, trim in ALL_TRIMS)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.code)
def test_colour_and_option_codes_unique_within_model(model):
    assert not _duplicates(colour.code for colour in model.colours)
    assert not _duplicates(option.code for option in model.options)


def test_all_codes_are_lowercase_kebab():
    codes = [item.code for collection in (BRANDS, MODELS, CITIES, STORES) for item in collection]
    codes += [item.code for _, item in ALL_TRIMS + ALL_COLOURS + ALL_OPTIONS]
    bad = [code for code in codes if not KEBAB.match(code)]
    assert not bad


def test_trim_codes_start_with_model_code():
    for model, trim in ALL_TRIMS:
        assert trim.code.startswith(f"{model.code}-"), trim.code


# -- names ---------------------------------------------------------------------------------------------

_NAMED = (
    [(f"brand/{b.code}", b) for b in BRANDS]
    + [(f"model/{m.code}", m) for m in MODELS]
    + [(f"trim/{m.code}/{t.code}", t) for m, t in ALL_TRIMS]
    + [(f"colour/{m.code}/{c.code}", c) for m, c in ALL_COLOURS]
    + [(f"option/{m.code}/{o.code}", o) for m, o in ALL_OPTIONS]
    + [(f"city/{c.code}", c) for c in CITIES]
    + [(f"store/{s.code}", s) for s in STORES]
)


@pytest.mark.parametrize("item", [item for _, item in _NAMED], ids=[label for label, _ in _NAMED])
def test_names_present_and_zh_contains_cjk(item):
    assert item.name_en.strip() == item.name_en and item.name_en
    assert not CJK.search(item.name_en), item.name_en
    assert CJK.search(item.name_zh), item.name_zh


@pytest.mark.parametrize("city", CITIES, ids=lambda c: c.code)
def test_city_provinces(city):
    assert city.province_en
    assert CJK.search(city.province_zh)


# -- models --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.code)
def test_model_fields(model):
    assert model.brand_code in {brand.code for brand in BRANDS}
    assert model.body_type in BODY_TYPES
    assert 1 <= model.popularity <= 10
    assert 2 <= len(model.trims) <= 4
    assert 3 <= len(model.colours) <= 6
    assert 1 <= len(model.options) <= 3
    for text in (model.description_en, model.description_zh):
        assert 0 < len(text) <= 200
    assert CJK.search(model.description_zh)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.code)
def test_model_vin_parts(model):
    assert len(model.wmi) == 3 and set(model.wmi) <= VIN_ALPHABET
    assert len(model.vds) == 5 and set(model.vds) <= VIN_ALPHABET
    assert len(model.plant_code) == 1 and set(model.plant_code) <= VIN_ALPHABET


def test_wmi_assignments():
    wmi = {model.code: model.wmi for model in MODELS}
    for code in ("focus", "escort", "mondeo", "taurus", "kuga", "ecosport", "edge"):
        assert wmi[code] == "LVS"
    assert wmi["everest"] == "LJX"
    assert wmi["explorer"] == "1FM"
    assert wmi["mustang"] == "1FA"
    assert wmi["continental"] == "1LN"
    assert wmi["navigator"] == "5LM"
    assert wmi["mkc"] in {"LVS", "5LM"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.code)
def test_trims_listed_cheapest_first(model):
    prices = [trim.msrp for trim in model.trims]
    assert prices == sorted(prices)


# -- trims ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "trim"), ALL_TRIMS, ids=_ids(ALL_TRIMS))
def test_trim_fields(model, trim):
    assert trim.powertrain in POWERTRAINS
    assert trim.engine and trim.transmission
    assert 1 <= trim.seats <= 12
    assert _is_money(trim.msrp) and trim.msrp > 0
    assert Decimal("50000") <= trim.msrp <= Decimal("2000000")


@pytest.mark.parametrize(("model", "trim"), ALL_TRIMS, ids=_ids(ALL_TRIMS))
def test_trim_energy_figures_match_powertrain(model, trim):
    fuel, electric_range = trim.fuel_consumption_l_100km, trim.electric_range_km
    if trim.powertrain == "bev":
        assert fuel is None
        assert isinstance(electric_range, int) and electric_range > 0
    elif trim.powertrain == "phev":
        assert isinstance(electric_range, int) and electric_range > 0
    else:  # ice, hybrid
        assert fuel is not None
        assert electric_range is None
    if fuel is not None:
        assert isinstance(fuel, Decimal)
        assert fuel.as_tuple().exponent == -1, f"{fuel!r} should have exactly one decimal place"
        assert Decimal("0") < fuel < Decimal("30")


# -- colours and options -------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "colour"), ALL_COLOURS, ids=_ids(ALL_COLOURS))
def test_colour_fields(model, colour):
    assert HEX.match(colour.hex), colour.hex
    assert _is_money(colour.surcharge) and colour.surcharge >= 0


@pytest.mark.parametrize(("model", "option"), ALL_OPTIONS, ids=_ids(ALL_OPTIONS))
def test_option_fields(model, option):
    assert _is_money(option.price) and option.price > 0


# -- stores --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("store", STORES, ids=lambda s: s.code)
def test_store_fields(store):
    assert store.kind in STORE_KINDS
    assert store.city_code in {city.code for city in CITIES}
    assert store.time_zone == "Asia/Shanghai"
    assert PHONE.match(store.phone), store.phone
    assert store.address_en and CJK.search(store.address_zh)


@pytest.mark.parametrize("store", STORES, ids=lambda s: s.code)
def test_store_coordinates_inside_city(store):
    for value in (store.latitude, store.longitude):
        assert isinstance(value, Decimal) and value.is_finite()
        assert _decimal_places(value) <= 6
    lat_min, lat_max, lon_min, lon_max = CITY_BOUNDS[store.city_code]
    assert lat_min <= store.latitude <= lat_max
    assert lon_min <= store.longitude <= lon_max


@pytest.mark.parametrize("store", STORES, ids=lambda s: s.code)
def test_store_opening_hours(store):
    hours = store.opening_hours
    assert isinstance(hours, dict)
    assert tuple(hours) == DAYS
    assert any(hours[day] for day in DAYS), "a store must open on at least one day"
    for day in DAYS:
        previous_close = -1
        for interval in hours[day]:
            assert isinstance(interval, list) and len(interval) == 2, (day, interval)
            open_, close = interval
            assert HHMM.match(open_) and HHMM.match(close), (day, interval)
            assert _minutes(open_) < _minutes(close), (day, interval)
            assert _minutes(open_) > previous_close, f"{day}: intervals overlap or are out of order"
            previous_close = _minutes(close)


def test_opening_hours_not_shared_between_stores():
    dicts = [id(store.opening_hours) for store in STORES]
    lists = [id(hours) for store in STORES for hours in store.opening_hours.values()]
    assert len(set(dicts)) == len(dicts)
    assert len(set(lists)) == len(lists)


def test_exactly_one_self_service_store_in_guangzhou():
    self_service = [store for store in STORES if store.kind == "self_service"]
    assert len(self_service) == 1
    store = self_service[0]
    assert store.city_code == "guangzhou"
    assert store.opening_hours == {day: [["08:00", "22:00"]] for day in DAYS}


def test_every_city_has_a_store():
    assert {city.code for city in CITIES} <= {store.city_code for store in STORES}


def test_mostly_dealers():
    kinds = Counter(store.kind for store in STORES)
    assert kinds["dealer"] > kinds["self_service"]


# -- fits the catalogue schema column widths ----------------------------------------------------------

# Column widths of the catalogue tables (forecourt.catalog.models), checked here as plain numbers so this
# test stays free of ORM imports.
_WIDTHS = {
    "BrandSpec": {"code": 40, "name_en": 80, "name_zh": 80},
    "ModelSpec": {
        "code": 40,
        "name_en": 80,
        "name_zh": 80,
        "body_type": 20,
        "description_en": 500,
        "description_zh": 500,
    },
    "TrimSpec": {"code": 60, "name_en": 120, "name_zh": 120, "powertrain": 10, "engine": 40, "transmission": 40},
    "ColourSpec": {"code": 40, "name_en": 80, "name_zh": 80, "hex": 7},
    "OptionSpec": {"code": 40, "name_en": 120, "name_zh": 120},
    "CitySpec": {"code": 40, "name_en": 80, "name_zh": 80, "province_en": 80, "province_zh": 80},
    "StoreSpec": {
        "code": 40,
        "name_en": 120,
        "name_zh": 120,
        "kind": 20,
        "address_en": 200,
        "address_zh": 200,
        "time_zone": 64,
        "phone": 32,
    },
}


def test_strings_fit_column_widths():
    items = [*BRANDS, *MODELS, *CITIES, *STORES]
    items += [item for _, item in ALL_TRIMS + ALL_COLOURS + ALL_OPTIONS]
    too_long = []
    for item in items:
        widths = _WIDTHS[type(item).__name__]
        for spec_field in fields(item):
            value = getattr(item, spec_field.name)
            if spec_field.name in widths and len(value) > widths[spec_field.name]:
                too_long.append((type(item).__name__, item.code, spec_field.name, len(value)))
    assert not too_long
