"""Rate programs as files, and the checks every program passes (pure: no web, no ORM).

Every number is read exactly as written, never through a binary float (CSV cells are text, YAML values are taken
from the raw scalar text: `file_formats`). The same checks (`check_program`) serve the API, the back-office form
and imports; each problem names its line (CSV: physical line, header = 1; YAML: line in the document) and
column, and a file is checked whole, so one report lists every problem. The problems' sentences are `messages.MESSAGES`
(shared with `residual_files`, which reads residual tables).

Export is canonical (sorted, fixed column order, rates without trailing zeros, money with two decimals), so
exporting, importing and exporting again gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from forecourt.finance.programs.file_formats import (  # noqa: F401 - callers use them from here
    CATALOG_CODE,
    ERROR,
    FORMATS,
    BadValue,
    FileFormatError,
    Parsed,
    Problem,
    canonical_decimal,
    date_value,
    decimal_value,
    detect_format,
    fail,
    int_value,
    money_text,
    read_records,
    text_value,
    write_csv,
    write_yaml,
)
from forecourt.finance.programs.messages import MESSAGES

PROGRAM_COLUMNS = (
    "code",
    "product",
    "name_en",
    "name_zh",
    "model_code",
    "trim_code",
    "term_months",
    "credit_tier",
    "annual_rate",
    "money_factor",
    "subvention_rate",
    "subvention_by",
    "min_down_percent",
    "max_balloon_percent",
    "fee",
    "cash_rebate",
    "purchase_price",
    "disposition_fee",
    "excess_km_rate",
    "valid_from",
    "valid_to",
)
PROGRAM_REQUIRED = ("code", "product", "name_en", "name_zh", "term_months", "annual_rate", "valid_from", "valid_to")
PRODUCTS = ("loan", "balloon", "lease", "lease_to_own")
SUBVENTION_BY = ("", "dealer", "oem")
ANY_TIER = "*"
MONEY_MAX = Decimal("10000000")  # an amount on a car's finance program; more is a typing mistake
# The charge per km over a lease's allowance: products that have one, the rate when a lease gives none (also the
# rate of a file written before the column existed), and the most a km may cost (more is a typing mistake; the
# column holds 4 decimal places). The default is finance.models.DEFAULT_EXCESS_KM_RATE (a test keeps them equal).
EXCESS_KM_PRODUCTS = ("lease", "lease_to_own")
DEFAULT_EXCESS_KM_RATE = Decimal("0.50")
EXCESS_KM_RATE_MAX = Decimal(10)

_CODE = re.compile(r"[a-z0-9][a-z0-9._-]{0,59}")
_TIER = re.compile(r"[A-Za-z0-9]{1,10}")
_MONEY_FIELDS = ("fee", "cash_rebate", "purchase_price", "disposition_fee")


@dataclass(frozen=True)
class ProgramFields:
    code: str
    product: str
    name_en: str
    name_zh: str
    model_code: str | None
    trim_code: str | None
    term_months: int
    credit_tier: str
    annual_rate: Decimal
    money_factor: Decimal | None
    subvention_rate: Decimal
    subvention_by: str
    min_down_percent: Decimal
    max_balloon_percent: Decimal
    fee: Decimal
    cash_rebate: Decimal
    purchase_price: Decimal
    disposition_fee: Decimal
    excess_km_rate: Decimal | None  # leases and lease-to-own only (None for the others)
    valid_from: date
    valid_to: date

    def values(self) -> dict[str, Any]:
        return asdict(self)


# --- program checks -------------------------------------------------------------------------------------------------


def parse_program(raw: Mapping[str, object]) -> tuple[ProgramFields | None, list[tuple[str, str]]]:
    """Typed program fields from text (or already typed) values, and every (column, message) problem.

    Empty optional values take their defaults: every model and trim, tier *, no subvention, zero percents and
    amounts. The rules between fields (`check_program`) run when every field could be read."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}

    def read(name: str, parse: Any, default: Any = None) -> None:
        value = raw.get(name)
        try:
            if text_value(value) == "" and not isinstance(value, Decimal | date | int):
                if name in PROGRAM_REQUIRED:
                    raise BadValue("required")
                values[name] = default
                return
            values[name] = parse(value)
        except BadValue as exc:
            problems.append((name, MESSAGES[exc.message_key]))

    def code(value: object) -> str:
        text = text_value(value)
        return text if _CODE.fullmatch(text) else fail("code")

    def product(value: object) -> str:
        text = text_value(value)
        return text if text in PRODUCTS else fail("product")

    def name(value: object) -> str:
        text = text_value(value)
        return text if len(text) <= 120 else fail("name")

    def catalog_code(limit: int, message_key: str) -> Any:
        def parse(value: object) -> str:
            text = text_value(value)
            return text if len(text) <= limit and CATALOG_CODE.fullmatch(text) else fail(message_key)

        return parse

    def term(value: object) -> int:
        months = int_value(value)
        return months if 1 <= months <= 120 else fail("term")

    def tier(value: object) -> str:
        text = text_value(value)
        return text if text == ANY_TIER or _TIER.fullmatch(text) else fail("tier")

    def fraction(places: int, range_key: str, places_key: str | None = None, *, below_one: bool = True) -> Any:
        def parse(value: object) -> Decimal:
            number = decimal_value(value, 99, range_key)
            if not (Decimal(0) <= number < 1 if below_one else Decimal(0) <= number <= 1):
                raise BadValue(range_key)
            return decimal_value(number, places, places_key or range_key)

        return parse

    def money_factor(value: object) -> Decimal:
        number = decimal_value(value, 8, "money_factor")
        return number if Decimal(0) < number < 1 else fail("money_factor")

    def money(value: object) -> Decimal:
        amount = decimal_value(value, 2, "money")
        return amount.quantize(Decimal("0.01")) if Decimal(0) <= amount < MONEY_MAX else fail("money")

    def excess_km_rate(value: object) -> Decimal:
        rate = decimal_value(value, 4, "excess_km_rate")
        return rate if Decimal(0) < rate <= EXCESS_KM_RATE_MAX else fail("excess_km_rate")

    def subvention_by(value: object) -> str:
        text = text_value(value).lower()
        return text if text in SUBVENTION_BY else fail("subvention_by")

    read("code", code)
    read("product", product)
    read("name_en", name)
    read("name_zh", name)
    read("model_code", catalog_code(40, "model_code"))
    read("trim_code", catalog_code(60, "trim_code"))
    read("term_months", term)
    read("credit_tier", tier, ANY_TIER)
    read("annual_rate", fraction(6, "rate", "rate_places"))
    read("money_factor", money_factor)
    read("subvention_rate", fraction(6, "rate"), Decimal(0))
    read("subvention_by", subvention_by, "")
    read("min_down_percent", fraction(4, "percent", below_one=False), Decimal(0))
    read("max_balloon_percent", fraction(4, "percent"), Decimal(0))
    for name_ in _MONEY_FIELDS:
        read(name_, money, Decimal("0.00"))
    read("excess_km_rate", excess_km_rate)
    read("valid_from", date_value)
    read("valid_to", date_value)
    if problems:
        return None, problems
    if values["excess_km_rate"] is None and values["product"] in EXCESS_KM_PRODUCTS:
        values["excess_km_rate"] = DEFAULT_EXCESS_KM_RATE  # not given, or a file from before the column
    fields = ProgramFields(**values)
    return fields, check_program(fields)


