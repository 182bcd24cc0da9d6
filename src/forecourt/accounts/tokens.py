"""High-entropy random secrets (session ids, API tokens, reset tokens, CSRF tokens) and their digests.

Only a SHA-256 digest is stored. That is right for 256-bit random tokens (nothing to brute-force, and a
fast hash keeps lookups cheap) and wrong for passwords, which go through argon2 in passwords.py.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_TOKEN_PREFIX = "fc_"
TOKEN_BYTES = 32
DISPLAY_PREFIX_LENGTH = 8


def new_secret() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def display_prefix(token: str) -> str:
    """What lists show so a user can tell tokens apart: the first 8 characters (never enough to use)."""
    return token[:DISPLAY_PREFIX_LENGTH]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison, so response timing does not leak how much of a secret matched."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
