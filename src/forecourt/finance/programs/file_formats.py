"""What rate-program and residual files share (pure: no web, no ORM): reading CSV and YAML into records, reading a
field's value exactly, reporting problems with their line and column, and writing canonical CSV and YAML.

CSV is UTF-8 with a BOM (so spreadsheet programs show the Chinese names; GB18030 is read too); YAML values are
taken from the raw scalar text (`yaml.compose`, which also gives each value its line), so an unquoted `0.0399`
is the Decimal 0.0399, never a binary float. Field readers raise `BadValue` with a message key; the messages
themselves (translatable, msgids for pybabel) are `messages.MESSAGES`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from forecourt.core import dates

FORMATS = ("csv", "yaml")
CATALOG_CODE = re.compile(r"[a-z0-9][a-z0-9._-]*")  # a model or trim code as the catalog writes it
ERROR = "__error__"  # the key of a CSV record that could not be split into its columns
MAX_YAML_DEPTH = 20  # a record file nests three levels (key, list, entry); deeper is a mistake or an attack


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


@dataclass
class Parsed:
    """What a file held: rows with the line each starts on, and every problem found."""

    rows: list[tuple[int, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def sort_problems(self, columns: Sequence[str]) -> None:
        """By line, then in column order (problems without a known column first)."""
        self.problems.sort(key=lambda p: (p.line or 0, columns.index(p.column) if p.column in columns else -1))


# --- values ---------------------------------------------------------------------------------------------------------


class BadValue(Exception):
    """A value that cannot be read; `message_key` names the message (messages.MESSAGES)."""

    def __init__(self, message_key: str) -> None:
        super().__init__(message_key)
        self.message_key = message_key


def fail(message_key: str) -> Any:
    raise BadValue(message_key)


def text_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Never reached from files (their numbers arrive as text); a caller passing a float lost exactness already.
        raise BadValue("number")
    if isinstance(value, list | dict | tuple):
        raise BadValue("single_value")
    return str(value).strip()


def decimal_value(value: object, places: int, message_key: str) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    else:
        text = text_value(value)
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise BadValue("number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise BadValue("number") from None
    if not number.is_finite():
        raise BadValue("number")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise BadValue(message_key)
    return number


def int_value(value: object) -> int:
    if isinstance(value, bool):
        raise BadValue("whole_number")
    if isinstance(value, int):
        return value
    text = text_value(value)
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        raise BadValue("whole_number")
    return int(text)


def date_value(value: object) -> date:
    if isinstance(value, date):
        return value
    text = text_value(value)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise BadValue("date")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadValue("date") from None
    try:
        return dates.check_day(day)
    except dates.OutOfWindow:
        raise BadValue("date_window") from None


def canonical_decimal(number: Decimal) -> str:
    """0.039900 → 0.0399, 0E-6 → 0, 1.50 → 1.5: the way rates and fractions are written out."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def money_text(amount: Decimal) -> str:
    return f"{amount:.2f}"


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


def read_records(
    data: bytes, file_format: str, key: str, columns: Sequence[str], required: Sequence[str]
) -> tuple[list[tuple[int, Mapping[str, object]]], list[Problem]]:
    """The file's records (each with its first line) and the problems found while splitting it into records; a CSV
    line with the wrong number of fields is a record holding only `ERROR`. FileFormatError for an unreadable file."""
    if file_format == "csv":
        return list(_csv_records(data, columns, required)), []
    records, problems = _yaml_records(data, key, columns)
    return list(records), problems


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
                records.append((start, {ERROR: f"expected {len(names)} fields, found {len(cells)}"}))
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


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses nesting deeper than MAX_YAML_DEPTH. PyYAML composes each level by recursion, so a
    file of a few thousand `[` would otherwise end in RecursionError (a 500) instead of a problem with its line."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._depth >= MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _yaml_records(
    data: bytes, key: str, columns: Sequence[str]
) -> tuple[list[tuple[int, dict[str, object]]], list[Problem]]:
    """Records from `key: [ {column: value}, … ]` (or a bare list), each value the raw scalar text, with its line."""
    text = _decode(data)
    try:
        root = yaml.compose(text, Loader=_BoundedLoader)
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
            raise FileFormatError(
                f"line {root.start_mark.line + 1}: the document must hold only `{key}:` with a list",
                root.start_mark.line + 1,
            )
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


# --- writing files --------------------------------------------------------------------------------------------------


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class _Dumper(yaml.SafeDumper):
    """safe_dump without anchors: repeated values (the same validity dates) are written out each time."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_yaml(key: str, items: list[dict[str, Any]]) -> bytes:
    text = yaml.dump(
        {key: items}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000
    )
    return text.encode("utf-8")
