"""Public references for things people read aloud or type: a prefix and random unambiguous characters."""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I


def new_reference(prefix: str, length: int = 8) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))
