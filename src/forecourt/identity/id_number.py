"""PRC resident identity numbers (GB 11643-1999), which double as driving-licence numbers in China.

An 18-character number: a 6-digit region code (GB/T 2260), an 8-digit birth date (YYYYMMDD), a 3-digit
sequence whose last digit gives the holder's sex (odd = male), and an ISO 7064 MOD 11-2 check character.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

LENGTH = 18
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum modulo 11
EARLIEST_BIRTH_YEAR = 1900
# Province-level codes of GB/T 2260 (71 Taiwan, 81 Hong Kong, 82 Macao are issued to residents too).
PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    }
)


class IdNumberError(ValueError):
    """An ID number that cannot be right; the message says which part is wrong and how."""


@dataclass(frozen=True)
class ResidentId:
    number: str  # normalised: 18 characters, upper-case X
    region_code: str
    birth_date: date
    sex: Literal["male", "female"]


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != LENGTH - 1 or not (first17.isascii() and first17.isdigit()):
        raise IdNumberError(f"the check character is computed from 17 digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def _normalise(text: str) -> str:
    # People paste numbers with spaces in them and type the check character as a lower-case x.
    return "".join(text.split()).upper()


def _check_shape(number: str) -> None:
    if len(number) != LENGTH:
        raise IdNumberError(f"the ID number must have {LENGTH} characters, got {len(number)}")
    body, last = number[:17], number[17]
    if not (body.isascii() and body.isdigit()):
        raise IdNumberError("characters 1-17 of the ID number must be digits")
    if not (last.isascii() and (last.isdigit() or last == "X")):
        raise IdNumberError(f"the last character must be a digit or X, not {last}")


def _birth_date(number: str, today: date) -> date:
    digits = number[6:14]
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise IdNumberError(f"characters 7-14 must be a valid birth date (YYYYMMDD), got {digits}") from None
    if born.year < EARLIEST_BIRTH_YEAR:
        raise IdNumberError(f"characters 7-14 give a birth date before {EARLIEST_BIRTH_YEAR}: {born.isoformat()}")
    if born > today:
        raise IdNumberError(f"characters 7-14 give a birth date in the future: {born.isoformat()}")
    return born


def parse_resident_id(text: str, *, today: date | None = None) -> ResidentId:
    """Validate and decode an ID number; `today` (default: today in UTC) bounds the birth date."""
    number = _normalise(text)
    _check_shape(number)
    if number[:2] not in PROVINCE_CODES:
        raise IdNumberError(f"the ID number must start with a province code such as 11 or 44, not {number[:2]}")
    born = _birth_date(number, today or datetime.now(UTC).date())
    expected = check_character(number[:17])
    if number[17] != expected:
        raise IdNumberError(f"the check character should be {expected}, not {number[17]}; please re-check the digits")
    sex: Literal["male", "female"] = "male" if int(number[16]) % 2 else "female"
    return ResidentId(number=number, region_code=number[:6], birth_date=born, sex=sex)


def mask_id_number(number: str) -> str:
    """Keep the first and the last character, star the rest (core.masking's rule for resident IDs): enough to
    recognise one's own number, too little to rebuild it from what else is stored."""
    if len(number) <= 2:
        return "*" * len(number)
    return number[:1] + "*" * (len(number) - 2) + number[-1:]
