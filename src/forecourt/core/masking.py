"""Masks for personal data shown in pages, API answers and logs: enough to recognise, too little to misuse."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from decimal import Decimal

STAR = "*"
# Two-character surnames are rare but real; masking "欧阳娜娜" as "欧***" would hide the whole surname.
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "司空",
        "夏侯",
        "轩辕",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "呼延",
        "澹台",
        "公冶",
        "太史",
        "申屠",
        "闻人",
        "万俟",
        "钟离",
        "赫连",
        "淳于",
        "濮阳",
        "百里",
        "东郭",
        "拓跋",
    }
)
# Monthly income bands (lower bound inclusive); an open-ended top band keeps high earners indistinguishable.
INCOME_BANDS: tuple[tuple[Decimal, Decimal | None], ...] = (
    (Decimal(0), Decimal(5_000)),
    (Decimal(5_000), Decimal(10_000)),
    (Decimal(10_000), Decimal(20_000)),
    (Decimal(20_000), Decimal(30_000)),
    (Decimal(30_000), Decimal(50_000)),
    (Decimal(50_000), Decimal(100_000)),
    (Decimal(100_000), None),
)
PRC_ID_PATTERN = re.compile(r"\d{17}[\dX]|\d{15}")  # 18-character numbers, and the old 15-digit ones
CJK_PATTERN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# One alternation, so a run is matched once by the longest fitting shape; digit look-arounds stop a long run
# (a card number) from being half-masked as a phone number.
SENSITIVE_RUN_PATTERN = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{16,19}|1[3-9]\d{9})(?!\d)")


def _keep_ends(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return STAR * len(text)
    return text[:head] + STAR * (len(text) - head - tail) + text[len(text) - tail :]


# A resident ID keeps its first and last character only (as Alipay and WeChat show them). Each more character
# shown divides the candidates by ten: with first 3 and last 4 plus a known birth date, 91 numbers remained.
# With these two and no birth date in clear, over 10**6 numbers fit even when the region is known
# (tests/test_privacy_sweep.py counts them).
ID_HEAD, ID_TAIL = 1, 1


def mask_id_number(text: str) -> str:
    """PRC resident ID: first and last character ("1****************X"); passports and others: first 1, last 3."""
    number = "".join(text.split()).upper()
    if PRC_ID_PATTERN.fullmatch(number):
        return _keep_ends(number, ID_HEAD, ID_TAIL)
    return _keep_ends(number, 1, 3)


def mask_phone(text: str) -> str:
    """Mainland mobile numbers as "138****8000" (with or without +86); other numbers keep their last 4 digits."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return _keep_ends(digits, 3, 4)
    if len(digits) >= 8:
        return _keep_ends(digits, 0, 4)
    return STAR * len(digits)


def mask_name(text: str) -> str:
    """Chinese names keep the surname ("李*", "欧阳**"); other names keep the first letter ("J***")."""
    name = text.strip()
    if not name:
        return ""
    if CJK_PATTERN.match(name):
        surname = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
        return _keep_ends(name, surname, 0) if len(name) > 1 else STAR
    # A fixed tail hides the length of Latin names, which would otherwise narrow them down.
    return name[0] + STAR * 3


def income_band(amount: Decimal) -> tuple[Decimal, Decimal | None]:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise ValueError("an income band needs a finite, non-negative Decimal amount")
    return next((low, high) for low, high in INCOME_BANDS if high is None or amount < high)


def mask_amount_band(amount: Decimal, *, currency: str = "CNY") -> str:
    """A monthly income as its band ("CNY 10,000–20,000 / month"), for staff who must not see the exact figure."""
    low, high = income_band(amount)
    if high is None:
        return f"{currency} {low:,.0f}+ / month"
    if low == 0:
        return f"{currency} under {high:,.0f} / month"
    return f"{currency} {low:,.0f}–{high:,.0f} / month"


