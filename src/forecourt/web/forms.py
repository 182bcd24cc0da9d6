"""Query-string forms: turn a page's GET parameters into an API schema, and its errors into friendly text."""

from __future__ import annotations

import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams

from forecourt.web.i18n import N_

M = TypeVar("M", bound=BaseModel)

# Pydantic error types grouped by what the shopper should do about them.
_NOT_A_NUMBER = {"int_parsing", "int_from_float", "decimal_parsing", "float_parsing", "decimal_type", "int_type"}
_OUT_OF_RANGE = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "too_long",
    "too_short",
    "string_too_long",
    "string_too_short",
    "decimal_max_digits",
    "decimal_max_places",
    "decimal_whole_digits",
    "finite_number",
}
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


def validation_errors(
    exc: ValidationError, labels: Mapping[str, str], gettext: Callable[[str], str]
) -> list[FormError]:
    """One friendly, translated message per invalid field (a field's first problem is enough to act on)."""
    errors: dict[str, FormError] = {}
    for error in exc.errors():
        location = error.get("loc") or ("request",)
        field = str(location[0])
        if field in errors:
            continue
        kind = error.get("type", "")
        if kind in _NOT_A_NUMBER:
            message = N_("Enter a number.")
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
