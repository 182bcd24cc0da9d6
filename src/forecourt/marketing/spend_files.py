"""The daily spend CSV: `campaign_code,day,amount`, UTF-8 with or without a BOM; every problem, with its line.

Pure (standard library only). Amounts are decimal yuan (`1234.50`; a thousands separator `1,234.50` in a
quoted cell is accepted), never negative, at most two decimal places. Days are ISO dates (2026-12-01). The
same campaign and day twice in one file is a problem: which amount would be meant?
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

COLUMNS = ("campaign_code", "day", "amount")
MAX_AMOUNT = Decimal("1000000000.00")
MAX_ROWS = 200_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Problem = tuple[int, str | None, str]  # line (header = 1), column or None, reason


@dataclass(frozen=True)
class SpendRow:
    line: int
    campaign_code: str
    day: date
    amount: Decimal


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def parse_amount(text: str) -> Decimal:
    cleaned = text.strip().replace(",", "").removeprefix("¥").removeprefix("￥").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text.strip()[:30]!r} is not an amount in yuan such as 1234.50") from None
    if not amount.is_finite():
        raise ValueError("the amount must be a number")
    if amount < 0:
        raise ValueError("the amount cannot be negative")
    if amount > MAX_AMOUNT:
        raise ValueError(f"{amount} is above CNY {MAX_AMOUNT}; amounts are in yuan, not fen")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{amount} has more than 2 decimal places")
    return amount.quantize(Decimal("0.01"))


def parse_spend_csv(data: bytes) -> tuple[list[SpendRow], list[Problem], list[tuple[int, str]]]:
    """The rows that read well, every problem found (a file-level problem has line 0 or 1), and (line, code) of
    every row naming a campaign, good or not, so unknown codes are reported on bad rows too."""
    text = _decode(data)
    if text is None:
        return [], [(0, None, "the file is not UTF-8 text; save it as CSV UTF-8")], []
    if _CONTROL.search(text) or "\x00" in text:
        return [], [(0, None, "the file contains control characters; is it really a CSV file?")], []
    if not text.strip():
        return [], [(0, None, "the file is empty")], []
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[SpendRow] = []
    problems: list[Problem] = []
    header: list[str] | None = None
    seen: dict[tuple[str, date], int] = {}
    codes: list[tuple[int, str]] = []
    try:
        line = 0
        for cells in reader:
            line += 1
            start_line, line = line, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip().lstrip("\ufeff").lower() for cell in cells]
                missing = [c for c in COLUMNS if c not in header]
                unknown = [c for c in header if c and c not in COLUMNS]
                if missing or unknown or len(set(header)) != len(header):
                    found = ",".join(header)[:200]
                    return (
                        [],
                        [(start_line, None, f"the header must be exactly {','.join(COLUMNS)}; found {found}")],
                        [],
                    )
                continue
            if len(rows) + len(problems) >= MAX_ROWS:
                problems.append((start_line, None, f"more than {MAX_ROWS:,} rows; split the file"))
                break
            if len(cells) == len(header) and cells[header.index("campaign_code")].strip():
                codes.append((start_line, cells[header.index("campaign_code")].strip().lower()[:60]))
            row = _row(header, cells, start_line, seen, problems)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        problems.append((reader.line_num, None, f"the CSV cannot be read here: {exc}"))
    if header is None:
        problems.append((1, None, f"the file has no header row; the first line must be {','.join(COLUMNS)}"))
    return rows, problems, codes


def _row(
    header: list[str], cells: list[str], line: int, seen: dict[tuple[str, date], int], problems: list[Problem]
) -> SpendRow | None:
    if len(cells) != len(header):
        reason = f"the row has {len(cells)} fields but the header has {len(header)}; check for an unquoted comma"
        problems.append((line, None, reason))
        return None
    values = dict(zip(header, cells, strict=True))
    before = len(problems)
    code = values["campaign_code"].strip().lower()
    if not code:
        problems.append((line, "campaign_code", "campaign_code is empty"))
    elif len(code) > 60:
        problems.append((line, "campaign_code", "campaign_code is longer than 60 characters"))
    day: date | None = None
    try:
        day = date.fromisoformat(values["day"].strip())
    except ValueError:
        problems.append((line, "day", f"{values['day'].strip()[:30]!r} is not a date such as 2026-12-01"))
    amount: Decimal | None = None
    try:
        amount = parse_amount(values["amount"])
    except ValueError as exc:
        problems.append((line, "amount", str(exc)))
    if len(problems) > before or day is None or amount is None:
        return None
    if (code, day) in seen:
        problems.append((line, "day", f"{code} on {day} is already on line {seen[(code, day)]}; keep one row per day"))
        return None
    seen[(code, day)] = line
    return SpendRow(line, code, day, amount)
