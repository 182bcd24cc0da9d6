"""The contact form's input rules (pure): normalising and checking a name, a mobile or e-mail and a message.

A mobile is normalised to its digits (a +86/0086 prefix dropped); an e-mail to lower case. The normalised
value is what the keyed blind index is computed over, so "+86 138-0013-8000" and "13800138000" are one person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NAME_MAX = 60
MESSAGE_MAX = 1000
EMAIL_MAX = 120
MOBILE_PATTERN = re.compile(r"1[3-9]\d{9}")
EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+")


@dataclass(frozen=True)
class ContactInput:
    name: str
    mobile: str | None  # normalised digits
    email: str | None  # normalised lower case
    message: str

    def __repr__(self) -> str:  # never show personal data in logs or tracebacks
        return "ContactInput(<redacted>)"


def _clean(text: object, limit: int) -> str:
    if not isinstance(text, str):
        return ""
    # Control characters (other than new lines in the message) are dropped, not stored.
    kept = "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")
    return kept.strip()[: limit + 1]


def normalise_mobile(text: str) -> str | None:
    digits = re.sub(r"[\s()+.-]", "", text)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if MOBILE_PATTERN.fullmatch(digits) else None


def normalise_email(text: str) -> str | None:
    address = text.strip().lower()
    return address if len(address) <= EMAIL_MAX and EMAIL_PATTERN.fullmatch(address) else None


def check_contact(
    name: object, mobile: object, email: object, message: object, consent: bool
) -> tuple[ContactInput | None, dict[str, str]]:
    """The cleaned input, or None and {field: problem code} (codes: required, too_long, invalid)."""
    errors: dict[str, str] = {}
    clean_name = _clean(name, NAME_MAX)
    if not clean_name:
        errors["name"] = "required"
    elif len(clean_name) > NAME_MAX:
        errors["name"] = "too_long"
    mobile_text, email_text = _clean(mobile, 40), _clean(email, EMAIL_MAX)
    mobile_n = normalise_mobile(mobile_text) if mobile_text else None
    email_n = normalise_email(email_text) if email_text else None
    if mobile_text and mobile_n is None:
        errors["mobile"] = "invalid"
    if email_text and email_n is None:
        errors["email"] = "invalid"
    if not mobile_text and not email_text:
        errors["mobile"] = "mobile_or_email"
    clean_message = _clean(message, MESSAGE_MAX)
    if len(clean_message) > MESSAGE_MAX:
        errors["message"] = "too_long"
    if not consent:
        errors["consent"] = "required"
    if errors:
        return None, errors
    return ContactInput(clean_name, mobile_n, email_n, clean_message), {}
