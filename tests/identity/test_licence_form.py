"""The licence form the hold and rental pages share: each field's limits on both sides, every field answered at once,
the verification run only with a good form, its refusals beside the right field, and the ID number never echoed."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from forecourt.core.errors import InvalidInput
from forecourt.identity.licence_form import LICENCE_CLASSES, submit_licence
from forecourt.identity.providers import IdentityClaim

GOOD = {"full_name": "Li Lei", "id_number": "440106199003071231", "licence_expiry": "2030-01-01", "licence_class": "C1"}


def _verified(claim: IdentityClaim) -> SimpleNamespace:
    return SimpleNamespace(verified=True)


def test_a_good_form_is_verified_with_the_claim_as_typed():
    seen = []
    answer = submit_licence({**GOOD, "full_name": "  Li Lei  "}, lambda claim: seen.append(claim) or _verified(claim))
    assert answer.verified and answer.errors == {}
    assert seen == [IdentityClaim("Li Lei", GOOD["id_number"], date(2030, 1, 1), "C1")]
    assert answer.form == {**GOOD, "id_number": ""}


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("full_name", "L", "name"),
        ("full_name", "Li", None),
        ("full_name", "L" * 40, None),
        ("id_number", "4" * 14, "id_number"),
        ("id_number", "4" * 15, None),
        ("id_number", "4" * 22, None),
        ("id_number", "4" * 23, "id_number"),
        ("licence_expiry", "2030-02-30", "expiry"),
        ("licence_expiry", "", "expiry"),
        ("licence_class", "Z9", "class"),
        ("licence_class", "A1", None),
    ],
)
def test_each_field_is_checked_before_anyone_is_asked(field, value, key):
    calls = []
    answer = submit_licence({**GOOD, field: value}, lambda claim: calls.append(claim) or _verified(claim))
    assert answer.errors == ({field: key} if key else {})
    assert answer.verified is (key is None) and len(calls) == (0 if key else 1)


def test_every_bad_field_is_answered_at_once_and_nothing_is_verified():
    answer = submit_licence({"id_number": "123", "licence_class": "Z9"}, lambda claim: pytest.fail("asked"))
    assert answer.errors == {
        "full_name": "name",
        "id_number": "id_number",
        "licence_expiry": "expiry",
        "licence_class": "class",
    }
    assert not answer.verified and answer.form["id_number"] == ""


def test_the_choices_are_the_supported_classes_in_the_licences_own_order():
    assert LICENCE_CLASSES == ("A1", "A2", "A3", "B1", "B2", "C1", "C2")


@pytest.mark.parametrize(
    ("code", "field", "key"),
    [
        ("licence_expires_before_drive", "licence_expiry", "expires_before_end"),
        ("id_number_invalid", "id_number", "id_number"),
        ("identity_not_verified", "id_number", "refused"),
    ],
)
def test_a_refused_verification_is_shown_beside_its_field(code, field, key):
    def refuse(claim: IdentityClaim) -> SimpleNamespace:
        raise InvalidInput("refused", code=code)

    answer = submit_licence(GOOD, refuse)
    assert answer.errors == {field: key} and not answer.verified
    assert answer.form == {**GOOD, "id_number": ""}


def test_a_check_the_provider_refuses_is_not_verified_and_names_no_field():
    answer = submit_licence(GOOD, lambda claim: SimpleNamespace(verified=False))
    assert not answer.verified and answer.errors == {} and answer.form["id_number"] == ""
