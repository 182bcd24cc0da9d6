"""Rate programs and residual values as files, and the checks every program passes (pure: no web, no ORM).

Programs and residuals travel as CSV (UTF-8 with a BOM, so spreadsheet programs show the Chinese names; GB18030
is read too) or YAML. Every number is read exactly as written, never through a binary float: CSV cells are text,
and YAML values are taken from the raw scalar text (`yaml.compose`, which also gives each value its line), so an
unquoted `0.0399` is the Decimal 0.0399. The same checks (`check_program`) serve the API, the back-office form
and imports; each problem names its line (CSV: physical line, header = 1; YAML: line in the document) and
column, and a file is checked whole, so one report lists every problem.

Export is canonical (sorted, fixed column order, rates without trailing zeros, money with two decimals), so
exporting, importing and exporting again gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

PROGRAM_COLUMNS = (
    "code", "product", "name_en", "name_zh", "model_code", "trim_code", "term_months", "credit_tier", "annual_rate",
    "money_factor", "subvention_rate", "subvention_by", "min_down_percent", "max_balloon_percent", "fee",
    "cash_rebate", "purchase_price", "disposition_fee", "valid_from", "valid_to",
)  # fmt: skip
PROGRAM_REQUIRED = ("code", "product", "name_en", "name_zh", "term_months", "annual_rate", "valid_from", "valid_to")
RESIDUAL_COLUMNS = ("model_code", "term_months", "annual_mileage", "residual_percent")
PRODUCTS = ("loan", "balloon", "lease", "lease_to_own")
SUBVENTION_BY = ("", "dealer", "oem")
ANY_TIER = "*"
FORMATS = ("csv", "yaml")
MONEY_MAX = Decimal("10000000")  # an amount on a car's finance program; more is a typing mistake
MILEAGE_MAX = 200_000

_CODE = re.compile(r"[a-z0-9][a-z0-9._-]{0,59}")
_CATALOG_CODE = re.compile(r"[a-z0-9][a-z0-9._-]*")
_TIER = re.compile(r"[A-Za-z0-9]{1,10}")
_MONEY_FIELDS = ("fee", "cash_rebate", "purchase_price", "disposition_fee")


def N_(message: str) -> str:  # noqa: N802 - the gettext marker pybabel extracts; pure code cannot import web.i18n
    return message


# Fixed sentences, so pages can show them translated (msgids for pybabel through N_).
MESSAGES = {
    "required": N_("This field is required."),
    "code": N_("Use 1–60 lowercase letters, digits, dots, hyphens or underscores, e.g. loan-36-escort."),
    "product": N_("Choose loan, balloon, lease or lease_to_own."),
    "name": N_("Enter a name of at most 120 characters."),
    "model_code": N_("Enter a model code such as escort, or leave it empty for every model."),
    "trim_code": N_("Enter a trim code of that model, or leave it empty for every trim."),
    "trim_needs_model": N_("A trim applies to one model: give the model code too."),
    "term": N_("Enter a term of 1 to 120 months."),
    "whole_number": N_("Enter a whole number."),
    "tier": N_("Enter * for every credit tier, or a tier name such as A."),
    "number": N_("Enter a number written with digits and a decimal point, e.g. 0.0399."),
    "rate": N_("Enter a rate as a fraction from 0 up to (not including) 1, e.g. 0.0399 (3.99%)."),
    "rate_places": N_("Give a rate with at most 6 decimal places."),
    "money_factor": N_("Enter a money factor above 0 and below 1 with at most 8 decimal places, e.g. 0.0015."),
    "money_factor_lease_only": N_("Only leases have a money factor; leave it empty."),
    "money_factor_needed": N_("A lease needs a money factor, e.g. 0.0015."),
    "percent": N_("Enter a fraction from 0 to 1 with at most 4 decimal places, e.g. 0.20 (20%)."),
    "balloon_only": N_("Only balloon loans have a balloon; enter 0."),
    "balloon_needed": N_("A balloon loan needs a maximum balloon above 0 and below 1, e.g. 0.40."),
    "down_plus_balloon": N_("The minimum down payment and the balloon together cannot exceed the whole price."),
    "subvention_by": N_("Choose dealer or oem, or leave it empty when there is no subvention."),
    "subvention_who": N_("Say who pays the subvention (dealer or oem)."),
    "subvention_none": N_("There is no subvention rate, so leave who pays it empty."),
    "money": N_("Enter an amount from 0 with at most two decimal places, e.g. 3000 or 3000.00."),
    "purchase_price_lto_only": N_("Only lease-to-own programs have a purchase price; enter 0."),
    "disposition_fee_lease_only": N_("Only leases have a disposition fee; enter 0."),
    "date": N_("Enter a date as YYYY-MM-DD, e.g. 2026-01-01."),
    "date_order": N_("The first valid day must be on or before the last valid day."),
    "mileage": N_("Enter the yearly mileage in kilometres, a whole number from 1 to 200,000."),
    "residual": N_("Enter a residual as a fraction above 0 and below 1 with at most 4 decimal places, e.g. 0.55."),
    "single_value": N_("Give a single value here, not a list or a mapping."),
    "unknown_model": N_("No model with this code in the catalog."),
    "unknown_trim": N_("No trim with this code for this model."),
    "unknown_tier": N_("The provider's rule set has no such credit tier."),
}


class FileFormatError(ValueError):
    """A file that cannot be read at all (encoding, header, YAML syntax): nothing in it is imported."""

    def __init__(self, message: str, line: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.line, self.column = line, column


@dataclass(frozen=True)
class Problem:
    """One problem in a file or form: where (line, column) and what, with the program code or model if known."""

    line: int | None
    column: str | None
    message: str
    key: str = ""  # the row's program code, or model/term/mileage of a residual row


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
    valid_from: date
    valid_to: date

    def values(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ResidualRow:
    model_code: str
    term_months: int
    annual_mileage: int
    residual_percent: Decimal

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.model_code, self.term_months, self.annual_mileage)


@dataclass
class Parsed:
    """What a file held: rows with the line each starts on, and every problem found."""

    rows: list[tuple[int, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- values ---------------------------------------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, message_key: str) -> None:
        super().__init__(message_key)
        self.message_key = message_key


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Never reached from files (their numbers arrive as text); a caller passing a float lost exactness already.
        raise _Bad("number")
    if isinstance(value, list | dict | tuple):
        raise _Bad("single_value")
    return str(value).strip()


def _decimal(value: object, places: int, message_key: str) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    else:
        text = _text(value)
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise _Bad("number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _Bad("number") from None
    if not number.is_finite():
        raise _Bad("number")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise _Bad(message_key)
    return number


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise _Bad("whole_number")
    if isinstance(value, int):
        return value
    text = _text(value)
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        raise _Bad("whole_number")
    return int(text)


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    text = _text(value)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise _Bad("date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad("date") from None


def parse_iso_date(text: str) -> date:
    """A YYYY-MM-DD day; ValueError otherwise."""
    try:
        return _date(text)
    except _Bad:
        raise ValueError(MESSAGES["date"]) from None


def _raise(message_key: str) -> Any:
    raise _Bad(message_key)


def canonical_decimal(number: Decimal) -> str:
    """0.039900 → 0.0399, 0E-6 → 0, 1.50 → 1.5: the way rates and fractions are written out."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def money_text(amount: Decimal) -> str:
    return f"{amount:.2f}"


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
            if _text(value) == "" and not isinstance(value, Decimal | date | int):
                if name in PROGRAM_REQUIRED:
                    raise _Bad("required")
                values[name] = default
                return
            values[name] = parse(value)
        except _Bad as exc:
            problems.append((name, MESSAGES[exc.message_key]))

    def code(value: object) -> str:
        text = _text(value)
        return text if _CODE.fullmatch(text) else _raise("code")

    def product(value: object) -> str:
        text = _text(value)
        return text if text in PRODUCTS else _raise("product")

    def name(value: object) -> str:
        text = _text(value)
        return text if len(text) <= 120 else _raise("name")

    def catalog_code(limit: int, message_key: str) -> Any:
        def parse(value: object) -> str:
            text = _text(value)
            return text if len(text) <= limit and _CATALOG_CODE.fullmatch(text) else _raise(message_key)
        return parse

    def term(value: object) -> int:
        months = _int(value)
        return months if 1 <= months <= 120 else _raise("term")

    def tier(value: object) -> str:
        text = _text(value)
        return text if text == ANY_TIER or _TIER.fullmatch(text) else _raise("tier")

    def fraction(places: int, range_key: str, places_key: str | None = None, *, below_one: bool = True) -> Any:
        def parse(value: object) -> Decimal:
            number = _decimal(value, 99, range_key)
            if not (Decimal(0) <= number < 1 if below_one else Decimal(0) <= number <= 1):
                raise _Bad(range_key)
            return _decimal(number, places, places_key or range_key)
        return parse

    def money_factor(value: object) -> Decimal:
        number = _decimal(value, 8, "money_factor")
        return number if Decimal(0) < number < 1 else _raise("money_factor")

    def money(value: object) -> Decimal:
        amount = _decimal(value, 2, "money")
        return amount.quantize(Decimal("0.01")) if Decimal(0) <= amount < MONEY_MAX else _raise("money")

    def subvention_by(value: object) -> str:
        text = _text(value).lower()
        return text if text in SUBVENTION_BY else _raise("subvention_by")

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
    read("valid_from", _date)
    read("valid_to", _date)
    if problems:
        return None, problems
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
    if p.valid_from > p.valid_to:
        problems.append(("valid_to", MESSAGES["date_order"]))
    return problems


