"""Pluggable identity verification: does this licence belong to this person, and may they drive on it?

A real adapter calls a licensed verification service (e.g. the traffic-management bureau's licence check);
only the demo adapter ships, and it contacts no one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from forecourt.identity.id_number import IdNumberError, parse_resident_id

# Licence classes of the PRC driving-licence system that cover a passenger car or more.
SUPPORTED_LICENCE_CLASSES = frozenset({"A1", "A2", "A3", "B1", "B2", "C1", "C2"})
NAME_MIN_LENGTH, NAME_MAX_LENGTH = 2, 40


@dataclass(frozen=True)
class IdentityClaim:
    full_name: str
    id_number: str
    licence_expiry: date
    licence_class: str = "C1"


@dataclass(frozen=True)
class IdentityCheck:
    verified: bool
    provider: str
    reference: str
    reasons: tuple[str, ...]  # stable codes; empty when verified
    date_of_birth: date | None


class IdentityProvider(Protocol):
    name: str

    def verify(self, claim: IdentityClaim, *, today: date) -> IdentityCheck: ...


class DemoIdentityProvider:
    """A DEMO identity check: contacts no one and trusts the claim, applying only these fixed rules.

    - the ID number must parse (GB 11643-1999); otherwise the only reason is ``id_number_invalid``;
    - the name, trimmed, must be 2 to 40 characters: ``name_invalid``;
    - the licence class must be one of A1 A2 A3 B1 B2 C1 C2: ``licence_class_unsupported``;
    - a licence that expired before `today` is refused (one expiring today is still valid): ``licence_expired``;
    - ID numbers whose sequence digits (characters 15-17) are ``999`` fail as ``identity_mismatch``, so the
      demo can show a refused check without a real bureau.

    The reference is ``demo-idv-`` and the first 12 hex digits of an HMAC-SHA256 of the ID number under `key`,
    so the same claim always gets the same reference; the date of birth is read from the ID number. The
    reference is stored in clear: a plain hash of so small a number space would give the number back to
    anyone who tries the candidates, so the app passes a key derived from its secret.
    """

    name = "demo-identity"

    def __init__(self, key: str = "forecourt-demo-identity") -> None:
        self._key = key.encode()

    def verify(self, claim: IdentityClaim, *, today: date) -> IdentityCheck:
        try:
            resident = parse_resident_id(claim.id_number, today=today)
        except IdNumberError:
            return self._check(claim.id_number, ("id_number_invalid",), None)
        reasons = [
            *(["name_invalid"] if not NAME_MIN_LENGTH <= len(claim.full_name.strip()) <= NAME_MAX_LENGTH else []),
            *(["licence_class_unsupported"] if claim.licence_class not in SUPPORTED_LICENCE_CLASSES else []),
            *(["licence_expired"] if claim.licence_expiry < today else []),
            *(["identity_mismatch"] if resident.number[14:17] == "999" else []),
        ]
        return self._check(resident.number, tuple(reasons), resident.birth_date)

    def _check(self, number: str, reasons: tuple[str, ...], born: date | None) -> IdentityCheck:
        reference = "demo-idv-" + hmac.new(self._key, number.encode(), hashlib.sha256).hexdigest()[:12]
        return IdentityCheck(not reasons, self.name, reference, reasons, born)
