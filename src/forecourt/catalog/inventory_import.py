"""Inventory import use case: read a CSV or JSON file a record at a time and upsert its vehicles by VIN.

Every row is checked in Python against the catalog loaded once into memory; the vehicles already stored
are fetched by VIN in bulk, and the writes are bulk INSERT and bulk UPDATE-by-primary-key statements, a
chunk at a time. A row with any problem changes nothing and is reported (line, column, code, reason); every
good row lands. Re-importing the same file changes nothing and reports every row as unchanged.

Memory does not grow with the file or its problems: records stream from the file (`inventory_files`), a
chunk at a time, and problems go to a `ProblemReport` (the first 100 and counts in memory, every one in a
CSV file on disk). What does grow is the map of VINs already seen (about 100 bytes per distinct VIN, for
the duplicate check), which the upload size limit bounds.
Takes the session first, may flush, never commits: the caller owns the transaction.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import repository
from forecourt.catalog.inventory_files import Record, RowError, read_records
from forecourt.catalog.inventory_row_state import merged_state, new_state
from forecourt.catalog.inventory_row_types import STATE_COLUMNS, CatalogIndex, ImportRow, RowProblem
from forecourt.catalog.inventory_rows import check_vin, validate_record
from forecourt.catalog.models import Vehicle
from forecourt.core.clock import utcnow
from forecourt.core.errors import DomainError, InvalidInput
from forecourt.core.problem_reports import ProblemReport, ProblemSummary

FORMATS = ("csv", "json")
CHUNK_SIZE = 2000
CHUNK_CHARS = 4_000_000  # a chunk also ends past this much cell text, so a file of huge cells stays bounded
DUPLICATE_VIN, OTHER_STORE = "duplicate_vin", "other_store"


@dataclass(frozen=True)
class ParsedFile:
    records: list[Record]
    errors: list[RowError] = field(default_factory=list)  # rows that could not even be read


class FileTooLarge(DomainError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file is larger than the {limit:,}-byte import limit; split it into smaller files",
            code="file_too_large",
            status=413,
            extra={"max_bytes": limit},
        )


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    total: int
    summary: ProblemSummary

    @property
    def rejected(self) -> int:
        return self.summary.rejected

    @property
    def errors(self) -> list[RowError]:
        """The first problems in file order (all of them unless `summary.truncated`)."""
        return [RowError(p.line, p.column, p.reason, p.key, p.code) for p in self.summary.first]


def detect_format(explicit: str | None, filename: str | None = None, content_type: str | None = None) -> str:
    """csv or json: the explicit choice, else the file name's extension, else the content type."""
    if explicit:
        choice = explicit.strip().lower().lstrip(".")
        if choice not in FORMATS:
            raise InvalidInput(f"Unknown format {explicit!r}; use csv or json", code="unknown_format")
        return choice
    suffix = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if suffix in FORMATS:
        return suffix
    media = (content_type or "").split(";")[0].strip().lower()
    if media in ("text/csv", "application/csv", "application/vnd.ms-excel"):
        return "csv"
    if media in ("application/json", "text/json"):
        return "json"
    raise InvalidInput(
        f"Cannot tell whether {filename or 'the file'!r} is CSV or JSON; name it .csv or .json or pass the format",
        code="unknown_format",
    )


def parse_file(data: bytes, file_format: str) -> ParsedFile:
    """A small file read whole (tests and tools); imports stream instead."""
    parsed = ParsedFile([])
    for item in read_records(io.BytesIO(data), detect_format(file_format)):
        (parsed.errors if isinstance(item, RowError) else parsed.records).append(item)
    return parsed


def parse_csv(data: bytes) -> ParsedFile:
    return parse_file(data, "csv")


def parse_json(data: bytes) -> ParsedFile:
    return parse_file(data, "json")


