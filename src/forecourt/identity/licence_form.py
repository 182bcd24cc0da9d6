"""The driving-licence form of the shopper pages (a test drive's hold page, a rental's page): read its fields, check
them all at once, and run the page's own verification with the claim once they are right.

The pages differ only in what the licence is verified for (a drive, a rental) and where they go next, so they pass
that in as `verify`; what is wrong goes back as a short key per field, which the shared template
(`_licence_form.html`) turns into a sentence in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from fastapi import Request

from forecourt.core import dates
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import InvalidInput
from forecourt.identity.credit import CreditScoreProvider
from forecourt.identity.models import DriverVerification
from forecourt.identity.providers import (
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    SUPPORTED_LICENCE_CLASSES,
    IdentityClaim,
    IdentityProvider,
)
from forecourt.web.page_helpers import app_secret, form_text

LICENCE_CLASSES = tuple(sorted(SUPPORTED_LICENCE_CLASSES))  # the form's choices, in the licence's own order
FIELDS = ("full_name", "id_number", "licence_expiry", "licence_class")
ID_NUMBER_LENGTHS = range(15, 23)  # a loose first check: the provider parses the number (identity.id_number)


class Checkers(TypedDict):
    """What a verification for a drive or a rental is given from the app, as its keyword arguments."""

    identity_provider: IdentityProvider
    credit: CreditScoreProvider
    secret_key: str  # keys the stored digest of the ID number
    cipher: FieldCipher  # seals the name and date of birth


def checkers(request: Request) -> Checkers:
    integrations = request.app.state.integrations
    return Checkers(
        identity_provider=integrations.identity,
        credit=integrations.credit,
        secret_key=app_secret(request),
        cipher=request.app.state.field_cipher,
    )


@dataclass(frozen=True)
class LicenceAnswer:
    """What the page shows after a submit: verified (go on), or the form again with a key beside each bad field."""

    verified: bool
    form: dict[str, str]  # as typed, but the ID number: it is never echoed back
    errors: dict[str, str]


def _field_errors(form: dict[str, str]) -> dict[str, str]:
    errors = {}
    if not NAME_MIN_LENGTH <= len(form["full_name"]) <= NAME_MAX_LENGTH:
        errors["full_name"] = "name"
    if len(form["id_number"]) not in ID_NUMBER_LENGTHS:
        errors["id_number"] = "id_number"
    if dates.parse_day(form["licence_expiry"]) is None:
        errors["licence_expiry"] = "expiry"
    if form["licence_class"] not in LICENCE_CLASSES:
        errors["licence_class"] = "class"
    return errors


def _refused_field(exc: InvalidInput) -> tuple[str, str]:
    """The field a refused verification is shown beside, and its key."""
    if exc.code == "licence_expires_before_drive":  # the rule's code for a drive and a rental alike
        return "licence_expiry", "expires_before_end"
    return "id_number", "id_number" if exc.code == "id_number_invalid" else "refused"


def submit_licence(posted: Any, verify: Callable[[IdentityClaim], DriverVerification]) -> LicenceAnswer:
    """Check every field of the posted form; when all are right, `verify` the claim (it may refuse with
    InvalidInput, shown beside its field). A check the provider refuses is recorded by `verify` and answered as not
    verified with no field error: the page says so from the stored verification."""
    form = {name: form_text(posted, name, 40) for name in FIELDS}
    errors = _field_errors(form)
    verified = False
    if not errors:
        expiry = dates.parse_day(form["licence_expiry"])
        assert expiry is not None
        claim = IdentityClaim(form["full_name"], form["id_number"], expiry, form["licence_class"])
        try:
            verified = verify(claim).verified
        except InvalidInput as exc:
            field, key = _refused_field(exc)
            errors[field] = key
    return LicenceAnswer(verified, {**form, "id_number": ""}, errors)
