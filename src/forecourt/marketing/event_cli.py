"""`forecourt marketing ...`: daily spend and event imports.

Exit codes: 0 everything imported (duplicates included); 1 some event rows rejected (the good rows landed);
2 the file is unusable or (spend) has problems: nothing landed; 3 the database refused: nothing landed.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

marketing_app = typer.Typer(help="Campaigns, daily spend and event imports.", no_args_is_help=True)

SHOWN_PROBLEMS = 20
EXIT_OK, EXIT_REJECTED_ROWS, EXIT_BAD_FILE, EXIT_DATABASE = 0, 1, 2, 3
ExistingFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


def _database_error(console: Console, exc: SQLAlchemyError) -> int:
    cause = getattr(exc, "orig", None) or exc
    console.print(
        f"[bold red]Nothing imported; the database refused the import:[/] {escape(str(cause))}. "
        "Is the schema up to date (`forecourt db upgrade`)?",
        soft_wrap=True,
    )
    return EXIT_DATABASE


@marketing_app.command("import-spend")
def import_spend(file: ExistingFile) -> None:
    """Import daily campaign spend (campaign_code,day,amount). All or nothing; a day imported before is replaced."""
    from forecourt.core.db import make_engine, make_session_factory, transaction
    from forecourt.core.errors import InvalidInput
    from forecourt.core.settings import get_settings
    from forecourt.marketing.campaigns import import_spend as run

    out, err = Console(highlight=False), Console(stderr=True, highlight=False)
    engine = make_engine(get_settings().database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            result = run(session, file.read_bytes(), actor=None)
    except InvalidInput as exc:
        out.print(f"[bold red]Nothing imported:[/] {escape(exc.message)}", soft_wrap=True)
        table = Table("line", "column", "reason")
        for problem in exc.extra.get("problems", [])[:SHOWN_PROBLEMS]:
            table.add_row(str(problem["line"]), problem["column"] or "", escape(problem["reason"]))
        out.print(table)
        raise typer.Exit(EXIT_BAD_FILE) from None
    except SQLAlchemyError as exc:
        raise typer.Exit(_database_error(err, exc)) from None
    finally:
        engine.dispose()
    out.print(
        f"{result.rows} day(s) imported for {len(result.campaigns)} campaign(s): {result.created} new, "
        f"{result.replaced} replaced; total CNY {result.total}"
    )


@marketing_app.command("import-events")
def import_events(
    file: ExistingFile,
    file_format: Annotated[str | None, typer.Option("--format", help="csv or parquet; default from the name")] = None,
    report: Annotated[Path | None, typer.Option(help="Write every rejected row to this CSV file")] = None,
) -> None:
    """Import touch and engagement events from CSV or Parquet; read and stored a chunk at a time."""
    from forecourt.core.db import make_engine, make_session_factory, transaction
    from forecourt.core.errors import InvalidInput
    from forecourt.core.settings import get_settings
    from forecourt.marketing import event_files, events

    out, err = Console(highlight=False), Console(stderr=True, highlight=False)
    started = time.perf_counter()
    try:
        with file.open("rb") as handle:
            kind = event_files.detect_format(file_format, file.name, handle.read(8))
        total = event_files.parquet_rows(file) if kind == "parquet" else event_files.csv_line_count(file)
    except (InvalidInput, OSError) as exc:
        err.print(f"[bold red]Nothing imported:[/] {escape(str(file))}: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_BAD_FILE) from None
    engine = make_engine(get_settings().database_url)
    try:
        with (
            file.open("rb") as handle,
            Progress(
                TextColumn("Importing events"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=out,
                transient=True,
            ) as bar,
        ):
            task = bar.add_task("rows", total=total)
            reader = event_files.ParquetEvents(file) if kind == "parquet" else event_files.CsvEvents(handle)
            with transaction(make_session_factory(engine)) as session:
                result = events.import_events(
                    session,
                    reader,
                    actor=None,
                    unreadable=lambda: reader.errors,
                    progress=lambda done: bar.update(task, completed=done),
                )
    except InvalidInput as exc:
        err.print(f"[bold red]Nothing imported:[/] {escape(str(file))}: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_BAD_FILE) from None
    except SQLAlchemyError as exc:
        raise typer.Exit(_database_error(err, exc)) from None
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    table = Table(title=f"Import of {escape(file.name)}")
    for name in ("accepted", "duplicates", "rejected", "total rows"):
        table.add_column(name, justify="right")
    table.add_row(*(str(n) for n in (result.accepted, result.duplicates, result.rejected_count, result.processed)))
    out.print(table)
    out.print(f"Done in {seconds:.2f} s" + (f", {result.processed / seconds:,.0f} rows/s." if seconds > 0 else "."))
    if result.rejected:
        problems = Table(
            title=f"Rejected rows (first {min(SHOWN_PROBLEMS, result.rejected_count)} of {result.rejected_count})"
        )
        for name in ("line", "event_id", "reason"):
            problems.add_column(name, overflow="fold")
        for row in result.rejected[:SHOWN_PROBLEMS]:
            problems.add_row(str(row.index), escape(row.event_id or ""), escape(row.reason))
        out.print(problems)
    if report is not None:
        with report.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "event_id", "code", "field", "reason"])
            for row in result.rejected:
                writer.writerow([row.index, row.event_id or "", row.code, row.field or "", row.reason])
        out.print(f"Full report: {escape(str(report))}")
    raise typer.Exit(EXIT_REJECTED_ROWS if result.rejected_count else EXIT_OK)
