"""Small factories for catalog and accounts rows. Each returns flushed ORM objects."""

from __future__ import annotations

import functools
import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.accounts.models import User, UserRole
from forecourt.accounts.passwords import hash_password
from forecourt.catalog.models import Brand, City, Colour, Store, Trim, Vehicle, VehicleModel
from forecourt.catalog.vin import build_vin

_serials = itertools.count(1)
HOURS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def make_brand(session: Session, code: str = "ford", name_en: str = "Ford", name_zh: str = "福特") -> Brand:
    brand = Brand(code=code, name_en=name_en, name_zh=name_zh)
    session.add(brand)
    session.flush()
    return brand


def make_model(
    session: Session, brand: Brand, code: str, name_en: str, name_zh: str, body_type: str = "sedan"
) -> VehicleModel:
    model = VehicleModel(brand=brand, code=code, name_en=name_en, name_zh=name_zh, body_type=body_type)
    session.add(model)
    session.flush()
    return model


def make_trim(
    session: Session,
    model: VehicleModel,
    code: str,
    name_en: str,
    name_zh: str,
    msrp: str,
    powertrain: str = "ice",
) -> Trim:
    trim = Trim(
        model=model,
        code=code,
        name_en=name_en,
        name_zh=name_zh,
        powertrain=powertrain,
        seats=5,
        fuel_consumption_l_100km=None if powertrain == "bev" else Decimal("6.5"),
        electric_range_km=400 if powertrain == "bev" else None,
        msrp=Decimal(msrp),
    )
    session.add(trim)
    session.flush()
    return trim


def make_colour(session: Session, model: VehicleModel, code: str, name_en: str, name_zh: str) -> Colour:
    colour = Colour(model=model, code=code, name_en=name_en, name_zh=name_zh, hex="#000000", surcharge=Decimal("0"))
    session.add(colour)
    session.flush()
    return colour


def make_city(session: Session, code: str, name_en: str, name_zh: str) -> City:
    city = City(code=code, name_en=name_en, name_zh=name_zh, province_en=name_en, province_zh=name_zh)
    session.add(city)
    session.flush()
    return city


def make_store(session: Session, city: City, code: str, kind: str = "dealer") -> Store:
    store = Store(
        code=code,
        name_en=f"Store {code}",
        name_zh=f"门店 {code}",
        kind=kind,
        city=city,
        address_en="1 Test Road",
        address_zh="测试路1号",
        latitude=Decimal("23.129110"),
        longitude=Decimal("113.264385"),
        time_zone="Asia/Shanghai",
        opening_hours=HOURS,
    )
    session.add(store)
    session.flush()
    return store


def make_vehicle(
    session: Session,
    trim: Trim,
    store: Store,
    colour: Colour | None = None,
    *,
    price: str | None = None,
    model_year: int = 2018,
    mileage_km: int = 0,
    status: str = "available",
    test_drive_fleet: bool = False,
    pool: str | None = None,  # rental or subscription: the car is in service, not for sale
) -> Vehicle:
    list_price = Decimal(price) if price else trim.msrp
    vehicle = Vehicle(
        vin=build_vin("LVS", "HCAMB", model_year, "Z", next(_serials)),
        trim=trim,
        colour=colour,
        store=store,
        model_year=model_year,
        mileage_km=mileage_km,
        list_price=list_price,
        offer_price=None,
        price=list_price,
        status="in_service" if pool in ("rental", "subscription") else status,
        fleet_pool=pool or ("test_drive" if test_drive_fleet else "sale"),
        photo_urls=[],
    )
    session.add(vehicle)
    session.flush()
    return vehicle


def make_small_catalog(session: Session) -> dict:
    """Two brands, three models, two cities, three stores: enough for search and facet tests."""
    ford = make_brand(session)
    lincoln = make_brand(session, "lincoln", "Lincoln", "林肯")
    mondeo = make_model(session, ford, "mondeo", "Mondeo", "蒙迪欧", "sedan")
    kuga = make_model(session, ford, "kuga", "Kuga", "翼虎", "suv")
    navigator = make_model(session, lincoln, "navigator", "Navigator", "领航员", "suv")
    trims = {
        "mondeo-ecoboost180": make_trim(
            session, mondeo, "mondeo-ecoboost180", "EcoBoost 180 Trend", "EcoBoost 180 时尚型", "179800.00"
        ),
        "mondeo-hybrid": make_trim(
            session, mondeo, "mondeo-hybrid", "Hybrid Titanium", "混动 智尚型", "252800.00", "hybrid"
        ),
        "kuga-ecoboost245": make_trim(
            session, kuga, "kuga-ecoboost245", "EcoBoost 245 4WD", "EcoBoost 245 四驱", "249800.00"
        ),
        "navigator-reserve": make_trim(session, navigator, "navigator-reserve", "Reserve", "尊耀版", "1348000.00"),
    }
    colours = {
        "white": make_colour(session, mondeo, "oxford-white", "Oxford White", "牛津白"),
        "black": make_colour(session, kuga, "agate-black", "Agate Black", "曜岩黑"),
    }
    guangzhou = make_city(session, "guangzhou", "Guangzhou", "广州")
    shanghai = make_city(session, "shanghai", "Shanghai", "上海")
    stores = {
        "gz-tianhe": make_store(session, guangzhou, "gz-tianhe"),
        "gz-self": make_store(session, guangzhou, "gz-self-service", "self_service"),
        "sh-pudong": make_store(session, shanghai, "sh-pudong"),
    }
    return {
        "brands": (ford, lincoln),
        "models": (mondeo, kuga, navigator),
        "trims": trims,
        "colours": colours,
        "stores": stores,
        "cities": (guangzhou, shanghai),
    }


# --- accounts ------------------------------------------------------------------------------------------------

PASSWORD = "correct-horse-battery"
_user_serials = itertools.count(1)


@functools.lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose; hash the shared test password once


def make_user(
    session: Session,
    roles: list[tuple[str, int | None]] = (),
    *,
    email: str | None = None,
    mobile: str | None = None,
    password: str | None = None,
    active: bool = True,
) -> User:
    """A user with role grants, e.g. make_user(session, roles=[("store_staff", store.id)])."""
    if email is None and mobile is None:
        email = f"user{next(_user_serials)}@example.test"
    user = User(
        email=email,
        mobile=mobile,
        display_name=(email or mobile or "").split("@")[0],
        password_hash=hash_password(password) if password else _password_hash(),
        is_active=active,
        failed_logins=0,
    )
    user.roles = [UserRole(role=role, store_id=store_id) for role, store_id in roles]
    session.add(user)
    session.flush()
    return user


def make_token(session: Session, user: User, name: str = "test") -> str:
    """A personal API token of `user`; returns the secret."""
    from forecourt.accounts.api_tokens import create_api_token

    return create_api_token(session, user.id, name)[1]


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
