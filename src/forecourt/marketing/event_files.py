"""Reading event files a chunk at a time: CSV (UTF-8, with or without a BOM) and Parquet (through polars).

No ORM, no web: records come out as (line, {column: value}) pairs for `events.ingest`, which checks each
one. CSV lines are physical lines (header = 1); Parquet "lines" are 1-based row numbers. A row that cannot
even be read (wrong number of fields) lands in `errors`; a file that is unusable as a whole (unknown or
missing columns, not UTF-8, not Parquet) raises InvalidInput and nothing is imported.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import polars as pl

from forecourt.core.errors import DomainError, FieldError, InvalidInput
from forecourt.marketing.event_rows import FIELDS, REQUIRED

FORMATS = ("csv", "parquet")
PARQUET_MAGIC = b"PAR1"
PARQUET_SLICE = 20_000


class FileTooLarge(DomainError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file is larger than the {limit:,}-byte import limit; split it into smaller files",
            code="file_too_large",
            status=413,
            extra={"max_bytes": limit},
        )


@dataclass(frozen=True)
class UnreadableRow:
    line: int
    event_id: str | None
    reason: str


def detect_format(explicit: str | None, filename: str | None = None, head: bytes = b"") -> str:
    if explicit:
        choice = explicit.strip().lower().lstrip(".")
        if choice not in FORMATS:
            raise InvalidInput(f"Unknown format {explicit[:20]!r}; use csv or parquet", code="unknown_format")
        return choice
    name = (filename or "").lower()
    if name.endswith((".parquet", ".pq")) or head.startswith(PARQUET_MAGIC):
        return "parquet"
    if name.endswith((".csv", ".txt")) or not head or b"\x00" not in head:
        return "csv"
    raise InvalidInput("Cannot tell the file's format; name it .csv or .parquet", code="unknown_format")


def check_columns(names: list[str]) -> None:
    unknown = sorted({n for n in names if n not in FIELDS})
    if unknown:
        described = []
        for name in unknown:
            close = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.6)
            described.append(f"{name[:40]!r} (did you mean {close[0]}?)" if close else repr(name[:40]))
        raise InvalidInput(
            f"Unknown column(s): {', '.join(described)}. Allowed: {', '.join(FIELDS)}",
            code="unknown_columns",
            errors=[FieldError(n[:40], "unknown column") for n in unknown],
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidInput(f"Column(s) {', '.join(repeated)} appear more than once", code="duplicate_columns")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise InvalidInput(
            f"Missing required column(s): {', '.join(missing)}",
            code="missing_columns",
            errors=[FieldError(n, "required column missing") for n in missing],
        )


@dataclass
class CsvEvents:
    """Iterate once: yields (line, record); rows of the wrong shape are collected in `errors`."""

    stream: IO[bytes]
    errors: list[UnreadableRow] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        text = io.TextIOWrapper(self.stream, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        header: list[str] | None = None
        line = 0
        try:
            for cells in reader:
                start, line = line + 1, reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                if header is None:
                    header = [cell.strip().lstrip("\ufeff").lower() for cell in cells]
                    check_columns(header)
                    continue
                if len(cells) != len(header):
                    event_id = (
                        cells[header.index("event_id")].strip()[:64] if len(cells) > header.index("event_id") else None
                    )
                    self.errors.append(
                        UnreadableRow(
                            start,
                            event_id or None,
                            f"the row has {len(cells)} fields but the header has {len(header)}; "
                            "check for an unquoted comma",
                        )
                    )
                    continue
                yield start, dict(zip(header, cells, strict=True))
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"The file is not UTF-8 text near line {line + 1}; save it as CSV UTF-8", code="bad_encoding"
            ) from exc
        except csv.Error as exc:
            raise InvalidInput(
                f"The CSV cannot be read near line {reader.line_num}: {exc}", code="malformed_csv"
            ) from exc
        finally:
            text.detach()  # leave the caller's stream open
        if header is None:
            raise InvalidInput("The file is empty or has no header row", code="empty_file")


def _parquet_frame(source: Path | IO[bytes]) -> pl.LazyFrame:
    try:
        if isinstance(source, Path):
            frame = pl.scan_parquet(source)
        else:
            frame = pl.read_parquet(source).lazy()
        names = list(frame.collect_schema().names())
    except (Exception, pl.exceptions.PanicException) as exc:  # polars raises many kinds, or panics
        raise InvalidInput(f"The file cannot be read as Parquet: {str(exc)[:200]}", code="malformed_parquet") from exc
    check_columns([n.strip().lower() for n in names])
    return frame.rename({n: n.strip().lower() for n in names})


def parquet_rows(source: Path | IO[bytes]) -> int:
    frame = _parquet_frame(source)
    return int(frame.select(pl.len()).collect().item())


@dataclass
class ParquetEvents:
    """Iterate once: yields (row number, record), PARQUET_SLICE rows in memory at a time."""

    source: Path | IO[bytes]
    errors: list[UnreadableRow] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        frame = _parquet_frame(self.source)
        offset = 0
        while True:
            try:
                chunk = frame.slice(offset, PARQUET_SLICE).collect()
            except (Exception, pl.exceptions.PanicException) as exc:  # polars raises many kinds, or panics
                raise InvalidInput(
                    f"The Parquet file cannot be read past row {offset}: {str(exc)[:200]}", code="malformed_parquet"
                ) from exc
            if chunk.height == 0:
                return
            for number, row in enumerate(chunk.iter_rows(named=True), start=offset + 1):
                yield number, {k: v for k, v in row.items() if v is not None}
            offset += chunk.height


def csv_line_count(path: Path) -> int:
    """Lines in a file (for a progress bar's total), read in 1 MiB blocks."""
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return max(0, count - 1)  # less the header
