"""`forecourt inventory import FILE`: progress bar, summary, first errors, optional full CSV report.

The file is read a record at a time and problems are written straight to the report, so a file of a
million bad rows needs no more memory than a small one.

Exit codes: 0 every row imported (or unchanged); 1 some rows rejected (the good rows still landed);
2 the file itself is unusable (unreadable, malformed, unknown columns): nothing landed;
3 the database refused the import (not migrated, locked): nothing landed.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from forecourt.catalog.inventory_import import ImportResult, detect_format, import_stream
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.errors import InvalidInput
from forecourt.core.problem_reports import ProblemReport, ProblemSummary
from forecourt.core.settings import get_settings

SHOWN_ERRORS = 20
EXIT_OK, EXIT_REJECTED_ROWS, EXIT_BAD_FILE, EXIT_DATABASE = 0, 1, 2, 3


def run_import(file: Path, file_format: str | None, report: Path | None) -> int:
    out, err = Console(highlight=False), Console(stderr=True, highlight=False)
    started = time.perf_counter()
    problems = ProblemReport("vin", keep=SHOWN_ERRORS, path=report)
    # BEGIN IMMEDIATE on SQLite: the import reads, checks and writes as one writer (ignored elsewhere).
    engine = make_engine(get_settings().database_url).execution_options(sqlite_begin="IMMEDIATE")
    try:
        chosen = detect_format(file_format, file.name)
        total = csv_line_count(file) if chosen == "csv" else None  # JSON: no cheap count, the bar just runs
        with (
            file.open("rb") as stream,
            Progress(
                TextColumn("Importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=out,
                transient=True,
            ) as bar,
        ):
            task = bar.add_task("rows", total=total)
            with transaction(make_session_factory(engine)) as session:
                result = import_stream(
                    session, stream, chosen, lambda done: bar.update(task, completed=done), report=problems
                )
    except (InvalidInput, OSError) as exc:
        err.print(f"[bold red]Nothing imported:[/] {escape(str(file))}: {escape(str(exc))}", soft_wrap=True)
        if report is not None:
            bad_file = ProblemReport("vin", path=report)
            bad_file.add(0, None, None, getattr(exc, "code", "unreadable_file"), str(exc))
            bad_file.close()
        return EXIT_BAD_FILE
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

    summary = result.summary
    _print_summary(out, file, result, time.perf_counter() - started)
    if summary.problems:
        _print_errors(out, summary)
    if report is not None:
        out.print(f"Full report: {escape(str(report))} ({summary.problems} problem(s))")
    return EXIT_REJECTED_ROWS if summary.problems else EXIT_OK


def csv_line_count(path: Path) -> int:
    """Lines after the header (the progress bar's total), read in 1 MiB blocks."""
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return max(0, count - 1)


def _print_summary(console: Console, file: Path, result: ImportResult, seconds: float) -> None:
    table = Table(title=f"Import of {escape(file.name)}", show_header=True)
    for name in ("created", "updated", "unchanged", "rejected", "total rows"):
        table.add_column(name, justify="right")
    table.add_row(*(str(n) for n in (result.created, result.updated, result.unchanged, result.rejected, result.total)))
    console.print(table)
    rate = f", {result.total / seconds:,.0f} rows/s" if seconds > 0 and result.total else ""
    console.print(f"Done in {seconds:.2f} s{rate}.")


def _print_errors(console: Console, summary: ProblemSummary) -> None:
    counts = Table(title="Problems by kind")
    for name in ("column", "code", "count"):
        counts.add_column(name, justify="right" if name == "count" else "left")
    for count in summary.counts:
        counts.add_row(count.column or "", count.code, f"{count.count:,}")
    console.print(counts)
    table = Table(title=f"Rejected rows (first {len(summary.first)} of {summary.problems} problems)")
    for name in ("line", "column", "vin", "reason"):
        table.add_column(name, overflow="fold")
    for problem in summary.first:
        table.add_row(str(problem.line), problem.column or "", escape(problem.key or ""), escape(problem.reason))
    console.print(table)
