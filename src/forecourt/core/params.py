"""Validated types for dates and times that come from outside: query parameters, form fields and JSON bodies.

Use them in place of `date` / `datetime` / `int` in every route signature and input schema, so a day outside the
window of `core.dates` (2000-01-01..2100-12-31; birth dates from 1900), or an id past 64 bits, is a 422 naming the
field, never an OverflowError in the arithmetic or the database driver behind the route.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime

from forecourt.core.dates import check_birth_day, check_day, check_moment

Day = Annotated[date, AfterValidator(check_day)]
BirthDay = Annotated[date, AfterValidator(check_birth_day)]
Moment = Annotated[AwareDatetime, AfterValidator(check_moment)]
# A row id in a path: a positive 64-bit integer, so 2**63 is a 422 rather than an overflow in the database driver.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]

__all__ = ["BirthDay", "Day", "Moment", "RowId"]
