"""Query-string forms: turn a page's GET parameters into an API schema, and its errors into friendly text."""

from __future__ import annotations

import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams

from forecourt.web.i18n import N_

M = TypeVar("M", bound=BaseModel)

# Pydantic error types grouped by what the shopper should do about them.
_NOT_A_NUMBER = {"int_parsing", "int_from_float", "decimal_parsing", "float_parsing", "decimal_type", "int_type"}
# A limit the shopper went past, and the sentence that names it ({limit} is taken from the error's context).
_LIMITS = {
    "string_too_long": ("max_length", N_("Use at most %(limit)s characters.")),
    "string_too_short": ("min_length", N_("Use at least %(limit)s characters.")),
    "too_long": ("max_length", N_("Choose at most %(limit)s values.")),
    "too_short": ("min_length", N_("Choose at least %(limit)s values.")),
    "greater_than": ("gt", N_("Enter a number greater than %(limit)s.")),
    "greater_than_equal": ("ge", N_("Enter %(limit)s or more.")),
    "less_than": ("lt", N_("Enter a number less than %(limit)s.")),
    "less_than_equal": ("le", N_("Enter %(limit)s or less.")),
    "decimal_max_places": ("decimal_places", N_("Use at most %(limit)s decimal places.")),
    "decimal_max_digits": ("max_digits", N_("Use at most %(limit)s digits.")),
    "decimal_whole_digits": ("whole_digits", N_("Use at most %(limit)s digits before the decimal point.")),
}
_OUT_OF_RANGE = {*_LIMITS, "finite_number"}
_NOT_ONE_OF = {"enum", "literal_error"}


@dataclass(frozen=True)
class FormError:
    field: str
    label: str  # the field's name as the shopper sees it
    message: str  # translated


def _is_list_field(model: type[BaseModel], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    return typing.get_origin(annotation) is list


def model_from_query(params: QueryParams, model: type[M], ignore: Collection[str] = ()) -> M:
    """Build `model` from query parameters; raises pydantic's ValidationError.

    Empty values are dropped because an HTML form submits its empty inputs (`price_min=`). Unknown
    parameters are dropped too, unlike in the API: shoppers arrive through links carrying tracking
    parameters (`utm_source=…`), and an error page would punish them for it.
    """
    data: dict[str, Any] = {}
    for name in model.model_fields:
        if name in ignore:
            continue
        values = [v for v in params.getlist(name) if v.strip()]
        if not values:
            continue
        data[name] = values if _is_list_field(model, name) else values[-1]
    return model.model_validate(data)


def _limit_text(limit: object) -> str:
    """10000 and Decimal("1E+4") as "10,000", 2100 (a year) as "2100", a fraction as written ("0.01")."""
    if isinstance(limit, bool) or not isinstance(limit, int | float | Decimal):
        return str(limit)
    number = Decimal(str(limit))
    if number != number.to_integral_value():
        return f"{number.normalize():f}"
    return f"{int(number):,}" if abs(number) >= 10_000 else str(int(number))  # a year reads 2100, not 2,100


def validation_errors(
    exc: ValidationError, labels: Mapping[str, str], gettext: Callable[[str], str]
) -> list[FormError]:
    """One friendly, translated message per invalid field (a field's first problem is enough to act on).

    A limit the value went past is named ("Use at most 200 characters."), never a bare "out of range"."""
    errors: dict[str, FormError] = {}
    for error in exc.errors():
        location = error.get("loc") or ("request",)
        field = str(location[0])
        if field in errors:
            continue
        kind = error.get("type", "")
        limit = (error.get("ctx") or {}).get(_LIMITS[kind][0]) if kind in _LIMITS else None
        if kind in _NOT_A_NUMBER:
            message = N_("Enter a number.")
        elif limit is not None:
            message = gettext(_LIMITS[kind][1]) % {"limit": _limit_text(limit)}
            errors[field] = FormError(field, gettext(labels.get(field, field)), message)
            continue
        elif kind in _OUT_OF_RANGE:
            message = N_("This value is out of range.")
        elif kind in _NOT_ONE_OF:
            message = N_("Choose one of the values offered.")
        elif kind == "bool_parsing":
            message = N_("Choose yes or no.")
        else:
            message = N_("This value is not valid.")
        errors[field] = FormError(field, gettext(labels.get(field, field)), gettext(message))
    return list(errors.values())