def check_program(p: ProgramFields) -> list[tuple[str, str]]:
    """The rules between fields, as (column, message) pairs; empty when the program is sound."""
    problems = []
    if p.trim_code and not p.model_code:
        problems.append(("trim_code", MESSAGES["trim_needs_model"]))
    if p.product == "lease" and p.money_factor is None:
        problems.append(("money_factor", MESSAGES["money_factor_needed"]))
    if p.product != "lease" and p.money_factor is not None:
        problems.append(("money_factor", MESSAGES["money_factor_lease_only"]))
    if p.product == "balloon" and not p.max_balloon_percent > 0:
        problems.append(("max_balloon_percent", MESSAGES["balloon_needed"]))
    if p.product != "balloon" and p.max_balloon_percent != 0:
        problems.append(("max_balloon_percent", MESSAGES["balloon_only"]))
    if p.min_down_percent + p.max_balloon_percent > 1:
        problems.append(("max_balloon_percent", MESSAGES["down_plus_balloon"]))
    if p.subvention_rate > 0 and not p.subvention_by:
        problems.append(("subvention_by", MESSAGES["subvention_who"]))
    if p.subvention_rate == 0 and p.subvention_by:
        problems.append(("subvention_by", MESSAGES["subvention_none"]))
    if p.product != "lease_to_own" and p.purchase_price != 0:
        problems.append(("purchase_price", MESSAGES["purchase_price_lto_only"]))
    if p.product != "lease" and p.disposition_fee != 0:
        problems.append(("disposition_fee", MESSAGES["disposition_fee_lease_only"]))
    if p.product not in EXCESS_KM_PRODUCTS and p.excess_km_rate is not None:
        problems.append(("excess_km_rate", MESSAGES["excess_km_rate_lease_only"]))
    if p.valid_from > p.valid_to:
        problems.append(("valid_to", MESSAGES["date_order"]))
    return problems


