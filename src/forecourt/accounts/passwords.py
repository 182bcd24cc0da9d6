"""Password hashing with argon2id (argon2-cffi's PasswordHasher defaults, RFC 9106's second recommendation).

A hash made with older parameters is replaced at the next successful sign-in (`needs_rehash`), so raising
the cost later upgrades accounts as their owners sign in.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 128  # bounds the hashing work an attacker can make us do per request

PRODUCTION_PARAMETERS = profiles.RFC_9106_LOW_MEMORY  # argon2id, 3 passes over 64 MiB, 4 lanes

# Module-level so every process builds it once; the test suite swaps in a cheaper argon2id hasher (tests/conftest.py).
_hasher = PasswordHasher.from_parameters(PRODUCTION_PARAMETERS)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, replacement hash or None). The replacement is set when the parameters changed."""
    try:
        _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(stored_hash) else None)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-only-burns-time")


def burn_verification_time(password: str) -> None:
    """Verify against a throwaway hash when the account does not exist, so timing does not reveal it."""
    verify_password(_dummy_hash(), password)


def password_problem(password: str, identifiers: list[str | None]) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    lowered = password.strip().lower()
    if any(i and lowered == i.lower() for i in identifiers):
        return "must not be the same as your email address or mobile number"
    return None
