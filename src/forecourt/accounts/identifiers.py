"""Accounts identifiers: an email address or a mainland China mobile number, normalised as stored.

Reads no tables; a malformed identifier is an InvalidInput naming the field.
"""

from __future__ import annotations

import re

from forecourt.core.errors import FieldError, InvalidInput

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MOBILE_PATTERN = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    if len(value) > 254 or not EMAIL_PATTERN.match(value):
        raise InvalidInput(
            "Not a valid email address", code="invalid_email", errors=[FieldError("email", "not a valid email address")]
        )
    return value


def normalise_mobile(mobile: str) -> str:
    compact = re.sub(r"[\s\-]", "", mobile)
    match = MOBILE_PATTERN.match(compact)
    if not match:
        raise InvalidInput(
            "Not a mainland China mobile number (11 digits starting 13-19, +86 optional)",
            code="invalid_mobile",
            errors=[FieldError("mobile", "not a mainland mobile number")],
        )
    return match.group(1)


def normalise_identifier(identifier: str) -> str:
    """The email address or mobile number as stored; anything malformed only trimmed and lower-cased."""
    try:
        return normalise_email(identifier) if "@" in identifier else normalise_mobile(identifier)
    except InvalidInput:
        return identifier.strip().lower()
