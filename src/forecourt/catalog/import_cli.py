"""`forecourt inventory import FILE`: progress bar, summary, first errors, optional full CSV report.

Exit codes: 0 every row imported (or unchanged); 1 some rows rejected (the good rows still landed);
2 the file itself is unusable (unreadable, malformed, unknown columns): nothing landed;
3 the database refused the import (not migrated, locked): nothing landed.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from forecourt.catalog.inventory_import import ImportResult, RowError, detect_format, import_parsed, parse_file
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.errors import InvalidInput
from forecourt.core.settings import get_settings

SHOWN_ERRORS = 20
EXIT_OK, EXIT_REJECTED_ROWS, EXIT_BAD_FILE, EXIT_DATABASE = 0, 1, 2, 3


def run_import(file: Path, file_format: str | None, report: Path | None) -> int:
    out, err = Console(highlight=False), Console(stderr=True, highlight=False)
    started = time.perf_counter()
    try:
        parsed = parse_file(file.read_bytes(), detect_format(file_format, file.name))
    except (InvalidInput, OSError) as exc:
        err.print(f"[bold red]Nothing imported:[/] {escape(str(file))}: {escape(str(exc))}", soft_wrap=True)
        if report is not None:
            write_report(report, [RowError(0, None, str(exc))])
        return EXIT_BAD_FILE

    # BEGIN IMMEDIATE on SQLite: the import reads, checks and writes as one writer (ignored elsewhere).
    engine = make_engine(get_settings().database_url).execution_options(sqlite_begin="IMMEDIATE")
    total = len(parsed.records)
    try:
        with Progress(
            TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=out, transient=True
        ) as bar:
            task = bar.add_task("rows", total=total)
            with transaction(make_session_factory(engine)) as session:
                result = import_parsed(session, parsed, lambda done: bar.update(task, completed=done))
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        err.print(
            f"[bold red]Nothing imported; the database refused the import:[/] {escape(str(cause))}. "
            "Is the schema up to date (`forecourt db upgrade`)?",
            soft_wrap=True,
        )
        return EXIT_DATABASE
    finally:
        engine.dispose()

    errors = result.errors
    _print_summary(out, file, result, time.perf_counter() - started)
    if errors:
        _print_errors(out, errors)
    if report is not None:
        write_report(report, errors)
        out.print(f"Full report: {escape(str(report))} ({len(errors)} problem(s))")
    return EXIT_REJECTED_ROWS if errors else EXIT_OK


def _print_summary(console: Console, file: Path, result: ImportResult, seconds: float) -> None:
    table = Table(title=f"Import of {escape(file.name)}", show_header=True)
    for name in ("created", "updated", "unchanged", "rejected", "total rows"):
        table.add_column(name, justify="right")
    table.add_row(*(str(n) for n in (result.created, result.updated, result.unchanged, result.rejected, result.total)))
    console.print(table)
    rate = f", {result.total / seconds:,.0f} rows/s" if seconds > 0 and result.total else ""
    console.print(f"Done in {seconds:.2f} s{rate}.")


def _print_errors(console: Console, errors: list[RowError]) -> None:
    table = Table(title=f"Rejected rows (first {min(SHOWN_ERRORS, len(errors))} of {len(errors)} problems)")
    for name in ("line", "column", "vin", "reason"):
        table.add_column(name, overflow="fold")
    for error in errors[:SHOWN_ERRORS]:
        table.add_row(str(error.line), error.column or "", escape(error.vin or ""), escape(error.reason))
    console.print(table)


def write_report(path: Path, errors: list[RowError]) -> None:
    """line,column,vin,reason; UTF-8 with a BOM so spreadsheet programs show Chinese text correctly."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "column", "vin", "reason"])
        for error in errors:
            writer.writerow([error.line or "", error.column or "", error.vin or "", error.reason])
