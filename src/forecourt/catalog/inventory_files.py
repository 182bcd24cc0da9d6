"""Reading inventory files a record at a time: CSV (UTF-8 or GB18030) and JSON (a list, or {"vehicles": [...]}).

The upload is a file on disk (FastAPI spools uploads past 1 MB) and is never held whole in memory: CSV goes
through the csv module row by row, JSON through ijson item by item. `read_records` yields, in file order,
either (line, {column: value}) or a `RowError` for a row that cannot even be read. A file unusable as a
whole raises InvalidInput: before the first record when that can be seen up front (encoding, header), or
midway (malformed CSV or JSON, an unknown JSON key); the caller's transaction then rolls back, so nothing
lands either way.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import ijson

from forecourt.catalog.inventory_row_types import COLUMNS, REQUIRED_COLUMNS
from forecourt.core.errors import FieldError, InvalidInput

MALFORMED_ROW = "malformed_row"
_BLOCK = 1 << 16  # 64 KiB: the encoding scan holds one block and its text, whatever the file's size
Record = tuple[int, Mapping[str, Any]]


@dataclass(frozen=True)
class RowError:
    line: int  # CSV: physical line in the file (header = 1); JSON: 1-based position in the list
    column: str | None  # None when the problem is the whole row
    reason: str
    vin: str | None = None
    code: str = MALFORMED_ROW


def read_records(stream: IO[bytes], file_format: str) -> Iterator[Record | RowError]:
    return json_records(stream) if file_format == "json" else csv_records(stream)


def check_columns(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - set(COLUMNS))
    if unknown:
        described = []
        for name in unknown:
            close = difflib.get_close_matches(name, COLUMNS, n=1, cutoff=0.6)
            described.append(f"{name[:40]!r} (did you mean {close[0]}?)" if close else repr(name[:40]))
        raise InvalidInput(
            f"Unknown column(s): {', '.join(described)}. Allowed columns: {', '.join(COLUMNS)}",
            code="unknown_columns",
            errors=[FieldError(name[:40], "unknown column") for name in unknown],
        )


def _csv_encoding(stream: IO[bytes]) -> tuple[str, bool]:
    """The file's encoding (utf-8-sig, else gb18030) and whether it holds anything but whitespace, found by
    decoding it once a block at a time; the stream is rewound."""
    head = stream.read(65536)
    stream.seek(0)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or b"\x00" in head:
        raise InvalidInput(
            "This looks like a spreadsheet workbook or a binary file, not CSV; in the spreadsheet program "
            "use Save As > CSV UTF-8",
            code="bad_encoding",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        decoder, blank = codecs.getincrementaldecoder(encoding)(), True
        try:
            while block := stream.read(_BLOCK):
                blank = blank and not decoder.decode(block).strip()
            blank = blank and not decoder.decode(b"", final=True).strip()
        except UnicodeDecodeError:
            continue
        finally:
            stream.seek(0)
        return encoding, not blank
    raise InvalidInput("The file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8", code="bad_encoding")


def csv_records(stream: IO[bytes]) -> Iterator[Record | RowError]:
    """Records keyed by lower-cased header name, each with the physical line it starts on."""
    encoding, has_text = _csv_encoding(stream)
    if not has_text:
        raise InvalidInput("The file is empty", code="empty_file")
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text)
    header: list[str] | None = None
    try:
        last_line = 0
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines and all-empty rows (spreadsheet leftovers)
            if header is None:
                header = _read_header(cells)
                continue
            yield _csv_record(header, cells, line)
    except csv.Error as exc:
        raise InvalidInput(f"The CSV cannot be read near line {reader.line_num}: {exc}", code="malformed_csv") from exc
    finally:
        text.detach()  # leave the caller's stream open
    if header is None:
        raise InvalidInput("The file has no header row", code="empty_file")


def _read_header(cells: list[str]) -> list[str]:
    header = [cell.strip().lstrip("\ufeff").strip().lower() for cell in cells]
    named = [name for name in header if name]
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        message = f"Column(s) {', '.join(repeated)} appear more than once in the header"
        raise InvalidInput(message, code="duplicate_columns")
    check_columns(named)
    missing = [name for name in REQUIRED_COLUMNS if name not in named]
    if missing:
        raise InvalidInput(
            f"Missing required column(s): {', '.join(missing)}. Every file needs {', '.join(REQUIRED_COLUMNS)}",
            code="missing_columns",
            errors=[FieldError(name, "required column missing") for name in missing],
        )
    return header


def _csv_record(header: list[str], cells: list[str], line: int) -> Record | RowError:
    extra = cells[len(header) :]
    if len(cells) < len(header) or any(cell.strip() for cell in extra):
        reason = (
            f"row has {len(cells)} fields but the header has {len(header)}; "
            "check for an unquoted comma or a missing field"
        )
        vin = cells[header.index("vin")].strip() if len(cells) > header.index("vin") else None
        return RowError(line, None, reason, vin or None)
    record: dict[str, str] = {}
    for position, (name, cell) in enumerate(zip(header, cells, strict=False), start=1):
        if name:
            record[name] = cell
        elif cell.strip():
            return RowError(line, None, f"value {cell.strip()[:40]!r} in column {position}, which has no header")
    return line, record


def _json_shape(stream: IO[bytes]) -> str:
    """The ijson prefix of the vehicle items: "item" for a top-level list, "vehicles.item" for an object."""
    if stream.read(3) != codecs.BOM_UTF8:
        stream.seek(0)
    start = stream.tell()
    try:
        for prefix, event, _ in ijson.parse(stream):
            if prefix == "" and event == "start_array":
                return "item"
            if prefix == "vehicles" and event == "start_array":
                return "vehicles.item"
            if prefix == "vehicles" or (prefix == "" and event not in ("start_map", "map_key")):
                break  # a scalar document, "vehicles" that is not a list, or an object without "vehicles"
    except ijson.JSONError as exc:
        raise _malformed_json(exc) from exc
    finally:
        stream.seek(start)
    raise InvalidInput('Expected a JSON list of vehicle objects or {"vehicles": [...]}', code="malformed_json")


def _malformed_json(exc: Exception) -> InvalidInput:
    if isinstance(exc, UnicodeDecodeError):
        return InvalidInput("JSON files must be UTF-8 encoded", code="bad_encoding")
    message = str(exc).strip() or "the file ends too early"
    return InvalidInput(f"Not valid JSON: {message[:200]}", code="malformed_json")


def json_records(stream: IO[bytes]) -> Iterator[Record | RowError]:
    """Each item with its 1-based position; keys are checked item by item (an unknown one stops the import)."""
    blank = True
    while blank and (block := stream.read(_BLOCK)):
        blank = not block.replace(codecs.BOM_UTF8, b"").strip()
    stream.seek(0)
    if blank:
        raise InvalidInput("The file is empty", code="empty_file")
    prefix = _json_shape(stream)
    position = 0
    try:
        # use_float=False (the default) keeps amounts exact: decimals come out as Decimal, never float.
        for position, item in enumerate(ijson.items(stream, prefix), start=1):
            if not isinstance(item, dict):
                yield RowError(position, None, f"item {position} is {type(item).__name__}, expected an object")
                continue
            record = {str(key).strip().lower(): value for key, value in item.items()}
            if len(record) != len(item):
                yield RowError(position, None, "the same key appears twice with different capitalisation")
                continue
            check_columns(record)
            yield position, record
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise _malformed_json(exc) from exc