def _mask_sensitive_run(match: re.Match[str]) -> str:
    run = match.group()
    if len(run) == 11:
        return mask_phone(run)
    if len(run) == 18 and PRC_ID_PATTERN.fullmatch(run.upper()):
        return _keep_ends(run.upper(), ID_HEAD, ID_TAIL)
    return _keep_ends(run, 0, 4)  # card-like: the last 4 digits, as on receipts


def redact(text: str) -> str:
    """Mask every ID-number-, mobile- or card-like digit run in free text."""
    return SENSITIVE_RUN_PATTERN.sub(_mask_sensitive_run, text)


# --- secrets in log lines -----------------------------------------------------------------------------------
# Query parameters whose values are secrets or personal data, in any URL of any log line (access logs above all).
SECRET_QUERY_PARAMS = (
    "token|access_token|refresh_token|id_token|reset_token|code|pickup_code|otp|key|api_key|apikey|password|passwd"
    "|pwd|secret|client_secret|signature|sig|grant|session|session_id|sessionid|csrf_token|auth|authorization"
    "|id_number|mobile|phone|email|income|monthly_income"
)
_QUERY_SECRET = re.compile(rf"(?i)([?&;](?:{SECRET_QUERY_PARAMS})=)[^&#\s\"']+")
# Labelled secrets in free text: `password=…`, `"token": "…"`, `Cookie: forecourt_session=…`.
_LABELLED_SECRET = re.compile(
    r"(?i)\b((?:\w+_)?(?:token|password|passwd|secret|api_key|pickup_code|reset_code|otp|grant)"
    r"|forecourt_session|forecourt_reset|csrf_pre|session_id|sessionid)"
    r"(\\?[\"']?\s*[:=]\s*\\?[\"']?)(?!\*)[^\s\"'&,;)\]}]+"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_API_TOKEN = re.compile(r"\b(fc_[A-Za-z0-9_-]{5})[A-Za-z0-9_-]{15,}")  # keeps the 8-character display prefix
# Random secrets of 32+ bytes (session ids, reset tokens, grants, CSRF tokens): long runs of the URL-safe
# alphabet with both letter cases. Hex digests (one case) and snake_case names stay readable.
_LONG_SECRET = re.compile(r"(?<![\w-])(?=[\w-]*[a-z])(?=[\w-]*[A-Z])[\w-]{32,}(?![\w-])", re.ASCII)
_URL_PASSWORD = re.compile(r"(://[^/\s:@]+:)[^/\s@]+@")
_EMAIL = re.compile(r"(?<![\w.%+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_PREFIXED_MOBILE = re.compile(r"(?<![\d+])(?:\+|00)?86[ -]?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")
_SPACED_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]\d{4}[ -](\d{4})(?!\d)")
# Figures that are only sensitive beside their label: incomes, debts, bank and card numbers.
_LABELLED_FIGURE = re.compile(
    r"(?i)((?:monthly_|annual_|yearly_)?(?:income|salary|wage|debts?|bank_account|account_number|card_number|iban)"
    r"|月收入|年收入|收入|工资|月薪|负债|银行卡号|银行账号|卡号)"
    r"([\\\"'\s]*[:=：]?[\\\"'\s]*(?:Decimal\(['\"])?(?:CNY|RMB|USD|¥|￥|\$)?\s*)\d[\d,]*(?:\.\d+)?"
)
MASK = "***"


def redact_secrets(text: str) -> str:
    """Everything `redact` masks, plus secrets: secret query parameters, labelled secrets, Bearer and API tokens,
    long random tokens, passwords in URLs, e-mail addresses, +86 mobiles, and incomes or bank numbers beside
    their labels. What operators need (method, path, status, names of things) is left as it was."""
    text = _QUERY_SECRET.sub(rf"\1{MASK}", text)
    text = _URL_PASSWORD.sub(rf"\1{MASK}@", text)
    text = _LABELLED_SECRET.sub(rf"\1\2{MASK}", text)
    text = _BEARER.sub(rf"\1{MASK}", text)
    text = _API_TOKEN.sub(rf"\1{MASK}", text)
    text = _LONG_SECRET.sub(MASK, text)
    text = _EMAIL.sub(rf"\1{MASK}@\2", text)
    text = _LABELLED_FIGURE.sub(rf"\1\2{MASK}", text)
    text = _PREFIXED_MOBILE.sub(r"\1****\2", text)
    text = _SPACED_MOBILE.sub(r"\1****\2", text)
    return redact(text)


# Structured fields (a log record's `extra`) named like a secret or a personal figure (as a word of their name:
# "secret_key", "csrf_token") are masked whole, whatever their value looks like: a six-digit pick-up code under
# "pickup_code", an income as a plain number.
_SECRET_FIELD = re.compile(
    r"(?i)(?:^|_)(?:token|password|passwd|secret|api_key|apikey|pickup_code|reset_code|otp|grant|authorization"
    r"|cookie|session_id|sessionid|csrf|signature|id_number|income|salary|wage|debts?|bank_account"
    r"|account_number|card_number|iban)(?:_|$)"
)


def redact_field(name: str, value: object) -> object:
    """A structured log field with secrets and personal data masked: a secret-named field entirely, text by
    `redact_secrets`, containers item by item (keys naming secrets mask their values), a number when it is
    shaped like a phone, ID or card number; booleans and None as they are, anything else as its masked text."""
    if value is None or isinstance(value, bool):
        return value
    if _SECRET_FIELD.search(name) and value != "":
        return MASK
    if isinstance(value, dict):
        return {str(key): redact_field(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_field(name, item) for item in value]
    if isinstance(value, int | float):
        return value if redact(str(value)) == str(value) else MASK
    return redact_secrets(value if isinstance(value, str) else str(value))


class RedactingFilter(logging.Filter):
    """Masks secrets and personal data (`redact_secrets`) in a record's message, arguments and traceback.

    The message is formatted here and the arguments dropped: an ID passed as an int (``%d``) or inside a dict
    only becomes recognisable once formatted. Access-log records keep their arguments, each masked, because
    their formatters read them by position or name (uvicorn's `client_addr, method, full_path, ...`); the
    request line keeps its method, path and status and loses only secret query values. The traceback is
    rendered and masked too, since exception messages often quote the offending value.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


REDACTED_MARK = "_forecourt_redacted"


def _redact_value(value: object) -> object:
    return redact_secrets(value) if isinstance(value, str) else value


def redact_record(record: logging.LogRecord) -> None:
    if getattr(record, REDACTED_MARK, False):  # several handlers and loggers may carry the filter
        return
    if record.name.endswith(".access") and isinstance(record.args, tuple | dict):
        record.msg = redact_secrets(str(record.msg))
        if isinstance(record.args, dict):
            record.args = {name: _redact_value(value) for name, value in record.args.items()}
        else:
            record.args = tuple(_redact_value(value) for value in record.args)
    else:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not leak its arguments through logging's error report
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact_secrets(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_secrets(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_secrets(record.stack_info)
    setattr(record, REDACTED_MARK, True)


def install_log_redaction(logger_name: str | None = None) -> None:
    """Redact every record of ``logger_name`` and its descendants (of all loggers when None).

    This wraps the log-record factory rather than adding a filter to the logger: a logger's filters never see
    records from its child loggers (``forecourt.finance.service`` under ``forecourt``), and filters on handlers
    miss handlers configured later (uvicorn's logging config, pytest's caplog). Calling it twice is harmless.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redaction_scope", object()) == logger_name:
        return
    factory = _redacting_factory(previous, logger_name)
    logging.setLogRecordFactory(factory)


RecordFactory = Callable[..., logging.LogRecord]


def _redacting_factory(previous: RecordFactory, scope: str | None) -> RecordFactory:
    def make_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if scope is None or record.name == scope or record.name.startswith(scope + "."):
            redact_record(record)
        return record

    make_record.redaction_scope = scope  # type: ignore[attr-defined]
    return make_record
