"""Example documents shown in the OpenAPI description (taken from the demo data)."""

from __future__ import annotations

from typing import Any

VEHICLE_EXAMPLE: dict[str, Any] = {
    "vin": "LVSHKFAC1JA002914",
    "status": "available",
    "is_test_drive_fleet": False,
    "model_year": 2018,
    "mileage_km": 9,
    "list_price": "98800.00",
    "offer_price": "87700.00",
    "price": "87700.00",
    "currency": "CNY",
    "model": {
        "code": "ecosport",
        "name_en": "EcoSport",
        "name_zh": "翼搏",
        "body_type": "suv",
        "brand": {"code": "ford", "name_en": "Ford", "name_zh": "福特"},
    },
    "trim": {
        "code": "ecosport-15l-mt-comfort",
        "name_en": "1.5L MT Comfort",
        "name_zh": "1.5L 手动舒适型",
        "powertrain": "ice",
        "engine": "1.5L Ti-VCT",
        "transmission": "5MT",
        "seats": 5,
        "fuel_consumption_l_100km": "6.2",
        "electric_range_km": None,
        "msrp": "98800.00",
        "currency": "CNY",
    },
    "colour": {
        "code": "agate-black",
        "name_en": "Agate Black",
        "name_zh": "曜岩黑",
        "hex": "#1b1c1e",
        "surcharge": "0.00",
    },
    "store": {
        "code": "gz-tianhe",
        "name_en": "Guangzhou Ford Tianhe 4S Store",
        "name_zh": "广州福特天河4S店",
        "kind": "dealer",
        "city": {
            "code": "guangzhou",
            "name_en": "Guangzhou",
            "name_zh": "广州",
            "province_en": "Guangdong",
            "province_zh": "广东",
        },
        "address_en": "No. 628 Huangpu Avenue West, Tianhe District, Guangzhou",
        "address_zh": "广州市天河区黄埔大道西628号",
        "latitude": "23.128514",
        "longitude": "113.350872",
        "time_zone": "Asia/Shanghai",
        "phone": "+86 20 8888 0001",
        "opening_hours": {
            "mon": [["09:00", "18:00"]],
            "tue": [["09:00", "18:00"]],
            "wed": [["09:00", "18:00"]],
            "thu": [["09:00", "18:00"]],
            "fri": [["09:00", "18:00"]],
            "sat": [["09:30", "18:00"]],
            "sun": [["09:30", "18:00"]],
        },
    },
    "photo_urls": ["/static/photos/ecosport/agate-black-1.jpg"],
    "option_codes": [],
    "created_at": "2026-06-13T23:05:05Z",
    "updated_at": "2026-06-13T23:05:05Z",
}

SEARCH_PAGE_EXAMPLE: dict[str, Any] = {
    "items": [VEHICLE_EXAMPLE],
    "total": 535,
    "page": 1,
    "page_size": 20,
    "pages": 27,
    "sort": "price",
    "facets": {
        "model": [
            {"value": "kuga", "label_en": "Kuga", "label_zh": "翼虎", "count": 535, "selected": True},
            {"value": "mondeo", "label_en": "Mondeo", "label_zh": "蒙迪欧", "count": 610, "selected": False},
        ],
        "city": [
            {
                "value": "guangzhou",
                "label_en": "Guangzhou",
                "label_zh": "广州",
                "count": 134,
                "selected": False,
            }
        ],
    },
}