def import_file(
    session: Session,
    data: bytes,
    file_format: str,
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> ImportResult:
    """`import_stream` of bytes already in memory (tests, tools)."""
    return import_stream(session, io.BytesIO(data), file_format, progress, **options)


def import_stream(
    session: Session,
    stream: IO[bytes],
    file_format: str,
    progress: Callable[[int], None] | None = None,
    *,
    allowed_store_ids: Collection[int] | None = None,
    actor: int | None = None,
    report: ProblemReport | None = None,
) -> ImportResult:
    """Read and import a whole file. Raises InvalidInput when the file itself is malformed; the caller's
    transaction must then roll back (rows of earlier chunks may have been written), and the report is dropped."""
    report = report if report is not None else ProblemReport(key_name="vin")
    records = read_records(stream, detect_format(file_format))
    try:
        created, updated, unchanged, total = import_vehicles(
            session, records, report, progress, allowed_store_ids=allowed_store_ids
        )
    except BaseException:
        report.discard()
        raise
    outcome = ImportResult(created, updated, unchanged, total, report.close())
    audit.record(
        session,
        actor,
        "inventory.imported",
        "inventory_import",
        None,
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        rejected=outcome.rejected,
        total=outcome.total,
        problems=outcome.summary.problems,
        report_id=outcome.summary.report_id,
    )
    return outcome


def _chunks(items: Iterable[Record | RowError]) -> Iterator[list[Record | RowError]]:
    """Lists of at most CHUNK_SIZE items and (about) CHUNK_CHARS characters of cell text."""
    chunk: list[Record | RowError] = []
    chars = 0
    for item in items:
        chunk.append(item)
        if not isinstance(item, RowError):
            chars += sum(len(v) for v in item[1].values() if isinstance(v, str))
        if len(chunk) >= CHUNK_SIZE or chars >= CHUNK_CHARS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def import_vehicles(
    session: Session,
    records: Iterable[Record | RowError],
    report: ProblemReport,
    progress: Callable[[int], None] | None = None,
    *,
    allowed_store_ids: Collection[int] | None = None,
) -> tuple[int, int, int, int]:
    """Upsert vehicles by VIN; (created, updated, unchanged, rows processed). `records` are (line, {column:
    value}) or unreadable rows, in file order; every problem goes to `report` in file order. `progress` gets
    the rows processed so far. With `allowed_store_ids` (None: every store), a row may only create or update
    vehicles in those stores: a row naming another store, or an existing VIN held by another store, is a row
    error."""
    _begin_for_write(session)
    session.flush()
    index = _catalog_index(session)
    allowed = None if allowed_store_ids is None else frozenset(allowed_store_ids)
    store_codes = {store_id: code for code, store_id in index.stores.items()}
    seen: dict[str, int] = {}
    created = updated = unchanged = processed = 0
    now = utcnow()
    for chunk in _chunks(records):
        errors: list[RowError] = []
        rows = []
        for item in chunk:
            if isinstance(item, RowError):
                errors.append(item)
                continue
            row_errors, row = _check(*item, index, seen)
            errors.extend(row_errors)
            if row is not None:
                rows.append((item[0], row))
        existing = repository.vehicle_states_by_vin(session, [row.vin for _, row in rows], lock=True)
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for line, row in rows:
            current = existing.get(row.vin)
            if allowed is not None:
                foreign = [
                    s
                    for s in (row.store_id, current.store_id if current else None)
                    if s is not None and s not in allowed
                ]
                if foreign:
                    reason = f"store {store_codes.get(foreign[0], foreign[0])} is not one of your stores"
                    errors.append(RowError(line, "store", reason, row.vin, OTHER_STORE))
                    continue
            if current is None:
                try:
                    inserts.append({**new_state(row), "created_at": now, "updated_at": now, "status_changed_at": now})
                except RowProblem as problem:
                    errors.append(RowError(line, problem.column, problem.reason, row.vin, problem.code))
                continue
            try:
                state = merged_state(row, current, index)
            except RowProblem as problem:
                errors.append(RowError(line, problem.column, problem.reason, row.vin, problem.code))
                continue
            if all(_same(state[c], getattr(current, c)) for c in STATE_COLUMNS):
                unchanged += 1
                continue
            changed_at = now if state["status"] != current.status else current.status_changed_at
            updates.append({"id": current.id, **state, "updated_at": now, "status_changed_at": changed_at})
        if inserts:
            # A Core INSERT on the table: one executemany per chunk, about twice as fast as the ORM bulk path
            # (nothing to synchronise: the new rows are not in the session).
            session.execute(insert(Vehicle.__table__), inserts)
        if updates:
            session.execute(update(Vehicle), updates)
        # The second pass found problems after the first pass's later lines: restore file order (stable sort).
        for error in sorted(errors, key=lambda e: e.line):
            report.add(error.line, error.column, error.vin, error.code, error.reason)
        created += len(inserts)
        updated += len(updates)
        processed += len(chunk)
        if progress is not None:
            progress(processed)
    return created, updated, unchanged, processed


def _check(
    line: int, values: Mapping[str, Any], index: CatalogIndex, seen: dict[str, int]
) -> tuple[list[RowError], ImportRow | None]:
    """Problems of one record (or none) and the checked row; the first row of a VIN claims it."""
    try:
        vin = check_vin(values)
    except RowProblem:
        vin = None
    if vin is not None:
        if vin in seen:
            reason = f"VIN {vin} is a duplicate of line {seen[vin]}; this row was skipped"
            return [RowError(line, "vin", reason, vin, DUPLICATE_VIN)], None
        seen[vin] = line
    row, problems = validate_record(values, index, vin)
    raw_vin = vin or (str(values.get("vin")).strip() if values.get("vin") is not None else None)
    return [RowError(line, p.column, p.reason, raw_vin or None, p.code) for p in problems], row


def _same(new: Any, old: Any) -> bool:
    return new == old and (new is None) == (old is None)


def _catalog_index(session: Session) -> CatalogIndex:
    snapshot = repository.load_catalog_snapshot(session)
    colours: dict[int, dict[str, int]] = {}
    for colour in snapshot.colours:
        colours.setdefault(colour.model_id, {})[colour.code.lower()] = colour.id
    options: dict[int, frozenset[str]] = {}

    def options_of(model_id: int) -> frozenset[str]:
        if model_id not in options:
            options[model_id] = frozenset(o.code.lower() for o in repository.list_options_for_model(session, model_id))
        return options[model_id]

    return CatalogIndex(
        trims={t.code.lower(): (t.id, t.model_id) for t in snapshot.trims},
        model_codes={m.id: m.code for m in snapshot.models},
        colours=colours,
        colour_models={c.id: c.model_id for c in snapshot.colours},
        stores={s.code.lower(): s.id for s in snapshot.stores},
        options_of=options_of,
    )


def _begin_for_write(session: Session) -> None:
    """On SQLite, start the transaction with BEGIN IMMEDIATE so the check-then-write cannot interleave
    with another writer. (On PostgreSQL the unique VIN constraint turns a racing insert into an error.)"""
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
