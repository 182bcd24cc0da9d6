"""Decoding of valid VINs through vininfo (manufacturer, country)."""

from __future__ import annotations

from vininfo import Vin
from vininfo.exceptions import ValidationError

from forecourt.catalog.vin import VinInfo, validate_vin


def describe_vin(raw: str) -> VinInfo:
    vin = validate_vin(raw)
    try:
        decoded = Vin(vin)
        manufacturer, country = decoded.manufacturer, decoded.country
    except (ValidationError, KeyError, AttributeError):
        manufacturer, country = None, None
    return VinInfo(
        vin=vin,
        wmi=vin[:3],
        vds=vin[3:8],
        vis=vin[9:],
        model_year_code=vin[9],
        manufacturer=manufacturer,
        country=country,
    )
