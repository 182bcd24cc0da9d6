"""VIN validation (ISO 3779 / GB 16735) with messages that name what is wrong. Pure; standard library only.

vininfo decodes a valid VIN (manufacturer, country, model year) but only says "invalid" without saying
where, and it skips the check digit for makers outside North America; China's GB 16735 requires it for
every vehicle, so the check is done here, and vininfo is used for decoding (see `describe_vin`).
"""

from __future__ import annotations

from dataclasses import dataclass

VIN_LENGTH = 17
CHECK_DIGIT_POSITION = 9  # 1-based, as the standards count
# Length and alphabet (no I, O, Q) for the OpenAPI document; the check digit is beyond a regular expression.
VIN_PATTERN = r"^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$"
_FORBIDDEN = {"I": "I (looks like 1)", "O": "O (looks like 0)", "Q": "Q (looks like 0)"}
_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Position 10 encodes the model year on a 30-year cycle; 2010-2039 letters/digits.
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


class VinError(ValueError):
    """Why a VIN is invalid, phrased for the person who typed or imported it."""


@dataclass(frozen=True)
class VinInfo:
    vin: str
    wmi: str
    vds: str
    vis: str
    model_year_code: str
    manufacturer: str | None
    country: str | None


def normalize_vin(raw: str) -> str:
    return raw.strip().upper().replace(" ", "").replace("-", "")


def compute_check_digit(vin: str) -> str:
    """The ISO 3779 / GB 16735 check digit for a 17-character VIN (position 9 is ignored)."""
    total = sum(_TRANSLITERATION[char] * weight for char, weight in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(raw: str) -> str:
    """Return the normalised VIN or raise VinError naming the first problem found."""
    if not isinstance(raw, str) or not raw.strip():
        raise VinError("VIN is empty")
    vin = normalize_vin(raw)
    if len(vin) != VIN_LENGTH:
        raise VinError(f"VIN must be 17 characters, got {len(vin)}")
    for position, char in enumerate(vin, start=1):
        if char in _FORBIDDEN:
            raise VinError(f"position {position}: letter {_FORBIDDEN[char]} is not allowed in a VIN")
        if char not in _TRANSLITERATION:
            raise VinError(f"position {position}: {char!r} is not allowed; use digits and letters A-Z except I, O, Q")
    expected = compute_check_digit(vin)
    actual = vin[CHECK_DIGIT_POSITION - 1]
    if actual != expected:
        raise VinError(f"position 9 check digit is {actual} but the other characters require {expected}")
    return vin


def model_year_code(year: int) -> str:
    """The VIN position-10 code for a model year (2010-2039)."""
    if not 2010 <= year <= 2039:
        raise ValueError(f"model year {year} outside the 2010-2039 cycle")
    return _YEAR_CODES[year - 2010]


def model_year_of(vin: str, latest: int) -> int | None:
    """The model year position 10 of a (valid) VIN names: the codes repeat every 30 years, so the newest year with
    that code not after `latest` (next year, for a car on the road today). None for a code that names no year."""
    index = _YEAR_CODES.find(vin[9:10].upper()) if len(vin) >= 10 else -1
    if index < 0:
        return None
    year = 2010 + index
    while year > latest:
        year -= len(_YEAR_CODES)
    while year + len(_YEAR_CODES) <= latest:
        year += len(_YEAR_CODES)
    return year


def build_vin(wmi: str, vds: str, year: int, plant: str, serial: int) -> str:
    """Assemble a valid VIN: WMI(3) + VDS(5) + check digit + year + plant + 6-digit serial."""
    if not 0 <= serial <= 999_999:
        raise ValueError("serial must fit in six digits")
    body = f"{wmi}{vds}0{model_year_code(year)}{plant}{serial:06d}"
    if len(body) != VIN_LENGTH:
        raise ValueError("WMI must be 3 characters, VDS 5 and plant 1")
    return body[:8] + compute_check_digit(body) + body[9:]
