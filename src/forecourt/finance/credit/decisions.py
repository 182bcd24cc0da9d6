"""A credit decision as stored: a clear part anyone who may see the application reads, and a sealed part with
every figure the applicant's income could be rebuilt from.

The monthly payment stays in clear (it is the quote's), so the payment-to-income ratio cannot: payment ÷ PTI
gives the income to a few hundredths of a per cent, however wide the income band shown beside it. The same goes
for the debt-to-income ratio, the reasons that quote either ratio or the applicant's obligations, and the down
payment a stipulation asks for (it is solved from the income). Those live in one AES-GCM token
(``credit_application:{id}:decision_private``); the clear record keeps the outcome, tier, payment, LTV, the deal,
reason and stipulation codes with wording that quotes no income-derived figure, and the officers' overrides.
The applicant and finance officers (in the audited full record) read the sealed part; store staff, the review
queue and stored idempotent replays see the clear one.
"""

from __future__ import annotations

import json
from typing import Any

from forecourt.core.crypto import FieldCipher
from forecourt.finance.credit.underwriting_reasons import (
    INCOME_DERIVED_REASONS,
    MASKED_STIPULATIONS,
    masked_reason_messages,
)
from forecourt.finance.models import CreditApplication

PRIVATE_FIELD = "decision_private"  # the AES-GCM context label, as `applications.context` builds it
PRIVATE_KEYS = ("pti", "dti", "reasons", "stipulations")


def _context(application_id: int) -> str:
    return f"credit_application:{application_id}:{PRIVATE_FIELD}"


def _masked_reason(reason: dict[str, Any]) -> dict[str, Any]:
    code = reason["code"]
    if code not in INCOME_DERIVED_REASONS:
        return reason
    english, chinese = masked_reason_messages(code, reason["message_en"], reason["message_zh"], reason["detail"])
    limit = reason.get("detail", {}).get("limit")
    return {"code": code, "message_en": english, "message_zh": chinese, "detail": {"limit": limit} if limit else {}}


def _masked_stipulation(stipulation: dict[str, Any]) -> dict[str, Any]:
    if stipulation.get("required_down_payment") is None:
        return stipulation
    english, chinese = MASKED_STIPULATIONS.get(
        stipulation["code"], (stipulation["message_en"], stipulation["message_zh"])
    )
    return {**stipulation, "message_en": english, "message_zh": chinese, "required_down_payment": None}


def split(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The full decision record → (what may stay in clear, what must be sealed)."""
    private = {key: record.get(key) for key in ("pti", "dti")}
    private |= {key: list(record.get(key) or []) for key in ("reasons", "stipulations")}
    clear = {key: value for key, value in record.items() if key not in ("pti", "dti")}
    clear["reasons"] = [_masked_reason(dict(r)) for r in record.get("reasons", [])]
    clear["stipulations"] = [_masked_stipulation(dict(s)) for s in record.get("stipulations", [])]
    return clear, private


def seal(cipher: FieldCipher, row: CreditApplication, record: dict[str, Any]) -> None:
    """Store a full decision record on the row (which must have its id): clear part and sealed part."""
    clear, private = split(record)
    row.decision = clear
    row.decision_private_enc = cipher.encrypt(
        json.dumps(private, sort_keys=True, separators=(",", ":"), ensure_ascii=False), context=_context(row.id)
    )


def opened(cipher: FieldCipher, row: CreditApplication) -> dict[str, Any]:
    """The full decision record (for the applicant and the officer's audited record)."""
    clear = dict(row.decision or {})
    if not row.decision_private_enc:
        return clear
    private = json.loads(cipher.decrypt(row.decision_private_enc, context=_context(row.id)))
    return {**clear, **private}