def parse_iso_date(text: str) -> date:
    """A YYYY-MM-DD day inside the accepted window (core.dates); ValueError otherwise."""
    try:
        return date_value(text)
    except BadValue as exc:
        raise ValueError(MESSAGES[exc.message_key]) from None


# --- reading and writing files --------------------------------------------------------------------------------------


def parse_programs(data: bytes, file_format: str) -> Parsed:
    """Every program of a CSV or YAML file and every problem; raises FileFormatError for an unreadable file."""
    records, problems = read_records(data, file_format, "programs", PROGRAM_COLUMNS, PROGRAM_REQUIRED)
    parsed = Parsed(problems=problems)
    first_line: dict[str, int] = {}
    for line, record in records:
        if ERROR in record:
            parsed.problems.append(Problem(line, None, str(record[ERROR])))
            continue
        key = text_value(record.get("code")) if not isinstance(record.get("code"), list | dict) else ""
        program, found = parse_program(record)
        parsed.problems.extend(Problem(line, column, message, key) for column, message in found)
        if program is None or found:
            continue
        if program.code in first_line:
            parsed.problems.append(
                Problem(
                    line, "code", f"program {program.code} is already given on line {first_line[program.code]}", key
                )
            )
            continue
        first_line[program.code] = line
        parsed.rows.append((line, program))
    parsed.sort_problems(PROGRAM_COLUMNS)
    return parsed


def program_cells(program: ProgramFields) -> dict[str, str]:
    """Each column as canonical text (also the form's initial values)."""
    cells = {}
    for name, value in program.values().items():
        if value is None:
            cells[name] = ""
        elif name in _MONEY_FIELDS:
            cells[name] = money_text(value)
        elif isinstance(value, Decimal):
            cells[name] = canonical_decimal(value)
        elif isinstance(value, date):
            cells[name] = value.isoformat()
        else:
            cells[name] = str(value)
    return cells


def _sorted_programs(programs: Iterable[ProgramFields]) -> list[ProgramFields]:
    return sorted(programs, key=lambda p: p.code)


def format_programs_csv(programs: Iterable[ProgramFields]) -> bytes:
    return write_csv(
        PROGRAM_COLUMNS, ([program_cells(p)[c] for c in PROGRAM_COLUMNS] for p in _sorted_programs(programs))
    )


def format_programs_yaml(programs: Iterable[ProgramFields]) -> bytes:
    """Numbers as quoted strings ('0.0399'), terms as integers, dates as YYYY-MM-DD, no model as null."""
    items = []
    for program in _sorted_programs(programs):
        cells = program_cells(program)
        item: dict[str, Any] = {}
        for name in PROGRAM_COLUMNS:
            value = getattr(program, name)
            if name == "term_months":
                item[name] = value
            elif isinstance(value, date):
                item[name] = value
            elif value is None:
                item[name] = None
            else:
                item[name] = cells[name]
        items.append(item)
    return write_yaml("programs", items)


def format_programs(programs: Iterable[ProgramFields], file_format: str) -> bytes:
    return format_programs_yaml(programs) if file_format == "yaml" else format_programs_csv(programs)
