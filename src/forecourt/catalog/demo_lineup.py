"""Demo catalogue: the Ford and Lincoln lineup sold in China in 2018, plus demo cities and stores.

Pure data, standard library only (no ORM, no web framework), so it can be imported by the demo-data
loader, by tests, and by anything else without side effects. Names are given in English and Simplified
Chinese; prices are plausible 2018 manufacturer's suggested retail prices in CNY (before subsidies and
dealer discounts), not an authoritative price list.

VIN parts: each model carries the WMI (VIN positions 1-3), a VDS pattern (positions 4-8) and a plant code
(position 11) used to generate demo VINs; the check digit (9), model year (10) and serial (12-17) are
filled in by the generator.

Conventions:
  * trims are listed cheapest first;
  * money is ``Decimal`` with two decimal places; fuel consumption is NEDC combined L/100 km;
  * opening hours are local times (``Asia/Shanghai``), a list of ``[open, close]`` pairs per weekday,
    ``[]`` meaning closed that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "BRANDS",
    "CITIES",
    "MODELS",
    "STORES",
    "BrandSpec",
    "CitySpec",
    "ColourSpec",
    "ModelSpec",
    "OptionSpec",
    "StoreSpec",
    "TrimSpec",
]


@dataclass(frozen=True)
class BrandSpec:
    code: str
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class TrimSpec:
    code: str  # globally unique, lowercase-kebab
    name_en: str
    name_zh: str
    powertrain: str  # "ice", "hybrid", "phev" or "bev"
    engine: str
    transmission: str
    seats: int
    fuel_consumption_l_100km: Decimal | None  # one decimal place; None for BEV
    electric_range_km: int | None  # BEV/PHEV only
    msrp: Decimal  # CNY


@dataclass(frozen=True)
class ColourSpec:
    code: str
    name_en: str
    name_zh: str
    hex: str  # "#rrggbb", lowercase
    surcharge: Decimal  # CNY, 0.00 for no-cost colours


@dataclass(frozen=True)
class OptionSpec:
    code: str
    name_en: str
    name_zh: str
    price: Decimal  # CNY


@dataclass(frozen=True)
class ModelSpec:
    code: str
    brand_code: str
    name_en: str
    name_zh: str
    body_type: str  # "sedan", "hatchback", "suv", "mpv", "coupe", "convertible", "pickup" or "wagon"
    description_en: str
    description_zh: str
    wmi: str  # VIN positions 1-3
    vds: str  # VIN positions 4-8
    plant_code: str  # VIN position 11
    popularity: int  # relative weight (1..10) for how many demo vehicles to generate
    trims: tuple[TrimSpec, ...]
    colours: tuple[ColourSpec, ...]
    options: tuple[OptionSpec, ...]


@dataclass(frozen=True)
class CitySpec:
    code: str
    name_en: str
    name_zh: str
    province_en: str
    province_zh: str


@dataclass(frozen=True)
class StoreSpec:
    code: str
    name_en: str
    name_zh: str
    kind: str  # "dealer" or "self_service"
    city_code: str
    address_en: str
    address_zh: str
    latitude: Decimal
    longitude: Decimal
    time_zone: str
    phone: str
    # {"mon": [["09:00", "18:00"]], ..., "sun": []}. Left out of the hash so a StoreSpec stays hashable.
    opening_hours: dict[str, list[list[str]]] = field(hash=False)


def _m(amount: str) -> Decimal:
    """Money literal, always quantised to two decimal places."""
    return Decimal(amount).quantize(Decimal("0.01"))


def _fc(litres: str) -> Decimal:
    """Fuel consumption literal, one decimal place."""
    return Decimal(litres).quantize(Decimal("0.1"))


def _trim(
    code: str,
    name_en: str,
    name_zh: str,
    *,
    engine: str,
    transmission: str,
    seats: int,
    fuel: str | None,
    msrp: str,
    powertrain: str = "ice",
    electric_range_km: int | None = None,
) -> TrimSpec:
    return TrimSpec(
        code=code,
        name_en=name_en,
        name_zh=name_zh,
        powertrain=powertrain,
        engine=engine,
        transmission=transmission,
        seats=seats,
        fuel_consumption_l_100km=None if fuel is None else _fc(fuel),
        electric_range_km=electric_range_km,
        msrp=_m(msrp),
    )


def _colour(code: str, name_en: str, name_zh: str, hex_: str, surcharge: str = "0") -> ColourSpec:
    return ColourSpec(code=code, name_en=name_en, name_zh=name_zh, hex=hex_, surcharge=_m(surcharge))


def _option(code: str, name_en: str, name_zh: str, price: str) -> OptionSpec:
    return OptionSpec(code=code, name_en=name_en, name_zh=name_zh, price=_m(price))


# --------------------------------------------------------------------------------------------------
# Brands
# --------------------------------------------------------------------------------------------------

BRANDS: tuple[BrandSpec, ...] = (
    BrandSpec(code="ford", name_en="Ford", name_zh="福特"),
    BrandSpec(code="lincoln", name_en="Lincoln", name_zh="林肯"),
)

# --------------------------------------------------------------------------------------------------
# Shared colours and options (ColourSpec/OptionSpec are immutable, so sharing instances is safe)
# --------------------------------------------------------------------------------------------------

_AGATE_BLACK = _colour("agate-black", "Agate Black", "曜岩黑", "#1b1c1e")
_OXFORD_WHITE = _colour("oxford-white", "Oxford White", "牛津白", "#f2f2ee")
_RUBY_RED = _colour("ruby-red", "Ruby Red", "宝石红", "#8d1422", "3000")
_MOONDUST_SILVER = _colour("moondust-silver", "Moondust Silver", "月光银", "#b9bbbd")
_MAGNETIC_GREY = _colour("magnetic-grey", "Magnetic Grey", "磁铁灰", "#55585c")
_LIGHTNING_BLUE = _colour("lightning-blue", "Lightning Blue", "闪电蓝", "#1f4e9c")
_WHITE_PLATINUM = _colour("white-platinum", "White Platinum", "铂金白", "#ece9e2", "3000")
_BURNISHED_GLOW = _colour("burnished-glow", "Burnished Glow", "琥珀金", "#8a6a4a", "3000")

_L_INFINITE_BLACK = _colour("infinite-black", "Infinite Black", "无限黑", "#111214")
_L_WHITE_PLATINUM = _colour("white-platinum", "White Platinum", "铂金白", "#eeebe4", "5000")
_L_SILVER_RADIANCE = _colour("silver-radiance", "Silver Radiance", "璀璨银", "#c2c4c6")
_L_MAGNETIC_GREY = _colour("magnetic-grey", "Magnetic Grey", "磁铁灰", "#56595d")
_L_BURGUNDY_VELVET = _colour("burgundy-velvet", "Burgundy Velvet", "勃艮第红", "#5a1626", "5000")
_L_RHAPSODY_BLUE = _colour("rhapsody-blue", "Rhapsody Blue", "狂想蓝", "#1d2f4f", "5000")

_PANORAMIC_SUNROOF = _option("panoramic-sunroof", "Panoramic sunroof", "全景天窗", "8000")
_SYNC3_NAV = _option("sync3-navigation", "SYNC 3 with navigation", "SYNC 3 智能互联系统（含导航）", "3000")
_BO_AUDIO = _option("bo-audio", "B&O PLAY premium audio", "B&O PLAY 高级音响", "5000")
_COPILOT360 = _option("co-pilot360", "Co-Pilot360 driver assistance", "Co-Pilot360 福特智行驾驶辅助系统", "6000")
_REVEL_AUDIO = _option("revel-audio", "Revel premium audio", "Revel 威力音响", "12000")
_L_COPILOT360 = _option(
    "co-pilot360", "Lincoln Co-Pilot360 driver assistance", "林肯 Co-Pilot360 智能驾驶辅助系统", "15000"
)

# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------

_ESCORT = ModelSpec(
    code="escort",
    brand_code="ford",
    name_en="Escort",
    name_zh="福睿斯",
    body_type="sedan",
    description_en="A roomy, economical family sedan built for China, with a frugal 1.5L engine.",
    description_zh="专为中国家庭打造的紧凑型三厢轿车，空间宽敞，1.5L发动机经济省油。",
    wmi="LVS",
    vds="HZAAE",
    plant_code="A",
    popularity=10,
    trims=(
        _trim(
            "escort-15l-mt-comfort",
            "1.5L MT Comfort",
            "1.5L 手动舒适型",
            engine="1.5L Ti-VCT",
            transmission="5MT",
            seats=5,
            fuel="5.9",
            msrp="79800",
        ),
        _trim(
            "escort-15l-at-comfort",
            "1.5L AT Comfort",
            "1.5L 自动舒适型",
            engine="1.5L Ti-VCT",
            transmission="6AT",
            seats=5,
            fuel="6.1",
            msrp="89800",
        ),
        _trim(
            "escort-15l-at-fashion",
            "1.5L AT Fashion",
            "1.5L 自动时尚型",
            engine="1.5L Ti-VCT",
            transmission="6AT",
            seats=5,
            fuel="6.1",
            msrp="99800",
        ),
        _trim(
            "escort-15l-at-titanium",
            "1.5L AT Titanium",
            "1.5L 自动质尊型",
            engine="1.5L Ti-VCT",
            transmission="6AT",
            seats=5,
            fuel="6.2",
            msrp="116800",
        ),
    ),
    colours=(
        _AGATE_BLACK,
        _OXFORD_WHITE,
        _MOONDUST_SILVER,
        _colour("sea-grey", "Sea Grey", "海洋灰", "#6c7a82"),
        _RUBY_RED,
    ),
    options=(_SYNC3_NAV,),
)

_FOCUS = ModelSpec(
    code="focus",
    brand_code="ford",
    name_en="Focus",
    name_zh="福克斯",
    body_type="sedan",
    description_en="The agile compact sedan with sharp handling and an efficient EcoBoost turbo option.",
    description_zh="操控灵动的紧凑型三厢轿车，可选高效的EcoBoost涡轮增压发动机。",
    wmi="LVS",
    vds="HJCAE",
    plant_code="A",
    popularity=9,
    trims=(
        _trim(
            "focus-16l-at-comfort",
            "1.6L AT Comfort",
            "1.6L 自动舒适型",
            engine="1.6L Ti-VCT",
            transmission="6DCT",
            seats=5,
            fuel="6.4",
            msrp="109800",
        ),
        _trim(
            "focus-16l-at-style",
            "1.6L AT Style",
            "1.6L 自动风尚型",
            engine="1.6L Ti-VCT",
            transmission="6DCT",
            seats=5,
            fuel="6.4",
            msrp="124800",
        ),
        _trim(
            "focus-ecoboost180-titanium",
            "EcoBoost 180 AT Titanium",
            "EcoBoost 180 自动精英型",
            engine="1.5T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="6.3",
            msrp="145800",
        ),
        _trim(
            "focus-ecoboost180-titanium-plus",
            "EcoBoost 180 AT Titanium Plus",
            "EcoBoost 180 自动旗舰型",
            engine="1.5T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="6.3",
            msrp="159800",
        ),
    ),
    colours=(
        _AGATE_BLACK,
        _OXFORD_WHITE,
        _MOONDUST_SILVER,
        _MAGNETIC_GREY,
        _colour("race-red", "Race Red", "竞速红", "#c8102e", "3000"),
        _LIGHTNING_BLUE,
    ),
    options=(_PANORAMIC_SUNROOF, _SYNC3_NAV),
)

_MONDEO = ModelSpec(
    code="mondeo",
    brand_code="ford",
    name_en="Mondeo",
    name_zh="蒙迪欧",
    body_type="sedan",
    description_en="A refined mid-size sedan offered with EcoBoost turbo, full hybrid and plug-in hybrid powertrains.",
    description_zh="精致的中型轿车，提供EcoBoost涡轮增压、油电混合与插电式混合动力多种选择。",
    wmi="LVS",
    vds="HFFAL",
    plant_code="H",
    popularity=8,
    trims=(
        _trim(
            "mondeo-ecoboost180-fashion",
            "EcoBoost 180 Fashion",
            "EcoBoost 180 时尚型",
            engine="1.5T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="6.4",
            msrp="179800",
        ),
        _trim(
            "mondeo-ecoboost200-titanium",
            "EcoBoost 200 Titanium",
            "EcoBoost 200 豪华型",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="7.3",
            msrp="222800",
        ),
        _trim(
            "mondeo-hybrid-titanium",
            "2.0L Hybrid Titanium",
            "2.0L HEV 智豪型",
            engine="2.0L Hybrid",
            transmission="e-CVT",
            seats=5,
            fuel="4.2",
            msrp="254800",
            powertrain="hybrid",
        ),
        _trim(
            "mondeo-energi-vignale",
            "Energi Plug-in Hybrid Vignale",
            "Energi 插电混动 智尊型",
            engine="2.0L Plug-in Hybrid",
            transmission="e-CVT",
            seats=5,
            fuel="1.4",
            msrp="279800",
            powertrain="phev",
            electric_range_km=52,
        ),
    ),
    colours=(
        _AGATE_BLACK,
        _OXFORD_WHITE,
        _MAGNETIC_GREY,
        _WHITE_PLATINUM,
        _BURNISHED_GLOW,
    ),
    options=(_PANORAMIC_SUNROOF, _BO_AUDIO, _COPILOT360),
)

_TAURUS = ModelSpec(
    code="taurus",
    brand_code="ford",
    name_en="Taurus",
    name_zh="金牛座",
    body_type="sedan",
    description_en="Ford's full-size executive sedan with a spacious rear cabin and an optional 2.7T V6.",
    description_zh="福特全尺寸行政级轿车，后排空间宽适，可选2.7T V6发动机。",
    wmi="LVS",
    vds="HDFEL",
    plant_code="H",
    popularity=4,
    trims=(
        _trim(
            "taurus-ecoboost245-fashion",
            "EcoBoost 245 Fashion",
            "EcoBoost 245 时尚型",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="8.0",
            msrp="239800",
        ),
        _trim(
            "taurus-ecoboost245-luxury",
            "EcoBoost 245 Luxury",
            "EcoBoost 245 豪华型",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="8.0",
            msrp="279800",
        ),
        _trim(
            "taurus-ecoboost325-v6-awd-flagship",
            "EcoBoost 325 V6 AWD Flagship",
            "EcoBoost 325 V6 四驱旗舰型",
            engine="2.7T V6 EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="10.3",
            msrp="349800",
        ),
    ),
    colours=(
        _AGATE_BLACK,
        _OXFORD_WHITE,
        _MAGNETIC_GREY,
        _WHITE_PLATINUM,
    ),
    options=(_PANORAMIC_SUNROOF, _COPILOT360),
)

_KUGA = ModelSpec(
    code="kuga",
    brand_code="ford",
    name_en="Kuga",
    name_zh="翼虎",
    body_type="suv",
    description_en="A sporty compact SUV with EcoBoost power and optional intelligent all-wheel drive.",
    description_zh="运动型紧凑级SUV，搭载EcoBoost发动机，可选智能四驱系统。",
    wmi="LVS",
    vds="HJFAL",
    plant_code="A",
    popularity=8,
    trims=(
        _trim(
            "kuga-ecoboost180-fwd-trend",
            "EcoBoost 180 FWD Trend",
            "EcoBoost 180 两驱豪翼型",
            engine="1.5T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="7.2",
            msrp="189800",
        ),
        _trim(
            "kuga-ecoboost180-awd-titanium",
            "EcoBoost 180 AWD Titanium",
            "EcoBoost 180 四驱精翼型",
            engine="1.5T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="7.8",
            msrp="225800",
        ),
        _trim(
            "kuga-ecoboost245-awd-platinum",
            "EcoBoost 245 AWD Platinum",
            "EcoBoost 245 四驱铂翼型",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="8.3",
            msrp="279800",
        ),
    ),
    colours=(
        _AGATE_BLACK,
        _OXFORD_WHITE,
        _MOONDUST_SILVER,
        _RUBY_RED,
        _LIGHTNING_BLUE,
    ),
    options=(_PANORAMIC_SUNROOF, _SYNC3_NAV, _COPILOT360),
)

_ECOSPORT = ModelSpec(
    code="ecosport",
    brand_code="ford",
    name_en="EcoSport",
    name_zh="翼搏",
    body_type="suv",
    description_en="A compact city SUV with a high driving position and a nimble 1.0T EcoBoost option.",
    description_zh="适合城市穿行的小型SUV，坐姿高、视野好，可选灵巧的1.0T EcoBoost发动机。",
    wmi="LVS",
    vds="HKFAC",
    plant_code="A",
    popularity=6,
    trims=(
        _trim(
            "ecosport-15l-mt-comfort",
            "1.5L MT Comfort",
            "1.5L 手动舒适型",
            engine="1.5L Ti-VCT",
            transmission="5MT",
            seats=5,
            fuel="6.2",
            msrp="98800",
        ),
        _trim(
            "ecosport-15l-at-titanium",
            "1.5L AT Titanium",
            "1.5L 自动尊翼型",
            engine="1.5L Ti-VCT",
            transmission="6DCT",
            seats=5,
            fuel="6.4",
            msrp="115800",
        ),
        _trim(
            "ecosport-ecoboost125-at-titanium-plus",
            "EcoBoost 125 AT Titanium Plus",
            "EcoBoost 125 自动劲翼型",
            engine="1.0T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="6.0",
            msrp="136800",
        ),
    ),
    colours=(
        _AGATE_BLACK,
        _OXFORD_WHITE,
        _colour("canyon-ridge", "Canyon Ridge", "峡谷橙", "#b4562c", "2000"),
        _LIGHTNING_BLUE,
    ),
    options=(_SYNC3_NAV,),
)

_EDGE = ModelSpec(
    code="edge",
    brand_code="ford",
    name_en="Edge",
    name_zh="锐界",
    body_type="suv",
    description_en="A mid-size SUV with five- or seven-seat layouts, quiet cabin and strong EcoBoost engines.",
    description_zh="中型SUV，提供五座与七座布局，座舱静谧，EcoBoost动力强劲。",
    wmi="LVS",
    vds="HKTAL",
    plant_code="H",
    popularity=7,
    trims=(
        _trim(
            "edge-ecoboost245-fwd-trend",
            "EcoBoost 245 FWD Trend 5-seat",
            "EcoBoost 245 两驱豪锐型 5座",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="8.6",
            msrp="259800",
        ),
        _trim(
            "edge-ecoboost245-awd-titanium",
            "EcoBoost 245 AWD Titanium 7-seat",
            "EcoBoost 245 四驱精锐型 7座",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=7,
            fuel="9.1",
            msrp="319800",
        ),
        _trim(
            "edge-ecoboost330-v6-awd-flagship",
            "EcoBoost 330 V6 AWD Flagship 7-seat",
            "EcoBoost 330 V6 四驱旗舰型 7座",
            engine="2.7T V6 EcoBoost",
            transmission="6AT",
            seats=7,
            fuel="10.5",
            msrp="399800",
        ),
    ),
    colours=(
        _AGATE_BLACK,
        _OXFORD_WHITE,
        _MAGNETIC_GREY,
        _RUBY_RED,
        _WHITE_PLATINUM,
        _BURNISHED_GLOW,
    ),
    options=(_PANORAMIC_SUNROOF, _BO_AUDIO, _COPILOT360),
)

_EXPLORER = ModelSpec(
    code="explorer",
    brand_code="ford",
    name_en="Explorer",
    name_zh="探险者",
    body_type="suv",
    description_en="The imported full-size seven-seat SUV with intelligent 4WD and Terrain Management.",
    description_zh="原装进口全尺寸七座SUV，配备智能四驱与地形管理系统。",
    wmi="1FM",
    vds="5K8GT",
    plant_code="G",
    popularity=4,
    trims=(
        _trim(
            "explorer-ecoboost280-4wd-fashion",
            "EcoBoost 280 4WD Fashion",
            "EcoBoost 280 四驱风尚版",
            engine="2.3T EcoBoost",
            transmission="6AT",
            seats=7,
            fuel="10.8",
            msrp="399800",
        ),
        _trim(
            "explorer-ecoboost280-4wd-sport",
            "EcoBoost 280 4WD Sport",
            "EcoBoost 280 四驱运动版",
            engine="2.3T EcoBoost",
            transmission="6AT",
            seats=7,
            fuel="10.8",
            msrp="469800",
        ),
        _trim(
            "explorer-ecoboost365-v6-4wd-platinum",
            "EcoBoost 365 V6 4WD Platinum",
            "EcoBoost 365 V6 四驱铂金版",
            engine="3.5T V6 EcoBoost",
            transmission="6AT",
            seats=7,
            fuel="12.6",
            msrp="609800",
        ),
    ),
    colours=(
        _AGATE_BLACK,
        _OXFORD_WHITE,
        _MAGNETIC_GREY,
        _colour("ruby-red", "Ruby Red", "宝石红", "#8d1422", "4000"),
        _colour("blue-metallic", "Blue Metallic", "深海蓝", "#23324f"),
    ),
    options=(
        _PANORAMIC_SUNROOF,
        _option("tow-package", "Class III trailer tow package", "III级拖车套件", "6800"),
    ),
)

_EVEREST = ModelSpec(
    code="everest",
    brand_code="ford",
    name_en="Everest",
    name_zh="撼路者",
    body_type="suv",
    description_en="A body-on-frame seven-seat SUV from JMC Ford, built for rough roads and river crossings.",
    description_zh="江铃福特出品的非承载式七座SUV，专为崎岖路况与涉水穿越而生。",
    wmi="LJX",
    vds="EFG4K",
    plant_code="N",
    popularity=3,
    trims=(
        _trim(
            "everest-20t-4wd-elite",
            "2.0T 4WD Elite",
            "2.0T 四驱精英版",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=7,
            fuel="10.5",
            msrp="299800",
        ),
        _trim(
            "everest-20t-4wd-luxury",
            "2.0T 4WD Luxury",
            "2.0T 四驱豪华版",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=7,
            fuel="10.5",
            msrp="339800",
        ),
        _trim(
            "everest-20t-4wd-flagship",
            "2.0T 4WD Flagship",
            "2.0T 四驱旗舰版",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=7,
            fuel="10.7",
            msrp="389800",
        ),
    ),
    colours=(
        _colour("cool-white", "Cool White", "冰川白", "#f1f3f4"),
        _colour("absolute-black", "Absolute Black", "极致黑", "#161616"),
        _colour("aluminium-metallic", "Aluminium Metallic", "铝银色", "#a9adb1"),
        _colour("sunset-orange", "Sunset Orange", "日落橙", "#c0501f", "3000"),
    ),
    options=(
        _option("snorkel-kit", "Snorkel and underbody protection kit", "涉水喉与底盘护板套件", "5800"),
        _option("roof-rack", "Roof cross bars", "车顶行李横杆", "2800"),
    ),
)

_MUSTANG = ModelSpec(
    code="mustang",
    brand_code="ford",
    name_en="Mustang",
    name_zh="福特Mustang",
    body_type="coupe",
    description_en="The iconic imported pony car, now with a 10-speed automatic and the 5.0L V8 in GT form.",
    description_zh="原装进口的经典美式跑车，全系匹配10速自动变速箱，GT车型搭载5.0L V8发动机。",
    wmi="1FA",
    vds="6P8TH",
    plant_code="5",
    popularity=3,
    trims=(
        _trim(
            "mustang-ecoboost-fastback",
            "2.3T EcoBoost Fastback",
            "2.3T EcoBoost 性能版",
            engine="2.3T EcoBoost",
            transmission="10AT",
            seats=4,
            fuel="9.5",
            msrp="399800",
        ),
        _trim(
            "mustang-ecoboost-convertible",
            "2.3T EcoBoost Convertible",
            "2.3T EcoBoost 敞篷性能版",
            engine="2.3T EcoBoost",
            transmission="10AT",
            seats=4,
            fuel="9.7",
            msrp="459800",
        ),
        _trim(
            "mustang-gt-v8-fastback",
            "5.0L V8 GT Fastback",
            "5.0L V8 GT 性能版",
            engine="5.0L V8",
            transmission="10AT",
            seats=4,
            fuel="12.7",
            msrp="579800",
        ),
    ),
    colours=(
        _colour("race-red", "Race Red", "竞速红", "#c8102e"),
        _colour("shadow-black", "Shadow Black", "暗影黑", "#121212"),
        _OXFORD_WHITE,
        _colour("orange-fury", "Orange Fury", "狂怒橙", "#e0571b", "6000"),
        _colour("triple-yellow", "Triple Yellow", "闪耀黄", "#f2c21b", "6000"),
        _colour("kona-blue", "Kona Blue", "科纳蓝", "#1b3a6b", "3000"),
    ),
    options=(
        _option("magneride", "MagneRide adaptive damping", "MagneRide 磁流变悬挂", "12000"),
        _option("recaro-seats", "Recaro sport seats", "Recaro 运动座椅", "16000"),
        _BO_AUDIO,
    ),
)

_MKC = ModelSpec(
    code="mkc",
    brand_code="lincoln",
    name_en="MKC",
    name_zh="林肯MKC",
    body_type="suv",
    description_en="Lincoln's compact luxury SUV with a hushed cabin and available 2.3T all-wheel drive.",
    description_zh="林肯紧凑型豪华SUV，座舱静谧舒适，可选2.3T智能四驱。",
    wmi="5LM",
    vds="CJ2D9",
    plant_code="L",
    popularity=5,
    trims=(
        _trim(
            "mkc-20t-fwd-select",
            "2.0T FWD Select",
            "2.0T 两驱尊享版",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="8.6",
            msrp="278000",
        ),
        _trim(
            "mkc-20t-awd-reserve",
            "2.0T AWD Reserve",
            "2.0T 四驱尊耀版",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="9.2",
            msrp="338000",
        ),
        _trim(
            "mkc-23t-awd-black-label",
            "2.3T AWD Black Label",
            "2.3T 四驱总统版",
            engine="2.3T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="9.8",
            msrp="418000",
        ),
    ),
    colours=(
        _L_INFINITE_BLACK,
        _L_WHITE_PLATINUM,
        _L_SILVER_RADIANCE,
        _L_MAGNETIC_GREY,
        _L_BURGUNDY_VELVET,
    ),
    options=(_PANORAMIC_SUNROOF, _REVEL_AUDIO),
)

_CONTINENTAL = ModelSpec(
    code="continental",
    brand_code="lincoln",
    name_en="Continental",
    name_zh="林肯大陆",
    body_type="sedan",
    description_en="Lincoln's flagship luxury sedan, reborn with 30-way Perfect Position seats and a 3.0T V6.",
    description_zh="林肯旗舰豪华轿车王者归来，配备30向完美座椅，可选3.0T V6发动机。",
    wmi="1LN",
    vds="6L9RP",
    plant_code="5",
    popularity=3,
    trims=(
        _trim(
            "continental-20t-fwd-select",
            "2.0T FWD Select",
            "2.0T 两驱尊享版",
            engine="2.0T EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="9.0",
            msrp="329800",
        ),
        _trim(
            "continental-30t-v6-awd-reserve",
            "3.0T V6 AWD Reserve",
            "3.0T V6 四驱尊耀版",
            engine="3.0T V6 EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="11.3",
            msrp="449800",
        ),
        _trim(
            "continental-30t-v6-awd-black-label",
            "3.0T V6 AWD Black Label",
            "3.0T V6 四驱总统版",
            engine="3.0T V6 EcoBoost",
            transmission="6AT",
            seats=5,
            fuel="11.3",
            msrp="619800",
        ),
    ),
    colours=(
        _L_INFINITE_BLACK,
        _L_WHITE_PLATINUM,
        _L_SILVER_RADIANCE,
        _L_RHAPSODY_BLUE,
        _L_BURGUNDY_VELVET,
    ),
    options=(
        _option("perfect-position-seats", "30-way Perfect Position front seats", "30向完美座椅", "18000"),
        _REVEL_AUDIO,
        _L_COPILOT360,
    ),
)

_NAVIGATOR = ModelSpec(
    code="navigator",
    brand_code="lincoln",
    name_en="Navigator",
    name_zh="林肯领航员",
    body_type="suv",
    description_en="Lincoln's imported full-size luxury SUV with seven seats, a 3.5T V6 and a 10-speed automatic.",
    description_zh="林肯原装进口全尺寸豪华七座SUV，搭载3.5T V6发动机与10速自动变速箱。",
    wmi="5LM",
    vds="JJ3LT",
    plant_code="E",
    popularity=1,
    trims=(
        _trim(
            "navigator-35t-4wd-reserve",
            "3.5T V6 4WD Reserve",
            "3.5T V6 四驱尊耀版",
            engine="3.5T V6 EcoBoost",
            transmission="10AT",
            seats=7,
            fuel="12.8",
            msrp="1148000",
        ),
        _trim(
            "navigator-35t-4wd-black-label",
            "3.5T V6 4WD Black Label",
            "3.5T V6 四驱总统版",
            engine="3.5T V6 EcoBoost",
            transmission="10AT",
            seats=7,
            fuel="12.8",
            msrp="1498000",
        ),
    ),
    colours=(
        _L_INFINITE_BLACK,
        _colour("pristine-white", "Pristine White", "珍珠白", "#f3f1ea", "10000"),
        _L_SILVER_RADIANCE,
        _colour("chroma-crystal-blue", "Chroma Crystal Blue", "水晶蓝", "#233a5e", "10000"),
    ),
    options=(
        _L_COPILOT360,
        _option("rear-seat-entertainment", "Rear-seat entertainment system", "后排娱乐系统", "25000"),
    ),
)

MODELS: tuple[ModelSpec, ...] = (
    _ESCORT,
    _FOCUS,
    _MONDEO,
    _TAURUS,
    _KUGA,
    _ECOSPORT,
    _EDGE,
    _EXPLORER,
    _EVEREST,
    _MUSTANG,
    _MKC,
    _CONTINENTAL,
    _NAVIGATOR,
)

# --------------------------------------------------------------------------------------------------
# Cities and stores
# --------------------------------------------------------------------------------------------------

CITIES: tuple[CitySpec, ...] = (
    CitySpec(code="guangzhou", name_en="Guangzhou", name_zh="广州", province_en="Guangdong", province_zh="广东"),
    CitySpec(code="shanghai", name_en="Shanghai", name_zh="上海", province_en="Shanghai", province_zh="上海"),
    CitySpec(code="hangzhou", name_en="Hangzhou", name_zh="杭州", province_en="Zhejiang", province_zh="浙江"),
    CitySpec(code="beijing", name_en="Beijing", name_zh="北京", province_en="Beijing", province_zh="北京"),
    CitySpec(code="nanjing", name_en="Nanjing", name_zh="南京", province_en="Jiangsu", province_zh="江苏"),
)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(
    weekdays: list[list[str]],
    sat: list[list[str]] | None = None,
    sun: list[list[str]] | None = None,
) -> dict[str, list[list[str]]]:
    """A fresh opening-hours dict (never shared between stores, so one store's edit cannot leak)."""
    sat = weekdays if sat is None else sat
    sun = sat if sun is None else sun
    per_day = {day: weekdays for day in _DAYS[:5]} | {"sat": sat, "sun": sun}
    return {day: [list(pair) for pair in per_day[day]] for day in _DAYS}


def _store(
    code: str,
    name_en: str,
    name_zh: str,
    city_code: str,
    address_en: str,
    address_zh: str,
    lat: str,
    lon: str,
    phone: str,
    opening_hours: dict[str, list[list[str]]],
    kind: str = "dealer",
) -> StoreSpec:
    return StoreSpec(
        code=code,
        name_en=name_en,
        name_zh=name_zh,
        kind=kind,
        city_code=city_code,
        address_en=address_en,
        address_zh=address_zh,
        latitude=Decimal(lat),
        longitude=Decimal(lon),
        time_zone="Asia/Shanghai",
        phone=phone,
        opening_hours=opening_hours,
    )


_STANDARD = [["09:00", "18:00"]]
_LATE = [["09:00", "18:30"]]
_WEEKEND = [["09:30", "18:00"]]
_SHORT_WEEKEND = [["10:00", "17:00"]]

STORES: tuple[StoreSpec, ...] = (
    # Guangzhou
    _store(
        "gz-self-service",
        "Forecourt Self-Service Test-Drive Store Guangzhou",
        "广州自助试驾店",
        "guangzhou",
        "No. 2 Zhujiang East Road, Tianhe District, Guangzhou",
        "广州市天河区珠江东路2号",
        "23.119842",
        "113.330156",
        "+86 20 8888 0000",
        _hours([["08:00", "22:00"]]),
        kind="self_service",
    ),
    _store(
        "gz-tianhe",
        "Guangzhou Ford Tianhe 4S Store",
        "广州福特天河4S店",
        "guangzhou",
        "No. 628 Huangpu Avenue West, Tianhe District, Guangzhou",
        "广州市天河区黄埔大道西628号",
        "23.128514",
        "113.350872",
        "+86 20 8888 0001",
        _hours(_STANDARD, _WEEKEND),
    ),
    _store(
        "gz-baiyun",
        "Guangzhou Ford Baiyun 4S Store",
        "广州福特白云4S店",
        "guangzhou",
        "No. 1288 Guangyuan Middle Road, Baiyun District, Guangzhou",
        "广州市白云区广园中路1288号",
        "23.167305",
        "113.275460",
        "+86 20 8888 0002",
        _hours(_LATE),
    ),
    _store(
        "gz-panyu-lincoln",
        "Guangzhou Lincoln Panyu Center",
        "广州番禺林肯中心",
        "guangzhou",
        "No. 333 Yingbin Road, Panyu District, Guangzhou",
        "广州市番禺区迎宾路333号",
        "22.967418",
        "113.351206",
        "+86 20 8888 0003",
        _hours(_STANDARD, _SHORT_WEEKEND),
    ),
    # Shanghai
    _store(
        "sh-pudong",
        "Shanghai Ford Pudong 4S Store",
        "上海福特浦东4S店",
        "shanghai",
        "No. 1500 Zhangyang Road, Pudong New Area, Shanghai",
        "上海市浦东新区张杨路1500号",
        "31.230716",
        "121.544387",
        "+86 21 6888 0101",
        _hours(_LATE),
    ),
    _store(
        "sh-minhang",
        "Shanghai Ford Minhang 4S Store",
        "上海福特闵行4S店",
        "shanghai",
        "No. 3999 Humin Road, Minhang District, Shanghai",
        "上海市闵行区沪闵路3999号",
        "31.116428",
        "121.392874",
        "+86 21 6888 0102",
        _hours(_STANDARD, _WEEKEND),
    ),
    _store(
        "sh-jiading-lincoln",
        "Shanghai Lincoln Jiading Center",
        "上海嘉定林肯中心",
        "shanghai",
        "No. 888 Boyuan Road, Anting Town, Jiading District, Shanghai",
        "上海市嘉定区安亭镇博园路888号",
        "31.287531",
        "121.175204",
        "+86 21 6888 0103",
        _hours(_STANDARD, _SHORT_WEEKEND),
    ),
    # Hangzhou
    _store(
        "hz-binjiang",
        "Hangzhou Ford Binjiang 4S Store",
        "杭州福特滨江4S店",
        "hangzhou",
        "No. 2688 Jiangnan Avenue, Binjiang District, Hangzhou",
        "杭州市滨江区江南大道2688号",
        "30.208315",
        "120.218064",
        "+86 571 8888 0201",
        _hours(_STANDARD, _WEEKEND),
    ),
    _store(
        "hz-gongshu-lincoln",
        "Hangzhou Lincoln Gongshu Center",
        "杭州拱墅林肯中心",
        "hangzhou",
        "No. 1188 Moganshan Road, Gongshu District, Hangzhou",
        "杭州市拱墅区莫干山路1188号",
        "30.318742",
        "120.137416",
        "+86 571 8888 0202",
        _hours([["09:00", "12:00"], ["13:30", "18:00"]], _SHORT_WEEKEND),
    ),
    # Beijing
    _store(
        "bj-chaoyang",
        "Beijing Ford Chaoyang 4S Store",
        "北京福特朝阳4S店",
        "beijing",
        "No. 9 Jiuxianqiao Road, Chaoyang District, Beijing",
        "北京市朝阳区酒仙桥路9号",
        "39.968215",
        "116.492867",
        "+86 10 6888 0301",
        _hours(_LATE),
    ),
    _store(
        "bj-fengtai",
        "Beijing Ford Fengtai 4S Store",
        "北京福特丰台4S店",
        "beijing",
        "No. 35 South Fourth Ring West Road, Fengtai District, Beijing",
        "北京市丰台区南四环西路35号",
        "39.831046",
        "116.286503",
        "+86 10 6888 0302",
        _hours(_STANDARD, _WEEKEND),
    ),
    _store(
        "bj-haidian-lincoln",
        "Beijing Lincoln Haidian Center",
        "北京海淀林肯中心",
        "beijing",
        "No. 18 West Fourth Ring North Road, Haidian District, Beijing",
        "北京市海淀区西四环北路18号",
        "39.958327",
        "116.282145",
        "+86 10 6888 0303",
        _hours(_STANDARD, _SHORT_WEEKEND, []),
    ),
    # Nanjing
    _store(
        "nj-jianye",
        "Nanjing Ford Jianye 4S Store",
        "南京福特建邺4S店",
        "nanjing",
        "No. 200 Jiangdong Middle Road, Jianye District, Nanjing",
        "南京市建邺区江东中路200号",
        "32.012843",
        "118.727506",
        "+86 25 8888 0401",
        _hours(_STANDARD, _WEEKEND),
    ),
    _store(
        "nj-jiangning",
        "Nanjing Ford Jiangning 4S Store",
        "南京福特江宁4S店",
        "nanjing",
        "No. 66 Shuanglong Avenue, Jiangning District, Nanjing",
        "南京市江宁区双龙大道66号",
        "31.947352",
        "118.839217",
        "+86 25 8888 0402",
        _hours(_LATE, _SHORT_WEEKEND),
    ),
)