def parse_residual(raw: Mapping[str, object]) -> tuple[ResidualRow | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    checks = {
        "model_code": lambda v: _text(v) if _CATALOG_CODE.fullmatch(_text(v)) and len(_text(v)) <= 40 else _raise("model_code"),
        "term_months": lambda v: _int(v) if 1 <= _int(v) <= 120 else _raise("term"),
        "annual_mileage": lambda v: _int(v) if 1 <= _int(v) <= MILEAGE_MAX else _raise("mileage"),
        "residual_percent": lambda v: (n if Decimal(0) < (n := _decimal(v, 4, "residual")) < 1 else _raise("residual")),
    }  # fmt: skip
    for name, parse in checks.items():
        try:
            if _text(raw.get(name)) == "" and not isinstance(raw.get(name), Decimal | int):
                raise _Bad("required")
            values[name] = parse(raw.get(name))
        except _Bad as exc:
            problems.append((name, MESSAGES[exc.message_key]))
    return (None, problems) if problems else (ResidualRow(**values), [])


# --- reading files --------------------------------------------------------------------------------------------------


def detect_format(explicit: str | None, filename: str | None = None, content_type: str | None = None) -> str:
    """csv or yaml: the explicit choice, else the file name's extension, else the content type."""
    if explicit:
        choice = explicit.strip().lower().lstrip(".")
        choice = "yaml" if choice == "yml" else choice
        if choice not in FORMATS:
            raise FileFormatError(f"Unknown format {explicit!r}; use csv or yaml")
        return choice
    suffix = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if suffix in ("csv", "yaml", "yml"):
        return "yaml" if suffix == "yml" else suffix
    media = (content_type or "").split(";")[0].strip().lower()
    if media in ("text/csv", "application/csv"):
        return "csv"
    if media in ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"):
        return "yaml"
    raise FileFormatError(f"Cannot tell whether {filename or 'the file'!r} is CSV or YAML; name it .csv or .yaml")


def _decode(data: bytes) -> str:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or b"\x00" in data[:65536]:
        raise FileFormatError("This looks like a spreadsheet workbook or a binary file; save it as CSV UTF-8")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("The file is neither UTF-8 nor GB18030 text; save it as UTF-8")


def _csv_records(data: bytes, columns: Sequence[str], required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FileFormatError(f"line 1: {exc}", 1) from None
    if header is None or not any(cell.strip() for cell in header):
        raise FileFormatError("The file is empty; the first line must name the columns", 1)
    names = [cell.strip().lower() for cell in header]
    _check_columns(names, columns, required, line=1)
    records: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(names):
                records.append((start, {"__error__": f"expected {len(names)} fields, found {len(cells)}"}))
                continue
            records.append((start, dict(zip(names, cells, strict=True))))
    except csv.Error as exc:
        raise FileFormatError(f"line {line}: {exc}", line) from None
    return records


def _check_columns(names: Sequence[str], columns: Sequence[str], required: Sequence[str], line: int | None) -> None:
    unknown = [n for n in names if n not in columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    missing = [n for n in required if n not in names]
    parts = []
    if unknown:
        parts.append(f"unknown column(s) {', '.join(repr(n) for n in unknown)}")
    if duplicated:
        parts.append(f"column(s) given twice: {', '.join(duplicated)}")
    if missing:
        parts.append(f"missing column(s): {', '.join(missing)}")
    if parts:
        where = f"line {line}: " if line else ""
        raise FileFormatError(f"{where}{'; '.join(parts)}. The columns are: {', '.join(columns)}", line)


def _yaml_records(data: bytes, key: str, columns: Sequence[str]) -> tuple[list[tuple[int, dict[str, object]]], list[Problem]]:
    """Records from `key: [ {column: value}, … ]` (or a bare list), each value the raw scalar text, with its line."""
    text = _decode(data)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise FileFormatError(f"line {line}: not valid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise FileFormatError(f"not valid YAML: {exc}") from None
    if root is None:
        raise FileFormatError(f"The file is empty; it must hold `{key}:` followed by a list")
    items = root
    if isinstance(root, yaml.MappingNode):
        found = [value for name, value in root.value if isinstance(name, yaml.ScalarNode) and name.value == key]
        others = [name.value for name, _ in root.value if not (isinstance(name, yaml.ScalarNode) and name.value == key)]
        if not found or others:
            raise FileFormatError(f"line {root.start_mark.line + 1}: the document must hold only `{key}:` with a list",
                                  root.start_mark.line + 1)  # fmt: skip
        items = found[0]
    if not isinstance(items, yaml.SequenceNode):
        raise FileFormatError(f"line {items.start_mark.line + 1}: `{key}` must be a list", items.start_mark.line + 1)
    records: list[tuple[int, dict[str, object]]] = []
    problems: list[Problem] = []
    for item in items.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append(Problem(line, None, f"each entry of `{key}` must be a mapping of column: value"))
            continue
        record: dict[str, object] = {}
        for name_node, value_node in item.value:
            name = str(name_node.value).strip().lower() if isinstance(name_node, yaml.ScalarNode) else "?"
            value_line = value_node.start_mark.line + 1
            if name not in columns:
                problems.append(Problem(value_line, name, f"unknown column; the columns are: {', '.join(columns)}"))
            elif name in record:
                problems.append(Problem(value_line, name, "this column is given twice in the entry"))
            elif not isinstance(value_node, yaml.ScalarNode):
                record[name] = [value_line]  # reported by the row's checks ("a single value here")
            elif value_node.tag == "tag:yaml.org,2002:null":
                record[name] = None
            else:
                record[name] = value_node.value  # the raw text: 0.0399 stays exact, never a float
        records.append((line, record))
    return records, problems


def parse_programs(data: bytes, file_format: str) -> Parsed:
    """Every program of a CSV or YAML file and every problem; raises FileFormatError for an unreadable file."""
    problems: list[Problem] = []
    if file_format == "csv":
        records: list[tuple[int, Mapping[str, object]]] = list(_csv_records(data, PROGRAM_COLUMNS, PROGRAM_REQUIRED))
    else:
        yaml_records, problems = _yaml_records(data, "programs", PROGRAM_COLUMNS)
        records = list(yaml_records)
    parsed = Parsed(problems=problems)
    first_line: dict[str, int] = {}
    for line, record in records:
        if "__error__" in record:
            parsed.problems.append(Problem(line, None, str(record["__error__"])))
            continue
        key = _text(record.get("code")) if not isinstance(record.get("code"), list | dict) else ""
        program, found = parse_program(record)
        parsed.problems.extend(Problem(line, column, message, key) for column, message in found)
        if program is None or found:
            continue
        if program.code in first_line:
            parsed.problems.append(Problem(line, "code", f"program {program.code} is already given on line "
                                                         f"{first_line[program.code]}", key))  # fmt: skip
            continue
        first_line[program.code] = line
        parsed.rows.append((line, program))
    parsed.problems.sort(key=lambda p: (p.line or 0, PROGRAM_COLUMNS.index(p.column) if p.column in PROGRAM_COLUMNS else -1))
    return parsed


def parse_residuals(data: bytes, file_format: str) -> Parsed:
    """Every residual row of a file and every problem, including duplicates and mileage inversions."""
    problems: list[Problem] = []
    if file_format == "csv":
        records: list[tuple[int, Mapping[str, object]]] = list(_csv_records(data, RESIDUAL_COLUMNS, RESIDUAL_COLUMNS))
    else:
        yaml_records, problems = _yaml_records(data, "residuals", RESIDUAL_COLUMNS)
        records = list(yaml_records)
    parsed = Parsed(problems=problems)
    first_line: dict[tuple[str, int, int], int] = {}
    for line, record in records:
        if "__error__" in record:
            parsed.problems.append(Problem(line, None, str(record["__error__"])))
            continue
        row, found = parse_residual(record)
        key = _text(record.get("model_code")) if isinstance(record.get("model_code"), str) else ""
        parsed.problems.extend(Problem(line, column, message, key) for column, message in found)
        if row is None:
            continue
        if row.key in first_line:
            parsed.problems.append(Problem(line, "annual_mileage", f"{_describe(row.key)} is already given on line "
                                                                   f"{first_line[row.key]}", row.model_code))  # fmt: skip
            continue
        first_line[row.key] = line
        parsed.rows.append((line, row))
    for lower, higher in mileage_inversions([row for _, row in parsed.rows]):
        parsed.problems.append(Problem(first_line[higher.key], "residual_percent",
                                       f"{higher.model_code} {higher.term_months} months: {higher.annual_mileage:,} km a "
                                       f"year has a higher residual ({canonical_decimal(higher.residual_percent)}) than "
                                       f"{lower.annual_mileage:,} km a year ({canonical_decimal(lower.residual_percent)}) "
                                       f"on line {first_line[lower.key]}; more driving must not raise the residual",
                                       higher.model_code))  # fmt: skip
    parsed.problems.sort(key=lambda p: (p.line or 0, RESIDUAL_COLUMNS.index(p.column) if p.column in RESIDUAL_COLUMNS else -1))
    return parsed


def _describe(key: tuple[str, int, int]) -> str:
    return f"{key[0]} {key[1]} months {key[2]:,} km a year"


def mileage_inversions(rows: Iterable[ResidualRow]) -> list[tuple[ResidualRow, ResidualRow]]:
    """Every pair of neighbouring mileages of one model and term where more kilometres give a higher residual
    (the rule `finance.calc.residuals.ResidualTable` enforces; listed here in full, with the rows)."""
    groups: dict[tuple[str, int], list[ResidualRow]] = {}
    for row in rows:
        groups.setdefault((row.model_code, row.term_months), []).append(row)
    found = []
    for _, group in sorted(groups.items()):
        ordered = sorted(group, key=lambda r: r.annual_mileage)
        found.extend((a, b) for a, b in zip(ordered, ordered[1:]) if b.residual_percent > a.residual_percent)
    return found


# --- writing files --------------------------------------------------------------------------------------------------


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


def _sorted_residuals(rows: Iterable[ResidualRow]) -> list[ResidualRow]:
    return sorted(rows, key=lambda r: r.key)


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def format_programs_csv(programs: Iterable[ProgramFields]) -> bytes:
    return _csv(PROGRAM_COLUMNS, ([program_cells(p)[c] for c in PROGRAM_COLUMNS] for p in _sorted_programs(programs)))


def format_residuals_csv(rows: Iterable[ResidualRow]) -> bytes:
    return _csv(RESIDUAL_COLUMNS, ([r.model_code, str(r.term_months), str(r.annual_mileage),
                                    canonical_decimal(r.residual_percent)] for r in _sorted_residuals(rows)))  # fmt: skip


class _Dumper(yaml.SafeDumper):
    """safe_dump without anchors: repeated values (the same validity dates) are written out each time."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _yaml(key: str, items: list[dict[str, Any]]) -> bytes:
    text = yaml.dump({key: items}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                     width=1000)  # fmt: skip
    return text.encode("utf-8")


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
    return _yaml("programs", items)


def format_residuals_yaml(rows: Iterable[ResidualRow]) -> bytes:
    return _yaml("residuals", [{"model_code": r.model_code, "term_months": r.term_months,
                                "annual_mileage": r.annual_mileage,
                                "residual_percent": canonical_decimal(r.residual_percent)}
                               for r in _sorted_residuals(rows)])  # fmt: skip


def format_programs(programs: Iterable[ProgramFields], file_format: str) -> bytes:
    return format_programs_yaml(programs) if file_format == "yaml" else format_programs_csv(programs)


def format_residuals(rows: Iterable[ResidualRow], file_format: str) -> bytes:
    return format_residuals_yaml(rows) if file_format == "yaml" else format_residuals_csv(rows)
