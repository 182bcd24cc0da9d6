"""Validated types for dates and times that come from outside: query parameters, form fields and JSON bodies.

Use them in place of `date` / `datetime` in every route signature and input schema, so a day outside the window
of `core.dates` (2000-01-01..2100-12-31; birth dates from 1900) is a 422 naming the field, never an
OverflowError in the arithmetic behind the route.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from forecourt.core.dates import check_birth_day, check_day, check_moment

Day = Annotated[date, AfterValidator(check_day)]
BirthDay = Annotated[date, AfterValidator(check_birth_day)]
Moment = Annotated[AwareDatetime, AfterValidator(check_moment)]

__all__ = ["BirthDay", "Day", "Moment"]
