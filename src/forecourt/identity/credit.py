"""Pluggable credit scores for the test-drive deposit waiver (a 350–950 scale, like Sesame Credit's)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

SCORE_MIN, SCORE_MAX = 350, 950


@dataclass(frozen=True)
class CreditScore:
    score: int
    provider: str


class CreditScoreProvider(Protocol):
    name: str

    def score(self, id_number: str) -> CreditScore: ...


class DemoCreditScoreProvider:
    """A DEMO bureau: contacts no one. The score is a keyed hash of the ID number, so it is the same for the
    same person every time (and across accounts) yet looks arbitrary; `scores` pins chosen ID numbers to
    chosen scores so the demo and the tests can show both sides of the waiver threshold."""

    name = "demo-credit"

    def __init__(self, salt: str = "forecourt-demo-credit", scores: dict[str, int] | None = None) -> None:
        self._salt = salt.encode()
        self._pinned = dict(scores or {})

    def score(self, id_number: str) -> CreditScore:
        if id_number in self._pinned:
            return CreditScore(self._pinned[id_number], self.name)
        digest = hmac.new(self._salt, id_number.encode(), hashlib.sha256).digest()
        return CreditScore(SCORE_MIN + int.from_bytes(digest[:4], "big") % (SCORE_MAX - SCORE_MIN + 1), self.name)
