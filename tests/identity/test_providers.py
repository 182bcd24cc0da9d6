"""The demo identity provider: each documented rule, and a deterministic reference."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta

import pytest

from forecourt.identity.id_number import check_character
from forecourt.identity.providers import DemoIdentityProvider, IdentityCheck, IdentityClaim, IdentityProvider

TODAY = date(2026, 12, 1)
GOOD_ID = "440106199003071231"
MISMATCH_BODY = "44010619900307999"
MISMATCH_ID = MISMATCH_BODY + check_character(MISMATCH_BODY)


def claim(**changes) -> IdentityClaim:
    fields = {"full_name": "Li Lei", "id_number": GOOD_ID, "licence_expiry": date(2030, 1, 1), "licence_class": "C1"}
    return IdentityClaim(**{**fields, **changes})


def verify(**changes) -> IdentityCheck:
    return DemoIdentityProvider().verify(claim(**changes), today=TODAY)


def test_a_good_claim_is_verified_with_date_of_birth_and_reference():
    check = verify()
    keyed = hmac.new(b"forecourt-demo-identity", GOOD_ID.encode(), hashlib.sha256).hexdigest()[:12]
    assert check == IdentityCheck(True, "demo-identity", "demo-idv-" + keyed, (), date(1990, 3, 7))


def test_the_reference_is_keyed_so_the_id_number_cannot_be_recovered_by_trying_candidates():
    plain = "demo-idv-" + hashlib.sha256(GOOD_ID.encode()).hexdigest()[:12]
    one, other = (DemoIdentityProvider(key=k).verify(claim(), today=TODAY).reference for k in ("k1", "k2"))
    assert len({plain, one, other}) == 3


def test_the_demo_satisfies_the_provider_protocol():
    provider: IdentityProvider = DemoIdentityProvider()
    assert provider.name == "demo-identity"


def test_an_unparseable_id_number_is_the_only_reason():
    check = verify(id_number="440106199003071232", full_name="", licence_class="Z9")
    assert (check.verified, check.reasons, check.date_of_birth) == (False, ("id_number_invalid",), None)


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        ({"full_name": "Li"}, ()),
        ({"full_name": "L"}, ("name_invalid",)),
        ({"full_name": "   "}, ("name_invalid",)),
        ({"full_name": " L "}, ("name_invalid",)),
        ({"full_name": "x" * 40}, ()),
        ({"full_name": "x" * 41}, ("name_invalid",)),
        ({"full_name": "李雷"}, ()),
        *(({"licence_class": c}, ()) for c in ["A1", "A2", "A3", "B1", "B2", "C1", "C2"]),
        ({"licence_class": "C3"}, ("licence_class_unsupported",)),
        ({"licence_class": "c1"}, ("licence_class_unsupported",)),
        ({"licence_expiry": TODAY}, ()),
        ({"licence_expiry": TODAY - timedelta(days=1)}, ("licence_expired",)),
        ({"id_number": MISMATCH_ID}, ("identity_mismatch",)),
        (
            {"full_name": "L", "licence_class": "D", "licence_expiry": date(2020, 1, 1)},
            ("name_invalid", "licence_class_unsupported", "licence_expired"),
        ),
    ],
)
def test_each_rule(changes, reasons):
    check = verify(**changes)
    assert check.reasons == reasons
    assert check.verified is (not reasons)


def test_a_refused_check_still_reads_the_date_of_birth():
    assert verify(id_number=MISMATCH_ID).date_of_birth == date(1990, 3, 7)


def test_reference_is_deterministic_and_uses_the_normalised_number():
    lower = "11010519491231002x"
    assert verify(id_number=lower).reference == verify(id_number="11010519491231002X").reference
    assert verify(id_number=lower).reference != verify().reference
