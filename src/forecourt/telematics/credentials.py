"""Car passwords and the hash format Mosquitto checks them with.

Mosquitto 2.0's password file holds `username:$7$<iterations>$<base64 salt>$<base64 PBKDF2-SHA512>`; Forecourt
writes the same format, so the broker checks a car's password without Forecourt in the loop and Forecourt keeps
only the hash. Passwords are 32 random bytes: with that much entropy the iteration count guards nothing that the
randomness does not already, so it is kept low (the broker pays it on every car's connect).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 1_000
SALT_BYTES = 12


def new_password() -> str:
    return secrets.token_urlsafe(32)


def mosquitto_hash(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify(password: str, stored: str) -> bool:
    try:
        _, kind, iterations, salt, digest = stored.split("$")
        if kind != "7":
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.pbkdf2_hmac(
            "sha512", password.encode(), base64.b64decode(salt, validate=True), int(iterations)
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
