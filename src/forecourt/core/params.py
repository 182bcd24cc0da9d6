"""Validated types for dates and times that come from outside: query parameters, form fields and JSON bodies.

Use them in place of `date` / `datetime` / `int` in every route signature and input schema, so a day outside the
window of `core.dates` (2000-01-01..2100-12-31; birth dates from 1900), or an id past 64 bits, is a 422 naming the
field, never an OverflowError in the arithmetic or the database driver behind the route.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, WithJsonSchema

from forecourt.core.dates import check_birth_day, check_day, check_moment

# The window is stated in the OpenAPI document too (JSON Schema cannot bound a date, but a pattern on its year can),
# so a client, and the schemathesis run, knows that 0447-03-30 is refused.
_YEAR_2000_2100 = "(20[0-9]{2}|2100)"
_YEAR_1900_2100 = "(19[0-9]{2}|20[0-9]{2}|2100)"


def _date_schema(year: str, description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "format": "date", "pattern": f"^{year}-", "description": description})


Day = Annotated[date, AfterValidator(check_day), _date_schema(_YEAR_2000_2100, "a day from 2000-01-01 to 2100-12-31")]
BirthDay = Annotated[
    date, AfterValidator(check_birth_day), _date_schema(_YEAR_1900_2100, "a day from 1900-01-01 to 2100-12-31")
]
Moment = Annotated[
    AwareDatetime,
    AfterValidator(check_moment),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": f"^{_YEAR_2000_2100}-.*([Zz]|[+-][0-9]{{2}}:[0-9]{{2}})$",
            "description": "RFC 3339 with a UTC offset, on a day from 2000-01-01 to 2100-12-31",
        }
    ),
]
# A row id in a path: primary keys are INTEGER columns (32-bit on PostgreSQL), so an id past 2**31 - 1 is a 422 rather
# than a database error behind the route.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]

__all__ = ["BirthDay", "Day", "Moment", "RowId"]
